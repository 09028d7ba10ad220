//! Prometheus metric families, registered once at start. Label values come from closed sets
//! (refusal reasons, outcome classes) or from the configuration (destination, route and message
//! type names), never from request content that a client controls freely.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    pub submissions_received: IntCounter,
    pub submissions_accepted: IntCounterVec,
    pub submissions_refused: IntCounterVec,
    pub validation_duration: Histogram,
    pub store_commit_duration: Histogram,
    pub store_commit_batch_size: Histogram,
    pub deliveries: IntCounterVec,
    pub delivery_duration: HistogramVec,
    pub queue_depth: IntGaugeVec,
    pub dead_letters: IntCounterVec,
    pub reloads: IntCounterVec,
}

/// Why a submission was refused: a closed set, so it can be a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    Unauthenticated,
    Forbidden,
    MediaType,
    TooLarge,
    Malformed,
    BodyTimeout,
    Invalid,
    NoRoute,
    Overloaded,
    Draining,
    Store,
    Internal,
}

impl RefusalReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Unauthenticated => "unauthenticated",
            RefusalReason::Forbidden => "forbidden",
            RefusalReason::MediaType => "media_type",
            RefusalReason::TooLarge => "too_large",
            RefusalReason::Malformed => "malformed",
            RefusalReason::BodyTimeout => "body_timeout",
            RefusalReason::Invalid => "invalid",
            RefusalReason::NoRoute => "no_route",
            RefusalReason::Overloaded => "overloaded",
            RefusalReason::Draining => "draining",
            RefusalReason::Store => "store_error",
            RefusalReason::Internal => "internal",
        }
    }
}

fn counter(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let family = IntCounterVec::new(Opts::new(name, help), labels)
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    registry
        .register(Box::new(family.clone()))
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    family
}

fn histogram(registry: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let family = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    registry
        .register(Box::new(family.clone()))
        .unwrap_or_else(|e| panic!("metric {name}: {e}"));
    family
}

const SECONDS_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];

impl Metrics {
    /// Registers every family. The names and label sets are fixed at compile time, so a failure
    /// here is a programming error, found by the first test that starts a gateway.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let delivery_duration = HistogramVec::new(
            HistogramOpts::new(
                "xoev_gateway_delivery_duration_seconds",
                "Duration of one delivery attempt.",
            )
            .buckets(SECONDS_BUCKETS.to_vec()),
            &["destination"],
        )
        .unwrap_or_else(|e| panic!("delivery duration: {e}"));
        registry
            .register(Box::new(delivery_duration.clone()))
            .unwrap_or_else(|e| panic!("delivery duration: {e}"));
        let queue_depth = IntGaugeVec::new(
            Opts::new(
                "xoev_gateway_queue_depth",
                "Undelivered deliveries per destination.",
            ),
            &["destination"],
        )
        .unwrap_or_else(|e| panic!("queue depth: {e}"));
        registry
            .register(Box::new(queue_depth.clone()))
            .unwrap_or_else(|e| panic!("queue depth: {e}"));
        Metrics {
            submissions_received: {
                let family = IntCounter::new(
                    "xoev_gateway_submissions_received_total",
                    "Submissions received (before any check).",
                )
                .unwrap_or_else(|e| panic!("submissions received: {e}"));
                registry
                    .register(Box::new(family.clone()))
                    .unwrap_or_else(|e| panic!("submissions received: {e}"));
                family
            },
            submissions_accepted: counter(
                &registry,
                "xoev_gateway_submissions_accepted_total",
                "Submissions durably stored and acknowledged, by route and message type.",
                &["route", "message_type"],
            ),
            submissions_refused: counter(
                &registry,
                "xoev_gateway_submissions_refused_total",
                "Submissions refused, by reason.",
                &["reason"],
            ),
            validation_duration: histogram(
                &registry,
                "xoev_gateway_validation_duration_seconds",
                "Time to check and read one submission.",
                SECONDS_BUCKETS.to_vec(),
            ),
            store_commit_duration: histogram(
                &registry,
                "xoev_gateway_store_commit_duration_seconds",
                "Time of one store commit (including fsync).",
                SECONDS_BUCKETS.to_vec(),
            ),
            store_commit_batch_size: histogram(
                &registry,
                "xoev_gateway_store_commit_batch_size",
                "Writes per group commit.",
                vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0],
            ),
            deliveries: counter(
                &registry,
                "xoev_gateway_deliveries_total",
                "Delivery attempts by destination and outcome class.",
                &["destination", "outcome"],
            ),
            delivery_duration,
            queue_depth,
            dead_letters: counter(
                &registry,
                "xoev_gateway_dead_letters_total",
                "Deliveries moved to the dead letters, by destination.",
                &["destination"],
            ),
            reloads: counter(
                &registry,
                "xoev_gateway_config_reloads_total",
                "Configuration reloads by result.",
                &["result"],
            ),
            registry,
        }
    }

    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        let encoder = TextEncoder::new();
        if encoder
            .encode(&self.registry.gather(), &mut buffer)
            .is_err()
        {
            return String::new();
        }
        String::from_utf8(buffer).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}
