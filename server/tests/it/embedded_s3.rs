//! The embedded S3 checks checksums as AWS S3 does: a body that does not match its
//! `Content-MD5` or `x-amz-checksum-*` is `400 BadDigest` and changes nothing (bytes,
//! metadata, events), through the SDK and through presigned URLs as a browser sends them.

use crate::harness::TestApp;
use aws_sdk_s3::{
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::ChecksumMode,
};
use base64::{engine::general_purpose::STANDARD as B64, Engine as _};
use http::StatusCode;
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

fn sha256_b64(bytes: &[u8]) -> String {
    B64.encode(Sha256::digest(bytes))
}

fn md5_b64(bytes: &[u8]) -> String {
    use md5::Md5;
    B64.encode(Md5::digest(bytes))
}

/// The HTTP status and S3 error code of a failed SDK call.
fn failure<E>(e: SdkError<E, HttpResponse>) -> (Option<u16>, Option<String>)
where
    E: ProvideErrorMetadata,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let code = match &e {
        SdkError::ServiceError(s) => s.err().code().map(str::to_string),
        _ => None,
    };
    (status, code)
}

/// What the app's `/metadata` says of `key` (what the S3 events recorded).
async fn metadata(env: &TestApp, key: &str) -> (StatusCode, Value) {
    let r = env
        .get(&format!(
            "/metadata?bucket={}&key={}",
            env.bucket(),
            utf8_percent_encode(key, NON_ALPHANUMERIC)
        ))
        .await;
    (r.status, r.body)
}

async fn get_bytes(env: &TestApp, key: &str) -> Vec<u8> {
    let got = env
        .s3()
        .get_object()
        .bucket(env.bucket())
        .key(key)
        .send()
        .await
        .unwrap();
    got.body.collect().await.unwrap().into_bytes().to_vec()
}

/// An asset declared through the API but never uploaded: its key, with no object.
async fn declared_key(env: &TestApp, name: &str, size: usize) -> String {
    let r = env
        .post_json(
            "/asset",
            &serde_json::json!({"filename": name, "content_type": "text/plain", "size": size})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    r.body["object_key"].as_str().unwrap().to_string()
}

async fn head_status(env: &TestApp, key: &str) -> Option<u16> {
    match env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(key)
        .send()
        .await
    {
        Ok(_) => Some(200),
        Err(SdkError::ServiceError(e)) => Some(e.raw().status().as_u16()),
        Err(_) => None,
    }
}

#[tokio::test]
async fn put_with_a_wrong_sha256_is_bad_digest_and_leaves_the_previous_object() {
    let env = TestApp::start().await;
    let (_, key) = env.upload("kept.txt", b"the first version").await;
    let (status, before) = metadata(&env, &key).await;
    assert_eq!(status, StatusCode::OK);

    let body = b"a second version".to_vec();
    let err = env
        .s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .content_type("text/plain")
        .checksum_sha256(sha256_b64(b"something else"))
        .body(ByteStream::from(body))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("BadDigest".into())));

    assert_eq!(get_bytes(&env, &key).await, b"the first version");
    let head = env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(17));
    assert_eq!(head.content_type(), Some("text/plain"));
    // No event: what the app recorded of the object is what the first upload left.
    assert_eq!(metadata(&env, &key).await, (StatusCode::OK, before));
}

#[tokio::test]
async fn put_with_a_wrong_content_md5_is_bad_digest_and_leaves_the_previous_object() {
    let env = TestApp::start().await;
    let (_, key) = env.upload("kept.txt", b"the first version").await;
    let (_, before) = metadata(&env, &key).await;

    let err = env
        .s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .content_md5(md5_b64(b"something else"))
        .body(ByteStream::from_static(b"a second version"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("BadDigest".into())));
    assert_eq!(get_bytes(&env, &key).await, b"the first version");
    assert_eq!(metadata(&env, &key).await, (StatusCode::OK, before));

    // The right Content-MD5 replaces it.
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .content_md5(md5_b64(b"a second version"))
        .body(ByteStream::from_static(b"a second version"))
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&env, &key).await, b"a second version");
    assert_eq!(metadata(&env, &key).await.1["size"], 16);
}

