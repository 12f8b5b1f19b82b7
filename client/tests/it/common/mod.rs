//! A real Schemata in-process on 127.0.0.1:0 over a fresh data directory, and a scripted fake
//! registry that counts requests.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use schemata::app::Options;
use schemata::http::ApiFormat;
use tempfile::TempDir;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub struct Running {
    pub url: String,
    _dir: TempDir,
}

/// Starts a registry on a fresh data directory; it lives as long as the test's runtime.
pub async fn registry() -> Running {
    start(ApiFormat::V7).await
}

/// A registry answering in Confluent 8.x's format: registrations and versions carry the
/// schema's GUID.
pub async fn registry_v8() -> Running {
    start(ApiFormat::V8).await
}

async fn start(api: ApiFormat) -> Running {
    let dir = TempDir::new().unwrap();
    let storage = format!("file://{}", dir.path().display());
    let options = Options {
        api,
        ..Options::new(&storage)
    };
    let url = schemata::app::spawn_local(&options).await.unwrap();
    Running { url, _dir: dir }
}

/// A fake registry answering the n-th request with `replies[n]` (the last one repeated), each
/// after `delay`; it counts the requests it gets.
pub async fn fake(
    replies: Vec<(u16, &'static str)>,
    delay: Duration,
) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let (status, body) = replies[n.min(replies.len() - 1)];
            tokio::spawn(async move {
                let mut buf = vec![0u8; 16 << 10];
                let _ = socket.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let reply = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, count)
}
