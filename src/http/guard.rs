//! The auth file applied to each request, around the router (inside `trace.rs`, so refusals
//! are counted and logged like any answer): authenticate ([`Authenticator::check`]), then
//! authorize from one table, route and method to [`Rule`] ([`rule`]). Without an auth file the
//! guard passes every request through.
//!
//! What a request pays when its credential was seen before: one route lookup, one keyed hash of
//! the Authorization header, one map lookup, one grant match. A password not yet verified runs
//! argon2 on the blocking pool. Listings are filtered by their handlers, which get the caller
//! ([`Caller`]) only when it may not read every subject.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use tokio::sync::Semaphore;
use tower::{Layer, Service};

use super::extract::{follows_aliases, Params};
use super::trace::ACCESS_LOG;
use crate::auth::policy::Operation;
use crate::auth::{Authenticator, Check, Principal, Refusal};
use crate::error::ApiError;
use crate::registry::{context, Registry};

/// What a route and method need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// Nothing: `GET /`, the probes, the server's version.
    Open,
    /// Any principal: the web UI, the OpenAPI document, unknown routes (then 404 or 405).
    Authenticated,
    /// A grant of any role: what belongs to no subject (global config and mode, types).
    GlobalRead,
    /// Admin on `*`: the global config and mode.
    GlobalAdmin,
    /// `operation` on the `{subject}` of the path.
    Subject(Operation),
    /// Write on `{subject}`, or Delete with `permanent=true`.
    SubjectDelete,
    /// Set a subject's mode: AlterConfigs, and IMPORT needs admin (the handler checks).
    SubjectMode,
    /// A listing its handler filters to the subjects the caller may read.
    Listing,
    /// A schema by `{id}` or `{guid}`: read on a subject that holds it; `listing`: its handler
    /// also filters.
    Schema { by_guid: bool, listing: bool },
}

/// The rule of `template` for `method` (HEAD is GET). Default deny: a route this table does not
/// name needs admin (a test checks that every route is named).
fn rule(template: &str, method: &Method) -> Rule {
    use Operation::{AlterConfigs, Read, Write};
    let get = method == Method::GET || method == Method::HEAD;
    let (post, put, delete) = (
        method == Method::POST,
        method == Method::PUT,
        method == Method::DELETE,
    );
    match template {
        "/" | "/v1/metadata/id" | "/v1/metadata/version" | "/health/live" | "/health/ready" => {
            Rule::Open
        }
        "/openapi.json" | "/ui" | "/ui/app.js" | "/ui/style.css" | "/v1/metadata/deployment" => {
            Rule::Authenticated
        }
        "/contexts" | "/schemas/types" | "/metrics" => Rule::GlobalRead,
        "/config" | "/mode" if get => Rule::GlobalRead,
        "/config" | "/mode" => Rule::GlobalAdmin,
        "/schemas" | "/subjects" => Rule::Listing,
        "/schemas/ids/{id}" | "/schemas/ids/{id}/schema" => Rule::Schema {
            by_guid: false,
            listing: false,
        },
        "/schemas/ids/{id}/subjects" | "/schemas/ids/{id}/versions" => Rule::Schema {
            by_guid: false,
            listing: true,
        },
        "/schemas/guids/{guid}" | "/schemas/guids/{guid}/ids" => Rule::Schema {
            by_guid: true,
            listing: false,
        },
        "/subjects/{subject}" if delete => Rule::SubjectDelete,
        "/subjects/{subject}/versions/{version}" if delete => Rule::SubjectDelete,
        "/subjects/{subject}/versions" if post => Rule::Subject(Write),
        "/subjects/{subject}"
        | "/subjects/{subject}/versions"
        | "/subjects/{subject}/versions/{version}"
        | "/subjects/{subject}/versions/{version}/schema"
        | "/subjects/{subject}/versions/{version}/referencedby"
        | "/subjects/{subject}/diff"
        | "/subjects/{subject}/metadata"
        | "/compatibility/subjects/{subject}/versions"
        | "/compatibility/subjects/{subject}/versions/{version}" => Rule::Subject(Read),
        "/config/{subject}" | "/mode/{subject}" if get => Rule::Subject(Read),
        "/mode/{subject}" if put => Rule::SubjectMode,
        "/config/{subject}" | "/mode/{subject}" => Rule::Subject(AlterConfigs),
        // Exporters copy every subject they name elsewhere, and their configs hold the
        // destination's credentials: admins only, reads included. Deleting a context changes
        // the registry as a whole.
        t if t.starts_with("/exporters") => Rule::GlobalAdmin,
        "/contexts/{context}" => Rule::GlobalAdmin,
        _ => Rule::GlobalAdmin,
    }
}

