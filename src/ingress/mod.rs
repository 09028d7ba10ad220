//! Ingress: the HTTP API. Submissions are read with a size limit, checked by the pipeline,
//! stored durably, and only then acknowledged.

mod auth;
mod listener;
mod problem;

pub use auth::{bearer_token, sha256_hex, Authenticator, PeerIdentity};
pub use listener::{serve, server_tls, BoundListener};
pub use problem::ProblemDetails;

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::Serialize;
use tracing::Instrument;

use crate::gateway::Gateway;
use crate::pipeline::{Problem, Refusal};
use crate::store::{now_millis, AcceptOutcome, NewDelivery, NewSubmission};
use crate::telemetry::RefusalReason;

const BODY_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

pub fn router(gateway: Arc<Gateway>) -> Router {
    Router::new()
        .route("/v1/submissions", post(submit))
        .route("/v1/submissions/{id}", get(submission_status))
        .route("/v1/dead-letters", get(dead_letters))
        .route("/v1/dead-letters/{id}/replay", post(replay))
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .with_state(gateway)
}

#[derive(Debug, Serialize)]
struct AcceptedBody<'a> {
    id: &'a str,
    message_uuid: Option<&'a str>,
    destinations: Vec<&'a str>,
}

fn refuse(gateway: &Gateway, reason: RefusalReason, problem: ProblemDetails) -> Response {
    gateway
        .metrics
        .submissions_refused
        .with_label_values(&[reason.as_str()])
        .inc();
    problem.into_response()
}

fn is_xml_media_type(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/xml") || essence.eq_ignore_ascii_case("text/xml")
}

