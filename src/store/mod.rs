//! Durable storage of submissions and their deliveries.
//!
//! **Architecture Invariant:** a submission is acknowledged (202) only after the transaction that
//! holds its original bytes and its deliveries has been committed and synced. Original bytes are
//! never updated. Every delivery is in exactly one state: `pending`, `delivered`, `dead` or
//! `replayed` (a dead letter that was replayed; its replacement is a new delivery).
//!
//! The trait is shaped for a shared SQL backend too (PostgreSQL with `FOR UPDATE SKIP LOCKED`):
//! workers *claim* due deliveries with a lease instead of holding them in memory, so several
//! gateway instances could share one database. The SQL is kept portable for that reason.

mod migrations;
mod sqlite;

use std::future::Future;
use std::pin::Pin;

use bytes::Bytes;
use serde::Serialize;

pub use sqlite::{CommitObserver, SqliteStore};

pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StoreError>> + Send + 'a>>;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    #[error("store I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("the store is shut down")]
    Closed,
    #[error("store migration failed: {0}")]
    Migration(String),
    #[error("store transaction failed: {0}")]
    Transaction(String),
}

/// Milliseconds since the Unix epoch: the only time representation in the store (portable SQL).
pub type UnixMillis = i64;

pub fn now_millis() -> UnixMillis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[derive(Debug, Clone)]
pub struct NewSubmission {
    pub id: String,
    pub sender: String,
    /// `Idempotency-Key` header, else the nachrichtenUUID; unique per sender.
    pub idempotency_key: Option<String>,
    pub message_uuid: Option<String>,
    pub root_namespace: Option<String>,
    pub root_name: String,
    pub nachrichtentyp: Option<String>,
    pub leser_kennung: Option<String>,
    pub route: String,
    pub received_at: UnixMillis,
    pub payload: Bytes,
    pub targets: Vec<NewDelivery>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub id: String,
    pub destination: String,
    pub mapping: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptOutcome {
    Created,
    /// The same sender already submitted this idempotency key: the original submission.
    Duplicate {
        id: String,
        message_uuid: Option<String>,
        destinations: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    pub delivery_id: String,
    pub submission_id: String,
    pub message_uuid: Option<String>,
    pub destination: String,
    pub mapping: Option<String>,
    pub attempts: u32,
    pub created_at: UnixMillis,
    pub payload: Bytes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeClass {
    Delivered,
    Retry,
    Reject,
}

impl OutcomeClass {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeClass::Delivered => "delivered",
            OutcomeClass::Retry => "retry",
            OutcomeClass::Reject => "reject",
        }
    }

    fn parse(text: &str) -> OutcomeClass {
        match text {
            "delivered" => OutcomeClass::Delivered,
            "retry" => OutcomeClass::Retry,
            _ => OutcomeClass::Reject,
        }
    }
}

/// What happens to the delivery after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    Done,
    RetryAt(UnixMillis),
    DeadLetter { reason: String },
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub delivery_id: String,
    pub attempt: u32,
    pub started_at: UnixMillis,
    pub finished_at: UnixMillis,
    pub outcome: OutcomeClass,
    pub http_status: Option<u16>,
    /// A short reason (error class or status line); never payload content.
    pub detail: Option<String>,
    pub next: NextStep,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    Accepted,
    Delivering,
    Delivered,
    DeadLettered,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubmissionStatus {
    pub id: String,
    pub message_uuid: Option<String>,
    pub sender: String,
    pub root_name: String,
    pub route: String,
    pub received_at: UnixMillis,
    pub status: SubmissionState,
    pub deliveries: Vec<DeliveryStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeliveryStatus {
    pub id: String,
    pub destination: String,
    pub state: String,
    pub next_attempt_at: Option<UnixMillis>,
    pub dead_reason: Option<String>,
    pub attempts: Vec<AttemptStatus>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AttemptStatus {
    pub attempt: u32,
    pub started_at: UnixMillis,
    pub finished_at: UnixMillis,
    pub outcome: OutcomeClass,
    pub http_status: Option<u16>,
    pub detail: Option<String>,
    pub next_attempt_at: Option<UnixMillis>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub id: String,
    pub submission_id: String,
    pub message_uuid: Option<String>,
    pub sender: String,
    pub root_name: String,
    pub destination: String,
    pub attempts: u32,
    pub reason: Option<String>,
    pub dead_at: UnixMillis,
}

/// A dead letter with what replaying it needs: the original bytes and who sent them.
#[derive(Debug, Clone)]
pub struct ReplaySource {
    pub dead_letter: DeadLetter,
    pub payload: Bytes,
    /// It was a dead letter once and has been replayed since.
    pub already_replayed: bool,
}

pub trait Store: Send + Sync + 'static {
    /// Persists the submission and its deliveries durably, in a group commit with others.
    fn accept(&self, submission: NewSubmission) -> StoreFuture<'_, AcceptOutcome>;
    /// Claims up to `limit` due deliveries of one destination, each leased until `lease_until`.
    fn claim_due(
        &self,
        destination: &str,
        now: UnixMillis,
        limit: usize,
        lease_until: UnixMillis,
    ) -> StoreFuture<'_, Vec<ClaimedDelivery>>;
    /// The earliest time a pending delivery of `destination` becomes due, if any.
    fn next_due(&self, destination: &str) -> StoreFuture<'_, Option<UnixMillis>>;
    fn record_attempt(&self, record: AttemptRecord) -> StoreFuture<'_, ()>;
    fn submission_status(&self, id: &str) -> StoreFuture<'_, Option<SubmissionStatus>>;
    fn dead_letters(&self, limit: usize) -> StoreFuture<'_, Vec<DeadLetter>>;
    fn replay_source(&self, dead_letter_id: &str) -> StoreFuture<'_, Option<ReplaySource>>;
    /// Marks the dead letter replayed and adds new pending deliveries for `targets` (except
    /// destinations that already delivered or still hold a pending delivery of the submission).
    /// Returns the destinations that got a new delivery; `None` if it was no dead letter.
    fn replay(
        &self,
        dead_letter_id: &str,
        targets: Vec<NewDelivery>,
    ) -> StoreFuture<'_, Option<Vec<String>>>;
    /// Undelivered deliveries per destination (queue depth).
    fn pending_counts(&self) -> StoreFuture<'_, Vec<(String, u64)>>;
    /// Proves the store can commit a write right now (readiness).
    fn check_writable(&self) -> StoreFuture<'_, ()>;
}
