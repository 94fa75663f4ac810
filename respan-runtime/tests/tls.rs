//! The gateway speaks TLS with the crypto provider the build chose
//! (`tls-aws-lc`, the default, or `tls-ring` alone), verifies the server's
//! certificate, and trusts roots added with `add_root_certificate`; without a
//! TLS feature an https:// URL is a clear configuration error.
//!
//! The TLS server is a terminating proxy on 127.0.0.1 (tokio-rustls, a
//! certificate rcgen makes for `localhost`) in front of the fake gateway.
//! CI runs this file three times: default features, `--no-default-features
//! --features testing,tls-ring`, and `--no-default-features --features testing`.

use respan_runtime::{Agent, AgentSet, Error, Gateway};

fn agents() -> AgentSet {
    AgentSet::new("A".to_string()).agent(Agent::named("A").instructions("x").model("gpt-4o"))
}

#[test]
fn the_provider_is_the_one_the_features_choose() {
    // aws-lc-rs wins when both features are on.
    let expected = if cfg!(feature = "tls-aws-lc") {
        Some("aws-lc-rs")
    } else if cfg!(feature = "tls-ring") {
        Some("ring")
    } else {
        None
    };
    assert_eq!(respan_runtime::TLS_PROVIDER, expected);
}

#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
mod with_tls {
    use std::net::SocketAddr;
    use std::sync::{Arc, Mutex};

    use respan_offline::testing::FakeGateway;
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio::net::{TcpListener, TcpStream};

    use super::*;

    /// A TLS front for the fake gateway; `handshakes` holds, per connection,
    /// the negotiated key exchange group or why the handshake failed.
    struct TlsFront {
        addr: SocketAddr,
        handshakes: Arc<Mutex<Vec<String>>>,
        cert_pem: String,
    }

    /// The server side's provider: the same as the client's build.
    fn server_provider() -> CryptoProvider {
        #[cfg(feature = "tls-aws-lc")]
        return rustls::crypto::aws_lc_rs::default_provider();
        #[cfg(not(feature = "tls-aws-lc"))]
        return rustls::crypto::ring::default_provider();
    }

