//! Wiring: the router with its middleware, and `serve`, which tests run in-process on a port
//! of their choosing exactly as `main` does.

use std::future::Future;

use axum::extract::Request;
use axum::ServiceExt;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::http::{routes, AppState};

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
