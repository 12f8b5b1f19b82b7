//! The probes: `GET /health/live` (the process serves) and `GET /health/ready` (the state is
//! replayed and the storage accepts writes). A registry that is not ready keeps serving reads;
//! the probe only tells a load balancer or an orchestrator where writes would fail.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::json_response;
use crate::registry::Registry;

/// The body of both probes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Health<'a> {
    /// `live`, `ready` or `not ready`
    status: &'static str,
    /// Why the registry is not ready: replaying its records, the database cannot be reached,
    /// catching up with it, or the log's disk is full
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
}

fn answer(status: StatusCode, body: &Health<'_>) -> Response {
    json_response(
        status,
        serde_json::to_vec(body).expect("probe bodies serialize"),
    )
}

/// `GET /health/live`.
#[utoipa::path(
    get,
    path = "/health/live",
    tag = "operations",
    responses((status = 200, description = "The process serves requests: `{\"status\":\"live\"}`", body = Health<'_>))
)]
pub async fn live() -> Response {
    answer(
        StatusCode::OK,
        &Health {
            status: "live",
            reason: None,
        },
    )
}

/// `GET /health/ready`.
#[utoipa::path(
    get,
    path = "/health/ready",
    tag = "operations",
    responses(
        (status = 200, description = "Replayed, and the storage accepts writes: `{\"status\":\"ready\"}`", body = Health<'_>),
        (status = 503, description = "Not ready, and why (reads are still served, from memory)", body = Health<'_>),
    )
)]
pub async fn ready(State(registry): State<Registry>) -> Response {
    match registry.readiness() {
        Ok(()) => answer(
            StatusCode::OK,
            &Health {
                status: "ready",
                reason: None,
            },
        ),
        Err(why) => not_ready(&why),
    }
}

/// 503 with the reason.
pub fn not_ready(why: &str) -> Response {
    answer(
        StatusCode::SERVICE_UNAVAILABLE,
        &Health {
            status: "not ready",
            reason: Some(why),
        },
    )
}
