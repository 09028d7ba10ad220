//! The running gateway: the parts that live as long as the process (store, metrics, delivery
//! workers) and the parts that a reload replaces whole (config, pipeline, senders, mappings).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use tokio::sync::Semaphore;

use crate::config::{self, Config, ConfigProblem};
use crate::delivery::Dispatcher;
use crate::ingress::Authenticator;
use crate::mapping::Mappings;
use crate::pipeline::Pipeline;
use crate::store::{SqliteStore, Store, StoreError};
use crate::telemetry::Metrics;

/// Everything that depends on the configuration, swapped atomically on reload.
pub struct Active {
    pub config: Config,
    pub pipeline: Pipeline,
    pub authenticator: Authenticator,
    pub admin: Authenticator,
    pub in_flight: Arc<Semaphore>,
}

impl Active {
    pub fn new(config: Config, pipeline: Pipeline) -> Active {
        Active {
            pipeline,
            authenticator: Authenticator::new(config.senders.clone()),
            admin: Authenticator::new(config.admins.clone()),
            in_flight: Arc::new(Semaphore::new(config.limits.max_concurrent_requests)),
            config,
        }
    }
}

pub struct Gateway {
    pub store: Arc<dyn Store>,
    sqlite: Arc<SqliteStore>,
    pub metrics: Arc<Metrics>,
    pub dispatcher: Dispatcher,
    active: RwLock<Arc<Active>>,
    draining: AtomicBool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("destination: {0}")]
    Destination(#[from] crate::delivery::TransportError),
}

/// Everything `check` finds wrong with a configuration, beyond what loading it found.
pub fn check(config: &Config) -> Vec<ConfigProblem> {
    let mut problems = Vec::new();
    for destination in &config.destinations {
        if let Err(error) = crate::delivery::Transport::new(&destination.kind) {
            problems.push(ConfigProblem {
                location: format!("destination {:?}", destination.name),
                message: error.to_string(),
            });
        }
    }
    for listener in &config.listeners {
        if let Some(tls) = &listener.tls {
            if let Err(error) = crate::ingress::server_tls(tls) {
                problems.push(ConfigProblem {
                    location: format!("listener {}", listener.address),
                    message: error.to_string(),
                });
            }
        }
    }
    problems
}

/// Loads a configuration, checks everything it names and compiles its schema sets: what
/// `xoev-gateway check` runs, and what start and reload run before anything is replaced.
pub fn prepare(path: &std::path::Path) -> Result<Active, config::ConfigError> {
    let config = config::load(path)?;
    let mut problems = check(&config);
    let pipeline = match Pipeline::compile(&config) {
        Ok(pipeline) => Some(pipeline),
        Err(schema_problems) => {
            problems.extend(schema_problems);
            None
        }
    };
    match pipeline {
        Some(pipeline) if problems.is_empty() => Ok(Active::new(config, pipeline)),
        _ => Err(config::ConfigError {
            path: path.to_owned(),
            problems,
        }),
    }
}

impl Gateway {
    pub async fn start(active: Active) -> Result<Arc<Gateway>, StartError> {
        let config = &active.config;
        let metrics = Arc::new(Metrics::new());
        let observer_metrics = Arc::clone(&metrics);
        let observer: crate::store::CommitObserver = Arc::new(move |size, duration| {
            observer_metrics
                .store_commit_batch_size
                .observe(size as f64);
            observer_metrics
                .store_commit_duration
                .observe(duration.as_secs_f64());
        });
        let crate::config::StoreConfig::Sqlite {
            path,
            max_batch_size,
        } = &config.store;
        let sqlite = Arc::new(SqliteStore::open(path, *max_batch_size, Some(observer))?);
        let store: Arc<dyn Store> = sqlite.clone();
        for (destination, count) in store.pending_counts().await? {
            metrics
                .queue_depth
                .with_label_values(&[&destination])
                .set(count as i64);
        }
        let dispatcher = Dispatcher::new(
            Arc::clone(&store),
            Arc::clone(&metrics),
            Mappings::new(config.mappings.clone()),
        );
        dispatcher
            .reconcile(&config.destinations, Mappings::new(config.mappings.clone()))
            .await?;
        Ok(Arc::new(Gateway {
            store,
            sqlite,
            metrics,
            dispatcher,
            active: RwLock::new(Arc::new(active)),
            draining: AtomicBool::new(false),
        }))
    }

    pub fn active(&self) -> Arc<Active> {
        let active = self.active.read().unwrap_or_else(|e| e.into_inner());
        Arc::clone(&active)
    }

    /// Replaces the configuration if the new one passes `check`; otherwise the old one stays.
    pub async fn reload(&self) -> Result<(), config::ConfigError> {
        let path = self.active().config.source_path.clone();
        let result = self.try_reload(&path).await;
        let label = if result.is_ok() { "success" } else { "failure" };
        self.metrics.reloads.with_label_values(&[label]).inc();
        result
    }

    async fn try_reload(&self, path: &std::path::Path) -> Result<(), config::ConfigError> {
        let prepared = prepare(path)?;
        let config = &prepared.config;
        let current = self.active();
        if config.store != current.config.store {
            tracing::warn!("store settings changed: they take effect at the next restart");
        }
        self.dispatcher
            .reconcile(&config.destinations, Mappings::new(config.mappings.clone()))
            .await
            .map_err(|error| config::ConfigError {
                path: path.to_owned(),
                problems: vec![ConfigProblem {
                    location: "destination".into(),
                    message: error.to_string(),
                }],
            })?;
        let mut active = self.active.write().unwrap_or_else(|e| e.into_inner());
        *active = Arc::new(prepared);
        Ok(())
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Total undelivered deliveries, for the queue capacity check.
    pub fn queue_length(&self) -> i64 {
        let active = self.active();
        active
            .config
            .destinations
            .iter()
            .map(|d| {
                self.metrics
                    .queue_depth
                    .with_label_values(&[&d.name])
                    .get()
                    .max(0)
            })
            .sum()
    }

    /// Stops delivery workers (after their in-flight attempts) and closes the store.
    pub async fn shutdown(&self) {
        self.start_draining();
        self.dispatcher.shutdown().await;
        self.sqlite.close();
    }
}
