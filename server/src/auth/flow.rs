//! The sign-in flow, OpenID Connect's authorization code flow with PKCE (S256), `state` and
//! `nonce` (`oauth2` builds the requests; the ID token is checked by [`Verifier`]):
//!
//! 1. `GET /auth/login?next=/path`: a [`LoginAttempt`] goes into a private cookie; 303 to the
//!    issuer's authorization endpoint.
//! 2. `GET /auth/callback?code&state`: the attempt must match `state`; the code is exchanged
//!    with the PKCE verifier (and the client secret, if any); the ID token must verify and
//!    carry the attempt's nonce. The [`Session`] cookie is set; 303 to `next`.
//! 3. `POST /auth/logout`: the session cookie is cleared; 303 to `/auth/end-session`, a page
//!    that sends the browser on to the issuer's end-session endpoint (which returns to
//!    `/sign-in`), or 303 to `/sign-in` when the issuer has none. The hop keeps the issuer out
//!    of the sign-out form's redirects, so the pages' CSP `form-action` stays `'self'` (the
//!    issuer's end-session endpoint may be on another origin than the issuer, as Cognito's
//!    hosted UI is). Without an end-session endpoint the issuer's own session stays, so
//!    signing in again may not ask for a password.
//!
//! A failed sign-in returns to `/sign-in?error=<reason>&next=…`; its cause is logged.

use super::{
    issuer::IssuerError,
    session::{LoginAttempt, Session, LOGIN_COOKIE, LOGIN_SECS, SESSION_COOKIE, SESSION_SECS},
    tokens::TokenError,
    Access, Oidc,
};
use app::domain::safe_next;
use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use oauth2::{
    basic::{
        BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
        BasicTokenType,
    },
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    ExtraTokenFields, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
    StandardRevocableToken, StandardTokenResponse, TokenUrl,
};
use serde::{Deserialize, Serialize};

/// The token endpoint's answer: OAuth 2's, plus the ID token.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdTokenField {
    id_token: Option<String>,
}
impl ExtraTokenFields for IdTokenField {}

type TokenResponse = StandardTokenResponse<IdTokenField, BasicTokenType>;
type CodeClient = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// Why a sign-in failed, as the sign-in page names it.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// No (or an expired) attempt cookie, or a `state` that does not match it.
    Expired,
    /// The issuer said no (the person cancelled, or is not allowed).
    Denied,
    /// Anything else: the issuer unreachable, a bad token. Logged.
    Failed,
}

