//! Names the commit the binary is built from (`schemata_build_info`, `/v1/metadata/version`):
//! `SCHEMATA_COMMIT` when set, else `git rev-parse HEAD`, else "unknown" (a build outside a
//! git checkout).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Reruns this script when `path` changes (a path that does not exist would rerun it always).
fn watch(path: Option<String>) {
    if let Some(path) = path.filter(|p| std::path::Path::new(p).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
}

fn main() {
    println!("cargo:rerun-if-env-changed=SCHEMATA_COMMIT");
    let commit = std::env::var("SCHEMATA_COMMIT").ok().or_else(|| {
        // Rebuild when HEAD moves: its file, and the branch file it points to.
        for file in ["HEAD", "packed-refs"] {
            watch(git(&["rev-parse", "--git-path", file]));
        }
        if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
            watch(git(&["rev-parse", "--git-path", &branch]));
        }
        git(&["rev-parse", "HEAD"])
    });
    println!(
        "cargo:rustc-env=SCHEMATA_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}
