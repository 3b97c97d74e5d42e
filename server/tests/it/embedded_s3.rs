//! The embedded S3 checks checksums as AWS S3 does: a body that does not match its
//! `Content-MD5` or `x-amz-checksum-*` is `400 BadDigest` and changes nothing (bytes,
//! metadata, events), through the SDK and through presigned URLs as a browser sends them;
//! multipart parts keep their checksums (ListParts), a completion must list them as stored
//! (else `InvalidPart`), and the object gets AWS's composite checksum.

use crate::harness::TestApp;
use aws_sdk_s3::{
    config::http::HttpResponse,
    error::{ProvideErrorMetadata, SdkError},
    operation::upload_part::{UploadPartError, UploadPartOutput},
    presigning::PresigningConfig,
    primitives::ByteStream,
    types::{
        ChecksumAlgorithm, ChecksumMode, ChecksumType, CompletedMultipartUpload, CompletedPart,
        Part,
    },
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

const MIB: usize = 1024 * 1024;

/// `len` bytes of a pattern that differs with `seed`.
fn bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8 ^ seed).collect()
}

async fn create_upload(env: &TestApp, key: &str) -> String {
    env.s3()
        .create_multipart_upload()
        .bucket(env.bucket())
        .key(key)
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string()
}

async fn upload_part(
    env: &TestApp,
    key: &str,
    upload_id: &str,
    n: i32,
    body: &[u8],
    sum: &str,
) -> Result<UploadPartOutput, SdkError<UploadPartError, HttpResponse>> {
    env.s3()
        .upload_part()
        .bucket(env.bucket())
        .key(key)
        .upload_id(upload_id)
        .part_number(n)
        .checksum_sha256(sum)
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
}

async fn list_parts(env: &TestApp, key: &str, upload_id: &str) -> Vec<Part> {
    env.s3()
        .list_parts()
        .bucket(env.bucket())
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
        .unwrap()
        .parts()
        .to_vec()
}

fn completed(parts: &[(i32, &str)]) -> CompletedMultipartUpload {
    CompletedMultipartUpload::builder()
        .set_parts(Some(
            parts
                .iter()
                .map(|(n, sum)| {
                    CompletedPart::builder()
                        .part_number(*n)
                        .checksum_sha256(*sum)
                        .build()
                })
                .collect(),
        ))
        .build()
}

/// What AWS reports for a multipart object whose parts were sent with SHA-256 checksums:
/// base64(SHA-256(the parts' raw digests, in order)) then `-<parts>`.
fn composite(parts: &[&[u8]]) -> String {
    let mut all = Sha256::new();
    for part in parts {
        all.update(Sha256::digest(part));
    }
    format!("{}-{}", B64.encode(all.finalize()), parts.len())
}

#[tokio::test]
async fn a_part_with_a_wrong_checksum_is_bad_digest_and_the_earlier_part_stays_listed() {
    let env = TestApp::start().await;
    let key = declared_key(&env, "parts.bin", 3000).await;
    let upload_id = create_upload(&env, &key).await;
    let good = bytes(3000, 1);
    let sum = sha256_b64(&good);
    let out = upload_part(&env, &key, &upload_id, 1, &good, &sum)
        .await
        .unwrap();
    assert_eq!(out.checksum_sha256(), Some(sum.as_str()));

    // The same part number again, with a body that does not match its checksum…
    let other = bytes(2000, 2);
    let err = upload_part(&env, &key, &upload_id, 1, &other, &sum)
        .await
        .unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("BadDigest".into())));
    // …or its Content-MD5.
    let err = env
        .s3()
        .upload_part()
        .bucket(env.bucket())
        .key(&key)
        .upload_id(&upload_id)
        .part_number(1)
        .content_md5(md5_b64(&good))
        .body(ByteStream::from(other.clone()))
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("BadDigest".into())));

    // The earlier part is still there, with its checksum.
    let parts = list_parts(&env, &key, &upload_id).await;
    assert_eq!(parts.len(), 1);
    assert_eq!(parts[0].part_number(), Some(1));
    assert_eq!(parts[0].size(), Some(3000));
    assert_eq!(parts[0].checksum_sha256(), Some(sum.as_str()));
    assert_eq!(parts[0].e_tag(), out.e_tag());

    env.s3()
        .complete_multipart_upload()
        .bucket(env.bucket())
        .key(&key)
        .upload_id(&upload_id)
        .multipart_upload(completed(&[(1, &sum)]))
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&env, &key).await, good);
}