impl Failure {
    fn code(self) -> &'static str {
        match self {
            Failure::Expired => "expired",
            Failure::Denied => "denied",
            Failure::Failed => "failed",
        }
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn sign_in_page(error: Option<Failure>, next: &str) -> Response {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(e) = error {
        query.append_pair("error", e.code());
    }
    query.append_pair("next", next);
    Redirect::to(&format!("/sign-in?{}", query.finish())).into_response()
}

fn client(oidc: &Oidc, discovery: &super::issuer::Discovery) -> CodeClient {
    let client = oauth2::Client::new(ClientId::new(oidc.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(discovery.authorization_endpoint.clone()))
        .set_token_uri(TokenUrl::from_url(discovery.token_endpoint.clone()))
        .set_redirect_uri(RedirectUrl::from_url(oidc.redirect_url.clone()));
    match &oidc.client_secret {
        Some(secret) => client.set_client_secret(ClientSecret::new(secret.clone())),
        None => client,
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /auth/login?next=`.
pub async fn login(
    State(access): State<Access>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let next = safe_next(q.next.as_deref());
    let Some(oidc) = access.oidc() else {
        return Redirect::to(&next).into_response(); // nothing to sign in to
    };
    let provider = match oidc.provider().await {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e, "sign-in: the issuer's discovery failed");
            return sign_in_page(Some(Failure::Failed), &next);
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let nonce = CsrfToken::new_random();
    let (url, state) = client(oidc, &provider.discovery)
        .authorize_url(CsrfToken::new_random)
        .add_scopes(oidc.scopes.iter().map(|s| Scope::new(s.clone())))
        .add_extra_param("nonce", nonce.secret())
        .set_pkce_challenge(challenge)
        .url();
    let attempt = LoginAttempt {
        state: state.secret().clone(),
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
        next,
        exp: now() + LOGIN_SECS,
    };
    let jar = oidc.cookies.write(
        oidc.cookies.jar(&headers),
        LOGIN_COOKIE,
        &attempt,
        LOGIN_SECS,
        "/auth",
    );
    (jar, Redirect::to(url.as_str())).into_response()
}

#[derive(Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/callback?code=&state=` (or `?error=` when the issuer refused).
pub async fn callback(
    State(access): State<Access>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let Some(oidc) = access.oidc() else {
        return Redirect::to("/").into_response();
    };
    let attempt: Option<LoginAttempt> = oidc.cookies.read(&headers, LOGIN_COOKIE, now());
    let jar = oidc
        .cookies
        .clear(oidc.cookies.jar(&headers), LOGIN_COOKIE, "/auth");
    let Some(attempt) = attempt.filter(|a| q.state.as_deref() == Some(a.state.as_str())) else {
        return (jar, sign_in_page(Some(Failure::Expired), "/assets")).into_response();
    };
    if let Some(error) = q.error {
        tracing::info!(%error, "sign-in: the issuer refused");
        return (jar, sign_in_page(Some(Failure::Denied), &attempt.next)).into_response();
    }
    match finish(oidc, &attempt, q.code.as_deref()).await {
        Ok(session) => {
            let jar = oidc
                .cookies
                .write(jar, SESSION_COOKIE, &session, SESSION_SECS, "/");
            (jar, Redirect::to(&attempt.next)).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "sign-in failed");
            (jar, sign_in_page(Some(Failure::Failed), &attempt.next)).into_response()
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CallbackError {
    #[error("the callback carries no code")]
    NoCode,
    #[error(transparent)]
    Issuer(#[from] IssuerError),
    #[error("code exchange: {0}")]
    Exchange(String),
    #[error("the token answer has no ID token")]
    NoIdToken,
    #[error("ID token: {0}")]
    Token(#[from] TokenError),
    #[error("the ID token's nonce is not this sign-in's")]
    Nonce,
}

async fn finish(
    oidc: &Oidc,
    attempt: &LoginAttempt,
    code: Option<&str>,
) -> Result<Session, CallbackError> {
    let code = code.ok_or(CallbackError::NoCode)?;
    let provider = oidc.provider().await?;
    let http = {
        let http = oidc.http.clone();
        move |request: oauth2::HttpRequest| {
            let http = http.clone();
            async move { http.send(request).await }
        }
    };
    let token = client(oidc, &provider.discovery)
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(attempt.pkce_verifier.clone()))
        .request_async(&http)
        .await
        .map_err(|e| CallbackError::Exchange(crate::aws::error_chain(&e)))?;
    let id_token = token
        .extra_fields()
        .id_token
        .as_deref()
        .ok_or(CallbackError::NoIdToken)?;
    let claims = provider.verifier.verify(id_token).await?;
    if claims.nonce.as_deref() != Some(attempt.nonce.as_str()) {
        return Err(CallbackError::Nonce);
    }
    let identity = claims.identity(&oidc.admin)?;
    Ok(Session {
        owner: identity.caller.owner,
        admin: identity.caller.admin,
        display: identity.display,
        exp: now() + SESSION_SECS,
    })
}

/// `POST /auth/logout`.
pub async fn logout(State(access): State<Access>, headers: HeaderMap) -> Response {
    let Some(oidc) = access.oidc() else {
        return Redirect::to("/").into_response();
    };
    let jar = oidc
        .cookies
        .clear(oidc.cookies.jar(&headers), SESSION_COOKIE, "/");
    (jar, Redirect::to("/auth/end-session")).into_response()
}

/// The issuer's end-session URL, returning to `/sign-in`, if it has an end-session endpoint.
async fn end_session_url(oidc: &Oidc) -> Option<url::Url> {
    let provider = oidc.provider().await.ok()?;
    let mut url = provider.discovery.end_session_endpoint.clone()?;
    let signed_out = oidc.public_url.join("/sign-in").ok()?;
    // OpenID Connect RP-initiated logout names the return address `post_logout_redirect_uri`;
    // Cognito's `/logout` reads `logout_uri`.
    url.query_pairs_mut()
        .append_pair("client_id", &oidc.client_id)
        .append_pair("post_logout_redirect_uri", signed_out.as_str())
        .append_pair("logout_uri", signed_out.as_str());
    Some(url)
}

/// `GET /auth/end-session`: a page that moves on to the issuer's end-session endpoint (a
/// navigation of its own, not a form's redirect), or 303 to `/sign-in`.
pub async fn end_session(State(access): State<Access>) -> Response {
    let Some(oidc) = access.oidc() else {
        return Redirect::to("/").into_response();
    };
    let Some(url) = end_session_url(oidc).await else {
        return Redirect::to("/sign-in").into_response();
    };
    let href = html_attribute(url.as_str());
    let page = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"refresh\" content=\"0;url={href}\">\
         <title>Signing out · Ferry</title></head><body><main>\
         <p>Signed out of Ferry. Ending your session at your sign-in provider…</p>\
         <p><a href=\"{href}\">Continue</a></p></main></body></html>"
    );
    (
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        axum::response::Html(page),
    )
        .into_response()
}

/// `s` as an HTML attribute value (inside double quotes).
fn html_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_values_cannot_break_out() {
        assert_eq!(
            html_attribute(r#"https://x/?a=1&b="><script>"#),
            "https://x/?a=1&amp;b=&quot;&gt;&lt;script&gt;"
        );
    }
}
