//! What every request leaves behind: its count and latency in the metrics, an access log line
//! when it ends (target `schemata::access`, on with `--access-log`), a line when it failed, and
//! a `request` span for whatever is logged while serving it. Each names the route template,
//! never the raw path: subject names would make every request its own.
//!
//! Writes and refusals, when an auth file is in force, leave an [`Audit`] on the response: it
//! becomes one line (target `schemata::audit`) with the principal, operation, resource, outcome
//! and request id.
//!
//! The id is the client's `X-Request-Id` when it sends one, else a number from a process-wide
//! counter; either way it is echoed in the response's `X-Request-Id`. A server error is logged
//! as one line with the request's method, route, id, status and latency, the subject and the
//! cause.
//!
//! Cheap on purpose, because every request pays it (measured with callgrind, `bench/README.md`):
//! - the span is at DEBUG level, so at the default level it is never built (building an INFO
//!   span cost 15–20% of `GET /schemas/ids/{id}`'s throughput);
//! - this is a plain tower service around the whole router whose future wraps the router's: a
//!   layer on the router's routes would clone each route's boxed service per request, and
//!   axum's `MatchedPath` costs an extension map per request;
//! - the route is found once per request by [`Routes`] (the router axum itself uses) and
//!   metrics are then recorded on handles kept per route, method and status.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, Uri};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::Span;

use super::error::Failure;
use super::guard::{Audit, Authenticated};
use super::metrics::HttpMetrics;

/// The target of the access log lines, so they can be turned on and off on their own.
pub const ACCESS_LOG: &str = "schemata::access";

/// The target of the audit lines: every write and every refusal, when an auth file is in force.
pub const AUDIT_LOG: &str = "schemata::audit";

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// The label of a request no route matched.
pub const NO_ROUTE: &str = "(no route)";

/// The route templates of the server: which one a request takes, as an index.
pub struct Routes {
    router: matchit::Router<usize>,
    templates: Vec<String>,
}

impl Routes {
    pub fn new(templates: impl IntoIterator<Item = String>) -> Routes {
        let templates: Vec<String> = templates.into_iter().collect();
        let mut router = matchit::Router::new();
        for (i, template) in templates.iter().enumerate() {
            router
                .insert(template.as_str(), i)
                .expect("the server's routes are valid and distinct");
        }
        Routes { router, templates }
    }

    pub fn templates(&self) -> &[String] {
        &self.templates
    }

    /// The index of the route `path` takes.
    fn find(&self, path: &str) -> Option<usize> {
        self.router.at(path).ok().map(|m| *m.value)
    }

    fn template(&self, route: Option<usize>) -> &str {
        route.map_or(NO_ROUTE, |i| self.templates[i].as_str())
    }
}

/// Wraps a service (the router) in [`Trace`].
#[derive(Clone)]
pub struct TraceLayer {
    routes: Arc<Routes>,
    metrics: Option<Arc<HttpMetrics>>,
}

impl TraceLayer {
    pub fn new(routes: Arc<Routes>, metrics: Option<Arc<HttpMetrics>>) -> TraceLayer {
        TraceLayer { routes, metrics }
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace {
            inner,
            layer: self.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Trace<S> {
    inner: S,
    layer: TraceLayer,
}

/// What the request's metrics and lines need once the response is ready.
struct Pending {
    started: Instant,
    id: HeaderValue,
    method: Method,
    uri: Uri,
    route: Option<usize>,
    layer: TraceLayer,
}

impl<S> Service<Request> for Trace<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = TraceFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> TraceFuture<S::Future> {
        let pending = Pending {
            started: Instant::now(),
            id: match req.headers().get(&REQUEST_ID) {
                Some(given) => given.clone(),
                None => HeaderValue::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
            },
            method: req.method().clone(),
            route: self.layer.routes.find(req.uri().path()),
            uri: req.uri().clone(),
            layer: self.layer.clone(),
        };
        let span = tracing::debug_span!(
            "request",
            method = %pending.method,
            route = pending.route(),
            request_id = pending.id(),
        );
        let inner = span.in_scope(|| self.inner.call(req));
        TraceFuture {
            inner,
            span,
            pending: Some(pending),
        }
    }
}

impl Pending {
    fn route(&self) -> &str {
        self.layer.routes.template(self.route)
    }

    fn id(&self) -> &str {
        self.id.to_str().unwrap_or("(not text)")
    }

    fn finish(self, response: &mut Response) {
        let status = response.status();
        let took = self.started.elapsed();
        if let Some(metrics) = &self.layer.metrics {
            metrics.record(&self.method, self.route, status, took);
        }
        // Who asked: the guard leaves the principal while this log is on; a refusal's is in its
        // audit.
        let extensions = response.extensions();
        let principal = extensions
            .get::<Authenticated>()
            .map(|a| &*a.0)
            .or_else(|| {
                extensions
                    .get::<Audit>()
                    .and_then(|a| a.principal.as_deref())
            });
        tracing::info!(
            target: ACCESS_LOG,
            method = %self.method,
            route = self.route(),
            request_id = self.id(),
            principal,
            status = status.as_u16(),
            latency_us = took.as_micros() as u64,
            bytes = response.body().size_hint().exact(),
            "served"
        );
        if let Some(audit) = response.extensions_mut().remove::<Audit>() {
            let outcome = match status.as_u16() {
                401 => "unauthenticated",
                403 => "denied",
                _ if status.is_success() => "done",
                _ => "failed",
            };
            tracing::info!(
                target: AUDIT_LOG,
                principal = audit.principal.as_deref(),
                operation = audit.operation,
                resource = audit.resource.as_deref(),
                outcome,
                status = status.as_u16(),
                reason = audit.refusal,
                request_id = self.id(),
                "audit"
            );
        }
        if status.is_server_error() {
            let failure = response.extensions().get::<Failure>();
            tracing::error!(
                method = %self.method,
                route = self.route(),
                path = self.uri.path(),
                request_id = self.id(),
                status = status.as_u16(),
                latency_us = took.as_micros() as u64,
                subject = failure.and_then(|f| f.subject.as_deref()),
                cause = failure.map(|f| f.cause.as_str()),
                "request failed"
            );
        }
        response.headers_mut().insert(REQUEST_ID, self.id);
    }
}

pin_project_lite::pin_project! {
    pub struct TraceFuture<F> {
        #[pin]
        inner: F,
        span: Span,
        pending: Option<Pending>,
    }
}

impl<F, E> Future for TraceFuture<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        let mut response = match this.inner.poll(cx) {
            Poll::Ready(Ok(response)) => response,
            other => return other,
        };
        if let Some(pending) = this.pending.take() {
            pending.finish(&mut response);
        }
        Poll::Ready(Ok(response))
    }
}
