//! Who is submitting: a bearer token (the config holds only its SHA-256) or the client
//! certificate presented on an mTLS listener (subject DN or a subject alternative name).

use sha2::{Digest, Sha256};

use crate::config::{Credential, Sender};

/// What the TLS layer learned about the peer of one connection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PeerIdentity {
    /// RFC 4514 form of the certificate's subject, e.g. `CN=portal,O=Land`.
    pub subject: Option<String>,
    /// DNS names, URIs and e-mail addresses from the subject alternative name extension.
    pub alternative_names: Vec<String>,
}

impl PeerIdentity {
    pub fn from_certificate(der: &[u8]) -> Option<PeerIdentity> {
        use x509_parser::extensions::GeneralName;
        let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
        let mut alternative_names = Vec::new();
        if let Ok(Some(san)) = certificate.subject_alternative_name() {
            for name in &san.value.general_names {
                match name {
                    GeneralName::DNSName(n) | GeneralName::URI(n) | GeneralName::RFC822Name(n) => {
                        alternative_names.push((*n).to_owned())
                    }
                    _ => {}
                }
            }
        }
        Some(PeerIdentity {
            subject: Some(certificate.subject().to_string()),
            alternative_names,
        })
    }

    fn presents(&self, expected: &str) -> bool {
        self.subject.as_deref() == Some(expected)
            || self.alternative_names.iter().any(|n| n == expected)
    }
}

#[derive(Debug, Clone, Default)]
pub struct Authenticator {
    senders: Vec<Sender>,
}

impl Authenticator {
    pub fn new(senders: Vec<Sender>) -> Authenticator {
        Authenticator { senders }
    }

    /// The sender these credentials belong to; a bearer token is checked first.
    pub fn authenticate(
        &self,
        bearer_token: Option<&str>,
        peer: Option<&PeerIdentity>,
    ) -> Option<&Sender> {
        if let Some(token) = bearer_token {
            let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            return self.senders.iter().find(|sender| {
                sender.credentials.iter().any(|c| match c {
                    Credential::BearerTokenSha256(expected) => constant_time_eq(expected, &digest),
                    Credential::ClientCertificateSubject(_) => false,
                })
            });
        }
        let peer = peer?;
        self.senders.iter().find(|sender| {
            sender.credentials.iter().any(|c| match c {
                Credential::ClientCertificateSubject(expected) => peer.presents(expected),
                Credential::BearerTokenSha256(_) => false,
            })
        })
    }
}

/// Comparing digests without an early exit keeps their content from leaking through timing.
fn constant_time_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    let value = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

pub fn sha256_hex(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::NamePattern;

    fn senders() -> Authenticator {
        Authenticator::new(vec![
            Sender {
                name: "portal".into(),
                credentials: vec![Credential::BearerTokenSha256(
                    Sha256::digest(b"secret-token").into(),
                )],
                allowed_messages: vec![NamePattern::new("*")],
            },
            Sender {
                name: "land".into(),
                credentials: vec![Credential::ClientCertificateSubject(
                    "portal.land.example".into(),
                )],
                allowed_messages: vec![NamePattern::new("*.antrag.*")],
            },
        ])
    }

    #[test]
    fn tokens_are_matched_by_hash() {
        let auth = senders();
        assert_eq!(
            auth.authenticate(Some("secret-token"), None)
                .map(|s| s.name.as_str()),
            Some("portal")
        );
        assert!(auth.authenticate(Some("wrong"), None).is_none());
        assert!(auth.authenticate(None, None).is_none());
    }

    #[test]
    fn certificates_are_matched_by_subject_or_alternative_name() {
        let auth = senders();
        let peer = PeerIdentity {
            subject: Some("CN=whatever".into()),
            alternative_names: vec!["portal.land.example".into()],
        };
        assert_eq!(
            auth.authenticate(None, Some(&peer))
                .map(|s| s.name.as_str()),
            Some("land")
        );
        let stranger = PeerIdentity {
            subject: Some("CN=stranger".into()),
            alternative_names: vec![],
        };
        assert!(auth.authenticate(None, Some(&stranger)).is_none());
    }

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        let mut headers = http::HeaderMap::new();
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("bearer abc"),
        );
        assert_eq!(bearer_token(&headers), Some("abc"));
        headers.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Basic abc"),
        );
        assert_eq!(bearer_token(&headers), None);
    }
}
