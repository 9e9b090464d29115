//! A TLS server for the transports' tests (rustls, an rcgen certificate for `localhost`).

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

pub(crate) const BODY: &str = r#"{"id":"abcdEFGH1234"}"#;

/// A TLS server on a thread: answers every request on a connection with `BODY`, and sends
/// the number of connections it accepted down the channel when it ends.
pub(crate) fn tls_server(
    requests: usize,
) -> (u16, CertificateDer<'static>, std::thread::JoinHandle<usize>) {
    let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("cert");
    let cert = generated.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut served, mut connections) = (0, 0);
        while served < requests {
            let (tcp, _) = listener.accept().expect("accept");
            connections += 1;
            let tls = rustls::ServerConnection::new(config.clone()).expect("session");
            let mut stream = rustls::StreamOwned::new(tls, tcp);
            while served < requests && read_request(&mut stream) {
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{BODY}",
                    BODY.len()
                );
                stream.write_all(response.as_bytes()).expect("write");
                stream.flush().expect("flush");
                served += 1;
            }
        }
        connections
    });
    (port, cert, server)
}

/// Reads one request (head and a content-length body); false at the end of the stream.
fn read_request(stream: &mut impl Read) -> bool {
    let mut data = Vec::new();
    let mut byte = [0u8; 1];
    while !data.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => data.push(byte[0]),
            _ => return false,
        }
    }
    let head = String::from_utf8_lossy(&data).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .map_or(0, |v| v.trim().parse().expect("length"));
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).is_ok()
}

/// `err` is the connection error of a handshake with a certificate the client does not trust.
pub(crate) fn assert_untrusted(err: &crate::Error) {
    assert_eq!(err.code(), "ConnectionError");
    let message = err.message().to_lowercase();
    assert!(
        message.contains("could not connect to localhost"),
        "{message}"
    );
    assert!(message.contains("certificate"), "{message}");
}

pub(crate) fn trusting(cert: CertificateDer<'static>) -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).expect("root");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}
