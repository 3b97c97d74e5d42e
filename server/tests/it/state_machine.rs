//! A state-machine property test over the real embedded backends: random sequences of
//! creates (declared, bare seed-style, multipart, over the limit), PUTs to the presigned URLs
//! (right, wrong-sized, oversize, of a type the server does not allow), multipart parts and
//! completions, S3 notifications delivered again (duplicated, several in one notification,
//! out of order), objects another tool puts or removes under an asset's key, confirms,
//! deletes and restores, applied to a fresh [`TestApp`] per case. A reference model says what
//! each asset must be after every step, from the rules in ARCHITECTURE.md ("States and S3
//! events"), and after every step the test proves:
//!
//! - every asset is exactly where the model says: a confirm answered 202 holds until a delete
//!   or a refused object, a delete answered 204 until a restore, a redelivered (older or
//!   duplicate) event changes nothing at all, `REJECTED` stays rejected and holds no object;
//! - `get_asset`, the listing (every page forwards and back through the cursors, by name,
//!   each status filter), `GET /metadata`, the download link and S3 itself agree: one row per
//!   record, the same state, size, ETag and sequencer, metadata exactly for the objects S3
//!   holds;
//! - nothing acknowledged is lost: every asset created (201) is still there unless its
//!   object was removed from S3, and the bytes S3 acknowledged are what S3 holds and what the
//!   download link serves;
//! - no request answers a 5xx.
//!
//! A failure names the step and its operation; proptest then prints the shrunk sequence.
//! The shortest sequences it found that broke an invariant are kept as cases of their own
//! ([`found`]), run on every run.

use crate::harness::{notification, put_as_told, record, Reply, TestApp};
use app::domain::{Asset, AssetId, AssetStatus, ObjectMetadata};
use aws_lambda_events::s3::S3EventRecord;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::http::{Method, StatusCode};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use proptest::{
    prelude::*,
    test_runner::{TestCaseError, TestRunner},
};
use serde_json::{json, Value};
use server::{config::Limits, notifications::encode_key, storage::EventOutcome};
use std::collections::{BTreeMap, BTreeSet};

use AssetStatus::{Created, Deleted, Received, Rejected, Uploaded};

/// The upload limit of the app under test, in bytes.
const MAX: usize = 100;
/// The types it allows; anything else that arrives is refused.
const ALLOWED: [&str; 2] = ["text/plain", "application/octet-stream"];
/// How many assets one case tracks (more creates are skipped), so operations interact.
const POOL: usize = 4;
/// Rows per listing page: small, so every listing spans pages.
const PAGE: usize = 2;

type Checked<T = ()> = Result<T, TestCaseError>;

fn fail<T>(why: impl Into<String>) -> Checked<T> {
    Err(TestCaseError::fail(why.into()))
}

/// A file's content, described so a failing sequence prints short: `len` bytes counting up
/// from `fill`.
#[derive(Debug, Clone, Copy)]
struct Content {
    len: usize,
    fill: u8,
}

impl Content {
    fn bytes(self) -> Vec<u8> {
        (0..self.len)
            .map(|i| self.fill.wrapping_add(i as u8))
            .collect()
    }
}

/// How an asset is created.
#[derive(Debug, Clone)]
enum Upload {
    /// `POST /asset` declaring type, size (signed into the URL) and so `If-None-Match: *`.
    Declared(Content),
    /// `POST /asset` without a body: the seed's bare URL, no conditions.
    Bare,
    /// `/api/start_multipart` declaring type and size: one part.
    Multipart(Content),
    /// `POST /asset` declaring more than the limit: a 413 and no record.
    OverLimit(usize),
}

/// Bytes a client or another tool sends, and whether it sends them as `text/html`.
#[derive(Debug, Clone, Copy)]
struct Body {
    content: Content,
    html: bool,
}

impl Body {
    fn content_type(self) -> &'static str {
        if self.html {
            "text/html"
        } else {
            "application/octet-stream"
        }
    }
}

/// One operation. `a` picks a tracked asset (modulo how many there are).
#[derive(Debug, Clone)]
enum Op {
    Create(Upload),
    /// The asset's own upload: a declared one PUTs its declared bytes as told (or, with
    /// `wrong_size`, one byte more), a bare one PUTs `body`, a multipart one signs and sends
    /// its part (`wrong_size`: signs a part one byte too long).
    Send {
        a: usize,
        body: Body,
        wrong_size: bool,
    },
    /// Completes a multipart upload (`a` picks among the multipart assets).
    Complete {
        a: usize,
    },
    /// Another tool PUTs `body` straight to the asset's key (`aws s3 cp`).
    OtherToolPuts {
        a: usize,
        body: Body,
    },
    /// Another tool deletes the asset's object, if S3 holds one.
    OtherToolDeletes {
        a: usize,
    },
    /// Notifications S3 delivered for the asset's key, delivered again in one notification,
    /// in this order (`picks` index the delivered ones).
    Redeliver {
        a: usize,
        picks: Vec<usize>,
    },
    Confirm {
        a: usize,
    },
    Delete {
        a: usize,
    },
    Restore {
        a: usize,
    },
}

