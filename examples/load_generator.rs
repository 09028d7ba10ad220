//! Open-loop load generator for the submission endpoint: sends at a fixed rate, each request
//! on its own task (so a slow answer does not delay the next request: no coordinated
//! omission), every body with a fresh nachrichtenUUID, and reports accepted/s and latency
//! percentiles of the 202 answers.
//!
//! `cargo run --release --example load_generator -- URL TOKEN TEMPLATE.xml RATE SECONDS`
//! The template must contain the placeholder `@UUID@`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, token, template, rate, seconds] = &args[..] else {
        anyhow::bail!("usage: load_generator URL TOKEN TEMPLATE.xml RATE SECONDS");
    };
    let template = std::fs::read_to_string(template)?;
    anyhow::ensure!(template.contains("@UUID@"), "the template has no @UUID@");
    let rate: f64 = rate.parse()?;
    let duration = Duration::from_secs_f64(seconds.parse()?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .timeout(Duration::from_secs(30))
        .build()?;
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let failures = Arc::new(Mutex::new(std::collections::BTreeMap::<String, u64>::new()));
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let mut tasks = Vec::new();
    let mut next = started;
    while next.duration_since(started) < duration {
        tokio::time::sleep_until(next.into()).await;
        let body = template.replace("@UUID@", &uuid::Uuid::new_v4().to_string());
        let request = client
            .post(url)
            .bearer_auth(token)
            .header("content-type", "application/xml")
            .body(body);
        let latencies = Arc::clone(&latencies);
        let failures = Arc::clone(&failures);
        // Latency counts from the scheduled send time, so queueing in the generator shows.
        let scheduled = next;
        tasks.push(tokio::spawn(async move {
            match request.send().await {
                Ok(response) if response.status().as_u16() == 202 => {
                    let _ = response.bytes().await;
                    latencies.lock().expect("lock").push(scheduled.elapsed());
                }
                Ok(response) => {
                    *failures
                        .lock()
                        .expect("lock")
                        .entry(response.status().to_string())
                        .or_default() += 1;
                }
                Err(error) => {
                    let kind = if error.is_timeout() {
                        "timeout"
                    } else {
                        "error"
                    };
                    *failures
                        .lock()
                        .expect("lock")
                        .entry(kind.into())
                        .or_default() += 1;
                }
            }
        }));
        next += interval;
    }
    for task in tasks {
        let _ = task.await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = latencies.lock().expect("lock").clone();
    latencies.sort();
    let percentile = |p: f64| -> f64 {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
        latencies[index].as_secs_f64() * 1000.0
    };
    println!(
        "target {rate}/s for {:.0} s: {} accepted ({:.0}/s), p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms, failures {:?}",
        duration.as_secs_f64(),
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        percentile(1.0),
        failures.lock().expect("lock")
    );
    Ok(())
}
