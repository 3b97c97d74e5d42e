//! The REST API and server functions over HTTP (`oneshot`), against the embedded backends.

use crate::harness::{Reply, TestApp};
use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};
use server::config::Limits;
use std::collections::BTreeSet;

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn assert_error(r: &Reply, status: StatusCode, contains: &str) {
    assert_eq!(r.status, status, "{}", r.raw);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        keys(&r.body),
        BTreeSet::from(["error", "error_message"]),
        "{}",
        r.raw
    );
    let msg = r.body["error"].as_str().unwrap();
    assert_eq!(r.body["error_message"], r.body["error"]);
    assert!(
        msg.contains(contains),
        "{msg:?} should contain {contains:?}"
    );
}

const UNKNOWN_ID: &str = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";

#[tokio::test]
async fn post_asset_without_a_body_is_the_seed_call() {
    let api = TestApp::start().await;
    let r = api.send(Method::POST, "/asset", None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(
        keys(&r.body),
        BTreeSet::from([
            "id",
            "asset_id",
            "upload_url",
            "expires_at",
            "method",
            "headers",
            "bucket",
            "object_key"
        ])
    );
    let id = r.body["id"].as_str().unwrap();
    assert_eq!(r.body["asset_id"], id);
    assert_eq!(r.body["method"], "PUT");
    assert_eq!(r.body["headers"], json!({}));
    assert_eq!(r.body["object_key"], format!("uploads/local/{id}"));
    assert_eq!(r.headers[header::LOCATION], format!("/asset/{id}"));
    let expires: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires - chrono::Utc::now();
    assert!(
        ttl > chrono::Duration::seconds(890) && ttl <= chrono::Duration::seconds(900),
        "{ttl}"
    );

    // Without a declared type, any Content-Type uploads (nothing was signed).
    let put = reqwest::Client::new()
        .put(r.body["upload_url"].as_str().unwrap())
        .header("content-type", "image/whatever")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let list = api.get("/asset").await;
    assert_eq!(list.body["items"][0]["asset_id"], id);
    assert_eq!(list.body["items"][0]["state"], "RECEIVED");
}

#[tokio::test]
async fn post_asset_signs_what_the_client_declares() {
    let api = TestApp::start().await;
    let r = api
        .post_json(
            "/asset",
            r#"{"filename": "photos/cat 1.png", "content_type": "image/png", "size": 3}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(
        r.body["headers"],
        json!({"content-type": "image/png", "content-length": "3", "if-none-match": "*"})
    );
    let url = r.body["upload_url"].as_str().unwrap().to_ascii_lowercase();
    assert!(
        url.contains("x-amz-signedheaders=content-length%3bcontent-type%3bhost%3bif-none-match"),
        "{url}"
    );
    assert!(r.body["object_key"]
        .as_str()
        .unwrap()
        .ends_with("/photos/cat 1.png"));
    // A different type than declared is refused by S3 itself.
    let put = reqwest::Client::new()
        .put(r.body["upload_url"].as_str().unwrap())
        .header("content-type", "image/jpeg")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 403);
}

