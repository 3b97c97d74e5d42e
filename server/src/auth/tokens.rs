//! Checking the issuer's JSON Web Tokens (ID tokens at sign-in, bearer tokens on the REST
//! API) with `jsonwebtoken`: signature by a key of the issuer's JWKS, asymmetric algorithms
//! only, `iss`, audience (`aud` or Cognito's `client_id`), `exp` and `nbf`. Keys are cached
//! and fetched again when a token names a `kid` the cache does not hold.

use super::issuer::{Http, IssuerError};
use app::domain::{Caller, Owner};
use jsonwebtoken::{jwk::JwkSet, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// The algorithms a token may be signed with: public-key ones only, so a key can never be
/// mistaken for an HMAC secret, and never `none`.
pub const ALLOWED_ALGORITHMS: [Algorithm; 8] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Clock skew forgiven on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 30;

/// Why a token was refused. The message is safe to show the caller.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the token is not valid: {0}")]
    Invalid(String),
    #[error("the token's key `{0}` is not one of the issuer's keys")]
    UnknownKey(String),
    #[error("the token is not for this application")]
    WrongAudience,
    #[error("the token names no usable subject")]
    BadSubject,
    #[error(transparent)]
    Issuer(#[from] IssuerError),
}

/// The claims Ferry reads. `extra` keeps the rest, where the group claim is looked up.
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub aud: Option<Audience>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub preferred_username: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Who counts as an administrator: members of `group` in the claim `claim`.
#[derive(Debug, Clone)]
pub struct AdminRule {
    pub claim: String,
    pub group: String,
}

/// A person as a verified token describes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub caller: Caller,
    /// What the header shows: name, else email, else user name, else the subject.
    pub display: String,
}

impl Claims {
    /// The token is for `client_id`: its `aud` names it, or it has no `aud` and its
    /// `client_id` claim is it (Cognito's access tokens).
    pub fn is_for(&self, client_id: &str) -> bool {
        match &self.aud {
            Some(Audience::One(a)) => a == client_id,
            Some(Audience::Many(all)) => all.iter().any(|a| a == client_id),
            None => self.client_id.as_deref() == Some(client_id),
        }
    }

    /// The person: owner from `sub`, administrator if the group claim (a list, or one
    /// space-separated string) holds the admin group.
    pub fn identity(&self, rule: &AdminRule) -> Result<Identity, TokenError> {
        let owner = Owner::parse(&self.sub).map_err(|_| TokenError::BadSubject)?;
        let admin = match self.extra.get(&rule.claim) {
            Some(serde_json::Value::Array(groups)) => groups
                .iter()
                .any(|g| g.as_str() == Some(rule.group.as_str())),
            Some(serde_json::Value::String(groups)) => {
                groups.split_whitespace().any(|g| g == rule.group)
            }
            _ => false,
        };
        let display = [
            &self.name,
            &self.email,
            &self.preferred_username,
            &self.username,
        ]
        .into_iter()
        .flatten()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| self.sub.clone());
        Ok(Identity {
            caller: Caller { owner, admin },
            display,
        })
    }
}

/// Verifies tokens of one issuer for one client.
pub struct Verifier {
    issuer: String,
    client_id: String,
    jwks_uri: url::Url,
    http: Http,
    keys: RwLock<Keys>,
    /// The least time between two fetches of the JWKS (unknown `kid`s cannot make Ferry
    /// hammer the issuer).
    min_refresh: Duration,
}

struct Keys {
    set: JwkSet,
    fetched: Option<Instant>,
}

impl Verifier {
    pub fn new(issuer: &str, client_id: &str, jwks_uri: url::Url, http: Http) -> Verifier {
        Verifier {
            issuer: issuer.to_owned(),
            client_id: client_id.to_owned(),
            jwks_uri,
            http,
            keys: RwLock::new(Keys {
                set: JwkSet { keys: Vec::new() },
                fetched: None,
            }),
            min_refresh: Duration::from_secs(1),
        }
    }

