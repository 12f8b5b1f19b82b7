//! Assembling the server, once, for `main`, the tests and other crates: open the storage, load
//! the registry, and serve the router (with its middleware) on a listener until told to stop.
//! [`run`] is what `schemata serve` does: the probes answer while the registry is loading.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use axum::extract::Request;
use compat::CompatibilityLevel;
use std::sync::{Arc, OnceLock};
use std::task::Poll;
use tokio::net::TcpListener;

use tokio::sync::watch;
use tower::{Layer, Service};
use tower_http::normalize_path::{NormalizePath, NormalizePathLayer};

use crate::auth::Authenticator;
use crate::cli::args::{ServeArgs, DEFAULT_MAX_BODY_BYTES};
use crate::http::contexts::ContextPrefix;
use crate::http::forward::Forwarder;
use crate::http::{metrics_only, routes, starting, Api, ApiFormat, AppState, Shared};
use crate::metrics::Metrics;
use crate::registry::{Defaults, Registry, DEFAULT_CLUSTER_ID};
use crate::replication::exporter;
use crate::replication::follower::{self, Follow};
use crate::replication::remote::{Credentials, Remote, RemoteError};
use crate::serve::Limits;
use crate::tls::{Tls, TlsFiles};

/// What a server is built from: `serve`'s arguments, less the addresses and the logs.
#[derive(Debug, Clone)]
pub struct Options {
    /// A storage URL (`file:///path`, `postgres://...`, `kafka://...`).
    pub storage: String,
    /// How to reach the Kafka topic of a `kafka://` storage (`--kafka-*`).
    pub kafka: crate::storage::kafka::Settings,
    pub default_compatibility: CompatibilityLevel,
    /// `--cluster-id`: this registry's name in `GET /v1/metadata/id` and for AUTO exporters.
    pub cluster_id: String,
    pub api: ApiFormat,
    pub max_body_bytes: usize,
    /// Whether metrics are recorded (`--metrics`).
    pub metrics: bool,
    /// Whether the API's listener answers `GET /metrics` (not when they have their own).
    pub metrics_route: bool,
    /// The auth file (`--auth-file`); `None`: no authentication.
    pub auth_file: Option<PathBuf>,
    /// HTTPS (`--tls-cert`, `--tls-key`, `--tls-client-ca`); `None`: plain HTTP.
    pub tls: Option<TlsFiles>,
    /// `--header-read-timeout`, `--max-connections`.
    pub limits: Limits,
    /// Origins whose browser preflights are answered (`--cors-allow-origin`).
    pub cors_allow_origins: Vec<String>,
    /// What `GET /v1/metadata/deployment` lists (`--deployment-attributes`).
    pub deployment_attributes: Vec<String>,
    /// Another registry this one is a read-only replica of (`--follow`).
    pub follow: Option<Follow>,
    /// Whether this node runs the schema exporters (`--run-exporters`).
    pub run_exporters: bool,
}

