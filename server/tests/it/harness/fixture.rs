//! A [`TestApp`] with one asset in each state, for the tests that need every answer an
//! operation can give (the OpenAPI contract, the bad-input table).

use super::TestApp;
use axum::http::{Method, StatusCode};
use server::config::Limits;

/// Ids of assets in each state, and the app holding them. Uploads are limited to 1000 bytes
/// of `text/*` or `image/*`.
pub struct Fixture {
    pub app: TestApp,
    pub created: String,
    pub received: String,
    pub uploaded: String,
    pub deleted: String,
    /// The object key of `received`, which its S3 event recorded.
    pub received_key: String,
}

/// A well-formed id no asset has.
pub const UNKNOWN_ID: &str = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";

impl Fixture {
    pub async fn start() -> Fixture {
        let app = TestApp::with_limits(Limits {
            max_upload_bytes: 1000,
            allowed_types: vec!["text/*".into(), "image/*".into()],
            ..Limits::default()
        })
        .await;
        let r = app
            .post_json(
                "/asset",
                r#"{"filename": "waiting.txt", "content_type": "text/plain"}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
        let created = r.body["id"].as_str().unwrap().to_string();
        let received = app.uploaded("received.txt", b"bytes").await;
        let uploaded = app.uploaded("uploaded.txt", b"bytes").await;
        let deleted = app.uploaded("deleted.txt", b"bytes").await;
        for (method, id, status) in [
            (Method::PUT, &uploaded, StatusCode::ACCEPTED),
            (Method::DELETE, &deleted, StatusCode::NO_CONTENT),
        ] {
            let r = app.send(method, &format!("/asset/{id}"), None).await;
            assert_eq!(r.status, status, "{}", r.raw);
        }
        let received_key = format!("uploads/local/{received}/received.txt");
        Fixture {
            app,
            created,
            received,
            uploaded,
            deleted,
            received_key,
        }
    }
}
