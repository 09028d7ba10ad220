//! Metrics and logs. Logs never contain payloads: only ids, names and error classes.

mod metrics;

pub use metrics::{Metrics, RefusalReason};

use crate::config::{LogFormat, TelemetryConfig};

/// Installs the global tracing subscriber (human or JSON lines on stderr).
pub fn init_tracing(config: &TelemetryConfig) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&config.log_filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}
