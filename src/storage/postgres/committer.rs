//! Writing to PostgreSQL: one cluster-wide write lock, and the node's concurrent writes shared
//! by one transaction and one flush (group commit).
//!
//! The lock is a session-level advisory lock held on a connection of its own. A node takes it
//! when its first write begins (the write then catches up with what other nodes committed:
//! [`Transaction::fresh`]), keeps it while its writes keep coming, and lets it go when none is
//! left, or after [`MAX_HOLD`] so that other nodes get their turn. While this node holds it no
//! other node can commit, so its writes can decide against its own state, ids included
//! (`high water + 1`, as the embedded log does), without asking the database; each write hands
//! its records over and the next one starts at once (the registry's pipelining). One task, the
//! committer, writes everything handed over since its last commit in one statement, which is
//! one transaction and one round trip: the records, the notification to other nodes, the id
//! sequence (and each other context's highest id, `context_ids`) moved past every id used. A
//! commit that fails throws away what was decided on top of it (the generation changes), and
//! closes the connection, which releases the lock.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, Row};
use tokio::sync::{mpsc, oneshot};

use super::{backend, position, CHANNEL, WRITE_LOCK};
use crate::metrics::Histogram;
use crate::storage::{
    split_subject, CommitFuture, OnDurable, Position, Record, StoreError, Transaction,
};

/// Each context's highest id handed out (the default context's is the high water): read when
/// the lock is taken, moved by each new id. Only writes touch it.
type ContextIds = Arc<Mutex<HashMap<String, u32>>>;

/// The longest a node keeps the write lock while its writes keep coming; then it finishes what
/// it has, lets go, and queues for the lock again behind any other node waiting for it.
const MAX_HOLD: Duration = Duration::from_millis(50);

/// The handle the store keeps: starts writes and hands their records to the committer.
pub(super) struct Writes {
    tx: mpsc::UnboundedSender<Msg>,
    generation: Arc<AtomicU64>,
    high_water: Arc<AtomicU32>,
    context_ids: ContextIds,
    holding: Arc<AtomicBool>,
}

enum Msg {
    /// A write starts: answered once this node holds the write lock.
    Begin(oneshot::Sender<Result<Admission, StoreError>>),
    Commit(Commit),
    /// A write ended without records.
    Abandon,
}

struct Commit {
    records: Vec<Record>,
    on_durable: OnDurable,
    done: oneshot::Sender<Result<(), StoreError>>,
    generation: u64,
}

/// A write let in under the lock: counted in progress until it commits or is dropped. It is
/// dropped unread when its client went away after it was let in, before it was seen: it still
/// ends then, so the lock is not kept for a write that will never come.
struct Admission {
    /// The committer's channel; weak, so that the committer ends with the store.
    tx: mpsc::WeakUnboundedSender<Msg>,
    /// No write has committed since the lock was taken: this one must catch up first.
    fresh: bool,
    open: bool,
}

impl Admission {
    fn send(&self, msg: Msg) -> Result<(), StoreError> {
        let tx = self.tx.upgrade().ok_or_else(stopped)?;
        tx.send(msg).map_err(|_| stopped())
    }
}

impl Drop for Admission {
    fn drop(&mut self) {
        if self.open {
            let _ = self.send(Msg::Abandon);
        }
    }
}

/// What the committer measures.
pub(super) struct Measures {
    pub(super) write_seconds: Histogram,
    pub(super) records: Histogram,
}

impl Writes {
    /// Starts the committer, which connects with `options` when it first needs the lock.
    pub(super) fn start(options: PgConnectOptions, node: String, measures: Measures) -> Writes {
        let (tx, rx) = mpsc::unbounded_channel();
        let writes = Writes {
            tx,
            generation: Arc::default(),
            high_water: Arc::default(),
            context_ids: Arc::default(),
            holding: Arc::default(),
        };
        let committer = Committer {
            options,
            node,
            rx,
            generation: writes.generation.clone(),
            high_water: writes.high_water.clone(),
            context_ids: writes.context_ids.clone(),
            holding: writes.holding.clone(),
            measures,
            conn: None,
            idle: None,
            locked_at: Instant::now(),
            in_flight: 0,
            catch_up_owed: false,
            me: writes.tx.downgrade(),
            queue: Vec::new(),
            waiting: Vec::new(),
        };
        tokio::spawn(committer.run());
        writes
    }

