//! Every asset is its owner's: another caller gets 404 from every route that names it (REST
//! and server functions), sees only their own assets in listings, and cannot continue another
//! owner's cursor. Administrators see everyone's and the objects that belong to no owner.
//! Run through the whole router as different callers (`TestApp::as_caller`).

use crate::harness::{admin, user, Client, TestApp};
use axum::http::{header, Method, StatusCode};
use serde_json::{json, Value};

/// The ids of a listing page (`query` after `/asset?`).
async fn listed(client: &Client, query: &str) -> Vec<String> {
    let r = client.get(&format!("/asset?{query}")).await;
    assert_eq!(r.status, StatusCode::OK, "{query}: {}", r.raw);
    ids(&r.body)
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["asset_id"].as_str().unwrap().to_string())
        .collect()
}

/// Puts an object straight into the bucket, as `aws s3 cp` would (no Ferry record first).
async fn put_object(app: &TestApp, key: &str) {
    app.s3()
        .put_object()
        .bucket(app.bucket())
        .key(key)
        .body(b"bytes".to_vec().into())
        .send()
        .await
        .unwrap();
}

/// The record of the object at `key`, as the administrator sees it.
async fn record_of(app: &TestApp, key: &str) -> Value {
    let r = app
        .as_caller(admin("root"))
        .get("/asset?owner=all&limit=100")
        .await;
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["object_key"] == key)
        .unwrap_or_else(|| panic!("no record of {key}: {}", r.raw))
        .clone()
}

