//! PostgreSQL storage: several stateless registry nodes on one database.
//!
//! The records are those of the embedded log, kept one row per key in `records` (see
//! `migrations/`). Every write runs in a transaction that first takes one cluster-wide advisory
//! lock, so writes from all nodes are serialised: `seq` order is commit order, the writer
//! catches up on everything committed before it, and a subject never gets two versions from a
//! race. Schema ids come from a sequence through `schema_ids`, unique by identity. Each commit
//! sends a NOTIFY; every node listens and catches up within milliseconds, and again after a
//! reconnection. Reads never touch the database: they are served from each node's memory.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row};
use tokio::sync::Mutex;

use super::{CommitFuture, OnDurable, Record, Store, StoreError, Transaction};

/// The channel commits are announced on.
const CHANNEL: &str = "schemata_records";
/// The advisory lock every write holds (an arbitrary constant: "SCHEMATA" in ASCII).
const WRITE_LOCK: i64 = 0x5343_4845_4D41_5441;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct PgStore {
    pool: PgPool,
    /// Sent with this node's notifications, so it does not wake itself up.
    node: String,
    /// The highest `seq` this node has applied.
    last_seen: Arc<AtomicI64>,
    listener: Mutex<PgListener>,
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
        Ok(PgStore {
            pool,
            node,
            last_seen: Arc::new(AtomicI64::new(0)),
            listener: Mutex::new(listener),
        })
    }

    async fn records_after(&self, seq: i64) -> Result<Vec<Record>, StoreError> {
        let rows = sqlx::query("SELECT seq, key, value FROM records WHERE seq > $1 ORDER BY seq")
            .bind(seq)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?;
        let mut records = Vec::with_capacity(rows.len());
        let mut last = seq;
        for row in rows {
            let seq: i64 = row.get("seq");
            let key: String = row.get("key");
            let value: Option<String> = row.get("value");
            records.extend(decode(&key, value.as_deref(), seq)?);
            last = seq;
        }
        self.last_seen.fetch_max(last, Ordering::SeqCst);
        Ok(records)
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn load(&self) -> Result<Vec<Record>, StoreError> {
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
            last_seen: self.last_seen.clone(),
            node: self.node.clone(),
        }))
    }

    async fn catch_up(&self) -> Result<Vec<Record>, StoreError> {
        self.records_after(self.last_seen.load(Ordering::SeqCst))
            .await
    }

    fn is_shared(&self) -> bool {
        true
    }

    async fn changed(&self) -> Result<(), StoreError> {
        let mut listener = self.listener.lock().await;
        loop {
            match listener.recv().await {
                Ok(n) if n.payload() == self.node => continue, // our own write
                Ok(_) => return Ok(()),
                Err(e) => {
                    // The listener reconnects on its next call; notifications sent meanwhile are
                    // lost, so the caller catches up anyway. Pause so a database that is down is
                    // not hammered.
                    tracing::warn!(
                        "lost the PostgreSQL notification connection, reconnecting: {e}"
                    );
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    return Ok(());
                }
            }
        }
    }
}

struct PgTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    last_seen: Arc<AtomicI64>,
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
        let PgTransaction {
            mut tx,
            last_seen,
            node,
        } = *self;
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
            // Writes are serialised and this node caught up before writing: nothing committed
            // by others lies between what it had seen and these records.
            last_seen.fetch_max(last, Ordering::SeqCst);
            on_durable();
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
