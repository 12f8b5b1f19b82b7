//! The web UI in a real browser: headless Chromium, driven through chromedriver's WebDriver
//! protocol, against a live server with data. Uses the keyboard to reach a subject, clicks
//! through to a diff and checks what is shown. Skipped (with a line saying so) where chromedriver
//! is not installed, unless SCHEMATA_REQUIRE_BROWSER=1 (as on CI).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use base64::Engine;
use serde_json::{json, Value};

use crate::helpers::{http_client, TestApp};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: Child,
    url: String,
    client: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Driver {
    /// Starts chromedriver and waits for its "started successfully" line.
    fn start() -> Option<Driver> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut child = match Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(_) if std::env::var("SCHEMATA_REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
                panic!("SCHEMATA_REQUIRE_BROWSER=1 but chromedriver is not installed")
            }
            Err(_) => {
                eprintln!("skipped: chromedriver is not installed (apt-get install chromium chromium-driver)");
                return None;
            }
        };
        let stdout = child.stdout.take()?;
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref() {
            if line.ok()?.contains("started successfully") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Some(Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            client: http_client(),
        })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.client.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let reply: Value = req.send().await.unwrap().json().await.unwrap();
        assert!(
            reply["value"]["error"].is_null(),
            "WebDriver {path}: {reply}"
        );
        reply["value"].clone()
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        self.driver
            .call(
                reqwest::Method::POST,
                &format!("/session/{}{path}", self.id),
                Some(body),
            )
            .await
    }

    async fn get(&self, path: &str) -> Value {
        self.driver
            .call(
                reqwest::Method::GET,
                &format!("/session/{}{path}", self.id),
                None,
            )
            .await
    }

    async fn find(&self, css: &str) -> String {
        let e = self
            .post("/element", json!({"using": "css selector", "value": css}))
            .await;
        e[ELEMENT].as_str().unwrap().to_string()
    }

    async fn find_all(&self, css: &str) -> Vec<String> {
        let es = self
            .post("/elements", json!({"using": "css selector", "value": css}))
            .await;
        es.as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_string())
            .collect()
    }

    async fn text(&self, element: &str) -> String {
        self.get(&format!("/element/{element}/text"))
            .await
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn keys(&self, element: &str, text: &str) {
        self.post(
            &format!("/element/{element}/value"),
            json!({ "text": text }),
        )
        .await;
    }

    async fn click(&self, element: &str) {
        self.post(&format!("/element/{element}/click"), json!({}))
            .await;
    }
}

async fn seed(app: &TestApp) {
    let v1 = r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"long"},{"name":"amount","type":"int"},{"name":"note","type":["null","string"],"default":null}]}"#;
    let v2 = r#"{"type":"record","name":"Order","namespace":"com.acme","fields":[{"name":"id","type":"long"},{"name":"amount","type":"double"},{"name":"currency","type":"string"},{"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]},"default":"NEW"}]}"#;
    app.register_ok("orders-value", v1).await;
    app.put("/config/orders-value", json!({"compatibility": "NONE"}))
        .await;
    app.register_ok("orders-value", v2).await;
    for s in ["payments-value", "users-value", "inventory-key"] {
        app.register_ok(s, "\"string\"").await;
    }
}

