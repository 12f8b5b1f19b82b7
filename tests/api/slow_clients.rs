//! Slow and greedy clients: a connection that never finishes its request head, or sends
//! nothing, is closed after `--header-read-timeout` while other requests are served; past
//! `--max-connections`, a new connection waits until one closes.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::TestApp;

/// Reads until the server closes the connection; whatever it sent (a 408, or nothing).
async fn until_closed(mut conn: TcpStream) -> Vec<u8> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        match conn.read(&mut buf).await {
            Ok(0) | Err(_) => return seen,
            Ok(n) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

#[tokio::test]
async fn a_slow_client_is_cut_off_while_others_are_served() {
    let app =
        TestApp::spawn_changed(|o| o.limits.header_read_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let started = Instant::now();
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /subjects HTTP/1.1\r\nHost: schemata\r\nX-Never: ends")
        .await
        .unwrap();
    let silent = TcpStream::connect(&addr).await.unwrap();
    for _ in 0..3 {
        let r = app.get("/subjects").await;
        assert_eq!(r.status, 200);
    }
    for (what, conn) in [("slow", slow), ("silent", silent)] {
        let sent = tokio::time::timeout(Duration::from_secs(10), until_closed(conn))
            .await
            .unwrap_or_else(|_| panic!("the {what} connection is still open"));
        let text = String::from_utf8_lossy(&sent);
        assert!(
            sent.is_empty() || text.starts_with("HTTP/1.1 408"),
            "{what}: {text}"
        );
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "closed before the timeout"
    );
    let r = app.get("/subjects").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn past_the_cap_a_connection_waits_for_one_to_close() {
    let app = TestApp::spawn_changed(|o| o.limits.max_connections = 2).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let first = TcpStream::connect(&addr).await.unwrap();
    let _second = TcpStream::connect(&addr).await.unwrap();
    let client = reqwest::Client::new();
    let url = format!("{}/subjects", app.base);
    let mut waiting = tokio::spawn(async move { client.get(url).send().await.unwrap().status() });
    assert!(
        tokio::time::timeout(Duration::from_millis(500), &mut waiting)
            .await
            .is_err(),
        "served past the cap"
    );
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("served once a connection closed")
        .unwrap();
    assert_eq!(status, 200);
}
