//! Mappings end to end: the delivered payload is the mapping's output; a mapping that cannot
//! map a message refuses it at submission (422); one that cannot fit the schema is refused at
//! reload; a delivery whose mapping broke later is dead-lettered, and after the mapping is
//! fixed, replay delivers with the current mapping.

mod support;

use std::time::Duration;

use support::*;

const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fixing_a_mapping_and_replaying_its_dead_letters_delivers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(503).await;
    let mapping_file = dir.path().join("bausoftware.toml");
    let good_mapping =
        std::fs::read_to_string(repo_path("mappings/bauantrag-bausoftware.toml")).expect("mapping");
    std::fs::write(&mapping_file, &good_mapping).expect("write mapping");
    let config = http_config(
        dir.path(),
        &[],
        &format!(
            r#"
[[route]]
name = "bauantrag"
root_name = "bauantrag.antrag.*"
schema_set = "example"
destinations = [{{ destination = "bausoftware", mapping = "json" }}]

[[mapping]]
name = "json"
kind = "declarative"
file = "bausoftware.toml"

[[destination]]
kind = "http"
name = "bausoftware"
url = "{}"
"#,
            receiver.url
        ),
    );
    let gateway = GatewayProcess::start(&config);
    let uuid = new_uuid();
    let response = post_xml(&gateway, example_message(&uuid)).await;
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<serde_json::Value>().await.expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("first attempts", PATIENCE, || async {
        (!receiver.received().is_empty()).then_some(())
    })
    .await;
    assert_eq!(
        receiver.received()[0].headers["content-type"],
        "application/json"
    );

    // A mapping with a path the schema can never match is refused at reload (`check`
    // compiles mappings against the route's schema set); the good one stays active.
    let impossible = format!(
        "{good_mapping}\n[[field]]\nname = \"parcel\"\npath = \"baugrundstueck/flurstueck\"\nrequired = true\n"
    );
    std::fs::write(&mapping_file, impossible).expect("write mapping");
    gateway.signal("HUP");
    eventually("reload refused", PATIENCE, || async {
        let metrics = metrics(&gateway).await;
        (metric_value(
            &metrics,
            "xoev_gateway_config_reloads_total{result=\"failure\"}",
        ) == 1.0)
            .then_some(())
    })
    .await;

    // The operator deploys a mapping that fits the schema but needs an optional field these
    // messages do not have.
    let broken = format!(
        "{good_mapping}\n[[field]]\nname = \"applicantBirthDate\"\npath = \"antragsteller/geburtsdatum\"\nrequired = true\n"
    );
    std::fs::write(&mapping_file, broken).expect("write mapping");
    gateway.signal("HUP");
    eventually("reload applied", PATIENCE, || async {
        let metrics = metrics(&gateway).await;
        (metric_value(
            &metrics,
            "xoev_gateway_config_reloads_total{result=\"success\"}",
        ) == 1.0)
            .then_some(())
    })
    .await;
    // New submissions are refused while the mapping cannot map them...
    let refused = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(refused.status().as_u16(), 422);
    let problem: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(problem["type"], "urn:xoev-gateway:problem:unmappable");
    assert!(
        problem["detail"]
            .as_str()
            .is_some_and(|d| d.contains("applicantBirthDate")),
        "{problem}"
    );
    // ...and the accepted one is dead-lettered at its next attempt, with the reason.
    eventually("dead lettered by the mapping", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "dead_lettered").then_some(())
    })
    .await;
    let (_, listing) = get_json(&gateway, "/v1/dead-letters", ADMIN_TOKEN).await;
    let letter = &listing["dead_letters"][0];
    assert!(
        letter["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("mapping failed")),
        "{letter}"
    );

    // Fixed mapping, receiver back: replay delivers with the current mapping.
    std::fs::write(&mapping_file, &good_mapping).expect("write mapping");
    gateway.signal("HUP");
    eventually("second reload applied", PATIENCE, || async {
        let metrics = metrics(&gateway).await;
        (metric_value(
            &metrics,
            "xoev_gateway_config_reloads_total{result=\"success\"}",
        ) == 2.0)
            .then_some(())
    })
    .await;
    receiver.set_default(200);
    let replay = client()
        .post(gateway.endpoint(&format!(
            "/v1/dead-letters/{}/replay",
            letter["id"].as_str().expect("id")
        )))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("replay");
    assert_eq!(replay.status().as_u16(), 202);
    eventually("delivered after replay", PATIENCE, || async {
        (submission_state(&gateway, &id).await == "delivered").then_some(())
    })
    .await;
    let delivered = receiver
        .received()
        .into_iter()
        .find(|r| r.status == 200)
        .expect("a successful delivery");
    let json: serde_json::Value = serde_json::from_slice(&delivered.body).expect("JSON body");
    assert_eq!(json["messageId"], uuid.as_str());
    assert!(json.get("applicantBirthDate").is_none());
}
