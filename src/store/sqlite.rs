//! The embedded SQLite store: WAL journal, `synchronous = FULL` (the WAL is fsynced at every
//! commit), one writer thread doing group commit, and a separate connection for reads.
//!
//! Group commit: the writer takes every write that is queued, applies each in its own savepoint
//! (one failing write does not abort its neighbours), commits the batch once and only then
//! answers each caller. Under load many submissions share one fsync.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, Transaction};
use tokio::sync::oneshot;

use super::*;

type Reply<T> = oneshot::Sender<Result<T, StoreError>>;

enum WriteOp {
    Accept(Box<NewSubmission>, Reply<AcceptOutcome>),
    Claim {
        destination: String,
        now: UnixMillis,
        limit: usize,
        lease_until: UnixMillis,
        reply: Reply<Vec<ClaimedDelivery>>,
    },
    Attempt(AttemptRecord, Reply<()>),
    Replay {
        dead_letter_id: String,
        targets: Vec<NewDelivery>,
        reply: Reply<Option<Vec<String>>>,
    },
    Probe(Reply<()>),
}

/// Observes each committed batch (size and commit duration); telemetry plugs in here so the
/// store does not depend on the metrics crate.
pub type CommitObserver = Arc<dyn Fn(usize, std::time::Duration) + Send + Sync>;

pub struct SqliteStore {
    writer: Mutex<Option<mpsc::Sender<WriteOp>>>,
    writer_thread: Mutex<Option<thread::JoinHandle<()>>>,
    reader: Arc<Mutex<Connection>>,
    path: PathBuf,
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(std::time::Duration::from_secs(10))?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    connection.pragma_update(None, "synchronous", "FULL")?;
    connection.pragma_update(None, "foreign_keys", "ON")?;
    Ok(connection)
}

impl SqliteStore {
    /// Opens (creating if needed) the database, applies migrations and releases leases left by
    /// a previous process: the SQLite store serves exactly one gateway instance, so any lease
    /// found at start belongs to a process that is gone.
    pub fn open(
        path: &Path,
        max_batch_size: usize,
        observer: Option<CommitObserver>,
    ) -> Result<SqliteStore, StoreError> {
        if let Some(parent) = path.parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let mut writer_connection = open_connection(path)?;
        super::migrations::apply(&mut writer_connection)?;
        writer_connection.execute(
            "UPDATE deliveries SET lease_until = NULL WHERE lease_until IS NOT NULL",
            [],
        )?;
        let reader = open_connection(path)?;
        let (sender, receiver) = mpsc::channel();
        let writer_thread =
            thread::Builder::new()
                .name("store-writer".into())
                .spawn(move || {
                    writer_loop(writer_connection, receiver, max_batch_size.max(1), observer)
                })?;
        Ok(SqliteStore {
            writer: Mutex::new(Some(sender)),
            writer_thread: Mutex::new(Some(writer_thread)),
            reader: Arc::new(Mutex::new(reader)),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops the writer after it has committed everything queued so far.
    pub fn close(&self) {
        if let Ok(mut writer) = self.writer.lock() {
            writer.take();
        }
        let handle = self.writer_thread.lock().ok().and_then(|mut h| h.take());
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }

    fn write<T: Send + 'static>(
        &self,
        make: impl FnOnce(Reply<T>) -> WriteOp,
    ) -> StoreFuture<'_, T> {
        let (reply, answer) = oneshot::channel();
        let sent = match self.writer.lock() {
            Ok(writer) => writer
                .as_ref()
                .map(|w| w.send(make(reply)).is_ok())
                .unwrap_or(false),
            Err(_) => false,
        };
        Box::pin(async move {
            if !sent {
                return Err(StoreError::Closed);
            }
            answer.await.map_err(|_| StoreError::Closed)?
        })
    }

    fn read<T: Send + 'static>(
        &self,
        query: impl FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> StoreFuture<'_, T> {
        let reader = Arc::clone(&self.reader);
        Box::pin(async move {
            tokio::task::spawn_blocking(move || {
                let connection = reader.lock().map_err(|_| StoreError::Closed)?;
                query(&connection)
            })
            .await
            .map_err(|_| StoreError::Closed)?
        })
    }
}