fn content() -> impl Strategy<Value = Content> {
    (1..=MAX, any::<u8>()).prop_map(|(len, fill)| Content { len, fill })
}

fn body() -> impl Strategy<Value = Body> {
    let len = prop_oneof![4 => 1..=MAX, 1 => MAX + 1..=2 * MAX];
    (len, any::<u8>(), prop::bool::weighted(0.2)).prop_map(|(len, fill, html)| Body {
        content: Content { len, fill },
        html,
    })
}

fn upload() -> impl Strategy<Value = Upload> {
    prop_oneof![
        3 => content().prop_map(Upload::Declared),
        2 => Just(Upload::Bare),
        2 => content().prop_map(Upload::Multipart),
        1 => (MAX + 1..=2 * MAX).prop_map(Upload::OverLimit),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let a = 0..POOL;
    prop_oneof![
        2 => upload().prop_map(Op::Create),
        5 => (a.clone(), body(), prop::bool::weighted(0.15))
            .prop_map(|(a, body, wrong_size)| Op::Send { a, body, wrong_size }),
        2 => a.clone().prop_map(|a| Op::Complete { a }),
        1 => (a.clone(), body()).prop_map(|(a, body)| Op::OtherToolPuts { a, body }),
        1 => a.clone().prop_map(|a| Op::OtherToolDeletes { a }),
        3 => (a.clone(), prop::collection::vec(0..8usize, 1..4))
            .prop_map(|(a, picks)| Op::Redeliver { a, picks }),
        3 => a.clone().prop_map(|a| Op::Confirm { a }),
        2 => a.clone().prop_map(|a| Op::Delete { a }),
        2 => a.prop_map(|a| Op::Restore { a }),
    ]
}

/// A sequence starts with a create, then 3 to 15 more operations.
fn ops() -> impl Strategy<Value = Vec<Op>> {
    (upload(), prop::collection::vec(op(), 3..16))
        .prop_map(|(first, rest)| std::iter::once(Op::Create(first)).chain(rest).collect())
}

/// What S3 holds under an asset's key, as the model knows it.
#[derive(Debug, Clone)]
struct Stored {
    bytes: Vec<u8>,
    /// S3's ETag, unquoted.
    etag: String,
}

#[derive(Debug)]
enum Kind {
    Declared { bytes: Vec<u8> },
    Bare,
    Multipart { bytes: Vec<u8>, upload_id: String },
}

/// One asset the case created, and what the model says of it.
#[derive(Debug)]
struct Tracked {
    id: AssetId,
    key: String,
    kind: Kind,
    /// The creation's answer (`upload_url`, `headers`).
    ticket: Value,
    /// `None`: the record is gone (its object was removed from S3).
    status: Option<AssetStatus>,
    deleted_from: Option<AssetStatus>,
    /// The rejection's reason code, while rejected.
    rejection: Option<&'static str>,
    /// The size the upload declared, until something arrives.
    declared: Option<u64>,
    object: Option<Stored>,
    /// The ETag of the part S3 holds for the open multipart upload, as S3 answered it.
    part: Option<String>,
    /// Every notification S3 delivered for the key, as recorded after each step.
    delivered: Vec<S3EventRecord>,
}

/// Why an object that arrived breaks the limits, as a reason code.
fn breaks(len: u64, declared: Option<u64>, content_type: &str) -> Option<&'static str> {
    if len > MAX as u64 {
        Some("too_large")
    } else if declared.is_some_and(|d| d != len) {
        Some("size_mismatch")
    } else if !ALLOWED.contains(&content_type) {
        Some("type_not_allowed")
    } else {
        None
    }
}

impl Tracked {
    fn rejected_for_good(&self) -> bool {
        self.status == Some(Rejected) || self.deleted_from == Some(Rejected)
    }

    /// S3 stored `object` (with `content_type`) under the key and its event was applied.
    fn arrives(&mut self, object: Stored, content_type: &str) {
        let verdict = breaks(object.bytes.len() as u64, self.declared, content_type);
        // Every arrival records an ETag: from then on the size is S3's, not the declared one.
        self.declared = None;
        match (self.status, verdict) {
            // A rejected asset refuses every later object, also while deleted, and its record
            // stays as it is (its reason, and a deletion the owner made).
            (Some(_), _) if self.rejected_for_good() => {
                self.object = None;
            }
            // An object that breaks the rules rejects its asset from any state, and is
            // deleted; so at a removed record's key, which is one of Ferry's.
            (_, Some(reason)) => {
                self.reject(reason);
                self.object = None;
            }
            // A removed record's id comes back for the key's next object.
            (None, None) => {
                self.status = Some(Received);
                self.object = Some(object);
            }
            (Some(status), None) => {
                self.object = Some(object);
                if status == Created {
                    self.status = Some(Received);
                } else if status == Deleted && self.deleted_from == Some(Created) {
                    self.deleted_from = Some(Received);
                }
            }
        }
    }

    fn reject(&mut self, reason: &'static str) {
        self.status = Some(Rejected);
        self.deleted_from = None;
        self.rejection = Some(reason);
    }

