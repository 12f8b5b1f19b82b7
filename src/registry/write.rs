//! How every write use case writes: take the writer lock and a store transaction ([`Registry::begin`]),
//! decide against the writer's state, pass the one mode gate ([`Write::permit`]), then make the
//! records durable and visible ([`Registry::commit`]). Each use case is an [`Operation`], which
//! names the message a client gets when storage fails; the error carries the subject and cause.

use std::sync::Arc;

use tokio::sync::OwnedMutexGuard;

use super::{Mode, Registry, State, Writer};
use crate::error::ApiError;
use crate::storage::{Record, StoreError, Transaction};

/// A write use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    /// A registration the registry checks and numbers.
    Register,
    /// A registration with an explicit id and version (IMPORT mode), unchecked.
    Import,
    DeleteSubject,
    DeleteVersion,
    UpdateConfig,
    DeleteConfig,
    UpdateMode,
    DeleteMode,
    /// A replica applying its source's changes.
    Replicate,
    /// Creating, changing or deleting a schema exporter.
    UpdateExporter,
    /// Deleting an empty context.
    DeleteContext,
}

impl Operation {
    /// What the client is told when storage fails (Confluent's words); the cause is logged.
    fn failure(self) -> &'static str {
        match self {
            Operation::Register | Operation::Import => "Error while registering schema",
            Operation::DeleteSubject => "Error while deleting the subject",
            Operation::DeleteVersion => "Error while deleting the schema version",
            Operation::UpdateConfig => "Failed to update compatibility level",
            Operation::DeleteConfig => "Failed to delete compatibility level",
            Operation::UpdateMode => "Failed to update mode",
            Operation::DeleteMode => "Failed to delete mode",
            Operation::Replicate => "Error while replicating",
            Operation::UpdateExporter => "Error while updating the exporter",
            Operation::DeleteContext => "Error while deleting context",
        }
    }

    /// What the client is told when no node is known to be the elected writer (Confluent's
    /// words, 50004).
    fn unknown_leader(self) -> &'static str {
        match self {
            Operation::Register | Operation::Import | Operation::DeleteVersion => {
                "Leader not known."
            }
            Operation::UpdateConfig => "Failed to update compatibility level",
            Operation::DeleteConfig => "Failed to delete compatibility level",
            other => other.failure(),
        }
    }

    /// What the client is told when forwarding to the elected writer fails (Confluent's
    /// words, 50003).
    fn forwarding(self) -> &'static str {
        match self {
            Operation::Register | Operation::Import => {
                "Error while forwarding register schema request to the leader"
            }
            Operation::DeleteVersion => {
                "Error while forwarding delete schema version request to the leader"
            }
            Operation::DeleteSubject => {
                "Error while forwarding delete subject request to the leader"
            }
            Operation::UpdateConfig => "Error while forwarding update config request to the leader",
            Operation::DeleteConfig => "Error while forwarding delete config request to the leader",
            Operation::UpdateMode => "Error while forwarding update mode request to the leader",
            Operation::DeleteMode => "Error while forwarding delete mode request to the leader",
            Operation::Replicate => "Error while forwarding replication to the leader",
            Operation::UpdateExporter => {
                "Error while forwarding update exporter request to the leader"
            }
            Operation::DeleteContext => {
                "Error while forwarding delete context request to the leader"
            }
        }
    }
}

/// An open write: the writer lock, the store transaction and the state to decide against.
pub(crate) struct Write {
    writer: OwnedMutexGuard<Writer>,
    /// Whether this registry is a replica, which takes only replication writes.
    replica: bool,
    txn: Box<dyn Transaction>,
    operation: Operation,
    /// The subject written, `None` for the global config or mode; named in the logs.
    subject: Option<String>,
}

impl Write {
    pub(crate) fn state(&self) -> &State {
        &self.writer.pending
    }

    /// The one read-only/IMPORT gate every write passes: whether the mode in force for the
    /// subject lets this operation write. Modes themselves can always be changed, or a
    /// read-only registry could never be made writable again; but a replica takes nothing
    /// except its source's changes.
    pub(crate) fn permit(&self) -> Result<(), ApiError> {
        let subject = self.subject.as_deref();
        let mode = self.writer.pending.effective_mode(subject);
        let refusal = match (self.operation, mode) {
            (Operation::Replicate, _) => return Ok(()),
            _ if self.replica => "is in read-only mode",
            (
                Operation::UpdateMode
                | Operation::DeleteMode
                | Operation::UpdateExporter
                | Operation::DeleteContext,
                _,
            ) => return Ok(()),
            (_, Mode::ReadOnly | Mode::ReadOnlyOverride) => "is in read-only mode",
            (Operation::Register, Mode::Import | Mode::Forward) => "is not in read-write mode",
            (Operation::Import, Mode::ReadWrite) => "is not in import mode",
            _ => return Ok(()),
        };
        Err(ApiError::OperationNotPermitted(format!(
            "Subject {} {refusal}",
            subject.unwrap_or("null")
        )))
    }

