//! TLS of the HTTP clients (the gateway's, the OTLP exporter's): rustls with the
//! crypto provider the build chose, passed to each client explicitly (nothing is
//! installed process-wide, so a program's other rustls users are not affected).
//!
//! - feature `tls-aws-lc` (the default): aws-lc-rs, which also offers
//!   X25519MLKEM768 (hybrid post-quantum key exchange);
//! - feature `tls-ring`: ring (X25519, P-256, P-384), a much faster clean build;
//! - both: aws-lc-rs; neither: plain HTTP only, and an `https://` URL is a
//!   configuration error that names the features.
//!
//! Server certificates are verified against the platform's roots with
//! rustls-platform-verifier, as reqwest's own `rustls` feature does, plus any
//! roots added with [`GatewayBuilder::add_root_certificate`](crate::GatewayBuilder::add_root_certificate).

use crate::error::Error;

/// The rustls crypto provider this build uses for HTTPS: `Some("aws-lc-rs")`
/// (feature `tls-aws-lc`), `Some("ring")` (feature `tls-ring` alone), or `None`
/// (neither: plain HTTP only).
pub const TLS_PROVIDER: Option<&str> = if cfg!(feature = "tls-aws-lc") {
    Some("aws-lc-rs")
} else if cfg!(feature = "tls-ring") {
    Some("ring")
} else {
    None
};

/// The error for an `https://` URL (or a root certificate) in a build without TLS.
pub(crate) fn no_tls(what: &str) -> Error {
    Error::Config(format!(
        "{what} needs TLS, but respan was built without a TLS provider: enable the \
         feature `tls-aws-lc` (respan's default) or `tls-ring` of `respan`, or use an http:// URL"
    ))
}

/// Root certificates in PEM, each checked: a file that holds no certificate
/// (or a broken one) is an error, not an empty trust list.
pub(crate) fn parse_roots(pems: &[Vec<u8>]) -> Result<Vec<Root>, Error> {
    #[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
    {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject as _;
        let mut roots = Vec::new();
        for (i, pem) in pems.iter().enumerate() {
            let bad = |detail: String| {
                Error::Config(format!(
                    "root certificate #{} (add_root_certificate): {detail}; \
                     expected PEM text starting with -----BEGIN CERTIFICATE-----",
                    i + 1
                ))
            };
            let before = roots.len();
            for cert in CertificateDer::pem_slice_iter(pem) {
                roots.push(cert.map_err(|e| bad(format!("not valid PEM ({e})")))?);
            }
            if roots.len() == before {
                return Err(bad("no certificate found".into()));
            }
        }
        Ok(roots)
    }
    #[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
    {
        if pems.is_empty() {
            Ok(Vec::new())
        } else {
            Err(no_tls("a root certificate (add_root_certificate)"))
        }
    }
}

/// A parsed root certificate.
#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
pub(crate) type Root = rustls::pki_types::CertificateDer<'static>;
/// A parsed root certificate (none without TLS).
#[cfg(not(any(feature = "tls-aws-lc", feature = "tls-ring")))]
pub(crate) type Root = std::convert::Infallible;

/// The provider of this build (aws-lc-rs wins when both features are on).
#[cfg(feature = "tls-aws-lc")]
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}
#[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
fn provider() -> rustls::crypto::CryptoProvider {
    rustls::crypto::ring::default_provider()
}

/// The client TLS configuration reqwest would build with its `rustls` feature
/// (TLS 1.2 and 1.3, platform roots, ALPN `http/1.1`), with this build's provider.
/// Built once per client, never per request.
#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
pub(crate) fn client_config(extra_roots: &[Root]) -> Result<rustls::ClientConfig, Error> {
    use std::sync::Arc;
    let fail = |e: rustls::Error| Error::Config(format!("could not set up TLS: {e}"));
    let provider = Arc::new(provider());
    let verifier = if extra_roots.is_empty() {
        rustls_platform_verifier::Verifier::new(provider.clone()).map_err(fail)?
    } else {
        extra_roots_verifier(extra_roots, provider.clone())?
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(fail)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    // HTTP/1.1 only: reqwest is built without `http2`.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The configuration of a client that only speaks plain HTTP (an `http://`
/// gateway, e.g. a local one): reqwest wants one all the same, but loading the
/// platform's roots (reading the system's certificate store, milliseconds at
/// start-up) would be for nothing. It trusts no root, so an `https://` URL
/// reached anyway (a redirect) fails verification: never trusted by mistake.
#[cfg(any(feature = "tls-aws-lc", feature = "tls-ring"))]
pub(crate) fn no_roots_config() -> Result<rustls::ClientConfig, Error> {
    let provider = std::sync::Arc::new(provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(format!("could not set up TLS: {e}")))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(all(
    any(feature = "tls-aws-lc", feature = "tls-ring"),
    any(all(unix, not(target_os = "android")), target_os = "windows")
))]
fn extra_roots_verifier(
    roots: &[Root],
    provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, Error> {
    rustls_platform_verifier::Verifier::new_with_extra_roots(roots.iter().cloned(), provider)
        .map_err(|e| Error::Config(format!("could not add the root certificates: {e}")))
}

#[cfg(all(
    any(feature = "tls-aws-lc", feature = "tls-ring"),
    not(any(all(unix, not(target_os = "android")), target_os = "windows"))
))]
fn extra_roots_verifier(
    _roots: &[Root],
    _provider: std::sync::Arc<rustls::crypto::CryptoProvider>,
) -> Result<rustls_platform_verifier::Verifier, Error> {
    Err(Error::Config(
        "extra root certificates are not supported on this platform (rustls-platform-verifier \
         uses the system's trust store only): install the certificate in the system store"
            .into(),
    ))
}
