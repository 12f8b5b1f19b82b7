//! A span per request, so that whatever is logged while serving it (a storage failure, say)
//! names the request: its method, its route template (never the raw path: subject names
//! would make every request its own), its id, and when it ends its status and latency.
//!
//! The id is the client's `X-Request-Id` when it sends one, else a number from a process-wide
//! counter; either way it is echoed in the response's `X-Request-Id`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::field::Empty;
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub async fn request(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = match req.headers().get(REQUEST_ID) {
        Some(given) => given.clone(),
        None => HeaderValue::from(NEXT_ID.fetch_add(1, Ordering::Relaxed)),
    };
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("(no route)", MatchedPath::as_str);
    let span = tracing::info_span!(
        "request",
        method = %req.method(),
        route,
        id = id.to_str().unwrap_or("(not text)"),
        status = Empty,
        latency_us = Empty,
    );
    let mut response = next.run(req).instrument(span.clone()).await;
    let status = response.status();
    span.record("status", status.as_u16());
    span.record("latency_us", started.elapsed().as_micros() as u64);
    if status.is_server_error() {
        span.in_scope(|| tracing::warn!("request failed"));
    } else {
        span.in_scope(|| tracing::debug!("request served"));
    }
    response.headers_mut().insert(REQUEST_ID, id);
    response
}