    pub(super) async fn begin(&self) -> Result<PgTransaction, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.tx.send(Msg::Begin(reply)).map_err(|_| stopped())?;
        let admission = answer.await.map_err(|_| stopped())??;
        Ok(PgTransaction {
            admission,
            generation: self.generation.load(Ordering::SeqCst),
            high_water: self.high_water.clone(),
            context_ids: self.context_ids.clone(),
        })
    }

    /// Whether this node holds the write lock: no other node can commit meanwhile.
    pub(super) fn holding(&self) -> bool {
        self.holding.load(Ordering::SeqCst)
    }
}

fn stopped() -> StoreError {
    StoreError::Backend("the PostgreSQL committer has stopped".into())
}

/// A write in progress on this node (dropped, it is abandoned).
pub(super) struct PgTransaction {
    admission: Admission,
    generation: u64,
    high_water: Arc<AtomicU32>,
    context_ids: ContextIds,
}

#[async_trait::async_trait]
impl Transaction for PgTransaction {
    async fn new_id(&mut self, highest_known: u32) -> Result<u32, StoreError> {
        // This node holds the write lock: the high water (the id sequence when the lock was
        // taken, and every id handed out since) and its state are all that is in use.
        let id =
            crate::storage::next_id(self.high_water.load(Ordering::SeqCst).max(highest_known))?;
        self.high_water.store(id, Ordering::SeqCst);
        Ok(id)
    }

    async fn new_id_in(&mut self, context: &str, highest_known: u32) -> Result<u32, StoreError> {
        if context == "." {
            return self.new_id(highest_known).await;
        }
        // As for the default context, under the write lock: `context_ids` as read when the lock
        // was taken, every id handed out since, and this node's state.
        let mut ids = self.context_ids.lock().unwrap_or_else(|e| e.into_inner());
        let last = ids.get(context).copied().unwrap_or(0);
        let id = crate::storage::next_id(last.max(highest_known))?;
        ids.insert(context.to_string(), id);
        Ok(id)
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    fn fresh(&self) -> bool {
        self.admission.fresh
    }

    fn commit(mut self: Box<Self>, records: Vec<Record>, on_durable: OnDurable) -> CommitFuture {
        self.admission.open = false;
        let (done, result) = oneshot::channel();
        let sent = self.admission.send(Msg::Commit(Commit {
            records,
            on_durable,
            done,
            generation: self.generation,
        }));
        Box::pin(async move {
            sent?;
            result.await.map_err(|_| stopped())?
        })
    }
}

type Flush = Pin<Box<dyn Future<Output = Flushed> + Send>>;

/// A transaction's outcome, with the connection back.
struct Flushed {
    conn: PgConnection,
    commits: Vec<Commit>,
    result: Result<Vec<Position>, StoreError>,
    started: Instant,
}

struct Committer {
    options: PgConnectOptions,
    node: String,
    rx: mpsc::UnboundedReceiver<Msg>,
    generation: Arc<AtomicU64>,
    high_water: Arc<AtomicU32>,
    context_ids: ContextIds,
    holding: Arc<AtomicBool>,
    measures: Measures,
    /// The connection holding the write lock, while this node holds it and no flush has it.
    conn: Option<PgConnection>,
    /// The lock's connection between turns: a new one would cost PostgreSQL a process each time
    /// the lock changes hands.
    idle: Option<PgConnection>,
    locked_at: Instant,
    /// Writes begun and not yet committed or abandoned.
    in_flight: usize,
    /// The lock was taken and no write has committed since: the next one must catch up with
    /// the database first. Only a commit clears it, as only a write that got that far surely
    /// caught up (one abandoned may have stopped half way).
    catch_up_owed: bool,
    /// This task's own channel, for the admissions it hands out.
    me: mpsc::WeakUnboundedSender<Msg>,
    /// Records handed over since the transaction in flight started.
    queue: Vec<Commit>,
    /// Writes waiting for the lock to be let go and taken again.
    waiting: Vec<oneshot::Sender<Result<Admission, StoreError>>>,
}

impl Committer {
    async fn run(mut self) {
        let mut flush: Option<Flush> = None;
        loop {
            tokio::select! {
                msg = self.rx.recv() => match msg {
                    Some(msg) => self.receive(msg, flush.is_some()).await,
                    None => return,
                },
                flushed = async { flush.as_mut().expect("guarded").await }, if flush.is_some() => {
                    flush = None;
                    self.flushed(flushed);
                }
            }
            if flush.is_none() {
                flush = self.next_step().await;
            }
        }
    }

