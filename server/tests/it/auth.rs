//! Sign-in and the request checks, against a [`TestIssuer`] on loopback: bearer tokens
//! (every way a token can be wrong is a `401` with `WWW-Authenticate: Bearer`), the code flow
//! through `/auth/login` and `/auth/callback` to a session cookie and out again, signed-out
//! requests, the Host/Origin/JSON checks with sign-in off, and `ferry serve` refusing a public
//! address without sign-in.

use crate::harness::{sign_with, Fixture, SigningKey, TestApp, TestIssuer, CLIENT_ID, ORIGIN};
use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use base64::Engine as _;
use serde_json::{json, Value};

fn get_with(uri: &str, headers: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder().uri(uri);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.body(Body::empty()).unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn b64(json: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json.to_string())
}

#[tokio::test]
async fn bearer_tokens_are_checked_signature_issuer_audience_and_time() {
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;
    let ok = issuer.token("alice", false);
    let r = app
        .request(get_with("/asset", &[("authorization", &bearer(&ok))]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);

    let now = chrono::Utc::now().timestamp();
    let with = |patch: Value| {
        let mut c = issuer.claims("alice");
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        issuer.sign(&c)
    };
    let stranger = SigningKey::generate("key-1"); // same kid, another key
    let unknown = SigningKey::generate("key-unknown");
    let tampered = {
        let mut parts: Vec<String> = ok.split('.').map(str::to_owned).collect();
        let mut claims = issuer.claims("mallory");
        claims["exp"] = json!(now + 3600);
        parts[1] = b64(&claims);
        parts.join(".")
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": "key-1"})),
        b64(&issuer.claims("alice"))
    );
    let hs256 = {
        // HMAC "signed" with the public key as the secret: the classic algorithm confusion.
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        header.kid = Some("key-1".into());
        let secret = issuer.key.jwk.to_string();
        jsonwebtoken::encode(
            &header,
            &issuer.claims("alice"),
            &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let cases = [
        ("wrong issuer", with(json!({"iss": "http://127.0.0.1:1"}))),
        ("wrong audience", with(json!({"aud": "another-app"}))),
        ("no audience", with(json!({"aud": null}))),
        (
            "Cognito client_id of another app",
            with(json!({"aud": null, "client_id": "other"})),
        ),
        ("expired", with(json!({"exp": now - 3600}))),
        ("not yet valid", with(json!({"nbf": now + 3600}))),
        ("no expiry", with(json!({"exp": null}))),
        ("no subject", with(json!({"sub": null}))),
        (
            "a subject that cannot own files",
            with(json!({"sub": "a/b"})),
        ),
        ("alg none", alg_none),
        ("HS256 with the public key", hs256),
        ("unknown kid", sign_with(&unknown, &issuer.claims("alice"))),
        (
            "same kid, another key",
            sign_with(&stranger, &issuer.claims("alice")),
        ),
        ("tampered payload", tampered),
        ("not a JWT", "not-a-token".to_owned()),
    ];
    for (what, token) in cases {
        let r = app
            .request(get_with("/asset", &[("authorization", &bearer(&token))]))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}: {}", r.raw);
        let challenge = r.headers[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer ") && challenge.contains("invalid_token"),
            "{what}: {challenge}"
        );
        assert!(
            r.body["error"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}: {}",
            r.raw
        );
    }
    // Cognito's access tokens have no `aud`, but name the client.
    let access = with(json!({"aud": null, "client_id": CLIENT_ID, "token_use": "access"}));
    let r = app
        .request(get_with("/asset", &[("authorization", &bearer(&access))]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
}

#[tokio::test]
async fn keys_are_cached_and_fetched_again_for_an_unknown_kid() {
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;
    for _ in 0..3 {
        let r = app
            .request(get_with(
                "/asset",
                &[("authorization", &bearer(&issuer.token("alice", false)))],
            ))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    }
    assert_eq!(issuer.jwks_fetches(), 1, "keys are cached");
    // The issuer rotates: a token signed with the new key makes Ferry read the JWKS again
    // (at most once a second).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let rotated = SigningKey::generate("key-2");
    issuer.publish(&rotated);
    let token = sign_with(&rotated, &issuer.claims("alice"));
    let r = app
        .request(get_with("/asset", &[("authorization", &bearer(&token))]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(issuer.jwks_fetches(), 2);
}

#[tokio::test]
async fn signed_out_pages_go_to_sign_in_and_programs_get_401() {
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;
    for (uri, next) in [
        ("/assets", "%2Fassets"),
        ("/", "%2F"),
        ("/assets?status=created", "%2Fassets%3Fstatus%3Dcreated"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{uri}");
        assert_eq!(
            r.headers[header::LOCATION],
            format!("/sign-in?next={next}").as_str(),
            "{uri}"
        );
    }
    for (method, uri) in [
        (Method::GET, "/asset"),
        (Method::POST, "/asset"),
        (Method::GET, "/metadata?bucket=ferry-uploads&key=k"),
        (Method::DELETE, "/asset/01HZZZZZZZZZZZZZZZZZZZZZZZ"),
    ] {
        let r = app.send(method.clone(), uri, None).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            r.raw
        );
        assert_eq!(
            r.headers[header::WWW_AUTHENTICATE],
            "Bearer realm=\"ferry\""
        );
        assert!(r.body["error"].is_string(), "{}", r.raw);
    }
    let r = app.post_json("/api/list_assets", r#"{"params":{}}"#).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.raw);
    // What anyone may fetch: the sign-in page, and who is signed in (nobody).
    let r = app.get("/sign-in?next=%2Fassets").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.raw.contains("/auth/login?next=/assets"), "{}", r.raw);
    let r = app.post_json("/api/viewer", "{}").await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, Value::Null),
        "{}",
        r.raw
    );
}

/// `name=value` pairs of a response's `Set-Cookie` headers, as a browser would send them back.
fn cookies_of(reply: &crate::harness::Reply) -> String {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

fn query_of(location: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn sign_in_code_flow_with_pkce_state_and_nonce_then_sign_out() {
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;

    let login = app
        .get("/auth/login?next=%2Fassets%3Fstatus%3Dcreated")
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let to = login.headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(
        to.starts_with(&format!("{}/authorize?", issuer.url)),
        "{to}"
    );
    let q = query_of(&to);
    assert_eq!(q["response_type"], "code");
    assert_eq!(q["client_id"], CLIENT_ID);
    assert_eq!(q["redirect_uri"], format!("{ORIGIN}/auth/callback"));
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(q["scope"].split(' ').any(|s| s == "openid"), "{to}");
    for param in ["state", "nonce", "code_challenge"] {
        assert!(q[param].len() >= 22, "{param} is random: {to}");
    }
    let set = login.headers[header::SET_COOKIE].to_str().unwrap();
    for part in ["ferry_login=", "HttpOnly", "SameSite=Lax", "Path=/auth"] {
        assert!(set.contains(part), "{set}");
    }
    let attempt = cookies_of(&login);

    // The issuer signs alice in and answers with an ID token carrying the nonce.
    let mut claims = issuer.claims("alice");
    claims["nonce"] = json!(q["nonce"]);
    claims["name"] = json!("Alice Liddell");
    issuer.next_id_token(issuer.sign(&claims));
    let callback = app
        .request(get_with(
            &format!("/auth/callback?code=the-code&state={}", q["state"]),
            &[("cookie", &attempt)],
        ))
        .await;
    assert_eq!(callback.status, StatusCode::SEE_OTHER, "{}", callback.raw);
    assert_eq!(callback.headers[header::LOCATION], "/assets?status=created");
    let sent = issuer.token_requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["grant_type"], "authorization_code");
    assert_eq!(sent[0]["code"], "the-code");
    assert_eq!(sent[0]["redirect_uri"], format!("{ORIGIN}/auth/callback"));
    assert!(
        sent[0]["code_verifier"].len() >= 43,
        "PKCE verifier sent: {:?}",
        sent[0]
    );
    let session = cookies_of(&callback)
        .split("; ")
        .find(|c| c.starts_with("ferry_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        !session.contains("alice"),
        "the session cookie is encrypted: {session}"
    );

    // Signed in: pages, REST and server functions answer, and the header knows who.
    let r = app
        .request(get_with("/asset", &[("cookie", &session)]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let r = app
        .request(get_with("/assets", &[("cookie", &session)]))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.raw.contains("Alice Liddell") && r.raw.contains("Sign out"),
        "header shows who"
    );
    let mut viewer = Request::post("/api/viewer")
        .header("cookie", &session)
        .header("content-type", "application/json")
        .body(Body::from("{}"))
        .unwrap();
    viewer
        .headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    let r = app.request(viewer).await;
    assert_eq!(
        r.body,
        json!({"display": "Alice Liddell", "admin": false}),
        "{}",
        r.raw
    );

    // The same attempt cannot be used twice: its cookie is cleared, and a replay without it
    // is an expired sign-in.
    let replay = app
        .request(get_with(
            &format!("/auth/callback?code=the-code&state={}", q["state"]),
            &[],
        ))
        .await;
    assert_eq!(
        replay.headers[header::LOCATION],
        "/sign-in?error=expired&next=%2Fassets"
    );

    // Sign out: the cookie goes; a page of Ferry's own then moves on to the issuer's
    // end-session endpoint, which brings the person back to the sign-in page.
    let out = app
        .request(
            Request::post("/auth/logout")
                .header("cookie", &session)
                .header("origin", ORIGIN)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.headers[header::LOCATION], "/auth/end-session");
    let cleared = out.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("ferry_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    let page = app.get("/auth/end-session").await;
    assert_eq!(page.status, StatusCode::OK);
    let refresh = page
        .raw
        .split("content=\"0;url=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a meta refresh")
        .replace("&amp;", "&");
    assert!(
        refresh.starts_with(&format!("{}/logout?", issuer.url)),
        "{refresh}"
    );
    let back = query_of(&refresh);
    assert_eq!(
        back["post_logout_redirect_uri"],
        format!("{ORIGIN}/sign-in")
    );
    assert_eq!(
        back["logout_uri"],
        format!("{ORIGIN}/sign-in"),
        "Cognito's name for it"
    );
    assert_eq!(back["client_id"], CLIENT_ID);
    // Forms end on Ferry: the issuer is reached by that page's own navigation.
    let csp = page.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("form-action 'self';"), "{csp}");
}

#[tokio::test]
async fn failed_sign_ins_return_to_the_sign_in_page_with_a_reason() {
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;
    let start = || async {
        let login = app.get("/auth/login?next=%2Fassets").await;
        let q = query_of(login.headers[header::LOCATION].to_str().unwrap());
        (cookies_of(&login), q)
    };
    let callback = |uri: String, cookie: String| {
        let app = &app;
        async move { app.request(get_with(&uri, &[("cookie", &cookie)])).await }
    };

    // A state that is not this attempt's (a forged callback).
    let (cookie, _) = start().await;
    let r = callback("/auth/callback?code=c&state=forged".into(), cookie).await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/sign-in?error=expired&next=%2Fassets"
    );

    // The issuer refused.
    let (cookie, q) = start().await;
    let r = callback(
        format!("/auth/callback?error=access_denied&state={}", q["state"]),
        cookie,
    )
    .await;
    assert_eq!(
        r.headers[header::LOCATION],
        "/sign-in?error=denied&next=%2Fassets"
    );

    // An ID token minted for another sign-in (its nonce) or another client.
    for patch in [
        json!({"nonce": "another-nonce"}),
        json!({"aud": "other-app"}),
    ] {
        let (cookie, q) = start().await;
        let mut claims = issuer.claims("alice");
        claims["nonce"] = json!(q["nonce"]);
        for (k, v) in patch.as_object().unwrap() {
            claims[k] = v.clone();
        }
        issuer.next_id_token(issuer.sign(&claims));
        let r = callback(
            format!("/auth/callback?code=c&state={}", q["state"]),
            cookie,
        )
        .await;
        assert_eq!(
            r.headers[header::LOCATION],
            "/sign-in?error=failed&next=%2Fassets",
            "{patch}"
        );
        assert!(r
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .all(|c| !c.to_str().unwrap().starts_with("ferry_session=")));
    }

    // The sign-in page says what happened.
    let r = app.get("/sign-in?error=expired&next=%2Fassets").await;
    assert!(r.raw.contains("took too long"), "{}", r.raw);

    // `next` never leaves the site.
    let login = app.get("/auth/login?next=%2F%2Fevil.example").await;
    let q = query_of(login.headers[header::LOCATION].to_str().unwrap());
    let mut claims = issuer.claims("alice");
    claims["nonce"] = json!(q["nonce"]);
    issuer.next_id_token(issuer.sign(&claims));
    let r = callback(
        format!("/auth/callback?code=c&state={}", q["state"]),
        cookies_of(&login),
    )
    .await;
    assert_eq!(r.headers[header::LOCATION], "/assets");
}

#[tokio::test]
async fn other_sites_cannot_drive_ferry_without_sign_in() {
    let f = Fixture::start().await;
    let app = &f.app;
    let status = || async {
        let r = app
            .post_json("/api/get_asset", &json!({"id": f.uploaded}).to_string())
            .await;
        r.body["status"].clone()
    };
    assert_eq!(status().await, "UPLOADED");

    // DNS rebinding: a request naming another host.
    let r = app
        .request(get_with("/assets", &[("host", "evil.example")]))
        .await;
    assert_eq!(r.status, StatusCode::MISDIRECTED_REQUEST, "{}", r.raw);
    assert!(r.body["error"].as_str().unwrap().contains("evil.example"));
    let r = app
        .request(get_with("/assets", &[("host", "localhost:3000")]))
        .await;
    assert_eq!(r.status, StatusCode::OK);

    // A cross-site form post (the browser says so) to a server function and to REST.
    for (uri, ct, body) in [
        (
            "/api/delete_asset",
            "application/x-www-form-urlencoded",
            format!("id={}", f.uploaded),
        ),
        (
            &format!("/asset/{}", f.uploaded)[..],
            "application/x-www-form-urlencoded",
            String::new(),
        ),
    ] {
        for headers in [
            vec![
                ("sec-fetch-site", "cross-site"),
                ("origin", "https://evil.example"),
            ],
            vec![("origin", "https://evil.example")],
            vec![("origin", "null")],
        ] {
            let mut req = Request::builder()
                .method(if uri.starts_with("/api") {
                    Method::POST
                } else {
                    Method::DELETE
                })
                .uri(uri)
                .header("content-type", ct);
            for (k, v) in &headers {
                req = req.header(*k, *v);
            }
            let r = app
                .request(req.body(Body::from(body.clone())).unwrap())
                .await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{uri} {headers:?}: {}",
                r.raw
            );
            assert!(
                r.body["error"].as_str().unwrap().contains("cross-site"),
                "{}",
                r.raw
            );
        }
    }
    // JSON endpoints take only JSON: a form cannot smuggle a JSON body as text/plain.
    let r = app
        .request(
            Request::post("/api/create_upload")
                .header("content-type", "text/plain")
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(r#"{"upload":{"filename":"x.txt"}}"#))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.raw);
    assert_eq!(status().await, "UPLOADED", "nothing changed");

    // This site's own pages, and programs that send neither header, go through.
    let mut same = Request::post("/api/mark_uploaded")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", ORIGIN)
        .header("host", "127.0.0.1:3000");
    same = same.header("accept", "application/json");
    let r = app
        .request(same.body(Body::from(format!("id={}", f.uploaded))).unwrap())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let r = app
        .post_json(
            "/asset",
            r#"{"filename":"curl.txt","content_type":"text/plain"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

#[test]
fn ferry_serve_refuses_a_public_address_without_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args(["serve", "--addr", "0.0.0.0:0", "--data-dir"])
        .arg(dir.path())
        .env_remove("FERRY_AUTH")
        .env_remove("FERRY_ALLOW_ANONYMOUS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0") && stderr.contains("--allow-anonymous"),
        "{stderr}"
    );

    // Sign-in on without an issuer is refused too, and says what is missing.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--auth",
            "oidc",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("FERRY_OIDC_ISSUER")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("FERRY_OIDC_ISSUER"));
}
