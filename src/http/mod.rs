//! The HTTP API: every route in one table, each declared once with its OpenAPI entry; one module
//! per URL resource.
//!
//! Handlers are thin: they extract, call one [`Registry`] method and map the result to the JSON
//! Confluent's clients expect. Every response, errors included, is JSON with the registry's
//! content type whatever the `Accept` header says.
//!
//! - `extract.rs`: request parsing the way clients send requests (query flags, bodies, paths);
//!   `params.rs`: the shared query parameters, as the OpenAPI document describes them.
//! - `bodies.rs`: schema request bodies answered before from what was held, kept parsed by their
//!   bytes.
//! - `format.rs`: the Confluent generation (7.x/8.x) the responses follow.
//! - `error.rs`: errors as responses. `dto.rs`: JSON shapes several resources share.
//! - `trace.rs`: per request, a span, an access log line and its metrics (method, route,
//!   status, latency, request id).
//! - `forward.rs`: writes refused because another node is the elected writer, re-sent there.
//! - `guard.rs`: the auth file applied to each request (authentication, then one table from
//!   route to operation); handlers of listings filter through its [`guard::Caller`].
//! - `metrics.rs`: the HTTP metrics and `GET /metrics`; `health.rs`: the probes.
//! - `subjects.rs`, `schemas.rs`, `compatibility.rs`, `config.rs`, `mode.rs`, `contexts.rs`,
//!   `root.rs`: the resources (`contexts.rs` also rewrites the `/contexts/{context}/` prefix); `openapi.rs` serves the document; `ui.rs` the web UI.

mod bodies;
mod compatibility;
mod config;
pub mod contexts;
mod dto;
mod error;
mod exporters;
mod extract;
mod format;
pub mod forward;
pub mod guard;
pub mod health;
pub mod metrics;
mod mode;
pub mod openapi;
mod params;
mod root;
mod schemas;
mod stream;
mod subjects;
pub mod trace;
mod ui;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Authenticator;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::registry::Registry;
pub use error::ErrorBody;
pub use format::ApiFormat;
use forward::Forward;
use guard::{Guard, GuardLayer};
use tower::util::Either;
use tower::Layer;
use tower_http::cors::{AllowOrigin, Cors, CorsLayer};
pub use trace::Trace;
use trace::{Routes, TraceLayer};

/// What every handler gets: one pointer to what the server shares, as axum clones it for every
/// request (a clone of each field was a percent of a hot-path request).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What the server's handlers share.
pub struct Shared {
    pub registry: Registry,
    /// The Confluent generation the responses follow.
    pub api: ApiFormat,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// The server's metrics, recorded whether or not this router serves them.
    pub metrics: Metrics,
    /// Whether `GET /metrics` answers here (not when they have a listener of their own).
    pub metrics_route: bool,
    /// The auth file in force (`None`: no authentication, everything allowed).
    pub auth: Option<Arc<Authenticator>>,
    /// Origins whose browser preflights are answered (`--cors-allow-origin`); none: no CORS.
    pub cors_origins: Vec<HeaderValue>,
    /// What `GET /v1/metadata/deployment` lists.
    pub deployment: Arc<[String]>,
    /// The running exporters' statuses.
    pub exporters: crate::replication::exporter::Exporters,
    /// Forwards writes to the elected writer (Kafka storage with `--advertised-url`).
    pub forwarder: Option<Arc<forward::Forwarder>>,
    /// Schema request bodies answered before, parsed.
    pub bodies: bodies::ParsedBodies,
}

impl FromRef<AppState> for Registry {
    fn from_ref(app: &AppState) -> Registry {
        app.registry.clone()
    }
}

/// The content type of every response (Confluent's default).
pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

/// Every API route, each with its OpenAPI entry.
fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(root::get, root::post))
        .routes(routes!(root::cluster_id))
        .routes(routes!(root::version))
        .routes(routes!(root::deployment))
        .routes(routes!(contexts::list))
        .routes(routes!(contexts::delete))
        .routes(routes!(schemas::list))
        .routes(routes!(schemas::types))
        .routes(routes!(schemas::by_id))
        .routes(routes!(schemas::raw_by_id))
        .routes(routes!(schemas::subjects_of_id))
        .routes(routes!(schemas::versions_of_id))
        .routes(routes!(schemas::by_guid))
        .routes(routes!(schemas::ids_of_guid))
        .routes(routes!(subjects::list))
        .routes(routes!(subjects::lookup, subjects::delete))
        .routes(routes!(subjects::list_versions, subjects::register))
        .routes(routes!(subjects::get_version, subjects::delete_version))
        .routes(routes!(subjects::raw_version))
        .routes(routes!(subjects::referenced_by))
        .routes(routes!(subjects::diff))
        .routes(routes!(subjects::latest_with_metadata))
        .routes(routes!(compatibility::against_all))
        .routes(routes!(compatibility::against_version))
        .routes(routes!(
            config::get_global,
            config::put_global,
            config::delete_global
        ))
        .routes(routes!(
            config::get_subject,
            config::put_subject,
            config::delete_subject
        ))
        .routes(routes!(
            mode::get_global,
            mode::put_global,
            mode::delete_global
        ))
        .routes(routes!(
            mode::get_subject,
            mode::put_subject,
            mode::delete_subject
        ))
        .routes(routes!(exporters::list, exporters::create))
        .routes(routes!(
            exporters::get,
            exporters::update,
            exporters::delete
        ))
        .routes(routes!(exporters::status))
        .routes(routes!(exporters::get_config, exporters::put_config))
        .routes(routes!(exporters::pause))
        .routes(routes!(exporters::resume))
        .routes(routes!(exporters::reset))
        .routes(routes!(health::live))
        .routes(routes!(health::ready))
        .routes(routes!(metrics::scrape))
}

