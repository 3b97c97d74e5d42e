//! Who is asking, and whether to answer: sign-in with OpenID Connect (`flow`), sessions in
//! private cookies (`session`), bearer tokens checked against the issuer's keys (`tokens`,
//! `issuer`), and the request checks that stop other sites driving Ferry (`guard`).
//!
//! [`authenticate`] runs before every handler. It applies the [`guard`] checks, then puts the
//! request's [`Caller`] (and, for a signed-in person, the [`Viewer`] the header shows) into
//! the request's extensions, where REST handlers, server functions and pages find it. With
//! sign-in off every request is [`Caller::local`]. With it on, a request with no valid
//! credentials gets `401` (REST and server functions, with `WWW-Authenticate: Bearer`) or a
//! `303` to the sign-in page (pages), except on the few paths anyone may fetch ([`is_public`]).

mod flow;
mod guard;
mod issuer;
mod session;
mod tokens;

pub use guard::Origins;
pub use issuer::{Discovery, Http, IssuerError};
pub use session::{Session, SESSION_COOKIE, SESSION_SECS};
pub use tokens::{AdminRule, Claims, Identity, TokenError, Verifier, ALLOWED_ALGORITHMS};

use crate::{
    api::ApiError,
    config::{AccessSettings, AuthMode},
    keys::ServerKey,
};
use app::{
    account::Viewer,
    api::FerryError,
    domain::{safe_next, Caller},
};
use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
    Router,
};
use session::Cookies;
use std::{net::SocketAddr, sync::Arc};

/// How this server decides who is asking. Cheap to clone.
#[derive(Clone)]
pub struct Access {
    origins: Origins,
    oidc: Option<Arc<Oidc>>,
}

/// Sign-in with one OpenID Connect issuer.
pub struct Oidc {
    issuer: url::Url,
    client_id: String,
    client_secret: Option<String>,
    scopes: Vec<String>,
    admin: AdminRule,
    public_url: url::Url,
    redirect_url: url::Url,
    cookies: Cookies,
    http: Http,
    /// Discovery and keys, fetched on first use (a failure is retried on the next request).
    provider: tokio::sync::OnceCell<Provider>,
}

struct Provider {
    discovery: Discovery,
    verifier: Verifier,
}

impl Oidc {
    async fn provider(&self) -> Result<&Provider, IssuerError> {
        self.provider
            .get_or_try_init(|| async {
                let discovery = Discovery::fetch(&self.http, &self.issuer).await?;
                let verifier = Verifier::new(
                    &discovery.issuer,
                    &self.client_id,
                    discovery.jwks_uri.clone(),
                    self.http.clone(),
                );
                Ok(Provider {
                    discovery,
                    verifier,
                })
            })
            .await
    }
}

impl Access {
    /// No sign-in: every request is the local owner (the request checks still apply).
    pub fn open(public_url: Option<&url::Url>) -> Access {
        Access {
            origins: Origins::new(public_url),
            oidc: None,
        }
    }

    /// From the settings. `key` is the server's (the session cookies' key is derived from
    /// it), `listening` the address `ferry serve` listens on (the public URL when none is
    /// configured).
    pub fn from_settings(
        settings: &AccessSettings,
        key: &ServerKey,
        listening: Option<SocketAddr>,
    ) -> Result<Access, String> {
        let public_url = match (&settings.public_url, listening) {
            (Some(url), _) => Some(url.clone()),
            (None, Some(addr)) => {
                Some(url::Url::parse(&format!("http://{addr}")).map_err(|e| e.to_string())?)
            }
            (None, None) => None,
        };
        if settings.auth == AuthMode::None {
            return Ok(Access::open(settings.public_url.as_ref()));
        }
        let missing = |name: &str| format!("FERRY_AUTH=oidc needs {name}");
        let issuer = settings
            .oidc_issuer
            .clone()
            .ok_or_else(|| missing("FERRY_OIDC_ISSUER"))?;
        let client_id = settings
            .oidc_client_id
            .clone()
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| missing("FERRY_OIDC_CLIENT_ID"))?;
        let public_url = public_url.ok_or_else(|| missing("FERRY_PUBLIC_URL"))?;
        let redirect_url = public_url
            .join("/auth/callback")
            .map_err(|e| e.to_string())?;
        let http = Http::new().map_err(|e| e.to_string())?;
        let oidc = Oidc {
            issuer,
            client_id,
            client_secret: settings.oidc_client_secret.clone(),
            scopes: settings
                .oidc_scopes
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            admin: AdminRule {
                claim: settings.admin_claim.clone(),
                group: settings.admin_group.clone(),
            },
            cookies: Cookies {
                key: key.cookies(),
                secure: public_url.scheme() == "https",
            },
            public_url: public_url.clone(),
            redirect_url,
            http,
            provider: tokio::sync::OnceCell::new(),
        };
        Ok(Access {
            origins: Origins::new(Some(&public_url)),
            oidc: Some(Arc::new(oidc)),
        })
    }

    fn oidc(&self) -> Option<&Oidc> {
        self.oidc.as_deref()
    }

    /// Whether people sign in.
    pub fn signs_in(&self) -> bool {
        self.oidc.is_some()
    }
}