impl Drop for SqliteStore {
    fn drop(&mut self) {
        self.close();
    }
}

fn writer_loop(
    mut connection: Connection,
    receiver: mpsc::Receiver<WriteOp>,
    max_batch_size: usize,
    observer: Option<CommitObserver>,
) {
    let mut batch: Vec<WriteOp> = Vec::with_capacity(max_batch_size);
    while let Ok(first) = receiver.recv() {
        batch.push(first);
        while batch.len() < max_batch_size {
            match receiver.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        commit_batch(&mut connection, &mut batch, observer.as_ref());
    }
}

/// The answer of one write, held until its batch is durable.
enum Pending {
    Accept(Reply<AcceptOutcome>, Result<AcceptOutcome, StoreError>),
    Claim(
        Reply<Vec<ClaimedDelivery>>,
        Result<Vec<ClaimedDelivery>, StoreError>,
    ),
    Unit(Reply<()>, Result<(), StoreError>),
    Replay(
        Reply<Option<Vec<String>>>,
        Result<Option<Vec<String>>, StoreError>,
    ),
}

fn commit_batch(
    connection: &mut Connection,
    batch: &mut Vec<WriteOp>,
    observer: Option<&CommitObserver>,
) {
    let started = std::time::Instant::now();
    let size = batch.len();
    let mut answers = Vec::with_capacity(batch.len());
    let transaction = match connection.transaction() {
        Ok(t) => t,
        Err(e) => {
            let message = e.to_string();
            for op in batch.drain(..) {
                fail(op, &message);
            }
            return;
        }
    };
    for op in batch.drain(..) {
        answers.push(apply_in_savepoint(&transaction, op));
    }
    match transaction.commit() {
        Ok(()) => {
            if let Some(observer) = observer {
                observer(size, started.elapsed());
            }
            for answer in answers {
                match answer {
                    Pending::Accept(reply, result) => drop(reply.send(result)),
                    Pending::Claim(reply, result) => drop(reply.send(result)),
                    Pending::Unit(reply, result) => drop(reply.send(result)),
                    Pending::Replay(reply, result) => drop(reply.send(result)),
                }
            }
        }
        Err(e) => {
            // Nothing of the batch is durable: every caller learns it failed.
            let message = e.to_string();
            for answer in answers {
                let error = || StoreError::Transaction(format!("commit failed: {message}"));
                match answer {
                    Pending::Accept(reply, _) => drop(reply.send(Err(error()))),
                    Pending::Claim(reply, _) => drop(reply.send(Err(error()))),
                    Pending::Unit(reply, _) => drop(reply.send(Err(error()))),
                    Pending::Replay(reply, _) => drop(reply.send(Err(error()))),
                }
            }
        }
    }
}

fn fail(op: WriteOp, message: &str) {
    let error = || StoreError::Transaction(format!("cannot begin: {message}"));
    match op {
        WriteOp::Accept(_, reply) => drop(reply.send(Err(error()))),
        WriteOp::Claim { reply, .. } => drop(reply.send(Err(error()))),
        WriteOp::Attempt(_, reply) | WriteOp::Probe(reply) => drop(reply.send(Err(error()))),
        WriteOp::Replay { reply, .. } => drop(reply.send(Err(error()))),
    }
}

fn savepoint<T>(
    transaction: &Transaction<'_>,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    transaction.execute_batch("SAVEPOINT op")?;
    match work(transaction) {
        Ok(value) => {
            transaction.execute_batch("RELEASE op")?;
            Ok(value)
        }
        Err(error) => {
            transaction.execute_batch("ROLLBACK TO op; RELEASE op")?;
            Err(error)
        }
    }
}

fn apply_in_savepoint(transaction: &Transaction<'_>, op: WriteOp) -> Pending {
    match op {
        WriteOp::Accept(submission, reply) => {
            Pending::Accept(reply, savepoint(transaction, |t| accept(t, &submission)))
        }
        WriteOp::Claim {
            destination,
            now,
            limit,
            lease_until,
            reply,
        } => Pending::Claim(
            reply,
            savepoint(transaction, |t| {
                claim(t, &destination, now, limit, lease_until)
            }),
        ),
        WriteOp::Attempt(record, reply) => {
            Pending::Unit(reply, savepoint(transaction, |t| attempt(t, &record)))
        }
        WriteOp::Replay {
            dead_letter_id,
            targets,
            reply,
        } => Pending::Replay(
            reply,
            savepoint(transaction, |t| replay(t, &dead_letter_id, &targets)),
        ),
        WriteOp::Probe(reply) => Pending::Unit(
            reply,
            savepoint(transaction, |t| {
                t.execute_batch("CREATE TEMP TABLE IF NOT EXISTS probe (x INTEGER)")?;
                Ok(())
            }),
        ),
    }
}

fn accept(t: &Transaction<'_>, s: &NewSubmission) -> Result<AcceptOutcome, StoreError> {
    if let Some(key) = &s.idempotency_key {
        let existing = t
            .query_row(
                "SELECT id, message_uuid FROM submissions WHERE sender = ?1 AND idempotency_key = ?2",
                params![s.sender, key],
                |row| Ok((row.get::<_, String>(0)?, row.get::<_, Option<String>>(1)?)),
            )
            .optional()?;
        if let Some((id, message_uuid)) = existing {
            let destinations = destinations_of(t, &id)?;
            return Ok(AcceptOutcome::Duplicate {
                id,
                message_uuid,
                destinations,
            });
        }
    }
    t.execute(
        "INSERT INTO submissions (id, sender, idempotency_key, message_uuid, root_namespace,
            root_name, nachrichtentyp, leser_kennung, route, received_at, payload)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            s.id,
            s.sender,
            s.idempotency_key,
            s.message_uuid,
            s.root_namespace,
            s.root_name,
            s.nachrichtentyp,
            s.leser_kennung,
            s.route,
            s.received_at,
            &s.payload[..],
        ],
    )?;
    insert_deliveries(t, &s.id, &s.targets, s.received_at)?;
    Ok(AcceptOutcome::Created)
}