    /// Checks signature, algorithm, issuer, audience, `exp` and `nbf`.
    pub async fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|e| TokenError::Invalid(e.to_string()))?;
        if !ALLOWED_ALGORITHMS.contains(&header.alg) {
            return Err(TokenError::Invalid(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError::Invalid("the token names no key (`kid`)".into()))?;
        let key = self.key(&kid, header.alg).await?;
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.set_issuer(&[&self.issuer]);
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.validate_nbf = true;
        validation.validate_aud = false; // checked below: `aud`, or Cognito's `client_id`
        validation.leeway = LEEWAY_SECS;
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        if !data.claims.is_for(&self.client_id) {
            return Err(TokenError::WrongAudience);
        }
        Ok(data.claims)
    }

    /// The key `kid`, from the cache or a fresh JWKS.
    async fn key(&self, kid: &str, alg: Algorithm) -> Result<DecodingKey, TokenError> {
        if let Some(key) = find(&self.keys.read().await.set, kid, alg)? {
            return Ok(key);
        }
        let mut keys = self.keys.write().await;
        let stale = keys
            .fetched
            .is_none_or(|at| at.elapsed() >= self.min_refresh);
        if stale {
            keys.set = self.http.get_json(&self.jwks_uri).await?;
            keys.fetched = Some(Instant::now());
        }
        find(&keys.set, kid, alg)?.ok_or_else(|| TokenError::UnknownKey(kid.to_owned()))
    }
}

/// The key `kid` of the set, if it is there and may sign with `alg`.
fn find(set: &JwkSet, kid: &str, alg: Algorithm) -> Result<Option<DecodingKey>, TokenError> {
    let Some(jwk) = set.find(kid) else {
        return Ok(None);
    };
    if let Some(key_alg) = jwk.common.key_algorithm {
        if key_alg.to_string() != format!("{alg:?}") {
            return Err(TokenError::Invalid(format!(
                "key `{kid}` is for {key_alg}, not {alg:?}"
            )));
        }
    }
    DecodingKey::from_jwk(jwk)
        .map(Some)
        .map_err(|e| TokenError::Invalid(format!("key `{kid}`: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(json: serde_json::Value) -> Claims {
        serde_json::from_value(json).unwrap()
    }

    fn rule() -> AdminRule {
        AdminRule {
            claim: "cognito:groups".into(),
            group: "ferry-admins".into(),
        }
    }

    #[test]
    fn audience_is_aud_or_cognitos_client_id() {
        let c = |v| claims(v).is_for("ferry");
        assert!(c(serde_json::json!({"sub": "a", "aud": "ferry"})));
        assert!(c(serde_json::json!({"sub": "a", "aud": ["x", "ferry"]})));
        assert!(!c(serde_json::json!({"sub": "a", "aud": "other"})));
        assert!(c(serde_json::json!({"sub": "a", "client_id": "ferry"})));
        assert!(!c(serde_json::json!({"sub": "a", "client_id": "other"})));
        assert!(!c(
            serde_json::json!({"sub": "a", "aud": "other", "client_id": "ferry"})
        ));
        assert!(!c(serde_json::json!({"sub": "a"})));
    }

    #[test]
    fn identity_reads_owner_admin_group_and_display_name() {
        let id = claims(serde_json::json!({
            "sub": "0b7e4f5a-1c2d", "email": "a@example.com",
            "cognito:groups": ["staff", "ferry-admins"]
        }))
        .identity(&rule())
        .unwrap();
        assert_eq!(id.caller.owner.as_str(), "0b7e4f5a-1c2d");
        assert!(id.caller.admin);
        assert_eq!(id.display, "a@example.com");

        let id = claims(
            serde_json::json!({"sub": "b", "name": "Bea", "cognito:groups": "x ferry-admins"}),
        )
        .identity(&rule())
        .unwrap();
        assert!(id.caller.admin);
        assert_eq!(id.display, "Bea");

        let id = claims(serde_json::json!({"sub": "c", "cognito:groups": ["ferry-admins-not"]}))
            .identity(&rule())
            .unwrap();
        assert!(!id.caller.admin);
        assert_eq!(id.display, "c");

        assert!(matches!(
            claims(serde_json::json!({"sub": "a/b"})).identity(&rule()),
            Err(TokenError::BadSubject)
        ));
    }
}
