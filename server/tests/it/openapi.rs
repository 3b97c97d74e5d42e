//! `/openapi.json` tells the truth: every documented operation and status code is what the
//! router answers, and every status the router gives a REST call is documented. One table of
//! requests, each naming the operation it exercises and the status it must get, is run
//! against a [`Fixture`] (for 500s, the same app with its table gone; for 429s, an app whose
//! rate limit the same request has just used up); the statuses
//! seen per operation must equal the document's.

use crate::harness::{call, Fixture, Reply, TestApp, UNKNOWN_ID};
use axum::{
    body::Body,
    http::{header, Method, Request, StatusCode},
};
use std::collections::BTreeSet;

/// One request, the documented operation it exercises, and the status it must get.
struct Case {
    method: Method,
    route: &'static str,
    uri: String,
    json: Option<String>,
    /// Sent to the app whose table is gone (storage failure).
    broken: bool,
    /// Sent twice to an app that takes one upload ticket a minute (the second is counted).
    limited: bool,
    /// The body's content type, if not JSON.
    content_type: Option<&'static str>,
    /// Answered with a page, not a JSON body (`/s/{token}`).
    page: bool,
    status: u16,
}

fn case(method: Method, route: &'static str, uri: impl Into<String>, status: u16) -> Case {
    Case {
        method,
        route,
        uri: uri.into(),
        json: None,
        broken: false,
        limited: false,
        content_type: None,
        page: false,
        status,
    }
}

impl Case {
    fn json(mut self, body: &str) -> Case {
        self.json = Some(body.to_string());
        self
    }

    fn broken(mut self) -> Case {
        self.broken = true;
        self
    }

    fn limited(mut self) -> Case {
        self.limited = true;
        self
    }

    fn typed(mut self, content_type: &'static str) -> Case {
        self.content_type = Some(content_type);
        self
    }

    fn page(mut self) -> Case {
        self.page = true;
        self
    }
}

/// Share links the cases use: one that opens, one used up, the id of one to revoke, and an asset that
/// has as many links that open as it may.
struct Shares {
    open: String,
    used_up: String,
    id: String,
    full: String,
}

impl Shares {
    async fn make(f: &Fixture) -> Shares {
        let make = |id: String, max_uses: Option<u32>| {
            let app = &f.app;
            async move {
                let body = serde_json::json!({"expires_in_secs": 3600, "max_uses": max_uses});
                let r = app
                    .post_json(&format!("/asset/{id}/shares"), &body.to_string())
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
                (
                    r.body["path"].as_str().unwrap().to_string(),
                    r.body["id"].as_str().unwrap().to_string(),
                )
            }
        };
        let (open, _) = make(f.received.to_string(), None).await;
        let (_, id) = make(f.received.to_string(), None).await;
        let (used_up, _) = make(f.received.to_string(), Some(1)).await;
        assert_eq!(f.app.get(&used_up).await.status, StatusCode::SEE_OTHER);
        for _ in 0..app::domain::ShareRules::MAX_ACTIVE_PER_ASSET {
            make(f.uploaded.to_string(), None).await;
        }
        Shares {
            open,
            used_up,
            id,
            full: f.uploaded.to_string(),
        }
    }
}

/// Folders the cases use: one holding a file, one empty, and a sibling whose name is taken.
struct Folders {
    full: String,
    empty: String,
}

impl Folders {
    async fn make(f: &Fixture) -> Folders {
        let make = |name: &'static str| {
            let app = &f.app;
            async move {
                let r = app
                    .post_json("/folder", &serde_json::json!({ "name": name }).to_string())
                    .await;
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
                r.body["folder_id"].as_str().unwrap().to_string()
            }
        };
        let full = make("Full").await;
        let r = f
            .app
            .post_json(
                "/asset",
                &serde_json::json!({"filename": "in.txt", "folder": full, "content_type": "text/plain"})
                    .to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
        Folders {
            full,
            empty: make("Empty").await,
        }
    }
}

