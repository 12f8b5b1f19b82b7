use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use schemata::config::{Cli, Command, ServeConfig};
use schemata::http::AppState;
use schemata::registry::{Registry, Settings};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    // One TLS provider for every HTTPS request the commands make.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(match Cli::parse().command {
        Command::Serve(config) => {
            logs("info", false);
            serve(config).await?;
            ExitCode::SUCCESS
        }
        // The CI-gate commands keep stdout for their report.
        Command::Compat(args) => {
            logs("warn", true);
            schemata::cli::compat(args)
        }
        Command::Check(args) => {
            logs("warn", true);
            schemata::cli::check(args).await
        }
        Command::Register(args) => {
            logs("warn", true);
            schemata::cli::register(args).await
        }
    })
}

/// Logs at `RUST_LOG`, else `default`; to stderr when stdout carries a report.
fn logs(default: &str, stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if stderr {
        builder.with_writer(std::io::stderr).init();
    } else {
        builder.init();
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let store = schemata::storage::open(&config.storage)
        .await
        .context("opening storage")?;
    let settings = Settings {
        default_compatibility: config.default_compatibility,
        api: config.api_format,
    };
    let registry = Registry::open(store, settings)
        .await
        .context("loading the registry")?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    tracing::info!("schemata listening on {}", config.listen);
    let state = AppState {
        registry,
        max_body_bytes: config.max_body_bytes,
    };
    schemata::app::serve(listener, state, shutdown_signal()).await?;
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
