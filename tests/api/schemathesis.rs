//! schemathesis (PyPI) against a live registry and its own `/openapi.json`: every phase
//! (examples, coverage, fuzzing, stateful, the last following the links the document declares)
//! and every check, with no failure allowed. The run is
//! bounded (`MAX_EXAMPLES` per operation, a fixed seed) to fit CI's budget; its settings and
//! the one expectation it is told (which refusals are semantic) are in
//! `tests/schemathesis.toml`. Without schemathesis installed the test prints one line and
//! passes, unless `SCHEMATA_REQUIRE_SCHEMATHESIS=1` (as on CI).

use std::process::Stdio;

use crate::helpers::TestApp;

const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/schemathesis.toml");

/// Test cases per operation and phase. Raise it (`SCHEMATHESIS_MAX_EXAMPLES`) to search harder.
const MAX_EXAMPLES: &str = "60";

fn required() -> bool {
    std::env::var("SCHEMATA_REQUIRE_SCHEMATHESIS").is_ok_and(|v| v == "1")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_the_document_true_to_the_server() {
    let installed = std::process::Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            !required(),
            "SCHEMATA_REQUIRE_SCHEMATHESIS=1 but schemathesis is not installed"
        );
        eprintln!("skipped: schemathesis is not installed (pip install schemathesis)");
        return;
    }
    let app = TestApp::spawn().await;
    let examples = std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or(MAX_EXAMPLES.into());
    let report = tempfile::TempDir::new().unwrap();
    let mut command = std::process::Command::new("schemathesis");
    command
        .args(["--no-color", "--config-file", CONFIG, "run"])
        .arg(format!("{}/openapi.json", app.base))
        .args(["--checks", "all", "--max-examples", &examples])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        .arg("--report-dir")
        .arg(report.path())
        .stdin(Stdio::null());
    // The server answers on this runtime's threads while schemathesis runs.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // It did test: every operation, and every phase ran. The examples phase runs the operations
    // the document gives examples for (a path parameter or a body); the others have nothing to
    // show and are skipped there, and tested by the other phases.
    assert!(stdout.contains("Tested: 54"), "{stdout}");
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(
            stdout.contains(&format!("✅ {phase}")),
            "{phase} did not run clean:\n{stdout}"
        );
    }
}