    fn downloadable(&self) -> bool {
        self.status.is_some_and(AssetStatus::is_downloadable)
    }
}

fn unquoted(etag: &str) -> String {
    etag.trim_matches('"').to_string()
}

fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A record's sequencer in its sortable form (right-padded), so the same event compares
/// equal however it was written down.
fn sequencer(r: &S3EventRecord) -> String {
    let seq = r.s3.object.sequencer.as_deref().unwrap_or_default();
    format!("{:0<64}", seq.to_ascii_uppercase())
}

/// One case: the app, its tracked assets and a client for presigned URLs.
struct Machine {
    app: TestApp,
    http: reqwest::Client,
    db: aws_sdk_dynamodb::Client,
    assets: Vec<Tracked>,
}

impl Machine {
    async fn start() -> Machine {
        let app = TestApp::with_limits(Limits {
            max_upload_bytes: MAX as u64,
            allowed_types: ALLOWED.map(String::from).to_vec(),
            ..Limits::default()
        })
        .await;
        let e = &app.embedded;
        let db = server::aws::dynamodb_client(&server::aws::config_for_endpoint(
            &e.dynamodb_endpoint,
            server::services::Embedded::REGION,
            &e.credentials.access_key,
            &e.credentials.secret_key,
        ));
        Machine {
            app,
            http: reqwest::Client::new(),
            db,
            assets: vec![],
        }
    }

    /// One request through the router; never a 5xx.
    async fn call(&self, method: Method, uri: &str, body: Option<Value>) -> Checked<Reply> {
        let body = body.map(|b| b.to_string());
        let r = self
            .app
            .send(
                method.clone(),
                uri,
                body.as_deref().map(|b| ("application/json", b)),
            )
            .await;
        prop_assert!(
            !r.status.is_server_error(),
            "{method} {uri} → {}: {}",
            r.status,
            r.raw
        );
        Ok(r)
    }

    /// `call`, answering `want`.
    async fn expect(
        &self,
        method: Method,
        uri: &str,
        body: Option<Value>,
        want: StatusCode,
    ) -> Checked<Reply> {
        let r = self.call(method.clone(), uri, body).await?;
        prop_assert_eq!(r.status, want, "{} {}: {}", method, uri, r.raw);
        Ok(r)
    }

    /// Applies one operation and updates the model with what was acknowledged.
    async fn apply(&mut self, op: &Op) -> Checked {
        let a = match op {
            Op::Create(upload) => return self.create(upload).await,
            Op::Complete { a } => {
                let multipart: Vec<usize> = (0..self.assets.len())
                    .filter(|&i| matches!(self.assets[i].kind, Kind::Multipart { .. }))
                    .collect();
                return match multipart.get(a % multipart.len().max(1)) {
                    Some(&i) => self.complete(i).await,
                    None => Ok(()),
                };
            }
            Op::Send { a, .. }
            | Op::OtherToolPuts { a, .. }
            | Op::OtherToolDeletes { a }
            | Op::Redeliver { a, .. }
            | Op::Confirm { a }
            | Op::Delete { a }
            | Op::Restore { a } => *a,
        };
        if self.assets.is_empty() {
            return Ok(());
        }
        let i = a % self.assets.len();
        match op {
            Op::Send {
                body, wrong_size, ..
            } => self.send(i, *body, *wrong_size).await,
            Op::OtherToolPuts { body, .. } => self.other_tool_puts(i, *body).await,
            Op::OtherToolDeletes { .. } => self.other_tool_deletes(i).await,
            Op::Redeliver { picks, .. } => self.redeliver(i, picks).await,
            Op::Confirm { .. } => self.confirm(i).await,
            Op::Delete { .. } => self.delete(i).await,
            Op::Restore { .. } => self.restore(i).await,
            Op::Create(_) | Op::Complete { .. } => Ok(()),
        }
    }

    async fn create(&mut self, upload: &Upload) -> Checked {
        if self.assets.len() >= POOL {
            return Ok(());
        }
        let n = self.assets.len();
        let (reply, kind, declared) = match upload {
            Upload::OverLimit(len) => {
                let body = json!({"filename": format!("big{n}.txt"), "content_type": "text/plain", "size": len});
                self.expect(
                    Method::POST,
                    "/asset",
                    Some(body),
                    StatusCode::PAYLOAD_TOO_LARGE,
                )
                .await?;
                return Ok(());
            }
            Upload::Declared(c) => {
                let body = json!({"filename": format!("d{n}.txt"), "content_type": "text/plain", "size": c.len});
                let r = self
                    .expect(Method::POST, "/asset", Some(body), StatusCode::CREATED)
                    .await?;
                let kind = Kind::Declared { bytes: c.bytes() };
                (r, kind, Some(c.len as u64))
            }
            Upload::Bare => {
                let r = self
                    .expect(Method::POST, "/asset", None, StatusCode::CREATED)
                    .await?;
                prop_assert_eq!(&r.body["headers"], &json!({}), "a bare URL signs nothing");
                (r, Kind::Bare, None)
            }
            Upload::Multipart(c) => {
                let body = json!({"upload": {"filename": format!("m{n}.txt"), "content_type": "text/plain", "size": c.len}});
                let r = self
                    .expect(
                        Method::POST,
                        "/api/start_multipart",
                        Some(body),
                        StatusCode::OK,
                    )
                    .await?;
                let kind = Kind::Multipart {
                    bytes: c.bytes(),
                    upload_id: r.body["upload_id"].as_str().unwrap_or_default().into(),
                };
                (r, kind, Some(c.len as u64))
            }
        };
        let Some(id) = ticket_id(&reply.body) else {
            return fail(format!("no id in {}", reply.raw));
        };
        self.assets.push(Tracked {
            id,
            key: reply.body["object_key"].as_str().unwrap_or_default().into(),
            kind,
            ticket: reply.body,
            status: Some(Created),
            deleted_from: None,
            rejection: None,
            declared,
            object: None,
            part: None,
            delivered: vec![],
        });
        Ok(())
    }