/// The methods a rule is kept for; any other gets [`Rule::Authenticated`] (and then 405).
const METHODS: [Method; 4] = [Method::GET, Method::POST, Method::PUT, Method::DELETE];

struct Rules {
    router: matchit::Router<usize>,
    by_route: Vec<[Rule; 4]>,
}

impl Rules {
    fn new(templates: &[String]) -> Rules {
        let mut router = matchit::Router::new();
        let mut by_route = Vec::new();
        for (i, template) in templates.iter().enumerate() {
            router
                .insert(template.as_str(), i)
                .expect("the server's routes are valid and distinct");
            by_route.push(METHODS.clone().map(|m| rule(template, &m)));
        }
        Rules { router, by_route }
    }
}

/// The name a TLS client certificate gives its connection, on each of its requests.
#[derive(Debug, Clone)]
pub struct PeerName(pub Arc<str>);

/// The caller of a listing, when it may not read every subject: its handler keeps only what
/// [`Caller::may_read`].
#[derive(Clone)]
pub struct Caller(pub Arc<Principal>);

impl Caller {
    pub fn may_read(&self, subject: &str) -> bool {
        self.0.access.allows(Operation::Read, subject)
    }

    pub fn may(&self, operation: Operation, subject: &str) -> bool {
        self.0.access.allows(operation, subject)
    }
}

/// Left by a handler on the response of a write that changed nothing (a known schema
/// registered again): it leaves no audit line.
#[derive(Debug, Clone, Copy)]
pub struct Unchanged;

/// Left on the response of a write or a refusal, for its audit line (`trace.rs`).
#[derive(Debug, Clone)]
pub struct Audit {
    pub principal: Option<Box<str>>,
    pub operation: &'static str,
    pub resource: Option<String>,
    /// Why a request was refused with 401.
    pub refusal: Option<&'static str>,
}

/// A request let through, with what to leave on its response, or its refusal.
enum Admission {
    Serve(Request, Left),
    Refuse(Response),
}

/// What the guard leaves on the response of a request it let through.
#[derive(Default)]
pub struct Left {
    audit: Option<Audit>,
    /// Who asked, for the access log line; only taken while that log is on.
    principal: Option<Box<str>>,
}

/// Left on the response of an authenticated request while the access log is on: its
/// principal, for the access line (`trace.rs`).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Box<str>);

/// What the guard needs, shared by every connection.
pub struct Shared {
    auth: Arc<Authenticator>,
    rules: Rules,
    registry: Registry,
    /// Password checks running at once, at most one per core: each costs argon2's memory
    /// (19 MiB) and tens of milliseconds of a core, so a flood of wrong passwords waits its
    /// turn instead of taking hundreds of blocking threads and their memory.
    verifying: Arc<Semaphore>,
}

#[derive(Clone)]
pub struct GuardLayer {
    shared: Option<Arc<Shared>>,
}

impl GuardLayer {
    /// No auth file: every request passes.
    pub fn off() -> GuardLayer {
        GuardLayer { shared: None }
    }

