//! `TestIssuer`: an OpenID Connect issuer for the Rust tests, on a loopback port. It serves
//! discovery, a JWKS with P-256 keys generated per test (aws-lc-rs), a token endpoint that
//! answers with the ID token the test prepared (and records what Ferry sent it), and an
//! end-session endpoint. Tokens are signed with `jsonwebtoken`, so the tests can also sign
//! the bad ones (wrong issuer, expired, unknown key, …) Ferry must refuse. The browser tests
//! use a certified provider (npm `oidc-provider`) instead.

use aws_lc_rs::{
    rand::SystemRandom,
    signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING},
};
use axum::{
    extract::State,
    routing::{get, post},
    Form, Json, Router,
};
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// The client id Ferry is configured with against a [`TestIssuer`].
pub const CLIENT_ID: &str = "ferry-test";

/// One signing key: its `kid`, private key for `jsonwebtoken`, public JWK.
#[derive(Clone)]
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Value,
}

impl SigningKey {
    pub fn generate(kid: &str) -> SigningKey {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .expect("a P-256 key");
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref(); // 0x04 || x || y
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        SigningKey {
            kid: kid.to_owned(),
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({
                "kty": "EC", "crv": "P-256", "use": "sig", "alg": "ES256", "kid": kid,
                "x": b64(&point[1..33]), "y": b64(&point[33..65]),
            }),
        }
    }
}

#[derive(Default)]
struct Shared {
    issuer: String,
    /// The keys the JWKS lists.
    published: Vec<Value>,
    /// What the token endpoint answers next.
    id_token: Option<String>,
    /// Every form the token endpoint received.
    token_requests: Vec<HashMap<String, String>>,
    jwks_fetches: usize,
}

pub struct TestIssuer {
    pub url: String,
    pub key: SigningKey,
    shared: Arc<Mutex<Shared>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for TestIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl TestIssuer {
    pub async fn start() -> TestIssuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let key = SigningKey::generate("key-1");
        let shared = Arc::new(Mutex::new(Shared {
            issuer: url.clone(),
            published: vec![key.jwk.clone()],
            ..Shared::default()
        }));
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/token", post(token))
            .with_state(shared.clone());
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        TestIssuer {
            url,
            key,
            shared,
            server,
        }
    }

    /// Standard claims of a valid token for `sub`, valid for an hour.
    pub fn claims(&self, sub: &str) -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({
            "iss": self.url, "sub": sub, "aud": CLIENT_ID,
            "iat": now, "nbf": now - 5, "exp": now + 3600,
            "email": format!("{sub}@example.com"),
        })
    }

    /// `claims` signed with this issuer's published key.
    pub fn sign(&self, claims: &Value) -> String {
        sign_with(&self.key, claims)
    }

    /// A valid token for `sub` (an administrator if `admin`).
    pub fn token(&self, sub: &str, admin: bool) -> String {
        let mut claims = self.claims(sub);
        if admin {
            claims["cognito:groups"] = json!(["ferry-admins"]);
        }
        self.sign(&claims)
    }

    /// Publishes another key (a rotation).
    pub fn publish(&self, key: &SigningKey) {
        self.shared.lock().unwrap().published.push(key.jwk.clone());
    }

    /// The ID token the token endpoint gives out next.
    pub fn next_id_token(&self, token: String) {
        self.shared.lock().unwrap().id_token = Some(token);
    }

    pub fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.shared.lock().unwrap().token_requests.clone()
    }

    pub fn jwks_fetches(&self) -> usize {
        self.shared.lock().unwrap().jwks_fetches
    }
}

/// `claims` signed by `key` (ES256, its `kid`).
pub fn sign_with(key: &SigningKey, claims: &Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(key.kid.clone());
    jsonwebtoken::encode(&header, claims, &key.encoding).unwrap()
}

async fn discovery(State(shared): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let issuer = shared.lock().unwrap().issuer.clone();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(shared): State<Arc<Mutex<Shared>>>) -> Json<Value> {
    let mut shared = shared.lock().unwrap();
    shared.jwks_fetches += 1;
    Json(json!({ "keys": shared.published }))
}

async fn token(
    State(shared): State<Arc<Mutex<Shared>>>,
    Form(form): Form<HashMap<String, String>>,
) -> Json<Value> {
    let mut shared = shared.lock().unwrap();
    shared.token_requests.push(form);
    Json(json!({
        "access_token": "opaque-access-token",
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": shared.id_token.clone(),
    }))
}