    async fn tls_front(fake: &FakeGateway, provider: CryptoProvider) -> TlsFront {
        let backend: SocketAddr = fake
            .base_url()
            .trim_start_matches("http://")
            .trim_end_matches("/api")
            .parse()
            .expect("fake gateway address");
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
            .expect("self-signed certificate");
        let cert_pem = certified.cert.pem();
        let chain: Vec<CertificateDer<'static>> = vec![certified.cert.der().clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
            .with_safe_default_protocol_versions()
            .expect("protocol versions")
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .expect("server certificate");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let handshakes = Arc::new(Mutex::new(Vec::new()));
        let seen = handshakes.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut tls = match acceptor.accept(tcp).await {
                        Ok(tls) => tls,
                        Err(e) => {
                            seen.lock().unwrap().push(format!("handshake failed: {e}"));
                            return;
                        }
                    };
                    let group = tls
                        .get_ref()
                        .1
                        .negotiated_key_exchange_group()
                        .map(|group| format!("{:?}", group.name()))
                        .unwrap_or_default();
                    seen.lock().unwrap().push(group);
                    let mut plain = TcpStream::connect(backend).await.expect("fake gateway");
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                });
            }
        });
        TlsFront {
            addr,
            handshakes,
            cert_pem,
        }
    }

    fn gateway(front: &TlsFront, trust: bool) -> Result<Gateway, Error> {
        let mut builder = Gateway::builder()
            .base_url(format!("https://localhost:{}/api", front.addr.port()))
            .api_key("sk-test-tls")
            .max_retries(0);
        if trust {
            builder = builder.add_root_certificate(&front.cert_pem);
        }
        builder.build()
    }

    #[tokio::test]
    async fn a_run_goes_over_tls_with_the_builds_provider() {
        let fake = FakeGateway::start().await.expect("fake");
        fake.push_text("over TLS");
        // aws-lc-rs: a server that accepts only the hybrid post-quantum group
        // shows the client offers it (ring's provider has no such group).
        #[cfg(feature = "tls-aws-lc")]
        let provider = CryptoProvider {
            kx_groups: vec![rustls::crypto::aws_lc_rs::kx_group::X25519MLKEM768],
            ..server_provider()
        };
        #[cfg(not(feature = "tls-aws-lc"))]
        let provider = server_provider();
        let front = tls_front(&fake, provider).await;
        let result = respan_runtime::run(&gateway(&front, true).expect("gateway"), &agents(), "hi")
            .await
            .expect("the run over TLS");
        assert_eq!(result.final_output, "over TLS");
        let expected = if cfg!(feature = "tls-aws-lc") {
            "X25519MLKEM768"
        } else {
            "X25519"
        };
        assert_eq!(
            *front.handshakes.lock().unwrap(),
            vec![expected.to_string()]
        );
        // The request reached the gateway whole, key included.
        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].header("authorization"),
            Some("Bearer sk-test-tls")
        );
    }

    #[tokio::test]
    async fn a_certificate_from_an_unknown_authority_is_refused() {
        let fake = FakeGateway::start().await.expect("fake");
        let front = tls_front(&fake, server_provider()).await;
        let error = respan_runtime::run(&gateway(&front, false).expect("gateway"), &agents(), "hi")
            .await
            .expect_err("an untrusted certificate");
        let message = error.to_string();
        assert!(message.contains("invalid peer certificate"), "{message}");
        assert!(
            matches!(error, Error::Connection { .. }),
            "a connection error: {message}"
        );
        // The server notes the failed handshake once the client has hung up.
        let mut handshakes = Vec::new();
        for _ in 0..200 {
            handshakes = front.handshakes.lock().unwrap().clone();
            if !handshakes.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert_eq!(handshakes.len(), 1, "{handshakes:?}");
        assert!(
            handshakes[0].starts_with("handshake failed"),
            "{handshakes:?}"
        );
        assert!(fake.requests().is_empty(), "nothing reached the gateway");
    }

    #[test]
    fn a_root_certificate_that_is_not_pem_is_a_clear_error() {
        for pem in [
            "not a certificate",
            "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n",
        ] {
            let error = Gateway::builder()
                .api_key("sk-test")
                .add_root_certificate(pem)
                .build()
                .expect_err("a bad root");
            let message = error.to_string();
            assert!(matches!(error, Error::Config(_)), "{message}");
            assert!(message.contains("root certificate #1"), "{message}");
            assert!(message.contains("-----BEGIN CERTIFICATE-----"), "{message}");
        }
    }
}

#[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
mod without_tls {
    use super::*;

    #[test]
    fn an_https_url_names_the_features_to_enable() {
        for builder in [
            Gateway::builder().base_url("https://api.respan.ai/api"),
            Gateway::builder()
                .base_url("http://127.0.0.1:1/api")
                .add_root_certificate("-----BEGIN CERTIFICATE-----"),
        ] {
            let error = builder.api_key("sk-test").build().expect_err("no TLS");
            let message = error.to_string();
            assert!(matches!(error, Error::Config(_)), "{message}");
            assert!(message.contains("`tls-aws-lc`"), "{message}");
            assert!(message.contains("`tls-ring`"), "{message}");
        }
    }

    #[tokio::test]
    async fn plain_http_still_works() {
        let fake = respan_offline::testing::FakeGateway::start()
            .await
            .expect("fake");
        fake.push_text("plain");
        let result = respan_runtime::run(&fake.gateway().expect("gateway"), &agents(), "hi")
            .await
            .expect("run");
        assert_eq!(result.final_output, "plain");
    }
}

/// With the default provider, a reqwest client built elsewhere in the program
/// (without a TLS configuration of its own, as libraries do) still finds one:
/// the gateway passing its own configuration must not leave reqwest without.
#[cfg(feature = "tls-aws-lc")]
#[test]
fn other_reqwest_clients_in_the_program_still_have_a_provider() {
    let gateway = respan_runtime::Gateway::new("https://127.0.0.1:9/api", "sk-test");
    assert!(gateway.is_ok(), "{:?}", gateway.err());
    // reqwest panics here when it has TLS but no provider.
    let client = reqwest::Client::builder().build();
    assert!(client.is_ok(), "{:?}", client.err());
}
