//! End-to-end integrity: the upload page hashes what it sends, the server signs that SHA-256
//! into the upload URL (a single PUT's, or each part's), S3 refuses any other bytes, and the
//! checksum S3 verified is recorded with the object and shown with the asset.

use crate::harness::{put_as_told, TestApp};
use axum::http::StatusCode;
use serde_json::{json, Value};

/// SHA-256, base64: what the page sends as `checksum_sha256`.
fn sha256_b64(bytes: &[u8]) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

async fn asset(api: &TestApp, id: &str) -> Value {
    let r = api
        .post_json("/api/get_asset", &json!({"id": id}).to_string())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    r.body
}

async fn stored(api: &TestApp, key: &str) -> Option<Vec<u8>> {
    let got = api
        .s3()
        .get_object()
        .bucket(api.bucket())
        .key(key)
        .send()
        .await
        .ok()?;
    Some(got.body.collect().await.unwrap().into_bytes().to_vec())
}

#[tokio::test]
async fn a_single_put_is_stored_only_if_its_bytes_match_the_signed_checksum() {
    let api = TestApp::start().await;
    let good = b"the bytes the person picked".to_vec();
    let r = api
        .post_json(
            "/asset",
            &json!({
                "filename": "picked.txt",
                "content_type": "text/plain",
                "size": good.len(),
                "checksum_sha256": sha256_b64(&good),
            })
            .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(
        r.body["headers"]["x-amz-checksum-sha256"],
        sha256_b64(&good),
        "the checksum is one of the headers to send: {}",
        r.raw
    );
    let id = r.body["id"].as_str().unwrap();
    let key = r.body["object_key"].as_str().unwrap();

    // Same length, other bytes (corrupted on the way): S3 refuses them and stores nothing.
    let mut corrupted = good.clone();
    corrupted[3] ^= 0x20;
    let refused = put_as_told(&r.body, corrupted).await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("BadDigest"));
    assert_eq!(stored(&api, key).await, None, "nothing stored");
    assert_eq!(asset(&api, id).await["status"], "CREATED");

    // The real bytes, through the same URL: stored, and S3's checksum recorded.
    let put = put_as_told(&r.body, good.clone()).await;
    assert_eq!(put.status(), 200, "{:?}", put.text().await);
    assert_eq!(stored(&api, key).await, Some(good.clone()));
    let a = asset(&api, id).await;
    assert_eq!(a["status"], "RECEIVED");
    assert_eq!(a["checksum_sha256"], sha256_b64(&good), "{a}");
    let meta = api
        .get(&format!("/metadata?bucket={}&key={key}", api.bucket()))
        .await;
    assert_eq!(
        meta.body["checksum_sha256"],
        sha256_b64(&good),
        "{}",
        meta.raw
    );
}

