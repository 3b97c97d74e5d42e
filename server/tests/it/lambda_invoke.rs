//! The `ferry` binary run the way AWS Lambda runs it: started with no arguments in its task
//! root (`bootstrap` next to `site/`), its handler named by `_HANDLER`, talking to a Lambda
//! Runtime API (emulated in process: `harness::runtime_api`) that hands it API Gateway HTTP
//! API v2 events and S3 notifications and collects its answers. DynamoDB and S3 are the
//! embedded backends, reached through `AWS_ENDPOINT_URL_*`.
//!
//! By default the binary is this build's `ferry` with a small site written by the harness.
//! With `FERRY_LAMBDA_TASK_ROOT` set to an unpacked `target/lambda/ferry.zip`, it is that
//! zip's `bootstrap` and `site/` — the arm64 artifact — run through `FERRY_LAMBDA_RUNNER`
//! (e.g. `qemu-aarch64 -L /usr/aarch64-linux-gnu`); see `scripts/test-lambda-artifact.sh`.
//!
//! `tests/lambda.rs` drives the same handlers in process; this is the out-of-process check
//! that the binary's Lambda start-up (environment, handler choice, runtime loop, static files
//! from its task root) works.
#![cfg(feature = "lambda")]

use crate::harness::{
    runtime_api::{Artifact, Function, Outcome},
    TestApp,
};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// An API Gateway v2 event with a plain-text JSON body.
fn apigw_event(method: &str, path: &str, query: &str, body: Option<&str>) -> Value {
    crate::harness::apigw_event(method, path, query, body.map(str::as_bytes), false)
}

/// An S3 notification with one record, as S3 delivers it to Lambda (key URL-encoded).
fn s3_notification(name: &str, bucket: &str, key: &str, size: u64, seq: &str) -> Value {
    let etag = "0f343b0931126a20f133d67c2b018a3b";
    json!({"Records": [crate::harness::s3_record_json(name, bucket, key, size, etag, seq)]})
}

/// The web function as the template configures it, signing in with an issuer: discovery and
/// keys fetched over HTTP from inside the function (the artifact's TLS-capable client), a
/// bearer token accepted, no credentials a 401, a page visit sent to sign in.
#[tokio::test]
async fn the_web_function_checks_the_issuers_tokens() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    let artifact = Artifact::from_env();
    let issuer = crate::harness::TestIssuer::start().await;
    let sign_in = [
        ("FERRY_AUTH", "oidc"),
        ("FERRY_OIDC_ISSUER", issuer.url.as_str()),
        ("FERRY_OIDC_CLIENT_ID", crate::harness::CLIENT_ID),
        (
            "FERRY_COOKIE_KEY",
            "a cookie secret of at least thirty-two bytes",
        ),
    ];
    let mut web = Function::start_with(&env.embedded, &artifact, "web", &table, &sign_in).await;

    let res = web.http("GET", "/asset", "", None).await;
    assert_eq!(res.status, 401, "{res:?}");
    assert_eq!(
        res.raw["headers"]["www-authenticate"],
        "Bearer realm=\"ferry\""
    );

    let mut event = apigw_event("GET", "/asset", "", None);
    event["headers"]["authorization"] = json!(format!("Bearer {}", issuer.token("alice", false)));
    let res = web.http_event(event).await;
    assert_eq!(res.status, 200, "{res:?}");

    let mut event = apigw_event("GET", "/asset", "", None);
    event["headers"]["authorization"] = json!("Bearer not-a-token");
    assert_eq!(web.http_event(event).await.status, 401);

    let res = web.http("GET", "/assets", "", None).await;
    assert_eq!(res.status, 303, "{res:?}");
    assert_eq!(res.raw["headers"]["location"], "/sign-in?next=%2Fassets");
}

