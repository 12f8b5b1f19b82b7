//! What the logs know of a request: its id, method, route template (the raw path is kept out of
//! the logs' structured fields: subject names would make every request its own) and, when it
//! ends, its status and latency.
//!
//! The id is the client's `X-Request-Id` when it sends one, else a number from a process-wide
//! counter, drawn only when a line is logged. A server error is logged as one line with all of
//! that, the subject and the cause. Each request also runs in a `request`
//! span at DEBUG level, so `RUST_LOG=debug` puts every line logged while serving it in context;
//! at the default level the span is never built: building it cost 15–20% of
//! `GET /schemas/ids/{id}`'s throughput (`bench/compare.sh`). For the same reason this is a
//! plain tower service around the whole router, whose future wraps the router's: a layer on the
//! router's routes would clone each route's boxed service per request, and axum's `MatchedPath`
//! costs an extension map per request. The route template is looked up only when it is logged
//! ([`Routes`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Instant;

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{HeaderValue, Method, Uri};
use axum::response::Response;
use tower::{Layer, Service};
use tracing::Span;

use super::error::Failure;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A request's id: the client's, or one drawn when first needed.
struct RequestId(std::cell::OnceCell<String>);

impl RequestId {
    fn given(value: Option<&HeaderValue>) -> RequestId {
        let id = std::cell::OnceCell::new();
        if let Some(value) = value {
            let _ = id.set(String::from_utf8_lossy(value.as_bytes()).into_owned());
        }
        RequestId(id)
    }

    fn get(&self) -> &str {
        self.0
            .get_or_init(|| NEXT_ID.fetch_add(1, Ordering::Relaxed).to_string())
    }
}

/// The route templates of the server, to name a request's route when a line is logged.
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

    /// The template of the route `path` takes, or `(no route)`.
    pub fn template(&self, path: &str) -> &str {
        self.router
            .at(path)
            .map_or("(no route)", |m| self.templates[*m.value].as_str())
    }
}

/// Wraps a service (the router) in [`Trace`].
#[derive(Clone)]
pub struct TraceLayer {
    routes: Arc<Routes>,
}

impl TraceLayer {
    pub fn new(routes: Routes) -> TraceLayer {
        TraceLayer {
            routes: Arc::new(routes),
        }
    }
}

impl<S> Layer<S> for TraceLayer {
    type Service = Trace<S>;

    fn layer(&self, inner: S) -> Trace<S> {
        Trace {
            inner,
            routes: self.routes.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Trace<S> {
    inner: S,
    routes: Arc<Routes>,
}

/// What the request's log line needs once the response is ready.
struct Pending {
    started: Instant,
    id: RequestId,
    method: Method,
    uri: Uri,
    routes: Arc<Routes>,
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
            id: RequestId::given(req.headers().get("x-request-id")),
            method: req.method().clone(),
            uri: req.uri().clone(),
            routes: self.routes.clone(),
        };
        let span = tracing::debug_span!(
            "request",
            method = %pending.method,
            route = pending.route(),
            id = pending.id(),
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
        self.routes.template(self.uri.path())
    }

    fn id(&self) -> &str {
        self.id.get()
    }

    fn finish(self, response: &Response) {
        let status = response.status();
        if status.is_server_error() {
            let failure = response.extensions().get::<Failure>();
            tracing::error!(
                method = %self.method,
                route = self.route(),
                id = self.id(),
                status = status.as_u16(),
                latency_us = self.started.elapsed().as_micros() as u64,
                subject = failure.and_then(|f| f.subject.as_deref()),
                cause = failure.map(|f| f.cause.as_str()),
                "request failed"
            );
        }
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
        let response = match this.inner.poll(cx) {
            Poll::Ready(Ok(response)) => response,
            other => return other,
        };
        if let Some(pending) = this.pending.take() {
            pending.finish(&response);
        }
        Poll::Ready(Ok(response))
    }
}
