//! Test support: the gateway as a real child process, a real receiving HTTP server, and
//! polling with deadlines (no sleeps to wait for things).

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

pub const SENDER_TOKEN: &str = "example-sender-token";
pub const ADMIN_TOKEN: &str = "example-admin-token";
pub const SENDER_TOKEN_SHA256: &str =
    "f4ff83e79c8eedae556b635dd3f7b95ce4290fe59c859938d30e4372930f830f";
pub const ADMIN_TOKEN_SHA256: &str =
    "d2eadfb6e52d65b4bbf254e5046c0c495328b4d208f8b1591c229e62c5c6362f";

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The gateway binary built for these tests, for its offline commands (`check`, `validate`, ...).
/// Its default compiled-schema cache goes under the target directory, never the user's home.
pub fn gateway_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xoev-gateway"));
    command.env(
        "XDG_CACHE_HOME",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("xdg-cache"),
    );
    command
}

/// Waits until `check` returns `Some`, polling; panics with `what` at the deadline.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A running `xoev-gateway serve` child process; killed when dropped.
pub struct GatewayProcess {
    pub child: Child,
    pub url: String,
    pub config_path: PathBuf,
}

impl GatewayProcess {
    pub fn start(config_path: &Path) -> GatewayProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xoev-gateway"))
            .arg("serve")
            .arg("--config")
            .arg(config_path)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start xoev-gateway");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        break url.trim().to_owned();
                    }
                }
                _ => panic!("xoev-gateway exited before listening"),
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        GatewayProcess {
            child,
            url,
            config_path: config_path.to_owned(),
        }
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }

    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.url, path)
    }
}

impl Drop for GatewayProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a receiver answers: scripted statuses first, then `default`.
#[derive(Clone)]
pub struct Script {
    pub queue: VecDeque<(u16, Option<String>)>,
    pub default: u16,
    /// Hold each request this long before answering (a slow Fachverfahren).
    pub delay: Option<Duration>,
}

#[derive(Debug, Clone)]
pub struct Received {
    pub body: Bytes,
    pub headers: HeaderMap,
    pub status: u16,
}