#[tokio::test]
async fn put_with_a_wrong_checksum_creates_no_object_where_there_was_none() {
    let env = TestApp::start().await;
    let key = declared_key(&env, "never.txt", 5).await;
    for wrong in [
        env.s3().put_object().checksum_sha256(sha256_b64(b"other")),
        env.s3().put_object().content_md5(md5_b64(b"other")),
    ] {
        let err = wrong
            .bucket(env.bucket())
            .key(&key)
            .body(ByteStream::from_static(b"hello"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(err), (Some(400), Some("BadDigest".into())));
        assert_eq!(head_status(&env, &key).await, Some(404));
        assert_eq!(metadata(&env, &key).await.0, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn put_with_the_right_sha256_succeeds_and_head_reports_it() {
    let env = TestApp::start().await;
    let key = declared_key(&env, "right.txt", 5).await;
    let sum = sha256_b64(b"hello");
    let put = env
        .s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .checksum_sha256(&sum)
        .body(ByteStream::from_static(b"hello"))
        .send()
        .await
        .unwrap();
    assert_eq!(put.checksum_sha256(), Some(sum.as_str()));
    let head = env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(&key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_sha256(), Some(sum.as_str()));
    assert_eq!(metadata(&env, &key).await.1["size"], 5);
}

/// A presigned PUT carrying `x-amz-checksum-sha256`, sent as a browser sends it: the
/// headers the presigned request lists, and the body.
async fn presigned_put(env: &TestApp, key: &str, sum: &str, body: &[u8]) -> reqwest::Response {
    let presigned = env
        .s3()
        .put_object()
        .bucket(env.bucket())
        .key(key)
        .content_type("text/plain")
        .checksum_sha256(sum)
        .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
        .await
        .unwrap();
    let signed = presigned
        .headers()
        .map(|(n, _)| n.to_ascii_lowercase())
        .collect::<Vec<_>>();
    assert!(
        signed.contains(&"x-amz-checksum-sha256".to_string()),
        "{signed:?}"
    );
    let mut put = reqwest::Client::new().put(presigned.uri());
    for (name, value) in presigned.headers() {
        put = put.header(name, value);
    }
    put.body(body.to_vec()).send().await.unwrap()
}

#[tokio::test]
async fn presigned_put_with_a_wrong_sha256_is_bad_digest_and_changes_nothing() {
    let env = TestApp::start().await;
    let (_, key) = env.upload("kept.txt", b"the first version").await;
    let (_, before) = metadata(&env, &key).await;

    let res = presigned_put(&env, &key, &sha256_b64(b"other"), b"a second version").await;
    assert_eq!(res.status(), 400);
    let text = res.text().await.unwrap();
    assert!(text.contains("<Code>BadDigest</Code>"), "{text}");
    assert_eq!(get_bytes(&env, &key).await, b"the first version");
    assert_eq!(metadata(&env, &key).await, (StatusCode::OK, before));

    let fresh = declared_key(&env, "fresh.txt", 5).await;
    let res = presigned_put(&env, &fresh, &sha256_b64(b"other"), b"hello").await;
    assert_eq!(res.status(), 400);
    assert_eq!(head_status(&env, &fresh).await, Some(404));
    assert_eq!(metadata(&env, &fresh).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn presigned_put_with_the_right_sha256_succeeds_and_head_reports_it() {
    let env = TestApp::start().await;
    let key = declared_key(&env, "right.txt", 5).await;
    let sum = sha256_b64(b"hello");
    let res = presigned_put(&env, &key, &sum, b"hello").await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    assert_eq!(get_bytes(&env, &key).await, b"hello");
    let head = env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(&key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_sha256(), Some(sum.as_str()));
    assert_eq!(metadata(&env, &key).await.1["size"], 5);
}
