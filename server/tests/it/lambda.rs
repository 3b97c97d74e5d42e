//! The Lambda entry points, in process: real-shaped API Gateway HTTP API v2 events through
//! `lambda_http`'s own adapter (what `lambda_http::run` drives), and S3 notifications through
//! the S3-event handler.
#![cfg(feature = "lambda")]

use crate::harness::TestApp;
use lambda_http::{request::LambdaRequest, Adapter, Context, LambdaEvent};
use serde_json::{json, Value};
use tower::ServiceExt;

/// The app as the template configures the web function: its public URL is the API's.
async fn lambda_app() -> TestApp {
    let mut settings = server::config::Settings::named("ferry-test", "ferry-test-bucket");
    settings.access.public_url = Some(crate::harness::API_URL.parse().unwrap());
    TestApp::with_settings(settings).await
}

/// An API Gateway v2 event with a base64 body, as a string.
fn apigw_event(method: &str, path: &str, query: &str, body: Option<&[u8]>) -> String {
    crate::harness::apigw_event(method, path, query, body, true).to_string()
}

/// Runs one event through the web function and returns the Lambda response document.
async fn invoke(env: &TestApp, event: &str) -> Value {
    let router = env.router();
    let payload: LambdaRequest = serde_json::from_str(event).expect("a valid API Gateway v2 event");
    let response = Adapter::from(router)
        .oneshot(LambdaEvent::new(payload, Context::default()))
        .await
        .unwrap();
    serde_json::to_value(&response).unwrap()
}

