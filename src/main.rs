use anyhow::Context;
use clap::Parser;
use schemata::config::{Cli, Command, ServeConfig};
use schemata::http::AppState;
use schemata::registry::{Registry, Settings};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(config) => serve(config).await,
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let store = schemata::storage::open(&config.storage).context("opening storage")?;
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
