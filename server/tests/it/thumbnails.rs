//! Thumbnails over the real pipeline: an image uploaded through a presigned URL, its S3
//! event recorded, then (in a task of its own) a thumbnail stored under `thumbnails/` and
//! recorded on the asset; served by a presigned GET in the API's answers; never an asset of
//! its own; remade for a new object; gone with the object; none for what is no image.

use crate::harness::{eventually, TestApp};
use axum::http::{Method, StatusCode};
use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use serde_json::{json, Value};
use std::io::Cursor;

fn png(w: u32, h: u32) -> Vec<u8> {
    let img = DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 40])
    }));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

/// Uploads `bytes` as `name` of type `content_type`; returns the asset's id.
async fn upload(app: &TestApp, name: &str, content_type: &str, bytes: Vec<u8>) -> String {
    let r = app
        .post_json(
            "/asset",
            &json!({"filename": name, "content_type": content_type, "size": bytes.len()})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(
        crate::harness::put_as_told(&r.body, bytes).await.status(),
        200
    );
    r.body["id"].as_str().unwrap().to_string()
}

/// The keys stored under the bucket's thumbnails prefix.
async fn thumbnail_keys(app: &TestApp) -> Vec<String> {
    let stored = app
        .s3()
        .list_objects_v2()
        .bucket(app.bucket())
        .prefix(server::thumbnails::PREFIX)
        .send()
        .await
        .unwrap();
    stored
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect()
}

/// The asset as the API shows it, once it has a thumbnail URL.
async fn with_thumbnail(app: &TestApp, id: &str) -> Value {
    eventually(|| async {
        let r = app.get("/asset?limit=100").await;
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["asset_id"] == id && a["thumbnail_url"].is_string())
            .cloned()
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_image_gets_a_thumbnail_served_by_a_presigned_get() {
    let app = TestApp::start().await;
    let id = upload(&app, "holiday.png", "image/png", png(1200, 800)).await;
    let asset = with_thumbnail(&app, &id).await;
    let url = asset["thumbnail_url"].as_str().unwrap();
    assert!(url.contains("X-Amz-Signature"), "{url}");
    assert!(url.contains(&format!("thumbnails/{id}.jpg")), "{url}");
    let got = reqwest::get(url).await.unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&got.bytes().await.unwrap()).unwrap();
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
    // The page's URL stays the same a while (the browser caches the image).
    let again = with_thumbnail(&app, &id).await;
    assert_eq!(again["thumbnail_url"], asset["thumbnail_url"]);

    // The thumbnail is nobody's asset, and the event its upload made was passed by.
    let r = app.get("/asset?limit=100").await;
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1, "{}", r.raw);
    // The detail's server function has it too.
    let r = app
        .post_json("/api/get_asset", &json!({"id": id}).to_string())
        .await;
    assert!(r.body["thumbnail_url"].is_string(), "{}", r.raw);

    // Deleted: no thumbnail shown; restored: shown again.
    app.send(Method::DELETE, &format!("/asset/{id}"), None)
        .await;
    let r = app.get("/asset?status=DELETED").await;
    assert!(r.body["items"][0]["thumbnail_url"].is_null(), "{}", r.raw);
    app.post_json(&format!("/asset/{id}/restore"), "").await;
    with_thumbnail(&app, &id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_is_no_image_gets_no_thumbnail_and_stays_as_it_is() {
    let app = TestApp::start().await;
    // Said to be a PNG, yet not one; and a text file.
    let fake = upload(
        &app,
        "fake.png",
        "image/png",
        b"not an image at all".to_vec(),
    )
    .await;
    let text = upload(&app, "notes.txt", "text/plain", b"plain words".to_vec()).await;
    let real = upload(&app, "real.png", "image/png", png(10, 10)).await;
    // Once the real one has its thumbnail, the others have had their chance.
    let small = with_thumbnail(&app, &real).await;
    assert!(small["thumbnail_url"].as_str().unwrap().contains(".jpg"));
    let r = app.get("/asset?limit=100").await;
    for id in [&fake, &text] {
        let a = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["asset_id"] == id.as_str())
            .unwrap();
        assert!(a["thumbnail_url"].is_null(), "{a}");
        assert_eq!(a["state"], "RECEIVED", "{a}");
    }
    assert_eq!(
        thumbnail_keys(&app).await,
        [format!("thumbnails/{real}.jpg")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_object_takes_its_thumbnail_with_it() {
    let app = TestApp::start().await;
    let id = upload(&app, "gone.png", "image/png", png(400, 400)).await;
    with_thumbnail(&app, &id).await;
    let key = app.get("/asset?limit=1").await.body["items"][0]["object_key"]
        .as_str()
        .unwrap()
        .to_string();
    // Someone removes the object in the bucket: its record, then its thumbnail, go.
    app.s3()
        .delete_object()
        .bucket(app.bucket())
        .key(&key)
        .send()
        .await
        .unwrap();
    eventually(|| async { thumbnail_keys(&app).await.is_empty().then_some(()) }).await;
}
