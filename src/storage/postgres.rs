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

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::{Postgres, Row};
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::{Batch, CommitFuture, OnDurable, Position, Record, Store, StoreError, Transaction};
use crate::metrics::{Counter, Histogram, Metrics};

/// The channel commits are announced on.
const CHANNEL: &str = "schemata_records";
/// The advisory lock every write holds (an arbitrary constant: "SCHEMATA" in ASCII).
const WRITE_LOCK: i64 = 0x5343_4845_4D41_5441;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct PgStore {
    pool: Arc<PgPool>,
    /// Sent with this node's notifications, so it does not wake itself up.
    node: String,
    /// Woken by the listener task when other nodes may have written.
    changed: Arc<Notify>,
    listener: AbortHandle,
    notifications: Arc<Notifications>,
    write_seconds: Histogram,
}

/// Other nodes' notifications: whether one arrived that no read has followed yet, and when the
/// last one was followed by a read (milliseconds since the epoch, 0 for never).
#[derive(Default)]
struct Notifications {
    pending: AtomicBool,
    applied_ms: AtomicU64,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
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
async fn listen(
    mut listener: PgListener,
    node: String,
    changed: Arc<Notify>,
    notifications: Arc<Notifications>,
    received: Counter,
) {
    let mut failing = false;
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) if n.payload() == node => {} // our own write
            Ok(Some(_)) => {
                received.increment(1);
                notifications.pending.store(true, Ordering::SeqCst);
                changed.notify_one();
            }
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
    /// Connects, applies the migrations and starts listening for other nodes' commits; its
    /// writes, connections and notifications are recorded in `metrics`.
    pub async fn open(url: &str, metrics: &Metrics) -> Result<PgStore, StoreError> {
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
        let pool = Arc::new(pool);
        let changed = Arc::new(Notify::new());
        let notifications = Arc::new(Notifications::default());
        let received = metrics.counter(
            "schemata_postgres_notifications_total",
            &[],
            "Notifications of other nodes' writes received",
        );
        let listener = tokio::spawn(listen(
            listener,
            node.clone(),
            changed.clone(),
            notifications.clone(),
            received,
        ))
        .abort_handle();
        observe(metrics, &pool, &notifications);
        Ok(PgStore {
            pool,
            node,
            changed,
            listener,
            notifications,
            write_seconds: metrics.histogram(
                "schemata_storage_write_duration_seconds",
                &[],
                "Time to make one write durable (PostgreSQL: the transaction's inserts and commit)",
            ),
        })
    }

    async fn records_after(&self, after: Position) -> Result<Batch, StoreError> {
        let after_seq = i64::try_from(after)
            .map_err(|_| StoreError::Corrupt(format!("position {after} is out of range")))?;
        // Taken before the read, so a notification arriving during it is followed by another.
        let notified = self.notifications.pending.swap(false, Ordering::SeqCst);
        let rows = sqlx::query("SELECT seq, key, value FROM records WHERE seq > $1 ORDER BY seq")
            .bind(after_seq)
            .fetch_all(&*self.pool)
            .await
            .map_err(|e| {
                if notified {
                    self.notifications.pending.store(true, Ordering::SeqCst);
                }
                backend(e)
            })?;
        if notified {
            self.notifications
                .applied_ms
                .store(now_ms(), Ordering::SeqCst);
        }
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
            write_seconds: self.write_seconds.clone(),
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

/// Sets, at each scrape, the pool's connections and the age of the last notification read.
fn observe(metrics: &Metrics, pool: &Arc<PgPool>, notifications: &Arc<Notifications>) {
    let in_use = metrics.gauge(
        "schemata_postgres_connections",
        &[("state", "in_use")],
        "Connections of the PostgreSQL pool, in use or idle",
    );
    let idle = metrics.gauge(
        "schemata_postgres_connections",
        &[("state", "idle")],
        "Connections of the PostgreSQL pool, in use or idle",
    );
    let age = metrics.gauge(
        "schemata_postgres_last_notification_age_seconds",
        &[],
        "Seconds since the records of another node's last notification were read (NaN: none yet)",
    );
    // Weak: the metrics must not keep the pool open once the store is gone.
    let pool: Weak<PgPool> = Arc::downgrade(pool);
    let notifications: Weak<Notifications> = Arc::downgrade(notifications);
    metrics.on_scrape(move || {
        if let Some(pool) = pool.upgrade() {
            let idle_now = pool.num_idle() as u32;
            in_use.set(f64::from(pool.size().saturating_sub(idle_now)));
            idle.set(f64::from(idle_now));
        }
        if let Some(n) = notifications.upgrade() {
            let applied = n.applied_ms.load(Ordering::SeqCst);
            age.set(if applied == 0 {
                f64::NAN
            } else {
                now_ms().saturating_sub(applied) as f64 / 1000.0
            });
        }
    });
}

struct PgTransaction {
    tx: sqlx::Transaction<'static, Postgres>,
    node: String,
    write_seconds: Histogram,
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
            node,
            write_seconds,
        } = *self;
        let started = std::time::Instant::now();
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
            write_seconds.record(started.elapsed());
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