    fn holds_lock(&self, flushing: bool) -> bool {
        self.conn.is_some() || flushing
    }

    async fn receive(&mut self, msg: Msg, flushing: bool) {
        match msg {
            Msg::Begin(reply) if self.holds_lock(flushing) => {
                if self.locked_at.elapsed() > MAX_HOLD {
                    self.waiting.push(reply);
                } else {
                    self.grant(reply);
                }
            }
            Msg::Begin(reply) => match self.take_lock().await {
                Ok(()) => self.grant(reply),
                Err(e) => {
                    let _ = reply.send(Err(e));
                }
            },
            Msg::Commit(commit) => {
                self.in_flight -= 1;
                self.catch_up_owed = false;
                if commit.generation == self.generation.load(Ordering::SeqCst) {
                    self.queue.push(commit);
                } else {
                    let _ = commit.done.send(Err(StoreError::Abandoned));
                }
            }
            Msg::Abandon => self.in_flight -= 1,
        }
    }

    /// What to do with no transaction in flight: start one for what is queued, or let the lock
    /// go when nothing is left to write (and take it again for writes waiting their turn).
    async fn next_step(&mut self) -> Option<Flush> {
        // Only a node holding the lock has anything to write or to let go.
        self.conn.as_ref()?;
        if !self.queue.is_empty() {
            let conn = self.conn.take().expect("checked above");
            let commits = std::mem::take(&mut self.queue);
            return Some(Box::pin(flush(conn, commits, self.node.clone())));
        }
        if self.in_flight > 0 {
            return None;
        }
        self.let_go().await;
        if !self.waiting.is_empty() {
            // Behind any other node already waiting for the lock.
            let taken = self.take_lock().await;
            for reply in std::mem::take(&mut self.waiting) {
                match &taken {
                    Ok(()) => self.grant(reply),
                    Err(e) => {
                        let _ = reply.send(Err(again(e)));
                    }
                }
            }
        }
        None
    }

    /// Lets a write begin under the lock this node holds. It counts as in progress until its
    /// admission commits or is dropped, even unread (its client gone): then its `Abandon`
    /// arrives like any other.
    fn grant(&mut self, reply: oneshot::Sender<Result<Admission, StoreError>>) {
        self.in_flight += 1;
        let _ = reply.send(Ok(Admission {
            tx: self.me.clone(),
            fresh: self.catch_up_owed,
            open: true,
        }));
    }