async fn submit(
    State(gateway): State<Arc<Gateway>>,
    peer: Option<Extension<PeerIdentity>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    gateway.metrics.submissions_received.inc();
    let active = gateway.active();
    let limits = &active.config.limits;
    let retry_after = limits.retry_after.as_secs().max(1);
    if gateway.is_draining() {
        return refuse(
            &gateway,
            RefusalReason::Draining,
            ProblemDetails::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "draining",
                "Gateway is shutting down",
                "the gateway is draining; submit again to another instance or later",
            )
            .retry_after(retry_after),
        );
    }
    let Ok(_permit) = Arc::clone(&active.in_flight).try_acquire_owned() else {
        return refuse(
            &gateway,
            RefusalReason::Overloaded,
            ProblemDetails::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-requests",
                "Too many concurrent submissions",
                format!(
                    "more than {} submissions are being processed",
                    limits.max_concurrent_requests
                ),
            )
            .retry_after(retry_after),
        );
    };
    let peer = peer.map(|Extension(p)| p);
    let Some(sender) = active
        .authenticator
        .authenticate(bearer_token(&headers), peer.as_ref())
    else {
        let mut problem = ProblemDetails::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unknown or missing credentials",
            "present a bearer token or a client certificate of a configured sender",
        );
        problem.www_authenticate = true;
        return refuse(&gateway, RefusalReason::Unauthenticated, problem);
    };
    if !is_xml_media_type(&headers) {
        return refuse(
            &gateway,
            RefusalReason::MediaType,
            ProblemDetails::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "media-type",
                "Unsupported media type",
                "submissions must be sent as application/xml or text/xml",
            ),
        );
    }
    let too_large = || {
        ProblemDetails::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Submission too large",
            format!("the body exceeds {} bytes", limits.max_body_bytes),
        )
    };
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|length| length > limits.max_body_bytes as u64) {
        return refuse(&gateway, RefusalReason::TooLarge, too_large());
    }
    // A client that trickles its body must not hold a request slot forever.
    let read = tokio::time::timeout(
        BODY_READ_TIMEOUT,
        axum::body::to_bytes(body, limits.max_body_bytes),
    );
    let body: Bytes = match read.await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => return refuse(&gateway, RefusalReason::TooLarge, too_large()),
        Err(_) => {
            return refuse(
                &gateway,
                RefusalReason::BodyTimeout,
                ProblemDetails::new(
                    StatusCode::REQUEST_TIMEOUT,
                    "body-timeout",
                    "Request body too slow",
                    format!(
                        "the body was not received within {} seconds",
                        BODY_READ_TIMEOUT.as_secs()
                    ),
                ),
            )
        }
    };
    if gateway.queue_length() >= limits.queue_capacity as i64 {
        return refuse(
            &gateway,
            RefusalReason::Overloaded,
            ProblemDetails::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue-full",
                "Delivery queue is full",
                format!(
                    "{} deliveries are waiting; the gateway accepts again when they drain",
                    limits.queue_capacity
                ),
            )
            .retry_after(retry_after),
        );
    }

    let timer = std::time::Instant::now();
    // Small messages are checked inline: handing them to a blocking thread costs more than
    // reading them. Large ones must not hold up the async workers.
    let processed = if body.len() <= 256 * 1024 {
        active.pipeline.process(&body, sender)
    } else {
        let active = Arc::clone(&active);
        let sender = sender.clone();
        let body = body.clone();
        match tokio::task::spawn_blocking(move || active.pipeline.process(&body, &sender)).await {
            Ok(result) => result,
            Err(_) => {
                return refuse(
                    &gateway,
                    RefusalReason::Internal,
                    ProblemDetails::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        "Internal error",
                        "checking the submission failed",
                    ),
                )
            }
        }
    };
    gateway
        .metrics
        .validation_duration
        .observe(timer.elapsed().as_secs_f64());
    let accepted = match processed {
        Ok(accepted) => accepted,
        Err(refusal) => return refusal_response(&gateway, refusal),
    };

    let id = uuid::Uuid::now_v7().to_string();
    let span = tracing::info_span!(
        "submission",
        submission_id = %id,
        message_uuid = accepted.envelope.message_uuid.as_deref().unwrap_or(""),
        sender = %sender.name,
        route = %accepted.route.name
    );
    let idempotency_key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or_else(|| accepted.envelope.message_uuid.clone());
    let targets: Vec<NewDelivery> = accepted
        .route
        .targets
        .iter()
        .map(|target| NewDelivery {
            id: uuid::Uuid::now_v7().to_string(),
            destination: target.destination.clone(),
            mapping: target.mapping.clone(),
        })
        .collect();
    let envelope = accepted.envelope;
    let submission = NewSubmission {
        id: id.clone(),
        sender: sender.name.clone(),
        idempotency_key,
        message_uuid: envelope.message_uuid.clone(),
        root_namespace: envelope.root_namespace.clone(),
        root_name: envelope.root_name.clone(),
        nachrichtentyp: envelope.nachrichtentyp.clone(),
        leser_kennung: envelope.leser_kennung.clone(),
        route: accepted.route.name.clone(),
        received_at: now_millis(),
        payload: body,
        targets: targets.clone(),
    };
    let outcome = gateway
        .store
        .accept(submission)
        .instrument(span.clone())
        .await;
    let _entered = span.enter();
    match outcome {
        Ok(AcceptOutcome::Created) => {
            gateway
                .metrics
                .submissions_accepted
                .with_label_values(&[
                    accepted.route.name.as_str(),
                    envelope.nachrichtentyp.as_deref().unwrap_or("none"),
                ])
                .inc();
            for target in &targets {
                gateway
                    .metrics
                    .queue_depth
                    .with_label_values(&[&target.destination])
                    .inc();
                gateway.dispatcher.wake(&target.destination);
            }
            tracing::debug!("submission accepted");
            let body = AcceptedBody {
                id: &id,
                message_uuid: envelope.message_uuid.as_deref(),
                destinations: targets.iter().map(|t| t.destination.as_str()).collect(),
            };
            json_with_location(StatusCode::ACCEPTED, &id, &body)
        }
        Ok(AcceptOutcome::Duplicate {
            id,
            message_uuid,
            destinations,
        }) => {
            tracing::info!(original = %id, "duplicate submission answered with the original");
            let body = AcceptedBody {
                id: &id,
                message_uuid: message_uuid.as_deref(),
                destinations: destinations.iter().map(String::as_str).collect(),
            };
            json_with_location(StatusCode::OK, &id, &body)
        }
        Err(error) => {
            tracing::error!(%error, "storing a submission failed");
            refuse(
                &gateway,
                RefusalReason::Store,
                ProblemDetails::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store-unavailable",
                    "Submission could not be stored",
                    "the submission was not stored; submit it again",
                )
                .retry_after(retry_after),
            )
        }
    }
}

