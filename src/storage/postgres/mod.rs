//! PostgreSQL storage: several stateless registry nodes on one database.
//!
//! The records are those of the embedded log, kept one row per key in `records` (see
//! `migrations/`). Every write is made under one cluster-wide advisory lock (`committer.rs`,
//! which also shares one transaction among a node's concurrent writes), so writes from all
//! nodes are serialised and `seq` order is commit order: rows draw their `seq` while the lock
//! is held, and PostgreSQL makes a commit visible before the lock is let go. A node that has
//! applied every record up to some `seq` (its [`Position`]) therefore misses nothing by reading
//! `seq > position`. The registry keeps that position inside the state it describes, so a state
//! thrown away after a failed write takes its position with it and the records are read again.
//! Schema ids are handed out under the lock, past the `schema_id_seq` sequence, which every
//! commit moves past the ids it used. Each commit sends a NOTIFY; a listener task wakes the
//! registry, and wakes it too after a lost connection, when notifications may have been missed.
//! Reads never touch the database: they are served from each node's memory.

mod committer;
mod lease;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::{PgListener, PgPool, PgPoolOptions};
use sqlx::Row;
use tokio::sync::Notify;
use tokio::task::AbortHandle;

use super::{Batch, Position, Record, Store, StoreError, Transaction};
use crate::metrics::{Counter, Metrics};
use committer::{Measures, Writes};
use lease::Lease;
pub use lease::APPLICATION_NAME as EXPORTER_LEASE_APPLICATION_NAME;

/// The channel commits are announced on.
const CHANNEL: &str = "schemata_records";
/// The advisory lock every write holds (an arbitrary constant: "SCHEMATA" in ASCII).
const WRITE_LOCK: i64 = 0x5343_4845_4D41_5441;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct PgStore {
    pool: Arc<PgPool>,
    /// Woken by the listener task when other nodes may have written.
    changed: Arc<Notify>,
    listener: AbortHandle,
    notifications: Arc<Notifications>,
    writes: Writes,
    exporter_lease: Lease,
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

/// How many of the subjects found by [`refuse_names_from_before_contexts`] its message names.
const NAMED: i32 = 5;

/// Before migration 0004 (contexts), a subject named `:.ctx:name` was a plain subject of the
/// default context, with an id of the default context. Such a database is refused *before* the
/// migration, so that the earlier Schemata can still serve it: the registry would refuse it
/// after (no CONTEXT record backs those subjects), and 0004 would stop the earlier version.
async fn refuse_names_from_before_contexts(pool: &PgPool) -> Result<(), StoreError> {
    let (records, migrated): (bool, bool) = sqlx::query_as(
        "SELECT to_regclass('records') IS NOT NULL, to_regclass('context_ids') IS NOT NULL",
    )
    .fetch_one(pool)
    .await
    .map_err(backend)?;
    if !records || migrated {
        return Ok(());
    }
    // Keys are written in one spelling (src/storage/record.rs).
    let (count, named): (i64, Vec<String>) = sqlx::query_as(
        "SELECT count(*), (array_agg(subject ORDER BY subject))[1:$1] FROM ( \
           SELECT DISTINCT value::json->>'subject' AS subject FROM records \
           WHERE key LIKE '{\"keytype\":\"SCHEMA\",\"subject\":\":.%' AND value IS NOT NULL \
         ) AS qualified HAVING count(*) > 0",
    )
    .bind(NAMED)
    .fetch_optional(pool)
    .await
    .map_err(backend)?
    .unwrap_or_default();
    if count == 0 {
        return Ok(());
    }
    let named: Vec<String> = named.iter().map(|s| format!("'{s}'")).collect();
    let more = if count > i64::from(NAMED) {
        ", ..."
    } else {
        ""
    };
    Err(StoreError::Config(format!(
        "{count} stored subjects ({}{more}) were registered before Schemata had contexts, as \
         plain subjects of the default context with ids from its sequence; Schemata now reads \
         ':.ctx:name' as the subject 'name' of context '.ctx', with ids of its own, which would \
         change what their ids mean. The database was left as it was (migration 0004 not \
         applied): keep serving it with the earlier Schemata, or with it export them \
         (`schemata export`) and delete them permanently, then start this one",
        named.join(", ")
    )))
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
        refuse_names_from_before_contexts(&pool).await?;
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
        let measures = Measures {
            write_seconds: metrics.histogram(
                "schemata_storage_write_duration_seconds",
                &[],
                "Time to make one group of writes durable (PostgreSQL: the transaction's inserts and commit)",
            ),
            records: metrics.histogram(
                "schemata_postgres_group_commit_records",
                &[],
                "Records written by one PostgreSQL transaction (the writes it shares)",
            ),
        };
        let writes = Writes::start(
            pool.connect_options().as_ref().clone(),
            node.clone(),
            measures,
        );
        let exporter_lease = Lease::new(pool.connect_options().as_ref().clone());
        Ok(PgStore {
            pool,
            changed,
            listener,
            notifications,
            writes,
            exporter_lease,
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
        Ok(Box::new(self.writes.begin().await?))
    }

    async fn catch_up(&self, after: Position) -> Result<Batch, StoreError> {
        self.records_after(after).await
    }

    fn is_shared(&self) -> bool {
        true
    }

    fn holds_write_lock(&self) -> bool {
        self.writes.holding()
    }

    async fn changed(&self) {
        self.changed.notified().await;
    }

    async fn hold_exporter_lease(&self) -> bool {
        self.exporter_lease.hold().await
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