    async fn take_lock(&mut self) -> Result<(), StoreError> {
        let mut conn = match self.idle.take() {
            Some(mut idle) => match idle.ping().await {
                Ok(()) => idle,
                Err(_) => lock_connection(&self.options).await?,
            },
            None => lock_connection(&self.options).await?,
        };
        let row = sqlx::query(
            "SELECT pg_advisory_lock($1), \
             (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM schema_id_seq) AS ids",
        )
        .bind(WRITE_LOCK)
        .fetch_one(&mut conn)
        .await
        .map_err(backend)?;
        let ids: i64 = row.get("ids");
        self.high_water
            .store(u32::try_from(ids).unwrap_or(u32::MAX), Ordering::SeqCst);
        let contexts: Vec<(String, i32)> =
            sqlx::query_as("SELECT context, last_id FROM context_ids")
                .fetch_all(&mut conn)
                .await
                .map_err(backend)?;
        *self.context_ids.lock().unwrap_or_else(|e| e.into_inner()) = contexts
            .into_iter()
            .map(|(context, id)| (context, u32::try_from(id).unwrap_or(u32::MAX)))
            .collect();
        self.conn = Some(conn);
        self.locked_at = Instant::now();
        self.catch_up_owed = true;
        self.holding.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn let_go(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut conn)
                .await;
            // Otherwise the connection is dropped: closing it ends the session, and the lock
            // with it.
            if unlocked.is_ok() {
                self.idle = Some(conn);
            }
        }
        self.holding.store(false, Ordering::SeqCst);
    }

    fn flushed(&mut self, flushed: Flushed) {
        let Flushed {
            conn,
            commits,
            result,
            started,
        } = flushed;
        match result {
            Ok(positions) => {
                self.measures.write_seconds.record(started.elapsed());
                self.measures
                    .records
                    .record(commits.iter().map(|c| c.records.len()).sum::<usize>() as f64);
                self.conn = Some(conn);
                for (commit, position) in commits.into_iter().zip(positions) {
                    (commit.on_durable)(position);
                    let _ = commit.done.send(Ok(()));
                }
            }
            Err(e) => {
                tracing::error!("PostgreSQL commit failed, letting the write lock go: {e}");
                // Everything decided on top of these records is void; the connection goes,
                // and the lock with it.
                drop(conn);
                self.holding.store(false, Ordering::SeqCst);
                self.generation.fetch_add(1, Ordering::SeqCst);
                for commit in commits {
                    let _ = commit.done.send(Err(again(&e)));
                }
                for commit in std::mem::take(&mut self.queue) {
                    let _ = commit.done.send(Err(StoreError::Abandoned));
                }
                for reply in std::mem::take(&mut self.waiting) {
                    let _ = reply.send(Err(again(&e)));
                }
            }
        }
    }
}

/// A connection for the write lock.
async fn lock_connection(options: &PgConnectOptions) -> Result<PgConnection, StoreError> {
    let mut conn = PgConnection::connect_with(options).await.map_err(backend)?;
    // A node stuck holding the lock must not stall the others forever.
    sqlx::query("SET lock_timeout = '10s'")
        .execute(&mut conn)
        .await
        .map_err(backend)?;
    Ok(conn)
}

/// The same failure, for each write it failed.
fn again(e: &StoreError) -> StoreError {
    match e {
        StoreError::Timeout(m) => StoreError::Timeout(m.clone()),
        StoreError::Abandoned => StoreError::Abandoned,
        other => StoreError::Backend(other.to_string()),
    }
}

/// Writes `commits` in one transaction, and gives the connection back with the outcome.
async fn flush(mut conn: PgConnection, commits: Vec<Commit>, node: String) -> Flushed {
    let started = Instant::now();
    let rows = Rows::of(&commits);
    let result = write(&mut conn, rows, node).await;
    Flushed {
        conn,
        commits,
        result,
        started,
    }
}

/// The rows a group of commits writes.
struct Rows {
    keys: Vec<String>,
    values: Vec<Option<String>>,
    /// The commit each row comes from.
    owners: Vec<usize>,
    commits: usize,
    /// The highest schema id the records hold in the default context (0: none).
    highest_id: i64,
    /// The highest id the records hold in each other context.
    context_ids: HashMap<String, i32>,
}

