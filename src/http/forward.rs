//! Forwarding writes to the elected writer (Kafka storage with `--advertised-url`).
//!
//! Where a write happens decides whether it is forwarded: the storage of a node that is not
//! elected refuses to begin a write and names the elected node's URL, the registry turns that
//! into [`ApiError::NotLeader`], and its response carries a [`Leader`]. This layer keeps the
//! body of each request that may write, and re-sends such a request to that URL as the client
//! sent it (method, path with its `/contexts/` prefix, query, body, `Authorization` and
//! `Content-Type`), marked `X-Forward: true` as Confluent marks it. So a request answered from
//! memory (re-registering a known schema) is never forwarded, and no list of routes is kept.
//!
//! A forwarded request that reaches a node that is not elected either (the election moved)
//! is answered there with 50004 rather than forwarded again. The leader's answer is returned
//! as it is, once this node has read up to the position the leader's state had when it
//! answered ([`Registry::catch_up`]; the leader sends it as `X-Schemata-Position`), so a read
//! after the acknowledgement on this node sees the write. A leader that cannot be reached at all (it died,
//! and the coordinator has not yet elected another) is asked for again until
//! [`REACH_WAIT`] has passed; a request that reached it but got no answer is not re-sent.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use tower::{Service, ServiceExt};

use crate::error::ApiError;
use crate::registry::{Position, Registry};

/// The header Confluent's registry sets on a forwarded request.
pub const FORWARDED: HeaderName = HeaderName::from_static("x-forward");

/// On the answer to a forwarded request: the position of the elected writer's state once it
/// answered, which the forwarding node reads up to before answering in turn.
const POSITION: HeaderName = HeaderName::from_static("x-schemata-position");

/// How long a write is retried while the elected writer cannot be reached (its death not yet
/// noticed by the group coordinator, then the election): the session timeout and a rebalance.
const REACH_WAIT: Duration = Duration::from_secs(15);

/// How long the elected writer may take to answer a forwarded request (a write waits up to
/// 10 s for the broker).
const ANSWER_WAIT: Duration = Duration::from_secs(30);

/// Left on the response of a write refused because another node is elected: where to send it.
#[derive(Debug, Clone)]
pub struct Leader {
    pub url: String,
    /// The 50003 message should forwarding fail.
    pub forwarding: &'static str,
}

/// What forwarding needs: a client, this node's registry (to read the write back) and the
/// body limit.
pub struct Forwarder {
    client: reqwest::Client,
    registry: Registry,
    max_body_bytes: usize,
}

impl Forwarder {
    pub fn new(registry: Registry, max_body_bytes: usize) -> Result<Forwarder, reqwest::Error> {
        // reqwest is built without a default TLS provider: the one the server uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(ANSWER_WAIT)
            .connect_timeout(Duration::from_secs(2))
            .build()?;
        Ok(Forwarder {
            client,
            registry,
            max_body_bytes,
        })
    }
}

/// The forwarding layer around the API; `None`: no forwarding (nothing buffered).
#[derive(Clone)]
pub struct Forward<S> {
    inner: S,
    to: Option<Arc<Forwarder>>,
}

impl<S> Forward<S> {
    pub fn new(inner: S, to: Option<Arc<Forwarder>>) -> Forward<S> {
        Forward { inner, to }
    }
}

impl<S> Service<Request> for Forward<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ForwardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> Self::Future {
        let reads = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
        match &self.to {
            Some(to) if !reads => {
                // The ready service answers; the clone waits for the next request.
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                ForwardFuture::Writing {
                    writing: Box::pin(to.clone().write(inner, req)),
                }
            }
            _ => ForwardFuture::Inner {
                inner: self.inner.call(req),
            },
        }
    }
}

type Writing = Pin<Box<dyn Future<Output = Response> + Send>>;

pin_project_lite::pin_project! {
    /// A read answered here, or a request that may write (and be forwarded).
    #[project = Projected]
    pub enum ForwardFuture<F> {
        Inner { #[pin] inner: F },
        Writing { writing: Writing },
    }
}

impl<F: Future<Output = Result<Response, Infallible>>> Future for ForwardFuture<F> {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            Projected::Inner { inner } => inner.poll(cx),
            Projected::Writing { writing } => writing.as_mut().poll(cx).map(Ok),
        }
    }
}

