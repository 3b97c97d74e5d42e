//! Events as AWS sends them: S3 notification records (typed and as Lambda's JSON) and API
//! Gateway HTTP API (payload 2.0) requests.

use aws_lambda_events::s3::{S3Event, S3EventRecord};

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

/// The public URL of the API Gateway the events come through (`FERRY_PUBLIC_URL` in the
/// template): its host is the `Host` of every event.
pub const API_URL: &str = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com";

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
