//! PostgreSQL storage: several stateless registry nodes on one database.
//!
//! The records are those of the embedded log, kept one row per key in `records` (see
//! `migrations/`). Every write runs in a transaction that first takes one cluster-wide advisory
//! lock, so writes from all nodes are serialised and `seq` order is commit order: a transaction
//! draws its `seq` values while holding the lock, and PostgreSQL makes a commit visible before
//! it releases the lock. A node that has applied every record up to some `seq` (its
//! [`Position`]) therefore misses nothing by reading `seq > position`. The registry keeps that
//! position inside the state it describes, so a state thrown away after a failed write takes
//! its position with it and the records are read again. Schema ids come from a sequence through
//! `schema_ids`, unique by identity. Each commit sends a NOTIFY; a listener task wakes the
//! registry, and wakes it too after a lost connection, when notifications may have been missed.
//! Reads never touch the database: they are served from each node's memory.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::{Batch, CommitFuture, OnDurable, Position, Record, Store, StoreError, Transaction};

/// The channel commits are announced on.
const CHANNEL: &str = "schemata_records";
/// The advisory lock every write holds (an arbitrary constant: "SCHEMATA" in ASCII).
const WRITE_LOCK: i64 = 0x5343_4845_4D41_5441;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct PgStore {
    pool: PgPool,
    /// Sent with this node's notifications, so it does not wake itself up.
    node: String,
    /// Woken by the listener task when other nodes may have written.
    changed: Arc<Notify>,
    listener: AbortHandle,
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn backend(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::PoolTimedOut => StoreError::Timeout(e.to_string()),
        // lock_not_available, query_canceled (statement/lock timeouts)
        sqlx::Error::Database(d) if matches!(d.code().as_deref(), Some("55P03" | "57014")) => {
            StoreError::Timeout(e.to_string())
        }
        _ => StoreError::Backend(format!("PostgreSQL: {e}")),
    }
}

fn decode(key: &str, value: Option<&str>, seq: i64) -> Result<Option<Record>, StoreError> {
    Record::decode(key.as_bytes(), value.map(str::as_bytes))
        .map_err(|e| StoreError::Corrupt(format!("record seq {seq} cannot be read: {e}")))
}

fn position(seq: i64) -> Result<Position, StoreError> {
    Position::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative record seq {seq}")))
}

/// Wakes the registry whenever another node announces a commit, and after the notification
/// connection was lost (the commits announced meanwhile are gone, so the registry must look).
async fn listen(mut listener: PgListener, node: String, changed: Arc<Notify>) {
    let mut failing = false;
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) if n.payload() == node => {} // our own write
            Ok(Some(_)) => changed.notify_one(),
            Ok(None) => {
                tracing::warn!("the PostgreSQL notification connection was lost and reopened");
                changed.notify_one();
            }
            Err(e) => {
                if !failing {
                    tracing::warn!("PostgreSQL notifications stopped, retrying every second: {e}");
                }
                failing = true;
                // Pause so a database that is down is not hammered; the retry reconnects.
                tokio::time::sleep(Duration::from_secs(1)).await;
                changed.notify_one();
                continue;
            }
        }
        failing = false;
    }
}

