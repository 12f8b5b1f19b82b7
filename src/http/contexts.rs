//! `/contexts`: listing and deleting contexts, and the `/contexts/{context}/...` URL prefix
//! Confluent's clients use when their base URL names a context.
//!
//! The prefix is rewritten before routing, as Confluent's `ContextFilter` does: the subject
//! after `/subjects/` (and after a root `/config/` or `/mode/`) is qualified with the context,
//! `/config` and `/mode` alone become the context's own (`/config/:.ctx:`), and the `subject`
//! of `/schemas/ids/...` and the `subjectPrefix` of `/subjects` and `/schemas` default to the
//! context. Names already qualified (`:.other:s`, `:*:`) are left as they are.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tower::Service;

use super::extract::{ContextPath, Params};
use super::params::Page;
use super::{json_response, ok, AppState, ErrorBody};
use crate::error::ApiError;
use crate::registry::context;

/// `GET /contexts`.
#[utoipa::path(
    get,
    path = "/contexts",
    tag = "contexts",
    params(("contextPrefix" = Option<String>, Query, description = "Only contexts starting with this"), Page),
    responses((status = 200, description = "The default context `.`, then every other that exists (created by its first registration), by name", body = Vec<String>))
)]
pub async fn list(State(app): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let prefix = params.get("contextPrefix").unwrap_or("");
    let contexts: Vec<String> = app
        .registry
        .list_contexts()
        .into_iter()
        .filter(|c| c.starts_with(prefix))
        .collect();
    Ok(ok(&params.page(contexts, None)?))
}

/// `DELETE /contexts/{context}`.
#[utoipa::path(
    delete,
    path = "/contexts/{context}",
    tag = "contexts",
    params(ContextPath),
    responses((status = 204, description = "The context is gone (or never existed)"), (status = 400, description = "400: a colon inside the context's name", body = ErrorBody<'_>), (status = 422, description = "42211: the context still holds subjects, soft-deleted ones included", body = ErrorBody<'_>))
)]
pub async fn delete(State(app): State<AppState>, path: ContextPath) -> Result<Response, ApiError> {
    app.registry.delete_context(&path.context).await?;
    Ok(json_response(StatusCode::NO_CONTENT, ""))
}

/// The URI of a request as the client sent it, kept on a request whose prefix was rewritten.
#[derive(Debug, Clone)]
pub struct SentUri(pub Uri);

/// Rewrites `/contexts/{context}/...` requests before they reach `S`.
#[derive(Clone)]
pub struct ContextPrefix<S>(pub S);

impl<S> Service<Request> for ContextPrefix<S>
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = PrefixFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        match rewrite(req.uri()) {
            Ok(Some(uri)) => {
                // Forwarding re-sends the request as the client sent it.
                let sent = SentUri(req.uri().clone());
                req.extensions_mut().insert(sent);
                *req.uri_mut() = uri;
            }
            Ok(None) => {}
            Err(message) => {
                let response = ApiError::BadRequest(message).into_response();
                return PrefixFuture::Refused {
                    response: Some(response),
                };
            }
        }
        PrefixFuture::Inner {
            inner: self.0.call(req),
        }
    }
}

pin_project_lite::pin_project! {
    /// The inner service's answer, or the refusal of a context name.
    #[project = Projected]
    pub enum PrefixFuture<F> {
        Inner { #[pin] inner: F },
        Refused { response: Option<Response> },
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for PrefixFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projected::Inner { inner } => inner.poll(cx),
            Projected::Refused { response } => {
                Poll::Ready(Ok(response.take().expect("polled after completion")))
            }
        }
    }
}

/// What may stay as it is in a path segment or a query value (unreserved characters and the
/// context delimiters); the rest is percent-encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b':')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'*');

/// Whether a (percent-encoded) name is already qualified with a context, or all of them.
fn qualified(raw: &str) -> bool {
    let name = percent_decode_str(raw).decode_utf8_lossy();
    name.starts_with(":.") || name.starts_with(context::WILDCARD)
}