fn body_json(res: &Value) -> Value {
    assert_eq!(res["isBase64Encoded"], false, "{res}");
    serde_json::from_str(res["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn metadata_through_the_web_function() {
    let env = lambda_app().await;
    let key = "lambda/hello world+1.txt";
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(key)
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();

    let query = format!(
        "bucket={}&key={}",
        env.bucket(),
        "lambda%2Fhello%20world%2B1.txt"
    );
    let res = invoke(&env, &apigw_event("GET", "/metadata", &query, None)).await;
    assert_eq!(res["statusCode"], 200, "{res}");
    assert_eq!(res["headers"]["content-type"], "application/json");
    let meta = body_json(&res);
    assert_eq!(meta["object_key"], key);
    assert_eq!(meta["size"], 5);
    assert_eq!(meta["event_name"], "ObjectCreated:Put");

    let res = invoke(&env, &apigw_event("GET", "/metadata", "bucket=only", None)).await;
    assert_eq!(res["statusCode"], 400);
    assert_eq!(
        body_json(&res)["error"],
        "Missing required query parameters: bucket and key"
    );
    let res = invoke(
        &env,
        &apigw_event("GET", "/metadata", "bucket=ferry-uploads&key=none", None),
    )
    .await;
    assert_eq!(res["statusCode"], 404);
    assert_eq!(body_json(&res)["error"], "Metadata not found");
}

#[tokio::test]
async fn asset_routes_through_the_web_function() {
    let env = lambda_app().await;
    // A base64-encoded JSON body, as API Gateway delivers it.
    let body = br#"{"filename": "from lambda.txt", "content_type": "text/plain", "size": 4}"#;
    let res = invoke(&env, &apigw_event("POST", "/asset", "", Some(body))).await;
    assert_eq!(res["statusCode"], 201, "{res}");
    let created = body_json(&res);
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["headers"]["content-type"], "text/plain");

    // Path parameter and query string.
    let res = invoke(
        &env,
        &apigw_event("GET", &format!("/asset/{id}"), "timeout=30", None),
    )
    .await;
    assert_eq!(
        res["statusCode"], 403,
        "CREATED cannot be downloaded: {res}"
    );
    let res = invoke(
        &env,
        &apigw_event("GET", "/asset", "limit=5&status=CREATED", None),
    )
    .await;
    assert_eq!(res["statusCode"], 200);
    assert_eq!(body_json(&res)["items"][0]["asset_id"], id);
    let res = invoke(&env, &apigw_event("PUT", &format!("/asset/{id}"), "", None)).await;
    assert_eq!(res["statusCode"], 412);
    let res = invoke(
        &env,
        &apigw_event("DELETE", &format!("/asset/{id}"), "", None),
    )
    .await;
    assert_eq!(res["statusCode"], 204);
    let res = invoke(&env, &apigw_event("GET", "/asset/not-an-id", "", None)).await;
    assert_eq!(res["statusCode"], 400);
    let res = invoke(&env, &apigw_event("PATCH", "/asset", "", None)).await;
    assert_eq!(res["statusCode"], 405);
    // Malformed JSON in a base64 body.
    let res = invoke(&env, &apigw_event("POST", "/asset", "", Some(b"{nope"))).await;
    assert_eq!(res["statusCode"], 400);
}

#[tokio::test]
async fn pages_render_through_the_web_function() {
    let env = lambda_app().await;
    let res = invoke(&env, &apigw_event("GET", "/assets", "", None)).await;
    assert_eq!(res["statusCode"], 200);
    assert!(res["headers"]["content-type"]
        .as_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(res["body"]
        .as_str()
        .unwrap()
        .contains("<title>Assets · Ferry</title>"));
    let res = invoke(&env, &apigw_event("GET", "/nowhere", "", None)).await;
    assert_eq!(res["statusCode"], 404);
}

/// An S3 notification as S3 delivers it to Lambda: several records, URL-encoded keys.
fn s3_notification(bucket: &str, records: &[(&str, &str, u64, &str)]) -> String {
    let records: Vec<Value> = records
        .iter()
        .map(|(name, key, size, seq)| {
            crate::harness::s3_record_json(
                name,
                bucket,
                key,
                *size,
                "d41d8cd98f00b204e9800998ecf8427e",
                seq,
            )
        })
        .collect();
    json!({ "Records": records }).to_string()
}

#[tokio::test]
async fn s3_event_function_applies_every_record() {
    let env = lambda_app().await;
    let event: aws_lambda_events::s3::S3Event = serde_json::from_str(&s3_notification(
        env.bucket(),
        &[
            (
                "ObjectCreated:Put",
                "photos/summer+2024/beach+%281%29.jpg",
                2048,
                "0055AED6DCD90281E5",
            ),
            (
                "ObjectCreated:CompleteMultipartUpload",
                "videos/%C3%A9t%C3%A9.mp4",
                104_857_600,
                "0055AED6DCD90281E6",
            ),
            (
                "ObjectCreated:Copy",
                "docs/a%2Bb.txt",
                10,
                "0055AED6DCD90281E7",
            ),
            (
                "ObjectRemoved:Delete",
                "docs/a%2Bb.txt",
                0,
                "0055AED6DCD90281E8",
            ),
        ],
    ))
    .unwrap();
    server::lambda::handle_s3_event(env.services(), event.clone())
        .await
        .unwrap();

    let store = env.store();
    let beach = store
        .object_metadata(
            &app::domain::Caller::local(),
            env.bucket(),
            "photos/summer 2024/beach (1).jpg",
        )
        .await
        .unwrap();
    assert_eq!(beach.size, 2048);
    let video = store
        .get_by_object(
            &app::domain::Caller::local(),
            env.bucket(),
            "videos/été.mp4",
        )
        .await
        .unwrap();
    assert_eq!(video.size, Some(104_857_600));
    assert_eq!(video.content_type, "video/mp4");
    assert!(
        store
            .get_by_object(&app::domain::Caller::local(), env.bucket(), "docs/a+b.txt")
            .await
            .is_err(),
        "created then removed"
    );

    // Redelivery of the same notification changes nothing.
    server::lambda::handle_s3_event(env.services(), event)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_by_object(
                &app::domain::Caller::local(),
                env.bucket(),
                "videos/été.mp4"
            )
            .await
            .unwrap(),
        video
    );
}

#[tokio::test]
async fn s3_event_function_skips_records_for_another_bucket() {
    let env = lambda_app().await;
    let event: aws_lambda_events::s3::S3Event = serde_json::from_str(&s3_notification(
        "someone-elses",
        &[
            ("ObjectCreated:Put", "uploads/local/x.txt", 1, "01"),
            ("ObjectCreated:Copy", "photos/y.jpg", 2, "02"),
        ],
    ))
    .unwrap();
    // Succeeds (a poison record must not make Lambda retry forever) and records nothing.
    server::lambda::handle_s3_event(env.services(), event)
        .await
        .unwrap();
    let page = env
        .store()
        .list(server::storage::Scope::All, Default::default())
        .await
        .unwrap();
    assert!(page.items.is_empty(), "{:?}", page.items);
    assert!(env
        .store()
        .get_by_object(
            &app::domain::Caller::local(),
            "someone-elses",
            "uploads/local/x.txt"
        )
        .await
        .is_err());
}

#[tokio::test]
async fn s3_event_function_fails_the_invocation_when_storage_fails() {
    let env = lambda_app().await;
    // The same services, but pointed at a table that does not exist.
    let services = env.services_without_table();
    let event: aws_lambda_events::s3::S3Event = serde_json::from_str(&s3_notification(
        env.bucket(),
        &[("ObjectCreated:Put", "x.txt", 1, "01")],
    ))
    .unwrap();
    let err = server::lambda::handle_s3_event(&services, event)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("retry"), "{err}");

    // Records for another bucket are skipped too, and do not fail the invocation.
    let event: aws_lambda_events::s3::S3Event = serde_json::from_str(&s3_notification(
        "someone-elses",
        &[("ObjectCreated:Put", "x.txt", 1, "01")],
    ))
    .unwrap();
    server::lambda::handle_s3_event(&services, event)
        .await
        .unwrap();

    // Malformed records alone are skipped, not retried forever.
    let event: aws_lambda_events::s3::S3Event = serde_json::from_str(&s3_notification(
        env.bucket(),
        &[("ObjectCreated:Put", "%FF", 1, "01")],
    ))
    .unwrap();
    server::lambda::handle_s3_event(env.services(), event)
        .await
        .unwrap();
}