impl PgStore {
    /// Connects, applies the migrations and starts listening for other nodes' commits.
    pub async fn open(url: &str) -> Result<PgStore, StoreError> {
        let unreachable = |e: sqlx::Error| {
            StoreError::Config(format!(
                "cannot connect to PostgreSQL at {}: {e}",
                redact(url)
            ))
        };
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(unreachable)?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("applying migrations: {e}")))?;
        let mut listener = PgListener::connect_with(&pool).await.map_err(unreachable)?;
        listener.listen(CHANNEL).await.map_err(backend)?;
        let node = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let changed = Arc::new(Notify::new());
        let listener = tokio::spawn(listen(listener, node.clone(), changed.clone())).abort_handle();
        Ok(PgStore {
            pool,
            node,
            changed,
            listener,
        })
    }

    async fn records_after(&self, after: Position) -> Result<Batch, StoreError> {
        let after_seq = i64::try_from(after)
            .map_err(|_| StoreError::Corrupt(format!("position {after} is out of range")))?;
        let rows = sqlx::query("SELECT seq, key, value FROM records WHERE seq > $1 ORDER BY seq")
            .bind(after_seq)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut batch = Batch {
            records: Vec::with_capacity(rows.len()),
            position: after,
        };
        for row in rows {
            let seq: i64 = row.get("seq");
            let key: String = row.get("key");
            let value: Option<String> = row.get("value");
            batch.records.extend(decode(&key, value.as_deref(), seq)?);
            batch.position = position(seq)?;
        }
        Ok(batch)
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn load(&self) -> Result<Batch, StoreError> {
        self.records_after(0).await
    }

    async fn begin(&self) -> Result<Box<dyn Transaction>, StoreError> {
        let mut tx = self.pool.begin().await.map_err(backend)?;
        // A node stuck holding the lock must not stall the others forever.
        sqlx::query("SELECT set_config('lock_timeout', '10s', true), pg_advisory_xact_lock($1)")
            .bind(WRITE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        Ok(Box::new(PgTransaction {
            tx,
            node: self.node.clone(),
        }))
    }

    async fn catch_up(&self, after: Position) -> Result<Batch, StoreError> {
        self.records_after(after).await
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn changed(&self) {
        self.changed.notified().await;
    }
}

struct PgTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    node: String,
}

#[async_trait::async_trait]
impl Transaction for PgTransaction {
    async fn new_id(
        &mut self,
        identity: &[u8; 16],
        _highest_known: u32,
    ) -> Result<u32, StoreError> {
        let inserted: Option<i32> = sqlx::query_scalar(
            "INSERT INTO schema_ids (identity, id) VALUES ($1, nextval('schema_id_seq')) \
             ON CONFLICT (identity) DO NOTHING RETURNING id",
        )
        .bind(&identity[..])
        .fetch_optional(&mut *self.tx)
        .await
        .map_err(backend)?;
        let id = match inserted {
            Some(id) => id,
            None => sqlx::query_scalar("SELECT id FROM schema_ids WHERE identity = $1")
                .bind(&identity[..])
                .fetch_one(&mut *self.tx)
                .await
                .map_err(backend)?,
        };
        u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("negative schema id {id}")))
    }

    fn generation(&self) -> u64 {
        0
    }

    fn pipelined(&self) -> bool {
        false
    }

    fn commit(self: Box<Self>, records: Vec<Record>, on_durable: OnDurable) -> CommitFuture {
        let PgTransaction { mut tx, node } = *self;
        Box::pin(async move {
            let mut last = 0;
            let mut highest_id: i64 = 0;
            for record in &records {
                if let Record::Schema { value: Some(v), .. } = record {
                    highest_id = highest_id.max(i64::from(v.id));
                }
                let key = String::from_utf8(record.key()).expect("keys are JSON text");
                let value = record
                    .value()
                    .map(|v| String::from_utf8(v).expect("values are JSON text"));
                last = sqlx::query_scalar(
                    "INSERT INTO records (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, seq = nextval('record_seq') \
                     RETURNING seq",
                )
                .bind(key)
                .bind(value)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            }
            // Tell the other nodes, and make sure ids given explicitly (IMPORT mode) are never
            // handed out again: one round trip.
            sqlx::query(
                "SELECT pg_notify($1, $2), CASE WHEN $3 > 0 THEN setval('schema_id_seq', GREATEST($3, \
                 (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM schema_id_seq)), true) END",
            )
            .bind(CHANNEL)
            .bind(node)
            .bind(highest_id)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            // The registry caught up inside this transaction's lock before deciding: nothing
            // committed by others lies between its position and these records.
            on_durable(position(last)?);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
