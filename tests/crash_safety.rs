//! Crash safety: the gateway is killed with SIGKILL at random moments while submissions are
//! being posted; after restarts every submission that got a 202 is delivered at least once.

mod support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use support::*;

const CYCLES: usize = 10;
const POSTERS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_acknowledged_submission_is_lost_across_sigkill() {
    let dir = tempfile::tempdir().expect("tempdir");
    let receiver = Receiver::start(200).await;
    let config = http_config(dir.path(), &[("bauamt", &receiver.url)], "");
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5eed);

    for cycle in 0..CYCLES {
        let mut gateway = GatewayProcess::start(&config);
        let stop = Arc::new(AtomicBool::new(false));
        let mut posters = Vec::new();
        for _ in 0..POSTERS {
            let url = gateway.endpoint("/v1/submissions");
            let stop = Arc::clone(&stop);
            let acknowledged = Arc::clone(&acknowledged);
            posters.push(tokio::spawn(async move {
                let client = client();
                while !stop.load(Ordering::SeqCst) {
                    let uuid = new_uuid();
                    let sent = client
                        .post(&url)
                        .bearer_auth(SENDER_TOKEN)
                        .header("content-type", "application/xml")
                        .body(example_message(&uuid))
                        .send()
                        .await;
                    match sent {
                        Ok(response) if response.status().as_u16() == 202 => {
                            acknowledged.lock().expect("lock").insert(uuid);
                        }
                        Ok(response) => panic!("unexpected status {}", response.status()),
                        // The gateway was killed mid-request: no acknowledgement, no promise.
                        Err(_) => break,
                    }
                }
            }));
        }
        // Kill at a random moment: sometimes while deliveries are in flight, sometimes mid-commit.
        let moment = Duration::from_millis(rng.random_range(50..400));
        tokio::time::sleep(moment).await;
        gateway.kill();
        stop.store(true, Ordering::SeqCst);
        for poster in posters {
            poster.await.expect("poster");
        }
        let count = acknowledged.lock().expect("lock").len();
        eprintln!("cycle {cycle}: killed after {moment:?}, {count} acknowledged so far");
    }

    let acknowledged: HashSet<String> = acknowledged.lock().expect("lock").clone();
    assert!(
        acknowledged.len() > CYCLES,
        "the harness must have posted something in most cycles"
    );
    let _gateway = GatewayProcess::start(&config);
    eventually(
        "every acknowledged submission delivered",
        Duration::from_secs(120),
        || async {
            let delivered = receiver.delivered_by_uuid();
            acknowledged
                .iter()
                .all(|uuid| delivered.contains_key(uuid))
                .then_some(())
        },
    )
    .await;
    let delivered = receiver.delivered_by_uuid();
    let duplicates = delivered.values().filter(|n| **n > 1).count();
    eprintln!(
        "{} acknowledged, all delivered; {} delivered more than once (at-least-once)",
        acknowledged.len(),
        duplicates
    );
}