/// Routes outside the API's document.
pub(crate) const OTHER_ROUTES: [&str; 4] = ["/openapi.json", "/ui", "/ui/app.js", "/ui/style.css"];

/// The OpenAPI document of every API route.
pub(crate) fn document() -> utoipa::openapi::OpenApi {
    api().into_openapi()
}

/// The whole server: the API, the probes and metrics, the document, the web UI, and
/// Confluent-shaped 404s and 405s, each request traced and measured (`trace.rs`).
pub fn routes(state: AppState) -> Api {
    let (api, document) = api().split_for_parts();
    let templates = document
        .paths
        .paths
        .into_keys()
        .chain(OTHER_ROUTES.map(str::to_string));
    let routes = Arc::new(Routes::new(templates));
    let cors = cors(&state.cors_origins);
    let guard = match &state.auth {
        Some(auth) => GuardLayer::new(auth.clone(), routes.templates(), state.registry.clone()),
        None => GuardLayer::off(),
    };
    let http_metrics = state.metrics.is_on().then(|| {
        Arc::new(metrics::HttpMetrics::new(
            state.metrics.clone(),
            routes.templates(),
        ))
    });
    let forwarder = state.forwarder.clone();
    let router = api
        .route(OTHER_ROUTES[0], get(openapi::serve))
        .route(OTHER_ROUTES[1], get(ui::index))
        .route(OTHER_ROUTES[2], get(ui::app_js))
        .route(OTHER_ROUTES[3], get(ui::style_css))
        .fallback(|| async { ApiError::NotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .with_state(state);
    let forwarding = Forward::new(cors.layer(guard.layer(router)), forwarder);
    TraceLayer::new(routes, http_metrics).layer(forwarding)
}

/// The whole server as a service: the router behind the guard, CORS when asked for, writes
/// forwarded to the elected writer when there is one, traced.
pub type Api = Trace<Forward<Either<Cors<Guard<Router>>, Guard<Router>>>>;

/// Answers browser preflights from `origins` (third-party UIs), before the guard: a browser
/// sends no credentials with a preflight. No origins: no CORS headers at all.
fn cors(origins: &[HeaderValue]) -> Either<CorsLayer, tower::layer::util::Identity> {
    let layer = (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins.iter().cloned()))
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE, header::ACCEPT])
            .expose_headers([HeaderName::from_static("x-request-id")])
            .allow_credentials(true)
    });
    tower::util::option_layer(layer)
}

/// What answers while the registry replays its records: the probes (live, not ready), the
/// metrics when they are served here, and a 503 for everything else (which reveals nothing, so
/// no credentials are asked for).
pub fn starting(metrics: Option<Metrics>) -> Api {
    const REPLAYING: &str = "replaying the stored records";
    let mut router = Router::new()
        .route("/health/live", get(health::live))
        .route(
            "/health/ready",
            get(|| async { health::not_ready(REPLAYING) }),
        );
    if let Some(metrics) = metrics {
        router = router.route(
            "/metrics",
            get(move || metrics::render(Some(metrics.clone()))),
        );
    }
    let router = router.fallback(|| async { ApiError::Starting });
    let routes = ["/health/live", "/health/ready", "/metrics"].map(str::to_string);
    TraceLayer::new(Arc::new(Routes::new(routes)), None).layer(Forward::new(
        Either::Right(GuardLayer::off().layer(router)),
        None,
    ))
}

/// Only `GET /metrics`, for `--metrics-listen`.
pub fn metrics_only(metrics: Metrics) -> Router {
    Router::new()
        .route(
            "/metrics",
            get(move || metrics::render(Some(metrics.clone()))),
        )
        .fallback(|| async { ApiError::NotFound })
}

/// A response with a JSON body already serialized.
pub fn json_response(status: StatusCode, body: impl Into<axum::body::Body>) -> Response {
    let mut response = (status, body.into()).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// 200 with `value` as JSON.
pub fn ok<T: Serialize>(value: &T) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_vec(value).expect("responses serialize"),
    )
}
