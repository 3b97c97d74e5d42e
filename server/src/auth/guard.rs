//! Request checks that keep other web pages from driving Ferry through a visitor's browser,
//! with sign-in on or off:
//!
//! - **Host** must be the public host or a loopback name (`localhost`, `*.localhost`,
//!   `127.0.0.1`, `[::1]`), whatever the port: a page that rebinds its own DNS name to
//!   127.0.0.1 still sends its own name (DNS rebinding). `421` otherwise.
//! - **State-changing requests** (anything but GET, HEAD, OPTIONS) must come from this origin:
//!   `Sec-Fetch-Site: same-origin`, or else an `Origin` equal to this server's, or carry a
//!   bearer token (which a cross-site page cannot attach). A request with neither header is
//!   no browser's cross-site request (every current browser sends one of them on a POST):
//!   curl, the SDKs and scripts keep working. `403` otherwise.
//! - **JSON endpoints accept only JSON**: a server function that takes JSON refuses any other
//!   `Content-Type` (`415`); an HTML form cannot send JSON.

use app::api::FerryError;
use http::{header, HeaderMap, Method};

/// Where this server is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origins {
    /// `host[:port]` of the public URL, lower-cased, if one is configured.
    public_authority: Option<String>,
}

impl Origins {
    pub fn new(public_url: Option<&url::Url>) -> Origins {
        Origins {
            public_authority: public_url.map(authority),
        }
    }

    /// Whether `host` (a `Host` header value) names this server.
    pub fn host_allowed(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        if Some(&host) == self.public_authority.as_ref() {
            return true;
        }
        is_loopback_name(strip_port(&host))
    }
}

