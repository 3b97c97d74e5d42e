//! Share links over HTTP: made through the REST API and the server functions, opened at
//! `/s/<token>` (a `303` to the file; the download itself fetched from the embedded S3),
//! counted, limited, revoked, expired, refused with 404 or 410 pages, stored only as a hash,
//! owned like the asset, and public with sign-in on.

use crate::harness::{user, TestApp, TestIssuer};
use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};

/// Makes a link to `id` with `body`; returns its answer.
async fn share(app: &TestApp, id: &str, body: Value) -> crate::harness::Reply {
    app.post_json(&format!("/asset/{id}/shares"), &body.to_string())
        .await
}

/// A link to `id`, valid an hour, with an optional limit: its path and id.
async fn link(app: &TestApp, id: &str, max_uses: Option<u32>) -> (String, String) {
    let r = share(
        app,
        id,
        json!({"expires_in_secs": 3600, "max_uses": max_uses}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    (
        r.body["path"].as_str().unwrap().to_string(),
        r.body["id"].as_str().unwrap().to_string(),
    )
}

/// Opens a link as a browser does: the 303's target fetched, its bytes returned.
async fn download(app: &TestApp, path: &str) -> Vec<u8> {
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.raw);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    let location = r.headers[header::LOCATION].to_str().unwrap();
    let got = reqwest::get(location).await.unwrap();
    assert_eq!(got.status(), 200);
    got.bytes().await.unwrap().to_vec()
}

async fn links(app: &TestApp, id: &str) -> Vec<Value> {
    let r = app.get(&format!("/asset/{id}/shares")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.body["links"].as_array().unwrap().clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_link_downloads_counts_each_use_and_stops_at_its_limit() {
    let app = TestApp::start().await;
    let id = app.uploaded("report.txt", b"quarterly numbers").await;
    let r = share(&app, &id, json!({"expires_in_secs": 3600, "max_uses": 2})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(r.body["state"], "active");
    assert_eq!(r.body["uses"], 0);
    assert_eq!(r.body["max_uses"], 2);
    let path = r.body["path"].as_str().unwrap().to_string();
    assert!(path.starts_with("/s/") && path.len() == 3 + 43, "{path}");

    assert_eq!(download(&app, &path).await, b"quarterly numbers");
    assert_eq!(download(&app, &path).await, b"quarterly numbers");
    let used_up = app.get(&path).await;
    assert_eq!(used_up.status, StatusCode::GONE);
    assert!(used_up.markup().contains("used as many times as it allows"));
    assert!(!used_up.headers.contains_key(header::LOCATION));

    let listed = links(&app, &id).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["uses"], 2);
    assert_eq!(listed[0]["state"], "used_up");
    // The owner's list never shows the address again.
    assert!(listed[0].get("path").is_none());
    assert!(!listed[0].to_string().contains(&path[3..]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_link_is_gone_and_an_unknown_one_not_found() {
    let app = TestApp::start().await;
    let id = app.uploaded("a.txt", b"a").await;
    let (path, share_id) = link(&app, &id, None).await;
    let (other_path, _) = link(&app, &id, None).await;
    assert_eq!(download(&app, &path).await, b"a");

    let r = app
        .send(
            Method::DELETE,
            &format!("/asset/{id}/shares/{share_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["state"], "revoked");
    assert_eq!(r.body["uses"], 1);
    let revoked_at = r.body["revoked_at"].clone();
    assert!(revoked_at.is_string());
    // Twice is fine, and changes nothing.
    let again = app
        .send(
            Method::DELETE,
            &format!("/asset/{id}/shares/{share_id}"),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.body["revoked_at"], revoked_at);

    let r = app.get(&path).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.markup().contains("revoked"), "{}", r.markup());
    // Only that link: the other still opens.
    assert_eq!(download(&app, &other_path).await, b"a");

    // A well-formed token nobody made, and anything else: 404 pages.
    for unknown in [
        "/s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_string(),
        "/s/short".to_string(),
        format!("{path}x"),
        format!("/s/{}", "%2F".repeat(20)),
    ] {
        let r = app.get(&unknown).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{unknown}");
        assert!(
            r.markup().contains("No share link has this address"),
            "{unknown}"
        );
    }
    // No such link of this asset.
    let r = app
        .send(
            Method::DELETE,
            &format!("/asset/{id}/shares/01JDQ7ZK3M5X9V2B8N4C6T1R0W"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"], "this asset has no such share link");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_link_is_gone_and_a_deleted_assets_links_stop_working() {
    let app = TestApp::start().await;
    let id = app.uploaded("b.txt", b"b").await;
    let (expiring, _) = link(&app, &id, None).await;
    let (path, _) = link(&app, &id, Some(5)).await;

    // Time passes for one link (its expiry moved into the past behind Ferry's back).
    let items = app
        .dynamodb()
        .scan()
        .table_name(app.store().table())
        .filter_expression("kind = :k")
        .expression_attribute_values(
            ":k",
            aws_sdk_dynamodb::types::AttributeValue::S("share".into()),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let hash = expiring_hash(&expiring);
    let pk = format!("SHARE#{hash}");
    assert!(items.iter().any(|i| i["pk"].as_s().unwrap() == &pk));
    app.dynamodb()
        .update_item()
        .table_name(app.store().table())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(pk))
        .update_expression("SET link_expires = :past")
        .expression_attribute_values(
            ":past",
            aws_sdk_dynamodb::types::AttributeValue::S("2026-01-01T00:00:00.000Z".into()),
        )
        .send()
        .await
        .unwrap();
    let r = app.get(&expiring).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.markup().contains("has expired"));

    // Deleted: the link stops working and nothing is counted; restored, it works again.
    assert_eq!(
        app.send(Method::DELETE, &format!("/asset/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let r = app.get(&path).await;
    assert_eq!(r.status, StatusCode::GONE);
    assert!(r.markup().contains("no longer available"));
    // A deleted asset takes no new links either.
    let r = share(&app, &id, json!({"expires_in_secs": 3600})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.raw);
    let r = app.post_json(&format!("/asset/{id}/restore"), "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(download(&app, &path).await, b"b");
    let listed = links(&app, &id).await;
    let uses: Vec<_> = listed
        .iter()
        .map(|l| (l["state"].clone(), l["uses"].clone()))
        .collect();
    // Newest first.
    assert_eq!(
        uses,
        [(json!("active"), json!(1)), (json!("expired"), json!(0))]
    );
}

/// The hash the table keys a link by (SHA-256 of its token, hex).
fn expiring_hash(path: &str) -> String {
    server::shares::ShareToken::parse(path.strip_prefix("/s/").unwrap())
        .unwrap()
        .hash()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_keeps_a_hash_of_the_token_never_the_token() {
    let app = TestApp::start().await;
    let id = app.uploaded("c.txt", b"c").await;
    let (path, _) = link(&app, &id, Some(1)).await;
    let token = path.strip_prefix("/s/").unwrap();
    let items = app
        .dynamodb()
        .scan()
        .table_name(app.store().table())
        .send()
        .await
        .unwrap()
        .items
        .unwrap();
    let dump = format!("{items:?}");
    assert!(!dump.contains(token), "the token is stored");
    assert!(dump.contains(&expiring_hash(&path)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_last_download_of_a_link_goes_to_one_person() {
    let app = TestApp::start().await;
    let id = app.uploaded("d.txt", b"d").await;
    let (path, _) = link(&app, &id, Some(3)).await;
    let tries = (0..12).map(|_| {
        let router = app.router();
        let path = path.clone();
        tokio::spawn(async move {
            let req = axum::http::Request::get(path)
                .body(axum::body::Body::empty())
                .unwrap();
            crate::harness::call(router, req).await.status
        })
    });
    let statuses = futures::future::join_all(tries).await;
    let opened = statuses
        .iter()
        .filter(|s| *s.as_ref().unwrap() == StatusCode::SEE_OTHER)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| *s.as_ref().unwrap() == StatusCode::GONE)
        .count();
    assert_eq!((opened, refused), (3, 9), "{statuses:?}");
    assert_eq!(links(&app, &id).await[0]["uses"], 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_the_assets_owners_alone() {
    let app = TestApp::start().await;
    let id = app.uploaded("e.txt", b"e").await;
    let (path, share_id) = link(&app, &id, None).await;
    let mallory = app.as_caller(user("mallory"));
    let r = mallory
        .post_json(
            &format!("/asset/{id}/shares"),
            r#"{"expires_in_secs": 3600}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        mallory.get(&format!("/asset/{id}/shares")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = mallory
        .send(
            Method::DELETE,
            &format!("/asset/{id}/shares/{share_id}"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Yet anyone holding the link may use it: that is what it is for.
    let r = mallory.get(&path).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_share_requests_are_clear_errors() {
    let app = TestApp::start().await;
    let id = app.uploaded("f.txt", b"f").await;
    let cap = 30 * 86_400;
    for (body, status, says) in [
        (
            json!({"expires_in_secs": 59}),
            StatusCode::BAD_REQUEST,
            "expires_in_secs must be between 60",
        ),
        (
            json!({"expires_in_secs": cap + 1}),
            StatusCode::BAD_REQUEST,
            "expires_in_secs",
        ),
        (
            json!({"expires_in_secs": -1}),
            StatusCode::BAD_REQUEST,
            "malformed JSON body",
        ),
        (
            json!({"expires_in_secs": 3600, "max_uses": 0}),
            StatusCode::BAD_REQUEST,
            "max_uses must be between 1",
        ),
        (
            json!({"expires_in_secs": 3600, "max_uses": 10_001}),
            StatusCode::BAD_REQUEST,
            "max_uses",
        ),
        (
            json!({"expires_in_secs": 3600, "max_downloads": 2}),
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        (json!({}), StatusCode::BAD_REQUEST, "missing field"),
    ] {
        let r = share(&app, &id, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.raw);
        assert!(
            r.body["error"].as_str().unwrap().contains(says),
            "{body}: {}",
            r.raw
        );
    }
    let r = app.post_json(&format!("/asset/{id}/shares"), "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["error"]
        .as_str()
        .unwrap()
        .contains("a body is required"));
    let r = app
        .send(
            Method::POST,
            &format!("/asset/{id}/shares"),
            Some(("text/plain", "{}")),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = share(&app, "not-an-id", json!({"expires_in_secs": 3600})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .send(
            Method::DELETE,
            &format!("/asset/{id}/shares/not-an-id"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(
        r.body["error"].as_str().unwrap().contains("share link id"),
        "{}",
        r.raw
    );
    // An asset without its file yet cannot be shared.
    let created = app
        .post_json("/asset", r#"{"filename": "later.txt"}"#)
        .await;
    let later = created.body["id"].as_str().unwrap();
    let r = share(&app, later, json!({"expires_in_secs": 3600})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Nothing was made by any of these.
    assert!(links(&app, &id).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_functions_make_list_revoke_and_open_links() {
    let app = TestApp::start().await;
    let id = app.uploaded("g.txt", b"g").await;
    let r = app
        .post_json(
            "/api/create_share",
            &json!({"id": id, "expires_in_secs": 600, "max_uses": 1}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let path = r.body["path"].as_str().unwrap().to_string();
    let share_id = r.body["link"]["id"].as_str().unwrap().to_string();
    let r = app
        .post_json("/api/list_shares", &json!({"id": id}).to_string())
        .await;
    assert_eq!(r.body["links"][0]["id"], share_id.as_str());
    assert_eq!(r.body["max_ttl_secs"], 30 * 86_400);
    let token = &path[3..];
    let r = app
        .post_json("/api/open_share", &json!({"token": token}).to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert!(r.body["download_url"].as_str().unwrap().starts_with("http"));
    // Its one download is spent: the server functions' error shape, with 410.
    let r = app
        .post_json("/api/open_share", &json!({"token": token}).to_string())
        .await;
    assert_eq!(r.status, StatusCode::GONE, "{}", r.raw);
    assert!(r.body["Gone"]
        .as_str()
        .unwrap()
        .contains("used as many times"));
    let r = app
        .post_json(
            "/api/revoke_share",
            &json!({"id": id, "share": share_id}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert!(r.body["revoked_at"].is_string());
    let r = app
        .post_json(
            "/api/create_share",
            &json!({"id": id, "expires_in_secs": 10}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body["BadRequest"]
        .as_str()
        .unwrap()
        .contains("expires_in_secs"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_sign_in_on_a_link_opens_for_someone_signed_out() {
    let issuer = TestIssuer::start().await;
    let app = TestApp::signing_in_with(&issuer).await;
    let alice = issuer.token("alice", false);
    let authed = |method: Method, uri: &str, body: Option<&str>| {
        let mut req = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .header(header::AUTHORIZATION, format!("Bearer {alice}"));
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        req.body(axum::body::Body::from(body.unwrap_or("").to_string()))
            .unwrap()
    };
    let r = app
        .request(authed(
            Method::POST,
            "/asset",
            Some(r#"{"filename": "h.txt", "content_type": "text/plain", "size": 1}"#),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let put = crate::harness::put_as_told(&r.body, b"h".to_vec()).await;
    assert_eq!(put.status(), 200);
    let id = r.body["id"].as_str().unwrap();
    let r = app
        .request(authed(
            Method::POST,
            &format!("/asset/{id}/shares"),
            Some(r#"{"expires_in_secs": 3600}"#),
        ))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let path = r.body["path"].as_str().unwrap();
    // No cookie, no token: the link opens, and does not send anyone to sign in.
    let r = app.get(path).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.raw);
    assert!(r.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .starts_with("http"));
    // Signed out, the rest stays closed.
    assert_eq!(
        app.get(&format!("/asset/{id}/shares")).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storage_failure_opening_a_link_is_a_page_that_tells_nothing_inside() {
    let app = TestApp::start().await;
    let id = app.uploaded("i.txt", b"i").await;
    let (path, _) = link(&app, &id, None).await;
    let req = axum::http::Request::get(path.as_str())
        .body(axum::body::Body::empty())
        .unwrap();
    let r = crate::harness::call(app.router_without_table(), req).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(r.markup().contains(server::api::INTERNAL_MESSAGE));
    assert!(!r.raw.contains("no-such-table"), "{}", r.raw);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_are_made_in_bulk_each_on_its_own() {
    let app = TestApp::start().await;
    let a = app.uploaded("a.txt", b"a").await;
    let b = app.uploaded("b.txt", b"b").await;
    let waiting = app
        .post_json("/asset", r#"{"filename": "later.txt"}"#)
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post_json(
            "/asset/bulk/shares",
            &json!({"ids": [a, waiting, b], "expires_in_secs": 3600, "max_uses": 1}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let results = r.body["results"].as_array().unwrap();
    let done: Vec<_> = results
        .iter()
        .map(|r| (r["done"].clone(), r["status"].clone()))
        .collect();
    assert_eq!(
        done,
        [
            (json!(true), json!(201)),
            (json!(false), json!(403)),
            (json!(true), json!(201))
        ]
    );
    // Each link opens its own file, once.
    for (i, body) in [(0, &b"a"[..]), (2, &b"b"[..])] {
        let path = results[i]["path"].as_str().unwrap();
        assert_eq!(download(&app, path).await, body);
        assert_eq!(app.get(path).await.status, StatusCode::GONE);
    }
    // The rules hold for the whole request: nothing is made when they are broken.
    let r = app
        .post_json(
            "/asset/bulk/shares",
            &json!({"ids": [a], "expires_in_secs": 1}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = app
        .post_json(
            "/asset/bulk/shares",
            &json!({"ids": [], "expires_in_secs": 3600}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(links(&app, &a).await.len(), 1);
}
