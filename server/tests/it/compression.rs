//! Answers are compressed as the client accepts: brotli, else gzip, else not at all, with
//! `Vary: accept-encoding`; what they say is the same either way. Pages, server functions
//! and REST alike; the bundle's files keep their own precompressed gzip.

use crate::harness::{call, TestApp};
use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use std::io::Read;

/// `method uri` (with a JSON body, if any) accepting `encoding`: status, the
/// `Content-Encoding`, and the body decoded.
async fn fetch(
    app: &TestApp,
    method: Method,
    uri: &str,
    json: Option<&str>,
    encoding: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(e) = encoding {
        req = req.header(header::ACCEPT_ENCODING, e);
    }
    let body = match json {
        Some(j) => {
            req = req.header(header::CONTENT_TYPE, "application/json");
            Body::from(j.to_string())
        }
        None => Body::empty(),
    };
    let res = tower::ServiceExt::oneshot(app.router(), req.body(body).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let vary = res
        .headers()
        .get(header::VARY)
        .map(|v| v.to_str().unwrap().to_lowercase());
    let coding = res
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = http_body_util::BodyExt::collect(res.into_body())
        .await
        .unwrap()
        .to_bytes();
    let mut text = String::new();
    match coding.as_deref() {
        Some("br") => {
            brotli::Decompressor::new(&bytes[..], 4096)
                .read_to_string(&mut text)
                .unwrap();
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .unwrap();
        }
        None => text = String::from_utf8(bytes.to_vec()).unwrap(),
        Some(other) => panic!("unexpected Content-Encoding {other}"),
    }
    if coding.is_some() {
        assert!(
            vary.is_some_and(|v| v.contains("accept-encoding")),
            "{uri}: a compressed answer varies with Accept-Encoding"
        );
    }
    (status, coding, text)
}

#[tokio::test]
async fn pages_and_api_answers_are_compressed_as_the_client_accepts() {
    let app = TestApp::start().await;
    for n in 0..30 {
        app.uploaded(&format!("file-{n:02}.txt"), b"some bytes")
            .await;
    }
    let list = r#"{"params": {"limit": 30}}"#;
    let cases: [(Method, &str, Option<&str>); 3] = [
        (Method::GET, "/assets", None),
        (Method::GET, "/asset?limit=30", None),
        (Method::POST, "/api/list_assets", Some(list)),
    ];
    for (method, uri, json) in cases {
        let (status, coding, plain) = fetch(&app, method.clone(), uri, json, None).await;
        assert_eq!((status, coding), (StatusCode::OK, None), "{uri}");
        assert!(plain.contains("file-29.txt"), "{uri}");
        let (_, coding, br) = fetch(
            &app,
            method.clone(),
            uri,
            json,
            Some("gzip, deflate, br, zstd"),
        )
        .await;
        assert_eq!(coding.as_deref(), Some("br"), "{uri}");
        let (_, coding, gz) = fetch(&app, method.clone(), uri, json, Some("gzip")).await;
        assert_eq!(coding.as_deref(), Some("gzip"), "{uri}");
        // Pages carry a fresh nonce each time: compare what does not change.
        let strip = |s: &str| s.split("nonce=").next().unwrap_or_default().len();
        if uri.starts_with("/api") || uri.starts_with("/asset?") {
            assert_eq!(br, plain, "{uri}");
            assert_eq!(gz, plain, "{uri}");
        } else {
            assert_eq!(strip(&br), strip(&plain), "{uri}");
            assert!(
                br.contains("file-29.txt") && gz.contains("file-29.txt"),
                "{uri}"
            );
        }
        let (_, coding, _) = fetch(&app, method, uri, json, Some("identity")).await;
        assert_eq!(coding, None, "{uri}");
    }
}

#[tokio::test]
async fn errors_are_compressed_too_and_keep_their_status() {
    let app = TestApp::start().await;
    let (status, coding, body) = fetch(
        &app,
        Method::POST,
        "/asset",
        Some(r#"{"content_type": "nope"}"#),
        Some("br"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Tiny bodies may go uncompressed; either way they read the same.
    let _ = coding;
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(v["error"].as_str().is_some(), "{body}");
    let r = call(
        app.router(),
        Request::get("/nope").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}