    /// A fresh id for a new schema identity in `context`.
    pub(crate) async fn new_id(&mut self, context: &str) -> Result<u32, ApiError> {
        let highest = self
            .writer
            .pending
            .space(context)
            .map_or(0, |space| space.max_id);
        match self.txn.new_id_in(context, highest).await {
            Ok(id) => Ok(id),
            Err(e) => Err(self.failed(e)),
        }
    }

    /// The error for a storage failure during this write.
    fn failed(&self, cause: StoreError) -> ApiError {
        failed(self.operation, self.subject.as_deref(), cause)
    }
}

/// Counts a commit as failed unless it was seen durable: when it fails, and when its request
/// is dropped before knowing (the client went away), so that no write waiting on it in
/// [`Registry::settle`] waits forever or answers on a write that may be lost.
struct Unsettled<'a> {
    settled: &'a tokio::sync::watch::Sender<super::Settled>,
    number: u64,
    durable: bool,
}

impl Drop for Unsettled<'_> {
    fn drop(&mut self) {
        if !self.durable {
            let number = self.number;
            self.settled.send_modify(|s| {
                s.failed = s.failed.max(number);
                s.settled = s.settled.max(number);
            });
        }
    }
}

/// The error a client gets; the HTTP layer logs it with the request it answers, or forwards
/// the request to the elected writer.
fn failed(operation: Operation, subject: Option<&str>, cause: StoreError) -> ApiError {
    match cause {
        StoreError::NotLeader {
            leader: Some(leader),
        } => ApiError::NotLeader {
            leader,
            unknown: operation.unknown_leader(),
            forwarding: operation.forwarding(),
        },
        StoreError::NotLeader { leader: None } => {
            ApiError::UnknownLeader(operation.unknown_leader())
        }
        cause => ApiError::Store {
            message: operation.failure(),
            subject: subject.map(str::to_string),
            cause,
        },
    }
}

impl Registry {
    /// Takes the writer lock and starts a store transaction, catching up with other nodes.
    pub(crate) async fn begin(
        &self,
        operation: Operation,
        subject: Option<&str>,
    ) -> Result<Write, ApiError> {
        let mut writer = self.inner.writer.clone().lock_owned().await;
        let txn = match self.inner.store.begin().await {
            Ok(txn) => txn,
            Err(e) => return Err(failed(operation, subject, e)),
        };
        if txn.generation() != writer.generation {
            // Writes the store had accepted were lost: start again from what is durable.
            writer.pending = self.inner.published.load_full();
            writer.generation = txn.generation();
        }
        if txn.fresh() {
            // The store's write lock was just taken: nothing of this node's is in flight, so
            // what is published is all it wrote, and catching up from there leaves nothing
            // committed elsewhere unseen.
            writer.pending = self.inner.published.load_full();
            if let Err(e) = self.sync(&mut writer).await {
                return Err(failed(operation, subject, e));
            }
        }
        Ok(Write {
            replica: self.is_replica(),
            writer,
            txn,
            operation,
            subject: subject.map(str::to_string),
        })
    }

    /// Makes `records` durable and visible, then returns. With nothing to write, it returns
    /// once the writes its decision rested on are durable.
    pub(crate) async fn commit(&self, write: Write, records: Vec<Record>) -> Result<(), ApiError> {
        if records.is_empty() {
            return self.settle(write).await;
        }
        let mut next = (*write.writer.pending).clone();
        for record in &records {
            if let Err(e) = next.apply(record.clone()) {
                return Err(write.failed(e));
            }
        }
        let next = super::repacked_if_due(Arc::new(next)).await;
        let inner = self.inner.clone();
        let published = next.clone();
        let Write {
            mut writer,
            replica: _,
            txn,
            operation,
            subject,
        } = write;
        writer.issued += 1;
        let number = writer.issued;
        let durable = txn.commit(
            records,
            Box::new(move |position| {
                inner.published.store(published.at(position));
                inner
                    .settled
                    .send_modify(|s| s.settled = s.settled.max(number));
            }),
        );
        // The store orders commits and shares their flushes: the next write may decide on this
        // one before it is durable. Should it fail, the store's generation changes, and the next
        // write starts again from what is durable (`begin`); this one's caller gets the error.
        writer.pending = next;
        drop(writer);
        let mut unsettled = Unsettled {
            settled: &self.inner.settled,
            number,
            durable: false,
        };
        let result = durable.await;
        unsettled.durable = result.is_ok();
        drop(unsettled);
        result.map_err(|e| failed(operation, subject.as_deref(), e))
    }

    /// A write that writes nothing (a schema already registered, a config already set) was
    /// decided on the writer's state, which holds the writes still in flight: it is answered
    /// once they are durable, so nothing is acknowledged that could still be lost, and a read
    /// after the answer sees what it answered. Should one of them fail, so does this write.
    pub(crate) async fn settle(&self, write: Write) -> Result<(), ApiError> {
        let mut settled = self.inner.settled.subscribe();
        let (from, target) = (settled.borrow().settled, write.writer.issued);
        if from >= target {
            return Ok(());
        }
        let (operation, subject) = (write.operation, write.subject.clone());
        drop(write);
        let _ = settled.wait_for(|s| s.settled >= target).await;
        if settled.borrow().failed > from {
            return Err(failed(operation, subject.as_deref(), StoreError::Abandoned));
        }
        Ok(())
    }
}
