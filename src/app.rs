//! Assembling the server, once, for `main`, the tests and other crates: open the storage, load
//! the registry, and serve the router (with its middleware) on a listener until told to stop.

use std::future::Future;

use anyhow::Context;
use axum::extract::Request;
use axum::ServiceExt;
use compat::CompatibilityLevel;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::cli::args::{ServeArgs, DEFAULT_MAX_BODY_BYTES};
use crate::http::{routes, ApiFormat, AppState};
use crate::registry::{Defaults, Registry};

/// What a server is built from: `serve`'s arguments, less the address.
#[derive(Debug, Clone)]
pub struct Options {
    /// A storage URL (`file:///path`, `postgres://...`).
    pub storage: String,
    pub default_compatibility: CompatibilityLevel,
    pub api: ApiFormat,
    pub max_body_bytes: usize,
}

impl Options {
    /// The defaults of `schemata serve`, on `storage`.
    pub fn new(storage: &str) -> Options {
        Options {
            storage: storage.to_string(),
            default_compatibility: CompatibilityLevel::Backward,
            api: ApiFormat::V7,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
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
        let store = crate::storage::open(&options.storage)
            .await
            .context("opening storage")?;
        let defaults = Defaults {
            compatibility: options.default_compatibility,
        };
        let registry = Registry::open(store, defaults)
            .await
            .context("loading the registry")?;
        Ok(Server {
            state: AppState {
                registry,
                api: options.api,
                max_body_bytes: options.max_body_bytes,
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