#[tokio::test]
async fn completing_with_a_mismatching_part_checksum_is_invalid_part_and_the_upload_stays_completable(
) {
    let env = TestApp::start().await;
    let key = declared_key(&env, "big.bin", 5 * MIB + 1000).await;
    let upload_id = create_upload(&env, &key).await;
    let (one, two) = (bytes(5 * MIB, 3), bytes(1000, 4));
    let (sum1, sum2) = (sha256_b64(&one), sha256_b64(&two));
    upload_part(&env, &key, &upload_id, 1, &one, &sum1)
        .await
        .unwrap();
    upload_part(&env, &key, &upload_id, 2, &two, &sum2)
        .await
        .unwrap();

    for wrong in [
        completed(&[(1, &sum1), (2, &sum1)]),
        completed(&[(1, &sha256_b64(b"other")), (2, &sum2)]),
    ] {
        let err = env
            .s3()
            .complete_multipart_upload()
            .bucket(env.bucket())
            .key(&key)
            .upload_id(&upload_id)
            .multipart_upload(wrong)
            .send()
            .await
            .unwrap_err();
        assert_eq!(failure(err), (Some(400), Some("InvalidPart".into())));
        // Nothing was completed, nothing deleted.
        assert_eq!(head_status(&env, &key).await, Some(404));
        assert_eq!(metadata(&env, &key).await.0, StatusCode::NOT_FOUND);
        let parts = list_parts(&env, &key, &upload_id).await;
        let listed: Vec<_> = parts
            .iter()
            .map(|p| (p.part_number(), p.checksum_sha256().map(str::to_string)))
            .collect();
        assert_eq!(
            listed,
            vec![(Some(1), Some(sum1.clone())), (Some(2), Some(sum2.clone()))]
        );
    }

    env.s3()
        .complete_multipart_upload()
        .bucket(env.bucket())
        .key(&key)
        .upload_id(&upload_id)
        .multipart_upload(completed(&[(1, &sum1), (2, &sum2)]))
        .send()
        .await
        .unwrap();
    assert_eq!(get_bytes(&env, &key).await, [one, two].concat());
    assert_eq!(metadata(&env, &key).await.1["size"], 5 * MIB + 1000);
}

#[tokio::test]
async fn a_completed_multipart_object_reports_the_composite_checksum_of_its_parts() {
    let env = TestApp::start().await;
    let parts = [bytes(5 * MIB, 5), bytes(5 * MIB, 6), bytes(1234, 7)];
    let total: usize = parts.iter().map(Vec::len).sum();
    let key = declared_key(&env, "composite.bin", total).await;
    let upload_id = create_upload(&env, &key).await;
    // The parts go up as a browser sends them: presigned URLs carrying their checksum.
    let mut listed = vec![];
    for (i, part) in parts.iter().enumerate() {
        let n = i as i32 + 1;
        let sum = sha256_b64(part);
        let presigned = env
            .s3()
            .upload_part()
            .bucket(env.bucket())
            .key(&key)
            .upload_id(&upload_id)
            .part_number(n)
            .checksum_sha256(&sum)
            .presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap())
            .await
            .unwrap();
        let mut put = reqwest::Client::new().put(presigned.uri());
        for (name, value) in presigned.headers() {
            put = put.header(name, value);
        }
        let res = put.body(part.clone()).send().await.unwrap();
        assert_eq!(res.status(), 200, "part {n}: {:?}", res.text().await);
        listed.push((n, sum));
    }
    let listed: Vec<(i32, &str)> = listed.iter().map(|(n, s)| (*n, s.as_str())).collect();
    let expected = composite(&[&parts[0], &parts[1], &parts[2]]);
    assert!(expected.ends_with("-3"), "{expected}");

    let done = env
        .s3()
        .complete_multipart_upload()
        .bucket(env.bucket())
        .key(&key)
        .upload_id(&upload_id)
        .multipart_upload(completed(&listed))
        .send()
        .await
        .unwrap();
    assert_eq!(done.checksum_sha256(), Some(expected.as_str()));
    assert_eq!(done.checksum_type(), Some(&ChecksumType::Composite));

    let head = env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(&key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(head.checksum_sha256(), Some(expected.as_str()));
    assert_eq!(head.content_length(), Some(total as i64));
    let got = env
        .s3()
        .get_object()
        .bucket(env.bucket())
        .key(&key)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(got.checksum_sha256(), Some(expected.as_str()));
    assert_eq!(got.body.collect().await.unwrap().into_bytes().len(), total);
}

