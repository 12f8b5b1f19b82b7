//! `GET /metrics`, and the HTTP measurements: requests by method, route template and status,
//! and their latency by method and route template. Labels name the route template, never the
//! path, so subject names cannot multiply the series.
//!
//! Recording a request must not take a lock shared with other requests. The table of routes is
//! built once and only read; each (route, method) slot holds its handles in `OnceLock`s, filled
//! on the first request that needs them (the one time the recorder's own locks are taken), so
//! a series appears only once something was counted in it.

use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::trace::NO_ROUTE;
use super::{AppState, ErrorBody};
use crate::error::ApiError;
use crate::metrics::{Counter, Histogram, Metrics};

const METHODS: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
    Method::PATCH,
];

/// The method label of any other method (clients choose methods freely; labels must not).
const OTHER_METHOD: &str = "other";

/// The statuses the server answers with; each gets a slot. Any other is counted through the
/// recorder's lookup.
const STATUSES: [u16; 12] = [200, 400, 401, 403, 404, 405, 409, 413, 415, 422, 500, 503];

const REQUESTS: &str = "schemata_http_requests_total";
const REQUESTS_HELP: &str = "HTTP requests by method, route template and status";
const DURATION: &str = "schemata_http_request_duration_seconds";
const DURATION_HELP: &str =
    "Time from a request's arrival to its response, by method and route template";

/// The HTTP measurements of one server.
pub struct HttpMetrics {
    metrics: Metrics,
    /// By route (the index `trace::Routes` gives, then one for no route): its template, and one
    /// slot per method in `METHODS`, then one for any other.
    routes: Box<[Route]>,
}

/// A route's template and its slots.
type Route = (Box<str>, Box<[Slot]>);

#[derive(Default)]
struct Slot {
    duration: OnceLock<Histogram>,
    statuses: [OnceLock<Counter>; STATUSES.len()],
}

impl HttpMetrics {
    /// The table for `routes` (every route template the router declares, in `Routes`' order).
    pub fn new(metrics: Metrics, routes: &[String]) -> HttpMetrics {
        let routes = routes
            .iter()
            .map(String::as_str)
            .chain([NO_ROUTE])
            .map(|route| {
                let slots = (0..=METHODS.len()).map(|_| Slot::default()).collect();
                (route.into(), slots)
            })
            .collect();
        HttpMetrics { metrics, routes }
    }

    /// Counts a request on `route` (`None`: no route matched) and records its latency.
    pub fn record(
        &self,
        method: &Method,
        route: Option<usize>,
        status: StatusCode,
        took: Duration,
    ) {
        let m = METHODS.iter().position(|k| k == method);
        let method_label = m.map_or(OTHER_METHOD, |m| METHODS[m].as_str());
        let (route, slots) = &self.routes[route.unwrap_or(self.routes.len() - 1)];
        let slot = &slots[m.unwrap_or(METHODS.len())];
        slot.duration
            .get_or_init(|| self.duration(method_label, route))
            .record(took);
        match STATUSES.iter().position(|s| *s == status.as_u16()) {
            Some(s) => slot.statuses[s]
                .get_or_init(|| self.requests(method_label, route, status))
                .increment(1),
            None => self.requests(method_label, route, status).increment(1),
        }
    }

    fn requests(&self, method: &str, route: &str, status: StatusCode) -> Counter {
        self.metrics.counter_owned(
            REQUESTS,
            vec![
                ("method", method.to_string()),
                ("route", route.to_string()),
                ("status", status.as_u16().to_string()),
            ],
            REQUESTS_HELP,
        )
    }

    fn duration(&self, method: &str, route: &str) -> Histogram {
        self.metrics.histogram_owned(
            DURATION,
            vec![("method", method.to_string()), ("route", route.to_string())],
            DURATION_HELP,
        )
    }
}

/// The content type of the Prometheus text format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`: every metric of the server, in the Prometheus text format.
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "operations",
    responses(
        (status = 200, description = "Every metric, in the Prometheus text format (README: Operations)", content_type = "text/plain; version=0.0.4; charset=utf-8", body = String),
        (status = 404, description = "Code 404: metrics are off (`--metrics false`) or served on `--metrics-listen`", body = ErrorBody<'_>),
    )
)]
pub async fn scrape(State(app): State<AppState>) -> Response {
    render(app.metrics_route.then(|| app.metrics.clone())).await
}

/// The metrics as a response; a 404 when there are none to serve.
pub async fn render(metrics: Option<Metrics>) -> Response {
    let Some(metrics) = metrics.filter(Metrics::is_on) else {
        return ApiError::NotFound.into_response();
    };
    // The render walks every series and runs the scrape hooks: off the request threads.
    match tokio::task::spawn_blocking(move || metrics.render()).await {
        Ok(Some(text)) => ([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], text).into_response(),
        _ => ApiError::NotFound.into_response(),
    }
}
