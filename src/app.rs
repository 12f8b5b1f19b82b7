//! Wiring: the router with its middleware, and `serve`, which tests run in-process on a port
//! of their choosing exactly as `main` does.

use std::future::Future;

use anyhow::Context;
use axum::extract::Request;
use axum::ServiceExt;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::http::{routes, AppState};
use crate::registry::{Registry, Settings};

/// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let router = routes(state);
    // Clients append a trailing slash to some paths (Java: `/compatibility/subjects/s/versions/`).
    let app = NormalizePathLayer::trim_trailing_slash().layer(router);
    axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Opens the registry on `storage` and serves it on a free port of 127.0.0.1 in the current
/// runtime, for as long as the runtime runs, with the default body limit: its base URL. What the
/// client crate's tests and benchmarks start, exactly as `main` would.
pub async fn spawn_local(storage: &str, settings: Settings) -> anyhow::Result<String> {
    let store = crate::storage::open(storage)
        .await
        .context("opening storage")?;
    let registry = Registry::open(store, settings)
        .await
        .context("loading the registry")?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let state = AppState {
        registry,
        max_body_bytes: crate::config::DEFAULT_MAX_BODY_BYTES,
    };
    tokio::spawn(serve(listener, state, std::future::pending()));
    Ok(url)
}
