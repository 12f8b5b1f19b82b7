//! `schemata import`: a dump into a storage, or a running registry into a storage or into
//! another registry. Records go in through the decoding the stores replay with
//! (`Record::decode`) and are checked by folding them into a state, as a server would, before
//! anything is written.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::Read as _;
use std::process::ExitCode;

use reqwest::Method;
use serde_json::{json, Value};

use super::args::{AuthArgs, ImportArgs};
use super::{Invalid, INCOMPATIBLE, INVALID};
use crate::metrics::Metrics;
use crate::registry::State;
use crate::replication::remote::{encode, Remote, Snapshot, Version};
use crate::storage::dump::{self, Entry};
use crate::storage::{self, Mode, Record};

/// The config and mode key every context falls back to last.
const GLOBAL_SCOPE: &str = ":.__GLOBAL:";

/// Records per storage commit: one fsync (or one transaction) each.
const CHUNK: usize = 5000;

pub async fn import(args: ImportArgs) -> ExitCode {
    match run(&args).await {
        Ok((report, complete)) => {
            print!("{report}");
            ExitCode::from(if complete { 0 } else { INCOMPATIBLE })
        }
        Err(Invalid(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(INVALID)
        }
    }
}

/// What was done, and whether all of it.
async fn run(args: &ImportArgs) -> Result<(String, bool), Invalid> {
    match (&args.file, &args.from_url, &args.storage, &args.url) {
        (Some(file), _, Some(storage), _) => from_file(file, storage, args.force).await,
        (None, Some(source), target_storage, target_url) => {
            // The CAs given are trusted for the source too (a private CA usually signs both);
            // the client certificate is only ever shown to the target.
            let auth = AuthArgs {
                basic_auth: args.from_basic_auth.clone(),
                bearer_token: args.from_bearer_token.clone(),
                ca: args.auth.ca.clone(),
                ..AuthArgs::default()
            };
            let source = auth.remote(source)?;
            let snapshot = Snapshot::read(&source).await?;
            let mut report = format!("read from {}: {}\n", source.url(), describe(&snapshot));
            let (done, complete) = match (target_storage, target_url) {
                (Some(storage), _) => (from_snapshot(&snapshot, storage, args.force).await?, true),
                (None, Some(url)) => {
                    into_registry(&snapshot, &args.auth.remote(url)?, args.force).await?
                }
                (None, None) => {
                    return Err(Invalid(
                        "nowhere to import into: give --url TARGET or --storage URL".into(),
                    ))
                }
            };
            report.push_str(&done);
            Ok((report, complete))
        }
        (Some(_), _, None, _) => Err(Invalid(
            "a dump is imported into a storage (--storage URL); --url takes --from-url".into(),
        )),
        (None, None, _, _) => Err(Invalid(
            "nothing to import: give a dump FILE or --from-url SOURCE".into(),
        )),
    }
}

/// Counts of records by keytype, in the order a reader expects them.
#[derive(Default)]
struct Tally {
    schemas: usize,
    soft_deleted: usize,
    hard_deleted: usize,
    delete_subject: usize,
    clear_subject: usize,
    configs: usize,
    modes: usize,
    exporters: usize,
    contexts: usize,
}

impl Tally {
    fn add(&mut self, record: &Record) {
        match record {
            Record::Schema { value: Some(v), .. } => {
                self.schemas += 1;
                self.soft_deleted += usize::from(v.deleted);
            }
            Record::Schema { value: None, .. } => {
                self.schemas += 1;
                self.hard_deleted += 1;
            }
            Record::DeleteSubject { .. } => self.delete_subject += 1,
            Record::ClearSubject { .. } => self.clear_subject += 1,
            Record::Config { .. } => self.configs += 1,
            Record::Mode { .. } => self.modes += 1,
            Record::Exporter { .. } => self.exporters += 1,
            Record::Context { .. } => self.contexts += 1,
        }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.schemas > 0 {
            let mut notes = Vec::new();
            if self.soft_deleted > 0 {
                notes.push(format!("{} soft-deleted", self.soft_deleted));
            }
            if self.hard_deleted > 0 {
                notes.push(format!("{} hard-deleted", self.hard_deleted));
            }
            parts.push(if notes.is_empty() {
                format!("SCHEMA {}", self.schemas)
            } else {
                format!("SCHEMA {} ({})", self.schemas, notes.join(", "))
            });
        }
        for (name, n) in [
            ("DELETE_SUBJECT", self.delete_subject),
            ("CLEAR_SUBJECT", self.clear_subject),
            ("CONFIG", self.configs),
            ("MODE", self.modes),
            ("EXPORTER", self.exporters),
            ("CONTEXT", self.contexts),
        ] {
            if n > 0 {
                parts.push(format!("{name} {n}"));
            }
        }
        parts.join(", ")
    }
}

/// One record of a dump, with the line it came from.
struct Line {
    number: usize,
    record: Record,
}

/// What a dump holds: its records, and what was read but not kept.
#[derive(Default)]
struct Dump {
    lines: Vec<Line>,
    /// Records of keytypes Schemata does not keep (NOOP, CONTEXT, ...), by keytype.
    skipped: BTreeMap<String, usize>,
    /// Value fields the records do not keep, by name: how many values had them.
    dropped: BTreeMap<String, usize>,
}

fn read_dump(text: &str, name: &str) -> Result<Dump, Invalid> {
    let mut read = Dump::default();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        let at = |e: String| Invalid(format!("{name}:{number}: {e}"));
        let Some(Entry { key, value }) = dump::parse_line(line).map_err(at)? else {
            continue;
        };
        match Record::decode(key.as_bytes(), value.as_deref().map(str::as_bytes))
            .map_err(|e| at(e.to_string()))?
        {
            Some(record) => {
                if let Some(value) = &value {
                    count_dropped(value, &record, &mut read.dropped);
                }
                read.lines.push(Line { number, record });
            }
            None => {
                let keytype = serde_json::from_str::<Value>(&key)
                    .ok()
                    .and_then(|k| k["keytype"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "?".into());
                // NOOP records never have a value; other tombstones are compaction's business.
                let keytype = if value.is_none() && keytype != "NOOP" {
                    format!("{keytype} tombstone")
                } else {
                    keytype
                };
                *read.skipped.entry(keytype).or_default() += 1;
            }
        }
    }
    Ok(read)
}

/// Notes the fields of `original` (a value as read) that the record does not write back.
fn count_dropped(original: &str, record: &Record, dropped: &mut BTreeMap<String, usize>) {
    let (Ok(Value::Object(read)), Some(kept)) = (
        serde_json::from_str::<Value>(original),
        record
            .value()
            .and_then(|v| serde_json::from_slice::<Value>(&v).ok()),
    ) else {
        return;
    };
    for (field, value) in read {
        if !value.is_null() && kept.get(&field).is_none() {
            *dropped.entry(field).or_default() += 1;
        }
    }
}

async fn from_file(
    file: &std::path::Path,
    storage_url: &str,
    force: bool,
) -> Result<(String, bool), Invalid> {
    let name = file.display().to_string();
    let mut text = String::new();
    if name == "-" {
        std::io::stdin().read_to_string(&mut text)?;
    } else {
        text = std::fs::read_to_string(file).map_err(|e| Invalid(format!("{name}: {e}")))?;
    }
    let read = read_dump(&text, &name)?;
    let records: Vec<(String, Record)> = read
        .lines
        .into_iter()
        .map(|l| (format!("{name}:{}", l.number), l.record))
        .collect();
    let mut report = String::new();
    let written = into_storage(storage_url, records, force, false).await?;
    let _ = writeln!(
        report,
        "imported {} records into {}{}",
        written.count,
        storage::postgres::redact(storage_url),
        colon(&written.tally.describe())
    );
    if !read.skipped.is_empty() {
        let n: usize = read.skipped.values().sum();
        let _ = writeln!(report, "skipped {n} records: {}", list(read.skipped.iter()));
    }
    if !read.dropped.is_empty() {
        let _ = writeln!(
            report,
            "value fields not kept: {}",
            list(read.dropped.iter())
        );
    }
    report.push_str(&written.now);
    Ok((report, true))
}

fn colon(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!(": {s}")
    }
}