    async fn send(&mut self, i: usize, body: Body, wrong_size: bool) -> Checked {
        let t = &self.assets[i];
        match &t.kind {
            Kind::Declared { bytes } if wrong_size => {
                // The signed Content-Length is not sent: the request carries its own.
                let mut put = self.http.put(t.ticket["upload_url"].as_str().unwrap());
                for (name, value) in t.ticket["headers"].as_object().into_iter().flatten() {
                    if name != "content-length" {
                        put = put.header(name, value.as_str().unwrap());
                    }
                }
                let longer = [bytes.as_slice(), b"!"].concat();
                let res = put.body(longer).send().await.map_err(to_fail)?;
                prop_assert!(
                    res.status().is_client_error(),
                    "S3 took bytes of another size than the URL signed: {}",
                    res.status()
                );
                Ok(())
            }
            Kind::Declared { bytes } => {
                let bytes = bytes.clone();
                let res = put_as_told(&t.ticket, bytes.clone()).await;
                let want = if t.object.is_some() { 412 } else { 200 };
                prop_assert_eq!(res.status().as_u16(), want, "PUT as told");
                if want == 200 {
                    let etag = etag_of(&res)?;
                    self.assets[i].arrives(Stored { bytes, etag }, "text/plain");
                }
                Ok(())
            }
            Kind::Bare => {
                let bytes = body.content.bytes();
                let mut put = self.http.put(t.ticket["upload_url"].as_str().unwrap());
                if body.html {
                    put = put.header("content-type", "text/html");
                }
                let res = put.body(bytes.clone()).send().await.map_err(to_fail)?;
                prop_assert_eq!(res.status().as_u16(), 200, "a bare PUT");
                let etag = etag_of(&res)?;
                self.assets[i].arrives(Stored { bytes, etag }, body.content_type());
                Ok(())
            }
            Kind::Multipart { bytes, upload_id } => {
                let size = bytes.len() + usize::from(wrong_size);
                let want = match t.status {
                    None => StatusCode::NOT_FOUND,
                    Some(Created) if wrong_size => StatusCode::BAD_REQUEST,
                    Some(Created) => StatusCode::OK,
                    Some(_) => StatusCode::PRECONDITION_FAILED,
                };
                let sign = json!({"id": t.id.to_string(), "upload_id": upload_id, "part_number": 1, "size": size});
                let signed = self
                    .expect(Method::POST, "/api/sign_part", Some(sign), want)
                    .await?;
                if want != StatusCode::OK {
                    return Ok(());
                }
                let mut put = self
                    .http
                    .put(signed.body["url"].as_str().unwrap_or_default());
                for (name, value) in signed.body["headers"].as_object().into_iter().flatten() {
                    put = put.header(name, value.as_str().unwrap());
                }
                let res = put.body(bytes.clone()).send().await.map_err(to_fail)?;
                prop_assert_eq!(res.status().as_u16(), 200, "a signed part");
                // Completion lists the part's ETag as S3 answered it.
                let etag = res.headers().get("etag").and_then(|v| v.to_str().ok());
                self.assets[i].part = etag.map(String::from);
                Ok(())
            }
        }
    }

    async fn complete(&mut self, i: usize) -> Checked {
        let t = &self.assets[i];
        let Kind::Multipart { bytes, upload_id } = &t.kind else {
            return Ok(());
        };
        let want = match (t.status, &t.part) {
            (None, _) => StatusCode::NOT_FOUND,
            (Some(Created), Some(_)) => StatusCode::OK,
            (Some(Created), None) => StatusCode::BAD_REQUEST,
            (Some(_), _) => StatusCode::PRECONDITION_FAILED,
        };
        let etag = t.part.clone().unwrap_or_else(|| "\"no part\"".into());
        let parts = json!([{"part_number": 1, "etag": etag, "size": bytes.len()}]);
        let body = json!({"id": t.id.to_string(), "upload_id": upload_id, "parts": parts});
        let (bytes, key) = (bytes.clone(), t.key.clone());
        let r = self
            .expect(Method::POST, "/api/complete_multipart", Some(body), want)
            .await?;
        if want != StatusCode::OK {
            return Ok(());
        }
        let Some(etag) = self.s3_etag(&key).await? else {
            return fail("a completed upload left no object");
        };
        let t = &mut self.assets[i];
        t.part = None;
        t.arrives(Stored { bytes, etag }, "text/plain");
        prop_assert_eq!(
            &r.body["status"],
            &json!(t.status),
            "complete answers the asset"
        );
        Ok(())
    }