/// Every instance of the web function seals page cursors with the same key, so the next
/// page can be served by another instance; an instance with another secret refuses the
/// cursor, and one without a secret does not start.
#[tokio::test]
async fn a_page_cursor_from_one_web_instance_opens_on_another() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    for name in ["a.txt", "b.txt"] {
        let r = env
            .post_json("/asset", &json!({ "filename": name }).to_string())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    }
    let artifact = Artifact::from_env();
    let mut first = Function::start(&env.embedded, &artifact, "web", &table).await;
    let mut second = Function::start(&env.embedded, &artifact, "web", &table).await;

    let page = first.http("GET", "/asset", "limit=1", None).await;
    assert_eq!(page.status, 200, "{page:?}");
    let cursor = page.body["next_cursor"].as_str().unwrap().to_owned();
    let query = format!("limit=1&cursor={cursor}");
    let next = second.http("GET", "/asset", &query, None).await;
    assert_eq!(next.status, 200, "{next:?}");
    let first_id = &page.body["items"][0]["asset_id"];
    assert!(first_id.is_string(), "{page:?}");
    assert_ne!(&next.body["items"][0]["asset_id"], first_id, "{next:?}");

    let other_secret = [(
        "FERRY_COOKIE_KEY",
        "another deployment's secret of 32 bytes",
    )];
    let mut other =
        Function::start_with(&env.embedded, &artifact, "web", &table, &other_secret).await;
    let refused = other.http("GET", "/asset", &query, None).await;
    assert_eq!(refused.status, 400, "{refused:?}");
    assert_eq!(
        refused.body["error"],
        "the cursor is not one this server issued"
    );

    let mut keyless = Function::start_with(
        &env.embedded,
        &artifact,
        "web",
        &table,
        &[("FERRY_COOKIE_KEY", "")],
    )
    .await;
    let status = tokio::task::spawn_blocking(move || {
        let status = keyless.child.wait().unwrap();
        (status, std::fs::read_to_string(keyless.log.path()).unwrap())
    })
    .await
    .unwrap();
    assert!(!status.0.success(), "{status:?}");
    assert!(
        status.1.contains("FERRY_COOKIE_KEY is missing"),
        "{}",
        status.1
    );
}

#[tokio::test]
async fn s3_event_and_web_functions_answer_through_the_runtime_api() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    let bucket = env.bucket().to_string();
    let artifact = Artifact::from_env();
    let mut events = Function::start(&env.embedded, &artifact, "s3-events", &table).await;
    let mut web = Function::start(&env.embedded, &artifact, "web", &table).await;
    // Both finish init and ask for an event before any is sent.
    events.init_duration().await;
    web.init_duration().await;

    // S3 reports an object (a key with a space and a plus, encoded as S3 encodes it).
    let key = "reports/q3 2026+final.pdf";
    let created = s3_notification(
        "ObjectCreated:Put",
        &bucket,
        "reports/q3+2026%2Bfinal.pdf",
        1234,
        "0062E99A88DC407460",
    );
    match events.invoke(&created).await {
        Outcome::Response(v) => assert_eq!(v, Value::Null),
        other => panic!("s3-events: {other:?}"),
    }

    // GET /metadata through the web function answers exactly what the event recorded.
    let query = "bucket=ferry-test-bucket&key=reports%2Fq3%202026%2Bfinal.pdf";
    let res = web.http("GET", "/metadata", query, None).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.content_type, "application/json");
    assert_eq!(res.raw["isBase64Encoded"], false);
    assert_eq!(
        res.body,
        json!({
            "bucket": "ferry-test-bucket",
            "object_key": key,
            "size": 1234,
            "etag": "0f343b0931126a20f133d67c2b018a3b",
            "event_time": crate::harness::S3_EVENT_TIME,
            "event_name": "ObjectCreated:Put",
            "sequencer": "0062E99A88DC407460",
            "content_type": null,
            "checksum_sha256": null
        })
    );

    // A redelivery is ignored; the removal (newer sequencer) removes the record.
    assert!(matches!(
        events.invoke(&created).await,
        Outcome::Response(Value::Null)
    ));
    let removed = s3_notification(
        "ObjectRemoved:Delete",
        &bucket,
        "reports/q3+2026%2Bfinal.pdf",
        0,
        "0062E99A88DC407470",
    );
    assert!(matches!(
        events.invoke(&removed).await,
        Outcome::Response(Value::Null)
    ));
    let res = web.http("GET", "/metadata", query, None).await;
    assert_eq!(res.status, 404, "{res:?}");
    assert_eq!(res.content_type, "application/json");
    assert_eq!(res.body["error"], "Metadata not found");

    // Missing parameters, and an unknown route under /metadata: JSON errors.
    let res = web
        .http("GET", "/metadata", "bucket=ferry-test-bucket", None)
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(
        res.body["error"],
        "Missing required query parameters: bucket and key"
    );
    let res = web.http("GET", "/metadata/no/such/route", "", None).await;
    assert_eq!(res.status, 404, "{res:?}");
    assert_eq!(res.content_type, "application/json");
    assert!(res.body["error"].is_string(), "{res:?}");
}