fn list<'a>(items: impl Iterator<Item = (&'a String, &'a usize)>) -> String {
    items
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a write into a storage did.
struct Written {
    count: usize,
    tally: Tally,
    /// Records the target already held with the same value.
    identical: usize,
    /// A line describing the storage's state afterwards.
    now: String,
}

/// Writes `records` into the storage at `url`, in order, after checking that they fold into a
/// valid state on top of what it holds. A target holding records is refused unless `force`.
/// With `skip_identical`, records whose key already holds the same value are not written again
/// (a copy run twice writes nothing the second time).
async fn into_storage(
    url: &str,
    records: Vec<(String, Record)>,
    force: bool,
    skip_identical: bool,
) -> Result<Written, Invalid> {
    let store = storage::open(url, &Metrics::off()).await?;
    let held = store.load().await?.records;
    if !held.is_empty() && !force {
        return Err(Invalid(format!(
            "{} already holds {} records; --force imports on top of them",
            storage::postgres::redact(url),
            dump::compact(held).len()
        )));
    }
    let mut state = State::default();
    let mut current: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
    for record in held {
        if skip_identical {
            current.insert(record.key(), record.value());
        }
        state.apply(record)?;
    }
    let mut written = Written {
        count: 0,
        tally: Tally::default(),
        identical: 0,
        now: String::new(),
    };
    let mut pending = Vec::new();
    for (at, record) in records {
        if skip_identical && current.get(&record.key()) == Some(&record.value()) {
            written.identical += 1;
            continue;
        }
        state
            .apply(record.clone())
            .map_err(|e| Invalid(format!("{at}: {e}")))?;
        written.tally.add(&record);
        pending.push(record);
    }
    written.count = pending.len();
    let mut pending = pending.into_iter().peekable();
    while pending.peek().is_some() {
        let chunk: Vec<Record> = pending.by_ref().take(CHUNK).collect();
        let txn = store.begin().await?;
        txn.commit(chunk, Box::new(|_| {})).await?;
    }
    let deleted_subjects = state
        .subjects
        .values()
        .filter(|vs| vs.values().all(|i| i.deleted))
        .count();
    written.now = format!(
        "it now holds {} subjects ({} soft-deleted), {} schemas, highest id {}\n",
        state.subjects.len(),
        deleted_subjects,
        state.ids.len(),
        state.ids.max_id
    );
    Ok(written)
}

