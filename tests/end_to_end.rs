//! End to end: a real gateway process, real receivers, real store.

mod support;

use std::time::Duration;

use support::*;

const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accepted_submissions_reach_the_receiver_and_show_as_delivered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(200).await;
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let gateway = GatewayProcess::start(&config);

    let uuid = new_uuid();
    let body = example_message(&uuid);
    let response = post_xml(&gateway, body.clone()).await;
    assert_eq!(response.status().as_u16(), 202);
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .expect("Location header");
    let accepted: serde_json::Value = response.json().await.expect("json");
    let id = accepted["id"].as_str().expect("id").to_owned();
    assert_eq!(location, format!("/v1/submissions/{id}"));
    assert_eq!(accepted["message_uuid"], uuid.as_str());
    assert_eq!(accepted["destinations"], serde_json::json!(["bauamt"]));

    eventually("delivered status", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "delivered").then_some(())
    })
    .await;
    let received = receiver.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].body, body.as_bytes());
    assert_eq!(received[0].headers["x-submission-id"], id.as_str());
    assert_eq!(received[0].headers["x-message-uuid"], uuid.as_str());
    assert_eq!(received[0].headers["content-type"], "application/xml");

    let (_, status) = get_json(&gateway, &location, SENDER_TOKEN).await;
    let attempts = &status["deliveries"][0]["attempts"];
    assert_eq!(attempts.as_array().map(Vec::len), Some(1));
    assert_eq!(attempts[0]["outcome"], "delivered");
    assert_eq!(attempts[0]["http_status"], 200);

    let metrics = metrics(&gateway).await;
    assert_eq!(
        metric_value(
            &metrics,
            "xoev_gateway_submissions_accepted_total{message_type=\"0200\",route=\"bauantrag\"}"
        ),
        1.0
    );
    assert_eq!(
        metric_value(
            &metrics,
            "xoev_gateway_deliveries_total{destination=\"bauamt\",outcome=\"delivered\"}"
        ),
        1.0
    );
    assert_eq!(
        metric_value(&metrics, "xoev_gateway_queue_depth{destination=\"bauamt\"}"),
        0.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_destination_holds_only_complete_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outbox = dir.path().join("outbox");
    let config = http_config(
        dir.path(),
        &[],
        &format!(
            "\n[[route]]\nname = \"gewerbe\"\nroot_name = \"gewerbe.*\"\ndestinations = [\"drop\"]\n\
             [[destination]]\nkind = \"directory\"\nname = \"drop\"\npath = {:?}\n",
            outbox.display().to_string()
        ),
    );
    let gateway = GatewayProcess::start(&config);
    let body = std::fs::read(repo_path("fixtures/valid/gewerbe-anzeige.xml")).expect("fixture");
    let mut ids = Vec::new();
    for index in 0..5 {
        let unique = String::from_utf8(body.clone()).expect("utf-8").replace(
            "c3d2e1f0-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
            &format!("c3d2e1f0-1a2b-4c3d-8e4f-5a6b7c8d9e0{index}"),
        );
        let response = post_xml(&gateway, unique).await;
        assert_eq!(response.status().as_u16(), 202);
        let accepted: serde_json::Value = response.json().await.expect("json");
        ids.push(accepted["id"].as_str().expect("id").to_owned());
    }
    for id in &ids {
        eventually("file delivered", PATIENCE, || async {
            (submission_state(&gateway, id).await == "delivered").then_some(())
        })
        .await;
    }
    let mut names: Vec<String> = std::fs::read_dir(&outbox)
        .expect("outbox")
        .map(|e| e.expect("entry").file_name().into_string().expect("name"))
        .collect();
    names.sort();
    let mut expected: Vec<String> = ids.iter().map(|id| format!("{id}.xml")).collect();
    expected.sort();
    assert_eq!(
        names, expected,
        "only complete files, named by submission id"
    );
    for id in &ids {
        let written = std::fs::read(outbox.join(format!("{id}.xml"))).expect("file");
        assert!(written.starts_with(b"<?xml"), "complete XML document");
        assert!(written.ends_with(b"</ex:gewerbe.anzeige.0100>\n"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn temporary_failures_are_retried_and_retry_after_is_honoured() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(200).await;
    receiver.script(&[(503, None), (503, Some("1")), (500, None)]);
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let gateway = GatewayProcess::start(&config);
    let response = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("delivered after retries", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "delivered").then_some(())
    })
    .await;
    let (_, status) = get_json(&gateway, &format!("/v1/submissions/{id}"), SENDER_TOKEN).await;
    let attempts = status["deliveries"][0]["attempts"]
        .as_array()
        .expect("attempts")
        .clone();
    let outcomes: Vec<(&str, u64)> = attempts
        .iter()
        .map(|a| {
            (
                a["outcome"].as_str().unwrap_or(""),
                a["http_status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        vec![
            ("retry", 503),
            ("retry", 503),
            ("retry", 500),
            ("delivered", 200)
        ]
    );
    // The second answer asked for one second: the next attempt was scheduled no earlier.
    let finished = attempts[1]["finished_at"].as_i64().expect("finished_at");
    let scheduled = attempts[1]["next_attempt_at"]
        .as_i64()
        .expect("next_attempt_at");
    assert!(
        scheduled - finished >= 1000,
        "Retry-After: 1 must delay by >= 1 s"
    );
    let started_next = attempts[2]["started_at"].as_i64().expect("started_at");
    assert!(started_next >= scheduled);
    assert_eq!(receiver.received().len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_delivery_is_dead_lettered_and_can_be_replayed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(400).await;
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let gateway = GatewayProcess::start(&config);
    let uuid = new_uuid();
    let response = post_xml(&gateway, example_message(&uuid)).await;
    let id = response.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("dead lettered", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "dead_lettered").then_some(())
    })
    .await;
    assert_eq!(receiver.received().len(), 1, "a 400 is not retried");

    let (status, listing) = get_json(&gateway, "/v1/dead-letters", ADMIN_TOKEN).await;
    assert_eq!(status, 200);
    let letters = listing["dead_letters"].as_array().expect("list").clone();
    assert_eq!(letters.len(), 1);
    assert_eq!(letters[0]["submission_id"], id.as_str());
    assert_eq!(letters[0]["reason"], "rejected with HTTP 400");
    let (status, _) = get_json(&gateway, "/v1/dead-letters", SENDER_TOKEN).await;
    assert_eq!(status, 401, "senders are not admins");

    // The Fachverfahren is fixed; the operator replays with the command-line client.
    receiver.set_default(200);
    let dead_letter_id = letters[0]["id"].as_str().expect("id").to_owned();
    let replay = gateway_command()
        .args([
            "dead-letters",
            "replay",
            "--url",
            &gateway.url,
            "--token",
            ADMIN_TOKEN,
        ])
        .arg(&dead_letter_id)
        .output()
        .expect("run replay");
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stdout)
    );
    eventually("delivered after replay", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "delivered").then_some(())
    })
    .await;
    assert_eq!(receiver.delivered_by_uuid().get(&uuid), Some(&1));
    let (_, listing) = get_json(&gateway, "/v1/dead-letters", ADMIN_TOKEN).await;
    assert_eq!(listing["dead_letters"].as_array().map(Vec::len), Some(0));
    let again = client()
        .post(gateway.endpoint(&format!("/v1/dead-letters/{dead_letter_id}/replay")))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("replay again");
    assert_eq!(again.status().as_u16(), 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_destination_hanging_does_not_hold_up_another() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stuck = Receiver::start(200).await;
    stuck.set_delay(Some(Duration::from_secs(600)));
    let healthy = Receiver::start(200).await;
    let config = http_config(
        dir.path(),
        &[("stuck", &stuck.url), ("healthy", &healthy.url)],
        "",
    );
    let gateway = GatewayProcess::start(&config);
    let mut uuids = Vec::new();
    for _ in 0..20 {
        let uuid = new_uuid();
        let response = post_xml(&gateway, example_message(&uuid)).await;
        assert_eq!(response.status().as_u16(), 202);
        uuids.push(uuid);
    }
    eventually("healthy receiver got all 20", PATIENCE, || async {
        let delivered = healthy.delivered_by_uuid();
        uuids
            .iter()
            .all(|u| delivered.get(u) == Some(&1))
            .then_some(())
    })
    .await;
    assert!(
        stuck.received().is_empty(),
        "the stuck receiver has answered nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_nachrichten_uuid_is_delivered_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(200).await;
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let gateway = GatewayProcess::start(&config);
    let uuid = new_uuid();
    let first = post_xml(&gateway, example_message(&uuid)).await;
    assert_eq!(first.status().as_u16(), 202);
    let first: serde_json::Value = first.json().await.expect("json");
    let second = post_xml(&gateway, example_message(&uuid)).await;
    assert_eq!(second.status().as_u16(), 200);
    let second: serde_json::Value = second.json().await.expect("json");
    assert_eq!(first["id"], second["id"]);
    let id = first["id"].as_str().expect("id").to_owned();
    eventually("delivered", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "delivered").then_some(())
    })
    .await;
    assert_eq!(receiver.delivered_by_uuid().get(&uuid), Some(&1));
    assert_eq!(count_submissions(&dir.path().join("gateway.sqlite")), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_precisely_and_nothing_is_stored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(200).await;
    let config = http_config(
        dir.path(),
        &[("bauamt", &receiver.url)],
        "\n[limits]\nmax_body_bytes = 65536\nmax_nesting_depth = 32\n",
    );
    let gateway = GatewayProcess::start(&config);

    let expected =
        std::fs::read_to_string(repo_path("fixtures/invalid/EXPECTED.tsv")).expect("tsv");
    for line in expected.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, status, kind, expected_line] = fields[..] else {
            panic!("bad EXPECTED.tsv line {line:?}");
        };
        let body = std::fs::read(repo_path(&format!("fixtures/invalid/{file}"))).expect("fixture");
        let response = post_xml(&gateway, body).await;
        assert_eq!(response.status().as_u16().to_string(), status, "{file}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{file}"
        );
        let problem: serde_json::Value = response.json().await.expect("problem json");
        assert_eq!(
            problem["type"],
            format!("urn:xoev-gateway:problem:{kind}"),
            "{file}"
        );
        assert_eq!(problem["status"].to_string(), status, "{file}");
        let first = &problem["problems"][0];
        assert!(
            first["rule"].as_str().is_some_and(|r| !r.is_empty()),
            "{file}: {problem}"
        );
        assert!(
            first["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{file}: {problem}"
        );
        if !expected_line.is_empty() {
            assert_eq!(
                first["line"].to_string(),
                expected_line,
                "{file}: {problem}"
            );
            assert!(first["column"].as_u64().is_some(), "{file}: {problem}");
        }
        if kind == "invalid" {
            assert!(
                first["element_path"].as_str().is_some(),
                "{file}: {problem}"
            );
        }
    }

    let deep = format!(
        "<ex:bauantrag.antrag.0200 xmlns:ex=\"urn:xoev-gateway:example:1\">{}{}</ex:bauantrag.antrag.0200>",
        "<a>".repeat(40),
        "</a>".repeat(40)
    );
    let response = post_xml(&gateway, deep).await;
    assert_eq!(response.status().as_u16(), 400);
    let problem: serde_json::Value = response.json().await.expect("json");
    assert!(
        problem["problems"][0]["element_path"]
            .as_str()
            .is_some_and(|p| p.starts_with("/ex:bauantrag.antrag.0200/a/a")),
        "{problem}"
    );

    let oversized = example_message(&new_uuid()).replace(
        "<bezeichnung>",
        &format!("<!-- {} --><bezeichnung>", "x".repeat(70_000)),
    );
    let response = post_xml(&gateway, oversized).await;
    assert_eq!(response.status().as_u16(), 413);

    let wrong_type = client()
        .post(gateway.endpoint("/v1/submissions"))
        .bearer_auth(SENDER_TOKEN)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(wrong_type.status().as_u16(), 415);

    let anonymous = client()
        .post(gateway.endpoint("/v1/submissions"))
        .header("content-type", "application/xml")
        .body(example_message(&new_uuid()))
        .send()
        .await
        .expect("post");
    assert_eq!(anonymous.status().as_u16(), 401);
    assert!(anonymous.headers().contains_key("www-authenticate"));

    let forbidden = post_xml(
        &gateway,
        "<ex:personenstand.geburt.0100 xmlns:ex=\"urn:xoev-gateway:example:1\"/>",
    )
    .await;
    assert_eq!(forbidden.status().as_u16(), 403);

    // The gateway keeps serving and stored nothing of all that.
    let response = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(response.status().as_u16(), 202);
    assert_eq!(count_submissions(&dir.path().join("gateway.sqlite")), 1);
    let metrics = metrics(&gateway).await;
    assert!(
        metric_value(
            &metrics,
            "xoev_gateway_submissions_refused_total{reason=\"malformed\"}"
        ) >= 6.0
    );
}