/// A corrupted PUT never replaces what is stored either (the replay protection aside: the
/// bare seed URL has none, and a bad body must still leave the first file as it was).
#[tokio::test]
async fn a_put_refused_for_its_checksum_leaves_the_stored_object_as_it_was() {
    let api = TestApp::start().await;
    let (_, key) = api.upload("kept.txt", b"first version").await;
    let url = api
        .s3()
        .put_object()
        .bucket(api.bucket())
        .key(&key)
        .checksum_sha256(sha256_b64(b"second version"))
        .presigned(
            aws_sdk_s3::presigning::PresigningConfig::expires_in(std::time::Duration::from_secs(
                60,
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let mut put = reqwest::Client::new().put(url.uri());
    for (name, value) in url.headers() {
        put = put.header(name, value);
    }
    let refused = put.body("second versioX").send().await.unwrap();
    assert_eq!(refused.status(), 400);
    assert_eq!(
        stored(&api, &key).await.as_deref(),
        Some(&b"first version"[..])
    );
}

#[tokio::test]
async fn multipart_parts_carry_their_checksums_and_the_object_records_s3s_composite() {
    let api = TestApp::start().await;
    let part = 8 * 1024 * 1024;
    let data: Vec<u8> = (0..part + 1000).map(|i| (i % 253) as u8).collect();
    let r = api
        .post_json(
            "/api/start_multipart",
            &json!({"upload": {"filename": "big.bin", "size": data.len(), "checksum_algorithm": "SHA256"}})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    assert_eq!(r.body["checksum_algorithm"], "SHA256");
    let (id, upload_id) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["upload_id"].as_str().unwrap().to_string(),
    );
    let sign = |n: usize, chunk: &[u8], sum: Option<String>| {
        json!({"id": id, "upload_id": upload_id, "part_number": n, "size": chunk.len(), "checksum_sha256": sum})
            .to_string()
    };
    let chunks: Vec<&[u8]> = data.chunks(part).collect();
    // Without its checksum a part of this upload is not signed.
    let unsigned = api
        .post_json("/api/sign_part", &sign(1, chunks[0], None))
        .await;
    assert_eq!(unsigned.status, StatusCode::BAD_REQUEST, "{}", unsigned.raw);
    assert!(unsigned.raw.contains("checksum"), "{}", unsigned.raw);

    let mut parts = vec![];
    for (i, chunk) in chunks.iter().enumerate() {
        let n = i + 1;
        let s = api
            .post_json("/api/sign_part", &sign(n, chunk, Some(sha256_b64(chunk))))
            .await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.raw);
        assert_eq!(
            s.body["headers"]["x-amz-checksum-sha256"],
            sha256_b64(chunk)
        );
        let send = |body: Vec<u8>| {
            let mut put = reqwest::Client::new().put(s.body["url"].as_str().unwrap());
            for (name, value) in s.body["headers"].as_object().unwrap() {
                put = put.header(name, value.as_str().unwrap());
            }
            put.body(body).send()
        };
        // A corrupted part is refused; the right bytes then go through the same URL.
        let mut bad = chunk.to_vec();
        bad[0] ^= 1;
        assert_eq!(send(bad).await.unwrap().status(), 400);
        let ok = send(chunk.to_vec()).await.unwrap();
        assert_eq!(ok.status(), 200);
        parts.push(json!({"part_number": n, "etag": ok.headers()["etag"].to_str().unwrap(), "size": chunk.len()}));
    }
    let done = api
        .post_json(
            "/api/complete_multipart",
            &json!({"id": id, "upload_id": upload_id, "parts": parts}).to_string(),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.raw);
    // S3's composite: the SHA-256 of the parts' digests, then the number of parts.
    use base64::Engine;
    let mut digests = vec![];
    for chunk in &chunks {
        digests.extend_from_slice(
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, chunk).as_ref(),
        );
    }
    let composite = format!(
        "{}-{}",
        base64::engine::general_purpose::STANDARD
            .encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &digests).as_ref()),
        chunks.len()
    );
    let a = asset(&api, &id).await;
    assert_eq!(a["status"], "RECEIVED", "{a}");
    assert_eq!(a["checksum_sha256"], composite, "{a}");
}

#[tokio::test]
async fn checksums_are_checked_before_anything_is_signed() {
    let api = TestApp::start().await;
    for (body, says) in [
        (
            json!({"checksum_sha256": "not base64!"}),
            "SHA-256 digest in base64",
        ),
        (
            json!({"checksum_sha256": "AAAA"}),
            "SHA-256 digest in base64",
        ),
        (json!({"checksum_algorithm": "SHA256"}), "multipart"),
        (json!({"checksum_algorithm": "MD5"}), "expected `SHA256`"),
    ] {
        let r = api.post_json("/asset", &body.to_string()).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.raw);
        assert!(r.raw.contains(says), "{body}: {}", r.raw);
    }
    let r = api
        .post_json(
            "/api/start_multipart",
            &json!({"upload": {"size": 20_000_000, "checksum_sha256": sha256_b64(b"x")}})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.raw);
    // Nothing was created by any of them.
    let list = api.get("/asset").await;
    assert_eq!(list.body["items"], json!([]), "{}", list.raw);
}