/// The URI a `/contexts/{context}/...` request means, `None` for any other; `Err` for a context
/// name Confluent refuses (a colon inside).
fn rewrite(uri: &Uri) -> Result<Option<Uri>, String> {
    let Some(rest) = uri.path().strip_prefix("/contexts/") else {
        return Ok(None);
    };
    let mut segments = rest.split('/');
    let raw_context = segments.next().unwrap_or("");
    let delimited =
        context::normalize_context(&percent_decode_str(raw_context).decode_utf8_lossy())?;
    let prefix = utf8_percent_encode(&delimited, ENCODE).to_string();
    let mut out: Vec<String> = Vec::new();
    let (mut subject_next, mut config_or_mode, mut first) = (false, false, true);
    for segment in segments {
        let mut segment = segment.to_string();
        if subject_next {
            if !qualified(&segment) {
                segment = format!("{prefix}{segment}");
            }
            subject_next = false;
        } else {
            let root = first && (segment == "config" || segment == "mode");
            if segment == "subjects" || segment == "deks" || root {
                subject_next = true;
                config_or_mode |= root;
            }
        }
        first &= segment.is_empty();
        out.push(segment);
    }
    if config_or_mode && subject_next && !prefix.is_empty() {
        out.push(prefix.clone());
    }
    let path = if out.is_empty() {
        // The context itself: `DELETE /contexts/.ctx`.
        let named = if prefix.is_empty() { "." } else { &prefix };
        format!("/contexts/{named}")
    } else {
        format!("/{}", out.join("/"))
    };
    let query = rewrite_query(&path, uri.query().unwrap_or(""), &delimited);
    let uri = if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    };
    uri.parse()
        .map(Some)
        .map_err(|_| format!("Invalid path {uri}"))
}

/// The query of the rewritten `path`: the context as the default `subject` of reads by id, and
/// as the prefix of each `subjectPrefix` of the listings.
fn rewrite_query(path: &str, query: &str, delimited: &str) -> String {
    let name = if path.starts_with("/schemas/ids") {
        "subject"
    } else if path == "/schemas" || path == "/subjects" {
        "subjectPrefix"
    } else {
        return query.to_string();
    };
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect();
    let is_name = |k: &str| percent_decode_str(k).decode_utf8_lossy() == name;
    let encoded = utf8_percent_encode(delimited, ENCODE).to_string();
    if !pairs.iter().any(|(k, _)| is_name(k)) {
        pairs.push((name.to_string(), String::new()));
    }
    for (k, v) in &mut pairs {
        if is_name(k) && !qualified(v) {
            *v = format!("{encoded}{v}");
        }
    }
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(uri: &str) -> String {
        rewrite(&uri.parse().unwrap())
            .unwrap()
            .map_or_else(|| "unchanged".to_string(), |u| u.to_string())
    }

    #[test]
    fn paths_are_rewritten_as_confluents_context_filter_does() {
        assert_eq!(
            rewritten("/contexts/.staging/subjects/orders/versions"),
            "/subjects/:.staging:orders/versions"
        );
        assert_eq!(
            rewritten("/contexts/staging/subjects/:.other:o/versions/1"),
            "/subjects/:.other:o/versions/1"
        );
        assert_eq!(
            rewritten("/contexts/.staging/compatibility/subjects/o/versions/latest"),
            "/compatibility/subjects/:.staging:o/versions/latest"
        );
        assert_eq!(rewritten("/contexts/.staging/config"), "/config/:.staging:");
        assert_eq!(
            rewritten("/contexts/.staging/mode/orders"),
            "/mode/:.staging:orders"
        );
        assert_eq!(rewritten("/contexts/.staging"), "/contexts/:.staging:");
        assert_eq!(rewritten("/contexts/:.:"), "/contexts/.");
        assert_eq!(
            rewritten("/contexts/.staging/schemas/ids/3?fetchMaxId=true"),
            "/schemas/ids/3?fetchMaxId=true&subject=:.staging:"
        );
        assert_eq!(
            rewritten("/contexts/.staging/schemas/ids/3?subject=o"),
            "/schemas/ids/3?subject=:.staging:o"
        );
        assert_eq!(
            rewritten("/contexts/.staging/subjects?deleted=true"),
            "/subjects?deleted=true&subjectPrefix=:.staging:"
        );
        assert_eq!(
            rewritten("/contexts/.staging/schemas?subjectPrefix=%3A*%3A"),
            "/schemas?subjectPrefix=%3A*%3A"
        );
        assert_eq!(
            rewritten("/contexts/./subjects/o/versions"),
            "/subjects/o/versions"
        );
        assert_eq!(rewritten("/contexts"), "unchanged");
        assert_eq!(rewritten("/subjects/o/versions"), "unchanged");
    }

    #[test]
    fn a_colon_inside_a_context_is_refused() {
        let err = rewrite(&"/contexts/a:b/subjects".parse().unwrap()).unwrap_err();
        assert_eq!(err, "Context name 'a:b' cannot contain a colon");
    }
}
