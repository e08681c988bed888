//! The desk's sync client over TLS (rustls): a certificate it cannot verify is refused with a
//! clear reason; with the custom CA file configured, it enrols and syncs. The server sits behind
//! a TLS front (as behind a TLS-terminating proxy in production); certificates come from the
//! openssl command line.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use common::*;
use placecode_sync_client::{Failure, SyncEngine};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sqlx::PgPool;

fn openssl(dir: &Path, args: &[&str]) {
    let ok = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl (Debian: openssl)");
    assert!(ok.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&ok.stderr));
}

/// A CA and a certificate it signed for 127.0.0.1.
fn certificates(dir: &Path) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=placecode test CA"]);
    openssl(dir, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend(["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"]);
    openssl(dir, &csr);
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
}

/// A TLS front on a free port forwarding to the server.
async fn tls_front(dir: &Path, target: &str) -> u16 {
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(dir.join("server.pem")).unwrap().collect::<Result<_, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(dir.join("server.key")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = target.trim_start_matches("http://").to_owned();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let Ok(mut server) = tokio::net::TcpStream::connect(&target).await else { return };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
            });
        }
    });
    port
}

#[sqlx::test]
async fn an_unverifiable_certificate_is_refused_and_the_configured_ca_is_trusted(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let s = Server::start(pool.clone()).await;
    let port = tls_front(dir.path(), &s.base).await;
    let url = format!("https://127.0.0.1:{port}");
    let desk_dir = dir.path().join("desk");
    std::fs::create_dir_all(&desk_dir).unwrap();
    let db = desk_dir.join("desk.sqlite3");
    let key = placecode_store::keys::load_or_create(&desk_dir.join("k")).unwrap();
    placecode_store::Store::open(&db).unwrap();
    let engine = SyncEngine::new(&db);
    let token = placecode_central::enrol::make_token(&pool, &[], &["gulou".into()], None, "").await.unwrap();

    let refused = engine.enrol(&url, &token, "东门登记台", None, &key).await.unwrap_err();
    assert_eq!(refused, Failure::Certificate);
    assert!(refused.message().contains("证书"), "{}", refused.message());
    let missing = engine.enrol(&url, &token, "东门登记台", Some("/nonexistent/ca.pem"), &key).await.unwrap_err();
    assert!(matches!(missing, Failure::Refused { field: Some("ca_file"), .. }), "{missing:?}");
    // A file that holds no certificate (a key, a text file) is named as the CA field's problem,
    // not taken for an empty trust list that fails as "cannot connect".
    let text = dir.path().join("not-a-cert.txt");
    std::fs::write(&text, "placecode-desk\n").unwrap();
    let not_pem = engine.enrol(&url, &token, "东门登记台", text.to_str(), &key).await.unwrap_err();
    assert!(matches!(not_pem, Failure::Refused { field: Some("ca_file"), .. }), "{not_pem:?}");

    let ca = dir.path().join("ca.pem");
    let status = engine.enrol(&url, &token, "东门登记台", ca.to_str(), &key).await.unwrap();
    assert!(status.enrolled);
    assert!(status.server_url.starts_with("https://"));
    engine.sync_once().await.unwrap();
    assert_eq!(engine.status().unwrap().pending, 0);
}
