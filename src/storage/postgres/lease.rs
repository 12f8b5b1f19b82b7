//! The exporter lease: on a database shared by several nodes, exactly one of them runs the
//! schema exporters, the one holding a session-level advisory lock on a connection of its own.
//! The lock lives as long as that connection: a node that dies, or loses the database, lets it
//! go, and another node takes it at its next attempt. The holder checks its connection at each
//! attempt, so after a lost connection two nodes can both export for at most one exporter tick;
//! the exporters' writes (IMPORT-mode registrations with explicit ids, deletes, configs) are
//! idempotent, so that overlap repeats writes but never makes different ones.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;
use tokio::sync::Mutex;

/// The advisory lock the exporters' node holds (an arbitrary constant: "SCHEMEXP" in ASCII).
const EXPORTER_LOCK: i64 = 0x5343_4845_4D45_5850;
/// The name the lease's connection shows in `pg_stat_activity`.
pub const APPLICATION_NAME: &str = "schemata-exporter-lease";

pub struct Lease {
    options: PgConnectOptions,
    /// The lease's connection, and whether it holds the lock.
    connection: Mutex<Option<(PgConnection, bool)>>,
}

impl Lease {
    pub fn new(options: PgConnectOptions) -> Lease {
        Lease {
            options: options.application_name(APPLICATION_NAME),
            connection: Mutex::new(None),
        }
    }

    /// Whether this node holds the lease now: keeps it when it does, tries to take it when it
    /// does not. A database that cannot be reached means no lease.
    pub async fn hold(&self) -> bool {
        let mut slot = self.connection.lock().await;
        if slot.is_none() {
            match PgConnection::connect_with(&self.options).await {
                Ok(connection) => *slot = Some((connection, false)),
                Err(_) => return false,
            }
        }
        let Some((connection, held)) = slot.as_mut() else {
            return false;
        };
        let answer = if *held {
            sqlx::query_scalar::<_, i32>("SELECT 1")
                .fetch_one(&mut *connection)
                .await
                .map(|_| true)
        } else {
            sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1)")
                .bind(EXPORTER_LOCK)
                .fetch_one(&mut *connection)
                .await
        };
        match answer {
            Ok(holds) => {
                *held = holds;
                holds
            }
            Err(_) => {
                // The connection is gone, and the lock with it: connect again next time.
                *slot = None;
                false
            }
        }
    }
}
