//! An https gateway with a self-signed certificate (made by `openssl` at test time): refused
//! with a clear message unless `--tls-no-verify` is given; and the "not secure" warning, never
//! printed for a gateway on this machine.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};

use crate::support::{start, PASSWORD};

#[allow(clippy::print_stderr)] // the one skip line
/// Writes a self-signed certificate for 127.0.0.1 and its key into `dir`; `None` (after saying
/// why) when openssl is not installed.
fn self_signed(dir: &Path) -> Option<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "1", "-subj", "/CN=faas-test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output();
    match made {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "openssl req failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => {
            eprintln!("skip: openssl is not installed ({e}); cannot make a test certificate");
            return None;
        }
    }
    let certs = CertificateDer::pem_file_iter(&cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(&key).unwrap();
    Some((certs, key))
}

/// Terminates TLS on 127.0.0.1:0 and relays the plain bytes to `backend`; returns the address.
async fn tls_front(
    backend: std::net::SocketAddr,
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> std::net::SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_no_verify_accepts_a_self_signed_gateway_and_only_then() {
    let gw = start().await;
    let certs_dir = tempfile::tempdir().unwrap();
    let Some((certs, key)) = self_signed(certs_dir.path()) else {
        return;
    };
    let https = format!("https://{}", tls_front(gw.addr, certs, key).await);
    let password = format!("{PASSWORD}\n");

    let refused = gw
        .faas(
            &["login", "--password-stdin", "-g", &https],
            password.as_bytes(),
        )
        .await;
    let line = refused.failed_with_one_line();
    assert!(
        line.contains(&format!("the TLS certificate of {https}"))
            && line.contains("--tls-no-verify"),
        "{line}"
    );
    assert!(!gw.config_file().exists());

    let accepted = gw
        .faas(
            &["login", "--password-stdin", "-g", &https, "--tls-no-verify"],
            password.as_bytes(),
        )
        .await
        .ok();
    assert!(
        accepted
            .stdout
            .contains(&format!("credentials saved for admin {https}")),
        "{accepted:?}"
    );
    let listed = gw
        .faas(&["list", "-g", &https, "--tls-no-verify"], b"")
        .await
        .ok();
    assert!(listed.stdout.starts_with("Function"), "{listed:?}");
    // The stored credentials are of no help without the flag: the certificate is still refused.
    let unverified = gw.faas(&["list", "-g", &https], b"").await;
    assert!(unverified
        .failed_with_one_line()
        .contains("cannot be trusted"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_insecure_warning_for_a_gateway_on_this_machine() {
    let gw = start().await;
    gw.login().await;
    let deployed = gw
        .faas(
            &["deploy", "--image", "example/echo:1", "--name", "echo"],
            b"",
        )
        .await
        .ok();
    assert!(deployed.stdout.contains("Deploying: echo."), "{deployed:?}");
    assert!(
        !deployed.stdout.contains("WARNING!") && !deployed.stderr.contains("WARNING!"),
        "{deployed:?}"
    );
}