/// An upload URL creates its object once: replayed (by the page retrying, or by anyone who
/// saw the URL), S3 answers 412 and the stored bytes, the record and its ETag stay.
#[tokio::test]
async fn a_replayed_upload_url_never_replaces_the_stored_file() {
    let api = TestApp::start().await;
    let r = api
        .post_json(
            "/asset",
            r#"{"filename": "contract.txt", "content_type": "text/plain", "size": 5}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(
        crate::harness::put_as_told(&r.body, b"first".to_vec())
            .await
            .status(),
        200
    );
    let id = r.body["id"].as_str().unwrap().to_string();
    let confirmed = api.send(Method::PUT, &format!("/asset/{id}"), None).await;
    assert_eq!(confirmed.status, StatusCode::ACCEPTED, "{}", confirmed.raw);
    let before = api.store().get(id.parse().unwrap()).await.unwrap();

    let replay = crate::harness::put_as_told(&r.body, b"forge".to_vec()).await;
    assert_eq!(replay.status(), 412, "{:?}", replay.text().await);
    // Without the header it was told to send, the URL's signature does not match.
    let bare = reqwest::Client::new()
        .put(r.body["upload_url"].as_str().unwrap())
        .header("content-type", "text/plain")
        .body("forge")
        .send()
        .await
        .unwrap();
    assert_eq!(bare.status(), 403);

    let stored = api
        .s3()
        .get_object()
        .bucket(api.bucket())
        .key(r.body["object_key"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.body.collect().await.unwrap().into_bytes().as_ref(),
        b"first"
    );
    let after = api.store().get(id.parse().unwrap()).await.unwrap();
    assert_eq!(
        (after.status, after.etag, after.size),
        (before.status, before.etag, before.size)
    );
}

/// An upload that declared nothing (the seed's bare `curl -T`) has only its key signed: S3
/// accepts any size and type. Ferry checks what arrived instead: an object over the limit,
/// or stored with a type the server does not allow, is deleted and its asset ends
/// `REJECTED` with the reason, in the API and on the pages.
#[tokio::test]
async fn an_undeclared_upload_that_breaks_the_limits_is_rejected_on_arrival_and_deleted() {
    let api = TestApp::with_limits(Limits {
        max_upload_bytes: 1000,
        allowed_types: vec!["image/*".into(), "application/octet-stream".into()],
        ..Limits::default()
    })
    .await;
    // (case, Content-Type the PUT sends, bytes) → the reason, or `None`: it stays.
    let cases = [
        ("too large", None, 1001, Some("too_large")),
        (
            "a type not allowed",
            Some("text/html"),
            10,
            Some("type_not_allowed"),
        ),
        (
            "a list sneaking a type in",
            Some("image/png, text/html"),
            10,
            Some("type_not_allowed"),
        ),
        ("at the limit, allowed type", Some("image/png"), 1000, None),
        ("no type at all", None, 10, None),
    ];
    for (case, content_type, len, want) in cases {
        let ticket = api.send(Method::POST, "/asset", None).await;
        assert_eq!(ticket.status, StatusCode::CREATED, "{case}: {}", ticket.raw);
        assert_eq!(ticket.body["headers"], json!({}), "{case}: nothing to send");
        let mut put = reqwest::Client::new().put(ticket.body["upload_url"].as_str().unwrap());
        if let Some(ct) = content_type {
            put = put.header("content-type", ct);
        }
        let put = put.body(vec![b'x'; len]).send().await.unwrap();
        assert_eq!(put.status(), 200, "{case}: S3 took it (nothing was signed)");

        let id = ticket.body["id"].as_str().unwrap();
        let key = ticket.body["object_key"].as_str().unwrap();
        let asset = api
            .post_json("/api/get_asset", &json!({"id": id}).to_string())
            .await;
        let head = api
            .s3()
            .head_object()
            .bucket(api.bucket())
            .key(key)
            .send()
            .await;
        match want {
            Some(reason) => {
                assert_eq!(asset.body["status"], "REJECTED", "{case}: {}", asset.raw);
                assert_eq!(asset.body["rejection"]["reason"], reason, "{case}");
                assert!(head.is_err(), "{case}: the object must be gone");
                // Terminal: nothing moves it on, nothing downloads it.
                let confirm = api.send(Method::PUT, &format!("/asset/{id}"), None).await;
                assert_error(&confirm, StatusCode::PRECONDITION_FAILED, "REJECTED");
                let download = api.get(&format!("/asset/{id}")).await;
                assert_error(&download, StatusCode::FORBIDDEN, "REJECTED");
                let meta = api
                    .get(&format!("/metadata?bucket={}&key={key}", api.bucket()))
                    .await;
                assert_eq!(meta.status, StatusCode::NOT_FOUND, "{case}: {}", meta.raw);
            }
            None => {
                assert_eq!(asset.body["status"], "RECEIVED", "{case}: {}", asset.raw);
                assert_eq!(asset.body["size"], len, "{case}");
                assert!(head.is_ok(), "{case}: the object stays");
                let stored = content_type.unwrap_or("application/octet-stream");
                assert_eq!(
                    asset.body["content_type"], stored,
                    "{case}: the stored type"
                );
            }
        }
    }
    // The REST listing says why, in words.
    let rejected = api.get("/asset?status=REJECTED").await;
    assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.raw);
    let items = rejected.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{}", rejected.raw);
    let too_large = items
        .iter()
        .find(|a| a["rejection"]["reason"] == "too_large")
        .unwrap();
    assert_eq!(
        too_large["rejection"]["message"],
        "the file is 1001 bytes, more than the 1000 bytes allowed"
    );
    // Deleting a rejected asset hides it; restoring brings the rejection back.
    let id = too_large["asset_id"].as_str().unwrap();
    let deleted = api
        .send(Method::DELETE, &format!("/asset/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.raw);
    let restored = api
        .send(Method::POST, &format!("/asset/{id}/restore"), None)
        .await;
    assert_eq!(restored.body["status"], "REJECTED", "{}", restored.raw);
    let asset = api
        .post_json("/api/get_asset", &json!({"id": id}).to_string())
        .await;
    assert_eq!(
        asset.body["rejection"]["reason"], "too_large",
        "{}",
        asset.raw
    );
}

/// A rejected asset stays rejected: the same URL used again (the bare URL can be replayed)
/// gets its new object deleted too, and the record keeps its first reason.
#[tokio::test]
async fn a_rejected_asset_refuses_every_later_object() {
    let api = TestApp::with_limits(Limits {
        max_upload_bytes: 100,
        ..Limits::default()
    })
    .await;
    let ticket = api.send(Method::POST, "/asset", None).await;
    let url = ticket.body["upload_url"].as_str().unwrap();
    let key = ticket.body["object_key"].as_str().unwrap();
    let id = ticket.body["id"].as_str().unwrap();
    for len in [500, 5] {
        let put = reqwest::Client::new()
            .put(url)
            .body(vec![b'x'; len])
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        let gone = api
            .s3()
            .head_object()
            .bucket(api.bucket())
            .key(key)
            .send()
            .await;
        assert!(gone.is_err(), "the {len}-byte object must be gone");
    }
    let asset = api
        .post_json("/api/get_asset", &json!({"id": id}).to_string())
        .await;
    assert_eq!(asset.body["status"], "REJECTED", "{}", asset.raw);
    assert_eq!(
        asset.body["rejection"],
        json!({"reason": "too_large", "size": 500, "limit": 100})
    );
}

/// Deleted while its bytes were on the way, then restored: the object arrived meanwhile, so
/// the asset comes back RECEIVED (confirmable, downloadable), not CREATED for ever.
#[tokio::test]
async fn an_upload_deleted_in_flight_and_restored_comes_back_received() {
    let api = TestApp::start().await;
    let r = api
        .post_json(
            "/asset",
            r#"{"filename": "late.txt", "content_type": "text/plain", "size": 4}"#,
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_string();
    let deleted = api
        .send(Method::DELETE, &format!("/asset/{id}"), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.raw);
    let put = crate::harness::put_as_told(&r.body, b"late".to_vec()).await;
    assert_eq!(put.status(), 200);
    let restored = api
        .send(Method::POST, &format!("/asset/{id}/restore"), None)
        .await;
    assert_eq!(restored.body["status"], "RECEIVED", "{}", restored.raw);
    let confirmed = api.send(Method::PUT, &format!("/asset/{id}"), None).await;
    assert_eq!(confirmed.status, StatusCode::ACCEPTED, "{}", confirmed.raw);
    let link = api.get(&format!("/asset/{id}")).await;
    assert_eq!(link.status, StatusCode::ACCEPTED, "{}", link.raw);
}

/// Issue 14's seventh finding: server functions read a listing as REST does, one set of
/// rules: a status in any case, and an empty cursor as none.
#[tokio::test]
async fn server_function_listings_take_what_rest_takes() {
    let api = TestApp::start().await;
    api.uploaded("one.txt", b"one").await;
    for params in [
        json!({"status": "received"}),
        json!({"status": "Received", "cursor": ""}),
    ] {
        let r = api
            .post_json("/api/list_assets", &json!({"params": params}).to_string())
            .await;
        assert_eq!(r.status, StatusCode::OK, "{params}: {}", r.raw);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{params}");
    }
    let rest = api.get("/asset?status=received&cursor=").await;
    assert_eq!(
        rest.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        rest.raw
    );
}

#[tokio::test]
async fn list_assets_pages_filters_and_shapes() {
    let api = TestApp::start().await;
    let mut ids = vec![];
    for i in 0..5 {
        let r = api
            .post_json(
                "/asset",
                &json!({"filename": format!("f{i}.txt"), "content_type": "text/plain"}).to_string(),
            )
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_string());
    }
    let uploaded = api.uploaded("u.txt", b"hello").await;

    let r = api.get("/asset").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        keys(&r.body),
        BTreeSet::from(["folder", "folders", "items", "next_cursor", "prev_cursor"])
    );
    assert_eq!(r.body["next_cursor"], Value::Null);
    assert_eq!(r.body["prev_cursor"], Value::Null);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 6);
    let first = &items[0];
    assert_eq!(
        keys(first),
        BTreeSet::from([
            "asset_id",
            "owner",
            "filename",
            "folder_id",
            "folder_path",
            "state",
            "size",
            "createdAt",
            "updatedAt",
            "content_type",
            "bucket",
            "object_key",
            "etag",
            "event_time",
            "event_name",
            "sequencer",
            "deleted_from",
            "rejection",
            "checksum_sha256",
            "thumbnail_url"
        ])
    );
    assert_eq!(first["asset_id"], uploaded, "newest first");
    assert_eq!(first["state"], "RECEIVED");
    assert_eq!(first["size"], 5);
    assert_eq!(first["event_name"], "ObjectCreated:Put");
    assert_eq!(items[1]["state"], "CREATED");
    assert_eq!(items[1]["etag"], Value::Null);

    // Pages of two, following next_cursor.
    let mut seen = vec![];
    let mut uri = "/asset?limit=2".to_string();
    loop {
        let r = api.get(&uri).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        seen.extend(
            r.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["asset_id"].as_str().unwrap().to_string()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => uri = format!("/asset?limit=2&cursor={c}"),
            None => break,
        }
    }
    let mut expected = ids.clone();
    expected.push(uploaded.clone());
    expected.reverse();
    assert_eq!(seen, expected);

    let r = api.get("/asset?status=received").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let r = api.get("/asset?status=CREATED&limit=1000").await; // limit is capped, not refused
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 5);
    assert_eq!(api.get("/asset?_=12345").await.status, StatusCode::OK);

    // Sort and search.
    let names = |r: &Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["filename"].as_str().unwrap().to_string())
            .collect()
    };
    let r = api.get("/asset?sort=name_desc&limit=3").await;
    assert_eq!(names(&r), ["u.txt", "f4.txt", "f3.txt"]);
    let next = r.body["next_cursor"].as_str().unwrap().to_string();
    let r = api
        .get(&format!("/asset?sort=name_desc&limit=3&cursor={next}"))
        .await;
    assert_eq!(names(&r), ["f2.txt", "f1.txt", "f0.txt"]);
    let prev = r.body["prev_cursor"].as_str().unwrap().to_string();
    let r = api
        .get(&format!("/asset?sort=name_desc&limit=3&cursor={prev}"))
        .await;
    assert_eq!(names(&r), ["u.txt", "f4.txt", "f3.txt"], "previous page");
    assert_eq!(r.body["prev_cursor"], Value::Null);
    assert_eq!(
        names(&api.get("/asset?prefix=F&status=RECEIVED").await),
        Vec::<String>::new()
    );
    let r = api.get("/asset?prefix=F").await;
    assert_eq!(
        names(&r),
        ["f0.txt", "f1.txt", "f2.txt", "f3.txt", "f4.txt"]
    );
    assert_eq!(
        names(&api.get("/asset?prefix=u&status=RECEIVED").await),
        ["u.txt"]
    );
    assert_eq!(
        names(&api.get("/asset?sort=oldest&limit=2").await),
        ["f0.txt", "f1.txt"]
    );

    assert_error(
        &api.get(&format!("/asset?prefix=f&cursor={next}")).await,
        StatusCode::BAD_REQUEST,
        "another listing",
    );

    // Cursors are tamper-evident: the same cursor turned to read backwards, with its tag
    // kept or dropped, is refused.
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    let (payload, tag) = next.split_once('.').expect("a sealed cursor");
    let json = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    assert!(json.contains(r#""back":false"#), "{json}");
    let turned = URL_SAFE_NO_PAD.encode(json.replace(r#""back":false"#, r#""back":true"#));
    for forged in [format!("{turned}.{tag}"), turned] {
        assert_error(
            &api.get(&format!("/asset?sort=name_desc&limit=3&cursor={forged}"))
                .await,
            StatusCode::BAD_REQUEST,
            "not one this server issued",
        );
    }
}

#[tokio::test]
async fn download_links_follow_state_and_ttl_rules() {
    let api = TestApp::start().await;
    let r = api
        .post_json(
            "/asset",
            r#"{"filename": "d.txt", "content_type": "text/plain"}"#,
        )
        .await;
    let created = r.body["id"].as_str().unwrap().to_string();
    assert_error(
        &api.get(&format!("/asset/{created}")).await,
        StatusCode::FORBIDDEN,
        "CREATED",
    );

    let id = api.uploaded("hello.txt", b"hello bytes").await;
    let r = api.get(&format!("/asset/{id}")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.raw);
    assert_eq!(
        keys(&r.body),
        BTreeSet::from(["download_url", "expires_at"])
    );
    let expires: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    let ttl = expires - chrono::Utc::now();
    assert!(
        ttl > chrono::Duration::seconds(55) && ttl <= chrono::Duration::seconds(60),
        "default 60 s: {ttl}"
    );
    let got = reqwest::get(r.body["download_url"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(&got.bytes().await.unwrap()[..], b"hello bytes");

    let r = api.get(&format!("/asset/{id}?timeout=3600")).await;
    let expires: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - chrono::Utc::now()) > chrono::Duration::seconds(3590));
    // Capped at 7 days.
    let r = api.get(&format!("/asset/{id}?timeout=99999999")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let expires: chrono::DateTime<chrono::Utc> =
        r.body["expires_at"].as_str().unwrap().parse().unwrap();
    assert!((expires - chrono::Utc::now()) <= chrono::Duration::days(7));
    assert!(r.body["download_url"]
        .as_str()
        .unwrap()
        .contains("X-Amz-Expires=604800"));

    for bad in ["abc", "0", "-5", "1.5", ""] {
        assert_error(
            &api.get(&format!("/asset/{id}?timeout={bad}")).await,
            StatusCode::BAD_REQUEST,
            "timeout",
        );
    }
    assert_error(
        &api.get(&format!("/asset/{UNKNOWN_ID}")).await,
        StatusCode::NOT_FOUND,
        "Asset not found",
    );

    // The browse page's plain download link: a 303 to a fresh presigned URL.
    let r = api.get(&format!("/assets/{id}/download")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.raw);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert!(r.raw.is_empty(), "no bytes through the server");
    let location = r.headers[header::LOCATION].to_str().unwrap().to_string();
    let got = reqwest::get(&location).await.unwrap();
    assert_eq!(got.status(), 200);
    assert!(got.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("hello.txt"));
    assert_eq!(&got.bytes().await.unwrap()[..], b"hello bytes");
    let r = api.get(&format!("/assets/{id}/download?timeout=900")).await;
    assert!(r.headers[header::LOCATION]
        .to_str()
        .unwrap()
        .contains("X-Amz-Expires=900"));
    assert_error(
        &api.get(&format!("/assets/{id}/download?timeout=0")).await,
        StatusCode::BAD_REQUEST,
        "timeout",
    );
    assert_error(
        &api.get(&format!("/assets/{created}/download")).await,
        StatusCode::FORBIDDEN,
        "CREATED",
    );
    assert_error(
        &api.get(&format!("/assets/{UNKNOWN_ID}/download")).await,
        StatusCode::NOT_FOUND,
        "Asset not found",
    );

    // Deleted assets cannot be downloaded.
    assert_eq!(
        api.send(Method::DELETE, &format!("/asset/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.get(&format!("/asset/{id}")).await,
        StatusCode::FORBIDDEN,
        "DELETED",
    );
    assert_error(
        &api.get(&format!("/assets/{id}/download")).await,
        StatusCode::FORBIDDEN,
        "DELETED",
    );
}

#[tokio::test]
async fn confirm_delete_and_restore() {
    let api = TestApp::start().await;
    let r = api.send(Method::POST, "/asset", None).await;
    let created = r.body["id"].as_str().unwrap().to_string();
    assert_error(
        &api.send(Method::PUT, &format!("/asset/{created}"), None)
            .await,
        StatusCode::PRECONDITION_FAILED,
        "CREATED",
    );

    let id = api.uploaded("c.txt", b"abc").await;
    let r = api.send(Method::PUT, &format!("/asset/{id}"), None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(r.body, json!({"status": "UPLOADED"}));
    let r = api.send(Method::PUT, &format!("/asset/{id}"), None).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::ACCEPTED, json!({"status": "UPLOADED"}))
    );
    assert_error(
        &api.send(Method::PUT, &format!("/asset/{UNKNOWN_ID}"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not found",
    );

    // Soft delete: 204, idempotent, object kept.
    let r = api
        .send(Method::DELETE, &format!("/asset/{id}"), None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.raw.is_empty());
    assert_eq!(
        api.send(Method::DELETE, &format!("/asset/{id}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_error(
        &api.send(Method::DELETE, &format!("/asset/{UNKNOWN_ID}"), None)
            .await,
        StatusCode::NOT_FOUND,
        "not found",
    );
    assert_error(
        &api.send(Method::PUT, &format!("/asset/{id}"), None).await,
        StatusCode::PRECONDITION_FAILED,
        "DELETED",
    );
    let list = api.get("/asset?status=DELETED").await;
    assert_eq!(list.body["items"][0]["deleted_from"], "UPLOADED");
    let key = list.body["items"][0]["object_key"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        api.s3()
            .head_object()
            .bucket(api.bucket())
            .key(&key)
            .send()
            .await
            .is_ok(),
        "object kept"
    );

    // Restore brings it back to where it was.
    let r = api
        .send(Method::POST, &format!("/asset/{id}/restore"), None)
        .await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!({"status": "UPLOADED"}))
    );
    assert_error(
        &api.send(Method::POST, &format!("/asset/{id}/restore"), None)
            .await,
        StatusCode::PRECONDITION_FAILED,
        "restore",
    );
}

#[tokio::test]
async fn metadata_route_matches_the_seed_lesson() {
    let api = TestApp::start().await;
    let r = api.get("/metadata").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        r.body["error"],
        "Missing required query parameters: bucket and key"
    );
    let r = api.get("/metadata?bucket=ferry-uploads&key=nope").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"], "Metadata not found");

    // An object put straight into S3 (not through POST /asset), with an awkward key.
    let key = "inbox/Q3 report+final (v2).pdf";
    api.s3()
        .put_object()
        .bucket(api.bucket())
        .key(key)
        .body(b"%PDF-1.7".to_vec().into())
        .send()
        .await
        .unwrap();
    let uri = format!("/metadata?bucket={}&key={}", api.bucket(), urlencode(key));
    let r = api.get(&uri).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        keys(&r.body),
        BTreeSet::from([
            "bucket",
            "object_key",
            "size",
            "etag",
            "event_time",
            "event_name",
            "sequencer",
            "content_type",
            "checksum_sha256"
        ])
    );
    assert_eq!(r.body["bucket"], api.bucket());
    assert_eq!(r.body["object_key"], key);
    assert_eq!(r.body["size"], 8);
    assert_eq!(r.body["event_name"], "ObjectCreated:Put");
    assert!(!r.body["etag"].as_str().unwrap().is_empty());
    assert!(!r.body["sequencer"].as_str().unwrap().is_empty());
}

/// A body sent in chunks (no Content-Length) over the 1 MiB limit is a 413 from REST and
/// from server functions alike, each in its own error shape; one under it is read as usual.
#[tokio::test]
async fn chunked_bodies_over_the_limit_are_413_everywhere() {
    use axum::body::Body;
    let api = TestApp::start().await;
    let chunked = |uri: &str, json: String| {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> = json
            .into_bytes()
            .chunks(64 * 1024)
            .map(|c| Ok(c.to_vec()))
            .collect();
        axum::http::Request::post(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(futures::stream::iter(chunks)))
            .unwrap()
    };
    let long = "x".repeat(1_100_000);
    let r = api
        .request(chunked("/asset", json!({ "filename": long }).to_string()))
        .await;
    assert_error(
        &r,
        StatusCode::PAYLOAD_TOO_LARGE,
        "larger than 1048576 bytes",
    );
    let r = api
        .request(chunked(
            "/api/create_upload",
            json!({ "upload": { "filename": long } }).to_string(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.raw);
    assert_eq!(
        r.body,
        json!({"PayloadTooLarge": "request body is larger than 1048576 bytes"})
    );
    let r = api
        .request(chunked(
            "/api/create_upload",
            json!({ "upload": { "filename": "small.txt" } }).to_string(),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
}

#[tokio::test]
async fn server_functions_share_the_service_and_its_status_codes() {
    let api = TestApp::start().await;
    let r = api
        .post_json(
            "/api/create_upload",
            r#"{"upload": {"filename": "sf.txt", "content_type": "text/plain", "size": 2}}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(r.body["headers"]["content-type"], "text/plain");

    // The same record is visible through REST.
    let rest = api.get("/asset").await;
    assert_eq!(rest.body["items"][0]["asset_id"], id);

    let r = api
        .post_form("/api/mark_uploaded", &format!("id={id}"))
        .await;
    assert_eq!(r.status, StatusCode::PRECONDITION_FAILED, "{}", r.raw);
    assert!(r.raw.contains("PreconditionFailed"), "{}", r.raw);
    let r = api
        .post_json("/api/get_asset", &json!({"id": UNKNOWN_ID}).to_string())
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.raw);
    let r = api.post_json("/api/get_asset", r#"{"id": "nope"}"#).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);

    let r = api
        .post_json("/api/list_assets", r#"{"params": {"limit": 10}}"#)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["items"][0]["status"], "CREATED");
    let r = api.post_json("/api/upload_limits", "{}").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["allowed_types"], json!(["*/*"]));
    let r = api
        .post_form("/api/delete_asset", &format!("id={id}"))
        .await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (StatusCode::OK, json!("DELETED"))
    );
    let r = api
        .post_form("/api/restore_asset", &format!("id={id}"))
        .await;
    assert_eq!(
        (r.status, r.body["status"].clone()),
        (StatusCode::OK, json!("CREATED"))
    );
}

fn urlencode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

#[tokio::test]
async fn multipart_server_functions_sign_list_complete_and_abort() {
    let api = TestApp::start().await;
    let part = 8 * 1024 * 1024; // the part size the server plans for this size
    let data: Vec<u8> = (0..part * 2 + 100).map(|i| (i % 251) as u8).collect();
    let r = api
        .post_json(
            "/api/start_multipart",
            &json!({"upload": {"filename": "parts.bin", "content_type": "application/octet-stream", "size": data.len()}}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let (id, upload_id) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["upload_id"].as_str().unwrap().to_string(),
    );
    assert_eq!(r.body["part_size"], 8 * 1024 * 1024);

    // Parts 1 and 2 now; part 3 after a "reload".
    let mut etags = vec![];
    for (n, chunk) in data.chunks(part).enumerate().take(2) {
        let s = api
            .post_json("/api/sign_part", &json!({"id": id, "upload_id": upload_id, "part_number": n + 1, "size": chunk.len()}).to_string())
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.raw);
        let url = s.body["url"].as_str().unwrap();
        assert!(!url.to_ascii_lowercase().contains("checksum"));
        let put = reqwest::Client::new()
            .put(url)
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        etags.push(put.headers()["etag"].to_str().unwrap().to_string());
    }
    let listed = api
        .post_json(
            "/api/list_parts",
            &json!({"id": id, "upload_id": upload_id}).to_string(),
        )
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.raw);
    let listed = listed.body.as_array().unwrap().clone();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["part_number"], 1);
    assert_eq!(listed[1]["size"], part);

    // Only the plan's parts, each of its planned size, are signed.
    for (n, size, says) in [
        (4, 100, "not in this upload: it has 3 parts"),
        (3, 101, "part 3 of this upload is 100 bytes, not 101"),
        (1, part + 1, "not"),
    ] {
        let s = api
            .post_json(
                "/api/sign_part",
                &json!({"id": id, "upload_id": upload_id, "part_number": n, "size": size})
                    .to_string(),
            )
            .await;
        assert_eq!(s.status, StatusCode::BAD_REQUEST, "{}", s.raw);
        assert!(s.raw.contains(says), "{}", s.raw);
    }
    // Completing before every part is there is refused.
    let early = api
        .post_json(
            "/api/complete_multipart",
            &json!({"id": id, "upload_id": upload_id, "parts": listed}).to_string(),
        )
        .await;
    assert_eq!(early.status, StatusCode::BAD_REQUEST, "{}", early.raw);
    assert!(early.raw.contains("2 of its 3 parts"), "{}", early.raw);

    let last = &data[part * 2..];
    let s = api
        .post_json(
            "/api/sign_part",
            &json!({"id": id, "upload_id": upload_id, "part_number": 3, "size": last.len()})
                .to_string(),
        )
        .await;
    let put = reqwest::Client::new()
        .put(s.body["url"].as_str().unwrap())
        .body(last.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let mut parts: Vec<Value> = listed
        .iter()
        .map(|p| json!({"part_number": p["part_number"], "etag": p["etag"], "size": p["size"]}))
        .collect();
    parts.push(json!({"part_number": 3, "etag": put.headers()["etag"].to_str().unwrap(), "size": last.len()}));

    // Out of order is refused; in order completes and the asset is RECEIVED.
    let mut reversed = parts.clone();
    reversed.reverse();
    let bad = api
        .post_json(
            "/api/complete_multipart",
            &json!({"id": id, "upload_id": upload_id, "parts": reversed}).to_string(),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.raw);
    let done = api
        .post_json(
            "/api/complete_multipart",
            &json!({"id": id, "upload_id": upload_id, "parts": parts}).to_string(),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.raw);
    assert_eq!(done.body["status"], "RECEIVED");
    assert_eq!(done.body["size"], data.len());

    // The upload is over: no more parts can be signed.
    let late = api
        .post_json(
            "/api/sign_part",
            &json!({"id": id, "upload_id": upload_id, "part_number": 4, "size": 10}).to_string(),
        )
        .await;
    assert_eq!(late.status, StatusCode::PRECONDITION_FAILED, "{}", late.raw);
    let got = reqwest::get(
        api.get(&format!("/asset/{id}")).await.body["download_url"]
            .as_str()
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(got.bytes().await.unwrap().to_vec(), data);
}

#[tokio::test]
async fn multipart_bad_input_and_abort() {
    let api = TestApp::with_limits(Limits {
        max_upload_bytes: 100 * 1024 * 1024,
        ..Limits::default()
    })
    .await;
    let r = api
        .post_json(
            "/api/start_multipart",
            r#"{"upload": {"filename": "x.bin"}}"#,
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "size is required: {}",
        r.raw
    );
    let r = api
        .post_json(
            "/api/start_multipart",
            r#"{"upload": {"filename": "x.bin", "size": 104857601}}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.raw);

    let r = api
        .post_json(
            "/api/start_multipart",
            r#"{"upload": {"filename": "x.bin", "size": 20000000}}"#,
        )
        .await;
    let (id, upload_id) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["upload_id"].as_str().unwrap().to_string(),
    );
    for (n, size) in [(0, 10), (10_001, 10), (1, 0)] {
        let s = api
            .post_json(
                "/api/sign_part",
                &json!({"id": id, "upload_id": upload_id, "part_number": n, "size": size})
                    .to_string(),
            )
            .await;
        assert_eq!(
            s.status,
            StatusCode::BAD_REQUEST,
            "part {n} size {size}: {}",
            s.raw
        );
    }
    let s = api
        .post_json(
            "/api/sign_part",
            &json!({"id": id, "upload_id": "has space", "part_number": 1, "size": 1}).to_string(),
        )
        .await;
    assert_eq!(s.status, StatusCode::BAD_REQUEST, "{}", s.raw);
    let s = api
        .post_json(
            "/api/list_parts",
            &json!({"id": id, "upload_id": "no-such-upload"}).to_string(),
        )
        .await;
    assert_eq!(s.status, StatusCode::NOT_FOUND, "{}", s.raw);
    let s = api
        .post_json(
            "/api/complete_multipart",
            &json!({"id": id, "upload_id": upload_id, "parts": []}).to_string(),
        )
        .await;
    assert_eq!(s.status, StatusCode::BAD_REQUEST, "{}", s.raw);
    let s = api
        .post_json(
            "/api/sign_part",
            &json!({"id": UNKNOWN_ID, "upload_id": upload_id, "part_number": 1, "size": 1})
                .to_string(),
        )
        .await;
    assert_eq!(s.status, StatusCode::NOT_FOUND, "{}", s.raw);

    // Another asset's upload id (a real one) or an unknown one neither aborts nor deletes.
    let other = api
        .post_json(
            "/api/start_multipart",
            r#"{"upload": {"filename": "y.bin", "size": 20000000}}"#,
        )
        .await;
    for wrong in [other.body["upload_id"].as_str().unwrap(), "no-such-upload"] {
        let a = api
            .post_json(
                "/api/abort_multipart",
                &json!({"id": id, "upload_id": wrong}).to_string(),
            )
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.raw);
        let s = api
            .post_json(
                "/api/sign_part",
                &json!({"id": id, "upload_id": wrong, "part_number": 1, "size": 8388608})
                    .to_string(),
            )
            .await;
        assert_eq!(s.status, StatusCode::NOT_FOUND, "{}", s.raw);
    }
    let still = api
        .post_json("/api/get_asset", &json!({"id": id}).to_string())
        .await;
    assert_eq!(still.body["status"], "CREATED", "{}", still.raw);

    // Abort: the record is withdrawn (DELETED) and the upload is gone.
    let a = api
        .post_json(
            "/api/abort_multipart",
            &json!({"id": id, "upload_id": upload_id}).to_string(),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.raw);
    assert_eq!(a.body["status"], "DELETED");
    let again = api
        .post_json(
            "/api/abort_multipart",
            &json!({"id": id, "upload_id": upload_id}).to_string(),
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::PRECONDITION_FAILED,
        "only a CREATED asset's upload can be aborted: {}",
        again.raw
    );
    let s = api
        .post_json(
            "/api/sign_part",
            &json!({"id": id, "upload_id": upload_id, "part_number": 1, "size": 1}).to_string(),
        )
        .await;
    assert_eq!(s.status, StatusCode::PRECONDITION_FAILED, "{}", s.raw);
}

/// Issue 14's first finding: a completion listing the wrong parts (`[2]`, `[1,3]`, `[0,1]`,
/// `[1,10001]`) is a 400 that says why, and leaves the upload intact: the parts stay listed
/// and the right list then completes it.
#[tokio::test]
async fn a_refused_completion_leaves_the_upload_completable() {
    let api = TestApp::start().await;
    let mib = 1024 * 1024;
    let data: Vec<u8> = (0..11 * mib).map(|i| (i % 241) as u8).collect();
    let r = api
        .post_json(
            "/api/start_multipart",
            &json!({"upload": {"filename": "two.bin", "size": data.len()}}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let (id, upload_id) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["upload_id"].as_str().unwrap().to_string(),
    );
    let mut etags = vec![];
    for (n, chunk) in (1..).zip(data.chunks(8 * mib)) {
        let s = api
            .post_json(
                "/api/sign_part",
                &json!({"id": id, "upload_id": upload_id, "part_number": n, "size": chunk.len()})
                    .to_string(),
            )
            .await;
        let put = reqwest::Client::new()
            .put(s.body["url"].as_str().unwrap())
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(put.status(), 200);
        etags.push(put.headers()["etag"].to_str().unwrap().to_string());
    }
    let part = |n: u32| {
        let etag = etags
            .get(n.wrapping_sub(1) as usize)
            .cloned()
            .unwrap_or("x".into());
        json!({"part_number": n, "etag": etag, "size": 1})
    };
    let complete =
        |parts: Vec<Value>| json!({"id": id, "upload_id": upload_id, "parts": parts}).to_string();
    for wrong in [vec![2], vec![1, 3], vec![0, 1], vec![1, 10_001]] {
        let r = api
            .post_json(
                "/api/complete_multipart",
                &complete(wrong.iter().map(|&n| part(n)).collect()),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{wrong:?}: {}", r.raw);
        let listed = api
            .post_json(
                "/api/list_parts",
                &json!({"id": id, "upload_id": upload_id}).to_string(),
            )
            .await;
        assert_eq!(listed.status, StatusCode::OK, "{wrong:?}: {}", listed.raw);
        assert_eq!(listed.body.as_array().unwrap().len(), 2, "{wrong:?}");
    }
    let done = api
        .post_json("/api/complete_multipart", &complete(vec![part(1), part(2)]))
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.raw);
    let a = api
        .post_json("/api/get_asset", &json!({"id": id}).to_string())
        .await;
    assert_eq!(a.body["status"], "RECEIVED", "{}", a.raw);
    assert_eq!(a.body["size"], data.len());
}

/// What REST clients get back, snapshotted with the values that change each run redacted:
/// the upload ticket, a listing, the recorded metadata, a download link.
#[tokio::test]
async fn rest_bodies_keep_their_shape() {
    let api = TestApp::start().await;
    let ticket = api
        .post_json(
            "/asset",
            r#"{"filename": "notes/été.txt", "content_type": "text/plain", "size": 5}"#,
        )
        .await;
    let id = api.uploaded("report.txt", b"bytes").await;
    let listing = api.get("/asset?limit=1").await;
    let key = format!("uploads/local/{id}/report.txt");
    let metadata = api
        .get(&format!("/metadata?bucket={}&key={key}", api.bucket()))
        .await;
    let link = api.get(&format!("/asset/{id}")).await;
    let bodies = json!({
        "POST /asset": ticket.body,
        "GET /asset?limit=1": listing.body,
        "GET /metadata": metadata.body,
        "GET /asset/{id}": link.body,
    });
    insta::with_settings!({ filters => vec![
        (r"01[0-9A-HJKMNP-TV-Z]{24}", "[id]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", "[time]"),
        (r"http://127\.0\.0\.1:\d+/[^\x22]*", "[presigned url]"),
        (r"\x22[0-9A-F]{16,64}\x22", "\"[sequencer]\""),
        (r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", "[cursor]"),
    ]}, {
        insta::assert_json_snapshot!("rest_bodies", bodies);
    });
}

#[tokio::test]
async fn names_are_stored_and_searched_in_nfc() {
    let api = TestApp::start().await;
    // `É` and `é` typed decomposed (a letter and U+0301), as some systems spell them.
    let r = api
        .post_json(
            "/asset",
            &json!({"filename": "E\u{301}te\u{301}.txt", "content_type": "text/plain"}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let id = r.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        r.body["object_key"],
        format!("uploads/local/{id}/\u{c9}t\u{e9}.txt")
    );
    // Either spelling, either case, finds it.
    for prefix in ["E%CC%81te%CC%81", "%C3%A9t%C3%A9", "%C3%89T"] {
        let r = api.get(&format!("/asset?prefix={prefix}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        let items = r.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{prefix}: {}", r.raw);
        assert_eq!(items[0]["filename"], "\u{c9}t\u{e9}.txt");
    }
}
