//! The client against a registry that requires client certificates and Basic credentials:
//! its CA bundle and its certificate make the handshake, its credentials the request.

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use schemata::app::Options;
use schemata::tls::TlsFiles;
use schemata_client::{Auth, Client, ClientConfig, Error};
use tempfile::TempDir;

fn issue(issuer: &CertifiedIssuer<'_, KeyPair>, cn: &str, names: &[&str]) -> (String, String) {
    let mut params =
        CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    params.distinguished_name.push(DnType::CommonName, cn);
    let key = KeyPair::generate().unwrap();
    (
        params.signed_by(&key, issuer).unwrap().pem(),
        key.serialize_pem(),
    )
}

#[tokio::test]
async fn a_client_certificate_and_a_ca_bundle() {
    let dir = TempDir::new().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let (cert, key) = issue(&ca, "schemata", &["127.0.0.1"]);
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let hash = schemata::auth::password::hash(b"pw").unwrap();
    let auth = write(
        "auth.toml",
        &format!("[[users]]\nname = \"ci\"\npassword_hash = \"{hash}\"\n[[grants]]\nprincipal = \"ci\"\nrole = \"reader\"\nsubjects = \"*\"\n"),
    );
    let options = Options {
        tls: Some(TlsFiles {
            cert: write("server.pem", &cert),
            key: write("server-key.pem", &key),
            client_ca: Some(write("ca.pem", &ca.pem())),
        }),
        auth_file: Some(auth),
        ..Options::new(&format!("file://{}", dir.path().join("data").display()))
    };
    let url = schemata::app::spawn_local(&options)
        .await
        .unwrap()
        .replace("http://", "https://");
    let (cert, key) = issue(&ca, "someone", &[]);
    let config = |identity: bool| ClientConfig {
        ca_pem: Some(ca.pem().into_bytes()),
        identity_pem: identity.then(|| format!("{cert}{key}").into_bytes()),
        auth: Some(Auth::Basic {
            username: "ci".into(),
            password: "pw".into(),
        }),
        retries: 0,
        ..ClientConfig::new(url.clone())
    };
    let client = Client::new(config(true)).unwrap();
    assert_eq!(client.subjects(false).await.unwrap(), Vec::<String>::new());
    let refused = Client::new(config(false)).unwrap().subjects(false).await;
    assert!(matches!(refused, Err(Error::Transport(_))), "{refused:?}");
    let bad = ClientConfig {
        identity_pem: Some(b"not PEM".to_vec()),
        ..ClientConfig::new(url.clone())
    };
    assert!(matches!(Client::new(bad), Err(Error::Config(_))));
}
