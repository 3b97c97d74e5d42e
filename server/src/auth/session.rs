//! The session: a private cookie (encrypted and authenticated with a key derived from the
//! configured secret, AES-256-GCM via the `cookie` crate) that holds who signed in and until
//! when, so any instance can verify it without a session table. A second private cookie
//! carries one sign-in attempt (state, nonce, PKCE verifier, where to return) from
//! `/auth/login` to `/auth/callback`.

use app::domain::{Caller, Owner};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use serde::{de::DeserializeOwned, Deserialize, Serialize};

pub const SESSION_COOKIE: &str = "ferry_session";
pub const LOGIN_COOKIE: &str = "ferry_login";
/// How long a sign-in lasts.
pub const SESSION_SECS: i64 = 12 * 60 * 60;
/// How long a person has to finish signing in at the issuer.
pub const LOGIN_SECS: i64 = 10 * 60;

/// A signed-in person, as the session cookie holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub owner: Owner,
    pub admin: bool,
    pub display: String,
    /// Unix seconds after which the session is over (the cookie's `Max-Age` says the same).
    pub exp: i64,
}

impl Session {
    pub fn caller(&self) -> Caller {
        Caller {
            owner: self.owner.clone(),
            admin: self.admin,
        }
    }
}

/// One sign-in attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttempt {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
    pub exp: i64,
}

/// A value with an expiry.
pub trait Expiring {
    fn exp(&self) -> i64;
}

impl Expiring for Session {
    fn exp(&self) -> i64 {
        self.exp
    }
}

impl Expiring for LoginAttempt {
    fn exp(&self) -> i64 {
        self.exp
    }
}

/// How cookies are written: `Secure` when the public URL is https.
#[derive(Clone)]
pub struct Cookies {
    pub key: Key,
    pub secure: bool,
}

impl Cookies {
    /// The value of the private cookie `name`, if it decrypts, parses and has not expired.
    pub fn read<T: DeserializeOwned + Expiring>(
        &self,
        headers: &http::HeaderMap,
        name: &str,
        now: i64,
    ) -> Option<T> {
        let jar = PrivateCookieJar::from_headers(headers, self.key.clone());
        let value: T = serde_json::from_str(jar.get(name)?.value()).ok()?;
        (value.exp() > now).then_some(value)
    }

    /// The request's cookies, to add to or remove from (a cookie can only be removed from a
    /// jar that holds it).
    pub fn jar(&self, headers: &http::HeaderMap) -> PrivateCookieJar {
        PrivateCookieJar::from_headers(headers, self.key.clone())
    }

    /// `jar` with the private cookie `name` set to `value` for `max_age` seconds.
    pub fn write<T: Serialize>(
        &self,
        jar: PrivateCookieJar,
        name: &'static str,
        value: &T,
        max_age: i64,
        path: &'static str,
    ) -> PrivateCookieJar {
        let json = serde_json::to_string(value).expect("cookie values serialise");
        let cookie = Cookie::build((name, json))
            .path(path)
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(cookie::time::Duration::seconds(max_age));
        jar.add(cookie)
    }

    /// `jar` with the cookie `name` removed.
    pub fn clear(
        &self,
        jar: PrivateCookieJar,
        name: &'static str,
        path: &'static str,
    ) -> PrivateCookieJar {
        jar.remove(Cookie::build(name).path(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(exp: i64) -> Session {
        Session {
            owner: Owner::parse("alice").unwrap(),
            admin: false,
            display: "Alice".into(),
            exp,
        }
    }

    fn headers_of(jar: PrivateCookieJar) -> http::HeaderMap {
        use axum::response::IntoResponse;
        let response = (jar, "").into_response();
        let mut headers = http::HeaderMap::new();
        for set in response.headers().get_all(http::header::SET_COOKIE) {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
            headers.append(http::header::COOKIE, pair.parse().unwrap());
        }
        headers
    }

    #[test]
    fn sessions_round_trip_expire_and_need_the_key() {
        let cookies = Cookies {
            key: Key::derive_from(&[7; 32]),
            secure: true,
        };
        let headers = headers_of(cookies.write(
            cookies.jar(&http::HeaderMap::new()),
            SESSION_COOKIE,
            &session(2_000),
            60,
            "/",
        ));
        assert_eq!(
            cookies.read::<Session>(&headers, SESSION_COOKIE, 1_000),
            Some(session(2_000))
        );
        assert_eq!(
            cookies.read::<Session>(&headers, SESSION_COOKIE, 2_000),
            None
        );
        let other = Cookies {
            key: Key::derive_from(&[8; 32]),
            secure: true,
        };
        assert_eq!(other.read::<Session>(&headers, SESSION_COOKIE, 1_000), None);
        // A cookie written in clear (or tampered with) is not a session.
        let mut forged = http::HeaderMap::new();
        let json = serde_json::to_string(&session(2_000)).unwrap();
        forged.insert(
            http::header::COOKIE,
            format!("{SESSION_COOKIE}={json}").parse().unwrap(),
        );
        assert_eq!(
            cookies.read::<Session>(&forged, SESSION_COOKIE, 1_000),
            None
        );
    }

    #[test]
    fn session_cookies_are_http_only_lax_and_secure_on_https() {
        use axum::response::IntoResponse;
        let cookies = Cookies {
            key: Key::derive_from(&[7; 32]),
            secure: true,
        };
        let response = (
            cookies.write(
                cookies.jar(&http::HeaderMap::new()),
                SESSION_COOKIE,
                &session(2_000),
                60,
                "/",
            ),
            "",
        )
            .into_response();
        let set = response.headers()[http::header::SET_COOKIE]
            .to_str()
            .unwrap()
            .to_owned();
        for part in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=60"] {
            assert!(set.contains(part), "{set}");
        }
    }
}
