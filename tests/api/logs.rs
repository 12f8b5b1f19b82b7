//! The server's logs, from the real binary: one access line per request when asked for
//! (`--access-log true`), as JSON (`--log-format json`) or as text without colour codes when the
//! output is not a terminal; the request id is the client's or a generated one, and echoed.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

use serde_json::Value;

use crate::helpers::http_client;

/// `schemata serve` on a free port with `args`; its base URL and its stdout, read past the
/// "ready" line.
pub(crate) struct Serve {
    pub child: Child,
    lines: BufReader<ChildStdout>,
    pub base: String,
}

impl Serve {
    pub(crate) fn start(dir: &std::path::Path, args: &[&str]) -> Serve {
        Serve::start_on(&format!("file://{}", dir.display()), args)
    }

    /// `schemata serve` on `storage` (a log directory's URL, or a database's).
    pub(crate) fn start_on(storage: &str, args: &[&str]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(["serve", "--listen", "127.0.0.1:0", "--storage", storage])
            .args(args)
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("schemata starts");
        let mut lines = BufReader::new(child.stdout.take().unwrap());
        let mut base = None;
        loop {
            let line = next_line(&mut lines);
            if let Some(at) = line.find("listening on ") {
                let addr: String = line[at + "listening on ".len()..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '"')
                    .collect();
                base = Some(format!("http://{addr}"));
            }
            if line.contains("schemata ready") {
                break;
            }
        }
        Serve {
            child,
            lines,
            base: base.expect("a listening line"),
        }
    }

    pub(crate) fn line(&mut self) -> String {
        next_line(&mut self.lines)
    }

    /// Stops the server and gives what it wrote after the lines read so far. Each line is
    /// written before the answer it describes is sent, so it is there once the client has it.
    pub(crate) fn rest(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.lines, &mut rest).unwrap();
        rest
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn next_line(lines: &mut BufReader<ChildStdout>) -> String {
    let mut line = String::new();
    assert!(lines.read_line(&mut line).unwrap() > 0, "the server exited");
    line
}

#[tokio::test]
async fn json_access_lines_carry_the_request_and_echo_its_id() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut serve = Serve::start(
        dir.path(),
        &["--log-format", "json", "--access-log", "true"],
    );
    let client = http_client();
    let r = client
        .get(format!("{}/schemas/ids/7", serve.base))
        .header("X-Request-Id", "trace-me-7")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["x-request-id"], "trace-me-7");
    let bytes = r.bytes().await.unwrap().len() as u64;

    let line: Value = serde_json::from_str(&serve.line()).expect("one JSON object per line");
    assert_eq!(line["target"], "schemata::access");
    assert_eq!(line["level"], "INFO");
    assert_eq!(line["status"], 404);
    assert_eq!(line["bytes"], bytes);
    assert!(line["latency_us"].as_u64().is_some(), "{line}");
    assert_eq!(line["method"], "GET");
    assert_eq!(line["route"], "/schemas/ids/{id}");
    assert_eq!(line["request_id"], "trace-me-7");

    // Without an id from the client, one is made up, echoed and logged.
    let r = client
        .get(format!("{}/subjects", serve.base))
        .send()
        .await
        .unwrap();
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(!id.is_empty());
    let line: Value = serde_json::from_str(&serve.line()).unwrap();
    assert_eq!(line["request_id"], id.as_str());
    assert_eq!(line["route"], "/subjects");
    assert_eq!(line["status"], 200);
}

#[tokio::test]
async fn text_lines_have_no_colour_codes_off_a_terminal_and_no_access_lines_by_default() {
    let dir = tempfile::TempDir::new().unwrap();
    let mut serve = Serve::start(dir.path(), &["--access-log", "true"]);
    let client = http_client();
    client
        .get(format!("{}/subjects", serve.base))
        .send()
        .await
        .unwrap();
    let line = serve.line();
    assert!(!line.contains('\u{1b}'), "{line:?}");
    assert!(
        line.contains("INFO schemata::access: served method=GET route=\"/subjects\" request_id=")
            && line.contains(" status=200"),
        "{line}"
    );
    drop(serve);

    // By default, no line per request.
    let dir = tempfile::TempDir::new().unwrap();
    let mut serve = Serve::start(dir.path(), &[]);
    let client = http_client();
    let r = client
        .get(format!("{}/subjects", serve.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let _ = serve.child.kill();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut serve.lines, &mut rest).unwrap();
    assert!(!rest.contains("schemata::access"), "{rest}");
}