#[tokio::test]
async fn a_composite_checksum_is_forgotten_when_its_object_is_replaced_or_deleted() {
    let env = TestApp::start().await;
    let key = declared_key(&env, "again.bin", 10).await;
    let head_sum = || async {
        env.s3()
            .head_object()
            .bucket(env.bucket())
            .key(&key)
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap()
            .checksum_sha256()
            .map(str::to_string)
    };
    let complete_one_part = |body: &'static [u8], with_sum: bool| {
        let (env, key) = (&env, &key);
        async move {
            let upload_id = create_upload(env, key).await;
            let mut part = env
                .s3()
                .upload_part()
                .bucket(env.bucket())
                .key(key)
                .upload_id(&upload_id)
                .part_number(1);
            if with_sum {
                part = part.checksum_sha256(sha256_b64(body));
            }
            part.body(ByteStream::from_static(body))
                .send()
                .await
                .unwrap();
            env.s3()
                .complete_multipart_upload()
                .bucket(env.bucket())
                .key(key)
                .upload_id(&upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .parts(CompletedPart::builder().part_number(1).build())
                        .build(),
                )
                .send()
                .await
                .unwrap();
        }
    };

    complete_one_part(b"multipart!", true).await;
    assert_eq!(head_sum().await, Some(composite(&[b"multipart!"])));
    // A plain PUT replaces it: no checksum.
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .body(ByteStream::from_static(b"plain"))
        .send()
        .await
        .unwrap();
    assert_eq!(head_sum().await, None);
    // A PUT with its checksum, then a completion without: the PUT's checksum is gone too.
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .checksum_sha256(sha256_b64(b"checked"))
        .body(ByteStream::from_static(b"checked"))
        .send()
        .await
        .unwrap();
    assert_eq!(head_sum().await, Some(sha256_b64(b"checked")));
    complete_one_part(b"unchecked", false).await;
    assert_eq!(head_sum().await, None);
    // A copy takes its source's composite checksum along.
    complete_one_part(b"multipart!", true).await;
    let copy = format!("{key}.copy");
    env.s3()
        .copy_object()
        .bucket(env.bucket())
        .key(&copy)
        .copy_source(format!("{}/{}", env.bucket(), key))
        .send()
        .await
        .unwrap();
    let copied = env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(&copy)
        .checksum_mode(ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.checksum_sha256(),
        Some(composite(&[b"multipart!"]).as_str())
    );
    // Deleted, then PUT again: no trace of the completed upload's checksum.
    env.s3()
        .delete_object()
        .bucket(env.bucket())
        .key(&key)
        .send()
        .await
        .unwrap();
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(&key)
        .body(ByteStream::from_static(b"plain"))
        .send()
        .await
        .unwrap();
    assert_eq!(head_sum().await, None);
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = vec![];
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.strip_prefix(dir).unwrap().display().to_string());
            }
        }
    }
    out
}

/// Issue 14's fifth finding: S3 keys are opaque, and some are no path. Each of these is
/// stored under a name of the embedded S3's own, inside the bucket's directory, and reads
/// back as the key it was put under; the event records the object's real size and ETag.
#[tokio::test]
async fn keys_that_are_no_path_are_stored_inside_the_bucket_and_read_back() {
    let env = TestApp::start().await;
    let root = env.data_dir().join("s3");
    let bucket_dir = root.join(env.bucket());
    let outside_before = files_under(&root)
        .into_iter()
        .filter(|f| !f.starts_with(env.bucket()) && !f.starts_with('.'))
        .count();
    let long_segment = format!("ext/{}/x", "s".repeat(300));
    for key in [
        "ext/../../escaped",
        "ext/dir/",
        "ext//double",
        "ext/./dot",
        "/leading",
        long_segment.as_str(),
        ".ferry-long-keys/forged",
    ] {
        let body = format!("bytes of {key}");
        env.s3()
            .put_object()
            .bucket(env.bucket())
            .key(key)
            .body(ByteStream::from(body.clone().into_bytes()))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{key}: {e:?}"));
        assert_eq!(get_bytes(&env, key).await, body.as_bytes(), "{key}");
        let (status, meta) = metadata(&env, key).await;
        assert_eq!(status, StatusCode::OK, "{key}: {meta}");
        assert_eq!(
            meta["size"],
            body.len(),
            "{key}: the object, not a directory"
        );
        assert_ne!(meta["etag"], "", "{key}");
    }
    assert!(!root.join("escaped").exists() && !root.parent().unwrap().join("escaped").exists());
    let outside_after = files_under(&root)
        .into_iter()
        .filter(|f| !f.starts_with(env.bucket()) && !f.starts_with('.'))
        .count();
    assert_eq!(
        outside_before, outside_after,
        "nothing written outside the bucket"
    );
    assert!(
        !bucket_dir.join("ext/dir").is_dir(),
        "no directory for a `dir/` key"
    );
}