fn json_with_location(status: StatusCode, id: &str, body: &impl Serialize) -> Response {
    let mut response = (status, Json(body)).into_response();
    if let Ok(location) = HeaderValue::try_from(format!("/v1/submissions/{id}")) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

fn refusal_response(gateway: &Gateway, refusal: Refusal) -> Response {
    match refusal {
        Refusal::Malformed(problems) => refuse(
            gateway,
            RefusalReason::Malformed,
            ProblemDetails::new(
                StatusCode::BAD_REQUEST,
                "malformed",
                "Malformed XML",
                summary(&problems),
            )
            .with_problems(problems),
        ),
        Refusal::Invalid(problems) => refuse(
            gateway,
            RefusalReason::Invalid,
            ProblemDetails::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                "Submission is not valid",
                summary(&problems),
            )
            .with_problems(problems),
        ),
        Refusal::Unmappable(problems) => refuse(
            gateway,
            RefusalReason::Invalid,
            ProblemDetails::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unmappable",
                "Submission cannot be mapped for its destination",
                summary(&problems),
            )
            .with_problems(problems),
        ),
        Refusal::Forbidden { root_name } => refuse(
            gateway,
            RefusalReason::Forbidden,
            ProblemDetails::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "Message type not permitted",
                format!("this sender may not submit {root_name}"),
            ),
        ),
        Refusal::NoRoute(envelope) => refuse(
            gateway,
            RefusalReason::NoRoute,
            ProblemDetails::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no-route",
                "No route for this message",
                format!(
                    "no route matches root element {}{} (nachrichtentyp {}, leser {})",
                    envelope
                        .root_namespace
                        .as_deref()
                        .map(|ns| format!("{{{ns}}}"))
                        .unwrap_or_default(),
                    envelope.root_name,
                    envelope.nachrichtentyp.as_deref().unwrap_or("absent"),
                    envelope.leser_kennung.as_deref().unwrap_or("absent"),
                ),
            )
            .with_problems(vec![Problem {
                rule: "routing.no-match".into(),
                line: None,
                column: None,
                element_path: Some(format!("/{}", envelope.root_name)),
                message: "no configured route matches this message".into(),
            }]),
        ),
    }
}

fn summary(problems: &[Problem]) -> String {
    match problems {
        [] => "the submission was refused".into(),
        [only] => only.message.clone(),
        [first, rest @ ..] => format!("{} (and {} more)", first.message, rest.len()),
    }
}

/// A sender sees the status of its own submissions only; others get 404, not 403, so ids of
/// other senders' submissions cannot be probed.
async fn submission_status(
    State(gateway): State<Arc<Gateway>>,
    peer: Option<Extension<PeerIdentity>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let active = gateway.active();
    let peer = peer.map(|Extension(p)| p);
    let token = bearer_token(&headers);
    let sender = active.authenticator.authenticate(token, peer.as_ref());
    let admin = active.admin.authenticate(token, peer.as_ref()).is_some();
    if sender.is_none() && !admin {
        let mut problem = ProblemDetails::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "Unknown or missing credentials",
            "present the credentials the submission was made with",
        );
        problem.www_authenticate = true;
        return problem.into_response();
    }
    let not_found = || {
        ProblemDetails::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "No such submission",
            format!("no submission {id} is known"),
        )
        .into_response()
    };
    match gateway.store.submission_status(&id).await {
        Ok(Some(status)) if admin || sender.is_some_and(|s| s.name == status.sender) => {
            Json(status).into_response()
        }
        Ok(_) => not_found(),
        Err(error) => {
            tracing::error!(%error, "reading a submission status failed");
            store_unavailable()
        }
    }
}

fn store_unavailable() -> Response {
    ProblemDetails::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "store-unavailable",
        "Store unavailable",
        "the store could not be read",
    )
    .retry_after(1)
    .into_response()
}

