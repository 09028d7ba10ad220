//! Versioned schema migrations. A migration is applied once, in its own transaction, and its
//! version recorded in `schema_migrations`; released migrations are never edited.

use rusqlite::Connection;

use super::StoreError;

const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE submissions (
        id TEXT PRIMARY KEY,
        sender TEXT NOT NULL,
        idempotency_key TEXT,
        message_uuid TEXT,
        root_namespace TEXT,
        root_name TEXT NOT NULL,
        nachrichtentyp TEXT,
        leser_kennung TEXT,
        route TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        payload BLOB NOT NULL
    );
    CREATE UNIQUE INDEX submissions_idempotency
        ON submissions (sender, idempotency_key);
    CREATE TABLE deliveries (
        id TEXT PRIMARY KEY,
        submission_id TEXT NOT NULL REFERENCES submissions (id),
        destination TEXT NOT NULL,
        mapping TEXT,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        lease_until BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        dead_reason TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (destination, state, next_attempt_at);
    CREATE INDEX deliveries_submission ON deliveries (submission_id);
    CREATE TABLE attempts (
        delivery_id TEXT NOT NULL REFERENCES deliveries (id),
        attempt INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT NOT NULL,
        outcome TEXT NOT NULL,
        http_status INTEGER,
        detail TEXT,
        next_attempt_at BIGINT,
        PRIMARY KEY (delivery_id, attempt)
    );",
)];

pub fn apply(connection: &mut Connection) -> Result<(), StoreError> {
    connection.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )",
    )?;
    let current: i64 = connection.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
        [],
        |row| row.get(0),
    )?;
    let newest = MIGRATIONS.last().map(|(v, _)| *v).unwrap_or(0);
    if current > newest {
        return Err(StoreError::Migration(format!(
            "the database is at schema version {current}, newer than this binary knows ({newest})"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        let transaction = connection.transaction()?;
        transaction.execute_batch(sql)?;
        transaction.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
            (version, super::now_millis()),
        )?;
        transaction.commit()?;
    }
    Ok(())
}