impl Options {
    /// The defaults of `schemata serve`, on `storage`.
    pub fn new(storage: &str) -> Options {
        Options {
            storage: storage.to_string(),
            kafka: crate::storage::kafka::Settings::default(),
            default_compatibility: CompatibilityLevel::Backward,
            cluster_id: DEFAULT_CLUSTER_ID.to_string(),
            api: ApiFormat::V7,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            metrics: true,
            metrics_route: true,
            auth_file: None,
            tls: None,
            limits: Limits::default(),
            cors_allow_origins: Vec::new(),
            deployment_attributes: Vec::new(),
            follow: None,
            run_exporters: true,
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

impl TryFrom<&ServeArgs> for Options {
    type Error = RemoteError;

    fn try_from(args: &ServeArgs) -> Result<Options, RemoteError> {
        let follow = match &args.follow {
            Some(url) => Some(Follow {
                source: Remote::new(
                    url,
                    Credentials::from_args(
                        args.follow_basic_auth.as_deref(),
                        args.follow_bearer_token.as_deref(),
                    )?,
                ),
                interval: std::time::Duration::from_millis(args.follow_interval_ms),
            }),
            None => None,
        };
        Ok(Options {
            storage: args.storage.clone(),
            kafka: (&args.kafka).into(),
            default_compatibility: args.default_compatibility,
            cluster_id: args.cluster_id.clone(),
            api: args.api_format.into(),
            max_body_bytes: args.max_body_bytes,
            metrics: args.metrics,
            metrics_route: args.metrics_listen.is_none(),
            auth_file: args.auth_file.clone(),
            tls: args
                .tls_cert
                .clone()
                .zip(args.tls_key.clone())
                .map(|(cert, key)| TlsFiles {
                    cert,
                    key,
                    client_ca: args.tls_client_ca.clone(),
                }),
            limits: Limits {
                header_read_timeout: Duration::from_secs(args.header_read_timeout),
                max_connections: args.max_connections,
            },
            cors_allow_origins: args.cors_allow_origin.clone(),
            // Trimmed, as Confluent trims each; an empty variable lists none.
            deployment_attributes: args
                .deployment_attributes
                .iter()
                .map(|a| a.trim().to_string())
                .filter(|a| !a.is_empty())
                .collect(),
            follow,
            run_exporters: args.run_exporters,
        })
    }
}

/// A registry ready to serve.
pub struct Server {
    state: AppState,
    tls: Option<Arc<Tls>>,
    limits: Limits,
}

impl Server {
    /// Opens the storage and loads the registry from it.
    pub async fn open(options: &Options) -> anyhow::Result<Server> {
        let mut server =
            Server::open_with(options, options.new_metrics(), load_auth(options)?).await?;
        server.tls = load_tls(options)?;
        server.limits = options.limits;
        Ok(server)
    }

    async fn open_with(
        options: &Options,
        metrics: Metrics,
        auth: Option<Arc<Authenticator>>,
    ) -> anyhow::Result<Server> {
        let cors_origins = options
            .cors_allow_origins
            .iter()
            .map(|o| {
                axum::http::HeaderValue::from_str(o)
                    .with_context(|| format!("--cors-allow-origin {o:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let store = crate::storage::open_with(&options.storage, &options.kafka, &metrics)
            .await
            .context("opening storage")?;
        let defaults = Defaults {
            compatibility: options.default_compatibility,
            cluster_id: options.cluster_id.as_str().into(),
        };
        let registry = Registry::open(store, defaults, &metrics)
            .await
            .context("loading the registry")?;
        if let Some(follow) = &options.follow {
            follower::spawn(&registry, follow.clone());
        }
        let exporters = if options.run_exporters {
            exporter::start(&registry)
        } else {
            exporter::Exporters::elsewhere()
        };
        metrics.spawn_upkeep();
        // Kafka storage with an advertised URL elects one writer; the others forward to it.
        let forwarder = match &options.kafka.advertised_url {
            Some(_) if options.storage.starts_with("kafka://") => Some(Arc::new(
                Forwarder::new(registry.clone(), options.max_body_bytes)
                    .context("the HTTP client that forwards writes")?,
            )),
            Some(_) => {
                tracing::warn!(
                    "--advertised-url is used with Kafka storage only: this node writes itself"
                );
                None
            }
            None => None,
        };
        Ok(Server {
            state: AppState::new(Shared {
                registry,
                api: options.api,
                max_body_bytes: options.max_body_bytes,
                metrics,
                metrics_route: options.metrics_route,
                auth,
                cors_origins,
                deployment: options.deployment_attributes.clone().into(),
                exporters,
                forwarder,
                bodies: Default::default(),
            }),
            tls: None,
            limits: options.limits,
        })
    }

    /// Serves the API on `listener` until `shutdown` resolves, then finishes in-flight requests.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        crate::serve::serve(
            listener,
            self.tls,
            self.limits,
            app(routes(self.state)),
            shutdown,
        )
        .await
    }
}

/// The auth file, read and checked: a mistake stops the start with its line and reason.
fn load_auth(options: &Options) -> anyhow::Result<Option<Arc<Authenticator>>> {
    let Some(path) = &options.auth_file else {
        tracing::warn!(
            "no --auth-file: anyone who reaches the server may read and change everything"
        );
        return Ok(None);
    };
    let auth = Authenticator::load(path).map_err(|e| anyhow::anyhow!("auth file {e}"))?;
    let keys = auth.keys();
    tracing::info!(
        path = %path.display(),
        basic = keys.has_users(),
        bearer = keys.has_jwt(),
        "authentication required"
    );
    Ok(Some(Arc::new(auth)))
}

/// The TLS files, read and checked.
fn load_tls(options: &Options) -> anyhow::Result<Option<Arc<Tls>>> {
    let Some(files) = &options.tls else {
        return Ok(None);
    };
    let tls = Tls::load(files).map_err(anyhow::Error::msg)?;
    tracing::info!(
        client_certificates = files.client_ca.is_some(),
        "serving HTTPS"
    );
    Ok(Some(Arc::new(tls)))
}

/// On each SIGHUP, re-reads the auth file and the TLS files. One with a mistake leaves the one
/// in force.
async fn reload_on_hangup(auth: Option<Arc<Authenticator>>, tls: Option<Arc<Tls>>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hangups) = signal(SignalKind::hangup()) else {
        tracing::warn!("SIGHUP cannot be caught: the auth and TLS files will not be re-read");
        return;
    };
    while hangups.recv().await.is_some() {
        if let Some(tls) = &tls {
            match tls.reload() {
                Ok(()) => tracing::info!("TLS files re-read"),
                Err(e) => tracing::error!("TLS files not re-read, the ones in force stay: {e}"),
            }
        }
        if let Some(auth) = &auth {
            match auth.reload() {
                Ok(()) => tracing::info!(path = %auth.path().display(), "auth file re-read"),
                Err(e) => tracing::error!("auth file not re-read, the one in force stays: {e}"),
            }
        }
    }
}

/// `schemata serve`: serves on `listener` (and the metrics alone on `metrics_listener`, when
/// given) until `shutdown` resolves. While the storage is opened and its records replayed, the
/// listener already answers the probes (`/health/ready`: 503, replaying) and the metrics, and
/// 503 to anything else; then the whole API takes over.
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
    let auth = load_auth(options)?;
    let tls = load_tls(options)?;
    tokio::spawn(reload_on_hangup(auth.clone(), tls.clone()));
    let metrics = options.new_metrics();
    if let Some(listener) = metrics_listener {
        let app = metrics_only(metrics.clone());
        tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(stopped())
                .into_future(),
        );
    }

    // One accept loop from the start: while loading, every request goes to the loading phase's
    // router; once loaded, to the API's. No connection is dropped at the handover.
    let loaded = Arc::new(OnceLock::new());
    let phases = Phases {
        loading: app(starting(options.metrics_route.then(|| metrics.clone()))),
        loaded: loaded.clone(),
        current: None,
    };
    let serving = tokio::spawn(crate::serve::serve(
        listener,
        tls,
        options.limits,
        phases,
        stopped(),
    ));
    let server = tokio::select! {
        server = Server::open_with(options, metrics, auth) => server?,
        () = stopped() => return Ok(()),
    };
    let _ = loaded.set(app(routes(server.state)));
    tracing::info!("schemata ready");
    serving.await??;
    Ok(())
}

/// A whole server as a service: the router, its tracing and metrics, trailing slashes trimmed
/// (Java's client sends `/compatibility/subjects/s/versions/`), then the `/contexts/{context}/`
/// prefix rewritten (`http/contexts.rs`).
type App = NormalizePath<ContextPrefix<Api>>;

fn app(routes: Api) -> App {
    NormalizePathLayer::trim_trailing_slash().layer(ContextPrefix(routes))
}

/// `schemata serve`'s service: the loading phase's app until the API's is set, then the API's.
#[derive(Clone)]
struct Phases {
    loading: App,
    loaded: Arc<OnceLock<App>>,
    /// The API's app, once this connection has seen it set.
    current: Option<App>,
}

impl Phases {
    fn app(&mut self) -> &mut App {
        if self.current.is_none() {
            self.current = self.loaded.get().cloned();
        }
        self.current.as_mut().unwrap_or(&mut self.loading)
    }
}

impl Service<Request> for Phases {
    type Response = <App as Service<Request>>::Response;
    type Error = <App as Service<Request>>::Error;
    type Future = <App as Service<Request>>::Future;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.app().poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        self.app().call(req)
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
