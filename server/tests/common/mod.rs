//! Test harness: the embedded backends in a temp dir, reached through the real SDK clients.
#![allow(dead_code)]

use aws_lambda_events::s3::{S3Event, S3EventRecord};
use server::{
    services::{Embedded, Settings},
    store::AssetStore,
};
use std::{future::Future, time::Duration};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub embedded: Embedded,
}

impl Env {
    pub async fn start() -> Env {
        Env::with_settings(Settings::named("ferry-test", "ferry-test-bucket")).await
    }

    pub async fn with_settings(settings: Settings) -> Env {
        let dir = tempfile::tempdir().unwrap();
        let embedded = start_with(dir.path(), settings).await;
        Env { dir, embedded }
    }

    pub fn store(&self) -> &AssetStore {
        &self.embedded.services.store
    }

    pub fn bucket(&self) -> &str {
        &self.embedded.services.settings.bucket_name
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.embedded.services.objects.client()
    }
}

pub async fn start_in(dir: &std::path::Path) -> Embedded {
    start_with(dir, Settings::named("ferry-test", "ferry-test-bucket")).await
}

pub async fn start_with(dir: &std::path::Path, settings: Settings) -> Embedded {
    Embedded::start(dir, settings, &["http://127.0.0.1:3000".to_string()])
        .await
        .expect("embedded backends start")
}

/// An S3 notification record as S3 sends it (the key given here is encoded by the caller).
pub fn record(
    name: &str,
    bucket: &str,
    raw_key: &str,
    size: i64,
    etag: &str,
    seq: &str,
) -> S3EventRecord {
    let mut r = S3EventRecord::default();
    r.event_version = Some("2.1".into());
    r.event_source = Some("aws:s3".into());
    r.aws_region = Some("us-east-1".into());
    r.event_time = chrono::Utc::now();
    r.event_name = Some(name.into());
    r.s3.bucket.name = Some(bucket.into());
    r.s3.object.key = Some(raw_key.into());
    if name.starts_with("ObjectCreated") {
        r.s3.object.size = Some(size);
        r.s3.object.e_tag = Some(etag.into());
    }
    r.s3.object.sequencer = Some(seq.into());
    r
}

pub fn notification(records: Vec<S3EventRecord>) -> S3Event {
    let mut e = S3Event::default();
    e.records = records;
    e
}

/// Polls `check` until it returns Some, for at most five seconds.
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 5 s");
}

/// A `ferry serve` process on a free port with its own data dir; killed on drop.
pub struct FerryProcess {
    pub child: std::process::Child,
    pub base_url: String,
    pub s3_endpoint: String,
    pub data_dir: std::path::PathBuf,
}

impl FerryProcess {
    pub async fn spawn(data_dir: &std::path::Path) -> FerryProcess {
        use std::io::{BufRead, BufReader};
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
            .arg("serve")
            .env("FERRY_ADDR", "127.0.0.1:0")
            .env("FERRY_DATA_DIR", data_dir)
            .env("FERRY_SITE_ROOT", data_dir.join("no-site"))
            .env("RUST_LOG", "info")
            .env_remove("TABLE_NAME")
            .env_remove("BUCKET_NAME")
            .env_remove("FERRY_BACKEND")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        // One thread reads the log for the whole run (a closed pipe would break logging) and
        // reports the two lines we need.
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut s3, mut sent) = (None, false);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split(" s3=").nth(1) {
                    s3 = rest.split_whitespace().next().map(str::to_string);
                }
                if let Some(rest) = line.split("Ferry listening on ").nth(1) {
                    if !sent {
                        let url = rest
                            .split_whitespace()
                            .next()
                            .unwrap_or_default()
                            .to_string();
                        let _ = tx.send((s3.clone().unwrap_or_default(), url));
                        sent = true;
                    }
                }
            }
        });
        let (s3_endpoint, base_url) = tokio::task::spawn_blocking(move || {
            rx.recv_timeout(std::time::Duration::from_secs(60))
                .expect("ferry serve did not come up")
        })
        .await
        .unwrap();
        assert!(s3_endpoint.starts_with("http://"), "{s3_endpoint}");
        FerryProcess {
            child,
            base_url,
            s3_endpoint,
            data_dir: data_dir.to_path_buf(),
        }
    }

    /// An S3 client with the embedded backend's credentials, as `aws s3 cp` would use.
    pub fn s3_client(&self) -> aws_sdk_s3::Client {
        let creds: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(self.data_dir.join("credentials.json")).unwrap(),
        )
        .unwrap();
        server::aws::s3_client(
            &server::aws::config_for_endpoint(
                &self.s3_endpoint,
                "us-east-1",
                creds["access_key"].as_str().unwrap(),
                creds["secret_key"].as_str().unwrap(),
            ),
            true,
        )
    }
}

impl Drop for FerryProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An API Gateway HTTP API (payload 2.0) event for the `$default` stage, as AWS sends it. A
/// body is JSON, sent as text or base64-encoded (API Gateway does either).
pub fn apigw_event(
    method: &str,
    path: &str,
    query: &str,
    body: Option<&[u8]>,
    base64: bool,
) -> serde_json::Value {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use serde_json::{json, Value};
    let mut ev = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {
            "accept": "*/*",
            "host": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "user-agent": "curl/8.5.0",
            "x-forwarded-for": "203.0.113.7",
            "x-forwarded-port": "443",
            "x-forwarded-proto": "https"
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "a1b2c3d4e5",
            "domainName": "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "curl/8.5.0"
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_341_600_000u64
        },
        "isBase64Encoded": false
    });
    let params: serde_json::Map<String, Value> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
        .collect();
    if !params.is_empty() {
        ev["queryStringParameters"] = Value::Object(params);
    }
    if let Some(b) = body {
        ev["headers"]["content-type"] = json!("application/json");
        if base64 {
            ev["body"] = json!(STANDARD.encode(b));
            ev["isBase64Encoded"] = json!(true);
        } else {
            ev["body"] = json!(String::from_utf8_lossy(b));
        }
    }
    ev
}

/// When [`s3_record_json`] says its events happened.
pub const S3_EVENT_TIME: &str = "2026-11-22T10:00:00.123Z";

/// One S3 notification record as S3 delivers it to Lambda (the key URL-encoded by the
/// caller). Only `ObjectCreated:*` records carry size and ETag, as S3's do.
pub fn s3_record_json(
    name: &str,
    bucket: &str,
    key: &str,
    size: u64,
    etag: &str,
    seq: &str,
) -> serde_json::Value {
    use serde_json::json;
    let mut object = json!({"key": key, "sequencer": seq});
    if name.starts_with("ObjectCreated") {
        object["size"] = json!(size);
        object["eTag"] = json!(etag);
    }
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": S3_EVENT_TIME,
        "eventName": name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "203.0.113.7"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "ferry-events",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": object
        }
    })
}
