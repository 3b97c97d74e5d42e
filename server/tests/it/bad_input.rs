//! Every kind of bad input Ferry handles, as one table: each request must get its 4xx and a
//! JSON body saying what is wrong (REST: `{"error", "error_message"}`; server functions: the
//! serialised `FerryError`), and nothing stored may change. The bodies are snapshotted
//! (`snapshots/`), so a changed message is a reviewed change.

use crate::harness::{Fixture, UNKNOWN_ID};
use axum::{
    body::Body,
    http::{header, Method, Request},
};
use serde_json::{json, Value};

/// A request with a body of the given content type.
struct Bad {
    what: &'static str,
    method: Method,
    uri: String,
    body: Option<(&'static str, String)>,
    status: u16,
}

fn bad(what: &'static str, method: Method, uri: impl Into<String>, status: u16) -> Bad {
    Bad {
        what,
        method,
        uri: uri.into(),
        body: None,
        status,
    }
}

impl Bad {
    fn json(mut self, body: impl Into<String>) -> Bad {
        self.body = Some(("application/json", body.into()));
        self
    }

    fn form(mut self, body: impl Into<String>) -> Bad {
        self.body = Some(("application/x-www-form-urlencoded", body.into()));
        self
    }

    fn typed(mut self, content_type: &'static str, body: impl Into<String>) -> Bad {
        self.body = Some((content_type, body.into()));
        self
    }
}

// One row per case: easier to read as a table than as rustfmt would lay it out.
#[rustfmt::skip]
fn rest_cases(f: &Fixture) -> Vec<Bad> {
    use Method as M;
    let received = &f.received;
    let text = |name: &str| json!({"filename": name, "content_type": "text/plain"}).to_string();
    vec![
        bad("truncated JSON", M::POST, "/asset", 400).json(r#"{"filename": "#),
        bad("unknown field", M::POST, "/asset", 400).json(r#"{"file_name": "typo.png"}"#),
        bad("negative size", M::POST, "/asset", 400).json(r#"{"size": -1}"#),
        bad("size as text", M::POST, "/asset", 400).json(r#"{"size": "big"}"#),
        bad("array body", M::POST, "/asset", 400).json("[1, 2]"),
        bad("name climbing out", M::POST, "/asset", 400).json(text("../../etc/passwd")),
        bad("empty name", M::POST, "/asset", 400).json(text("  ")),
        bad("control character in name", M::POST, "/asset", 400).json(text("a\u{7}b")),
        bad("right-to-left override in name", M::POST, "/asset", 400).json(text("invoice\u{202E}fdp.exe")),
        bad("zero-width space in name", M::POST, "/asset", 400).json(text("pay\u{200B}pal.pdf")),
        bad("name over 860 bytes", M::POST, "/asset", 400).json(text(&"abcd/".repeat(300))),
        bad("name of 5000 characters", M::POST, "/asset", 400).json(text(&"x".repeat(5000))),
        bad("segment over 255 bytes", M::POST, "/asset", 400).json(text(&"x".repeat(256))),
        bad("header injection in type", M::POST, "/asset", 400).json(r#"{"content_type": "text/plain\r\nx-evil: 1"}"#),
        bad("type without subtype", M::POST, "/asset", 400).json(r#"{"content_type": "png"}"#),
        bad("list of types", M::POST, "/asset", 400).json(r#"{"content_type": "image/png, text/html"}"#),
        bad("wildcard type", M::POST, "/asset", 400).json(r#"{"content_type": "image/*"}"#),
        bad("newline in type", M::POST, "/asset", 400).json(r#"{"content_type": "image/png\ntext/html"}"#),
        bad("second type as a parameter", M::POST, "/asset", 400).json(r#"{"content_type": "image/png; text/html"}"#),
        bad("checksum that is not base64", M::POST, "/asset", 400).json(r#"{"checksum_sha256": "not a checksum"}"#),
        bad("checksum of the wrong length", M::POST, "/asset", 400).json(r#"{"checksum_sha256": "AAAA"}"#),
        bad("checksum algorithm on a single PUT", M::POST, "/asset", 400).json(r#"{"checksum_algorithm": "SHA256"}"#),
        bad("unknown checksum algorithm", M::POST, "/asset", 400).json(r#"{"checksum_algorithm": "MD5"}"#),
        bad("body that is not JSON", M::POST, "/asset", 415).typed("text/plain", "hello"),
        bad("content type that is no readable header", M::POST, "/asset", 415).typed("application/jsön", "{}"),
        bad("no type where types are limited", M::POST, "/asset", 415).json(r#"{"size": 10}"#),
        bad("type not allowed", M::POST, "/asset", 415).json(r#"{"content_type": "application/zip"}"#),
        bad("declared size over the limit", M::POST, "/asset", 413).json(r#"{"size": 1001, "content_type": "text/plain"}"#),
        bad("body over 1 MiB", M::POST, "/asset", 413).json(text(&"a".repeat(1024 * 1024))),
        bad("page size 0", M::GET, "/asset?limit=0", 400),
        bad("page size in words", M::GET, "/asset?limit=ten", 400),
        bad("page size twice", M::GET, "/asset?limit=1&limit=2", 400),
        bad("unknown state", M::GET, "/asset?status=GONE", 400),
        bad("unknown order", M::GET, "/asset?sort=size", 400),
        bad("forged cursor", M::GET, "/asset?cursor=bogus", 400),
        bad("unknown owner filter", M::GET, "/asset?owner=bob", 400),
        bad("owner filter naming no owner", M::GET, "/asset?owner=user:a%2Fb", 400),
        bad("search in time order", M::GET, "/asset?prefix=f&sort=newest", 400),
        bad("control character in search", M::GET, "/asset?prefix=%07bell", 400),
        bad("search over 255 characters", M::GET, format!("/asset?prefix={}", "x".repeat(256)), 400),
        bad("malformed id", M::GET, "/asset/not-an-id", 400),
        bad("id past 128 bits", M::PUT, "/asset/8ZZZZZZZZZZZZZZZZZZZZZZZZZ", 400),
        bad("malformed id to delete", M::DELETE, "/asset/..%2F..%2Fetc", 400),
        bad("timeout in words", M::GET, format!("/asset/{received}?timeout=abc"), 400),
        bad("negative timeout", M::GET, format!("/asset/{received}?timeout=-5"), 400),
        bad("timeout 0", M::GET, format!("/asset/{received}?timeout=0"), 400),
        bad("timeout empty", M::GET, format!("/asset/{received}?timeout="), 400),
        bad("timeout fractional", M::GET, format!("/assets/{received}/download?timeout=1.5"), 400),
        bad("unknown asset", M::GET, format!("/asset/{UNKNOWN_ID}"), 404),
        bad("download before the bytes", M::GET, format!("/asset/{}", f.created), 403),
        bad("confirm before the bytes", M::PUT, format!("/asset/{}", f.created), 412),
        bad("restore what is not deleted", M::POST, format!("/asset/{received}/restore"), 412),
        bad("metadata without parameters", M::GET, "/metadata", 400),
        bad("metadata without key", M::GET, "/metadata?bucket=b", 400),
        bad("metadata without bucket", M::GET, "/metadata?key=k", 400),
        bad("metadata with an empty bucket", M::GET, "/metadata?bucket=&key=k", 400),
        bad("metadata of nothing", M::GET, "/metadata?bucket=no-such-bucket&key=k", 404),
        bad("a page path with a dot-dot segment", M::GET, "/assets/..", 404),
        bad("an API path with a dot segment", M::GET, "/asset/./x", 404),
        bad("content type of a lone slash", M::POST, "/asset", 400).json(r#"{"content_type": "/"}"#),
        bad("metadata of a bucket with a slash", M::GET, "/metadata?bucket=ferry-uploads/uploads&key=k", 400),
        bad("metadata of an upper-case bucket", M::GET, "/metadata?bucket=Ferry&key=k", 400),
        bad("metadata of a one-letter bucket", M::GET, "/metadata?bucket=b&key=k", 400),
        bad("metadata of a key S3 cannot hold", M::GET, format!("/metadata?bucket=ferry-uploads&key={}", "k".repeat(2040)), 400),
        bad("unknown API route", M::GET, format!("/asset/{received}/parts"), 404),
        bad("unknown metadata route", M::GET, "/metadata/extra", 404),
        bad("PATCH a collection", M::PATCH, "/asset", 405),
        bad("DELETE a collection", M::DELETE, "/asset", 405),
        bad("POST metadata", M::POST, "/metadata", 405),
        bad("POST an asset", M::POST, format!("/asset/{UNKNOWN_ID}"), 405),
        bad("GET a restore", M::GET, format!("/asset/{UNKNOWN_ID}/restore"), 405),
    ]
}

#[rustfmt::skip]
fn server_fn_cases(f: &Fixture) -> Vec<Bad> {
    use Method as M;
    let id = &f.received;
    let parts = |parts: Value| json!({"id": id, "upload_id": "u", "parts": parts}).to_string();
    let part = |n: u32, size: u64| json!({"id": id, "upload_id": "u", "part_number": n, "size": size}).to_string();
    let part_with_checksum = |sum: &str| json!({"id": id, "upload_id": "u", "part_number": 1, "size": 1, "checksum_sha256": sum}).to_string();
    vec![
        bad("server fn: malformed id", M::POST, "/api/get_asset", 400).json(r#"{"id": "nope"}"#),
        bad("server fn: unknown asset", M::POST, "/api/get_asset", 404).json(json!({"id": UNKNOWN_ID}).to_string()),
        bad("server fn: page size 0", M::POST, "/api/list_assets", 400).json(r#"{"params": {"limit": 0}}"#),
        bad("server fn: no such function", M::POST, "/api/no_such_function", 404).json("{}"),
        bad("server fn: body over 1 MiB", M::POST, "/api/create_upload", 413).json(format!(r#"{{"upload": {{"filename": "{}"}}}}"#, "x".repeat(1_100_000))),
        bad("server fn: unknown status, any case", M::POST, "/api/list_assets", 400).json(r#"{"params": {"status": "gone"}}"#),
        bad("server fn: unknown owner filter", M::POST, "/api/list_assets", 400).json(r#"{"params": {"owner": "everyone"}}"#),
        bad("server fn: unknown field", M::POST, "/api/create_upload", 400).json(r#"{"upload": {"file_name": "x"}}"#),
        bad("server fn: unknown top-level field", M::POST, "/api/create_upload", 400).json(r#"{"upload": {"filename": "x.txt"}, "uplaod": {}}"#),
        bad("server fn: misspelt optional argument", M::POST, "/api/sign_part", 400).json(json!({"id": id, "upload_id": "u", "part_number": 1, "size": 1, "checksum": "x"}).to_string()),
        bad("server fn: argument for a function that takes none", M::POST, "/api/upload_limits", 400).json(r#"{"verbose": true}"#),
        bad("server fn: name climbing out", M::POST, "/api/create_upload", 400).json(r#"{"upload": {"filename": "../x", "content_type": "text/plain"}}"#),
        bad("server fn: right-to-left isolate in name", M::POST, "/api/create_upload", 400).json(json!({"upload": {"filename": "a\u{2067}b.txt", "content_type": "text/plain"}}).to_string()),
        bad("server fn: byte-order mark in name", M::POST, "/api/start_multipart", 400).json(json!({"upload": {"filename": "\u{FEFF}big.bin", "content_type": "text/plain", "size": 10}}).to_string()),
        bad("server fn: multipart without size", M::POST, "/api/start_multipart", 400).json(r#"{"upload": {"filename": "big.bin"}}"#),
        bad("server fn: list of types", M::POST, "/api/create_upload", 400).json(r#"{"upload": {"filename": "a.png", "content_type": "image/png, text/html"}}"#),
        bad("server fn: wildcard type", M::POST, "/api/create_upload", 400).json(r#"{"upload": {"filename": "a.png", "content_type": "image/*"}}"#),
        bad("server fn: newline in type", M::POST, "/api/create_upload", 400).json(r#"{"upload": {"filename": "a.png", "content_type": "image/png\ntext/html"}}"#),
        bad("server fn: multipart list of types", M::POST, "/api/start_multipart", 400).json(r#"{"upload": {"filename": "a.png", "size": 10, "content_type": "image/png, text/html"}}"#),
        bad("server fn: multipart wildcard type", M::POST, "/api/start_multipart", 400).json(r#"{"upload": {"filename": "a.png", "size": 10, "content_type": "image/*"}}"#),
        bad("server fn: part 0", M::POST, "/api/sign_part", 400).json(part(0, 1)),
        bad("server fn: empty part", M::POST, "/api/sign_part", 400).json(part(1, 0)),
        bad("server fn: part checksum not base64", M::POST, "/api/sign_part", 400).json(part_with_checksum("%%%")),
        bad("server fn: whole-file checksum on multipart", M::POST, "/api/start_multipart", 400).json(r#"{"upload": {"size": 20000000, "checksum_sha256": "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="}}"#),
        bad("server fn: no parts", M::POST, "/api/complete_multipart", 400).json(parts(json!([]))),
        bad("server fn: parts out of order", M::POST, "/api/complete_multipart", 400).json(parts(json!([{"part_number": 2, "etag": "a", "size": 1}, {"part_number": 1, "etag": "b", "size": 1}]))),
        bad("server fn: upload id with spaces", M::POST, "/api/list_parts", 400).json(json!({"id": id, "upload_id": "a b"}).to_string()),
        bad("server fn: an upload id the asset never started", M::POST, "/api/list_parts", 404).json(json!({"id": id, "upload_id": "u"}).to_string()),
        bad("server fn: abort an upload id the asset never started", M::POST, "/api/abort_multipart", 404).json(json!({"id": f.created, "upload_id": "u"}).to_string()),
        bad("server fn form: malformed id", M::POST, "/api/mark_uploaded", 400).form("id=nope"),
        bad("server fn form: confirm before the bytes", M::POST, "/api/mark_uploaded", 412).form(format!("id={}", f.created)),
        bad("server fn form: restore what is not deleted", M::POST, "/api/restore_asset", 412).form(format!("id={id}")),
    ]
}

/// The whole listing as JSON: what must not change when bad input is refused.
async fn everything(f: &Fixture) -> Value {
    f.app.get("/asset?limit=100").await.body["items"].clone()
}

#[tokio::test]
async fn bad_input_gets_a_clear_4xx_and_changes_nothing() {
    let f = Fixture::start().await;
    let before = everything(&f).await;
    let mut seen = vec![];
    for c in rest_cases(&f).into_iter().chain(server_fn_cases(&f)) {
        let mut req = Request::builder().method(c.method.clone()).uri(&c.uri);
        let body = match &c.body {
            Some((ct, b)) => {
                req = req.header(header::CONTENT_TYPE, *ct);
                Body::from(b.clone())
            }
            None => Body::empty(),
        };
        let r = f.app.request(req.body(body).unwrap()).await;
        assert_eq!(r.status.as_u16(), c.status, "{}: {}", c.what, r.raw);
        assert!(
            r.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{}: {:?}",
            c.what,
            r.headers
        );
        let message = if c.uri.starts_with("/api/") {
            // A server function's error: one variant, its message.
            let map = r.body.as_object().expect("an error object");
            assert_eq!(map.len(), 1, "{}: {}", c.what, r.raw);
            map.values().next().unwrap().clone()
        } else {
            assert_eq!(r.body["error"], r.body["error_message"], "{}", c.what);
            r.body["error"].clone()
        };
        assert!(
            message.as_str().is_some_and(|m| !m.is_empty()),
            "{}: {}",
            c.what,
            r.raw
        );
        seen.push(json!({"case": c.what, "status": c.status, "body": r.body}));
    }
    assert_eq!(
        everything(&f).await,
        before,
        "bad input changed stored data"
    );
    insta::with_settings!({ filters => vec![(r"01[0-9A-HJKMNP-TV-Z]{24}", "[id]")] }, {
        insta::assert_json_snapshot!("bad_input", seen);
    });
}
