//! HTTPS and client certificates, with certificates made at test time: a good client
//! certificate is its CN's principal; none, one from another CA or an expired one is refused in
//! the handshake; a plain-HTTP client gets a handshake error and the server goes on.

use std::path::Path;

use rcgen::{
    date_time_ymd, BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
};
use serde_json::json;
use tempfile::TempDir;

use crate::helpers::{outcome, schemata_cli, TestApp};
use schemata::tls::TlsFiles;

struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap(),
        }
    }

    /// A certificate and its key, as PEM.
    fn issue(&self, cn: &str, names: &[&str], expired: bool) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params.distinguished_name.push(DnType::CommonName, cn);
        if expired {
            params.not_before = date_time_ymd(2000, 1, 1);
            params.not_after = date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

struct Secure {
    app: TestApp,
    ca: Ca,
    base: String,
    _dir: TempDir,
}

/// A registry over HTTPS requiring client certificates from `ca`; the principal `ci` reads
/// every subject.
async fn secure() -> Secure {
    let dir = TempDir::new().unwrap();
    let ca = Ca::new("test CA");
    let (cert, key) = ca.issue("schemata", &["localhost", "127.0.0.1"], false);
    let files = TlsFiles {
        cert: write(dir.path(), "server.pem", &cert),
        key: write(dir.path(), "server-key.pem", &key),
        client_ca: Some(write(dir.path(), "ca.pem", &ca.issuer.pem())),
    };
    let auth = write(
        dir.path(),
        "auth.toml",
        "[[grants]]\nprincipal = \"ci\"\nrole = \"reader\"\nsubjects = \"*\"\n",
    );
    let app = TestApp::spawn_changed(|o| {
        o.tls = Some(files);
        o.auth_file = Some(auth);
    })
    .await;
    let base = app.base.replace("http://", "https://");
    Secure {
        app,
        ca,
        base,
        _dir: dir,
    }
}

fn client(ca: &Ca, identity: Option<(String, String)>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca.issuer.pem().as_bytes()).unwrap());
    if let Some((cert, key)) = identity {
        builder = builder
            .identity(reqwest::Identity::from_pem(format!("{cert}{key}").as_bytes()).unwrap());
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn a_good_client_certificate_is_its_principal() {
    let s = secure().await;
    let ci = client(&s.ca, Some(s.ca.issue("ci", &[], false)));
    let r = ci.get(format!("{}/config", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"compatibilityLevel": "BACKWARD"})
    );
    // Another name from the same CA is authenticated, and holds no grant.
    let other = client(&s.ca, Some(s.ca.issue("intruder", &[], false)));
    let r = other
        .get(format!("{}/config", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap(),
        json!({"error_code": 40301, "message": "User is denied operation Read on Registry"})
    );
    drop(s.app);
}

#[tokio::test]
async fn no_certificate_another_ca_or_an_expired_one_is_refused_in_the_handshake() {
    let s = secure().await;
    let stranger = Ca::new("another CA");
    let cases = [
        ("none", client(&s.ca, None)),
        (
            "another CA",
            client(&s.ca, Some(stranger.issue("ci", &[], false))),
        ),
        ("expired", client(&s.ca, Some(s.ca.issue("ci", &[], true)))),
    ];
    for (what, c) in cases {
        let r = c.get(format!("{}/config", s.base)).send().await;
        assert!(r.is_err(), "{what}: {r:?}");
    }
    // A plain-HTTP client gets no HTTP answer; the server goes on serving.
    let plain = reqwest::Client::new()
        .get(format!("{}/config", s.app.base))
        .send()
        .await;
    assert!(plain.is_err(), "{plain:?}");
    let ci = client(&s.ca, Some(s.ca.issue("ci", &[], false)));
    let r = ci.get(format!("{}/", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn check_presents_a_client_certificate_and_trusts_the_given_ca() {
    let s = secure().await;
    let dir = TempDir::new().unwrap();
    let (cert, key) = s.ca.issue("ci", &[], false);
    let cert = write(dir.path(), "ci.pem", &cert);
    let key = write(dir.path(), "ci-key.pem", &key);
    let ca = write(dir.path(), "ca.pem", &s.ca.issuer.pem());
    let file = write(dir.path(), "s.avsc", "\"string\"");
    let mut args: Vec<String> = ["check", "--url", &s.base, "--subject", "orders-value"]
        .iter()
        .map(|a| a.to_string())
        .collect();
    for path in [
        ("--cert", &cert),
        ("--key", &key),
        ("--ca", &ca),
        ("", &file),
    ] {
        if !path.0.is_empty() {
            args.push(path.0.to_string());
        }
        args.push(path.1.display().to_string());
    }
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_schemata"))
            .args(args)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    // Authenticated as `ci` (a reader of everything); the subject has no versions yet.
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (
            Some(0),
            format!("{}: compatible (BACKWARD)\n", file.display()).as_str()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_remote_command_takes_the_client_certificate_and_the_ca() {
    let s = secure().await;
    let dir = TempDir::new().unwrap();
    let (cert, key) = s.ca.issue("ci", &[], false);
    let cert = write(dir.path(), "ci.pem", &cert);
    let key = write(dir.path(), "ci-key.pem", &key);
    let ca = write(dir.path(), "ca.pem", &s.ca.issuer.pem());
    let out = dir.path().join("out");
    let (cert, key, ca, out) = (
        cert.to_str().unwrap(),
        key.to_str().unwrap(),
        ca.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let download = [
        "download",
        "--url",
        &s.base,
        "--subject",
        "orders-*",
        "--out",
        out,
    ];
    let tls = ["--cert", cert, "--key", key, "--ca", ca];
    // Through the handshake as `ci`, who may list subjects; there are none yet.
    let with_tls = schemata_cli(&[&download[..], &tls[..]].concat(), None).await;
    assert_eq!(
        outcome(&with_tls),
        (
            Some(2),
            String::new(),
            "error: no subject matches orders-*\n".to_string()
        )
    );
    let refused = |why: &str| {
        let url = format!("{}/subjects", s.base);
        (
            Some(2),
            String::new(),
            format!("error: GET {url}: error sending request for url ({url}): {why}\n"),
        )
    };
    // Without them the registry's certificate is not trusted: the handshake fails, and the
    // error says why.
    assert_eq!(
        outcome(&schemata_cli(&download, None).await),
        refused("client error (Connect): invalid peer certificate: UnknownIssuer")
    );
    // The CA alone: the server asks for a client certificate and the handshake fails. How
    // hyper words the middle of the chain depends on timing (SendRequest or Canceled).
    let ca_only = [&download[..], &["--ca", ca][..]].concat();
    let (code, stdout, stderr) = outcome(&schemata_cli(&ca_only, None).await);
    let (_, _, prefix) = refused("client error (");
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert!(
        stderr.starts_with(prefix.trim_end())
            && stderr.ends_with("received fatal alert: CertificateRequired\n"),
        "{stderr}"
    );
}

#[tokio::test]
async fn sighup_re_reads_the_certificate_and_key() {
    let dir = TempDir::new().unwrap();
    let (first, second) = (Ca::new("first CA"), Ca::new("second CA"));
    let (cert, key) = first.issue("schemata", &["127.0.0.1"], false);
    let cert_path = write(dir.path(), "server.pem", &cert);
    let key_path = write(dir.path(), "server-key.pem", &key);
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let mut serve = crate::logs::Serve::start(
        &data,
        &[
            "--tls-cert",
            cert_path.to_str().unwrap(),
            "--tls-key",
            key_path.to_str().unwrap(),
        ],
    );
    let base = serve.base.replace("http://", "https://");
    let get = |ca: &Ca| client(ca, None).get(format!("{base}/")).send();
    assert_eq!(get(&first).await.unwrap().status(), 200);
    assert!(get(&second).await.is_err());
    let (cert, key) = second.issue("schemata", &["127.0.0.1"], false);
    write(dir.path(), "server.pem", &cert);
    write(dir.path(), "server-key.pem", &key);
    let status = std::process::Command::new("kill")
        .args(["-HUP", &serve.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    while !serve.line().contains("TLS files re-read") {}
    assert_eq!(get(&second).await.unwrap().status(), 200);
    assert!(get(&first).await.is_err());
}