/// The example configuration itself (README's first command), on a free port: every valid
/// fixture is accepted and dropped into its Fachverfahren's directory, every invalid one refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_config_accepts_the_valid_fixtures_and_refuses_the_invalid_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("examples")).expect("dir");
    std::os::unix::fs::symlink(repo_path("schemas"), dir.path().join("schemas")).expect("link");
    std::os::unix::fs::symlink(repo_path("mappings"), dir.path().join("mappings")).expect("link");
    let example = std::fs::read_to_string(repo_path("examples/gateway.toml")).expect("example");
    assert!(example.contains("address = \"127.0.0.1:8080\""));
    let config = dir.path().join("examples/gateway.toml");
    std::fs::write(&config, example.replace("127.0.0.1:8080", "127.0.0.1:0")).expect("write");
    let gateway = GatewayProcess::start(&config);

    let mut ids = Vec::new();
    for entry in std::fs::read_dir(repo_path("fixtures/valid")).expect("fixtures") {
        let path = entry.expect("entry").path();
        let response = post_xml(&gateway, std::fs::read(&path).expect("read")).await;
        assert_eq!(response.status().as_u16(), 202, "{}", path.display());
        let accepted: serde_json::Value = response.json().await.expect("json");
        ids.push(accepted["id"].as_str().expect("id").to_owned());
    }
    assert_eq!(ids.len(), 3);
    for id in &ids {
        eventually("delivered to the outbox", PATIENCE, || async {
            (submission_state(&gateway, id).await == "delivered").then_some(())
        })
        .await;
    }
    let outbox = dir.path().join("var/example/outbox");
    let delivered = ["bauamt", "gewerbeamt"]
        .iter()
        .map(|d| {
            std::fs::read_dir(outbox.join(d))
                .map(|e| e.count())
                .unwrap_or(0)
        })
        .sum::<usize>();
    assert_eq!(delivered, 3);
    // The Bauamt's software gets the mapped JSON, the Gewerbeamt the original XML.
    let bauamt: Vec<_> = std::fs::read_dir(outbox.join("bauamt"))
        .expect("bauamt outbox")
        .map(|e| e.expect("entry").path())
        .collect();
    assert!(
        bauamt
            .iter()
            .all(|p| p.extension().is_some_and(|e| e == "json")),
        "{bauamt:?}"
    );
    for path in &bauamt {
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).expect("read")).expect("valid JSON");
        assert!(json["messageId"].as_str().is_some(), "{json}");
    }

    let expected =
        std::fs::read_to_string(repo_path("fixtures/invalid/EXPECTED.tsv")).expect("tsv");
    for line in expected.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (file, status) = (fields[0], fields[1]);
        let body = std::fs::read(repo_path(&format!("fixtures/invalid/{file}"))).expect("fixture");
        let response = post_xml(&gateway, body).await;
        assert_eq!(response.status().as_u16().to_string(), status, "{file}");
    }
}
