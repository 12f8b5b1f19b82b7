use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use schemata::app::{Options, Server};
use schemata::cli::args::{Cli, Command, ServeArgs};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    // One TLS provider for every HTTPS request the commands make.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Ok(match Cli::parse().command {
        Command::Serve(args) => {
            logs("info", false);
            serve(args).await?;
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

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let server = Server::open(&Options::from(&args)).await?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("binding {}", args.listen))?;
    tracing::info!("schemata listening on {}", args.listen);
    server.serve(listener, shutdown_signal()).await?;
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
