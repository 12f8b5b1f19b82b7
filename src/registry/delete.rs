//! Soft and hard deletes (confluent-api.md §5.3): a soft delete hides a version but keeps its id
//! resolvable; a hard delete, allowed only after a soft one, forgets it.

use super::write::Operation;
use super::{now_ms, Registry, State, VersionInfo, VersionSpec};
use crate::error::ApiError;
use crate::storage::Record;

impl Registry {
    /// `DELETE /subjects/{subject}`: returns the versions deleted.
    pub async fn delete_subject(
        &self,
        subject: &str,
        permanent: bool,
    ) -> Result<Vec<i32>, ApiError> {
        let write = self.begin(Operation::DeleteSubject, Some(subject)).await?;
        let state = write.state();
        let all: Vec<(i32, bool)> = state
            .versions(subject)
            .map(|vs| vs.iter().map(|(v, i)| (*v, i.deleted)).collect())
            .unwrap_or_default();
        if all.is_empty() {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        }
        let live: Vec<i32> = all.iter().filter(|(_, d)| !d).map(|(v, _)| *v).collect();
        if !permanent && live.is_empty() {
            return Err(ApiError::SubjectSoftDeleted(subject.to_string()));
        }
        write.permit()?;
        let targets: Vec<i32> = if permanent {
            all.iter().map(|(v, _)| *v).collect()
        } else {
            live.clone()
        };
        for v in &targets {
            if !state.referrers(subject, *v).is_empty() {
                return Err(ApiError::ReferenceExists {
                    subject: subject.to_string(),
                    version: *v,
                });
            }
            if permanent && live.contains(v) {
                return Err(ApiError::SubjectNotSoftDeleted(subject.to_string()));
            }
        }
        let mut records: Vec<Record> = if permanent {
            targets
                .iter()
                .rev()
                .map(|v| Record::Schema {
                    subject: subject.to_string(),
                    version: *v,
                    value: None,
                })
                .collect()
        } else {
            vec![Record::DeleteSubject {
                subject: subject.to_string(),
                version: *live.last().expect("live versions checked above"),
            }]
        };
        records.extend(drop_subject_settings(state, subject));
        self.commit(write, records).await?;
        Ok(targets)
    }

    /// `DELETE /subjects/{subject}/versions/{version}`: returns the version deleted.
    pub async fn delete_version(
        &self,
        subject: &str,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i32, ApiError> {
        let write = self.begin(Operation::DeleteVersion, Some(subject)).await?;
        let state = write.state();
        let Some(versions) = state.versions(subject) else {
            return Err(ApiError::SubjectNotFound(subject.to_string()));
        };
        let version = match spec {
            VersionSpec::Latest => match state.latest_live(subject) {
                Some((v, _)) => v,
                None => return Err(ApiError::SubjectNotFound(subject.to_string())),
            },
            VersionSpec::Number(n) => n,
        };
        let Some(info) = versions.get(&version).copied() else {
            return Err(ApiError::VersionNotFound(version));
        };
        match (permanent, info.deleted) {
            (false, true) => {
                return Err(ApiError::VersionSoftDeleted(subject.to_string(), version))
            }
            (true, false) => {
                return Err(ApiError::VersionNotSoftDeleted(
                    subject.to_string(),
                    version,
                ))
            }
            _ => {}
        }
        write.permit()?;
        if !state.referrers(subject, version).is_empty() {
            return Err(ApiError::ReferenceExists {
                subject: subject.to_string(),
                version,
            });
        }
        let mut records = Vec::new();
        if permanent {
            records.push(Record::Schema {
                subject: subject.to_string(),
                version,
                value: None,
            });
        } else {
            let deleted = VersionInfo {
                deleted: true,
                ..info
            };
            let record = state
                .version_record(subject, version, deleted, Some(now_ms()))
                .ok_or(ApiError::VersionNotFound(version))?;
            records.push(record);
            let last_live = state.live_versions(subject).len() == 1;
            if last_live {
                records.extend(drop_subject_settings(state, subject));
            }
        }
        self.commit(write, records).await?;
        Ok(version)
    }
}

/// A subject whose last live version goes loses its own config and mode (they do not survive a
/// re-creation, as in Confluent).
fn drop_subject_settings(state: &State, subject: &str) -> Vec<Record> {
    let key = Some(subject.to_string());
    let mut records = Vec::new();
    if state.configs.contains_key(&key) {
        records.push(Record::Config {
            subject: key.clone(),
            value: None,
        });
    }
    if state.modes.contains_key(&key) {
        records.push(Record::Mode {
            subject: key,
            value: None,
        });
    }
    records
}
