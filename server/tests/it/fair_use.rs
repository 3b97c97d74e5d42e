//! Fair use: each client (an address without sign-in, a person with it) may ask for
//! `FERRY_UPLOAD_RATE_LIMIT` upload tickets and part signatures a minute; the next is a `429`
//! with `Retry-After`, in the REST error shape or the server functions' one, and creates
//! nothing.

use crate::harness::{Reply, TestApp, TestIssuer};
use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use serde_json::json;
use server::{
    config::{Limits, Settings},
    fair_use::ClientAddr,
};

const LIMIT: u32 = 3;

fn limits() -> Limits {
    Limits {
        upload_rate_limit: LIMIT,
        ..Limits::default()
    }
}

/// `POST uri` with a JSON body, from `addr`, with `extra` headers.
fn post(uri: &str, body: &serde_json::Value, addr: &str, extra: &[(&str, &str)]) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json");
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body.to_string())).unwrap();
    req.extensions_mut()
        .insert(ClientAddr(addr.parse().unwrap()));
    req
}

fn new_asset(name: &str) -> serde_json::Value {
    json!({"filename": name, "content_type": "text/plain", "size": 5})
}

/// The wait a 429 asks for, checked to be within the minute.
fn retry_after(r: &Reply) -> u64 {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.raw);
    let secs: u64 = r.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs), "Retry-After: {secs}");
    secs
}

/// Waits out the last seconds of a minute, so a test's requests fall in one window.
async fn at_start_of_a_window() {
    let into = chrono::Utc::now().timestamp() as u64 % server::fair_use::WINDOW_SECS;
    if into > server::fair_use::WINDOW_SECS - 10 {
        let left = server::fair_use::WINDOW_SECS - into;
        tokio::time::sleep(std::time::Duration::from_millis(left * 1000 + 200)).await;
    }
}

async fn asset_count(app: &TestApp) -> usize {
    let r = app.get("/asset?limit=100").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.body["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn an_address_over_its_limit_waits_and_other_addresses_do_not() {
    let app = TestApp::with_limits(limits()).await;
    at_start_of_a_window().await;
    let here = "203.0.113.7";
    for n in 0..LIMIT {
        let r = app
            .request(post("/asset", &new_asset(&format!("f{n}.txt")), here, &[]))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    }
    let over = app
        .request(post("/asset", &new_asset("over.txt"), here, &[]))
        .await;
    let secs = retry_after(&over);
    let message = over.body["error"].as_str().unwrap();
    assert!(message.contains("try again in"), "{message}");
    assert_eq!(over.body["error_message"], over.body["error"]);
    assert_eq!(
        asset_count(&app).await,
        LIMIT as usize,
        "the refused request created nothing"
    );

    // The upload page's server functions count against the same limit, and their 429 is
    // the error their client decodes.
    let r = app
        .request(post(
            "/api/create_upload",
            &json!({"upload": new_asset("page.txt")}),
            here,
            &[],
        ))
        .await;
    assert!(retry_after(&r) <= secs.max(1) + 1);
    let error = &r.body["TooManyRequests"];
    assert!(
        error["message"].as_str().unwrap().contains("a minute"),
        "{}",
        r.raw
    );
    assert!(
        error["retry_after_secs"].as_u64().unwrap() >= 1,
        "{}",
        r.raw
    );

    // Another address, and another network's IPv6 address, have their own count.
    for other in ["198.51.100.1", "2001:db8:1:2::1"] {
        let r = app
            .request(post("/asset", &new_asset("elsewhere.txt"), other, &[]))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{other}: {}", r.raw);
    }
    // Reading is not counted.
    assert_eq!(app.get("/asset?limit=1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_signed_in_person_is_one_client_wherever_they_ask_from() {
    let issuer = TestIssuer::start().await;
    let mut settings = Settings::named("ferry-test", "ferry-test-bucket");
    settings.limits = limits();
    let app = TestApp::signing_in_with_settings(&issuer, settings).await;
    let alice = format!("Bearer {}", issuer.token("alice", false));
    let bob = format!("Bearer {}", issuer.token("bob", false));
    at_start_of_a_window().await;
    for n in 0..LIMIT {
        // A new address each time: alice is still one client.
        let addr = format!("192.0.2.{n}");
        let r = app
            .request(post(
                "/asset",
                &new_asset("a.txt"),
                &addr,
                &[("authorization", &alice)],
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    }
    let r = app
        .request(post(
            "/asset",
            &new_asset("a.txt"),
            "192.0.2.99",
            &[("authorization", &alice)],
        ))
        .await;
    retry_after(&r);
    // Bob, from the address alice used last, is not held back by her.
    let r = app
        .request(post(
            "/asset",
            &new_asset("b.txt"),
            "192.0.2.2",
            &[("authorization", &bob)],
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
}

#[tokio::test]
async fn no_limit_when_it_is_zero() {
    let app = TestApp::with_limits(Limits {
        upload_rate_limit: 0,
        ..Limits::default()
    })
    .await;
    for n in 0..5 {
        let r = app
            .request(post(
                "/asset",
                &new_asset(&format!("f{n}.txt")),
                "203.0.113.7",
                &[],
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    }
}