/// An object and a "folder" of objects cannot share a name on a file system: the second is
/// a clear 400, never a 500, and the first stays as it was.
#[tokio::test]
async fn an_object_and_a_folder_of_the_same_name_is_a_clear_refusal() {
    let env = TestApp::start().await;
    let put = |key: &'static str| {
        env.s3()
            .put_object()
            .bucket(env.bucket())
            .key(key)
            .body(ByteStream::from_static(b"here"))
            .send()
    };
    put("ext/a").await.unwrap();
    let err = put("ext/a/b").await.unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("InvalidArgument".into())));
    put("ext/c/d").await.unwrap();
    let err = put("ext/c").await.unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("InvalidArgument".into())));
    let err = env
        .s3()
        .create_multipart_upload()
        .bucket(env.bucket())
        .key("ext/a/part")
        .send()
        .await
        .unwrap_err();
    assert_eq!(failure(err), (Some(400), Some("InvalidArgument".into())));
    assert_eq!(get_bytes(&env, "ext/a").await, b"here");
    assert_eq!(get_bytes(&env, "ext/c/d").await, b"here");
}

/// A presigned URL carries its signer's permission for exactly what was signed: like AWS S3,
/// the embedded S3 refuses `x-amz-*` headers the signature does not cover (metadata, an ACL)
/// with a 403, and stores nothing.
#[tokio::test]
async fn a_presigned_put_with_unsigned_amz_headers_is_refused() {
    let env = TestApp::start().await;
    let r = env
        .post_json(
            "/asset",
            r#"{"filename": "told.txt", "content_type": "text/plain", "size": 4}"#,
        )
        .await;
    let key = r.body["object_key"].as_str().unwrap().to_string();
    for (name, value) in [
        ("x-amz-meta-owner", "mallory"),
        ("x-amz-acl", "public-read"),
    ] {
        let mut put = reqwest::Client::new().put(r.body["upload_url"].as_str().unwrap());
        for (k, v) in r.body["headers"].as_object().unwrap() {
            put = put.header(k, v.as_str().unwrap());
        }
        let res = put.header(name, value).body("told").send().await.unwrap();
        assert_eq!(res.status(), 403, "{name}");
        let text = res.text().await.unwrap();
        assert!(text.contains("not signed") && text.contains(name), "{text}");
        assert_eq!(
            head_status(&env, &key).await,
            Some(404),
            "{name}: nothing stored"
        );
    }
    // As told, it goes through.
    let ok = crate::harness::put_as_told(&r.body, b"told".to_vec()).await;
    assert_eq!(ok.status(), 200);
}

/// Every page of a ListObjectsV2 under `prefix`, `page` keys at a time: (key, ETag, size).
async fn list_all(env: &TestApp, prefix: &str, page: i32) -> Vec<(String, String, i64)> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let r = env
            .s3()
            .list_objects_v2()
            .bucket(env.bucket())
            .prefix(prefix)
            .max_keys(page)
            .set_continuation_token(token.take())
            .send()
            .await
            .unwrap();
        assert!(r.contents().len() <= page as usize);
        for o in r.contents() {
            out.push((
                o.key().unwrap().to_string(),
                o.e_tag().unwrap_or_default().to_string(),
                o.size().unwrap_or_default(),
            ));
        }
        token = r.next_continuation_token().map(str::to_string);
        if !r.is_truncated().unwrap_or(false) {
            return out;
        }
    }
}

#[tokio::test]
async fn listings_name_every_object_by_its_key_with_its_etag_long_keys_too() {
    let env = TestApp::start().await;
    let long = format!("uploads/local/{}.txt", "ü".repeat(150));
    let keys = [
        "uploads/a.txt",
        long.as_str(),
        "uploads/b/c.txt",
        "uploads/z.txt",
        "zz/other.txt",
    ];
    let mut etags = std::collections::BTreeMap::new();
    for key in keys {
        let body = format!("bytes of {key}");
        let put = env
            .s3()
            .put_object()
            .bucket(env.bucket())
            .key(key)
            .body(ByteStream::from(body.clone().into_bytes()))
            .send()
            .await
            .unwrap();
        etags.insert(
            key.to_string(),
            (put.e_tag().unwrap().to_string(), body.len() as i64),
        );
    }
    let expected: Vec<(String, String, i64)> = etags
        .iter()
        .filter(|(k, _)| k.starts_with("uploads/"))
        .map(|(k, (e, n))| (k.clone(), e.clone(), *n))
        .collect();
    // In key order, the long key under its own name, whatever the page size.
    for page in [1, 2, 1000] {
        assert_eq!(
            list_all(&env, "uploads/", page).await,
            expected,
            "pages of {page}"
        );
    }
    let everything = list_all(&env, "", 2).await;
    assert_eq!(everything.len(), keys.len(), "{everything:?}");
    assert!(everything.iter().all(|(k, _, _)| !k.starts_with(".ferry-")));

    env.s3()
        .delete_object()
        .bucket(env.bucket())
        .key(&long)
        .send()
        .await
        .unwrap();
    let left = list_all(&env, "uploads/", 1000).await;
    assert_eq!(left.len(), expected.len() - 1);
    assert!(left.iter().all(|(k, _, _)| k != &long));
}
