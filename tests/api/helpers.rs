//! `TestApp`: the real server, in-process on 127.0.0.1:0, over a fresh data directory, driven
//! over HTTP. No sleeps: the listener is bound before the test sends anything.

use std::sync::Arc;

use reqwest::Method;
use schemata::app::{Options, Server};
use schemata::http::ApiFormat;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The storage URL (a temp directory's `file://` URL, or a test database).
    pub storage: String,
    /// Keeps a temp data directory alive as long as the app.
    pub dir: Option<Arc<TempDir>>,
    pub api: ApiFormat,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
}

/// A response: status and body (JSON when it parses, else the text as a JSON string).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
}

impl TestApp {
    /// A 7.x-shaped registry on a new, empty data directory.
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(ApiFormat::V7).await
    }

    pub async fn spawn_with(api: ApiFormat) -> TestApp {
        let dir = Arc::new(TempDir::new().expect("temp dir"));
        TestApp::start(dir, api, 4 * 1024 * 1024).await
    }

    pub async fn start(dir: Arc<TempDir>, api: ApiFormat, max_body_bytes: usize) -> TestApp {
        let url = format!("file://{}", dir.path().display());
        let mut app = TestApp::on(&url, api, max_body_bytes).await;
        app.dir = Some(dir);
        app
    }

    /// A registry on the store `url` names (e.g. a test database).
    pub async fn on(url: &str, api: ApiFormat, max_body_bytes: usize) -> TestApp {
        let options = Options {
            api,
            max_body_bytes,
            ..Options::new(url)
        };
        TestApp::with(options).await
    }

    /// A 7.x-shaped registry on a new data directory, with `options` changed by `change`.
    pub async fn spawn_changed(change: impl FnOnce(&mut Options)) -> TestApp {
        let dir = Arc::new(TempDir::new().expect("temp dir"));
        let mut options = Options::new(&format!("file://{}", dir.path().display()));
        change(&mut options);
        let mut app = TestApp::with(options).await;
        app.dir = Some(dir);
        app
    }

    /// A registry built from `options`.
    pub async fn with(options: Options) -> TestApp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        TestApp::listening(options, listener).await
    }

    /// A registry built from `options`, served on `listener` (bound first, so that `options`
    /// can name its address).
    pub async fn listening(options: Options, listener: TcpListener) -> TestApp {
        let (url, api) = (options.storage.clone(), options.api);
        let server = Server::open(&options).await.expect("server opens");
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            server
                .serve(listener, async {
                    let _ = rx.await;
                })
                .await
                .expect("server runs");
        });
        TestApp {
            base,
            client: http_client(),
            storage: url,
            dir: None,
            api,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// A client of a server started some other way (the binary), at `base`.
    pub fn attach(base: &str) -> TestApp {
        TestApp {
            base: base.to_string(),
            client: http_client(),
            storage: String::new(),
            dir: None,
            api: ApiFormat::V7,
            shutdown: None,
            server: None,
        }
    }

    /// Stops the server and starts a new one on the same data directory.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let mut app = TestApp::on(&self.storage, self.api, 4 * 1024 * 1024).await;
        app.dir = self.dir.take();
        app
    }

    pub async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task ends cleanly");
        }
        // A background task of the stopped server (an exporter in the middle of a request) can
        // keep its registry, and so the data directory's lock, a moment longer; a process
        // would have exited. Wait for the lock, as a restarted process would find it free.
        if let Some(dir) = self.storage.strip_prefix("file://") {
            let lock = std::path::Path::new(dir).join("LOCK");
            let start = std::time::Instant::now();
            while std::fs::File::open(&lock).is_ok_and(|f| f.try_lock().is_err()) {
                assert!(
                    start.elapsed() < std::time::Duration::from_secs(10),
                    "the stopped server still holds {}",
                    lock.display()
                );
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
        }
    }

    pub async fn request(&self, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .header("Content-Type", CONTENT_TYPE);
        if let Some(b) = body {
            req = req.body(serde_json::to_vec(b).unwrap());
        }
        let resp = req.send().await.expect("request sent");
        reply(resp).await
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(ct) = content_type {
            req = req.header("Content-Type", ct);
        }
        reply(req.body(body).send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        self.request(Method::POST, path, Some(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Reply {
        self.request(Method::PUT, path, Some(&body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        self.request(Method::DELETE, path, None).await
    }

    /// Registers an Avro schema text under `subject`.
    pub async fn register(&self, subject: &str, schema: &str) -> Reply {
        self.post(
            &format!("/subjects/{subject}/versions"),
            json!({ "schema": schema }),
        )
        .await
    }

    /// Registers and returns the id, failing the test otherwise.
    pub async fn register_ok(&self, subject: &str, schema: &str) -> u64 {
        let r = self.register(subject, schema).await;
        assert_eq!(r.status, 200, "register {subject}: {:?}", r.body);
        r.body["id"].as_u64().expect("id")
    }
}

/// An HTTP client; reqwest needs a TLS provider installed before its first client.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = resp.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Reply {
        status,
        body,
        content_type,
    }
}

/// Asserts a Confluent error: status, error_code and the exact message.
pub fn assert_error(reply: &Reply, status: u16, code: u64, message: &str) {
    assert_eq!(
        (reply.status, &reply.body),
        (status, &json!({ "error_code": code, "message": message })),
    );
}

/// An Avro record with the given fields (`(name, type)` pairs, `type` as JSON).
pub fn record(name: &str, fields: &[(&str, Value)]) -> String {
    let fields: Vec<Value> = fields
        .iter()
        .map(|(n, t)| json!({"name": n, "type": t}))
        .collect();
    json!({"type": "record", "name": name, "fields": fields}).to_string()
}

/// `schemata ARGS` run (in `dir`, when given) off the runtime's threads, since the registries it
/// talks to answer from them; no registry URL from the environment.
pub async fn schemata_cli(args: &[&str], dir: Option<&std::path::Path>) -> std::process::Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let dir = dir.map(std::path::Path::to_path_buf);
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_schemata"));
        command.args(&args).env_remove("SCHEMATA_URL");
        if let Some(dir) = dir {
            command.current_dir(dir);
        }
        command.output().expect("the binary runs")
    })
    .await
    .unwrap()
}

/// Exit code, stdout and stderr of a run.
pub fn outcome(o: &std::process::Output) -> (Option<i32>, String, String) {
    (
        o.status.code(),
        String::from_utf8(o.stdout.clone()).unwrap(),
        String::from_utf8(o.stderr.clone()).unwrap(),
    )
}