#[tokio::test]
async fn the_ui_finds_a_subject_by_keyboard_and_shows_a_classified_diff() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    seed(&app).await;
    let profile = tempfile::TempDir::new().unwrap();
    let session = driver
        .call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--window-size=1300,1000", format!("--user-data-dir={}", profile.path().display())]
            }}}})),
        )
        .await;
    let s = Session {
        driver: &driver,
        id: session["sessionId"].as_str().unwrap().to_string(),
    };
    s.post("/timeouts", json!({"implicit": 5000})).await;

    // The subject list, filtered by typing; Tab then Enter opens the one match.
    s.post("/url", json!({"url": format!("{}/ui/", app.base)}))
        .await;
    let search = s.find("input[type=search]").await;
    assert_eq!(s.find_all("ul.subjects li").await.len(), 4);
    s.keys(&search, "orders").await;
    let items = s.find_all("ul.subjects li").await;
    assert_eq!(items.len(), 1);
    assert_eq!(s.text(&items[0]).await, "orders-value");
    s.keys(&search, "\u{E004}").await; // Tab to the link
    let active = s.get("/element/active").await[ELEMENT]
        .as_str()
        .unwrap()
        .to_string();
    s.keys(&active, "\u{E007}").await; // Enter

    // The subject page: level, mode, versions; compare 1 with 2.
    let facts = s.find("dl.facts").await;
    let facts = s.text(&facts).await;
    assert!(
        facts.contains("Compatibility\nNONE") && facts.contains("Mode\nREADWRITE"),
        "{facts}"
    );
    let compare = s.find("form.compare button").await;
    s.click(&compare).await;

    // The diff: verdicts, the classified change list, and the side-by-side view.
    let verdict = s.find("#verdict").await;
    assert_eq!(
        s.text(&verdict).await,
        "New reads old (backward): no · old reads new (forward): no"
    );
    let mut rows = Vec::new();
    for row in s.find_all("#changes tbody tr").await {
        rows.push(s.text(&row).await);
    }
    assert_eq!(
        rows,
        vec![
            "TYPE_PROMOTED /fields/1/type type changed from int to double compatible breaks",
            "FIELD_ADDED /fields/2 field currency added, without a default breaks compatible",
            "FIELD_ADDED /fields/3 field status added, with a default compatible compatible",
            "FIELD_REMOVED /fields/2 field note removed (it had a default) compatible compatible",
        ]
    );
    let old_line = s.find(".cell.changed-old").await;
    let new_line = s.find(".cell.changed-new").await;
    assert_eq!(s.text(&old_line).await.trim(), "\"type\": \"int\"");
    assert_eq!(s.text(&new_line).await.trim(), "\"type\": \"double\"");
    let url = s.get("/url").await;
    assert!(
        url.as_str()
            .unwrap()
            .ends_with("/ui/#/subjects/orders-value/diff/1/2"),
        "{url}"
    );

    let png = s.get("/screenshot").await;
    let png = base64::engine::general_purpose::STANDARD
        .decode(png.as_str().unwrap())
        .unwrap();
    std::fs::write(concat!(env!("CARGO_TARGET_TMPDIR"), "/ui-diff.png"), png).unwrap();
    driver
        .call(reqwest::Method::DELETE, &format!("/session/{}", s.id), None)
        .await;
}

/// Subjects of other contexts show their context, and a filter picks one context's.
#[tokio::test]
async fn the_ui_shows_each_subjects_context_and_filters_by_it() {
    let Some(driver) = Driver::start() else {
        return;
    };
    let app = TestApp::spawn().await;
    for s in [
        "orders-value",
        ":.staging:orders-value",
        ":.staging:users-value",
    ] {
        app.register_ok(s, "\"string\"").await;
    }
    let profile = tempfile::TempDir::new().unwrap();
    let session = driver
        .call(
            reqwest::Method::POST,
            "/session",
            Some(json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         format!("--user-data-dir={}", profile.path().display())]
            }}}})),
        )
        .await;
    let s = Session {
        driver: &driver,
        id: session["sessionId"].as_str().unwrap().to_string(),
    };
    s.post("/timeouts", json!({"implicit": 5000})).await;
    s.post("/url", json!({"url": format!("{}/ui/", app.base)}))
        .await;
    let mut shown = Vec::new();
    for item in s.find_all("ul.subjects li").await {
        shown.push(s.text(&item).await);
    }
    assert_eq!(
        shown,
        [
            "orders-value .staging",
            "users-value .staging",
            "orders-value"
        ]
    );
    let staging = s.find("select option[value='.staging']").await;
    s.click(&staging).await;
    assert_eq!(s.find_all("ul.subjects li").await.len(), 2);
    let default = s.find("select option[value='.']").await;
    s.click(&default).await;
    let items = s.find_all("ul.subjects li").await;
    assert_eq!(items.len(), 1);
    assert_eq!(s.text(&items[0]).await, "orders-value");
    let link = s.find("ul.subjects li a").await;
    s.click(&link).await;
    let facts = s.find("dl.facts").await;
    let facts = s.text(&facts).await;
    assert!(facts.contains("Context\n."), "{facts}");
    driver
        .call(reqwest::Method::DELETE, &format!("/session/{}", s.id), None)
        .await;
}