#[derive(Clone)]
struct ReceiverState {
    script: Arc<Mutex<Script>>,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A real Fachverfahren stand-in: an HTTP server on 127.0.0.1 that records what it gets.
pub struct Receiver {
    pub url: String,
    state: ReceiverState,
    task: tokio::task::JoinHandle<()>,
}

async fn receive(State(state): State<ReceiverState>, headers: HeaderMap, body: Bytes) -> Response {
    let (status, retry_after, delay) = {
        let mut script = state.script.lock().expect("script");
        let delay = script.delay;
        match script.queue.pop_front() {
            Some((status, retry_after)) => (status, retry_after, delay),
            None => (script.default, None, delay),
        }
    };
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    state.received.lock().expect("received").push(Received {
        body,
        headers,
        status,
    });
    let mut response = StatusCode::from_u16(status)
        .expect("status")
        .into_response();
    if let Some(retry_after) = retry_after {
        response
            .headers_mut()
            .insert("retry-after", retry_after.parse().expect("header"));
    }
    response
}

impl Receiver {
    pub async fn start(default: u16) -> Receiver {
        let state = ReceiverState {
            script: Arc::new(Mutex::new(Script {
                queue: VecDeque::new(),
                default,
                delay: None,
            })),
            received: Arc::new(Mutex::new(Vec::new())),
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind receiver");
        let url = format!("http://{}/inbox", listener.local_addr().expect("addr"));
        let router = Router::new()
            .route("/inbox", post(receive))
            .with_state(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Receiver { url, state, task }
    }

    pub fn script(&self, answers: &[(u16, Option<&str>)]) {
        let mut script = self.state.script.lock().expect("script");
        script
            .queue
            .extend(answers.iter().map(|(s, r)| (*s, r.map(str::to_owned))));
    }

    pub fn set_default(&self, status: u16) {
        self.state.script.lock().expect("script").default = status;
    }

    pub fn set_delay(&self, delay: Option<Duration>) {
        self.state.script.lock().expect("script").delay = delay;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.received.lock().expect("received").clone()
    }

    /// Successful deliveries counted by X-Message-UUID.
    pub fn delivered_by_uuid(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for received in self.received() {
            if (200..300).contains(&received.status) {
                if let Some(uuid) = received
                    .headers
                    .get("x-message-uuid")
                    .and_then(|v| v.to_str().ok())
                {
                    *counts.entry(uuid.to_owned()).or_insert(0) += 1;
                }
            }
        }
        counts
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A message of the example schema with its own nachrichtenUUID.
pub fn example_message(uuid: &str) -> String {
    let template = std::fs::read_to_string(repo_path("fixtures/valid/bauantrag-minimal.xml"))
        .expect("fixture");
    template.replace("0b6f2c1e-3a44-4d5c-9a0e-6f1d2b3c4d5e", uuid)
}

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A config with one route for the example messages to the given HTTP receivers.
pub fn http_config(dir: &Path, receivers: &[(&str, &str)], extra: &str) -> PathBuf {
    let mut text = format!(
        r#"
[[listener]]
address = "127.0.0.1:0"

[store]
kind = "sqlite"
path = "{store}"

[[schema_set]]
name = "example"
entry_files = ["{schema}"]

[[sender]]
name = "portal"
bearer_token_sha256 = "{SENDER_TOKEN_SHA256}"
allowed_messages = ["bauantrag.*", "gewerbe.*", "melderegister.*"]

[admin]
bearer_token_sha256 = ["{ADMIN_TOKEN_SHA256}"]

[retry_policy.default]
max_attempts = 8
initial_backoff_seconds = 0.05
max_backoff_seconds = 0.5
{route}"#,
        store = dir.join("gateway.sqlite").display(),
        schema = repo_path("schemas/example/xoev-gateway-example.xsd").display(),
        route = if receivers.is_empty() {
            String::new()
        } else {
            format!(
                "\n[[route]]\nname = \"bauantrag\"\nroot_name = \"bauantrag.antrag.*\"\n\
                 schema_set = \"example\"\ndestinations = [{}]\n",
                receivers
                    .iter()
                    .map(|(name, _)| format!("{name:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        },
    );
    for (name, url) in receivers {
        text.push_str(&format!(
            "\n[[destination]]\nkind = \"http\"\nname = {name:?}\nurl = {url:?}\ntimeout_seconds = 5\nconcurrency = 4\n"
        ));
    }
    text.push_str(extra);
    let path = dir.join("gateway.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

pub async fn post_xml(
    gateway: &GatewayProcess,
    body: impl Into<reqwest::Body>,
) -> reqwest::Response {
    client()
        .post(gateway.endpoint("/v1/submissions"))
        .bearer_auth(SENDER_TOKEN)
        .header("content-type", "application/xml")
        .body(body)
        .send()
        .await
        .expect("post submission")
}

pub async fn get_json(
    gateway: &GatewayProcess,
    path: &str,
    token: &str,
) -> (u16, serde_json::Value) {
    let response = client()
        .get(gateway.endpoint(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("get");
    let status = response.status().as_u16();
    (
        status,
        response.json().await.unwrap_or(serde_json::Value::Null),
    )
}

pub async fn submission_state(gateway: &GatewayProcess, id: &str) -> String {
    let (_, status) = get_json(gateway, &format!("/v1/submissions/{id}"), SENDER_TOKEN).await;
    status["status"].as_str().unwrap_or("").to_owned()
}

pub async fn metrics(gateway: &GatewayProcess) -> String {
    client()
        .get(gateway.endpoint("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics body")
}

/// The value of one metric sample line (exact name with labels), 0 if absent.
pub fn metric_value(metrics: &str, sample: &str) -> f64 {
    metrics
        .lines()
        .find_map(|line| {
            let (name, value) = line.rsplit_once(' ')?;
            (name == sample).then(|| value.parse().ok()).flatten()
        })
        .unwrap_or(0.0)
}

pub fn count_submissions(store: &Path) -> i64 {
    let connection = rusqlite::Connection::open(store).expect("open store");
    connection
        .query_row("SELECT COUNT(*) FROM submissions", [], |row| row.get(0))
        .expect("count")
}