    pub fn new(auth: Arc<Authenticator>, templates: &[String], registry: Registry) -> GuardLayer {
        GuardLayer {
            shared: Some(Arc::new(Shared {
                auth,
                rules: Rules::new(templates),
                registry,
                verifying: Arc::new(Semaphore::new(
                    std::thread::available_parallelism().map_or(2, |n| n.get()),
                )),
            })),
        }
    }
}

impl<S> Layer<S> for GuardLayer {
    type Service = Guard<S>;

    fn layer(&self, inner: S) -> Guard<S> {
        Guard {
            inner,
            shared: self.shared.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Guard<S> {
    inner: S,
    shared: Option<Arc<Shared>>,
}

/// What the route asks of the request, its parameters decoded.
struct Target {
    rule: Rule,
    /// `{subject}`, `{id}` or `{guid}`, percent-decoded. `None` when it is not UTF-8.
    param: Option<String>,
}

impl Shared {
    fn target(&self, req: &Request) -> Target {
        let Ok(found) = self.rules.router.at(req.uri().path()) else {
            return Target {
                rule: Rule::Authenticated,
                param: None,
            };
        };
        let method = if req.method() == Method::HEAD {
            &Method::GET
        } else {
            req.method()
        };
        let rule = METHODS
            .iter()
            .position(|m| m == method)
            .map_or(Rule::Authenticated, |i| {
                self.rules.by_route[*found.value][i]
            });
        let raw = ["subject", "id", "guid"]
            .iter()
            .find_map(|name| found.params.get(name));
        // A subject as the handler reads it (`:.:s` is `s`).
        let param = raw.and_then(|raw| {
            percent_decode_str(raw)
                .decode_utf8()
                .ok()
                .map(|s| context::normalize(&s).into_owned())
        });
        Target { rule, param }
    }

    /// Is `principal` allowed? `Ok(true)`: and its handler filters (gets the [`Caller`]).
    fn authorize(
        &self,
        principal: &Principal,
        target: &Target,
        req: &Request,
    ) -> Result<bool, ApiError> {
        let access = &principal.access;
        let subject = target.param.as_deref();
        let deny = |operation: Operation, resource: String| ApiError::Forbidden {
            operation: operation.name(),
            resource,
        };
        match target.rule {
            Rule::Open | Rule::Authenticated => Ok(false),
            Rule::GlobalRead if access.reads_global() => Ok(false),
            Rule::GlobalRead => Err(deny(Operation::Read, "Registry".into())),
            Rule::GlobalAdmin if access.is_admin() => Ok(false),
            Rule::GlobalAdmin => Err(deny(Operation::AlterConfigs, "Registry".into())),
            Rule::Listing => Ok(!access.reads_all()),
            Rule::Subject(_) | Rule::SubjectDelete | Rule::SubjectMode => {
                let operation = operation(target.rule, req);
                match subject {
                    // Through an alias the handler reaches the subject it names: the caller
                    // must be allowed on that one too (the refusal names only the path's).
                    Some(s) if access.allows(operation, s) => match self.alias_target(req, s) {
                        Some(t) if !access.allows(operation, &t) => {
                            Err(deny(operation, format!("Subject: {s}")))
                        }
                        _ => Ok(target.rule == Rule::SubjectMode),
                    },
                    Some(s) => Err(deny(operation, format!("Subject: {s}"))),
                    // No grant can name it; an admin gets the handler's 400.
                    None if access.is_admin() => Ok(false),
                    None => Err(deny(operation, "Subject: (not UTF-8)".into())),
                }
            }
            Rule::Schema { listing, .. } if access.reads_all() => Ok(listing),
            Rule::Schema { by_guid, listing } => {
                let param = subject.unwrap_or_default();
                // The `subject` hint picks the context the id is read in.
                let query = Params::parse(req.uri().query().unwrap_or(""));
                let readable = self
                    .subjects_holding(param, by_guid, query.get("subject"))
                    .is_some_and(|subjects| {
                        subjects.iter().any(|s| access.allows(Operation::Read, s))
                    });
                if readable {
                    Ok(listing)
                } else {
                    Err(deny(Operation::Read, format!("Schema: {param}")))
                }
            }
        }
    }

    /// The subject that `subject` is an alias of, on paths that follow aliases.
    fn alias_target(&self, req: &Request, subject: &str) -> Option<String> {
        follows_aliases(req.uri().path())
            .then(|| self.registry.alias_of(subject))
            .flatten()
    }

    /// The subjects (soft-deleted versions included) holding the schema `param` names, in the
    /// context the handler reads it in.
    fn subjects_holding(
        &self,
        param: &str,
        by_guid: bool,
        hint: Option<&str>,
    ) -> Option<Vec<String>> {
        if by_guid {
            let (ctx, schema) = self.registry.schema_by_guid(param).ok()?;
            let scope = context::prefix(&ctx);
            return self
                .registry
                .subjects_of_id(i64::from(schema.id), Some(&scope), true)
                .ok();
        }
        let id = param.parse().ok()?;
        self.registry.subjects_of_id(id, hint, true).ok()
    }

    fn unauthorized(&self, refusal: Refusal) -> Response {
        let mut response = ApiError::Unauthorized.into_response();
        // The UI works in a browser because Basic is offered.
        let headers = response.headers_mut();
        headers.append(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"schemata\", charset=\"UTF-8\""),
        );
        if self.auth.keys().has_jwt() {
            headers.append(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"schemata\""),
            );
        }
        response.extensions_mut().insert(Audit {
            principal: None,
            operation: "Authenticate",
            resource: None,
            refusal: Some(refusal.reason()),
        });
        response
    }

    /// Authorizes an authenticated request: the request to serve with what to audit, or the
    /// refusal.
    fn admit(&self, principal: Arc<Principal>, target: &Target, mut req: Request) -> Admission {
        let audit = |operation: &'static str| Audit {
            principal: Some(principal.name.clone()),
            operation,
            resource: target.param.as_ref().map(|s| format!("Subject: {s}")),
            refusal: None,
        };
        match self.authorize(&principal, target, &req) {
            Ok(filtered) => {
                let left = Left {
                    audit: writes(target.rule).then(|| audit(operation(target.rule, &req).name())),
                    principal: tracing::enabled!(target: ACCESS_LOG, tracing::Level::INFO)
                        .then(|| principal.name.clone()),
                };
                if filtered {
                    req.extensions_mut().insert(Caller(principal));
                }
                Admission::Serve(req, left)
            }
            Err(error) => {
                let mut response =
                    crate::http::error::error_response(&error, crate::http::ApiFormat::V7);
                let mut line = audit(Operation::Read.name());
                if let ApiError::Forbidden {
                    operation,
                    resource,
                } = error
                {
                    line.operation = operation;
                    line.resource = Some(resource);
                }
                response.extensions_mut().insert(line);
                Admission::Refuse(response)
            }
        }
    }
}