    async fn other_tool_puts(&mut self, i: usize, body: Body) -> Checked {
        let bytes = body.content.bytes();
        let out = self
            .app
            .s3()
            .put_object()
            .bucket(self.app.bucket())
            .key(&self.assets[i].key)
            .set_content_type(body.html.then(|| "text/html".to_string()))
            .body(bytes.clone().into())
            .send()
            .await
            .map_err(to_fail)?;
        let etag = unquoted(out.e_tag().unwrap_or_default());
        self.assets[i].arrives(Stored { bytes, etag }, body.content_type());
        Ok(())
    }

    async fn other_tool_deletes(&mut self, i: usize) -> Checked {
        if self.assets[i].object.is_none() {
            return Ok(());
        }
        self.app
            .s3()
            .delete_object()
            .bucket(self.app.bucket())
            .key(&self.assets[i].key)
            .send()
            .await
            .map_err(to_fail)?;
        // The record goes with its object (a rejected one would stay, but holds none).
        let t = &mut self.assets[i];
        t.object = None;
        t.status = None;
        t.deleted_from = None;
        t.rejection = None;
        Ok(())
    }

    /// Delivers recorded notifications again: each is stale, and nothing changes.
    async fn redeliver(&mut self, i: usize, picks: &[usize]) -> Checked {
        let t = &self.assets[i];
        if t.delivered.is_empty() {
            return Ok(());
        }
        let records: Vec<S3EventRecord> = picks
            .iter()
            .map(|p| t.delivered[p % t.delivered.len()].clone())
            .collect();
        let before = self.snapshot(i).await?;
        let report = self
            .app
            .services()
            .events
            .handle(&notification(records))
            .await;
        prop_assert!(
            report.failed.is_empty() && report.invalid.is_empty() && report.foreign.is_empty(),
            "{report:?}"
        );
        prop_assert!(
            report
                .outcomes
                .iter()
                .all(|(_, o)| matches!(o, EventOutcome::Stale)),
            "events S3 delivered before must be stale: {report:?}"
        );
        let after = self.snapshot(i).await?;
        prop_assert_eq!(before, after, "a redelivered event changed something");
        Ok(())
    }

    /// What the API says of one asset and its object, whole.
    async fn snapshot(&self, i: usize) -> Checked<(String, String)> {
        let t = &self.assets[i];
        let get = self
            .call(
                Method::POST,
                "/api/get_asset",
                Some(json!({"id": t.id.to_string()})),
            )
            .await?;
        let meta = self
            .call(Method::GET, &self.metadata_uri(&t.key), None)
            .await?;
        Ok((get.raw, meta.raw))
    }

    async fn confirm(&mut self, i: usize) -> Checked {
        let t = &self.assets[i];
        let want = match t.status {
            None => StatusCode::NOT_FOUND,
            Some(Received | Uploaded) => StatusCode::ACCEPTED,
            Some(_) => StatusCode::PRECONDITION_FAILED,
        };
        let r = self
            .expect(Method::PUT, &format!("/asset/{}", t.id), None, want)
            .await?;
        if want == StatusCode::ACCEPTED {
            prop_assert_eq!(&r.body, &json!({"status": "UPLOADED"}));
            self.assets[i].status = Some(Uploaded);
        }
        Ok(())
    }

    async fn delete(&mut self, i: usize) -> Checked {
        let t = &self.assets[i];
        let want = match t.status {
            None => StatusCode::NOT_FOUND,
            Some(_) => StatusCode::NO_CONTENT,
        };
        self.expect(Method::DELETE, &format!("/asset/{}", t.id), None, want)
            .await?;
        let t = &mut self.assets[i];
        if let Some(from) = t.status.filter(|&s| s != Deleted) {
            t.deleted_from = Some(from);
            t.status = Some(Deleted);
        }
        Ok(())
    }

    async fn restore(&mut self, i: usize) -> Checked {
        let t = &self.assets[i];
        let want = match t.status {
            None => StatusCode::NOT_FOUND,
            Some(Deleted) => StatusCode::OK,
            Some(_) => StatusCode::PRECONDITION_FAILED,
        };
        let r = self
            .expect(
                Method::POST,
                &format!("/asset/{}/restore", t.id),
                None,
                want,
            )
            .await?;
        if want == StatusCode::OK {
            let t = &mut self.assets[i];
            t.status = t.deleted_from.take();
            prop_assert_eq!(&r.body, &json!({"status": t.status}));
        }
        Ok(())
    }

    fn metadata_uri(&self, key: &str) -> String {
        format!("/metadata?bucket={}&key={}", self.app.bucket(), enc(key))
    }

