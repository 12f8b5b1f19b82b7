//! `GET /metrics` after a known sequence of requests: exact counts, gauges and histogram counts,
//! in output a Prometheus parser reads line by line, labelled by route template only.

use std::collections::BTreeMap;

use reqwest::Method;
use schemata::app::{self, Options};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::helpers::{assert_error, http_client, record, TestApp};

/// One sample line: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// Parses the text exposition format strictly (`# HELP`, `# TYPE` before its samples, then
/// `name{label="value",...} value`), failing on any line that does not follow it. The parser
/// crate tried first (prometheus-parse) cannot read label values holding `{`, which every route
/// template does.
fn parse(text: &str) -> Vec<Sample> {
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars().enumerate().all(|(i, c)| {
                c.is_ascii_alphabetic() || c == '_' || c == ':' || (i > 0 && c.is_ascii_digit())
            })
    };
    let mut typed = BTreeMap::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, _) = rest.split_once(' ').expect("HELP has a text");
            assert!(name_ok(name), "{line}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a type");
            assert!(name_ok(name), "{line}");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                typed.insert(name.to_string(), kind.to_string()).is_none(),
                "{line}"
            );
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let name_end = line.find(['{', ' ']).expect("a sample has a value");
        let name = &line[..name_end];
        assert!(name_ok(name), "{line}");
        let mut labels = BTreeMap::new();
        let mut rest = &line[name_end..];
        if let Some(inner) = rest.strip_prefix('{') {
            let mut at = 0;
            loop {
                let eq = inner[at..].find('=').expect("label=value") + at;
                let key = &inner[at..eq];
                assert!(name_ok(key), "{line}");
                assert_eq!(&inner[eq + 1..eq + 2], "\"", "{line}");
                let mut value = String::new();
                let mut end = None;
                let mut escaped = false;
                for (i, c) in inner[eq + 2..].char_indices() {
                    match (escaped, c) {
                        (true, 'n') => value.push('\n'),
                        (true, c) => value.push(c),
                        (false, '\\') => {
                            escaped = true;
                            continue;
                        }
                        (false, '"') => {
                            end = Some(eq + 2 + i);
                            break;
                        }
                        (false, c) => value.push(c),
                    }
                    escaped = false;
                }
                let end = end.expect("a closed label value");
                assert!(labels.insert(key.to_string(), value).is_none(), "{line}");
                match &inner[end + 1..end + 2] {
                    "," => at = end + 2,
                    "}" => {
                        rest = &inner[end + 2..];
                        break;
                    }
                    _ => panic!("bad label list: {line}"),
                }
            }
        }
        let value = rest.strip_prefix(' ').expect("a space before the value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad value: {line}")),
        };
        let family = ["_bucket", "_sum", "_count", "_total"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix).filter(|f| typed.contains_key(*f)))
            .unwrap_or(name);
        assert!(
            typed.contains_key(family) || typed.contains_key(name),
            "a sample before its TYPE: {line}"
        );
        samples.push(Sample {
            name: name.to_string(),
            labels,
            value,
        });
    }
    assert!(!samples.is_empty());
    samples
}

/// The value of the one sample named `name` with exactly `labels`.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<_> = samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| {
            s.labels.len() == labels.len()
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .collect();
    assert_eq!(found.len(), 1, "{name} {labels:?}: {found:?}");
    found[0].value
}

async fn scrape(app: &TestApp) -> (String, Vec<Sample>) {
    let r = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let scrape = parse(&text);
    (text, scrape)
}