/// `ferry serve` without sign-in answers only on loopback: on any other address anyone who
/// can reach it could read, change and delete every file. `--allow-anonymous` overrides.
pub fn refuse_open_network(settings: &AccessSettings, addr: SocketAddr) -> Result<(), String> {
    if settings.auth == AuthMode::None && !addr.ip().is_loopback() && !settings.allow_anonymous {
        return Err(format!(
            "refusing to serve {addr} without sign-in: anyone who can reach it could read, \
             change and delete every file. Turn sign-in on (FERRY_AUTH=oidc with \
             FERRY_OIDC_ISSUER and FERRY_OIDC_CLIENT_ID), listen on a loopback address \
             (127.0.0.1), or pass --allow-anonymous (FERRY_ALLOW_ANONYMOUS=true) if that is \
             what you want."
        ));
    }
    Ok(())
}

/// `/auth/login`, `/auth/callback`, `/auth/logout`.
pub fn router<S: Clone + Send + Sync + 'static>(access: Access) -> Router<S> {
    Router::new()
        .route("/auth/login", get(flow::login))
        .route("/auth/callback", get(flow::callback))
        .route("/auth/logout", post(flow::logout))
        .route("/auth/end-session", get(flow::end_session))
        .with_state(access)
}

/// Paths anyone may fetch signed out: the sign-in page and flow, the bundle and public
/// files, the API description, the server function that tells the header who (if anyone)
/// is signed in, and share links (`/s/<token>` and the server function that opens one: the
/// token is the permission).
pub fn is_public(path: &str) -> bool {
    use leptos::server_fn::ServerFn;
    path == "/sign-in"
        || path.starts_with("/auth/")
        || path.starts_with(crate::shares::SHARE_PREFIX)
        || path == app::api::OpenShare::PATH
        || path.starts_with("/pkg/")
        || path == "/openapi.json"
        || path == app::account::CurrentViewer::PATH
        // files at the site root (favicon.svg, robots.txt, …): pages have no dot
        || (path.rfind('/') == Some(0) && path.contains('.'))
}

/// Requests whose callers are programs: the REST API and the server functions. Anything else
/// is a page, which sends a signed-out person to sign in.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
        || path == "/asset"
        || path.starts_with("/asset/")
        || path == "/metadata"
        || path.starts_with("/metadata/")
        || path == "/folder"
        || path.starts_with("/folder/")
}

/// Server functions that take JSON (all but the ones HTML forms post).
fn takes_json(method: &Method, path: &str) -> bool {
    method == Method::POST && path.starts_with("/api/") && !app::api::FORM_ENDPOINTS.contains(&path)
}

/// The middleware: request checks, then the caller. See the module documentation.
pub async fn authenticate(State(access): State<Access>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let checked = guard::check(
        &guard::Request {
            method: req.method(),
            headers: req.headers(),
        },
        &access.origins,
        takes_json(req.method(), &path),
    );
    if let Err(e) = checked {
        return ApiError(e).into_response();
    }
    let Some(oidc) = access.oidc() else {
        req.extensions_mut().insert(Caller::local());
        return next.run(req).await;
    };
    if let Some(token) = guard::bearer(req.headers()) {
        return match bearer_identity(oidc, token).await {
            Ok(identity) => {
                req.extensions_mut().insert(identity.caller);
                next.run(req).await
            }
            Err(e) => unauthorized(&e.to_string(), Some("invalid_token")),
        };
    }
    let now = chrono::Utc::now().timestamp();
    if let Some(session) = oidc
        .cookies
        .read::<Session>(req.headers(), SESSION_COOKIE, now)
    {
        req.extensions_mut().insert(session.caller());
        req.extensions_mut().insert(Viewer {
            display: session.display,
            admin: session.admin,
        });
        return next.run(req).await;
    }
    if is_public(&path) {
        return next.run(req).await;
    }
    if is_api(&path) || !matches!(*req.method(), Method::GET | Method::HEAD) {
        return unauthorized("sign in, or send Authorization: Bearer <token>", None);
    }
    let next_path = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_owned();
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("next", &safe_next(Some(&next_path)))
        .finish();
    Redirect::to(&format!("/sign-in?{query}")).into_response()
}

async fn bearer_identity(oidc: &Oidc, token: &str) -> Result<Identity, TokenError> {
    let provider = oidc.provider().await?;
    provider.verifier.verify(token).await?.identity(&oidc.admin)
}

/// `401` with the REST error body and `WWW-Authenticate: Bearer` (RFC 6750 §3).
fn unauthorized(message: &str, error: Option<&str>) -> Response {
    let mut response = ApiError(FerryError::Unauthorized(message.to_owned())).into_response();
    let challenge = match error {
        Some(code) => format!(
            "Bearer realm=\"ferry\", error=\"{code}\", error_description=\"{}\"",
            message.replace(['"', '\\'], "'")
        ),
        None => "Bearer realm=\"ferry\"".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_are_few() {
        for p in [
            "/sign-in",
            "/auth/login",
            "/auth/callback",
            "/pkg/ferry.js",
            "/favicon.svg",
            "/openapi.json",
            "/api/viewer",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/",
            "/assets",
            "/assets/01J0000000000000000000000",
            "/upload",
            "/asset",
            "/api/list_assets",
            "/metadata",
            "/folder",
            "/folder/01J0000000000000000000000",
            "/assets/x.y/download",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn only_form_endpoints_take_forms() {
        assert!(takes_json(&Method::POST, "/api/list_assets"));
        assert!(!takes_json(&Method::POST, "/api/delete_asset"));
        assert!(!takes_json(&Method::GET, "/api/list_assets"));
        assert!(!takes_json(&Method::POST, "/asset"));
    }
}
