//! How a payload reaches a destination: HTTP POST or an atomic file drop. Each attempt ends in
//! a typed [`AttemptOutcome`]; nothing downstream matches on strings.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use http::StatusCode;

use crate::config::{DestinationKind, DestinationTls};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered {
        http_status: Option<u16>,
    },
    Retry {
        http_status: Option<u16>,
        retry_after: Option<Duration>,
        reason: String,
    },
    Reject {
        http_status: Option<u16>,
        reason: String,
    },
}

pub struct OutgoingMessage<'a> {
    pub submission_id: &'a str,
    pub message_uuid: Option<&'a str>,
    pub body: &'a [u8],
    pub content_type: &'static str,
}

pub enum Transport {
    Http {
        client: reqwest::Client,
        url: reqwest::Url,
        headers: http::HeaderMap,
    },
    Directory {
        path: PathBuf,
    },
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Pem { path: PathBuf, message: String },
    #[error("TLS configuration: {0}")]
    Tls(String),
    #[error("HTTP client: {0}")]
    Client(String),
}

pub fn read_certificates(
    path: &Path,
) -> Result<Vec<rustls_pki_types::CertificateDer<'static>>, TransportError> {
    use rustls_pki_types::pem::PemObject;
    let certificates: Result<Vec<_>, _> = rustls_pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| TransportError::Pem {
            path: path.to_owned(),
            message: e.to_string(),
        })?
        .collect();
    let certificates = certificates.map_err(|e| TransportError::Pem {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    if certificates.is_empty() {
        return Err(TransportError::Pem {
            path: path.to_owned(),
            message: "no certificate found".into(),
        });
    }
    Ok(certificates)
}

pub fn read_pem_private_key(
    path: &Path,
) -> Result<rustls_pki_types::PrivateKeyDer<'static>, TransportError> {
    use rustls_pki_types::pem::PemObject;
    rustls_pki_types::PrivateKeyDer::from_pem_file(path).map_err(|e| TransportError::Pem {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

fn client_tls(tls: &DestinationTls) -> Result<rustls::ClientConfig, TransportError> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(ca_file) = &tls.ca_file {
        for certificate in read_certificates(ca_file)? {
            roots
                .add(certificate)
                .map_err(|e| TransportError::Tls(e.to_string()))?;
        }
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?
        .with_root_certificates(roots);
    match (&tls.client_certificate_file, &tls.client_private_key_file) {
        (Some(certificate), Some(key)) => builder
            .with_client_auth_cert(read_certificates(certificate)?, read_pem_private_key(key)?)
            .map_err(|e| TransportError::Tls(e.to_string())),
        _ => Ok(builder.with_no_client_auth()),
    }
}

impl Transport {
    pub fn new(kind: &DestinationKind) -> Result<Transport, TransportError> {
        match kind {
            DestinationKind::Http {
                url,
                timeout,
                headers,
                tls,
            } => {
                let client = reqwest::Client::builder()
                    .use_preconfigured_tls(client_tls(tls)?)
                    .timeout(*timeout)
                    .connect_timeout((*timeout).min(Duration::from_secs(10)))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| TransportError::Client(e.to_string()))?;
                let mut header_map = http::HeaderMap::new();
                for (name, value) in headers {
                    header_map.append(name.clone(), value.clone());
                }
                Ok(Transport::Http {
                    client,
                    url: url.clone(),
                    headers: header_map,
                })
            }
            DestinationKind::Directory { path } => Ok(Transport::Directory { path: path.clone() }),
        }
    }

    pub async fn send(&self, message: &OutgoingMessage<'_>) -> AttemptOutcome {
        match self {
            Transport::Http {
                client,
                url,
                headers,
            } => post(client, url, headers, message).await,
            Transport::Directory { path } => {
                let path = path.clone();
                let name = format!(
                    "{}.{}",
                    message.submission_id,
                    extension(message.content_type)
                );
                let body = message.body.to_vec();
                match tokio::task::spawn_blocking(move || write_atomically(&path, &name, &body))
                    .await
                {
                    Ok(Ok(())) => AttemptOutcome::Delivered { http_status: None },
                    Ok(Err(error)) => AttemptOutcome::Retry {
                        http_status: None,
                        retry_after: None,
                        reason: format!("directory write failed: {}", error.kind()),
                    },
                    Err(_) => AttemptOutcome::Retry {
                        http_status: None,
                        retry_after: None,
                        reason: "directory write task failed".into(),
                    },
                }
            }
        }
    }
}

fn extension(content_type: &str) -> &'static str {
    if content_type.contains("json") {
        "json"
    } else {
        "xml"
    }
}

async fn post(
    client: &reqwest::Client,
    url: &reqwest::Url,
    headers: &http::HeaderMap,
    message: &OutgoingMessage<'_>,
) -> AttemptOutcome {
    let mut request = client
        .post(url.clone())
        .headers(headers.clone())
        .header(http::header::CONTENT_TYPE, message.content_type)
        .header("X-Submission-Id", message.submission_id)
        .body(message.body.to_vec());
    if let Some(uuid) = message.message_uuid {
        request = request.header("X-Message-UUID", uuid);
    }
    match request.send().await {
        Ok(response) => classify(response.status(), response.headers(), SystemTime::now()),
        Err(error) => AttemptOutcome::Retry {
            http_status: None,
            retry_after: None,
            reason: if error.is_timeout() {
                "timeout".into()
            } else if error.is_connect() {
                "connection failed".into()
            } else {
                "request failed".into()
            },
        },
    }
}

/// 2xx delivered; 408, 429 and 5xx retried (honouring `Retry-After`); every other status is a
/// rejection that no retry can fix.
pub fn classify(status: StatusCode, headers: &http::HeaderMap, now: SystemTime) -> AttemptOutcome {
    let code = Some(status.as_u16());
    if status.is_success() {
        return AttemptOutcome::Delivered { http_status: code };
    }
    if status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || status.is_server_error()
    {
        return AttemptOutcome::Retry {
            http_status: code,
            retry_after: headers
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| parse_retry_after(v, now)),
            reason: format!("HTTP {}", status.as_u16()),
        };
    }
    AttemptOutcome::Reject {
        http_status: code,
        reason: format!("rejected with HTTP {}", status.as_u16()),
    }
}