#[tokio::test]
async fn metrics_count_exactly_what_was_asked_by_route_template() {
    let app = TestApp::spawn().await;
    let v1 = record("Order", &[("id", json!("long"))]);
    let breaking = record("Order", &[("id", json!("long")), ("n", json!("int"))]);
    let compatible = json!({"type": "record", "name": "Order", "fields": [
        {"name": "id", "type": "long"},
        {"name": "n", "type": ["null", "int"], "default": null}
    ]})
    .to_string();

    assert_eq!(app.register_ok("orders-value", &v1).await, 1); // new
    assert_eq!(app.register_ok("orders-value", &v1).await, 1); // existing
    assert_eq!(app.register("orders-value", &breaking).await.status, 409);
    assert_eq!(app.register("orders-value", "{").await.status, 422);
    let json_schema = json!({"schema": "{\"type\":\"object\"}", "schemaType": "JSON"});
    let r = app
        .post("/subjects/events-value/versions", json_schema)
        .await;
    assert_eq!(r.body, json!({"id": 2}));
    assert_eq!(app.get("/schemas/ids/1").await.status, 200);
    assert_eq!(app.get("/schemas/ids/1").await.status, 200);
    let missing = app.get("/schemas/ids/42").await;
    assert_error(&missing, 404, 40403, "Schema 42 not found");
    let r = app
        .post(
            "/compatibility/subjects/orders-value/versions/latest",
            json!({ "schema": compatible }),
        )
        .await;
    assert_eq!(r.body, json!({"is_compatible": true}));
    assert_eq!(app.delete("/subjects/events-value").await.body, json!([1]));
    assert_eq!(app.get("/no/such/route").await.status, 404);

    let (text, m) = scrape(&app).await;
    let requests = |method: &str, route: &str, status: &str| {
        value(
            &m,
            "schemata_http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    let register = "/subjects/{subject}/versions";
    assert_eq!(requests("POST", register, "200"), 3.0);
    assert_eq!(requests("POST", register, "409"), 1.0);
    assert_eq!(requests("POST", register, "422"), 1.0);
    assert_eq!(requests("GET", "/schemas/ids/{id}", "200"), 2.0);
    assert_eq!(requests("GET", "/schemas/ids/{id}", "404"), 1.0);
    let compatibility = "/compatibility/subjects/{subject}/versions/{version}";
    assert_eq!(requests("POST", compatibility, "200"), 1.0);
    assert_eq!(requests("DELETE", "/subjects/{subject}", "200"), 1.0);
    assert_eq!(requests("GET", "(no route)", "404"), 1.0);
    // Exactly the requests above, and nothing for this scrape yet.
    let total: f64 = m
        .iter()
        .filter(|s| s.name == "schemata_http_requests_total")
        .map(|s| s.value)
        .sum();
    assert_eq!(total, 11.0);
    assert_eq!(
        value(
            &m,
            "schemata_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/schemas/ids/{id}")]
        ),
        3.0
    );

    let registrations = |result| value(&m, "schemata_registrations_total", &[("result", result)]);
    assert_eq!(registrations("new"), 2.0);
    assert_eq!(registrations("existing"), 1.0);
    assert_eq!(registrations("incompatible"), 1.0);
    assert_eq!(registrations("invalid"), 1.0);
    assert_eq!(registrations("refused"), 0.0);
    assert_eq!(registrations("failed"), 0.0);

    let checks = |format, result| {
        value(
            &m,
            "schemata_compatibility_checks_total",
            &[("format", format), ("result", result)],
        )
    };
    // The first registration of each subject is checked against an empty history.
    assert_eq!(checks("avro", "compatible"), 2.0);
    assert_eq!(checks("avro", "incompatible"), 1.0);
    assert_eq!(checks("json", "compatible"), 1.0);
    assert_eq!(checks("protobuf", "compatible"), 0.0);
    assert_eq!(
        value(
            &m,
            "schemata_compatibility_check_duration_seconds_count",
            &[("format", "avro")]
        ),
        3.0
    );

    let split = |name, deleted| value(&m, name, &[("deleted", deleted)]);
    assert_eq!(split("schemata_schemas", "false"), 1.0);
    assert_eq!(split("schemata_schemas", "true"), 1.0);
    assert_eq!(split("schemata_subjects", "false"), 1.0);
    assert_eq!(split("schemata_subjects", "true"), 1.0);
    assert_eq!(split("schemata_subject_versions", "false"), 1.0);
    assert_eq!(split("schemata_subject_versions", "true"), 1.0);

    // The log: three writes (two registrations, one delete), each its own group commit here.
    assert_eq!(
        value(&m, "schemata_storage_write_duration_seconds_count", &[]),
        3.0
    );
    assert_eq!(value(&m, "schemata_log_group_commit_records_sum", &[]), 3.0);
    let log_len = std::fs::metadata(app.dir.as_ref().unwrap().path().join("schemas.log"))
        .unwrap()
        .len();
    assert_eq!(value(&m, "schemata_log_size_bytes", &[]), log_len as f64);
    assert_eq!(value(&m, "schemata_log_compactions_total", &[]), 0.0);
    assert_eq!(value(&m, "schemata_log_dead_ratio", &[]), 0.0);

    let build = [
        ("version", env!("CARGO_PKG_VERSION")),
        ("commit", schemata::COMMIT),
    ];
    assert_eq!(value(&m, "schemata_build_info", &build), 1.0);
    assert!(value(&m, "process_resident_memory_bytes", &[]) > 1e6);
    assert!(value(&m, "process_open_fds", &[]) > 0.0);
    assert!(text.contains("# TYPE schemata_http_request_duration_seconds histogram"));
    assert!(text.contains("# HELP schemata_registrations_total "));
    // Subject names never become labels.
    assert!(!text.contains("orders-value") && !text.contains("events-value"));

    // The first scrape is counted by the second.
    let (_, m) = scrape(&app).await;
    assert_eq!(
        value(
            &m,
            "schemata_http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "200")]
        ),
        1.0
    );
}

#[tokio::test]
async fn metrics_off_records_and_serves_nothing() {
    let dir = tempfile::TempDir::new().unwrap();
    let options = Options {
        metrics: false,
        ..Options::new(&format!("file://{}", dir.path().display()))
    };
    let base = app::spawn_local(&options).await.unwrap();
    let client = http_client();
    let r = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.text().await.unwrap(),
        json!({"error_code": 404, "message": "HTTP 404 Not Found"}).to_string()
    );
    let r = client
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn metrics_listen_serves_them_apart_and_not_on_the_api_port() {
    let dir = tempfile::TempDir::new().unwrap();
    let options = Options {
        metrics_route: false,
        ..Options::new(&format!("file://{}", dir.path().display()))
    };
    let api = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let (api_base, metrics_base) = (
        format!("http://{}", api.local_addr().unwrap()),
        format!("http://{}", metrics.local_addr().unwrap()),
    );
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app::run(&options, api, Some(metrics), async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let client = http_client();
    // Wait until the API is up (the probes answer from the start; a connection opened just
    // as the API takes over the socket may be closed unanswered).
    loop {
        let r = client.get(format!("{api_base}/health/ready")).send().await;
        if r.is_ok_and(|r| r.status() == 200) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let r = client
        .request(Method::GET, format!("{api_base}/schemas/ids/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        client
            .get(format!("{api_base}/metrics"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let r = client
        .get(format!("{metrics_base}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let m = parse(&r.text().await.unwrap());
    assert_eq!(
        value(
            &m,
            "schemata_http_requests_total",
            &[
                ("method", "GET"),
                ("route", "/schemas/ids/{id}"),
                ("status", "404")
            ]
        ),
        1.0
    );
    assert_eq!(
        value(
            &m,
            "schemata_http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "404")]
        ),
        1.0
    );
    let r = client
        .get(format!("{metrics_base}/subjects"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    stop.send(()).unwrap();
    server.await.unwrap();
}
