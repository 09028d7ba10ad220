//! A minimal Fachverfahren stand-in for load benchmarks: accepts every POST with 200 and
//! counts requests and bytes. `cargo run --release --example load_receiver -- 127.0.0.1:9901`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::routing::{get, post};
use axum::Router;

#[derive(Default)]
struct Counters {
    requests: AtomicU64,
    bytes: AtomicU64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9901".to_owned());
    let counters = Arc::new(Counters::default());
    let router = Router::new()
        .route(
            "/inbox",
            post(|State(c): State<Arc<Counters>>, body: Bytes| async move {
                c.requests.fetch_add(1, Ordering::Relaxed);
                c.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                "ok"
            }),
        )
        .route(
            "/count",
            get(|State(c): State<Arc<Counters>>| async move {
                format!(
                    "{} {}\n",
                    c.requests.load(Ordering::Relaxed),
                    c.bytes.load(Ordering::Relaxed)
                )
            }),
        )
        .with_state(counters);
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("receiving on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
