//! Reload on SIGHUP, drain on SIGTERM, back pressure when the queue is full.

mod support;

use std::time::Duration;

use support::*;

const PATIENCE: Duration = Duration::from_secs(30);

fn gewerbe_message() -> Vec<u8> {
    std::fs::read(repo_path("fixtures/valid/gewerbe-anzeige.xml")).expect("fixture")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_a_good_config_and_refuses_a_bad_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(200).await;
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let original = std::fs::read_to_string(&config).expect("read");
    let gateway = GatewayProcess::start(&config);
    assert_eq!(
        post_xml(&gateway, gewerbe_message())
            .await
            .status()
            .as_u16(),
        422
    );

    let with_gewerbe = format!(
        "{original}\n[[route]]\nname = \"gewerbe\"\nroot_name = \"gewerbe.*\"\ndestinations = [\"bauamt\"]\n"
    );
    std::fs::write(&config, &with_gewerbe).expect("write");
    gateway.signal("HUP");
    eventually("the new route is active", PATIENCE, || async {
        let status = post_xml(&gateway, gewerbe_message())
            .await
            .status()
            .as_u16();
        // 202 the first time, 200 (duplicate) after that: both mean the route exists.
        matches!(status, 200 | 202).then_some(())
    })
    .await;

    std::fs::write(&config, format!("{with_gewerbe}\nunknown_key = 1\n")).expect("write");
    gateway.signal("HUP");
    eventually("the failed reload is counted", PATIENCE, || async {
        let metrics = metrics(&gateway).await;
        (metric_value(
            &metrics,
            "xoev_gateway_config_reloads_total{result=\"failure\"}",
        ) == 1.0)
            .then_some(())
    })
    .await;
    let metrics = metrics(&gateway).await;
    assert_eq!(
        metric_value(
            &metrics,
            "xoev_gateway_config_reloads_total{result=\"success\"}"
        ),
        1.0
    );
    // The previous configuration keeps running.
    let status = post_xml(&gateway, gewerbe_message())
        .await
        .status()
        .as_u16();
    assert_eq!(
        status, 200,
        "the gewerbe route is still there (duplicate of the first)"
    );
    let fresh = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(fresh.status().as_u16(), 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_and_a_restart_resumes_pending_deliveries() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(503).await;
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let mut gateway = GatewayProcess::start(&config);
    let mut uuids = Vec::new();
    for _ in 0..5 {
        let uuid = new_uuid();
        assert_eq!(
            post_xml(&gateway, example_message(&uuid))
                .await
                .status()
                .as_u16(),
            202
        );
        uuids.push(uuid);
    }
    eventually("first attempts made", PATIENCE, || async {
        (receiver.received().len() >= 5).then_some(())
    })
    .await;
    gateway.signal("TERM");
    let deadline = std::time::Instant::now() + PATIENCE;
    let exit = loop {
        if let Some(exit) = gateway.child.try_wait().expect("wait") {
            break exit;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the gateway did not exit"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(exit.success(), "a drained gateway exits cleanly: {exit:?}");

    receiver.set_default(200);
    let _restarted = GatewayProcess::start(&config);
    eventually("all resumed and delivered", PATIENCE, || async {
        let delivered = receiver.delivered_by_uuid();
        uuids
            .iter()
            .all(|u| delivered.get(u) == Some(&1))
            .then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_with_retry_after() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(503).await;
    let config = http_config(
        dir.path(),
        &[("bauamt", &receiver.url)],
        "\n[limits]\nqueue_capacity = 3\nretry_after_seconds = 7\n",
    );
    let gateway = GatewayProcess::start(&config);
    for _ in 0..3 {
        assert_eq!(
            post_xml(&gateway, example_message(&new_uuid()))
                .await
                .status()
                .as_u16(),
            202
        );
    }
    let refused = post_xml(&gateway, example_message(&new_uuid())).await;
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(refused.headers()["retry-after"], "7");
    let problem: serde_json::Value = refused.json().await.expect("json");
    assert_eq!(problem["type"], "urn:xoev-gateway:problem:queue-full");

    let (status, _) = get_json(&gateway, "/readyz", SENDER_TOKEN).await;
    assert_eq!(
        status, 200,
        "a full queue is back pressure, not unreadiness"
    );
}
