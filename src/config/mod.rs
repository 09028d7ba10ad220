//! Configuration: a TOML file (see `file.rs` for its exact shape) turned into a typed, validated
//! [`Config`]. Loading reports every problem at once, so `xoev-gateway check` can list them all.
//!
//! Relative paths in the file are resolved against the directory of the file itself.

mod file;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::delivery::RetryPolicy;
use crate::routing::{NamePattern, Route, RouteTarget};

pub use file::ConfigFile;

#[derive(Debug, Clone)]
pub struct Config {
    pub source_path: PathBuf,
    pub listeners: Vec<Listener>,
    pub limits: Limits,
    pub store: StoreConfig,
    pub telemetry: TelemetryConfig,
    pub schema_sets: Vec<SchemaSetConfig>,
    pub senders: Vec<Sender>,
    /// Credentials for the admin API, as senders that may submit nothing.
    pub admins: Vec<Sender>,
    pub routes: Vec<Route>,
    pub destinations: Vec<Destination>,
    pub mappings: Vec<MappingConfig>,
}

#[derive(Debug, Clone)]
pub struct Listener {
    pub address: SocketAddr,
    pub tls: Option<ListenerTls>,
}

#[derive(Debug, Clone)]
pub struct ListenerTls {
    pub certificate_file: PathBuf,
    pub private_key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
    pub require_client_certificate: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_nesting_depth: usize,
    pub max_attributes_per_element: usize,
    pub max_text_bytes: usize,
    pub max_concurrent_requests: usize,
    /// Undelivered deliveries across all destinations before new submissions get 503.
    pub queue_capacity: usize,
    pub retry_after: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_body_bytes: 10 * 1024 * 1024,
            max_nesting_depth: 128,
            max_attributes_per_element: 128,
            max_text_bytes: 4 * 1024 * 1024,
            max_concurrent_requests: 512,
            queue_capacity: 100_000,
            retry_after: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreConfig {
    Sqlite {
        path: PathBuf,
        max_batch_size: usize,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    pub log_filter: String,
}

#[derive(Debug, Clone)]
pub struct SchemaSetConfig {
    pub name: String,
    pub entry_files: Vec<PathBuf>,
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Sender {
    pub name: String,
    pub credentials: Vec<Credential>,
    /// Patterns on the root element's local name.
    pub allowed_messages: Vec<NamePattern>,
}

impl Sender {
    pub fn may_submit(&self, root_name: &str) -> bool {
        self.allowed_messages.iter().any(|p| p.matches(root_name))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    BearerTokenSha256([u8; 32]),
    ClientCertificateSubject(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Destination {
    pub name: String,
    pub concurrency: usize,
    pub retry_policy: RetryPolicy,
    pub kind: DestinationKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DestinationKind {
    Http {
        url: reqwest::Url,
        timeout: Duration,
        headers: Vec<(http::HeaderName, http::HeaderValue)>,
        tls: DestinationTls,
    },
    Directory {
        path: PathBuf,
    },
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DestinationTls {
    pub ca_file: Option<PathBuf>,
    pub client_certificate_file: Option<PathBuf>,
    pub client_private_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappingKind {
    /// The original bytes, unchanged, as `application/xml`.
    Identity,
    /// A declarative mapping file, compiled by `mapping::Mappings::compile`.
    Declarative { file: PathBuf },
}

#[derive(Debug, Clone)]
pub struct MappingConfig {
    pub name: String,
    pub kind: MappingKind,
}

/// One thing wrong with a configuration, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    pub location: String,
    pub message: String,
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    pub problems: Vec<ConfigProblem>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} has {} problem(s):",
            self.path.display(),
            self.problems.len()
        )?;
        for problem in &self.problems {
            write!(f, "\n  {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let fail = |message: String| ConfigError {
        path: path.to_owned(),
        problems: vec![ConfigProblem {
            location: path.display().to_string(),
            message,
        }],
    };
    let text = std::fs::read_to_string(path).map_err(|e| fail(format!("cannot read: {e}")))?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| fail(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let mut problems = Problems::default();
    let config = build(file, base, path, &mut problems);
    if problems.0.is_empty() {
        Ok(config)
    } else {
        Err(ConfigError {
            path: path.to_owned(),
            problems: problems.0,
        })
    }
}

#[derive(Default)]
struct Problems(Vec<ConfigProblem>);

impl Problems {
    fn push(&mut self, location: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigProblem {
            location: location.into(),
            message: message.into(),
        });
    }
}

fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_owned()
    } else {
        base.join(path)
    }
}

fn seconds(location: &str, value: f64, problems: &mut Problems) -> Duration {
    Duration::try_from_secs_f64(value).unwrap_or_else(|_| {
        problems.push(
            location,
            format!("{value} is not a valid number of seconds"),
        );
        Duration::ZERO
    })
}

fn build(file: ConfigFile, base: &Path, path: &Path, problems: &mut Problems) -> Config {
    let defaults = Limits::default();
    let limits_file = &file.limits;
    let limits = Limits {
        max_body_bytes: limits_file
            .max_body_bytes
            .unwrap_or(defaults.max_body_bytes),
        max_nesting_depth: limits_file
            .max_nesting_depth
            .unwrap_or(defaults.max_nesting_depth),
        max_attributes_per_element: limits_file
            .max_attributes_per_element
            .unwrap_or(defaults.max_attributes_per_element),
        max_text_bytes: limits_file
            .max_text_bytes
            .unwrap_or(defaults.max_text_bytes),
        max_concurrent_requests: limits_file
            .max_concurrent_requests
            .unwrap_or(defaults.max_concurrent_requests),
        queue_capacity: limits_file
            .queue_capacity
            .unwrap_or(defaults.queue_capacity),
        retry_after: limits_file
            .retry_after_seconds
            .map(Duration::from_secs)
            .unwrap_or(defaults.retry_after),
    };
    for (name, value) in [
        ("limits.max_body_bytes", limits.max_body_bytes),
        ("limits.max_nesting_depth", limits.max_nesting_depth),
        (
            "limits.max_attributes_per_element",
            limits.max_attributes_per_element,
        ),
        ("limits.max_text_bytes", limits.max_text_bytes),
        (
            "limits.max_concurrent_requests",
            limits.max_concurrent_requests,
        ),
        ("limits.queue_capacity", limits.queue_capacity),
    ] {
        if value == 0 {
            problems.push(name, "must be greater than 0");
        }
    }

    let mut listeners = Vec::new();
    if file.listeners.is_empty() {
        problems.push("listener", "at least one [[listener]] is required");
    }
    for (index, listener) in file.listeners.iter().enumerate() {
        let location = format!("listener[{index}]");
        let address = match listener.address.parse::<SocketAddr>() {
            Ok(address) => address,
            Err(e) => {
                problems.push(
                    format!("{location}.address"),
                    format!("{:?}: {e}", listener.address),
                );
                continue;
            }
        };
        let tls = listener.tls.as_ref().map(|tls| ListenerTls {
            certificate_file: resolve(base, &tls.certificate_file),
            private_key_file: resolve(base, &tls.private_key_file),
            client_ca_file: tls.client_ca_file.as_deref().map(|p| resolve(base, p)),
            require_client_certificate: tls.require_client_certificate,
        });
        if let Some(tls) = &tls {
            if tls.require_client_certificate && tls.client_ca_file.is_none() {
                problems.push(
                    format!("{location}.tls"),
                    "require_client_certificate needs client_ca_file",
                );
            }
            for file in [Some(&tls.certificate_file), Some(&tls.private_key_file)]
                .into_iter()
                .chain([tls.client_ca_file.as_ref()])
                .flatten()
            {
                if !file.is_file() {
                    problems.push(
                        format!("{location}.tls"),
                        format!("{} does not exist", file.display()),
                    );
                }
            }
        }
        listeners.push(Listener { address, tls });
    }

    let store = match file.store {
        file::StoreFile::Sqlite {
            path,
            max_batch_size,
        } => StoreConfig::Sqlite {
            path: resolve(base, &path),
            max_batch_size: max_batch_size.unwrap_or(256).max(1),
        },
    };

    let telemetry = TelemetryConfig {
        log_format: match file.telemetry.log_format.as_deref() {
            None | Some("human") => LogFormat::Human,
            Some("json") => LogFormat::Json,
            Some(other) => {
                problems.push(
                    "telemetry.log_format",
                    format!("{other:?} is neither \"human\" nor \"json\""),
                );
                LogFormat::Human
            }
        },
        log_filter: file
            .telemetry
            .log_filter
            .unwrap_or_else(|| "info".to_owned()),
    };

    let mut schema_names = HashSet::new();
    let schema_sets: Vec<SchemaSetConfig> = file
        .schema_sets
        .into_iter()
        .map(|set| {
            if !schema_names.insert(set.name.clone()) {
                problems.push(
                    format!("schema_set {:?}", set.name),
                    "defined more than once",
                );
            }
            if set.entry_files.is_empty() {
                problems.push(format!("schema_set {:?}", set.name), "has no entry_files");
            }
            SchemaSetConfig {
                entry_files: set.entry_files.iter().map(|p| resolve(base, p)).collect(),
                catalog: set.catalog.as_deref().map(|p| resolve(base, p)),
                name: set.name,
            }
        })
        .collect();

    let mut senders = Vec::new();
    let mut sender_names = HashSet::new();
    for sender in file.senders {
        let location = format!("sender {:?}", sender.name);
        if !sender_names.insert(sender.name.clone()) {
            problems.push(&location, "defined more than once");
        }
        let mut credentials = Vec::new();
        if let Some(hash) = &sender.bearer_token_sha256 {
            match parse_sha256(hash) {
                Some(digest) => credentials.push(Credential::BearerTokenSha256(digest)),
                None => problems.push(
                    format!("{location}.bearer_token_sha256"),
                    "must be 64 hexadecimal digits (the SHA-256 of the token)",
                ),
            }
        }
        if let Some(subject) = &sender.client_certificate_subject {
            credentials.push(Credential::ClientCertificateSubject(subject.clone()));
        }
        if credentials.is_empty() {
            problems.push(
                &location,
                "needs bearer_token_sha256 or client_certificate_subject",
            );
        }
        if sender.allowed_messages.is_empty() {
            problems.push(
                format!("{location}.allowed_messages"),
                "is empty: the sender could submit nothing (use [\"*\"] for everything)",
            );
        }
        senders.push(Sender {
            name: sender.name,
            credentials,
            allowed_messages: sender
                .allowed_messages
                .iter()
                .map(|p| NamePattern::new(p))
                .collect(),
        });
    }

    let mut admin_credentials = Vec::new();
    for hash in &file.admin.bearer_token_sha256 {
        match parse_sha256(hash) {
            Some(digest) => admin_credentials.push(Credential::BearerTokenSha256(digest)),
            None => problems.push(
                "admin.bearer_token_sha256",
                "must be 64 hexadecimal digits (the SHA-256 of the token)",
            ),
        }
    }
    for subject in &file.admin.client_certificate_subject {
        admin_credentials.push(Credential::ClientCertificateSubject(subject.clone()));
    }
    let admins = vec![Sender {
        name: "admin".into(),
        credentials: admin_credentials,
        allowed_messages: Vec::new(),
    }];

    let mut retry_policies = BTreeMap::new();
    for (name, policy) in &file.retry_policies {
        let location = format!("retry_policy.{name}");
        let default = RetryPolicy::default();
        let policy = RetryPolicy {
            max_attempts: policy.max_attempts.unwrap_or(default.max_attempts).max(1),
            max_age: policy
                .max_age_seconds
                .map(|s| seconds(&location, s, problems))
                .unwrap_or(default.max_age),
            initial_backoff: policy
                .initial_backoff_seconds
                .map(|s| seconds(&location, s, problems))
                .unwrap_or(default.initial_backoff),
            max_backoff: policy
                .max_backoff_seconds
                .map(|s| seconds(&location, s, problems))
                .unwrap_or(default.max_backoff),
        };
        if policy.initial_backoff > policy.max_backoff {
            problems.push(
                &location,
                "initial_backoff_seconds exceeds max_backoff_seconds",
            );
        }
        retry_policies.insert(name.clone(), policy);
    }
    let policy_named = |location: &str, name: &Option<String>, problems: &mut Problems| match name {
        None => retry_policies.get("default").cloned().unwrap_or_default(),
        Some(name) => retry_policies.get(name).cloned().unwrap_or_else(|| {
            problems.push(location, format!("unknown retry_policy {name:?}"));
            RetryPolicy::default()
        }),
    };

    let mut destinations = Vec::new();
    let mut destination_names = HashSet::new();
    for destination in file.destinations {
        match destination {
            file::DestinationFile::Http {
                name,
                url,
                timeout_seconds,
                headers,
                concurrency,
                retry_policy,
                tls,
            } => {
                let location = format!("destination {name:?}");
                let url = match reqwest::Url::parse(&url) {
                    Ok(url) if matches!(url.scheme(), "http" | "https") => url,
                    Ok(_) | Err(_) => {
                        problems.push(
                            format!("{location}.url"),
                            format!("{url:?} is not an http(s) URL"),
                        );
                        continue;
                    }
                };
                let mut typed_headers = Vec::new();
                for (header, value) in headers {
                    match (
                        http::HeaderName::try_from(header.as_str()),
                        http::HeaderValue::try_from(value.as_str()),
                    ) {
                        (Ok(header), Ok(value)) => typed_headers.push((header, value)),
                        _ => problems.push(
                            format!("{location}.headers"),
                            format!("{header:?} is not a valid header"),
                        ),
                    }
                }
                let tls = tls
                    .map(|tls| DestinationTls {
                        ca_file: tls.ca_file.as_deref().map(|p| resolve(base, p)),
                        client_certificate_file: tls
                            .client_certificate_file
                            .as_deref()
                            .map(|p| resolve(base, p)),
                        client_private_key_file: tls
                            .client_private_key_file
                            .as_deref()
                            .map(|p| resolve(base, p)),
                    })
                    .unwrap_or_default();
                if tls.client_certificate_file.is_some() != tls.client_private_key_file.is_some() {
                    problems.push(
                        format!("{location}.tls"),
                        "client_certificate_file and client_private_key_file go together",
                    );
                }
                let retry_policy =
                    policy_named(&format!("{location}.retry_policy"), &retry_policy, problems);
                if !destination_names.insert(name.clone()) {
                    problems.push(&location, "defined more than once");
                }
                destinations.push(Destination {
                    concurrency: concurrency.unwrap_or(8).max(1),
                    retry_policy,
                    kind: DestinationKind::Http {
                        url,
                        timeout: seconds(
                            &format!("{location}.timeout_seconds"),
                            timeout_seconds.unwrap_or(30.0),
                            problems,
                        ),
                        headers: typed_headers,
                        tls,
                    },
                    name,
                });
            }
            file::DestinationFile::Directory {
                name,
                path,
                concurrency,
                retry_policy,
            } => {
                let location = format!("destination {name:?}");
                let retry_policy =
                    policy_named(&format!("{location}.retry_policy"), &retry_policy, problems);
                if !destination_names.insert(name.clone()) {
                    problems.push(&location, "defined more than once");
                }
                destinations.push(Destination {
                    concurrency: concurrency.unwrap_or(2).max(1),
                    retry_policy,
                    kind: DestinationKind::Directory {
                        path: resolve(base, &path),
                    },
                    name,
                });
            }
        }
    }

    let mut mappings = Vec::new();
    for mapping in file.mappings {
        let location = format!("mapping {:?}", mapping.name);
        let kind = match (mapping.kind.as_str(), &mapping.file) {
            ("identity", None) => MappingKind::Identity,
            ("declarative", Some(file)) => MappingKind::Declarative {
                file: resolve(base, file),
            },
            ("identity", Some(_)) => {
                problems.push(&location, "an identity mapping takes no file");
                continue;
            }
            ("declarative", None) => {
                problems.push(&location, "a declarative mapping needs file = \"...\"");
                continue;
            }
            (other, _) => {
                problems.push(
                    format!("{location}.kind"),
                    format!("unknown kind {other:?} (known: \"identity\", \"declarative\")"),
                );
                continue;
            }
        };
        mappings.push(MappingConfig {
            name: mapping.name,
            kind,
        });
    }

    let mut routes = Vec::new();
    let mut route_names = HashSet::new();
    for route in file.routes {
        let location = format!("route {:?}", route.name);
        if !route_names.insert(route.name.clone()) {
            problems.push(&location, "defined more than once");
        }
        if let Some(set) = &route.schema_set {
            if !schema_names.contains(set) {
                problems.push(&location, format!("unknown schema_set {set:?}"));
            }
        }
        if let Some(sender) = &route.sender {
            if !sender_names.contains(sender) {
                problems.push(&location, format!("unknown sender {sender:?}"));
            }
        }
        if route.destinations.is_empty() {
            problems.push(&location, "names no destinations");
        }
        let targets: Vec<RouteTarget> = route
            .destinations
            .into_iter()
            .map(|target| match target {
                file::RouteDestinationFile::Name(destination) => RouteTarget {
                    destination,
                    mapping: None,
                },
                file::RouteDestinationFile::WithMapping {
                    destination,
                    mapping,
                } => RouteTarget {
                    destination,
                    mapping,
                },
            })
            .collect();
        for target in &targets {
            if !destination_names.contains(&target.destination) {
                problems.push(
                    &location,
                    format!("unknown destination {:?}", target.destination),
                );
            }
            if let Some(mapping) = &target.mapping {
                if !mappings.iter().any(|m| &m.name == mapping) {
                    problems.push(&location, format!("unknown mapping {mapping:?}"));
                }
            }
        }
        routes.push(Route {
            name: route.name,
            root_namespace: route.root_namespace,
            root_name: route.root_name.as_deref().map(NamePattern::new),
            leser_kennung: route.leser_kennung.as_deref().map(NamePattern::new),
            nachrichtentyp: route.nachrichtentyp.as_deref().map(NamePattern::new),
            sender: route.sender,
            schema_set: route.schema_set,
            targets,
        });
    }

    Config {
        source_path: path.to_owned(),
        listeners,
        limits,
        store,
        telemetry,
        schema_sets,
        senders,
        admins,
        routes,
        destinations,
        mappings,
    }
}

fn parse_sha256(hex_digest: &str) -> Option<[u8; 32]> {
    let bytes = hex::decode(hex_digest.trim()).ok()?;
    bytes.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("gateway.toml");
        std::fs::write(&path, text).expect("write config");
        load(&path)
    }

    #[test]
    fn the_example_config_loads() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/gateway.toml");
        let config = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.listeners[0].address.to_string(), "127.0.0.1:8080");
        assert!(!config.routes.is_empty());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let error = load_str(
            "[store]\nkind = \"sqlite\"\npath = \"x\"\n[[listener]]\naddress = \"127.0.0.1:1\"\nport = 3\n",
        )
        .expect_err("unknown field");
        assert!(
            error.to_string().contains("unknown field `port`"),
            "{error}"
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let error = load_str(
            r#"
[store]
kind = "sqlite"
path = "store.sqlite"
[[listener]]
address = "not an address"
[[sender]]
name = "portal"
bearer_token_sha256 = "abc"
allowed_messages = ["*"]
[[route]]
name = "r"
schema_set = "missing-set"
destinations = ["nowhere"]
[[destination]]
kind = "http"
name = "bad-url"
url = "ftp://example"
"#,
        )
        .expect_err("invalid config");
        let text = error.to_string();
        for expected in [
            "listener[0].address",
            "bearer_token_sha256",
            "unknown schema_set \"missing-set\"",
            "unknown destination \"nowhere\"",
            "is not an http(s) URL",
        ] {
            assert!(text.contains(expected), "missing {expected:?} in\n{text}");
        }
    }

    #[test]
    fn relative_paths_resolve_against_the_config_file() {
        let config = load_str(
            "[store]\nkind = \"sqlite\"\npath = \"data/store.sqlite\"\n[[listener]]\naddress = \"127.0.0.1:0\"\n",
        )
        .expect("valid config");
        let StoreConfig::Sqlite { path, .. } = &config.store;
        assert!(path.is_absolute() || path.starts_with(std::env::temp_dir()));
        assert!(path.ends_with("data/store.sqlite"));
    }
}