#[tokio::test]
async fn an_upload_signed_by_the_web_function_is_recorded_and_served() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    let artifact = Artifact::from_env();
    let mut web = Function::start(&env.embedded, &artifact, "web", &table).await;

    // POST /asset: the function signs a PUT against the S3 endpoint it was given.
    let res = web
        .http(
            "POST",
            "/asset",
            "",
            Some(r#"{"filename": "hello.txt", "content_type": "text/plain", "size": 12}"#),
        )
        .await;
    assert_eq!(res.status, 201, "{res:?}");
    let url = res.body["upload_url"].as_str().unwrap();
    assert!(
        url.starts_with(&env.embedded.s3_endpoint),
        "{url} is not on {}",
        env.embedded.s3_endpoint
    );
    let object_key = res.body["object_key"].as_str().unwrap().to_string();

    // The browser's PUT, with exactly the signed headers; the embedded S3 emits the event.
    let mut put = reqwest::Client::new().put(url).body("hello ferry\n");
    for (name, value) in res.body["headers"].as_object().unwrap() {
        if name != "content-length" {
            put = put.header(name, value.as_str().unwrap());
        }
    }
    let sent = put.send().await.unwrap();
    assert_eq!(sent.status(), 200, "{:?}", sent.text().await);

    let query = format!(
        "bucket={}&key={}",
        env.bucket(),
        url::form_urlencoded::byte_serialize(object_key.as_bytes()).collect::<String>()
    );
    let res = web.http("GET", "/metadata", &query, None).await;
    assert_eq!(res.status, 200, "{res:?}");
    let meta = res.body.as_object().unwrap();
    let fields: std::collections::BTreeSet<&str> = meta.keys().map(String::as_str).collect();
    assert_eq!(
        fields,
        std::collections::BTreeSet::from([
            "bucket",
            "checksum_sha256",
            "content_type",
            "etag",
            "event_name",
            "event_time",
            "object_key",
            "sequencer",
            "size"
        ])
    );
    assert_eq!(meta["bucket"], env.bucket());
    assert_eq!(meta["object_key"], object_key.as_str());
    assert_eq!(meta["size"], 12);
    assert_eq!(meta["event_name"], "ObjectCreated:Put");
}

#[tokio::test]
async fn a_storage_failure_fails_the_s3_invocation_so_lambda_retries_it() {
    let env = TestApp::start().await;
    let artifact = Artifact::from_env();
    let mut events = Function::start(&env.embedded, &artifact, "s3-events", "no-such-table").await;
    let event = s3_notification("ObjectCreated:Put", env.bucket(), "x.txt", 1, "01");
    match events.invoke(&event).await {
        Outcome::Error(e) => {
            let message = e["errorMessage"].as_str().unwrap_or_default();
            assert!(message.contains("retry"), "{e}");
        }
        other => panic!("expected an invocation error, got {other:?}"),
    }
    // Logged as one JSON object a line (the functions' JSON log format), each line of the
    // invocation with its request id.
    let log = events.log_text();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let handled = lines
        .iter()
        .find(|l| l["message"] == "S3 notification handled")
        .unwrap_or_else(|| panic!("no summary line in:\n{log}"));
    assert_eq!(handled["level"], "INFO", "{handled}");
    assert_eq!(handled["failed"], 1, "{handled}");
    assert_eq!(
        handled["span"]["requestId"], "8476a536-e9f4-11e8-9739-2dfe598c0001",
        "{handled}"
    );
}