/// `host[:port]` of a URL as a browser writes it in `Host` (default ports left out).
fn authority(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

fn is_loopback_name(name: &str) -> bool {
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What the request checks look at.
pub struct Request<'a> {
    pub method: &'a Method,
    pub headers: &'a HeaderMap,
}

/// Applies the checks of this module. `json_only` says whether the path is a server
/// function that takes JSON.
pub fn check(request: &Request<'_>, origins: &Origins, json_only: bool) -> Result<(), FerryError> {
    let host = header_str(request.headers, header::HOST);
    if let Some(host) = host {
        if !origins.host_allowed(host) {
            return Err(FerryError::MisdirectedRequest(format!(
                "this server does not answer for host `{host}` (set FERRY_PUBLIC_URL to the \
                 address people use)"
            )));
        }
    }
    if matches!(
        *request.method,
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return Ok(());
    }
    if !has_bearer(request.headers) {
        same_origin(
            request.headers,
            host.or(origins.public_authority.as_deref()),
        )?;
    }
    if json_only {
        let content_type = header_str(request.headers, header::CONTENT_TYPE)
            .map(app::domain::media::media_type)
            .unwrap_or_default();
        if content_type != "application/json" {
            return Err(FerryError::UnsupportedMediaType(format!(
                "this endpoint takes Content-Type application/json, not `{content_type}`"
            )));
        }
    }
    Ok(())
}

fn same_origin(headers: &HeaderMap, own_authority: Option<&str>) -> Result<(), FerryError> {
    let refuse = |why: String| {
        Err(FerryError::Forbidden(format!(
            "cross-site request refused: {why}"
        )))
    };
    if let Some(site) = header_str(headers, "sec-fetch-site") {
        return match site {
            "same-origin" => Ok(()),
            other => refuse(format!("Sec-Fetch-Site is `{other}`")),
        };
    }
    let Some(origin) = header_str(headers, header::ORIGIN) else {
        return Ok(()); // not a browser's cross-site request
    };
    let origin_authority = url::Url::parse(origin)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
        .map(|u| authority(&u));
    match (origin_authority, own_authority) {
        (Some(theirs), Some(ours)) if theirs.eq_ignore_ascii_case(ours) => Ok(()),
        _ => refuse(format!("Origin `{origin}` is not this site")),
    }
}

/// Whether the request carries `Authorization: Bearer …`.
pub fn has_bearer(headers: &HeaderMap) -> bool {
    bearer(headers).is_some()
}

/// The token of `Authorization: Bearer <token>` (scheme case-insensitive).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = header_str(headers, header::AUTHORIZATION)?;
    let (scheme, token) = value.split_once(' ')?;
    (scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty()).then(|| token.trim())
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        h
    }

    fn run(method: Method, pairs: &[(&str, &str)], origins: &Origins, json: bool) -> Option<u16> {
        let h = headers(pairs);
        check(
            &Request {
                method: &method,
                headers: &h,
            },
            origins,
            json,
        )
        .err()
        .map(|e| e.status().as_u16())
    }

    #[test]
    fn hosts_are_loopback_names_or_the_public_one() {
        let local = Origins::new(None);
        for ok in [
            "127.0.0.1:3000",
            "localhost:3000",
            "LOCALHOST",
            "app.localhost:1",
            "[::1]:3000",
            "127.1.2.3",
        ] {
            assert!(local.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "127.0.0.1.evil.example",
            "localhost.evil.example",
            "10.0.0.5:3000",
        ] {
            assert!(!local.host_allowed(bad), "{bad}");
        }
        let public = Origins::new(Some(&"https://Files.Example.com".parse().unwrap()));
        assert!(public.host_allowed("files.example.com"));
        assert!(!public.host_allowed("files.example.com:8443"));
        assert!(public.host_allowed("localhost:3000"));
        let with_port = Origins::new(Some(&"http://10.0.0.5:3000".parse().unwrap()));
        assert!(with_port.host_allowed("10.0.0.5:3000"));
        assert_eq!(
            run(Method::GET, &[("host", "evil.example")], &local, false),
            Some(421)
        );
    }

    #[test]
    fn state_changes_need_this_origin_or_a_bearer_token() {
        let o = Origins::new(None);
        let host = ("host", "127.0.0.1:3000");
        // Reads are never refused for their origin.
        assert_eq!(
            run(
                Method::GET,
                &[host, ("origin", "https://evil.example")],
                &o,
                false
            ),
            None
        );
        // Same origin, by either header.
        assert_eq!(
            run(
                Method::POST,
                &[host, ("sec-fetch-site", "same-origin")],
                &o,
                false
            ),
            None
        );
        assert_eq!(
            run(
                Method::POST,
                &[host, ("origin", "http://127.0.0.1:3000")],
                &o,
                false
            ),
            None
        );
        // Cross-site, by either header.
        for pairs in [
            &[host, ("sec-fetch-site", "cross-site")][..],
            &[host, ("sec-fetch-site", "same-site")],
            &[host, ("sec-fetch-site", "none")],
            &[host, ("origin", "https://evil.example")],
            &[host, ("origin", "http://127.0.0.1:3001")],
            &[host, ("origin", "null")],
            // Sec-Fetch-Site wins over a matching Origin.
            &[
                host,
                ("origin", "http://127.0.0.1:3000"),
                ("sec-fetch-site", "cross-site"),
            ],
        ] {
            assert_eq!(run(Method::POST, pairs, &o, false), Some(403), "{pairs:?}");
            assert_eq!(
                run(Method::DELETE, pairs, &o, false),
                Some(403),
                "{pairs:?}"
            );
        }
        // Neither header: curl, SDKs, scripts.
        assert_eq!(run(Method::POST, &[host], &o, false), None);
        assert_eq!(run(Method::PUT, &[], &o, false), None);
        // A bearer token cannot come from a cross-site form.
        assert_eq!(
            run(
                Method::POST,
                &[
                    host,
                    ("origin", "https://evil.example"),
                    ("authorization", "Bearer x")
                ],
                &o,
                false
            ),
            None
        );
        // Without a Host header, the public origin is this site's.
        let public = Origins::new(Some(&"https://files.example.com".parse().unwrap()));
        assert_eq!(
            run(
                Method::POST,
                &[("origin", "https://files.example.com")],
                &public,
                false
            ),
            None
        );
        assert_eq!(
            run(
                Method::POST,
                &[("origin", "https://evil.example")],
                &public,
                false
            ),
            Some(403)
        );
    }

    #[test]
    fn json_endpoints_take_only_json() {
        let o = Origins::new(None);
        let same = ("sec-fetch-site", "same-origin");
        assert_eq!(
            run(
                Method::POST,
                &[same, ("content-type", "application/json")],
                &o,
                true
            ),
            None
        );
        assert_eq!(
            run(
                Method::POST,
                &[same, ("content-type", "Application/JSON; charset=utf-8")],
                &o,
                true
            ),
            None
        );
        for ct in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
        ] {
            assert_eq!(
                run(Method::POST, &[same, ("content-type", ct)], &o, true),
                Some(415),
                "{ct}"
            );
        }
        assert_eq!(run(Method::POST, &[same], &o, true), Some(415));
        assert_eq!(
            run(
                Method::POST,
                &[same, ("content-type", "application/x-www-form-urlencoded")],
                &o,
                false
            ),
            None
        );
    }

    #[test]
    fn bearer_tokens_are_read_case_insensitively() {
        assert_eq!(
            bearer(&headers(&[("authorization", "Bearer abc")])),
            Some("abc")
        );
        assert_eq!(
            bearer(&headers(&[("authorization", "bearer  abc ")])),
            Some("abc")
        );
        assert_eq!(bearer(&headers(&[("authorization", "Basic abc")])), None);
        assert_eq!(bearer(&headers(&[("authorization", "Bearer ")])), None);
    }
}