fn insert_deliveries(
    t: &Transaction<'_>,
    submission_id: &str,
    targets: &[NewDelivery],
    now: UnixMillis,
) -> Result<(), StoreError> {
    let mut insert = t.prepare_cached(
        "INSERT INTO deliveries (id, submission_id, destination, mapping, state, attempts,
            next_attempt_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', 0, ?5, ?5, ?5)",
    )?;
    for target in targets {
        insert.execute(params![
            target.id,
            submission_id,
            target.destination,
            target.mapping,
            now
        ])?;
    }
    Ok(())
}

fn destinations_of(t: &Connection, submission_id: &str) -> Result<Vec<String>, StoreError> {
    let mut statement = t.prepare_cached(
        "SELECT destination FROM deliveries WHERE submission_id = ?1 AND state <> 'replayed'
         ORDER BY destination",
    )?;
    let rows = statement.query_map([submission_id], |row| row.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn claim(
    t: &Transaction<'_>,
    destination: &str,
    now: UnixMillis,
    limit: usize,
    lease_until: UnixMillis,
) -> Result<Vec<ClaimedDelivery>, StoreError> {
    let mut select = t.prepare_cached(
        "SELECT d.id, d.submission_id, s.message_uuid, d.mapping, d.attempts, d.created_at,
                s.payload
         FROM deliveries d JOIN submissions s ON s.id = d.submission_id
         WHERE d.destination = ?1 AND d.state = 'pending' AND d.next_attempt_at <= ?2
           AND (d.lease_until IS NULL OR d.lease_until < ?2)
         ORDER BY d.next_attempt_at
         LIMIT ?3",
    )?;
    let claimed: Vec<ClaimedDelivery> = select
        .query_map(params![destination, now, limit as i64], |row| {
            Ok(ClaimedDelivery {
                delivery_id: row.get(0)?,
                submission_id: row.get(1)?,
                message_uuid: row.get(2)?,
                destination: destination.to_owned(),
                mapping: row.get(3)?,
                attempts: row.get(4)?,
                created_at: row.get(5)?,
                payload: Bytes::from(row.get::<_, Vec<u8>>(6)?),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut lease = t.prepare_cached("UPDATE deliveries SET lease_until = ?2 WHERE id = ?1")?;
    for delivery in &claimed {
        lease.execute(params![delivery.delivery_id, lease_until])?;
    }
    Ok(claimed)
}

fn attempt(t: &Transaction<'_>, record: &AttemptRecord) -> Result<(), StoreError> {
    let next_attempt_at = match &record.next {
        NextStep::RetryAt(at) => Some(*at),
        _ => None,
    };
    t.prepare_cached(
        "INSERT INTO attempts (delivery_id, attempt, started_at, finished_at, outcome,
            http_status, detail, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![
        record.delivery_id,
        record.attempt,
        record.started_at,
        record.finished_at,
        record.outcome.as_str(),
        record.http_status,
        record.detail,
        next_attempt_at,
    ])?;
    let (state, next, reason) = match &record.next {
        NextStep::Done => ("delivered", record.finished_at, None),
        NextStep::RetryAt(at) => ("pending", *at, None),
        NextStep::DeadLetter { reason } => ("dead", record.finished_at, Some(reason.as_str())),
    };
    t.prepare_cached(
        "UPDATE deliveries SET state = ?2, attempts = ?3, next_attempt_at = ?4,
            lease_until = NULL, updated_at = ?5, dead_reason = ?6
         WHERE id = ?1",
    )?
    .execute(params![
        record.delivery_id,
        state,
        record.attempt,
        next,
        record.finished_at,
        reason
    ])?;
    Ok(())
}

fn replay(
    t: &Transaction<'_>,
    dead_letter_id: &str,
    targets: &[NewDelivery],
) -> Result<Option<Vec<String>>, StoreError> {
    let submission_id: Option<String> = t
        .query_row(
            "SELECT submission_id FROM deliveries WHERE id = ?1 AND state = 'dead'",
            [dead_letter_id],
            |row| row.get(0),
        )
        .optional()?;
    let Some(submission_id) = submission_id else {
        return Ok(None);
    };
    let now = now_millis();
    t.execute(
        "UPDATE deliveries SET state = 'replayed', updated_at = ?2 WHERE id = ?1",
        params![dead_letter_id, now],
    )?;
    let mut busy = t.prepare_cached(
        "SELECT destination FROM deliveries
         WHERE submission_id = ?1 AND state IN ('pending', 'delivered')",
    )?;
    let taken: Vec<String> = busy
        .query_map([&submission_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let fresh: Vec<NewDelivery> = targets
        .iter()
        .filter(|target| !taken.contains(&target.destination))
        .cloned()
        .collect();
    insert_deliveries(t, &submission_id, &fresh, now)?;
    Ok(Some(fresh.into_iter().map(|d| d.destination).collect()))
}

fn read_status(c: &Connection, id: &str) -> Result<Option<SubmissionStatus>, StoreError> {
    let head = c
        .query_row(
            "SELECT message_uuid, sender, root_name, route, received_at FROM submissions
             WHERE id = ?1",
            [id],
            |row| {
                Ok((
                    row.get::<_, Option<String>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                ))
            },
        )
        .optional()?;
    let Some((message_uuid, sender, root_name, route, received_at)) = head else {
        return Ok(None);
    };
    let mut deliveries_query = c.prepare_cached(
        "SELECT id, destination, state, next_attempt_at, dead_reason FROM deliveries
         WHERE submission_id = ?1 ORDER BY created_at, destination",
    )?;
    let mut deliveries: Vec<DeliveryStatus> = deliveries_query
        .query_map([id], |row| {
            let state: String = row.get(2)?;
            Ok(DeliveryStatus {
                id: row.get(0)?,
                destination: row.get(1)?,
                next_attempt_at: if state == "pending" {
                    Some(row.get(3)?)
                } else {
                    None
                },
                state,
                dead_reason: row.get(4)?,
                attempts: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let mut attempts_query = c.prepare_cached(
        "SELECT attempt, started_at, finished_at, outcome, http_status, detail, next_attempt_at
         FROM attempts WHERE delivery_id = ?1 ORDER BY attempt",
    )?;
    for delivery in &mut deliveries {
        delivery.attempts = attempts_query
            .query_map([&delivery.id], |row| {
                Ok(AttemptStatus {
                    attempt: row.get(0)?,
                    started_at: row.get(1)?,
                    finished_at: row.get(2)?,
                    outcome: OutcomeClass::parse(&row.get::<_, String>(3)?),
                    http_status: row.get(4)?,
                    detail: row.get(5)?,
                    next_attempt_at: row.get(6)?,
                })
            })?
            .collect::<Result<_, _>>()?;
    }
    // A replayed dead letter still counts as tried: its submission is past "accepted".
    let tried: usize = deliveries.iter().map(|d| d.attempts.len()).sum();
    let (mut pending, mut delivered, mut dead) = (0, 0, 0);
    for delivery in deliveries.iter().filter(|d| d.state != "replayed") {
        match delivery.state.as_str() {
            "pending" => pending += 1,
            "delivered" => delivered += 1,
            _ => dead += 1,
        }
    }
    let status = if pending > 0 {
        if tried == 0 && delivered == 0 {
            SubmissionState::Accepted
        } else {
            SubmissionState::Delivering
        }
    } else if dead > 0 {
        SubmissionState::DeadLettered
    } else {
        SubmissionState::Delivered
    };
    Ok(Some(SubmissionStatus {
        id: id.to_owned(),
        message_uuid,
        sender,
        root_name,
        route,
        received_at,
        status,
        deliveries,
    }))
}

const DEAD_LETTER_COLUMNS: &str = "d.id, d.submission_id, s.message_uuid, s.sender, s.root_name,
    d.destination, d.attempts, d.dead_reason, d.updated_at";

fn dead_letter_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: row.get(0)?,
        submission_id: row.get(1)?,
        message_uuid: row.get(2)?,
        sender: row.get(3)?,
        root_name: row.get(4)?,
        destination: row.get(5)?,
        attempts: row.get(6)?,
        reason: row.get(7)?,
        dead_at: row.get(8)?,
    })
}

impl Store for SqliteStore {
    fn accept(&self, submission: NewSubmission) -> StoreFuture<'_, AcceptOutcome> {
        self.write(|reply| WriteOp::Accept(Box::new(submission), reply))
    }

    fn claim_due(
        &self,
        destination: &str,
        now: UnixMillis,
        limit: usize,
        lease_until: UnixMillis,
    ) -> StoreFuture<'_, Vec<ClaimedDelivery>> {
        let destination = destination.to_owned();
        self.write(|reply| WriteOp::Claim {
            destination,
            now,
            limit,
            lease_until,
            reply,
        })
    }

    fn next_due(&self, destination: &str) -> StoreFuture<'_, Option<UnixMillis>> {
        let destination = destination.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at
                                 THEN lease_until ELSE next_attempt_at END)
                 FROM deliveries WHERE destination = ?1 AND state = 'pending'",
                [destination],
                |row| row.get(0),
            )?)
        })
    }

    fn record_attempt(&self, record: AttemptRecord) -> StoreFuture<'_, ()> {
        self.write(|reply| WriteOp::Attempt(record, reply))
    }

    fn submission_status(&self, id: &str) -> StoreFuture<'_, Option<SubmissionStatus>> {
        let id = id.to_owned();
        self.read(move |c| read_status(c, &id))
    }

    fn dead_letters(&self, limit: usize) -> StoreFuture<'_, Vec<DeadLetter>> {
        self.read(move |c| {
            let mut statement = c.prepare_cached(&format!(
                "SELECT {DEAD_LETTER_COLUMNS} FROM deliveries d
                 JOIN submissions s ON s.id = d.submission_id
                 WHERE d.state = 'dead' ORDER BY d.updated_at LIMIT ?1"
            ))?;
            let rows = statement.query_map([limit as i64], dead_letter_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn replay_source(&self, dead_letter_id: &str) -> StoreFuture<'_, Option<ReplaySource>> {
        let id = dead_letter_id.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {DEAD_LETTER_COLUMNS}, s.payload, d.state FROM deliveries d
                     JOIN submissions s ON s.id = d.submission_id
                     WHERE d.id = ?1 AND d.state IN ('dead', 'replayed')"
                ),
                [id],
                |row| {
                    Ok(ReplaySource {
                        dead_letter: dead_letter_row(row)?,
                        payload: Bytes::from(row.get::<_, Vec<u8>>(9)?),
                        already_replayed: row.get::<_, String>(10)? == "replayed",
                    })
                },
            )
            .optional()?)
        })
    }

    fn replay(
        &self,
        dead_letter_id: &str,
        targets: Vec<NewDelivery>,
    ) -> StoreFuture<'_, Option<Vec<String>>> {
        let dead_letter_id = dead_letter_id.to_owned();
        self.write(|reply| WriteOp::Replay {
            dead_letter_id,
            targets,
            reply,
        })
    }

    fn pending_counts(&self) -> StoreFuture<'_, Vec<(String, u64)>> {
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT destination, COUNT(*) FROM deliveries WHERE state = 'pending'
                 GROUP BY destination",
            )?;
            let rows = statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn check_writable(&self) -> StoreFuture<'_, ()> {
        self.write(WriteOp::Probe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn submission(id: &str, key: Option<&str>, destinations: &[&str]) -> NewSubmission {
        NewSubmission {
            id: id.to_owned(),
            sender: "portal".into(),
            idempotency_key: key.map(str::to_owned),
            message_uuid: key.map(str::to_owned),
            root_namespace: Some("urn:example".into()),
            root_name: "bau.antrag.0200".into(),
            nachrichtentyp: None,
            leser_kennung: None,
            route: "r".into(),
            received_at: now_millis(),
            payload: Bytes::from_static(b"<a/>"),
            targets: destinations
                .iter()
                .map(|d| NewDelivery {
                    id: format!("{id}-{d}"),
                    destination: (*d).to_owned(),
                    mapping: None,
                })
                .collect(),
        }
    }

    fn store(dir: &tempfile::TempDir) -> SqliteStore {
        SqliteStore::open(&dir.path().join("s.sqlite"), 64, None).expect("open store")
    }

    #[tokio::test]
    async fn accept_claim_and_deliver() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir);
        let outcome = store
            .accept(submission("s1", Some("u1"), &["a", "b"]))
            .await;
        assert_eq!(outcome.expect("accept"), AcceptOutcome::Created);
        let status = store
            .submission_status("s1")
            .await
            .expect("status")
            .expect("exists");
        assert_eq!(status.status, SubmissionState::Accepted);

        let now = now_millis();
        let claimed = store
            .claim_due("a", now, 10, now + 60_000)
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 1);
        assert_eq!(&claimed[0].payload[..], b"<a/>");
        // A leased delivery is not claimed twice.
        assert!(store
            .claim_due("a", now, 10, now + 60_000)
            .await
            .expect("claim")
            .is_empty());

        store
            .record_attempt(AttemptRecord {
                delivery_id: claimed[0].delivery_id.clone(),
                attempt: 1,
                started_at: now,
                finished_at: now,
                outcome: OutcomeClass::Delivered,
                http_status: Some(200),
                detail: None,
                next: NextStep::Done,
            })
            .await
            .expect("record");
        let status = store
            .submission_status("s1")
            .await
            .expect("status")
            .expect("exists");
        assert_eq!(status.status, SubmissionState::Delivering);
        assert_eq!(
            store.pending_counts().await.expect("counts"),
            vec![("b".into(), 1)]
        );
    }

    #[tokio::test]
    async fn the_same_key_from_the_same_sender_is_a_duplicate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir);
        store
            .accept(submission("s1", Some("u1"), &["a"]))
            .await
            .expect("first");
        let again = store
            .accept(submission("s2", Some("u1"), &["a"]))
            .await
            .expect("second");
        assert_eq!(
            again,
            AcceptOutcome::Duplicate {
                id: "s1".into(),
                message_uuid: Some("u1".into()),
                destinations: vec!["a".into()]
            }
        );
        assert!(store
            .submission_status("s2")
            .await
            .expect("status")
            .is_none());
    }

    #[tokio::test]
    async fn dead_letters_can_be_replayed_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir);
        store
            .accept(submission("s1", None, &["a"]))
            .await
            .expect("accept");
        let now = now_millis();
        store
            .record_attempt(AttemptRecord {
                delivery_id: "s1-a".into(),
                attempt: 1,
                started_at: now,
                finished_at: now,
                outcome: OutcomeClass::Reject,
                http_status: Some(400),
                detail: Some("HTTP 400".into()),
                next: NextStep::DeadLetter {
                    reason: "rejected with HTTP 400".into(),
                },
            })
            .await
            .expect("record");
        let dead = store.dead_letters(10).await.expect("list");
        assert_eq!(dead.len(), 1);
        assert_eq!(dead[0].reason.as_deref(), Some("rejected with HTTP 400"));
        let status = store
            .submission_status("s1")
            .await
            .expect("status")
            .expect("exists");
        assert_eq!(status.status, SubmissionState::DeadLettered);

        let source = store
            .replay_source("s1-a")
            .await
            .expect("source")
            .expect("dead");
        assert!(!source.already_replayed);
        assert_eq!(&source.payload[..], b"<a/>");
        let target = NewDelivery {
            id: "s1-a-2".into(),
            destination: "a".into(),
            mapping: None,
        };
        let replayed = store
            .replay("s1-a", vec![target.clone()])
            .await
            .expect("replay");
        assert_eq!(replayed, Some(vec!["a".to_owned()]));
        assert_eq!(
            store.replay("s1-a", vec![target]).await.expect("again"),
            None
        );
        assert!(store.dead_letters(10).await.expect("list").is_empty());
        let status = store
            .submission_status("s1")
            .await
            .expect("status")
            .expect("exists");
        assert_eq!(status.status, SubmissionState::Delivering);
    }

    #[tokio::test]
    async fn leases_from_a_dead_process_are_released_on_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let store = store(&dir);
            store
                .accept(submission("s1", None, &["a"]))
                .await
                .expect("accept");
            let now = now_millis();
            let claimed = store
                .claim_due("a", now, 10, now + 3_600_000)
                .await
                .expect("claim");
            assert_eq!(claimed.len(), 1);
        }
        let reopened = store(&dir);
        let now = now_millis();
        let claimed = reopened
            .claim_due("a", now, 10, now + 60_000)
            .await
            .expect("claim");
        assert_eq!(
            claimed.len(),
            1,
            "the pending delivery survives the restart"
        );
    }

    #[tokio::test]
    async fn concurrent_accepts_are_all_committed_in_batches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let batches = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&batches);
        let observer: CommitObserver = Arc::new(move |size, _| {
            if let Ok(mut b) = seen.lock() {
                b.push(size)
            }
        });
        let store = Arc::new(
            SqliteStore::open(&dir.path().join("s.sqlite"), 64, Some(observer)).expect("open"),
        );
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = Arc::clone(&store);
            tasks.push(tokio::spawn(async move {
                store
                    .accept(submission(&format!("s{i}"), Some(&format!("u{i}")), &["a"]))
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(
                task.await.expect("join").expect("accept"),
                AcceptOutcome::Created
            );
        }
        let committed: usize = batches.lock().expect("lock").iter().sum();
        assert_eq!(committed, 200);
        assert_eq!(
            store.pending_counts().await.expect("counts"),
            vec![("a".into(), 200)]
        );
    }
}