fn cases(f: &Fixture, s: &Shares, d: &Folders) -> Vec<Case> {
    use Method as M;
    let (created, received, uploaded, deleted) = (&f.created, &f.received, &f.uploaded, &f.deleted);
    let one = "/asset/{id}";
    let restore = "/asset/{id}/restore";
    let redirect = "/assets/{id}/download";
    let shares = "/asset/{id}/shares";
    let share = "/asset/{id}/shares/{share}";
    let folder = "/folder/{id}";
    vec![
        case(M::POST, "/asset", "/asset", 201).json(r#"{"content_type": "text/plain"}"#),
        case(M::POST, "/asset", "/asset", 201)
            .json(r#"{"filename": "a.png", "size": 3, "content_type": "image/png"}"#),
        case(M::POST, "/asset", "/asset", 400).json(r#"{"filename": "#),
        case(M::POST, "/asset", "/asset", 400)
            .json(r#"{"filename": "../up", "content_type": "text/plain"}"#),
        case(M::POST, "/asset", "/asset", 413)
            .json(r#"{"size": 1001, "content_type": "text/plain"}"#),
        case(M::POST, "/asset", "/asset", 415).json(r#"{"content_type": "application/zip"}"#),
        case(M::POST, "/asset", "/asset", 429)
            .limited()
            .json(r#"{"content_type": "text/plain"}"#),
        case(M::POST, "/asset", "/asset", 500)
            .broken()
            .json(r#"{"content_type": "text/plain"}"#),
        case(M::GET, "/asset", "/asset", 200),
        case(
            M::GET,
            "/asset",
            "/asset?status=RECEIVED&sort=name&limit=2",
            200,
        ),
        case(M::GET, "/asset", "/asset?status=GONE", 400),
        case(M::GET, "/asset", "/asset?cursor=bogus", 400),
        case(M::GET, "/asset", "/asset", 500).broken(),
        case(M::GET, one, format!("/asset/{received}?timeout=30"), 202),
        case(M::GET, one, "/asset/nope", 400),
        case(M::GET, one, format!("/asset/{received}?timeout=0"), 400),
        case(M::GET, one, format!("/asset/{created}"), 403),
        case(M::GET, one, format!("/asset/{UNKNOWN_ID}"), 404),
        case(M::GET, one, format!("/asset/{received}"), 500).broken(),
        case(M::PUT, one, format!("/asset/{uploaded}"), 202),
        case(M::PUT, one, "/asset/nope", 400),
        case(M::PUT, one, format!("/asset/{UNKNOWN_ID}"), 404),
        case(M::PUT, one, format!("/asset/{created}"), 412),
        case(M::PUT, one, format!("/asset/{uploaded}"), 500).broken(),
        case(M::DELETE, one, format!("/asset/{deleted}"), 204),
        case(M::DELETE, one, "/asset/nope", 400),
        case(M::DELETE, one, format!("/asset/{UNKNOWN_ID}"), 404),
        case(M::DELETE, one, format!("/asset/{deleted}"), 500).broken(),
        case(M::POST, restore, format!("/asset/{received}/restore"), 412),
        case(M::POST, restore, "/asset/nope/restore", 400),
        case(
            M::POST,
            restore,
            format!("/asset/{UNKNOWN_ID}/restore"),
            404,
        ),
        case(M::POST, restore, format!("/asset/{deleted}/restore"), 500).broken(),
        case(
            M::GET,
            redirect,
            format!("/assets/{received}/download"),
            303,
        ),
        case(M::GET, redirect, "/assets/nope/download", 400),
        case(M::GET, redirect, format!("/assets/{created}/download"), 403),
        case(
            M::GET,
            redirect,
            format!("/assets/{UNKNOWN_ID}/download"),
            404,
        ),
        case(
            M::GET,
            redirect,
            format!("/assets/{received}/download"),
            500,
        )
        .broken(),
        case(
            M::GET,
            "/metadata",
            format!("/metadata?bucket={}&key={}", f.app.bucket(), f.received_key),
            200,
        ),
        case(M::GET, "/metadata", "/metadata?bucket=b", 400),
        case(
            M::GET,
            "/metadata",
            "/metadata?bucket=ferry-uploads&key=nothing",
            404,
        ),
        case(
            M::GET,
            "/metadata",
            "/metadata?bucket=ferry-uploads&key=k",
            500,
        )
        .broken(),
        case(M::POST, "/asset/bulk", "/asset/bulk", 200).json(&format!(
            r#"{{"action": "mark_uploaded", "ids": ["{uploaded}"]}}"#
        )),
        case(M::POST, "/asset/bulk", "/asset/bulk", 400).json(r#"{"action": "delete", "ids": []}"#),
        case(M::POST, "/asset/bulk", "/asset/bulk", 415)
            .json(r#"{"action": "delete", "ids": []}"#)
            .typed("text/plain"),
        case(M::POST, "/asset/bulk/shares", "/asset/bulk/shares", 200).json(&format!(
            r#"{{"ids": ["{received}"], "expires_in_secs": 600}}"#
        )),
        case(M::POST, "/asset/bulk/shares", "/asset/bulk/shares", 400)
            .json(r#"{"ids": [], "expires_in_secs": 600}"#),
        case(M::POST, "/asset/bulk/shares", "/asset/bulk/shares", 415)
            .json(r#"{"ids": [], "expires_in_secs": 600}"#)
            .typed("text/plain"),
        case(M::POST, shares, format!("/asset/{received}/shares"), 201)
            .json(r#"{"expires_in_secs": 600, "max_uses": 3}"#),
        case(M::POST, shares, format!("/asset/{received}/shares"), 400)
            .json(r#"{"expires_in_secs": 1}"#),
        case(M::POST, shares, format!("/asset/{created}/shares"), 403)
            .json(r#"{"expires_in_secs": 600}"#),
        case(M::POST, shares, format!("/asset/{UNKNOWN_ID}/shares"), 404)
            .json(r#"{"expires_in_secs": 600}"#),
        case(M::POST, shares, format!("/asset/{}/shares", s.full), 412)
            .json(r#"{"expires_in_secs": 600}"#),
        case(M::POST, shares, format!("/asset/{received}/shares"), 415)
            .json(r#"{"expires_in_secs": 600}"#)
            .typed("text/plain"),
        case(M::POST, shares, format!("/asset/{received}/shares"), 500)
            .json(r#"{"expires_in_secs": 600}"#)
            .broken(),
        case(M::GET, shares, format!("/asset/{received}/shares"), 200),
        case(M::GET, shares, "/asset/nope/shares", 400),
        case(M::GET, shares, format!("/asset/{UNKNOWN_ID}/shares"), 404),
        case(M::GET, shares, format!("/asset/{received}/shares"), 500).broken(),
        case(
            M::DELETE,
            share,
            format!("/asset/{received}/shares/{}", s.id),
            200,
        ),
        case(
            M::DELETE,
            share,
            format!("/asset/{received}/shares/nope"),
            400,
        ),
        case(
            M::DELETE,
            share,
            format!("/asset/{received}/shares/{UNKNOWN_ID}"),
            404,
        ),
        case(
            M::DELETE,
            share,
            format!("/asset/{received}/shares/{}", s.id),
            500,
        )
        .broken(),
        case(M::POST, "/asset", "/asset", 404).json(&format!(
            r#"{{"filename": "a.txt", "folder": "{UNKNOWN_ID}", "content_type": "text/plain"}}"#
        )),
        case(M::POST, "/asset/bulk/move", "/asset/bulk/move", 200)
            .json(&format!(r#"{{"ids": ["{received}"], "folder": "root"}}"#)),
        case(M::POST, "/asset/bulk/move", "/asset/bulk/move", 400)
            .json(r#"{"ids": [], "folder": "root"}"#),
        case(M::POST, "/asset/bulk/move", "/asset/bulk/move", 404).json(&format!(
            r#"{{"ids": ["{received}"], "folder": "{UNKNOWN_ID}"}}"#
        )),
        case(M::POST, "/asset/bulk/move", "/asset/bulk/move", 415)
            .json(r#"{"ids": [], "folder": "root"}"#)
            .typed("text/plain"),
        case(M::POST, "/folder", "/folder", 201).json(r#"{"name": "New"}"#),
        case(M::POST, "/folder", "/folder", 400).json(r#"{"name": "a/b"}"#),
        case(M::POST, "/folder", "/folder", 404)
            .json(&format!(r#"{{"name": "x", "parent": "{UNKNOWN_ID}"}}"#)),
        case(M::POST, "/folder", "/folder", 409).json(r#"{"name": "FULL"}"#),
        case(M::POST, "/folder", "/folder", 415)
            .json(r#"{"name": "x"}"#)
            .typed("text/plain"),
        case(M::GET, folder, format!("/folder/{}", d.full), 200),
        case(M::GET, folder, "/folder/nope", 400),
        case(M::GET, folder, format!("/folder/{UNKNOWN_ID}"), 404),
        case(M::PATCH, folder, format!("/folder/{}", d.empty), 200).json(r#"{"name": "Void"}"#),
        case(M::PATCH, folder, "/folder/nope", 400).json(r#"{"name": "x"}"#),
        case(M::PATCH, folder, format!("/folder/{UNKNOWN_ID}"), 404).json(r#"{"name": "x"}"#),
        case(M::PATCH, folder, format!("/folder/{}", d.empty), 409).json(r#"{"name": "full"}"#),
        case(M::PATCH, folder, format!("/folder/{}", d.empty), 415)
            .json(r#"{"name": "x"}"#)
            .typed("text/plain"),
        case(M::DELETE, folder, format!("/folder/{}", d.full), 409),
        case(M::DELETE, folder, "/folder/nope", 400),
        case(M::DELETE, folder, format!("/folder/{UNKNOWN_ID}"), 404),
        case(M::DELETE, folder, format!("/folder/{}", d.empty), 204),
        case(M::GET, "/s/{token}", s.open.clone(), 303).page(),
        case(M::GET, "/s/{token}", "/s/nope", 404).page(),
        case(M::GET, "/s/{token}", s.used_up.clone(), 410).page(),
        case(M::GET, "/s/{token}", s.open.clone(), 500)
            .page()
            .broken(),
        // Last: it changes the fixture (the DELETED asset comes back).
        case(M::POST, restore, format!("/asset/{deleted}/restore"), 200),
    ]
}

async fn run(app: &TestApp, broken: &axum::Router, limited: &TestApp, c: &Case) -> Reply {
    if c.limited {
        limited.request(request(c)).await;
        return limited.request(request(c)).await;
    }
    if c.broken {
        call(broken.clone(), request(c)).await
    } else {
        app.request(request(c)).await
    }
}

fn request(c: &Case) -> Request<Body> {
    let mut req = Request::builder().method(c.method.clone()).uri(&c.uri);
    let body = match &c.json {
        Some(json) => {
            req = req.header(
                header::CONTENT_TYPE,
                c.content_type.unwrap_or("application/json"),
            );
            Body::from(json.clone())
        }
        None => Body::empty(),
    };
    req.body(body).unwrap()
}

/// (method, path, status) of every documented response.
fn documented() -> BTreeSet<(String, String, u16)> {
    let doc = server::api::openapi();
    let mut out = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("PUT", &item.put),
            ("POST", &item.post),
            ("DELETE", &item.delete),
            ("PATCH", &item.patch),
            ("HEAD", &item.head),
            ("OPTIONS", &item.options),
            ("TRACE", &item.trace),
        ];
        for (method, op) in ops {
            let Some(op) = op else { continue };
            for status in op.responses.responses.keys() {
                out.insert((method.to_string(), path.clone(), status.parse().unwrap()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_documented_operation_and_status_is_what_the_router_answers() {
    let f = Fixture::start().await;
    let broken = f.app.router_without_table();
    let limited = TestApp::with_limits(server::config::Limits {
        upload_rate_limit: 1,
        ..server::config::Limits::default()
    })
    .await;
    let mut seen = BTreeSet::new();
    let shares = Shares::make(&f).await;
    let folders = Folders::make(&f).await;
    for c in cases(&f, &shares, &folders) {
        let r = run(&f.app, &broken, &limited, &c).await;
        assert_eq!(
            r.status.as_u16(),
            c.status,
            "{} {}: {}",
            c.method,
            c.uri,
            r.raw
        );
        if c.status >= 400 && !c.page {
            let message = r.body["error"].as_str().unwrap_or_default();
            assert!(!message.is_empty(), "{} {}: {}", c.method, c.uri, r.raw);
        }
        seen.insert((c.method.to_string(), c.route.to_string(), c.status));
    }
    let documented = documented();
    let undocumented: Vec<_> = seen.difference(&documented).collect();
    let unseen: Vec<_> = documented.difference(&seen).collect();
    assert!(
        undocumented.is_empty() && unseen.is_empty(),
        "answered but not documented: {undocumented:?}; documented but never answered: {unseen:?}"
    );
}

#[tokio::test]
async fn the_document_is_served_as_openapi_3_1() {
    let app = TestApp::start().await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "application/json");
    assert_eq!(r.body["openapi"], "3.1.0");
    assert_eq!(
        r.body,
        serde_json::to_value(server::api::openapi()).unwrap()
    );
    // Every operation answers errors with the one error body.
    let schemas = &r.body["components"]["schemas"];
    assert_eq!(
        schemas["ErrorBody"]["required"],
        serde_json::json!(["error", "error_message"])
    );
    // The documented request body of POST /asset is the one the server parses.
    let fields: BTreeSet<String> = schemas["NewUploadJson"]["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    let parsed: BTreeSet<String> = serde_json::to_value(app::api::NewUpload::default())
        .unwrap()
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert_eq!(fields, parsed);
}

#[tokio::test]
async fn internal_errors_are_logged_not_shown() {
    let app = TestApp::start().await;
    let broken = app.router_without_table();
    let r = call(
        broken.clone(),
        Request::get("/asset").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(r.body["error"], server::api::INTERNAL_MESSAGE);
    assert_eq!(r.body["error_message"], server::api::INTERNAL_MESSAGE);
    // Server functions too: the status their error maps to, and no backend detail.
    let r = call(
        broken,
        Request::post("/api/list_assets")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"params": {}}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        r.raw,
        format!(r#"{{"Internal":"{}"}}"#, server::api::INTERNAL_MESSAGE)
    );
}

/// The document itself, snapshotted: a change to the API's contract shows in review.
#[test]
fn the_document_is_reviewed_as_a_snapshot() {
    let doc = serde_json::to_value(server::api::openapi()).unwrap();
    insta::assert_json_snapshot!("openapi", doc, { ".info.version" => "[version]" });
}
