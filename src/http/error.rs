//! Errors as responses: Confluent's `{"error_code": ..., "message": ...}` body with the status
//! [`ApiError::status_and_code`] gives, in the generation the server speaks. A storage failure
//! also leaves its cause and subject on the response ([`Failure`]), for the request's log line:
//! the client only sees Confluent's generic message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{json_response, ApiFormat};
use crate::error::ApiError;

/// The body of every error.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody<'a> {
    error_code: u32,
    message: &'a str,
}

/// What went wrong behind a 5xx, kept on the response for the log (`trace.rs`).
#[derive(Debug, Clone)]
pub struct Failure {
    pub subject: Option<String>,
    pub cause: String,
}

/// The response for `error` in the generation `api`.
pub fn error_response(error: &ApiError, api: ApiFormat) -> Response {
    let (status, code) = error.status_and_code();
    let status = StatusCode::from_u16(status).expect("error statuses are valid");
    let message = error.to_string();
    let body = serde_json::to_vec(&ErrorBody {
        error_code: api.error_code(code),
        message: &message,
    })
    .expect("error bodies serialize");
    let mut response = json_response(status, body);
    match error {
        ApiError::Store { subject, cause, .. } => {
            response.extensions_mut().insert(Failure {
                subject: subject.clone(),
                cause: cause.to_string(),
            });
        }
        ApiError::NotLeader {
            leader, forwarding, ..
        } => {
            response.extensions_mut().insert(super::forward::Leader {
                url: leader.clone(),
                forwarding,
            });
        }
        _ => {}
    }
    response
}

/// Every error but an incompatible registration is numbered the same in both generations, so
/// handlers return `ApiError` and this renders it; the one handler that can refuse a schema as
/// incompatible renders its errors with [`error_response`] and the server's generation.
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        error_response(&self, ApiFormat::V7)
    }
}