/// Why a forwarded request got no answer.
enum Unanswered {
    /// The leader could not be reached: nothing was sent, so it may be sent again.
    Unreached,
    /// Sent, but no answer: it may or may not have been done.
    Lost,
}

impl Forwarder {
    /// Answers a request that may write: here, or, when another node is elected, there.
    async fn write<S>(self: Arc<Self>, mut inner: S, req: Request) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
        S::Future: Send,
    {
        let (parts, body) = req.into_parts();
        let body = match axum::body::to_bytes(body, self.max_body_bytes).await {
            Ok(body) => body,
            Err(_) => return ApiError::PayloadTooLarge(self.max_body_bytes).into_response(),
        };
        let forwarded = parts.headers.contains_key(FORWARDED);
        let deadline = Instant::now() + REACH_WAIT;
        // Ready: `call` was preceded by `poll_ready`; a retry asks a clone of it again.
        let retry = inner.clone();
        let request = || Request::from_parts(parts.clone(), Body::from(body.clone()));
        let Ok(mut response) = inner.call(request()).await;
        loop {
            let Some(leader) = response.extensions().get::<Leader>().cloned() else {
                if forwarded {
                    // Answered here for a node that forwarded it: how far that node must read.
                    let position = self.registry.position().to_string();
                    let value = HeaderValue::from_str(&position).expect("digits");
                    response.headers_mut().insert(POSITION, value);
                }
                return response;
            };
            if forwarded {
                // Forwarded once already: the 50004 goes back to the node that forwarded it.
                return response;
            }
            match self.send(&leader.url, &parts, body.clone()).await {
                Ok((answer, position)) => {
                    if answer.status().is_success() {
                        self.registry.catch_up(position).await;
                    }
                    return answer;
                }
                Err(Unanswered::Unreached) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    // The storage asks the election again: the leader may have changed, or
                    // this node may have been elected.
                    let Ok(again) = retry.clone().oneshot(request()).await;
                    response = again;
                }
                Err(unanswered) => {
                    let why = match unanswered {
                        Unanswered::Unreached => "could not be reached",
                        Unanswered::Lost => "did not answer",
                    };
                    tracing::warn!(leader = %leader.url, "forwarding a write: the leader {why}");
                    return ApiError::ForwardingFailed(leader.forwarding).into_response();
                }
            }
        }
    }

    /// Sends the request to the leader at `url`, as the client sent it, and gives its answer.
    async fn send(
        &self,
        url: &str,
        parts: &axum::http::request::Parts,
        body: Bytes,
    ) -> Result<(Response, Position), Unanswered> {
        // The path as the client sent it, before the `/contexts/` prefix was rewritten.
        let uri = parts
            .extensions
            .get::<super::contexts::SentUri>()
            .map_or(&parts.uri, |original| &original.0);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let mut request = self
            .client
            .request(parts.method.clone(), format!("{url}{path}"))
            .header(FORWARDED, "true")
            .body(body);
        // The request id too, so the leader's access line matches this node's.
        let names = [
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            HeaderName::from_static("x-request-id"),
        ];
        for name in names {
            if let Some(value) = parts.headers.get(&name) {
                request = request.header(name, value);
            }
        }
        let answer = request.send().await.map_err(|e| {
            if e.is_connect() {
                Unanswered::Unreached
            } else {
                Unanswered::Lost
            }
        })?;
        let status = answer.status();
        let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
        // Missing (an earlier version's answer, during an upgrade): nothing to wait for.
        let position = answer
            .headers()
            .get(POSITION)
            .and_then(|v| v.to_str().ok()?.parse().ok())
            .unwrap_or(0);
        let body = answer.bytes().await.map_err(|_| Unanswered::Lost)?;
        let mut response = (status, body).into_response();
        if let Some(content_type) = content_type {
            response
                .headers_mut()
                .insert(header::CONTENT_TYPE, content_type);
        }
        Ok((response, position))
    }
}