/// A line describing what a registry's API showed.
fn describe(s: &Snapshot) -> String {
    let subjects: std::collections::BTreeSet<&str> =
        s.versions.iter().map(|v| v.subject.as_str()).collect();
    let deleted = s.versions.iter().filter(|v| v.deleted).count();
    format!(
        "{} subjects, {} versions ({} soft-deleted), {} configs, {} modes",
        subjects.len(),
        s.versions.len(),
        deleted,
        s.configs.len(),
        s.modes.len()
    )
}

async fn from_snapshot(snapshot: &Snapshot, url: &str, force: bool) -> Result<String, Invalid> {
    let records = snapshot
        .records()
        .into_iter()
        .enumerate()
        .map(|(i, r)| (format!("record {}", i + 1), r))
        .collect();
    let written = into_storage(url, records, force, true).await?;
    Ok(format!(
        "imported {} records into {}{}; {} already there\n{}",
        written.count,
        storage::postgres::redact(url),
        colon(&written.tally.describe()),
        written.identical,
        written.now
    ))
}

/// Counts of a copy into a registry.
#[derive(Default)]
struct Copied {
    versions: usize,
    deletes: usize,
    configs: usize,
    modes: usize,
}

impl Copied {
    fn describe(&self) -> String {
        format!(
            "{} versions, {} soft deletes, {} configs, {} modes",
            self.versions, self.deletes, self.configs, self.modes
        )
    }
}

