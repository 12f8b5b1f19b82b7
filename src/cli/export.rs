//! `schemata export`: every record of a registry, one `KEY<TAB>VALUE` line each, on stdout.

use std::io::Write;
use std::process::ExitCode;

use super::args::ExportArgs;
use super::{Invalid, INVALID};
use crate::metrics::Metrics;
use crate::replication::remote::Snapshot;
use crate::storage::dump::{self, KeyFormat};
use crate::storage::{self, log::LogStore, Record};

pub async fn export(args: ExportArgs) -> ExitCode {
    match run(&args).await {
        Ok(count) => {
            eprintln!("exported {count} records");
            ExitCode::SUCCESS
        }
        Err(Invalid(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(INVALID)
        }
    }
}

async fn run(args: &ExportArgs) -> Result<usize, Invalid> {
    let records = match (&args.storage, &args.url) {
        (Some(url), _) => stored(url).await?,
        (None, Some(url)) => Snapshot::read(&args.auth.remote(url)?).await?.records(),
        (None, None) => {
            return Err(Invalid(
                "nothing to export: give --url URL or --storage URL".into(),
            ))
        }
    };
    let format: KeyFormat = args.key_format.into();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for record in &records {
        writeln!(out, "{}", dump::line(record, format))?;
    }
    out.flush()?;
    Ok(records.len())
}

/// Every record of a storage no server is using, compacted, in replay order.
pub(super) async fn stored(url: &str) -> Result<Vec<Record>, Invalid> {
    if let Some(dir) = url.strip_prefix("file://") {
        // Opening a log creates one; an export must not.
        if !LogStore::exists(dir) {
            return Err(Invalid(format!("no Schemata log in {dir}")));
        }
    }
    let store = storage::open(url, &Metrics::off()).await?;
    Ok(dump::compact(store.load().await?.records))
}