/// The operation a subject rule stands for (a hard delete is Delete).
fn operation(rule: Rule, req: &Request) -> Operation {
    match rule {
        Rule::Subject(operation) => operation,
        Rule::SubjectDelete if permanent(req) => Operation::Delete,
        Rule::SubjectDelete => Operation::Write,
        Rule::SubjectMode => Operation::AlterConfigs,
        Rule::GlobalAdmin => Operation::AlterConfigs,
        _ => Operation::Read,
    }
}

/// Does the request change anything (and so leave an audit line)?
fn writes(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::GlobalAdmin
            | Rule::SubjectDelete
            | Rule::SubjectMode
            | Rule::Subject(Operation::Write | Operation::AlterConfigs)
    )
}

/// `permanent=true` (any case, as Java's `Boolean.valueOf`) in the query.
fn permanent(req: &Request) -> bool {
    req.uri().query().is_some_and(|q| {
        q.split('&').any(|pair| {
            pair.split_once('=')
                .is_some_and(|(k, v)| k == "permanent" && v.trim().eq_ignore_ascii_case("true"))
        })
    })
}

impl<S> Service<Request> for Guard<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = GuardFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request) -> GuardFuture<S::Future> {
        let Some(shared) = &self.shared else {
            return GuardFuture::Inner {
                inner: self.inner.call(req),
                left: Left::default(),
            };
        };
        let target = shared.target(&req);
        if target.rule == Rule::Open {
            return GuardFuture::Inner {
                inner: self.inner.call(req),
                left: Left::default(),
            };
        }
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes);
        let peer = req.extensions().get::<PeerName>().map(|p| &*p.0);
        match shared.auth.check(header, peer) {
            Check::Done(Ok(principal)) => match shared.admit(principal, &target, req) {
                Admission::Serve(req, left) => GuardFuture::Inner {
                    inner: self.inner.call(req),
                    left,
                },
                Admission::Refuse(response) => GuardFuture::Ready {
                    response: Some(response),
                },
            },
            Check::Done(Err(refusal)) => GuardFuture::Ready {
                response: Some(shared.unauthorized(refusal)),
            },
            Check::Password(check) => {
                // The clone that was made ready serves this request (tower's rule).
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                let shared = shared.clone();
                GuardFuture::Slow {
                    future: Box::pin(async move {
                        let Ok(turn) = shared.verifying.clone().acquire_owned().await else {
                            return shared.unauthorized(Refusal::BadPassword);
                        };
                        let verified = tokio::task::spawn_blocking(move || {
                            let _turn = turn;
                            check.verify()
                        })
                        .await
                        .unwrap_or(Err(Refusal::BadPassword));
                        let principal = match verified {
                            Ok(principal) => principal,
                            Err(refusal) => return shared.unauthorized(refusal),
                        };
                        match shared.admit(principal, &target, req) {
                            Admission::Serve(req, left) => {
                                let Ok(mut response) = inner.call(req).await;
                                leave(&mut response, left);
                                response
                            }
                            Admission::Refuse(response) => response,
                        }
                    }),
                }
            }
        }
    }
}

