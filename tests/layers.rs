//! Layers point one way: http -> registry -> storage. The registry and the storage know nothing
//! of HTTP, axum or the command line; this test fails the build of any change that says otherwise.

use std::path::Path;

/// What the inner layers must not name.
const FORBIDDEN: [&str; 5] = ["crate::http", "crate::cli", "crate::app", "axum", "clap"];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn the_registry_and_the_storage_do_not_reach_outwards() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    for layer in ["registry", "storage"] {
        rust_files(&root.join(layer), &mut files);
    }
    assert!(files.len() > 10, "found only {files:?}");
    let mut offences = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                if code.contains(word) {
                    offences.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "outward references:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_error_type_does_not_know_http_either() {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/error.rs"))
        .unwrap();
    for word in FORBIDDEN {
        assert!(!text.contains(word), "src/error.rs names {word}");
    }
}
