//! HTTPS (`--tls-cert`, `--tls-key`) and client certificates (`--tls-client-ca`: mandatory, the
//! handshake refuses a client without one signed by that CA). rustls on ring, the provider the
//! rest of the process uses.
//!
//! Handshakes run in each connection's task (`serve.rs`), with a deadline, so a slow or silent
//! client never holds the accept loop. The
//! certificate, key and CA are re-read by [`Tls::reload`] (SIGHUP): new connections get the new
//! ones, open connections keep theirs.
//!
//! A client certificate's principal is its subject's common name (CN), else its first DNS name,
//! else its first URI among the subject alternative names.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use arc_swap::ArcSwap;
use axum::extract::Request;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::http::guard::PeerName;

/// How long a client may take to finish its handshake.
const HANDSHAKE_DEADLINE: Duration = Duration::from_secs(10);

/// The files TLS is configured from.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM certificate chain, the server's first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
    /// PEM CA certificates that client certificates must chain to; given, they are mandatory.
    pub client_ca: Option<PathBuf>,
}

/// The TLS configuration in force, swapped on reload.
pub struct Tls {
    files: TlsFiles,
    config: ArcSwap<ServerConfig>,
}

impl Tls {
    /// Reads the files; the error names the file and what is wrong with it.
    pub fn load(files: &TlsFiles) -> Result<Tls, String> {
        Ok(Tls {
            config: ArcSwap::from_pointee(server_config(files)?),
            files: files.clone(),
        })
    }

    /// The server side of a TLS handshake on `tcp`, with the client certificate's principal;
    /// `None` when it fails or takes too long (logged at debug: clients do that).
    pub async fn handshake(
        &self,
        tcp: TcpStream,
        addr: SocketAddr,
    ) -> Option<(TlsStream<TcpStream>, Option<Arc<str>>)> {
        let acceptor = TlsAcceptor::from(self.config.load_full());
        let stream = match tokio::time::timeout(HANDSHAKE_DEADLINE, acceptor.accept(tcp)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => {
                tracing::debug!(%addr, "TLS handshake failed: {e}");
                return None;
            }
            Err(_) => {
                tracing::debug!(%addr, "TLS handshake took too long");
                return None;
            }
        };
        let name = stream
            .get_ref()
            .1
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(principal)
            .map(Arc::from);
        Some((stream, name))
    }

    /// Re-reads the files; on an error the configuration in force stays.
    pub fn reload(&self) -> Result<(), String> {
        self.config.store(Arc::new(server_config(&self.files)?));
        Ok(())
    }
}

fn server_config(files: &TlsFiles) -> Result<ServerConfig, String> {
    let chain = certificates(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| format!("--tls-key {}: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match &files.client_ca {
        Some(path) => {
            let mut roots = RootCertStore::empty();
            for ca in certificates(path)? {
                roots
                    .add(ca)
                    .map_err(|e| format!("--tls-client-ca {}: {e}", path.display()))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| format!("--tls-client-ca {}: {e}", path.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("--tls-cert and --tls-key: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

fn certificates(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate", path.display()));
    }
    Ok(certs)
}

/// One connection's service: `S`, with the client certificate's name on each request
/// ([`PeerName`], which the guard reads).
#[derive(Clone)]
pub struct WithPeer<S> {
    inner: S,
    name: Option<Arc<str>>,
}

impl<S> WithPeer<S> {
    pub fn new(inner: S, name: Option<Arc<str>>) -> WithPeer<S> {
        WithPeer { inner, name }
    }
}

impl<S: tower::Service<Request>> tower::Service<Request> for WithPeer<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> S::Future {
        if let Some(name) = &self.name {
            req.extensions_mut().insert(PeerName(name.clone()));
        }
        self.inner.call(req)
    }
}

/// The principal a (verified) client certificate names.
fn principal(cert: &CertificateDer<'_>) -> Option<String> {
    let cert = webpki::EndEntityCert::try_from(cert).ok()?;
    if let Some(cn) = common_name(cert.subject()) {
        return Some(cn);
    }
    let dns = cert.valid_dns_names().next().map(str::to_string);
    dns.or_else(|| cert.valid_uri_names().next().map(str::to_string))
}

/// The first CN (OID 2.5.4.3) of a DER Name's contents (a sequence of RDN sets).
fn common_name(mut name: &[u8]) -> Option<String> {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    while !name.is_empty() {
        let (tag, set, rest) = tlv(name)?;
        name = rest;
        if tag != 0x31 {
            return None;
        }
        let mut set = set;
        while !set.is_empty() {
            let (tag, attribute, rest) = tlv(set)?;
            set = rest;
            if tag != 0x30 {
                return None;
            }
            let (tag, oid, value) = tlv(attribute)?;
            if tag == 0x06 && oid == CN {
                let (_, text, _) = tlv(value)?;
                return std::str::from_utf8(text).ok().map(str::to_string);
            }
        }
    }
    None
}

/// One DER tag-length-value: (tag, value, what follows).
fn tlv(der: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = der.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_names_from_der() {
        // SET { SEQ { OID 2.5.4.6 (C), PrintableString "DE" } }, SET { SEQ { OID CN, UTF8 "ci" } }
        let name = [
            0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'D', b'E', 0x31,
            0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, b'c', b'i',
        ];
        assert_eq!(common_name(&name).as_deref(), Some("ci"));
        assert_eq!(common_name(&name[..13]), None);
        assert_eq!(common_name(&name[..20]), None, "truncated");
    }
}
