//! Contexts as a whole: listing them, deleting an empty one, and the check at start that no
//! stored subject was named like a context before Schemata had contexts.

use super::write::Operation;
use super::{context, Registry, State};
use crate::error::ApiError;
use crate::storage::{Record, StoreError};

/// How many of the subjects found by [`check_upgrade`] its message names.
const NAMED: usize = 5;

impl Registry {
    /// `GET /contexts`: the default context, then every other that exists, by name.
    pub fn list_contexts(&self) -> Vec<String> {
        self.snapshot().context_names()
    }

    /// `DELETE /contexts/{context}`: forgets a context that holds no subject, soft-deleted ones
    /// included (42211 otherwise). `context` is as the URL gives it, `.name` or `:.name:`.
    pub async fn delete_context(&self, context: &str) -> Result<(), ApiError> {
        let delimited = context::normalize(context).into_owned();
        let name = context::context_of(&delimited).to_string();
        let write = self.begin(Operation::DeleteContext, None).await?;
        write.permit()?;
        let state = write.state();
        let prefix = context::prefix(&name);
        let holds_subjects = if name == context::DEFAULT {
            state.subjects.keys().any(|s| !s.starts_with(":."))
        } else {
            state
                .subjects
                .range::<_, str>((
                    std::ops::Bound::Included(prefix.as_str()),
                    std::ops::Bound::Unbounded,
                ))
                .next()
                .is_some_and(|(s, _)| s.starts_with(&prefix))
        };
        if holds_subjects {
            return Err(ApiError::ContextNotEmpty(delimited));
        }
        let recorded = state.contexts.get(&name).is_some_and(|c| c.recorded);
        let records = if recorded {
            vec![Record::Context {
                context: name,
                exists: false,
            }]
        } else {
            Vec::new()
        };
        self.commit(write, records).await
    }
}

/// Refuses a state holding subjects named `:.ctx:name` that no CONTEXT record backs: they were
/// written before Schemata had contexts, as plain subjects of the default context numbered in
/// its id sequence. Reading them now as subjects of their contexts would silently change what
/// their ids mean, so the server says so and does not start.
pub(super) fn check_upgrade(state: &State) -> Result<(), StoreError> {
    let found = state.unrecorded_contexts();
    if found.is_empty() {
        return Ok(());
    }
    let named: Vec<String> = found.iter().take(NAMED).map(|s| format!("'{s}'")).collect();
    let more = if found.len() > NAMED { ", ..." } else { "" };
    Err(StoreError::Config(format!(
        "{} stored subjects ({}{more}) were registered before Schemata had contexts, as plain \
         subjects of the default context with ids from its sequence; Schemata now reads \
         ':.ctx:name' as the subject 'name' of context '.ctx', with ids of its own, which would \
         change what their ids mean. Keep serving them with the earlier Schemata, or with it \
         export them (`schemata export`) and delete them permanently, then register them again \
         here",
        found.len(),
        named.join(", "),
    )))
}