#[tokio::test]
async fn the_web_function_serves_pages_and_the_hashed_bundle_from_its_task_root() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    let artifact = Artifact::from_env();
    let manifest = artifact.manifest();
    let mut web = Function::start(&env.embedded, &artifact, "web", &table).await;

    // The page inlines the stylesheet and loads the bundle the manifest names.
    let res = web.http("GET", "/assets", "", None).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert!(res.content_type.starts_with("text/html"), "{res:?}");
    let html = res.body.as_str().unwrap();
    let css = std::fs::read_to_string(
        artifact
            .task_root
            .join("site/pkg")
            .join(manifest["css"].as_str().unwrap()),
    )
    .unwrap();
    assert!(
        html.contains(&format!(">{css}</style>")),
        "no inlined stylesheet"
    );
    let js = manifest["js"].as_str().unwrap();
    assert!(html.contains(&format!("/pkg/{js}")), "no {js} in the page");

    // The wasm, gzip-encoded (binary: base64 in the Lambda response), cacheable for a year.
    let wasm = manifest["wasm"].as_str().unwrap();
    let mut event = apigw_event("GET", &format!("/pkg/{wasm}"), "", None);
    event["headers"]["accept-encoding"] = json!("gzip, deflate, br");
    let res = web.http_event(event).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert_eq!(res.raw["isBase64Encoded"], true, "{res:?}");
    assert_eq!(res.header("content-encoding"), "gzip");
    assert_eq!(
        res.header("cache-control"),
        "public, max-age=31536000, immutable"
    );
    let gz = std::fs::read(artifact.task_root.join(format!("site/pkg/{wasm}.gz"))).unwrap();
    assert_eq!(res.bytes, gz);

    // Public files from the site root; unknown pages are the 404 page.
    let res = web.http("GET", "/favicon.svg", "", None).await;
    assert_eq!(res.status, 200, "{res:?}");
    assert!(res.content_type.starts_with("image/svg+xml"), "{res:?}");
    let res = web.http("GET", "/no/such/page", "", None).await;
    assert_eq!(res.status, 404, "{res:?}");
    assert!(res.content_type.starts_with("text/html"), "{res:?}");
}

#[tokio::test]
async fn the_reconcile_function_repairs_on_each_scheduled_event() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    let artifact = Artifact::from_env();
    let mut reconcile = Function::start(&env.embedded, &artifact, "reconcile", &table).await;
    // An object another tool wrote, which no event announced.
    let file = env.object_file("elsewhere/ledger.csv");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "a,b\n").unwrap();
    // What EventBridge Scheduler sends (the handler reads nothing of it).
    let scheduled = json!({
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": "2026-11-30T03:00:00Z",
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/ferry-reconcile"],
        "detail": {}
    });
    match reconcile.invoke(&scheduled).await {
        Outcome::Response(v) => {
            assert_eq!(
                (v["objects"].as_u64(), v["recorded"].as_u64()),
                (Some(1), Some(1)),
                "{v}"
            )
        }
        other => panic!(
            "expected a response, got {other:?}; log:\n{}",
            reconcile.log_text()
        ),
    }
    let r = env
        .get(&format!(
            "/metadata?bucket={}&key=elsewhere/ledger.csv",
            env.bucket()
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["size"], 4);
    // The next run finds nothing to do.
    match reconcile.invoke(&scheduled).await {
        Outcome::Response(v) => assert_eq!(v["recorded"].as_u64(), Some(0), "{v}"),
        other => panic!("expected a response, got {other:?}"),
    }
}

