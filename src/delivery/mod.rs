//! Delivery: every destination has its own worker and its own concurrency limit, so a
//! Fachverfahren that is down only delays its own messages.
//!
//! **Architecture Invariant:** the store, not memory, is the queue. Workers claim due deliveries
//! from the store with a lease, attempt them, and record the outcome; a restart therefore resumes
//! every pending delivery, and nothing is removed before its outcome is durable.

mod backoff;
mod transport;

pub use backoff::{RetryDecision, RetryPolicy};
pub use transport::{
    classify, parse_retry_after, read_certificates, read_pem_private_key, write_atomically,
    AttemptOutcome, OutgoingMessage, Transport, TransportError,
};

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::sync::{watch, Notify, Semaphore};
use tokio::task::JoinHandle;

use crate::config::Destination;
use crate::mapping::Mappings;
use crate::store::{
    now_millis, AttemptRecord, ClaimedDelivery, NextStep, OutcomeClass, Store, UnixMillis,
};
use crate::telemetry::Metrics;

/// How long a claim protects a delivery from being claimed again; longer than any attempt.
const LEASE: Duration = Duration::from_secs(300);
/// Upper bound on an idle worker's sleep, so a missed wake-up costs at most this.
const IDLE_POLL: Duration = Duration::from_secs(30);

struct Worker {
    destination: Destination,
    notify: Arc<Notify>,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

pub struct Dispatcher {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    mappings: Arc<RwLock<Arc<Mappings>>>,
    workers: Mutex<HashMap<String, Worker>>,
}

impl Dispatcher {
    pub fn new(store: Arc<dyn Store>, metrics: Arc<Metrics>, mappings: Mappings) -> Dispatcher {
        Dispatcher {
            store,
            metrics,
            mappings: Arc::new(RwLock::new(Arc::new(mappings))),
            workers: Mutex::new(HashMap::new()),
        }
    }

    /// Starts workers for new or changed destinations and stops those of removed or changed
    /// ones (after their in-flight attempts finish). Pending deliveries stay in the store.
    pub async fn reconcile(
        &self,
        destinations: &[Destination],
        mappings: Mappings,
    ) -> Result<(), TransportError> {
        // Build every transport first: a bad TLS file must not leave half the workers replaced.
        let mut transports = HashMap::new();
        for destination in destinations {
            transports.insert(
                destination.name.clone(),
                Arc::new(Transport::new(&destination.kind)?),
            );
        }
        if let Ok(mut current) = self.mappings.write() {
            *current = Arc::new(mappings);
        }
        let mut retired = Vec::new();
        {
            let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            let names: Vec<String> = workers.keys().cloned().collect();
            for name in names {
                let keep = destinations.iter().any(|d| {
                    d.name == name && workers.get(&name).map(|w| &w.destination) == Some(d)
                });
                if !keep {
                    if let Some(worker) = workers.remove(&name) {
                        retired.push(worker);
                    }
                }
            }
            for destination in destinations {
                if workers.contains_key(&destination.name) {
                    continue;
                }
                let Some(transport) = transports.remove(&destination.name) else {
                    continue;
                };
                workers.insert(destination.name.clone(), self.spawn(destination, transport));
            }
        }
        for worker in retired {
            let _ = worker.stop.send(true);
            let _ = worker.task.await;
        }
        Ok(())
    }

    fn spawn(&self, destination: &Destination, transport: Arc<Transport>) -> Worker {
        let notify = Arc::new(Notify::new());
        let (stop, stopped) = watch::channel(false);
        let context = WorkerContext {
            destination: destination.clone(),
            transport,
            store: Arc::clone(&self.store),
            metrics: Arc::clone(&self.metrics),
            mappings: Arc::clone(&self.mappings),
            notify: Arc::clone(&notify),
        };
        let task = tokio::spawn(run_worker(context, stopped));
        Worker {
            destination: destination.clone(),
            notify,
            stop,
            task,
        }
    }

    /// Wakes the worker of `destination` because new work was committed for it.
    pub fn wake(&self, destination: &str) {
        let workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(worker) = workers.get(destination) {
            worker.notify.notify_one();
        }
    }

