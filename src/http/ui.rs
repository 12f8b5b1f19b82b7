//! `/ui`: the built-in web UI (subjects, versions, schemas, side-by-side diffs), embedded in the
//! binary so nothing is built or fetched at run time. Its files are in `ui/`.

use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

const INDEX: &str = include_str!("ui/index.html");
const APP: &str = include_str!("ui/app.js");
const STYLE: &str = include_str!("ui/style.css");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "no-cache"),
            // Only our own script and styles: schema text is shown, never executed.
            (CONTENT_SECURITY_POLICY, "default-src 'self'"),
        ],
        body,
    )
        .into_response()
}

/// `GET /ui` (and `/ui/`).
pub async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX)
}

pub async fn app_js() -> Response {
    asset("text/javascript; charset=utf-8", APP)
}

pub async fn style_css() -> Response {
    asset("text/css; charset=utf-8", STYLE)
}