    /// S3's ETag of the object under `key` (unquoted), if there is one.
    async fn s3_etag(&self, key: &str) -> Checked<Option<String>> {
        match self
            .app
            .s3()
            .head_object()
            .bucket(self.app.bucket())
            .key(key)
            .send()
            .await
        {
            Ok(out) => Ok(Some(unquoted(out.e_tag().unwrap_or_default()))),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(e) => fail(format!("HeadObject {key}: {e:?}")),
        }
    }

    /// The bytes S3 holds under `key`, if any.
    async fn s3_bytes(&self, key: &str) -> Checked<Option<Vec<u8>>> {
        let got = self
            .app
            .s3()
            .get_object()
            .bucket(self.app.bucket())
            .key(key)
            .send()
            .await;
        match got {
            Ok(out) => Ok(Some(out.body.collect().await.map_err(to_fail)?.to_vec())),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_no_such_key()) => Ok(None),
            Err(e) => fail(format!("GetObject {key}: {e:?}")),
        }
    }

    /// Writes down the notifications S3 delivered for each asset's key since the last step,
    /// so they can be delivered again: the newest `ObjectCreated` applied to the record,
    /// and the newest event of the key's object item.
    async fn note_deliveries(&mut self) -> Checked {
        for i in 0..self.assets.len() {
            let t = &self.assets[i];
            let mut seen: Vec<S3EventRecord> = match self.app.store().get(t.id).await {
                Ok(a) => self.event_of_record(&a).into_iter().collect(),
                Err(_) => vec![],
            };
            seen.extend(self.event_of_object_item(&t.key).await?);
            let delivered = &mut self.assets[i].delivered;
            for r in seen {
                if !delivered.iter().any(|d| sequencer(d) == sequencer(&r)) {
                    delivered.push(r);
                }
            }
        }
        Ok(())
    }

    /// The `ObjectCreated` whose facts a record shows, if any event reached it.
    fn event_of_record(&self, a: &Asset) -> Option<S3EventRecord> {
        let (name, seq) = (a.event_name.as_deref()?, a.sequencer.as_deref()?);
        let size = a.size.unwrap_or_default() as i64;
        let etag = a.etag.as_deref().unwrap_or_default();
        Some(self.event(name, &a.object_key, size, etag, seq))
    }

    /// The newest event of a key's object item (the table's per-object event state: the
    /// metadata of its `ObjectCreated` while the object exists, else the removal's
    /// sequencer), read from the table: a removal leaves nothing the API shows.
    async fn event_of_object_item(&self, key: &str) -> Checked<Option<S3EventRecord>> {
        let item = self
            .db
            .get_item()
            .table_name(self.app.store().table())
            .key(
                "pk",
                AttributeValue::S(format!("OBJECT#{}/{key}", self.app.bucket())),
            )
            .consistent_read(true)
            .send()
            .await
            .map_err(to_fail)?
            .item
            .unwrap_or_default();
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let present = item.get("present").and_then(|v| v.as_bool().ok()) == Some(&true);
        let event = match (
            present,
            text("event_name"),
            text("sequencer"),
            text("seq_key"),
        ) {
            (true, Some(name), Some(seq), _) => {
                let size = item
                    .get("size")
                    .and_then(|v| v.as_n().ok())
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                let etag = text("etag").unwrap_or_default();
                Some(self.event(&name, key, size, &etag, &seq))
            }
            (false, _, _, Some(seq)) if !seq.is_empty() => {
                Some(self.event("ObjectRemoved:Delete", key, 0, "", &seq))
            }
            _ => None,
        };
        Ok(event)
    }

    /// A notification record about `key` in the app's bucket, as S3 sends it.
    fn event(&self, name: &str, key: &str, size: i64, etag: &str, seq: &str) -> S3EventRecord {
        record(name, self.app.bucket(), &encode_key(key), size, etag, seq)
    }

    /// Every invariant, for every tracked asset and the listings.
    async fn check(&self) -> Checked {
        let mut records = BTreeMap::new();
        for t in &self.assets {
            if let Some(a) = self.check_asset(t).await? {
                records.insert(a.id.to_string(), a);
            }
        }
        self.check_listings(&records).await
    }

    /// One asset: its record, its download, its metadata and S3 agree with the model.
    async fn check_asset(&self, t: &Tracked) -> Checked<Option<Asset>> {
        let id = t.id.to_string();
        let get = self
            .call(Method::POST, "/api/get_asset", Some(json!({"id": id})))
            .await?;
        let asset = match t.status {
            None => {
                prop_assert_eq!(
                    get.status,
                    StatusCode::NOT_FOUND,
                    "{} is gone: {}",
                    id,
                    get.raw
                );
                None
            }
            Some(status) => {
                prop_assert_eq!(get.status, StatusCode::OK, "{} is lost: {}", id, get.raw);
                let a: Asset = serde_json::from_value(get.body).map_err(to_fail)?;
                prop_assert_eq!(a.status, status, "{}", get.raw);
                prop_assert_eq!(a.deleted_from, t.deleted_from, "{}", get.raw);
                // The reason while rejected; none for an asset never rejected (a deleted
                // rejected one may keep it for its restore).
                let reason = a.rejection.as_ref().map(|r| r.code());
                if status == Rejected {
                    prop_assert_eq!(reason, t.rejection, "{}", get.raw);
                } else if !t.rejected_for_good() {
                    prop_assert_eq!(reason, None, "{}", get.raw);
                }
                if let Some(o) = &t.object {
                    prop_assert_eq!(a.size, Some(o.bytes.len() as u64), "{}", get.raw);
                    prop_assert_eq!(a.etag.as_deref().map(unquoted), Some(o.etag.clone()));
                }
                Some(a)
            }
        };

        // The download link, and what it serves.
        let want = match t.status {
            None => StatusCode::NOT_FOUND,
            Some(_) if t.downloadable() => StatusCode::ACCEPTED,
            Some(_) => StatusCode::FORBIDDEN,
        };
        let link = self
            .expect(Method::GET, &format!("/asset/{id}?timeout=60"), None, want)
            .await?;
        if want == StatusCode::ACCEPTED {
            let Some(o) = &t.object else {
                return fail(format!("model: {id} is downloadable without an object"));
            };
            let url = link.body["download_url"].as_str().unwrap_or_default();
            let res = self.http.get(url).send().await.map_err(to_fail)?;
            prop_assert_eq!(res.status().as_u16(), 200, "download of {}", id);
            let got = res.bytes().await.map_err(to_fail)?;
            prop_assert!(
                got[..] == o.bytes[..],
                "{id} downloads other bytes than S3 acknowledged"
            );
        }

        // /metadata answers exactly for an object S3 holds, as the record says.
        let meta = self
            .call(Method::GET, &self.metadata_uri(&t.key), None)
            .await?;
        match &t.object {
            None => prop_assert_eq!(meta.status, StatusCode::NOT_FOUND, "{}", meta.raw),
            Some(o) => {
                prop_assert_eq!(meta.status, StatusCode::OK, "{}", meta.raw);
                let m: ObjectMetadata = serde_json::from_value(meta.body).map_err(to_fail)?;
                prop_assert_eq!(m.size, o.bytes.len() as u64);
                prop_assert_eq!(unquoted(&m.etag), o.etag.clone());
                if let Some(a) = &asset {
                    prop_assert_eq!(a.size, Some(m.size), "record and metadata: size");
                    prop_assert_eq!(a.etag.as_deref(), Some(m.etag.as_str()), "ETag");
                    prop_assert_eq!(
                        a.sequencer.as_deref(),
                        Some(m.sequencer.as_str()),
                        "sequencer"
                    );
                    prop_assert_eq!(a.event_name.as_deref(), Some(m.event_name.as_str()));
                }
            }
        }

        // S3 itself holds exactly the acknowledged bytes (or nothing).
        let held = self.s3_bytes(&t.key).await?;
        let want = t.object.as_ref().map(|o| o.bytes.clone());
        prop_assert!(
            held == want,
            "S3 holds {:?} bytes under {}, the model {:?}",
            held.as_ref().map(Vec::len),
            t.key,
            want.as_ref().map(Vec::len)
        );
        Ok(asset)
    }

    /// Every listing shows each record exactly once, as `get_asset` shows it, and nothing
    /// else; each status filter exactly the records in that state.
    async fn check_listings(&self, records: &BTreeMap<String, Asset>) -> Checked {
        let forward = self.pages("").await?;
        let rows: Vec<&Value> = forward.iter().flat_map(|p| &p.items).collect();
        let ids: Vec<String> = rows.iter().map(|r| row_id(r)).collect();
        let unique: BTreeSet<&String> = ids.iter().collect();
        prop_assert_eq!(unique.len(), ids.len(), "a row twice: {:?}", ids);
        let want: BTreeSet<&String> = records.keys().collect();
        prop_assert_eq!(&unique, &want, "the listing's rows");
        for row in &rows {
            let a = &records[&row_id(row)];
            let shown = (
                &row["state"],
                &row["deleted_from"],
                &row["size"],
                &row["etag"],
                &row["sequencer"],
            );
            let recorded = (
                &json!(a.status),
                &json!(a.deleted_from),
                &json!(a.size),
                &json!(a.etag),
                &json!(a.sequencer),
            );
            prop_assert_eq!(shown, recorded, "row and record of {}", a.id);
        }
        // Back from the last page through `prev_cursor`: the same rows in the same order.
        let mut back: Vec<String> = forward.last().map(|p| p.ids()).unwrap_or_default();
        let mut cursor = forward.last().and_then(|p| p.prev.clone());
        while let Some(c) = cursor {
            prop_assert!(back.len() <= ids.len(), "paging back does not end");
            let page = self.page(&format!("&cursor={}", enc(&c))).await?;
            back.splice(0..0, page.ids());
            cursor = page.prev;
        }
        prop_assert_eq!(&back, &ids, "paging back");

        let by_name: BTreeSet<String> = self
            .pages("&owner=mine&sort=name")
            .await?
            .iter()
            .flat_map(Page::ids)
            .collect();
        prop_assert_eq!(by_name.iter().collect::<BTreeSet<_>>(), want, "by name");

        for status in AssetStatus::ALL {
            let listed: BTreeSet<String> = self
                .pages(&format!("&status={status}"))
                .await?
                .iter()
                .flat_map(Page::ids)
                .collect();
            let expected: BTreeSet<String> = records
                .values()
                .filter(|a| a.status == status)
                .map(|a| a.id.to_string())
                .collect();
            prop_assert_eq!(listed, expected, "status={}", status);
        }
        Ok(())
    }

    async fn page(&self, query: &str) -> Checked<Page> {
        let r = self
            .expect(
                Method::GET,
                &format!("/asset?limit={PAGE}{query}"),
                None,
                StatusCode::OK,
            )
            .await?;
        let cursor = |name: &str| r.body[name].as_str().map(String::from);
        Ok(Page {
            items: r.body["items"].as_array().cloned().unwrap_or_default(),
            next: cursor("next_cursor"),
            prev: cursor("prev_cursor"),
        })
    }

    /// Every page of one listing, following `next_cursor`.
    async fn pages(&self, query: &str) -> Checked<Vec<Page>> {
        let mut pages = vec![self.page(query).await?];
        while let Some(c) = pages.last().and_then(|p| p.next.clone()) {
            prop_assert!(pages.len() <= 2 * POOL, "the listing {query} does not end");
            pages.push(self.page(&format!("{query}&cursor={}", enc(&c))).await?);
        }
        Ok(pages)
    }
}