#[tokio::test]
async fn another_owners_asset_is_404_on_every_route() {
    let app = TestApp::start().await;
    let alice = app.as_caller(user("alice"));
    let bob = app.as_caller(user("bob"));
    let (received, key) = alice.upload("secret.txt", b"alice's").await;
    let (deleted, _) = alice.upload("gone.txt", b"alice's").await;
    assert_eq!(
        alice
            .send(Method::DELETE, &format!("/asset/{deleted}"), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let multipart = alice
        .post_json(
            "/api/start_multipart",
            &json!({"upload": {"filename": "big.bin", "size": 6_000_000}}).to_string(),
        )
        .await;
    assert_eq!(multipart.status, StatusCode::OK, "{}", multipart.raw);
    let (parted, upload_id) = (
        multipart.body["id"].as_str().unwrap().to_string(),
        multipart.body["upload_id"].as_str().unwrap().to_string(),
    );
    let before = alice.get("/asset?limit=100").await.body;

    let meta = format!("/metadata?bucket={}&key={key}", app.bucket());
    let part = json!({"id": parted, "upload_id": upload_id, "part_number": 1, "size": 10});
    let parts = json!({"id": parted, "upload_id": upload_id,
        "parts": [{"part_number": 1, "etag": "e", "size": 10}]});
    let upload_ref = json!({"id": parted, "upload_id": upload_id});
    let rest: Vec<(Method, String)> = vec![
        (Method::GET, format!("/asset/{received}")),
        (Method::GET, format!("/assets/{received}/download")),
        (Method::PUT, format!("/asset/{received}")),
        (Method::DELETE, format!("/asset/{received}")),
        (Method::POST, format!("/asset/{deleted}/restore")),
        (Method::GET, meta.clone()),
    ];
    for (method, uri) in &rest {
        let r = bob.send(method.clone(), uri, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method} {uri}: {}", r.raw);
        assert!(r.body["error"].is_string(), "{method} {uri}: {}", r.raw);
    }
    let server_fns: Vec<(&str, String, bool)> = vec![
        ("/api/get_asset", json!({"id": received}).to_string(), true),
        (
            "/api/download_link",
            json!({"id": received}).to_string(),
            true,
        ),
        ("/api/mark_uploaded", format!("id={received}"), false),
        ("/api/delete_asset", format!("id={received}"), false),
        ("/api/restore_asset", format!("id={deleted}"), false),
        ("/api/sign_part", part.to_string(), true),
        ("/api/list_parts", upload_ref.to_string(), true),
        ("/api/complete_multipart", parts.to_string(), true),
        ("/api/abort_multipart", upload_ref.to_string(), true),
    ];
    for (uri, body, json) in &server_fns {
        let r = if *json {
            bob.post_json(uri, body).await
        } else {
            bob.post_form(uri, body).await
        };
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}: {}", r.raw);
        assert!(r.body["NotFound"].is_string(), "{uri}: {}", r.raw);
    }
    // Bob's listings hold nothing of Alice's, whatever the filter, order or search.
    for query in [
        "",
        "status=RECEIVED",
        "sort=name",
        "prefix=secret",
        "status=DELETED",
    ] {
        assert_eq!(listed(&bob, query).await, Vec::<String>::new(), "{query}");
    }
    // Nothing Bob tried changed anything; Alice still has it all.
    assert_eq!(alice.get("/asset?limit=100").await.body, before);
    for (method, uri) in &rest[..2] {
        let r = alice.send(method.clone(), uri, None).await;
        assert!(r.status.is_success() || r.status.is_redirection(), "{uri}");
    }
    assert_eq!(alice.get(&meta).await.status, StatusCode::OK);
    let r = alice
        .post_json("/api/list_parts", &upload_ref.to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let r = alice
        .send(Method::POST, &format!("/asset/{deleted}/restore"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
}

#[tokio::test]
async fn listings_are_per_owner_and_cursors_stay_with_theirs() {
    let app = TestApp::start().await;
    let alice = app.as_caller(user("alice"));
    let bob = app.as_caller(user("bob"));
    let mut alices = vec![];
    for name in ["a1.txt", "a2.txt", "a3.txt"] {
        alices.push(alice.upload(name, b"a").await.0);
    }
    let (bobs, key) = bob.upload("b1.txt", b"b").await;
    assert_eq!(key, format!("uploads/bob/{bobs}/b1.txt"));
    alices.reverse();
    assert_eq!(listed(&alice, "").await, alices, "newest first, only hers");
    assert_eq!(listed(&bob, "").await, [bobs.as_str()]);
    let r = alice.get("/asset").await;
    assert!(r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["owner"] == "alice"));

    // A cursor of Alice's listing is a 400 in Bob's, and in the same listing of another scope.
    let page = alice.get("/asset?limit=1").await;
    let cursor = page.body["next_cursor"].as_str().unwrap().to_string();
    let r = bob.get(&format!("/asset?limit=1&cursor={cursor}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);
    assert!(
        r.body["error"]
            .as_str()
            .unwrap()
            .contains("another listing"),
        "{}",
        r.raw
    );
    let root = app.as_caller(admin("root"));
    for scope in ["all", "unowned", "mine"] {
        let r = root
            .get(&format!("/asset?limit=1&owner={scope}&cursor={cursor}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{scope}: {}", r.raw);
    }
    // Alice's own listing continues, and so does an administrator's view of Alice's.
    let r = alice.get(&format!("/asset?limit=1&cursor={cursor}")).await;
    assert_eq!(ids(&r.body), [alices[1].clone()]);
    let r = root
        .get(&format!("/asset?limit=1&owner=user:alice&cursor={cursor}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(ids(&r.body), [alices[1].clone()]);
    // Server functions too.
    let r = bob
        .post_json(
            "/api/list_assets",
            &json!({"params": {"limit": 1, "cursor": cursor}}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);
}

#[tokio::test]
async fn only_administrators_filter_by_owner() {
    let app = TestApp::start().await;
    let alice = app.as_caller(user("alice"));
    let (mine, _) = alice.upload("mine.txt", b"a").await;
    app.as_caller(user("bob")).upload("bobs.txt", b"b").await;
    let before = app
        .as_caller(admin("root"))
        .get("/asset?owner=all&limit=100")
        .await
        .body;
    for query in ["owner=all", "owner=unowned", "owner=user:bob"] {
        let r = alice.get(&format!("/asset?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.raw);
        assert_eq!(
            r.body["error"], "only administrators can filter by owner",
            "{query}"
        );
        assert!(r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
    }
    let r = alice
        .post_json(
            "/api/list_assets",
            &json!({"params": {"owner": "all"}}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);
    assert_eq!(
        r.body["BadRequest"],
        "only administrators can filter by owner"
    );
    // Naming oneself is the same as not filtering.
    assert_eq!(listed(&alice, "owner=user:alice").await, [mine.as_str()]);
    assert_eq!(listed(&alice, "owner=mine").await, [mine]);
    let r = alice
        .post_json("/api/list_assets", r#"{"params": {}}"#)
        .await;
    assert_eq!(r.body["viewer_is_admin"], false, "{}", r.raw);
    let r = app
        .as_caller(admin("root"))
        .post_json("/api/list_assets", r#"{"params": {}}"#)
        .await;
    assert_eq!(r.body["viewer_is_admin"], true, "{}", r.raw);
    let after = app
        .as_caller(admin("root"))
        .get("/asset?owner=all&limit=100")
        .await
        .body;
    assert_eq!(after, before, "refused listings change nothing");
}

#[tokio::test]
async fn administrators_see_every_owner_and_unowned_objects() {
    let app = TestApp::start().await;
    let alice = app.as_caller(user("alice"));
    let bob = app.as_caller(user("bob"));
    let root = app.as_caller(admin("root"));
    let (a, _) = alice.upload("a.txt", b"a").await;
    let (b, _) = bob.upload("b.txt", b"b").await;
    // Written by another tool, outside uploads/<owner>/: nobody's.
    put_object(&app, "imports/ledger.txt").await;
    let imported = record_of(&app, "imports/ledger.txt").await;
    assert_eq!(imported["owner"], Value::Null);
    let unowned = imported["asset_id"].as_str().unwrap().to_string();

    let r = root.get("/asset?owner=all").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let owners: Vec<(String, Value)> = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["asset_id"].as_str().unwrap().to_string(),
                i["owner"].clone(),
            )
        })
        .collect();
    assert_eq!(
        owners,
        [
            (unowned.clone(), Value::Null),
            (b.clone(), json!("bob")),
            (a.clone(), json!("alice")),
        ],
        "everyone's, newest first, with the owner column"
    );
    assert_eq!(listed(&root, "owner=unowned").await, [unowned.as_str()]);
    assert_eq!(listed(&root, "owner=user:alice").await, [a.as_str()]);
    assert_eq!(
        listed(&root, "owner=all&sort=name").await,
        [a, b, unowned.clone()]
    );
    assert_eq!(
        listed(&root, "owner=mine").await,
        Vec::<String>::new(),
        "an administrator's own listing is their own"
    );
    assert_eq!(
        listed(&root, "").await,
        listed(&root, "owner=all").await,
        "an administrator sees everything by default"
    );
    // The unowned object is invisible to everyone else, listing, record and metadata.
    let meta = format!("/metadata?bucket={}&key=imports/ledger.txt", app.bucket());
    for who in [&alice, &bob] {
        assert!(!listed(who, "limit=100").await.contains(&unowned));
        assert_eq!(
            who.get(&format!("/asset/{unowned}")).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(who.get(&meta).await.status, StatusCode::NOT_FOUND);
    }
    assert_eq!(root.get(&meta).await.status, StatusCode::OK);
    // Administrators act on anyone's asset (and on unowned ones).
    let r = root
        .send(Method::PUT, &format!("/asset/{unowned}"), None)
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.raw);
    // The local caller of a Ferry without sign-in is an administrator: it sees them too.
    assert!(listed(&app, "owner=all").await.contains(&unowned));
}

#[tokio::test]
async fn objects_put_under_uploads_owner_belong_to_that_owner() {
    let app = TestApp::start().await;
    let id = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";
    let key = format!("uploads/carol/{id}/notes.txt");
    put_object(&app, &key).await;
    for (other_key, owner) in [
        (format!("uploads/{id}/old-style.txt"), Value::Null),
        ("uploads/carol/not-an-id/x.txt".to_string(), Value::Null),
        (format!("uploads/dave/{id}"), json!("dave")),
    ] {
        put_object(&app, &other_key).await;
        assert_eq!(
            record_of(&app, &other_key).await["owner"],
            owner,
            "{other_key}"
        );
    }
    let record = record_of(&app, &key).await;
    assert_eq!(record["owner"], "carol");
    let carol = app.as_caller(user("carol"));
    let own = record["asset_id"].as_str().unwrap().to_string();
    assert_eq!(listed(&carol, "").await, [own.as_str()]);
    let meta = format!("/metadata?bucket={}&key={key}", app.bucket());
    assert_eq!(carol.get(&meta).await.status, StatusCode::OK);
    assert_eq!(
        carol.get(&format!("/asset/{own}")).await.status,
        StatusCode::ACCEPTED
    );
    let bob = app.as_caller(user("bob"));
    assert_eq!(bob.get(&meta).await.status, StatusCode::NOT_FOUND);
    assert!(listed(&bob, "").await.is_empty());
}

#[tokio::test]
async fn pages_render_only_the_callers_assets() {
    let app = TestApp::start().await;
    let alice = app.as_caller(user("alice"));
    let (a, _) = alice.upload("alices-diary.txt", b"a").await;
    let bob = app.as_caller(user("bob"));
    let r = bob.get("/assets").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.raw.contains("alices-diary.txt"));
    assert_eq!(
        bob.get(&format!("/assets/{a}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = alice.get("/assets").await;
    assert!(r.markup().contains("alices-diary.txt"));
    assert!(
        !r.raw.contains("data-owner-filter"),
        "no owner filter for users"
    );
    assert!(!r.raw.contains("data-owner="), "no owner column for users");
    let r = bob.get("/assets?owner=all").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let root = app.as_caller(admin("root"));
    let r = root.get("/assets?owner=all").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.markup().contains("alices-diary.txt"));
    assert!(
        r.markup().contains(r#"data-owner="alice""#),
        "admins get the owner column"
    );
    assert!(
        r.markup().contains(r#"href="/assets?owner=user%3Aalice""#),
        "an owner links to their assets"
    );
    assert!(
        r.markup().contains("data-owner-filter"),
        "admins get the owner filter"
    );
    let r = root.get("/assets?owner=user:alice&status=received").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.markup().contains("alices-diary.txt"));
    assert!(
        r.markup().contains(r#"name="owner" value="user:alice""#),
        "the search form keeps the owner"
    );
    let r = alice.get(&format!("/assets/{a}")).await;
    assert!(
        r.markup().contains(r#"<span class="mono">alice</span>"#),
        "the detail page names the owner"
    );
}

#[tokio::test]
async fn a_request_without_a_caller_is_an_internal_error() {
    // `server::routes` without a caller layer: a wiring mistake must fail closed.
    let app = TestApp::start().await;
    let site = server::site::Site::load(std::path::Path::new("/nonexistent")).unwrap();
    let bare = server::routes(site, app.services());
    let r = crate::harness::call(
        bare.clone(),
        axum::http::Request::post("/api/list_assets")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(r#"{"params": {}}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.raw);
    assert!(r.body["Internal"].is_string(), "{}", r.raw);
    let r = crate::harness::call(
        bare,
        axum::http::Request::get("/asset")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.raw);
}
