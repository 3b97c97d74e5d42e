//! The app shell over HTTP: every route and static file through the real router (`oneshot`).

use crate::harness::TestApp;
use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};

const CSS: &str = "ferry.0123456789abcdef.css";
const JS: &str = "ferry.fedcba9876543210.js";
const WASM: &str = "ferry.00112233aabbccdd.wasm";
const VALID_ID: &str = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";

/// A built site in a temp dir: hashed bundle files, a gzip variant, a manifest, a favicon.
pub(crate) fn hashed_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join(CSS), "body{color:red}").unwrap();
    std::fs::write(pkg.join(format!("{CSS}.gz")), gzip(b"body{color:red}")).unwrap();
    std::fs::write(pkg.join(JS), "export default function(){}").unwrap();
    std::fs::write(pkg.join(WASM), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(
        pkg.join("manifest.json"),
        format!(r#"{{"css":"{CSS}","js":"{JS}","wasm":"{WASM}","hashed":true}}"#),
    )
    .unwrap();
    std::fs::write(dir.path().join("favicon.ico"), [0u8, 0, 1, 0]).unwrap();
    dir
}

// A stored-block gzip member: enough for a precompressed file without a compression crate.
fn gzip(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.push(1);
    let len = data.len() as u16;
    out.extend(len.to_le_bytes());
    out.extend((!len).to_le_bytes());
    out.extend(data);
    out.extend(crc32(data).to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn title(html: &str) -> &str {
    let start = html.find("<title>").expect("has a title") + "<title>".len();
    let end = html[start..].find("</title>").unwrap() + start;
    &html[start..end]
}

#[tokio::test]
async fn upload_page_is_server_rendered_with_layout_and_hashed_assets() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(title(&r.raw), "Upload · Ferry");
    assert!(r.raw.starts_with("<!DOCTYPE html>"));
    assert!(r.markup().contains("<h1>Upload files</h1>"));
    assert!(r.markup().contains(r#"<nav aria-label="Main">"#));
    assert!(r
        .markup()
        .contains(r#"<a href="/" aria-current="page">Upload</a>"#));
    assert!(r.markup().contains("Colour theme: system"));
    // The page paints from this response alone: the manifest's stylesheet is inlined, and
    // nothing is fetched before the first paint (no stylesheet link, no preload); the script
    // that hydrates names the hashed bundle, and the favicon is linked.
    assert!(r.raw.contains(">body{color:red}</style>"));
    for early in [
        r#"rel="stylesheet""#,
        r#"rel="preload""#,
        r#"rel="modulepreload""#,
    ] {
        assert!(!r.raw.contains(early), "{early}");
    }
    assert!(r
        .markup()
        .contains(&format!(r#"const js = "/pkg/{JS}", wasm = "/pkg/{WASM}";"#)));
    assert!(r.markup().contains("requestAnimationFrame"));
    assert!(r
        .markup()
        .contains(r#"<link rel="icon" href="/favicon.ico""#));
}

// Multi-threaded like the real server: resolved pages may render on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browse_and_detail_pages_are_complete_without_javascript() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    let env = &app;
    let new = |name: &str, ct: &str| server::storage::NewAsset {
        owner: app::domain::Owner::local(),
        bucket: env.bucket().to_string(),
        filename: Some(name.to_string()),
        content_type: ct.to_string(),
        size: Some(1500),
        folder: None,
    };
    let alpha = env
        .store()
        .create(new("alpha.txt", "text/plain"))
        .await
        .unwrap();
    let beta = env
        .store()
        .create(new("beta.png", "image/png"))
        .await
        .unwrap();
    env.store()
        .soft_delete(&app::domain::Caller::local(), beta.id)
        .await
        .unwrap();

    let r = app.get("/assets").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(title(&r.raw), "Assets · Ferry");
    assert!(r
        .markup()
        .contains(r#"<a href="/assets" aria-current="page">Assets</a>"#));
    // The rows themselves, not a loading placeholder: newest first, with badges and sizes.
    let row = |id: &app::domain::AssetId| format!(r#"data-asset-id="{id}""#);
    let (a, b) = (r.raw.find(&row(&alpha.id)), r.raw.find(&row(&beta.id)));
    assert!(b.unwrap() < a.unwrap(), "newest first");
    assert!(r
        .markup()
        .contains(&format!(r#"href="/assets/{}""#, alpha.id)));
    assert!(r
        .markup()
        .contains(r#"class="badge badge-created">CREATED</span>"#));
    assert!(r
        .markup()
        .contains(r#"class="badge badge-deleted">DELETED</span>"#));
    assert!(r.markup().contains("1.5 KB"));
    assert!(!r.raw.contains("Loading assets"));

    // Filters and search are in the URL.
    let r = app.get("/assets?status=deleted").await;
    assert!(r.markup().contains(&row(&beta.id)) && !r.raw.contains(&row(&alpha.id)));
    let r = app.get("/assets?q=AL").await;
    assert!(r.markup().contains(&row(&alpha.id)) && !r.raw.contains(&row(&beta.id)));
    let r = app.get("/assets?q=zzz").await;
    assert!(r.markup().contains("Nothing matches"));
    let r = app.get("/assets?limit=10&sort=oldest").await;
    assert!(r.raw.find(&row(&alpha.id)).unwrap() < r.raw.find(&row(&beta.id)).unwrap());

    // A URL naming nothing is a 400 page, not a silent default.
    for uri in [
        "/assets?status=gone",
        "/assets?sort=size",
        "/assets?limit=7",
        "/assets?cursor=garbage",
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(r.markup().contains(r#"role="alert""#), "{uri}");
    }

    // The detail page: every field, server-rendered.
    let r = app.get(&format!("/assets/{}", alpha.id)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(title(&r.raw), "alpha.txt · Ferry");
    for field in [
        "Asset id",
        "Object key",
        "ETag",
        "Sequencer",
        "Event time",
        "Bucket",
    ] {
        assert!(r.markup().contains(&format!("<dt>{field}</dt>")), "{field}");
    }
    assert!(r.markup().contains(&alpha.object_key));
    assert!(r.markup().contains(env.bucket()));
    // Lower-case ids are the same asset.
    let r = app
        .get(&format!("/assets/{}", alpha.id.to_string().to_lowercase()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(title(&r.raw), "alpha.txt · Ferry");
    // An unknown id is a 404 page.
    let r = app.get(&format!("/assets/{VALID_ID}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.markup().contains("Asset not found"));
}

#[tokio::test]
async fn unknown_routes_get_the_404_page_with_status_404() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    for uri in ["/nope", "/assets/a/b", "/upload"] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(title(&r.raw), "Page not found · Ferry", "{uri}");
        assert!(
            r.markup()
                .contains("<h1 id=\"nf-title\">Page not found</h1>"),
            "{uri}"
        );
    }
}

#[tokio::test]
async fn trailing_slashes_redirect_to_the_canonical_url() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    for (uri, location) in [
        ("/assets/", "/assets"),
        ("/assets///", "/assets"),
        ("/assets/?status=UPLOADED", "/assets?status=UPLOADED"),
        (
            &format!("/assets/{VALID_ID}/") as &str,
            &format!("/assets/{VALID_ID}") as &str,
        ),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::PERMANENT_REDIRECT, "{uri}");
        assert_eq!(r.headers[header::LOCATION], location, "{uri}");
    }
    // Never an open redirect to another host.
    let r = app.get("//evil.example/").await;
    assert_ne!(r.status, StatusCode::PERMANENT_REDIRECT);
    assert_eq!(app.get("/").await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_asset_id_is_a_404_page() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());
    for (uri, echoed) in [
        ("/assets/not-an-id", "`not-an-id`"),
        (
            "/assets/01JDQ7ZK3M5X9V2B8N4C6T1R0",
            "`01JDQ7ZK3M5X9V2B8N4C6T1R0`",
        ),
        ("/assets/%3Cscript%3E", "`&lt;script&gt;`"),
    ] {
        let r = app.get(uri).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{uri}");
        assert!(r.markup().contains(r#"role="alert""#), "{uri}");
        assert!(
            r.markup()
                .contains(&format!("{echoed} is not a valid asset id")),
            "{uri}: {}",
            r.raw
        );
        assert!(!r.raw.contains("`<script>`"), "user input is escaped");
    }
}

#[tokio::test]
async fn hashed_bundle_files_are_cached_forever_and_served_gzipped() {
    let site = hashed_site();
    let app = TestApp::start().await.serving_site(site.path());

    let r = app.get(&format!("/pkg/{CSS}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/css");
    assert_eq!(
        r.headers[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers[header::VARY], "accept-encoding");
    assert_eq!(r.raw, "body{color:red}");

    let req = Request::get(format!("/pkg/{CSS}"))
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .body(Body::empty())
        .unwrap();
    let r = app.request(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(r.headers[header::CONTENT_TYPE], "text/css");

    let r = app.get(&format!("/pkg/{WASM}")).await;
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/wasm");
    let r = app.get(&format!("/pkg/{JS}")).await;
    assert!(r.headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .contains("javascript"));

    let r = app.get("/pkg/ferry.missing.js").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn public_files_are_served_and_traversal_is_refused() {
    let site = hashed_site();
    // A file next to the site root that must never be reachable.
    std::fs::write(site.path().parent().unwrap().join("secret.txt"), "secret").ok();
    let app = TestApp::start().await.serving_site(site.path());

    let r = app.get("/favicon.ico").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/x-icon");

    for uri in [
        "/pkg/../../secret.txt",
        "/pkg/%2e%2e/%2e%2e/secret.txt",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
    ] {
        let r = app.get(uri).await;
        assert_ne!(r.status, StatusCode::OK, "{uri}");
        assert!(!r.raw.contains("secret"), "{uri}");
    }
}

#[tokio::test]
async fn without_a_manifest_unhashed_names_are_used_and_revalidated() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/ferry.css"), "a{}").unwrap();
    let app = TestApp::start().await.serving_site(dir.path());

    let r = app.get("/").await;
    assert_eq!(r.status, StatusCode::OK);
    // The server has not read the stylesheet: it is linked.
    assert!(r
        .markup()
        .contains(r#"<link rel="stylesheet" href="/pkg/ferry.css">"#));
    assert!(r.markup().contains(r#"wasm = "/pkg/ferry.wasm""#));

    let r = app.get("/pkg/ferry.css").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-cache");
}

#[test]
fn a_stylesheet_that_cannot_be_inlined_is_a_clear_error() {
    for (what, css) in [
        ("missing", None),
        ("not UTF-8", Some(b"a{content:'\xff'}".as_slice())),
        (
            "closing its element",
            Some(b"a{}</STYLE><script>".as_slice()),
        ),
    ] {
        let site = hashed_site();
        let path = site.path().join("pkg").join(CSS);
        match css {
            Some(css) => std::fs::write(&path, css).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        let err = server::site::Site::load(site.path())
            .unwrap_err()
            .to_string();
        assert!(err.contains(CSS), "{what}: {err}");
    }
}

#[test]
fn a_corrupt_manifest_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/manifest.json"), "{not json").unwrap();
    let err = server::site::Site::load(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("manifest.json is not a valid site manifest"),
        "{err}"
    );
}

/// A rejected upload says so on both pages, without JavaScript: its badge in the listing
/// (and under the REJECTED filter), and on its own page why its file was refused and that
/// it cannot be downloaded; the SHA-256 S3 checked is shown for an upload that sent one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_assets_and_checksums_are_shown_on_the_pages() {
    let site = hashed_site();
    let app = TestApp::with_limits(server::config::Limits {
        max_upload_bytes: 10,
        ..server::config::Limits::default()
    })
    .await
    .serving_site(site.path());
    let ticket = app.send(axum::http::Method::POST, "/asset", None).await;
    let put = reqwest::Client::new()
        .put(ticket.body["upload_url"].as_str().unwrap())
        .body(vec![b'x'; 11])
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let rejected = ticket.body["id"].as_str().unwrap().to_string();
    // An upload with its checksum, within the limit.
    let body = b"0123456789".to_vec();
    let sum = {
        use base64::Engine;
        let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &body);
        base64::engine::general_purpose::STANDARD.encode(d.as_ref())
    };
    let ticket = app
        .post_json(
            "/asset",
            &serde_json::json!({"filename": "ten.txt", "content_type": "text/plain", "size": 10, "checksum_sha256": sum})
                .to_string(),
        )
        .await;
    assert_eq!(
        crate::harness::put_as_told(&ticket.body, body)
            .await
            .status(),
        200
    );
    let checked = ticket.body["id"].as_str().unwrap().to_string();

    let list = app.get("/assets?status=rejected").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list
        .markup()
        .contains(&format!(r#"data-asset-id="{rejected}""#)));
    assert!(!list.raw.contains(&format!(r#"data-asset-id="{checked}""#)));
    assert!(list
        .markup()
        .contains(r#"class="badge badge-rejected">REJECTED</span>"#));

    let page = app.get(&format!("/assets/{rejected}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.markup()
            .contains("the file is 11 bytes, more than the 10 bytes allowed"),
        "{}",
        page.raw
    );
    assert!(page
        .markup()
        .contains("The file was deleted from the bucket."));
    assert!(page.markup().contains("none: the upload sent no checksum"));

    let page = app.get(&format!("/assets/{checked}")).await;
    assert!(
        page.markup()
            .contains(&format!(r#"<code data-testid="checksum">{sum}</code>"#)),
        "{}",
        page.raw
    );
}
