//! The security headers on every response, and a Content-Security-Policy whose nonce every
//! inline script of the rendered pages carries.

use crate::{
    harness::{Reply, TestApp, TestIssuer},
    shell::hashed_site,
};
use axum::http::{header, StatusCode};

/// The directives of a policy, by name.
fn directives(csp: &str) -> Vec<(String, Vec<String>)> {
    csp.split(';')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            let mut words = d.split_whitespace().map(str::to_string);
            (words.next().unwrap(), words.collect())
        })
        .collect()
}

fn directive(csp: &str, name: &str) -> Vec<String> {
    directives(csp)
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in {csp}"))
        .1
}

fn csp(r: &Reply) -> String {
    r.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_string()
}

/// Every `<{tag} …>…</{tag}>` of a page (`script`, `style`): its attributes (as written) and
/// its text.
fn elements(html: &str, tag: &str) -> Vec<(String, String)> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut found = vec![];
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let open_end = after.find('>').expect("a closed opening tag");
        let attributes = after[..open_end].to_string();
        let body = &after[open_end + 1..];
        let end = body.find(&close).expect("a closing tag");
        found.push((attributes, body[..end].to_string()));
        rest = &body[end..];
    }
    found
}

fn attribute<'a>(attributes: &'a str, name: &str) -> Option<&'a str> {
    let start = attributes.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = attributes[start..].find('"')? + start;
    Some(&attributes[start..end])
}

fn assert_security_headers(what: &str, r: &Reply) {
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, server::headers::REFERRER_POLICY),
    ] {
        assert_eq!(
            r.headers.get(&name).map(|v| v.to_str().unwrap()),
            Some(value),
            "{what}: {name}"
        );
    }
    let csp = csp(r);
    assert_eq!(directive(&csp, "frame-ancestors"), ["'none'"], "{what}");
    assert_eq!(directive(&csp, "default-src"), ["'self'"], "{what}");
    assert_eq!(directive(&csp, "base-uri"), ["'none'"], "{what}");
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"),
        "{what}: {csp}"
    );
}

// Multi-threaded like the real server: resolved pages may render on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_security_headers() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    let id = app.uploaded("a.txt", b"a").await;
    let s3 = app.embedded.s3_endpoint.trim_end_matches('/').to_string();
    for (path, status) in [
        ("/".to_string(), StatusCode::OK),
        ("/assets".into(), StatusCode::OK),
        (format!("/assets/{id}"), StatusCode::OK),
        ("/assets/not-an-id".into(), StatusCode::NOT_FOUND),
        ("/no/such/page".into(), StatusCode::NOT_FOUND),
        ("/sign-in".into(), StatusCode::OK),
        ("/assets/".into(), StatusCode::PERMANENT_REDIRECT),
        ("/favicon.ico".into(), StatusCode::OK),
        ("/pkg/manifest.json".into(), StatusCode::OK),
        ("/asset".into(), StatusCode::OK),
        (format!("/assets/{id}/download"), StatusCode::SEE_OTHER),
        ("/openapi.json".into(), StatusCode::OK),
        ("/asset/not-an-id".into(), StatusCode::BAD_REQUEST),
    ] {
        let r = app.get(&path).await;
        assert_eq!(r.status, status, "{path}");
        assert_security_headers(&path, &r);
        // Uploads, downloads and previews go to the embedded S3, and only there.
        let csp = csp(&r);
        assert_eq!(
            directive(&csp, "connect-src"),
            ["'self'", s3.as_str()],
            "{path}"
        );
        assert_eq!(
            directive(&csp, "img-src"),
            ["'self'", "blob:", s3.as_str()],
            "{path}"
        );
        assert_eq!(directive(&csp, "form-action"), ["'self'"], "{path}");
    }
    // A refused request too (no sign-in: a cross-site POST is 403).
    let refused = app
        .request(
            axum::http::Request::post("/asset")
                .header("sec-fetch-site", "cross-site")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_security_headers("refused POST", &refused);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_inline_script_and_style_carries_the_nonce_the_policy_names() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    let id = app.uploaded("notes.txt", b"some notes").await;
    let mut nonces = std::collections::BTreeSet::new();
    for path in [
        "/".to_string(),
        "/assets".into(),
        format!("/assets/{id}"),
        "/no/such/page".into(),
        "/sign-in".into(),
    ] {
        let r = app.get(&path).await;
        let csp = csp(&r);
        let allowed: Vec<String> = directive(&csp, "script-src");
        let nonce = allowed
            .iter()
            .find_map(|s| {
                s.strip_prefix("'nonce-")?
                    .strip_suffix('\'')
                    .map(str::to_string)
            })
            .unwrap_or_else(|| panic!("{path}: no nonce in {csp}"));
        assert_eq!(
            allowed,
            [
                "'self'".to_string(),
                format!("'nonce-{nonce}'"),
                "'wasm-unsafe-eval'".into()
            ],
            "{path}"
        );
        assert!(nonce.len() >= 22, "{path}: a 128-bit nonce, not {nonce}");
        assert!(nonces.insert(nonce.clone()), "{path}: a nonce used twice");

        // The inlined stylesheet, allowed by the same nonce and nothing else inline.
        assert_eq!(
            directive(&csp, "style-src"),
            ["'self'".to_string(), format!("'nonce-{nonce}'")],
            "{path}"
        );
        let styles = elements(&r.raw, "style");
        assert_eq!(styles.len(), 1, "{path}: one inlined stylesheet");
        assert_eq!(
            attribute(&styles[0].0, "nonce"),
            Some(nonce.as_str()),
            "{path}"
        );

        let scripts = elements(&r.raw, "script");
        let inline: Vec<_> = scripts
            .iter()
            .filter(|(attributes, _)| attribute(attributes, "src").is_none())
            .collect();
        // The early theme script and the module script that hydrates, at least.
        assert!(inline.len() >= 2, "{path}: {scripts:?}");
        assert!(
            inline.iter().any(|(_, text)| text.contains("localStorage")),
            "{path}"
        );
        assert!(
            inline.iter().any(|(_, text)| text.contains("hydrate()")),
            "{path}"
        );
        for (attributes, text) in &inline {
            assert_eq!(
                attribute(attributes, "nonce"),
                Some(nonce.as_str()),
                "{path}: an inline script without this response's nonce: <script{attributes}>{text}"
            );
        }
        // Nothing else runs inline or styles inline: no event-handler or style attributes.
        let lower = r.raw.to_ascii_lowercase();
        for bad in [
            " style=\"",
            " onclick=",
            " onload=",
            " onerror=",
            "javascript:",
        ] {
            assert!(!lower.contains(bad), "{path}: `{bad}` in the page");
        }
    }
}

#[tokio::test]
async fn with_sign_in_forms_still_end_on_ferry() {
    // Sign-out reaches the issuer from a page of its own, so forms never leave Ferry, even
    // when the issuer's end-session endpoint is on another origin (Cognito's hosted UI).
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;
    for path in ["/sign-in", "/assets", "/auth/end-session"] {
        let r = app.get(path).await;
        assert_security_headers(path, &r);
        assert_eq!(
            directive(&csp(&r), "form-action"),
            ["'self'".to_string()],
            "{path}"
        );
    }
}
