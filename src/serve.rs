//! The accept loop: HTTP/1.1 on hyper, over TCP or TLS, with what protects the server from slow
//! and greedy clients (axum's own `serve` has neither):
//! - a header read timeout: a connection that has not sent a whole request head this long after
//!   hyper began waiting for one is closed. hyper starts the clock when it waits for the next
//!   request, so it also bounds how long a keep-alive connection may sit idle;
//! - a cap on open connections: past it, new ones wait in the kernel's backlog until one closes,
//!   so a flood of idle sockets cannot exhaust the file descriptors.
//!
//! On shutdown, no new connection is accepted and open ones finish their requests.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tower::{Service, ServiceExt};

use crate::tls::{Tls, WithPeer};

/// The defaults of `--header-read-timeout` and `--max-connections`.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// How much one client may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }
}

/// Serves `service` on `listener` (over TLS when `tls` is given) until `shutdown` resolves,
/// then lets open connections finish.
pub async fn serve<S>(
    listener: TcpListener,
    tls: Option<Arc<Tls>>,
    limits: Limits,
    service: S,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let http = Arc::new(http);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (tcp, addr) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = tcp.set_nodelay(true);
        let watcher = graceful.watcher();
        let http = http.clone();
        let service = service.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let _permit: OwnedSemaphorePermit = permit;
            let served = match tls {
                None => {
                    let io = TokioIo::new(tcp);
                    watcher
                        .watch(http.serve_connection(io, hyper_service(service, None)))
                        .await
                }
                Some(tls) => {
                    let Some((stream, name)) = tls.handshake(tcp, addr).await else {
                        return;
                    };
                    let io = TokioIo::new(stream);
                    watcher
                        .watch(http.serve_connection(io, hyper_service(service, name)))
                        .await
                }
            };
            if let Err(e) = served {
                tracing::debug!(%addr, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// `service` as hyper calls it, with the client certificate's name (TLS) on each request.
fn hyper_service<S>(
    service: S,
    peer: Option<Arc<str>>,
) -> TowerToHyperService<
    impl Service<
            hyper::Request<Incoming>,
            Response = Response,
            Error = Infallible,
            Future = impl Send,
        > + Clone,
>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    TowerToHyperService::new(
        WithPeer::new(service, peer)
            .map_request(|req: hyper::Request<Incoming>| req.map(Body::new)),
    )
}
