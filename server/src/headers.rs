//! The security headers on every response: a Content-Security-Policy that allows exactly what
//! the app needs, `X-Content-Type-Options: nosniff` and a `Referrer-Policy`.
//!
//! Inline scripts (the early theme script, the module script that hydrates the page, Leptos'
//! serialised resources and, under `cargo leptos watch`, its reload script) and the inlined
//! stylesheet are allowed by a nonce made per response: [`security_headers`] puts it into the
//! request's extensions as a [`CspNonce`], the page renderer hands it to Leptos
//! (`leptos::nonce::Nonce`), which writes it on every `<script>` and `<style>` it renders, and
//! the response's policy names it. Nothing else is inline: no `'unsafe-inline'`, no
//! `'unsafe-eval'` (`'wasm-unsafe-eval'` compiles the bundle), no `style` attributes.

use axum::{
    extract::{Request, State},
    http::{header, HeaderName, HeaderValue},
    middleware::Next,
    response::Response,
};
use std::sync::Arc;

/// Referer headers stay on Ferry's own origin: nothing (a page URL, a presigned URL) is sent
/// to S3, the issuer or anyone else. Not `no-referrer`: a form posted without JavaScript
/// (mark uploaded, delete, restore) is redirected back to the page that posted it, which the
/// server learns from the same-origin `Referer`.
pub const REFERRER_POLICY: &str = "same-origin";

/// The per-response nonce of the inline scripts, in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CspNonce(pub String);

/// What the policy allows beyond Ferry's own origin. Built once at start-up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The origin presigned S3 URLs point at (uploads, downloads, previews), e.g.
    /// `http://127.0.0.1:9000` or `https://bucket.s3.eu-west-1.amazonaws.com`.
    pub s3: Option<String>,
    /// Under `cargo leptos watch` (`LEPTOS_WATCH`), the port of its reload WebSocket, which
    /// the page reaches at its own host name.
    pub reload_port: Option<u32>,
}

/// The Content-Security-Policy of one response whose inline scripts carry `nonce`.
pub fn content_security_policy(nonce: &str, sources: &Sources) -> String {
    let s3 = sources
        .s3
        .as_deref()
        .map(|o| format!(" {o}"))
        .unwrap_or_default();
    let reload = sources
        .reload_port
        .map(|p| format!(" ws://*:{p} wss://*:{p}"))
        .unwrap_or_default();
    [
        "default-src 'self'".to_string(),
        format!("script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'"),
        format!("style-src 'self' 'nonce-{nonce}'"),
        // `blob:`: pictures of the images picked for upload, before their bytes are sent.
        format!("img-src 'self' blob:{s3}"),
        format!("connect-src 'self'{s3}{reload}"),
        "object-src 'none'".to_string(),
        "base-uri 'none'".to_string(),
        // Forms only post to Ferry and end on Ferry: sign-out goes on to the issuer from
        // a page of its own (`/auth/end-session`), not as the form's redirect.
        "form-action 'self'".to_string(),
        "frame-ancestors 'none'".to_string(),
    ]
    .join("; ")
}

/// The origin (`scheme://host[:port]`) of a URL, as a CSP source; `None` for URLs without
/// one (`data:`, opaque origins).
pub fn origin_of(url: &url::Url) -> Option<String> {
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Middleware: a fresh nonce into the request's extensions, the headers onto the response
/// (a handler's own `Content-Security-Policy`, if any, is kept).
pub async fn security_headers(
    State(sources): State<Arc<Sources>>,
    mut req: Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce, &sources)) {
        headers
            .entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(csp);
    }
    let fixed: [(HeaderName, &str); 2] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, REFERRER_POLICY),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_the_app_s3_and_the_issuer_and_nothing_inline() {
        let sources = Sources {
            s3: Some("http://127.0.0.1:9000".into()),
            reload_port: None,
        };
        assert_eq!(
            content_security_policy("abc", &sources),
            "default-src 'self'; \
             script-src 'self' 'nonce-abc' 'wasm-unsafe-eval'; \
             style-src 'self' 'nonce-abc'; \
             img-src 'self' blob: http://127.0.0.1:9000; \
             connect-src 'self' http://127.0.0.1:9000; \
             object-src 'none'; \
             base-uri 'none'; \
             form-action 'self'; \
             frame-ancestors 'none'"
        );
        let alone = content_security_policy("n", &Sources::default());
        assert!(alone.contains("connect-src 'self';"), "{alone}");
        assert!(alone.contains("form-action 'self';"), "{alone}");
        assert!(!alone.contains("unsafe-inline") && !alone.contains("'unsafe-eval'"));
        let watching = Sources {
            reload_port: Some(3001),
            ..Sources::default()
        };
        assert!(content_security_policy("n", &watching)
            .contains("connect-src 'self' ws://*:3001 wss://*:3001;"));
    }

    #[test]
    fn origins_are_scheme_host_and_port() {
        let origin = |u: &str| origin_of(&url::Url::parse(u).unwrap());
        assert_eq!(
            origin("https://ferry.s3.eu-west-1.amazonaws.com/uploads/a?X-Amz-Signature=1"),
            Some("https://ferry.s3.eu-west-1.amazonaws.com".into())
        );
        assert_eq!(
            origin("http://127.0.0.1:9000/ferry/k"),
            Some("http://127.0.0.1:9000".into())
        );
        assert_eq!(
            origin("https://example.com:443/x"),
            Some("https://example.com".into())
        );
        assert_eq!(origin("data:text/plain,hi"), None);
    }
}
