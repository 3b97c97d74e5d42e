//! The OpenID Connect issuer as Ferry sees it: its discovery document and the HTTPS client
//! that reads it, the JWKS and the token endpoint. Responses are bounded in time and size;
//! redirects are not followed.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::{
    client::legacy::{connect::HttpConnector, Client},
    rt::TokioExecutor,
};
use serde::{de::DeserializeOwned, Deserialize};
use std::time::Duration;

/// How long one request to the issuer may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response read from the issuer.
const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// What went wrong talking to the issuer (never shown to people: logged as an internal error).
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    #[error("cannot set up TLS for the issuer: {0}")]
    Tls(std::io::Error),
    #[error("request to {url} failed: {message}")]
    Request { url: String, message: String },
    #[error("{url} answered {status}")]
    Status {
        url: String,
        status: http::StatusCode,
    },
    #[error("{url} sent an unreadable answer: {message}")]
    Body { url: String, message: String },
    #[error("the issuer's discovery document is not usable: {0}")]
    Discovery(String),
}

/// An HTTP(S) client for the issuer (native root certificates, HTTP/1.1).
#[derive(Clone)]
pub struct Http {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Http {
    pub fn new() -> Result<Http, IssuerError> {
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_native_roots()
            .map_err(IssuerError::Tls)?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(Http {
            client: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Sends one request and reads the whole (bounded) answer, whatever its status.
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, IssuerError> {
        let url = request.uri().to_string();
        let request = request.map(|body| Full::new(Bytes::from(body)));
        let fail = |message: String| IssuerError::Request {
            url: url.clone(),
            message,
        };
        let response = tokio::time::timeout(TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| fail(format!("no answer within {TIMEOUT:?}")))?
            .map_err(|e| fail(crate::aws::error_chain(&e)))?;
        let (parts, body) = response.into_parts();
        let body = tokio::time::timeout(TIMEOUT, Limited::new(body, MAX_RESPONSE_BYTES).collect())
            .await
            .map_err(|_| fail(format!("no complete answer within {TIMEOUT:?}")))?
            .map_err(|e| IssuerError::Body {
                url: url.clone(),
                message: e.to_string(),
            })?
            .to_bytes();
        Ok(http::Response::from_parts(parts, body.to_vec()))
    }

    /// GETs a JSON document; anything but `200` is an error.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &url::Url) -> Result<T, IssuerError> {
        let request = http::Request::get(url.as_str())
            .header(http::header::ACCEPT, "application/json")
            .body(Vec::new())
            .map_err(|e| IssuerError::Request {
                url: url.to_string(),
                message: e.to_string(),
            })?;
        let response = self.send(request).await?;
        if response.status() != http::StatusCode::OK {
            return Err(IssuerError::Status {
                url: url.to_string(),
                status: response.status(),
            });
        }
        serde_json::from_slice(response.body()).map_err(|e| IssuerError::Body {
            url: url.to_string(),
            message: e.to_string(),
        })
    }
}

/// The parts of the issuer's discovery document Ferry uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: url::Url,
    pub token_endpoint: url::Url,
    pub jwks_uri: url::Url,
    pub end_session_endpoint: Option<url::Url>,
    #[serde(default)]
    pub code_challenge_methods_supported: Vec<String>,
}

impl Discovery {
    /// Reads `<issuer>/.well-known/openid-configuration` and checks it names the configured
    /// issuer (OpenID Connect Discovery §4.3) and offers PKCE with S256 if it lists methods.
    pub async fn fetch(http: &Http, issuer: &url::Url) -> Result<Discovery, IssuerError> {
        let base = issuer.as_str().trim_end_matches('/');
        let url = url::Url::parse(&format!("{base}/.well-known/openid-configuration"))
            .map_err(|e| IssuerError::Discovery(e.to_string()))?;
        let discovery: Discovery = http.get_json(&url).await?;
        discovery.check(issuer)?;
        Ok(discovery)
    }

    fn check(&self, issuer: &url::Url) -> Result<(), IssuerError> {
        if !same_issuer(&self.issuer, issuer.as_str()) {
            return Err(IssuerError::Discovery(format!(
                "it names issuer `{}`, not `{issuer}`",
                self.issuer
            )));
        }
        if !self.code_challenge_methods_supported.is_empty()
            && !self
                .code_challenge_methods_supported
                .iter()
                .any(|m| m == "S256")
        {
            return Err(IssuerError::Discovery(
                "the issuer does not offer PKCE with S256".into(),
            ));
        }
        Ok(())
    }
}

/// Issuer identifiers compare as strings; a configured trailing slash is forgiven.
pub fn same_issuer(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovery(issuer: &str, methods: &[&str]) -> Discovery {
        Discovery {
            issuer: issuer.into(),
            authorization_endpoint: "https://id.example/auth".parse().unwrap(),
            token_endpoint: "https://id.example/token".parse().unwrap(),
            jwks_uri: "https://id.example/jwks".parse().unwrap(),
            end_session_endpoint: None,
            code_challenge_methods_supported: methods.iter().map(|m| m.to_string()).collect(),
        }
    }

    #[test]
    fn discovery_must_name_the_configured_issuer_and_offer_s256() {
        let issuer: url::Url = "https://id.example/pool".parse().unwrap();
        assert!(discovery("https://id.example/pool", &[])
            .check(&issuer)
            .is_ok());
        assert!(discovery("https://id.example/pool/", &["S256"])
            .check(&issuer)
            .is_ok());
        assert!(discovery("https://evil.example/pool", &[])
            .check(&issuer)
            .is_err());
        assert!(discovery("https://id.example/pool", &["plain"])
            .check(&issuer)
            .is_err());
    }
}