/// One page of `GET /asset`.
struct Page {
    items: Vec<Value>,
    next: Option<String>,
    prev: Option<String>,
}

impl Page {
    fn ids(&self) -> Vec<String> {
        self.items.iter().map(row_id).collect()
    }
}

fn row_id(row: &Value) -> String {
    row["asset_id"].as_str().unwrap_or_default().to_string()
}

fn ticket_id(body: &Value) -> Option<AssetId> {
    body["id"].as_str()?.parse().ok()
}

fn etag_of(res: &reqwest::Response) -> Checked<String> {
    match res.headers().get("etag").and_then(|v| v.to_str().ok()) {
        Some(etag) => Ok(unquoted(etag)),
        None => fail("S3 answered 200 without an ETag"),
    }
}

fn to_fail(e: impl std::fmt::Debug) -> TestCaseError {
    TestCaseError::fail(format!("{e:?}"))
}

/// One case: a fresh app, the operations in order, every invariant after each.
async fn run(ops: &[Op]) -> Checked {
    let mut m = Machine::start().await;
    for (step, op) in ops.iter().enumerate() {
        let at = |e: TestCaseError| {
            let why = match &e {
                TestCaseError::Fail(r) | TestCaseError::Reject(r) => r.message().to_string(),
            };
            TestCaseError::fail(format!("step {step}, {op:?}: {why}"))
        };
        m.apply(op).await.map_err(at)?;
        m.note_deliveries().await.map_err(at)?;
        m.check().await.map_err(at)?;
    }
    Ok(())
}

