//! What every request leaves behind: a span, so that whatever is logged while serving it (a
//! storage failure, say) names the request; an access log line when it ends (target
//! `schemata::access`, on with `--access-log`); and its count and latency in the metrics.
//! Each names the route template, never the raw path: subject names would make every request
//! its own.
//!
//! The id is the client's `X-Request-Id` when it sends one, else a number from a process-wide
//! counter; either way it is echoed in the response's `X-Request-Id`. The span has a
//! `principal` field for authentication to fill in; until it does, lines leave it out.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::HttpBody;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::field::Empty;
use tracing::Instrument;

use super::metrics::{HttpMetrics, NO_ROUTE};

const REQUEST_ID: &str = "x-request-id";

/// The target of the access log lines, so they can be turned on and off on their own.
pub const ACCESS_LOG: &str = "schemata::access";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub async fn request(
    State(metrics): State<Option<Arc<HttpMetrics>>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let id = match req.headers().get(REQUEST_ID) {
        Some(given) => given.clone(),
        None => HeaderValue::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
    };
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    let route = route.as_ref().map_or(NO_ROUTE, MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        method = %method,
        route,
        request_id = id.to_str().unwrap_or("(not text)"),
        principal = Empty,
    );
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    let took = started.elapsed();
    if let Some(metrics) = &metrics {
        metrics.record(&method, route, status, took);
    }
    span.in_scope(|| {
        tracing::info!(
            target: ACCESS_LOG,
            status = status.as_u16(),
            latency_us = took.as_micros() as u64,
            bytes = response.body().size_hint().exact(),
            "served"
        );
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), "request failed");
        }
    });
    response.headers_mut().insert(REQUEST_ID, id);
    response
}