fn require_admin(
    gateway: &Gateway,
    peer: Option<&PeerIdentity>,
    headers: &HeaderMap,
) -> Option<Response> {
    let active = gateway.active();
    if active
        .admin
        .authenticate(bearer_token(headers), peer)
        .is_some()
    {
        return None;
    }
    let mut problem = ProblemDetails::new(
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "Admin credentials required",
        "present an admin bearer token (see [admin] in the configuration)",
    );
    problem.www_authenticate = true;
    Some(problem.into_response())
}

async fn dead_letters(
    State(gateway): State<Arc<Gateway>>,
    peer: Option<Extension<PeerIdentity>>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = require_admin(&gateway, peer.as_ref().map(|e| &e.0), &headers) {
        return refused;
    }
    match gateway.store.dead_letters(1000).await {
        Ok(letters) => Json(serde_json::json!({ "dead_letters": letters })).into_response(),
        Err(error) => {
            tracing::error!(%error, "listing dead letters failed");
            store_unavailable()
        }
    }
}

/// Replays a dead letter through the *current* configuration: the original bytes are checked
/// and routed again, so a fixed route, destination or mapping takes effect.
async fn replay(
    State(gateway): State<Arc<Gateway>>,
    peer: Option<Extension<PeerIdentity>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Some(refused) = require_admin(&gateway, peer.as_ref().map(|e| &e.0), &headers) {
        return refused;
    }
    let already_replayed = || {
        ProblemDetails::new(
            StatusCode::CONFLICT,
            "already-replayed",
            "Dead letter already replayed",
            format!("{id} is no longer a dead letter"),
        )
        .into_response()
    };
    let source = match gateway.store.replay_source(&id).await {
        Ok(Some(source)) if source.already_replayed => return already_replayed(),
        Ok(Some(source)) => source,
        Ok(None) => {
            return ProblemDetails::new(
                StatusCode::NOT_FOUND,
                "not-found",
                "No such dead letter",
                format!("no dead letter {id} is known"),
            )
            .into_response()
        }
        Err(error) => {
            tracing::error!(%error, "reading a dead letter failed");
            return store_unavailable();
        }
    };
    let active = gateway.active();
    let sender_name = &source.dead_letter.sender;
    let Some(sender) = active
        .config
        .senders
        .iter()
        .find(|s| &s.name == sender_name)
    else {
        return ProblemDetails::new(
            StatusCode::CONFLICT,
            "sender-unknown",
            "Sender no longer configured",
            format!("the sender {sender_name:?} of this dead letter is not in the configuration"),
        )
        .into_response();
    };
    let accepted = match active.pipeline.process(&source.payload, sender) {
        Ok(accepted) => accepted,
        Err(refusal) => {
            let mut response = refusal_response(&gateway, refusal);
            *response.status_mut() = StatusCode::CONFLICT;
            return response;
        }
    };
    let targets: Vec<NewDelivery> = accepted
        .route
        .targets
        .iter()
        .map(|t| NewDelivery {
            id: uuid::Uuid::now_v7().to_string(),
            destination: t.destination.clone(),
            mapping: t.mapping.clone(),
        })
        .collect();
    match gateway.store.replay(&id, targets).await {
        Ok(Some(destinations)) => {
            for destination in &destinations {
                gateway
                    .metrics
                    .queue_depth
                    .with_label_values(&[destination])
                    .inc();
                gateway.dispatcher.wake(destination);
            }
            tracing::info!(dead_letter = %id, "dead letter replayed");
            (
                StatusCode::ACCEPTED,
                Json(serde_json::json!({
                    "id": source.dead_letter.submission_id,
                    "replayed": id,
                    "destinations": destinations,
                })),
            )
                .into_response()
        }
        Ok(None) => already_replayed(),
        Err(error) => {
            tracing::error!(%error, "replaying a dead letter failed");
            store_unavailable()
        }
    }
}

async fn metrics(State(gateway): State<Arc<Gateway>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        gateway.metrics.render(),
    )
        .into_response()
}

async fn healthz() -> &'static str {
    "ok\n"
}

/// Ready means: not draining, a configuration is loaded, and the store commits writes now.
async fn readyz(State(gateway): State<Arc<Gateway>>) -> Response {
    if gateway.is_draining() {
        return (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response();
    }
    match gateway.store.check_writable().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness: store not writable");
            (StatusCode::SERVICE_UNAVAILABLE, "store not writable\n").into_response()
        }
    }
}
