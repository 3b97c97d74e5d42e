//! Property tests over generated requests: whatever a client sends to the REST API or the
//! server functions (ids, names, types, sizes, cursors, queries, bodies, methods), the answer
//! is never a 5xx, and every 4xx is a JSON object that says why. The requests run in process
//! against the real embedded backends, which hold one asset in each state.

use crate::harness::{Fixture, TestApp};
use axum::http::{Method, StatusCode};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::{prelude::*, test_runner::TestRunner};
use serde_json::{json, Value};

/// Text a client might send anywhere: plausible values and hostile ones.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z0-9._/-]{1,12}",
        "[A-Z0-9]{26}",
        ".{0,40}",
        "\\PC{0,8}[\u{0}-\u{1f}\u{202e}\u{200b}]\\PC{0,8}",
        Just("../../etc/passwd".to_string()),
        Just("x".repeat(2000)),
        Just("image/png, text/html".to_string()),
        Just("%FF%00".to_string()),
    ]
}

/// A JSON value of any shape, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("filename".to_string()),
                    Just("content_type".to_string()),
                    Just("size".to_string()),
                    Just("checksum_sha256".to_string()),
                    Just("checksum_algorithm".to_string()),
                    Just("upload".to_string()),
                    Just("params".to_string()),
                    Just("id".to_string()),
                    Just("upload_id".to_string()),
                    Just("part_number".to_string()),
                    Just("parts".to_string()),
                    Just("cursor".to_string()),
                    Just("status".to_string()),
                    Just("limit".to_string()),
                    Just("owner".to_string()),
                    Just("ttl_secs".to_string()),
                    "[a-z_]{1,8}",
                ],
                inner,
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// One request: method, path (with query) and an optional body with its content type.
#[derive(Debug, Clone)]
struct Generated {
    method: Method,
    uri: String,
    body: Option<(&'static str, String)>,
}

/// The server functions' endpoints, and one that names none (its 404 must be JSON too).
const SERVER_FNS: [&str; 15] = [
    "upload_limits",
    "create_upload",
    "list_assets",
    "get_asset",
    "download_link",
    "mark_uploaded",
    "delete_asset",
    "restore_asset",
    "start_multipart",
    "sign_part",
    "list_parts",
    "complete_multipart",
    "abort_multipart",
    "viewer",
    "no_such_function",
];

fn request(ids: Vec<String>) -> impl Strategy<Value = Generated> {
    let id = prop_oneof![prop::sample::select(ids), text()];
    let enc = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let method = prop::sample::select(vec![
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
    ]);
    let query = prop::collection::vec(
        (
            prop::sample::select(vec![
                "status", "limit", "cursor", "sort", "q", "owner", "timeout", "bucket", "key",
                "prefix", "x",
            ]),
            text(),
        ),
        0..4,
    )
    .prop_map(move |pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&")
    });
    let body = prop_oneof![
        Just(None),
        json_value().prop_map(|v| Some(("application/json", v.to_string()))),
        text().prop_map(|t| Some(("application/json", t))),
        text().prop_map(|t| Some(("text/plain", t))),
    ];
    let server_fn = (
        prop::sample::select(SERVER_FNS.to_vec()),
        json_value(),
        id.clone(),
    )
        .prop_map(|(name, mut args, id)| {
            if let Value::Object(m) = &mut args {
                m.entry("id").or_insert(Value::from(id));
            }
            Generated {
                method: Method::POST,
                uri: format!("/api/{name}"),
                body: Some(("application/json", args.to_string())),
            }
        });
    let rest =
        (method, id, query, body, 0..6usize).prop_map(move |(method, id, query, body, shape)| {
            let id = enc(&id);
            let path = match shape {
                0 => "/asset".to_string(),
                1 => format!("/asset/{id}"),
                2 => format!("/asset/{id}/restore"),
                3 => format!("/assets/{id}/download"),
                4 => "/metadata".to_string(),
                _ => format!("/asset/{id}/{id}"),
            };
            let uri = if query.is_empty() {
                path
            } else {
                format!("{path}?{query}")
            };
            Generated { method, uri, body }
        });
    prop_oneof![rest, server_fn]
}

/// Whether a 4xx answer is a JSON object with a message in it.
fn says_why(body: &Value) -> bool {
    body.as_object().is_some_and(|o| {
        o.values()
            .any(|v| v.as_str().is_some_and(|s| !s.is_empty()))
    })
}

#[test]
fn no_generated_request_is_a_5xx_and_every_4xx_says_why() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let fixture: Fixture = rt.block_on(Fixture::start());
    let ids = vec![
        fixture.created.clone(),
        fixture.received.clone(),
        fixture.uploaded.clone(),
        fixture.deleted.clone(),
        "01HZZZZZZZZZZZZZZZZZZZZZZZ".to_string(),
    ];
    let app: &TestApp = &fixture.app;
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 2_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&request(ids), |g| {
            let reply = rt.block_on(app.send(
                g.method.clone(),
                &g.uri,
                g.body.as_ref().map(|(ct, b)| (*ct, b.as_str())),
            ));
            prop_assert!(
                !reply.status.is_server_error(),
                "{} {} → {}: {}",
                g.method,
                g.uri,
                reply.status,
                reply.raw
            );
            if reply.status.is_client_error() && reply.status != StatusCode::METHOD_NOT_ALLOWED {
                prop_assert!(
                    says_why(&reply.body),
                    "{} {} → {} without a JSON reason: {}",
                    g.method,
                    g.uri,
                    reply.status,
                    reply.raw
                );
            }
            Ok(())
        })
        .unwrap();
}