/// `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Writes `name` into `directory` so that a reader of the directory only ever sees complete
/// files: temp file, fsync, rename, fsync of the directory (the rename itself must be durable).
pub fn write_atomically(directory: &Path, name: &str, body: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(directory)?;
    let final_path = directory.join(name);
    let temp_path = directory.join(format!(".{name}.partial"));
    {
        let mut file = std::fs::File::create(&temp_path)?;
        file.write_all(body)?;
        file.sync_all()?;
    }
    std::fs::rename(&temp_path, &final_path)?;
    std::fs::File::open(directory)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_classified() {
        let none = http::HeaderMap::new();
        let now = SystemTime::now();
        assert!(matches!(
            classify(StatusCode::ACCEPTED, &none, now),
            AttemptOutcome::Delivered {
                http_status: Some(202)
            }
        ));
        for retried in [408, 429, 500, 502, 503] {
            let status = StatusCode::from_u16(retried).expect("status");
            assert!(
                matches!(classify(status, &none, now), AttemptOutcome::Retry { .. }),
                "{retried}"
            );
        }
        for rejected in [301, 400, 401, 404, 409, 422] {
            let status = StatusCode::from_u16(rejected).expect("status");
            assert!(
                matches!(classify(status, &none, now), AttemptOutcome::Reject { .. }),
                "{rejected}"
            );
        }
    }

    #[test]
    fn retry_after_in_seconds_and_as_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            parse_retry_after(&later, now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(parse_retry_after("soon", now), None);
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("3"),
        );
        assert_eq!(
            classify(StatusCode::SERVICE_UNAVAILABLE, &headers, now),
            AttemptOutcome::Retry {
                http_status: Some(503),
                retry_after: Some(Duration::from_secs(3)),
                reason: "HTTP 503".into()
            }
        );
    }

    #[test]
    fn atomic_write_leaves_only_the_complete_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_atomically(dir.path(), "s1.xml", b"<a/>").expect("write");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .collect();
        assert_eq!(names, vec!["s1.xml".to_owned()]);
        assert_eq!(
            std::fs::read(dir.path().join("s1.xml")).expect("read"),
            b"<a/>"
        );
    }
}