impl Rows {
    /// One row per key, at the place of its last write, as compaction would leave them: the
    /// table holds one row per key, and the fold of the rows in order is the fold of all.
    fn of(commits: &[Commit]) -> Rows {
        let encoded: Vec<(Vec<u8>, usize, &Record)> = commits
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.records.iter().map(move |r| (r.key(), i, r)))
            .collect();
        let mut seen = std::collections::HashSet::new();
        let mut last_writes: Vec<&(Vec<u8>, usize, &Record)> = encoded
            .iter()
            .rev()
            .filter(|(key, _, _)| seen.insert(key.as_slice()))
            .collect();
        last_writes.reverse();
        let mut rows = Rows {
            keys: Vec::with_capacity(last_writes.len()),
            values: Vec::with_capacity(last_writes.len()),
            owners: Vec::with_capacity(last_writes.len()),
            commits: commits.len(),
            highest_id: 0,
            context_ids: HashMap::new(),
        };
        for (key, owner, record) in last_writes {
            if let Record::Schema {
                subject,
                value: Some(v),
                ..
            } = record
            {
                match split_subject(subject).0 {
                    "." => rows.highest_id = rows.highest_id.max(i64::from(v.id)),
                    context => {
                        let id = i32::try_from(v.id).unwrap_or(i32::MAX);
                        let highest = rows.context_ids.entry(context.to_string()).or_default();
                        *highest = (*highest).max(id);
                    }
                }
            }
            rows.keys
                .push(String::from_utf8(key.clone()).expect("keys are JSON text"));
            rows.values.push(
                record
                    .value()
                    .map(|v| String::from_utf8(v).expect("values are JSON text")),
            );
            rows.owners.push(*owner);
        }
        rows
    }
}

/// Writes `rows` in one transaction: the position of each commit's last record, in order.
///
/// One statement, so one round trip: outside `BEGIN` a statement is a transaction of its own,
/// committed (and its WAL flushed) before the answer. Its parts: the records, each other
/// context's highest id moved past the ids used there, the notification to other nodes, and
/// the id sequence moved past every id used (new or imported). A data-modifying `WITH` part
/// runs whether or not it is read; the notification is read, so that it runs.
async fn write(
    conn: &mut PgConnection,
    rows: Rows,
    node: String,
) -> Result<Vec<Position>, StoreError> {
    let (contexts, ids): (Vec<String>, Vec<i32>) = rows.context_ids.into_iter().unzip();
    // Rows are inserted, and their `seq` drawn, in the order given: in `seq` order they come
    // back in that order.
    let seqs: Vec<i64> = sqlx::query_scalar(
        "WITH written AS ( \
           INSERT INTO records (key, value) \
           SELECT key, value FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(key, value, n) \
           ORDER BY n \
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, seq = nextval('record_seq') \
           RETURNING seq \
         ), contexts AS ( \
           INSERT INTO context_ids (context, last_id) \
           SELECT * FROM unnest($5::text[], $6::int[]) \
           ON CONFLICT (context) DO UPDATE \
           SET last_id = GREATEST(context_ids.last_id, EXCLUDED.last_id) \
         ), announced AS ( \
           SELECT pg_notify($3, $4), CASE WHEN $7 > 0 THEN setval('schema_id_seq', GREATEST($7, \
             (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM schema_id_seq)), true) END \
         ) \
         SELECT written.seq FROM written, announced ORDER BY written.seq",
    )
    .bind(&rows.keys)
    .bind(&rows.values)
    .bind(CHANNEL)
    .bind(node)
    .bind(&contexts)
    .bind(&ids)
    .bind(rows.highest_id)
    .fetch_all(&mut *conn)
    .await
    .map_err(backend)?;
    // Each commit's position: its last row's, or the previous commit's when later commits
    // rewrote all its keys.
    let mut positions = Vec::with_capacity(rows.commits);
    let mut last: Position = 0;
    let mut written = rows.owners.iter().zip(&seqs).peekable();
    for i in 0..rows.commits {
        while let Some((_, seq)) = written.next_if(|(owner, _)| **owner == i) {
            last = last.max(position(*seq)?);
        }
        positions.push(last);
    }
    Ok(positions)
}
