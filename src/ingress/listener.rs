//! Listeners: plain HTTP or HTTPS (rustls, optionally requiring client certificates). Our own
//! accept loop, so the client certificate of each connection reaches the handlers as a
//! [`PeerIdentity`] and shutdown can stop accepting yet finish in-flight requests.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use super::PeerIdentity;
use crate::config::{Listener, ListenerTls};
use crate::delivery::{read_certificates, read_pem_private_key, TransportError};

pub struct BoundListener {
    pub listener: TcpListener,
    pub local_address: SocketAddr,
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

impl BoundListener {
    pub async fn bind(config: &Listener) -> std::io::Result<BoundListener> {
        let tls = match &config.tls {
            Some(tls) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(
                server_tls(tls).map_err(std::io::Error::other)?,
            ))),
            None => None,
        };
        let listener = TcpListener::bind(config.address).await?;
        let local_address = listener.local_addr()?;
        Ok(BoundListener {
            listener,
            local_address,
            tls,
        })
    }

    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.local_address)
    }
}

pub fn server_tls(tls: &ListenerTls) -> Result<rustls::ServerConfig, TransportError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| TransportError::Tls(e.to_string()))?;
    let builder = match &tls.client_ca_file {
        Some(ca_file) => {
            let mut roots = rustls::RootCertStore::empty();
            for certificate in read_certificates(ca_file)? {
                roots
                    .add(certificate)
                    .map_err(|e| TransportError::Tls(e.to_string()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            );
            let verifier = if tls.require_client_certificate {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(
                verifier
                    .build()
                    .map_err(|e| TransportError::Tls(e.to_string()))?,
            )
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(
            read_certificates(&tls.certificate_file)?,
            read_pem_private_key(&tls.private_key_file)?,
        )
        .map_err(|e| TransportError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves `router` on `bound` until `shutdown` turns true; then stops accepting and waits (up
/// to `drain_timeout`) for in-flight requests to complete.
pub async fn serve(
    bound: BoundListener,
    router: Router,
    mut shutdown: watch::Receiver<bool>,
    drain_timeout: Duration,
) {
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    // Slow-header clients (slowloris) are cut off; the body has its own timeout in the handler.
    builder
        .http1()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30));
    let builder = Arc::new(builder);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = bound.listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Typically EMFILE: back off briefly instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let builder = Arc::clone(&builder);
        let watcher = graceful.watcher();
        let tls = bound.tls.clone();
        tokio::spawn(async move {
            match tls {
                None => {
                    let service = TowerToHyperService::new(router.into_service());
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                }
                Some(acceptor) => {
                    let stream = match tokio::time::timeout(
                        Duration::from_secs(10),
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(stream)) => stream,
                        Ok(Err(error)) => {
                            tracing::debug!(%error, "TLS handshake failed");
                            return;
                        }
                        Err(_) => return,
                    };
                    let identity = stream
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .and_then(|leaf| PeerIdentity::from_certificate(leaf));
                    let service = router.into_service().map_request(
                        move |mut request: http::Request<hyper::body::Incoming>| {
                            if let Some(identity) = &identity {
                                request.extensions_mut().insert(identity.clone());
                            }
                            request
                        },
                    );
                    let service = TowerToHyperService::new(service);
                    let connection = builder.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(connection.into_owned()).await;
                }
            }
        });
    }
    drop(bound);
    if tokio::time::timeout(drain_timeout, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not finish within the drain timeout");
    }
}
