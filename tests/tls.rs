//! HTTPS with client certificates, both ways: gateway A delivers over mTLS (custom CA, client
//! certificate) to gateway B, whose HTTPS listener requires client certificates and identifies
//! the sender by the certificate's subject alternative name.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use support::*;

struct Pki {
    ca_pem: String,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

impl Pki {
    fn new() -> Pki {
        let ca_key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "xoev-gateway test CA");
        let ca = params.self_signed(&ca_key).expect("CA");
        Pki {
            ca_pem: ca.pem(),
            ca,
            ca_key,
        }
    }

    /// Writes `<name>.pem` and `<name>.key` into `dir`.
    fn issue(&self, dir: &Path, name: &str, alternative_names: &[&str]) {
        let key = KeyPair::generate().expect("key");
        let mut params = CertificateParams::new(
            alternative_names
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>(),
        )
        .expect("params");
        params.distinguished_name.push(DnType::CommonName, name);
        let certificate = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("sign");
        std::fs::write(dir.join(format!("{name}.pem")), certificate.pem()).expect("write");
        std::fs::write(dir.join(format!("{name}.key")), key.serialize_pem()).expect("write");
    }
}

fn client_with_certificate(dir: &Path, name: Option<&str>) -> reqwest::Client {
    use rustls_pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for certificate in
        rustls_pki_types::CertificateDer::pem_file_iter(dir.join("ca.pem")).expect("ca")
    {
        roots.add(certificate.expect("cert")).expect("add");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = match name {
        Some(name) => {
            let chain: Vec<_> =
                rustls_pki_types::CertificateDer::pem_file_iter(dir.join(format!("{name}.pem")))
                    .expect("cert")
                    .map(|c| c.expect("cert"))
                    .collect();
            let key =
                rustls_pki_types::PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key")))
                    .expect("key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client auth")
        }
        None => builder.with_no_client_auth(),
    };
    reqwest::Client::builder()
        .use_preconfigured_tls(config)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_inbound_and_outbound() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pki = Pki::new();
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).expect("ca");
    pki.issue(dir.path(), "gateway-b", &["127.0.0.1", "localhost"]);
    pki.issue(dir.path(), "gateway-a-client", &["gateway-a.land.example"]);
    pki.issue(dir.path(), "stranger", &["stranger.example"]);

    // Gateway B: HTTPS only, client certificates required; gateway A is a known sender.
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&b_dir).expect("dir");
    let receiver = Receiver::start(200).await;
    let b_config = b_dir.join("gateway.toml");
    std::fs::write(
        &b_config,
        format!(
            r#"
[[listener]]
address = "127.0.0.1:0"
tls = {{ certificate_file = "../gateway-b.pem", private_key_file = "../gateway-b.key", client_ca_file = "../ca.pem", require_client_certificate = true }}

[store]
kind = "sqlite"
path = "b.sqlite"

[[sender]]
name = "gateway-a"
client_certificate_subject = "gateway-a.land.example"
allowed_messages = ["bauantrag.*"]

[[route]]
name = "onward"
root_name = "bauantrag.*"
destinations = ["receiver"]

[[destination]]
kind = "http"
name = "receiver"
url = "{}"
"#,
            receiver.url
        ),
    )
    .expect("write");
    let gateway_b = GatewayProcess::start(&b_config);
    assert!(gateway_b.url.starts_with("https://"));

    // Without a client certificate the handshake fails; with an unknown one it is a 401.
    let anonymous = client_with_certificate(dir.path(), None)
        .post(gateway_b.endpoint("/v1/submissions"))
        .header("content-type", "application/xml")
        .body(example_message(&new_uuid()))
        .send()
        .await;
    assert!(anonymous.is_err(), "a client certificate is required");
    let stranger = client_with_certificate(dir.path(), Some("stranger"))
        .post(gateway_b.endpoint("/v1/submissions"))
        .header("content-type", "application/xml")
        .body(example_message(&new_uuid()))
        .send()
        .await
        .expect("TLS works with a certificate of the CA");
    assert_eq!(stranger.status().as_u16(), 401);

    // Gateway A delivers to B over mTLS with its client certificate and the custom CA.
    let a_dir = dir.path().join("a");
    std::fs::create_dir_all(&a_dir).expect("dir");
    let a_config = http_config(
        &a_dir,
        &[],
        &format!(
            r#"
[[route]]
name = "to-b"
root_name = "bauantrag.*"
destinations = ["gateway-b"]

[[destination]]
kind = "http"
name = "gateway-b"
url = "{}/v1/submissions"
tls = {{ ca_file = "../ca.pem", client_certificate_file = "../gateway-a-client.pem", client_private_key_file = "../gateway-a-client.key" }}
"#,
            gateway_b.url
        ),
    );
    let gateway_a = GatewayProcess::start(&a_config);
    let uuid = new_uuid();
    let response = post_xml(&gateway_a, example_message(&uuid)).await;
    assert_eq!(response.status().as_u16(), 202);
    eventually(
        "delivered through A and B",
        Duration::from_secs(30),
        || async { (receiver.delivered_by_uuid().get(&uuid) == Some(&1)).then_some(()) },
    )
    .await;
}