/// Copies a registry's state into another through its API: the target's global mode is set to
/// IMPORT, versions are registered with their ids and versions, then soft-deleted as on the
/// source; configs and modes follow, and the global mode is set to the source's last. What the
/// target already holds is left alone, so a second run copies only what is new. Disagreements
/// (a version holding another id on the target, a refused write) are listed and make the
/// copy incomplete.
async fn into_registry(
    source: &Snapshot,
    target: &Remote,
    force: bool,
) -> Result<(String, bool), Invalid> {
    let before = Snapshot::read(target).await?;
    let have: HashMap<(&str, i32), &Version> = before
        .versions
        .iter()
        .map(|v| ((v.subject.as_str(), v.version), v))
        .collect();
    let target_mode = before.modes.first().map(|(_, m)| *m);
    let switch = target_mode != Some(Mode::Import);
    if switch {
        let path = if force { "/mode?force=true" } else { "/mode" };
        let (status, answer) = target
            .send(Method::PUT, path, Some(&json!({"mode": "IMPORT"})))
            .await?;
        if status != 200 {
            let hint = if answer["error_code"] == 42205 && !force {
                " (--force imports into a registry that holds subjects)"
            } else {
                ""
            };
            return Err(Invalid(format!(
                "{} refused IMPORT mode: {status} {answer}{hint}",
                target.url()
            )));
        }
    }
    // The global mode is the default context's: other contexts take IMPORT from `:.__GLOBAL:`,
    // put back as the source has it (or removed) once the versions are in.
    let global_scope = Some(GLOBAL_SCOPE.to_string());
    let has_contexts = source.versions.iter().any(|v| v.subject.starts_with(":."));
    let scope_mode = before.modes.iter().find(|(s, _)| *s == global_scope);
    let switch_contexts = has_contexts && scope_mode.map(|(_, m)| *m) != Some(Mode::Import);
    if switch_contexts {
        let path = format!("/mode/{}", encode(GLOBAL_SCOPE));
        let (status, answer) = target
            .send(Method::PUT, &path, Some(&json!({"mode": "IMPORT"})))
            .await?;
        if status != 200 {
            return Err(Invalid(format!(
                "{} refused IMPORT mode for its contexts ({GLOBAL_SCOPE}): {status} {answer}",
                target.url()
            )));
        }
    }
    let mut copied = Copied::default();
    let mut there = Copied::default();
    let mut problems = Vec::new();
    for v in &source.versions {
        match have.get(&(v.subject.as_str(), v.version)) {
            Some(t) if t.id == v.id => there.versions += 1,
            Some(t) => problems.push(format!(
                "{} version {}: id {} on the target, {} on the source",
                v.subject, v.version, t.id, v.id
            )),
            None => {
                let body = json!({
                    "schema": v.schema,
                    "schemaType": v.schema_type,
                    "references": v.references,
                    "id": v.id,
                    "version": v.version,
                });
                let path = format!("/subjects/{}/versions", encode(&v.subject));
                match target.send(Method::POST, &path, Some(&body)).await? {
                    (200, answer) if answer["id"] == v.id => copied.versions += 1,
                    (status, answer) => problems.push(format!(
                        "{} version {} (id {}): {status} {answer}",
                        v.subject, v.version, v.id
                    )),
                }
            }
        }
    }
    // Referrers before what they refer to.
    for v in source.versions.iter().rev().filter(|v| v.deleted) {
        if have
            .get(&(v.subject.as_str(), v.version))
            .is_some_and(|t| t.deleted)
        {
            there.deletes += 1;
            continue;
        }
        let path = format!("/subjects/{}/versions/{}", encode(&v.subject), v.version);
        match target.send(Method::DELETE, &path, None).await? {
            (200, _) => copied.deletes += 1,
            (status, answer) => problems.push(format!(
                "soft delete of {} version {}: {status} {answer}",
                v.subject, v.version
            )),
        }
    }
    for (subject, value) in &source.configs {
        if before
            .configs
            .iter()
            .any(|(s, c)| s == subject && c == value)
        {
            there.configs += 1;
            continue;
        }
        let path = match subject {
            Some(s) => format!("/config/{}", encode(s)),
            None => "/config".to_string(),
        };
        let mut body = json!({});
        if let Some(level) = value.compatibility_level {
            body["compatibility"] = json!(level.as_str());
        }
        if let Some(normalize) = value.normalize {
            body["normalize"] = json!(normalize);
        }
        if let Some(policy) = value.compatibility_policy {
            body["compatibilityPolicy"] = json!(policy.as_str());
        }
        match target.send(Method::PUT, &path, Some(&body)).await? {
            (200, _) => copied.configs += 1,
            (status, answer) => problems.push(format!(
                "config of {}: {status} {answer}",
                subject.as_deref().unwrap_or("the registry")
            )),
        }
    }
    // Subject modes, then the global one last: until then the target stays in IMPORT.
    let mut modes: Vec<&(Option<String>, Mode)> = source.modes.iter().collect();
    modes.sort_by_key(|(subject, _)| subject.is_none());
    for (subject, mode) in modes {
        let unchanged = before.modes.iter().any(|(s, m)| s == subject && m == mode);
        if subject.is_none() && !switch {
            // The target was in IMPORT before: whoever put it there takes it out.
            continue;
        }
        let switched = switch_contexts && *subject == global_scope;
        if unchanged && subject.is_some() && !switched {
            there.modes += 1;
            continue;
        }
        let path = match subject {
            Some(s) => format!("/mode/{}?force=true", encode(s)),
            None => "/mode?force=true".to_string(),
        };
        match target
            .send(Method::PUT, &path, Some(&json!({"mode": mode.as_str()})))
            .await?
        {
            (200, _) => {
                if unchanged {
                    there.modes += 1;
                } else {
                    copied.modes += 1;
                }
            }
            (status, answer) => problems.push(format!(
                "mode of {}: {status} {answer}",
                subject.as_deref().unwrap_or("the registry")
            )),
        }
    }
    let source_scope = source.modes.iter().any(|(s, _)| *s == global_scope);
    if switch_contexts && !source_scope {
        let path = format!("/mode/{}", encode(GLOBAL_SCOPE));
        match target.send(Method::DELETE, &path, None).await? {
            (200, _) => {}
            (status, answer) => problems.push(format!(
                "mode of {GLOBAL_SCOPE} (IMPORT for the copy): {status} {answer}"
            )),
        }
    }
    let mut report = format!(
        "copied into {}: {}; already there: {}\n",
        target.url(),
        copied.describe(),
        there.describe()
    );
    if !switch {
        report.push_str("the target was in IMPORT mode before the copy and stays in it\n");
    }
    for p in &problems {
        let _ = writeln!(report, "not copied: {p}");
    }
    Ok((report, problems.is_empty()))
}