/// Leaves the audit on the response of a write, unless its handler says it changed nothing,
/// and the principal for the access log.
fn leave(response: &mut Response, left: Left) {
    if let Some(audit) = left.audit {
        if response.extensions_mut().remove::<Unchanged>().is_none() {
            response.extensions_mut().insert(audit);
        }
    }
    if let Some(principal) = left.principal {
        response.extensions_mut().insert(Authenticated(principal));
    }
}

pin_project_lite::pin_project! {
    #[project = GuardProj]
    pub enum GuardFuture<F> {
        Inner { #[pin] inner: F, left: Left },
        Ready { response: Option<Response> },
        Slow { future: Pin<Box<dyn Future<Output = Response> + Send>> },
    }
}

impl<F> Future for GuardFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.project() {
            GuardProj::Inner { inner, left } => {
                let Ok(mut response) = std::task::ready!(inner.poll(cx));
                leave(&mut response, std::mem::take(left));
                Poll::Ready(Ok(response))
            }
            GuardProj::Ready { response } => Poll::Ready(Ok(response
                .take()
                .expect("a ready future is polled until it answers, once"))),
            GuardProj::Slow { future } => future.as_mut().poll(cx).map(Ok),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every route the server has is named by the table: none falls to the default.
    #[test]
    fn every_route_has_a_rule() {
        let (_, document) = super::super::api().split_for_parts();
        let templates = document
            .paths
            .paths
            .into_keys()
            .chain(super::super::OTHER_ROUTES.map(str::to_string));
        for template in templates {
            for method in METHODS {
                let r = rule(&template, &method);
                let admin_by_design = (matches!(template.as_str(), "/config" | "/mode")
                    && method != Method::GET)
                    || template.starts_with("/exporters")
                    || template == "/contexts/{context}";
                assert!(
                    r != Rule::GlobalAdmin || admin_by_design,
                    "{method} {template} falls to the default"
                );
            }
        }
    }
}
