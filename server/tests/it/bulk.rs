//! One action on many assets (`POST /asset/bulk`, the `bulk_assets` server function): each
//! asset changed on its own, with what was done and what could not be said per asset, in
//! the order named; a refusal for one leaves the rest done; bad requests change nothing.

use crate::harness::{user, Fixture, UNKNOWN_ID};
use axum::http::StatusCode;
use serde_json::{json, Value};

fn results(body: &Value) -> Vec<(String, bool, Value, u64)> {
    body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["asset_id"].as_str().unwrap().to_string(),
                r["done"].as_bool().unwrap(),
                r["state"].clone(),
                r["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_asset_is_changed_on_its_own_and_reported() {
    let f = Fixture::start().await;
    let mallory = f.app.as_caller(user("mallory"));
    let created = mallory
        .post_json(
            "/asset",
            r#"{"filename": "theirs.txt", "content_type": "text/plain"}"#,
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.raw);
    let theirs = created.body["id"].as_str().unwrap().to_string();
    // The fixture's owner, not as an administrator (who would reach mallory's too).
    let me = f.app.as_caller(app::domain::Caller {
        admin: false,
        ..app::domain::Caller::local()
    });
    let ids = [
        f.received.to_string(),
        f.deleted.to_string(),
        theirs.clone(),
        UNKNOWN_ID.to_string(),
        f.created.to_string(),
    ];
    let r = me
        .post_json(
            "/asset/bulk",
            &json!({"action": "delete", "ids": ids}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(
        results(&r.body),
        [
            (ids[0].clone(), true, json!("DELETED"), 200),
            // Already deleted: as asked.
            (ids[1].clone(), true, json!("DELETED"), 200),
            // Another owner's is not found, exactly like a missing one.
            (ids[2].clone(), false, Value::Null, 404),
            (ids[3].clone(), false, Value::Null, 404),
            (ids[4].clone(), true, json!("DELETED"), 200),
        ]
    );
    assert_eq!(r.body["results"][2]["error"], "Asset not found");
    // Theirs is untouched.
    let theirs_now = mallory.get("/asset?limit=5").await;
    assert_eq!(theirs_now.body["items"][0]["state"], "CREATED");

    // Restore them (one never was deleted: refused, the others done).
    let r = f
        .app
        .post_json(
            "/asset/bulk",
            &json!({"action": "restore", "ids": [ids[0], ids[4], f.uploaded.to_string()]})
                .to_string(),
        )
        .await;
    assert_eq!(
        results(&r.body),
        [
            (ids[0].clone(), true, json!("RECEIVED"), 200),
            (ids[4].clone(), true, json!("CREATED"), 200),
            (f.uploaded.to_string(), false, Value::Null, 412),
        ]
    );
    // Mark uploaded: only what has its bytes.
    let r = f
        .app
        .post_json(
            "/api/bulk_assets",
            &json!({"action": "mark_uploaded", "ids": [ids[0], ids[4]]}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let outcomes = r.body.as_array().unwrap();
    assert_eq!(outcomes[0]["result"]["Ok"]["status"], "UPLOADED");
    assert!(outcomes[1]["result"]["Err"]["PreconditionFailed"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bulk_requests_change_nothing() {
    let f = Fixture::start().await;
    let id = f.received.to_string();
    let many: Vec<String> = (0..101).map(|_| UNKNOWN_ID.to_string()).collect();
    for (body, status, says) in [
        (
            json!({"action": "delete", "ids": []}),
            StatusCode::BAD_REQUEST,
            "1 to 100",
        ),
        (
            json!({"action": "delete", "ids": many}),
            StatusCode::BAD_REQUEST,
            "1 to 100",
        ),
        (
            json!({"action": "delete", "ids": [id, id]}),
            StatusCode::BAD_REQUEST,
            "twice",
        ),
        (
            json!({"action": "shred", "ids": [id]}),
            StatusCode::BAD_REQUEST,
            "unknown variant",
        ),
        (
            json!({"action": "delete", "ids": ["nope"]}),
            StatusCode::BAD_REQUEST,
            "not a valid asset id",
        ),
        (
            json!({"action": "delete", "ids": [id], "force": true}),
            StatusCode::BAD_REQUEST,
            "unknown field",
        ),
        (
            json!({"ids": [id]}),
            StatusCode::BAD_REQUEST,
            "missing field",
        ),
    ] {
        let r = f.app.post_json("/asset/bulk", &body.to_string()).await;
        assert_eq!(r.status, status, "{body}: {}", r.raw);
        assert!(
            r.body["error"].as_str().unwrap().contains(says),
            "{body}: {}",
            r.raw
        );
    }
    let r = f.app.post_json("/asset/bulk", "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = f
        .app
        .send(
            axum::http::Method::POST,
            "/asset/bulk",
            Some(("text/plain", r#"{"action": "delete", "ids": []}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Nothing was deleted by any of them.
    let r = f.app.get(&format!("/asset/{id}")).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.raw);
}