    /// Stops every worker after its in-flight attempts have been recorded.
    pub async fn shutdown(&self) {
        let workers: Vec<Worker> = {
            let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            workers.drain().map(|(_, w)| w).collect()
        };
        for worker in &workers {
            let _ = worker.stop.send(true);
        }
        for worker in workers {
            let _ = worker.task.await;
        }
    }
}

struct WorkerContext {
    destination: Destination,
    transport: Arc<Transport>,
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    mappings: Arc<RwLock<Arc<Mappings>>>,
    notify: Arc<Notify>,
}

async fn run_worker(context: WorkerContext, mut stopped: watch::Receiver<bool>) {
    let context = Arc::new(context);
    let name = context.destination.name.clone();
    let concurrency = context.destination.concurrency;
    let permits = Arc::new(Semaphore::new(concurrency));
    loop {
        if *stopped.borrow() {
            break;
        }
        // Wait for a free slot before claiming, so claimed work never waits in memory.
        let first = tokio::select! {
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            _ = stopped.changed() => break,
        };
        let free = 1 + permits.available_permits();
        let now = now_millis();
        let lease_until = now + LEASE.as_millis() as i64;
        let claimed = match context.store.claim_due(&name, now, free, lease_until).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::error!(destination = %name, %error, "claiming deliveries failed");
                drop(first);
                wait(&context, &mut stopped, Duration::from_secs(1)).await;
                continue;
            }
        };
        if claimed.is_empty() {
            drop(first);
            let pause = match context.store.next_due(&name).await {
                Ok(Some(due)) => Duration::from_millis((due - now_millis()).max(0) as u64),
                Ok(None) => IDLE_POLL,
                Err(_) => Duration::from_secs(1),
            };
            wait(&context, &mut stopped, pause.min(IDLE_POLL)).await;
            continue;
        }
        let mut first = Some(first);
        for delivery in claimed {
            let permit = match first.take() {
                Some(permit) => permit,
                None => match Arc::clone(&permits).acquire_owned().await {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
            };
            let context = Arc::clone(&context);
            tokio::spawn(async move {
                attempt(&context, delivery).await;
                drop(permit);
                // A retry may now be due earlier than what the worker sleeps for.
                context.notify.notify_one();
            });
        }
    }
    // Drain: every in-flight attempt records its outcome before the worker ends.
    let _ = permits.acquire_many(concurrency as u32).await;
}

async fn wait(context: &WorkerContext, stopped: &mut watch::Receiver<bool>, pause: Duration) {
    tokio::select! {
        _ = context.notify.notified() => {}
        _ = tokio::time::sleep(pause) => {}
        _ = stopped.changed() => {}
    }
}

async fn attempt(context: &WorkerContext, delivery: ClaimedDelivery) {
    let destination = &context.destination;
    let started_at = now_millis();
    let timer = std::time::Instant::now();
    let mappings = context
        .mappings
        .read()
        .map(|m| Arc::clone(&m))
        .unwrap_or_default();
    let outcome = match mappings.render(delivery.mapping.as_deref(), &delivery.payload) {
        Ok(rendered) => {
            let message = OutgoingMessage {
                submission_id: &delivery.submission_id,
                message_uuid: delivery.message_uuid.as_deref(),
                body: &rendered.body,
                content_type: rendered.content_type,
            };
            context.transport.send(&message).await
        }
        Err(error) => AttemptOutcome::Reject {
            http_status: None,
            reason: format!("mapping failed: {error}"),
        },
    };
    context
        .metrics
        .delivery_duration
        .with_label_values(&[&destination.name])
        .observe(timer.elapsed().as_secs_f64());
    let finished_at = now_millis();
    let attempt_number = delivery.attempts + 1;
    let age = Duration::from_millis((finished_at - delivery.created_at).max(0) as u64);
    let (class, http_status, detail, next) = match outcome {
        AttemptOutcome::Delivered { http_status } => {
            (OutcomeClass::Delivered, http_status, None, NextStep::Done)
        }
        AttemptOutcome::Reject {
            http_status,
            reason,
        } => (
            OutcomeClass::Reject,
            http_status,
            Some(reason.clone()),
            NextStep::DeadLetter { reason },
        ),
        AttemptOutcome::Retry {
            http_status,
            retry_after,
            reason,
        } => {
            let decision =
                destination
                    .retry_policy
                    .decide(attempt_number, age, retry_after, &mut rand::rng());
            let next = match decision {
                RetryDecision::RetryAfter(delay) => {
                    NextStep::RetryAt(finished_at + delay.as_millis() as UnixMillis)
                }
                RetryDecision::GiveUp => NextStep::DeadLetter {
                    reason: format!("gave up after {attempt_number} attempt(s): {reason}"),
                },
            };
            (OutcomeClass::Retry, http_status, Some(reason), next)
        }
    };
    let terminal = !matches!(next, NextStep::RetryAt(_));
    let dead = matches!(next, NextStep::DeadLetter { .. });
    let record = AttemptRecord {
        delivery_id: delivery.delivery_id.clone(),
        attempt: attempt_number,
        started_at,
        finished_at,
        outcome: class,
        http_status,
        detail,
        next,
    };
    if let Err(error) = context.store.record_attempt(record).await {
        // The lease expires and the delivery is attempted again: at least once, never lost.
        tracing::error!(
            destination = %destination.name,
            delivery_id = %delivery.delivery_id,
            %error,
            "recording a delivery attempt failed"
        );
        return;
    }
    context
        .metrics
        .deliveries
        .with_label_values(&[&destination.name, class.as_str()])
        .inc();
    if terminal {
        context
            .metrics
            .queue_depth
            .with_label_values(&[&destination.name])
            .dec();
    }
    if dead {
        context
            .metrics
            .dead_letters
            .with_label_values(&[&destination.name])
            .inc();
        tracing::warn!(
            destination = %destination.name,
            submission_id = %delivery.submission_id,
            delivery_id = %delivery.delivery_id,
            "delivery moved to the dead letters"
        );
    }
}
