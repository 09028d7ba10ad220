//! The serde mirror of the configuration file. Nothing outside `config` sees these types: they
//! are turned into the typed [`crate::config::Config`] by `config::load`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default, rename = "listener")]
    pub listeners: Vec<ListenerFile>,
    #[serde(default)]
    pub limits: LimitsFile,
    pub store: StoreFile,
    #[serde(default)]
    pub telemetry: TelemetryFile,
    #[serde(default, rename = "schema_set")]
    pub schema_sets: Vec<SchemaSetFile>,
    #[serde(default, rename = "sender")]
    pub senders: Vec<SenderFile>,
    #[serde(default)]
    pub admin: AdminFile,
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteFile>,
    #[serde(default, rename = "destination")]
    pub destinations: Vec<DestinationFile>,
    #[serde(default, rename = "retry_policy")]
    pub retry_policies: BTreeMap<String, RetryPolicyFile>,
    #[serde(default, rename = "mapping")]
    pub mappings: Vec<MappingFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerFile {
    pub address: String,
    pub tls: Option<ListenerTlsFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListenerTlsFile {
    pub certificate_file: PathBuf,
    pub private_key_file: PathBuf,
    pub client_ca_file: Option<PathBuf>,
    #[serde(default)]
    pub require_client_certificate: bool,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsFile {
    pub max_body_bytes: Option<usize>,
    pub max_nesting_depth: Option<usize>,
    pub max_attributes_per_element: Option<usize>,
    pub max_text_bytes: Option<usize>,
    pub max_concurrent_requests: Option<usize>,
    pub queue_capacity: Option<usize>,
    pub retry_after_seconds: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum StoreFile {
    Sqlite {
        path: PathBuf,
        max_batch_size: Option<usize>,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetryFile {
    pub log_format: Option<String>,
    pub log_filter: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemaSetFile {
    pub name: String,
    pub entry_files: Vec<PathBuf>,
    pub catalog: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SenderFile {
    pub name: String,
    /// Hex SHA-256 of the bearer token; the token itself never appears in the config.
    pub bearer_token_sha256: Option<String>,
    /// Subject DN (RFC 4514 form) or a DNS/URI subject alternative name of the client certificate.
    pub client_certificate_subject: Option<String>,
    #[serde(default)]
    pub allowed_messages: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteFile {
    pub name: String,
    pub root_namespace: Option<String>,
    pub root_name: Option<String>,
    pub leser_kennung: Option<String>,
    pub nachrichtentyp: Option<String>,
    pub sender: Option<String>,
    pub schema_set: Option<String>,
    pub destinations: Vec<RouteDestinationFile>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RouteDestinationFile {
    Name(String),
    WithMapping {
        destination: String,
        mapping: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, tag = "kind", rename_all = "snake_case")]
pub enum DestinationFile {
    Http {
        name: String,
        url: String,
        timeout_seconds: Option<f64>,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        concurrency: Option<usize>,
        retry_policy: Option<String>,
        tls: Option<DestinationTlsFile>,
    },
    Directory {
        name: String,
        path: PathBuf,
        concurrency: Option<usize>,
        retry_policy: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DestinationTlsFile {
    pub ca_file: Option<PathBuf>,
    pub client_certificate_file: Option<PathBuf>,
    pub client_private_key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicyFile {
    pub max_attempts: Option<u32>,
    pub max_age_seconds: Option<f64>,
    pub initial_backoff_seconds: Option<f64>,
    pub max_backoff_seconds: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    pub name: String,
    /// `identity` (the original bytes) or `declarative` (a mapping file, see src/mapping).
    pub kind: String,
    /// The mapping file of a `declarative` mapping.
    pub file: Option<PathBuf>,
}

/// Who may use the admin API (dead letters, replay).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminFile {
    #[serde(default)]
    pub bearer_token_sha256: Vec<String>,
    #[serde(default)]
    pub client_certificate_subject: Vec<String>,
}