#[test]
fn random_operation_sequences_keep_every_asset_legal_consistent_and_durable() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut runner = TestRunner::new(ProptestConfig {
        cases: 24,
        max_shrink_iters: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    if let Err(e) = runner.run(&ops(), |ops| rt.block_on(run(&ops))) {
        panic!("{e}");
    }
}

fn put(len: usize) -> Body {
    Body {
        content: Content { len, fill: 0 },
        html: false,
    }
}

/// The shortest sequences the property found that broke an invariant, each a case of its
/// own, so they are checked on every run and not only when the generator meets them again.
fn found() -> Vec<(&'static str, Vec<Op>)> {
    vec![
        (
            "an over-limit object arriving at a removed record's key must not be RECEIVED",
            vec![
                Op::Create(Upload::Bare),
                Op::Send {
                    a: 0,
                    body: put(1),
                    wrong_size: false,
                },
                Op::OtherToolDeletes { a: 0 },
                Op::Send {
                    a: 0,
                    body: put(MAX + 1),
                    wrong_size: false,
                },
            ],
        ),
        (
            "a rejected asset, deleted, refuses an object that breaks the rules and stays deleted",
            vec![
                Op::Create(Upload::Bare),
                Op::OtherToolPuts {
                    a: 0,
                    body: Body {
                        content: Content { len: 1, fill: 0 },
                        html: true,
                    },
                },
                Op::Delete { a: 0 },
                Op::Send {
                    a: 0,
                    body: Body {
                        content: Content { len: 1, fill: 0 },
                        html: true,
                    },
                    wrong_size: false,
                },
            ],
        ),
        (
            "a rejected asset, deleted, must still refuse a later object",
            vec![
                Op::Create(Upload::Declared(Content { len: 1, fill: 0 })),
                Op::OtherToolPuts { a: 0, body: put(2) },
                Op::Delete { a: 0 },
                Op::Send {
                    a: 0,
                    body: put(1),
                    wrong_size: false,
                },
            ],
        ),
    ]
}

#[test]
fn the_sequences_the_property_found_keep_every_invariant() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let broken: Vec<String> = found()
        .into_iter()
        .filter_map(|(what, ops)| rt.block_on(run(&ops)).err().map(|e| format!("{what}: {e}")))
        .collect();
    assert!(broken.is_empty(), "{}", broken.join("\n\n"));
}