/// The CloudWatch Embedded Metric Format lines of a function's log.
fn metric_lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("_aws").is_some())
        .collect()
}

/// The sum of `name` over a function's metric lines, each checked to declare it.
fn metric_sum(log: &str, function: &str, name: &str) -> f64 {
    let mut sum = 0.0;
    for line in metric_lines(log) {
        let declared = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(declared["Namespace"], "Ferry", "{line}");
        assert_eq!(declared["Dimensions"], json!([["Function"]]), "{line}");
        assert_eq!(line["Function"], function, "{line}");
        if let Some(v) = line.get(name).and_then(Value::as_f64) {
            let names: Vec<&str> = declared["Metrics"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|m| m["Name"].as_str())
                .collect();
            assert!(names.contains(&name), "{name} undeclared in {line}");
            sum += v;
        }
    }
    sum
}

#[tokio::test]
async fn metrics_are_embedded_metric_format_lines_in_the_functions_logs() {
    let env = TestApp::start().await;
    let table = env.services().settings.table_name.clone();
    let artifact = Artifact::from_env();
    let mut web = Function::start(&env.embedded, &artifact, "web", &table).await;
    let mut events = Function::start(&env.embedded, &artifact, "s3-events", &table).await;
    let created = web
        .http(
            "POST",
            "/asset",
            "",
            Some(r#"{"filename": "m.txt", "content_type": "text/plain", "size": 1}"#),
        )
        .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(web.http("GET", "/asset/nope", "", None).await.status, 400);
    let bucket = env.bucket().to_string();
    let event = s3_notification("ObjectCreated:Put", &bucket, "other/m.bin", 3, "0A");
    assert!(matches!(events.invoke(&event).await, Outcome::Response(_)));
    assert!(
        matches!(events.invoke(&event).await, Outcome::Response(_)),
        "a redelivery"
    );

    let log = web.log_text();
    assert_eq!(metric_sum(&log, "web", "Requests"), 2.0, "{log}");
    assert_eq!(metric_sum(&log, "web", "UploadsStarted"), 1.0, "{log}");
    assert_eq!(metric_sum(&log, "web", "Errors5xx"), 0.0, "{log}");
    assert!(metric_sum(&log, "web", "Latency") > 0.0, "{log}");
    let log = events.log_text();
    assert_eq!(metric_sum(&log, "s3-events", "EventsApplied"), 1.0, "{log}");
    assert_eq!(metric_sum(&log, "s3-events", "EventsStale"), 1.0, "{log}");
    assert_eq!(metric_sum(&log, "s3-events", "EventsFailed"), 0.0, "{log}");
}

#[tokio::test]
async fn the_web_function_answers_compressed_as_base64_when_the_client_accepts_it() {
    let env = TestApp::start().await;
    for n in 0..20 {
        env.uploaded(&format!("file-{n:02}.txt"), b"bytes").await;
    }
    let table = env.services().settings.table_name.clone();
    let artifact = Artifact::from_env();
    let mut web = Function::start(&env.embedded, &artifact, "web", &table).await;
    let mut event = apigw_event("GET", "/asset", "limit=20", None);
    event["headers"]["accept-encoding"] = json!("gzip, deflate, br");
    let answer = web.http_event(event).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.raw["isBase64Encoded"], true, "{}", answer.raw);
    assert_eq!(
        answer.raw["headers"]["content-encoding"], "br",
        "{}",
        answer.raw
    );
    let mut text = String::new();
    std::io::Read::read_to_string(
        &mut brotli::Decompressor::new(&answer.bytes[..], 4096),
        &mut text,
    )
    .unwrap();
    let listed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(listed["items"].as_array().map(Vec::len), Some(20));
    // Without Accept-Encoding: plain text, as before.
    let plain = web.http("GET", "/asset", "limit=20", None).await;
    assert_eq!(plain.raw["isBase64Encoded"], false, "{}", plain.raw);
    assert_eq!(plain.body["items"].as_array().map(Vec::len), Some(20));
}
