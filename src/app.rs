//! Assembling the server, once, for `main`, the tests and other crates: open the storage, load
//! the registry, and serve the router (with its middleware) on a listener until told to stop.
//! [`run`] is what `schemata serve` does: the probes answer while the registry is loading.

use std::future::{Future, IntoFuture};

use anyhow::Context;
use axum::extract::Request;
use axum::ServiceExt;
use compat::CompatibilityLevel;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::cli::args::{ServeArgs, DEFAULT_MAX_BODY_BYTES};
use crate::http::{metrics_only, routes, starting, ApiFormat, AppState};
use crate::metrics::Metrics;
use crate::registry::{Defaults, Registry};

/// What a server is built from: `serve`'s arguments, less the addresses and the logs.
#[derive(Debug, Clone)]
pub struct Options {
    /// A storage URL (`file:///path`, `postgres://...`).
    pub storage: String,
    pub default_compatibility: CompatibilityLevel,
    pub api: ApiFormat,
    pub max_body_bytes: usize,
    /// Whether metrics are recorded (`--metrics`).
    pub metrics: bool,
    /// Whether the API's listener answers `GET /metrics` (not when they have their own).
    pub metrics_route: bool,
}

impl Options {
    /// The defaults of `schemata serve`, on `storage`.
    pub fn new(storage: &str) -> Options {
        Options {
            storage: storage.to_string(),
            default_compatibility: CompatibilityLevel::Backward,
            api: ApiFormat::V7,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            metrics: true,
            metrics_route: true,
        }
    }

    fn new_metrics(&self) -> Metrics {
        if self.metrics {
            Metrics::on()
        } else {
            Metrics::off()
        }
    }
}

impl From<&ServeArgs> for Options {
    fn from(args: &ServeArgs) -> Options {
        Options {
            storage: args.storage.clone(),
            default_compatibility: args.default_compatibility,
            api: args.api_format.into(),
            max_body_bytes: args.max_body_bytes,
            metrics: args.metrics,
            metrics_route: args.metrics_listen.is_none(),
        }
    }
}

/// A registry ready to serve.
pub struct Server {
    state: AppState,
}

impl Server {
    /// Opens the storage and loads the registry from it.
    pub async fn open(options: &Options) -> anyhow::Result<Server> {
        Server::open_with(options, options.new_metrics()).await
    }

    async fn open_with(options: &Options, metrics: Metrics) -> anyhow::Result<Server> {
        let store = crate::storage::open(&options.storage, &metrics)
            .await
            .context("opening storage")?;
        let defaults = Defaults {
            compatibility: options.default_compatibility,
        };
        let registry = Registry::open(store, defaults, &metrics)
            .await
            .context("loading the registry")?;
        metrics.spawn_upkeep();
        Ok(Server {
            state: AppState {
                registry,
                api: options.api,
                max_body_bytes: options.max_body_bytes,
                metrics,
                metrics_route: options.metrics_route,
            },
        })
    }

    /// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let router = routes(self.state);
        // Clients append a trailing slash to some paths (Java: `/compatibility/subjects/s/versions/`).
        let app = NormalizePathLayer::trim_trailing_slash().layer(router);
        axum::serve(listener, ServiceExt::<Request>::into_make_service(app))
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// `schemata serve`: serves on `listener` (and the metrics alone on `metrics_listener`, when
/// given) until `shutdown` resolves. While the storage is opened and its records replayed, the
/// listener already answers the probes (`/health/ready`: 503, replaying) and the metrics, and
/// 503 to anything else; then the whole API takes over the same socket.
pub async fn run(
    options: &Options,
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    };
    let metrics = options.new_metrics();
    if let Some(listener) = metrics_listener {
        let app = metrics_only(metrics.clone());
        tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped())
                .into_future(),
        );
    }

    // Two handles on one socket: the first answers while loading, then stops accepting and the
    // second, the API's, accepts from then on; nothing waiting to connect is refused meanwhile.
    let socket = listener.into_std()?;
    let loading_listener = TcpListener::from_std(socket.try_clone()?)?;
    let listener = TcpListener::from_std(socket)?;
    let (loaded_tx, loaded_rx) = oneshot::channel::<()>();
    let loading = starting(options.metrics_route.then(|| metrics.clone()));
    tokio::spawn(
        axum::serve(
            loading_listener,
            ServiceExt::<Request>::into_make_service(loading),
        )
        .with_graceful_shutdown(async {
            let _ = loaded_rx.await;
        })
        .into_future(),
    );
    let server = tokio::select! {
        server = Server::open_with(options, metrics) => server?,
        () = stopped() => return Ok(()),
    };
    let _ = loaded_tx.send(());
    tracing::info!("schemata ready");
    server.serve(listener, stopped()).await?;
    Ok(())
}

/// Opens a registry on `storage` and serves it on a free port of 127.0.0.1 in the current
/// runtime, for as long as the runtime runs: its base URL. What the client crate's tests and
/// benchmarks start, exactly as `main` would.
pub async fn spawn_local(options: &Options) -> anyhow::Result<String> {
    let server = Server::open(options).await?;
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(server.serve(listener, std::future::pending()));
    Ok(url)
}
