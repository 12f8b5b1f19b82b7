use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use schemata::app::Options;
use schemata::cli::args::{Cli, Command, LogFormat, ServeArgs};
use schemata::http::trace::ACCESS_LOG;
use tracing_subscriber::EnvFilter;

/// jemalloc gives the pages of what a replay or a rebuilt map freed back to the system; glibc's
/// allocator keeps them (see Cargo.toml).
#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    // One TLS provider for every HTTPS request the commands make.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(match Cli::parse().command {
        Command::Serve(args) => {
            let access = if args.access_log { "info" } else { "off" };
            let filter = filter("info").add_directive(
                format!("{ACCESS_LOG}={access}")
                    .parse()
                    .expect("a valid directive"),
            );
            match args.log_format {
                LogFormat::Text => tracing_subscriber::fmt()
                    .with_env_filter(filter)
                    .with_ansi(std::io::stdout().is_terminal())
                    .init(),
                LogFormat::Json => tracing_subscriber::fmt()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false)
                    .with_env_filter(filter)
                    .init(),
            }
            serve(*args).await?;
            ExitCode::SUCCESS
        }
        // The CI-gate commands keep stdout for their report.
        Command::Compat(args) => {
            stderr_logs();
            schemata::cli::compat(args)
        }
        Command::Check(args) => {
            stderr_logs();
            schemata::cli::check(args).await
        }
        Command::Register(args) => {
            stderr_logs();
            schemata::cli::register(args).await
        }
        Command::HashPassword => hash_password()?,
        // stdout is the dump.
        Command::Export(args) => {
            stderr_logs();
            schemata::cli::export(args).await
        }
        Command::Import(args) => {
            stderr_logs();
            schemata::cli::import(args).await
        }
        Command::Validate(args) => {
            stderr_logs();
            schemata::cli::validate(args)
        }
        Command::Diff(args) => {
            stderr_logs();
            schemata::cli::diff(args)
        }
        Command::Download(args) => {
            stderr_logs();
            schemata::cli::download(args).await
        }
        Command::SetConfig(args) => {
            stderr_logs();
            schemata::cli::set_config(args).await
        }
        Command::SetMode(args) => {
            stderr_logs();
            schemata::cli::set_mode(args).await
        }
    })
}

/// `schemata hash-password`: one line from stdin (its line ending is not part of it).
fn hash_password() -> anyhow::Result<ExitCode> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from stdin")?;
    let password = line.strip_suffix('\n').unwrap_or(&line);
    let password = password.strip_suffix('\r').unwrap_or(password);
    if password.is_empty() {
        anyhow::bail!("the password is empty");
    }
    let hash = schemata::auth::password::hash(password.as_bytes()).map_err(anyhow::Error::msg)?;
    println!("{hash}");
    Ok(ExitCode::SUCCESS)
}

/// `RUST_LOG`, else `default`.
fn filter(default: &str) -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default))
}

/// Warnings and errors to stderr, coloured only on a terminal.
fn stderr_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(filter("warn"))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    let metrics_listener = match args.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("binding {addr} for the metrics"))?,
        ),
        None => None,
    };
    tracing::info!("schemata listening on {}", listener.local_addr()?);
    schemata::app::run(
        &Options::try_from(&args)?,
        listener,
        metrics_listener,
        shutdown_signal(),
    )
    .await?;
    tracing::info!("schemata stopped");
    Ok(())
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
