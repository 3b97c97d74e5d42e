//! Presigned URLs from `aws-sdk-s3` against the embedded S3: what browsers will do.

use crate::harness::{eventually, TestApp};
use app::domain::AssetStatus;
use server::{objects::PutConditions, storage::NewAsset};
use std::time::Duration;

const ORIGIN: &str = "http://127.0.0.1:3000";
const TTL: Duration = Duration::from_secs(300);

async fn new_upload(
    env: &TestApp,
    name: &str,
    ct: &str,
    size: u64,
) -> (app::domain::Asset, server::objects::PresignedRequest) {
    let asset = env
        .store()
        .create(NewAsset {
            owner: app::domain::Owner::local(),
            bucket: env.bucket().to_string(),
            filename: Some(name.to_string()),
            content_type: ct.to_string(),
            size: Some(size),
            folder: None,
        })
        .await
        .unwrap();
    let put = env
        .embedded
        .services
        .objects
        .presign_put(
            env.bucket(),
            &asset.object_key,
            PutConditions {
                content_type: Some(ct),
                content_length: Some(size),
                only_if_absent: false,
                checksum_sha256: None,
            },
            TTL,
        )
        .await
        .unwrap();
    (asset, put)
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn presigned_put_then_get_round_trips_and_drives_the_asset_state() {
    let env = TestApp::start().await;
    let body = b"hello, ferry!\n".to_vec();
    let (asset, put) = new_upload(
        &env,
        "dir/hello world+1.txt",
        "text/plain",
        body.len() as u64,
    )
    .await;

    assert_eq!(put.method, "PUT");
    // Browser-safe: no checksum parameters (aws-sdk-rust #1240/#1253); type and length signed.
    let url = put.url.to_ascii_lowercase();
    assert!(
        !url.contains("x-amz-checksum") && !url.contains("x-amz-sdk-checksum"),
        "{url}"
    );
    assert!(
        url.contains("x-amz-signedheaders=content-length%3bcontent-type%3bhost"),
        "{url}"
    );
    assert_eq!(
        put.headers.get("content-type").map(String::as_str),
        Some("text/plain")
    );

    let res = http()
        .put(&put.url)
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{:?}", res.text().await);
    let etag = res.headers()["etag"]
        .to_str()
        .unwrap()
        .trim_matches('"')
        .to_string();

    // The S3 event made the asset RECEIVED with the object's real size and ETag.
    let received = eventually(|| async {
        let a = env.store().get(asset.id).await.unwrap();
        (a.status == AssetStatus::Received).then_some(a)
    })
    .await;
    assert_eq!(received.size, Some(body.len() as u64));
    assert_eq!(received.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(received.event_name.as_deref(), Some("ObjectCreated:Put"));
    let meta = env
        .store()
        .object_metadata(
            &app::domain::Caller::local(),
            env.bucket(),
            &asset.object_key,
        )
        .await
        .unwrap();
    assert_eq!(meta.size, body.len() as u64);

    let get = env
        .embedded
        .services
        .objects
        .presign_get(env.bucket(), &asset.object_key, Some(&asset.filename), TTL)
        .await
        .unwrap();
    let res = http().get(&get.url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-disposition"],
        "attachment; filename=\"hello world+1.txt\"; filename*=UTF-8''hello%20world%2B1%2Etxt"
    );
    assert_eq!(res.bytes().await.unwrap().to_vec(), body);
}

#[tokio::test]
async fn presigned_put_is_refused_when_anything_signed_differs() {
    let env = TestApp::start().await;
    let body = b"0123456789".to_vec();
    let (asset, put) = new_upload(&env, "a.txt", "text/plain", body.len() as u64).await;

    // Other Content-Type than signed.
    let res = http()
        .put(&put.url)
        .header("content-type", "image/png")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // No Content-Type at all.
    let res = http()
        .put(&put.url)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Other Content-Length (a bigger body than declared).
    let res = http()
        .put(&put.url)
        .header("content-type", "text/plain")
        .body(vec![b'x'; 11])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Tampered signature.
    let tampered = tamper(&put.url);
    let res = http()
        .put(&tampered)
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // Another key under the same signature.
    let other_key = put.url.replace("/a.txt?", "/b.txt?");
    let res = http()
        .put(&other_key)
        .header("content-type", "text/plain")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // None of it stored anything or moved the asset.
    assert_eq!(
        env.store().get(asset.id).await.unwrap().status,
        AssetStatus::Created
    );
    assert!(env
        .s3()
        .head_object()
        .bucket(env.bucket())
        .key(&asset.object_key)
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn expired_urls_are_refused() {
    let env = TestApp::start().await;
    let objects = &env.services().objects;
    let (asset, _) = new_upload(&env, "e.txt", "text/plain", 3).await;
    let put = objects
        .presign_put(
            env.bucket(),
            &asset.object_key,
            PutConditions {
                content_type: Some("text/plain"),
                content_length: Some(3),
                only_if_absent: false,
                checksum_sha256: None,
            },
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(&asset.object_key)
        .body(b"abc".to_vec().into())
        .send()
        .await
        .unwrap();
    let get = objects
        .presign_get(
            env.bucket(),
            &asset.object_key,
            None,
            Duration::from_secs(1),
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let res = http()
        .put(&put.url)
        .header("content-type", "text/plain")
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("expired"));
    let res = http().get(&get.url).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn get_urls_cannot_be_tampered_and_anonymous_reads_are_denied() {
    let env = TestApp::start().await;
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key("secret.txt")
        .body(b"secret".to_vec().into())
        .send()
        .await
        .unwrap();
    let get = env
        .embedded
        .services
        .objects
        .presign_get(env.bucket(), "secret.txt", None, TTL)
        .await
        .unwrap();
    assert_eq!(http().get(&get.url).send().await.unwrap().status(), 200);
    assert_eq!(
        http().get(tamper(&get.url)).send().await.unwrap().status(),
        403
    );
    let anonymous = format!("{}/{}/secret.txt", env.embedded.s3_endpoint, env.bucket());
    assert_eq!(http().get(anonymous).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn cors_allows_the_app_origin_and_exposes_etag() {
    let env = TestApp::start().await;
    let (_, put) = new_upload(&env, "c.txt", "text/plain", 2).await;
    let preflight = http()
        .request(reqwest::Method::OPTIONS, &put.url)
        .header("origin", ORIGIN)
        .header("access-control-request-method", "PUT")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], ORIGIN);
    assert!(preflight.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap()
        .contains("PUT"));
    assert!(preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("content-type"));

    let res = http()
        .put(&put.url)
        .header("origin", ORIGIN)
        .header("content-type", "text/plain")
        .body("hi")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], ORIGIN);
    assert_eq!(
        res.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap()
            .to_ascii_lowercase(),
        "etag"
    );

    // Another origin gets no CORS grant.
    let other = http()
        .request(reqwest::Method::OPTIONS, &put.url)
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "PUT")
        .send()
        .await
        .unwrap();
    assert!(other.headers().get("access-control-allow-origin").is_none());
}

#[tokio::test]
async fn multipart_upload_with_presigned_part_urls_completes_with_one_event() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let env = TestApp::start().await;
    let part_size = 5 * 1024 * 1024;
    let total = part_size * 2 + 1234;
    let data: Vec<u8> = (0..total).map(|i| (i * 31 % 251) as u8).collect();
    let asset = env
        .store()
        .create(NewAsset {
            owner: app::domain::Owner::local(),
            bucket: env.bucket().to_string(),
            filename: Some("big.bin".into()),
            content_type: "application/octet-stream".into(),
            size: Some(total as u64),
            folder: None,
        })
        .await
        .unwrap();
    let s3 = env.s3();
    let upload = s3
        .create_multipart_upload()
        .bucket(env.bucket())
        .key(&asset.object_key)
        .content_type("application/octet-stream")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap().to_string();
    let mut parts = vec![];
    for (i, chunk) in data.chunks(part_size).enumerate() {
        let n = i as i32 + 1;
        let url = s3
            .upload_part()
            .bucket(env.bucket())
            .key(&asset.object_key)
            .upload_id(&upload_id)
            .part_number(n)
            .content_length(chunk.len() as i64)
            .presigned(aws_sdk_s3::presigning::PresigningConfig::expires_in(TTL).unwrap())
            .await
            .unwrap();
        assert!(!url.uri().to_ascii_lowercase().contains("checksum"));
        let res = http()
            .put(url.uri())
            .body(chunk.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "part {n}");
        let etag = res.headers()["etag"].to_str().unwrap().to_string();
        parts.push(CompletedPart::builder().part_number(n).e_tag(etag).build());
    }
    // Nothing is RECEIVED until the upload completes.
    assert_eq!(
        env.store().get(asset.id).await.unwrap().status,
        AssetStatus::Created
    );
    s3.complete_multipart_upload()
        .bucket(env.bucket())
        .key(&asset.object_key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let a = eventually(|| async {
        let a = env.store().get(asset.id).await.unwrap();
        (a.status == AssetStatus::Received).then_some(a)
    })
    .await;
    assert_eq!(a.size, Some(total as u64));
    assert_eq!(
        a.event_name.as_deref(),
        Some("ObjectCreated:CompleteMultipartUpload")
    );
    let got = s3
        .get_object()
        .bucket(env.bucket())
        .key(&asset.object_key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().to_vec(),
        data
    );
}

#[tokio::test]
async fn deleting_the_object_removes_its_record() {
    let env = TestApp::start().await;
    let (asset, put) = new_upload(&env, "gone.txt", "text/plain", 4).await;
    http()
        .put(&put.url)
        .header("content-type", "text/plain")
        .body("gone")
        .send()
        .await
        .unwrap();
    eventually(|| async {
        (env.store().get(asset.id).await.unwrap().status == AssetStatus::Received).then_some(())
    })
    .await;
    env.s3()
        .delete_object()
        .bucket(env.bucket())
        .key(&asset.object_key)
        .send()
        .await
        .unwrap();
    eventually(|| async { env.store().get(asset.id).await.is_err().then_some(()) }).await;
    assert!(env
        .store()
        .object_metadata(
            &app::domain::Caller::local(),
            env.bucket(),
            &asset.object_key
        )
        .await
        .is_err());
}

/// Flips the last hex digit of the signature.
fn tamper(url: &str) -> String {
    let mut s = url.to_string();
    let pos = s.find("X-Amz-Signature=").expect("signed URL") + "X-Amz-Signature=".len() + 63;
    let c = s.as_bytes()[pos];
    let flipped = if c == b'0' { "1" } else { "0" };
    s.replace_range(pos..pos + 1, flipped);
    s
}

/// A file name of exactly `MAX_FILENAME_BYTES` once composed (mostly two-byte `é`, segments at
/// the 255-byte limit), sent decomposed (NFD, far longer) as some systems spell it.
fn longest_name() -> (String, String) {
    use app::domain::{MAX_FILENAME_BYTES, MAX_SEGMENT_BYTES};
    let segment = "\u{e9}".repeat(MAX_SEGMENT_BYTES / 2); // 254 bytes
    let mut name = [segment.as_str(); 3].join("/");
    name.push('/');
    while name.len() + 2 < MAX_FILENAME_BYTES {
        name.push('\u{e9}');
    }
    while name.len() < MAX_FILENAME_BYTES {
        name.push('x');
    }
    assert_eq!(name.len(), MAX_FILENAME_BYTES);
    let decomposed = name.replace('\u{e9}', "e\u{301}");
    (name, decomposed)
}

#[tokio::test]
async fn the_longest_name_round_trips_through_rest_and_the_embedded_s3() {
    let env = TestApp::start().await;
    let (name, sent) = longest_name();
    let body = b"the longest name\n";
    let (id, key) = env.upload(&sent, body).await;
    // Stored and keyed in NFC: the name's 860 bytes, not the 1290 that were sent.
    assert_eq!(key, format!("uploads/local/{id}/{name}"));
    let asset = env.store().get(id.parse().unwrap()).await.unwrap();
    // Its three folders were made (each a 254-byte name), and it is named without them.
    assert_eq!(asset.filename, name.rsplit('/').next().unwrap());
    assert_eq!(asset.folder_path.len(), 3);
    assert_eq!(asset.status, AssetStatus::Received);
    assert_eq!(asset.size, Some(body.len() as u64));

    let r = env.get(&format!("/asset/{id}")).await;
    assert_eq!(r.status, 202, "{}", r.raw);
    let got = http()
        .get(r.body["download_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.bytes().await.unwrap().as_ref(), body);
}

#[tokio::test]
async fn the_longest_name_completes_a_multipart_upload_on_the_embedded_s3() {
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    let env = TestApp::start().await;
    let (name, _) = longest_name();
    let asset = env
        .store()
        .create(NewAsset {
            owner: app::domain::Owner::local(),
            bucket: env.bucket().to_string(),
            filename: Some(name.clone()),
            content_type: "text/plain".into(),
            size: Some(3),
            folder: None,
        })
        .await
        .unwrap();
    let s3 = env.s3();
    let (bucket, key) = (env.bucket(), &asset.object_key);
    let upload = s3
        .create_multipart_upload()
        .bucket(bucket)
        .key(key)
        .content_type("text/plain")
        .send()
        .await
        .unwrap();
    let upload_id = upload.upload_id().unwrap();
    let part = s3
        .upload_part()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(1)
        .body(b"abc".to_vec().into())
        .send()
        .await
        .unwrap();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .parts(
                    CompletedPart::builder()
                        .part_number(1)
                        .e_tag(part.e_tag().unwrap())
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"abc"
    );
    let a = env.store().get(asset.id).await.unwrap();
    assert_eq!((a.status, a.size), (AssetStatus::Received, Some(3)));
}
