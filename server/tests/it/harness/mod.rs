//! The test harness. [`TestApp`] is one Ferry as the tests see it: the embedded DynamoDB and
//! S3 in a temporary directory, the services wired to them through the real AWS SDK clients,
//! and the whole HTTP router (pages, server functions, REST API, static files) called in
//! process through `oneshot`, with no socket. [`FerryProcess`] is a real `ferry serve` for
//! the tests that need one (crash, seed flows). [`Fixture`] is a `TestApp` holding an asset
//! in each state. `events` builds S3 notifications and API Gateway events as AWS sends them;
//! `runtime_api` runs the `ferry` binary as Lambda does, behind an emulated Runtime API
//! (`lambda_invoke`, and `benches/lambda.rs`, which includes it and `events` by path).
//!
//! Requests are made by [`Caller::local`] (what `server::app` inserts without sign-in); [`TestApp::as_caller`]
//! is a [`Client`] of the same app acting as any other caller.
//!
//! ```ignore
//! let app = TestApp::start().await;
//! let r = app.post_json("/asset", r#"{"filename": "a.txt"}"#).await;
//! assert_eq!(r.status, StatusCode::CREATED);
//! let id = r.body["id"].as_str().unwrap();
//! ```

mod events;
mod fixture;
mod process;

mod issuer;
#[cfg(feature = "lambda")]
pub mod runtime_api;
pub use events::{apigw_event, notification, record, s3_record_json, API_URL, S3_EVENT_TIME};
pub use fixture::{Fixture, UNKNOWN_ID};
pub use issuer::{sign_with, SigningKey, TestIssuer, CLIENT_ID};
pub use process::FerryProcess;

use app::domain::{Caller, Owner};
use axum::{
    body::Body,
    http::{header, HeaderMap, Method, Request, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use server::{
    config::{Limits, Settings},
    keys::ServerKey,
    services::{Embedded, Services},
    site::Site,
    storage::AssetStore,
};
use std::{
    future::Future,
    ops::Deref,
    path::{Path, PathBuf},
    time::Duration,
};
use tower::ServiceExt;

/// The origin the embedded S3 accepts browser requests from in tests.
pub const ORIGIN: &str = "http://127.0.0.1:3000";

/// One Ferry with its own embedded backends and router (see the module docs).
pub struct TestApp {
    /// Where the embedded backends keep their data (removed with the app).
    _dir: tempfile::TempDir,
    pub embedded: Embedded,
    /// The site the router serves.
    site_root: PathBuf,
    /// Requests as `server::app` serves them (without sign-in, every one by
    /// [`Caller::local`]).
    client: Client,
}

/// Requests through one router, in process. [`TestApp`] dereferences to its own client;
/// [`TestApp::as_caller`] makes one acting as another caller.
#[derive(Clone)]
pub struct Client {
    router: Router,
}

impl Deref for TestApp {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

/// A caller that is not an administrator.
pub fn user(owner: &str) -> Caller {
    Caller {
        owner: Owner::parse(owner).unwrap(),
        admin: false,
    }
}

/// An administrator.
pub fn admin(owner: &str) -> Caller {
    Caller {
        owner: Owner::parse(owner).unwrap(),
        admin: true,
    }
}

/// An answer, its body read whole: as JSON when it is JSON (else `Value::Null`) and as text.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: String,
}

impl Reply {
    /// The page as a person without JavaScript gets it: the body less Leptos's hydration
    /// markers (`<!>` and `<!--…-->` comments, which depend on how the views are typed).
    pub fn markup(&self) -> String {
        let mut out = String::with_capacity(self.raw.len());
        let mut rest = self.raw.as_str();
        while let Some(start) = rest.find("<!") {
            out.push_str(&rest[..start]);
            let tail = &rest[start..];
            let end = if tail.starts_with("<!>") {
                3
            } else if let Some(comment) = tail.strip_prefix("<!--") {
                comment.find("-->").map_or(tail.len(), |n| 4 + n + 3)
            } else {
                // `<!DOCTYPE html>`: kept.
                out.push_str("<!");
                2
            };
            rest = &tail[end..];
        }
        out.push_str(rest);
        out
    }
}

impl TestApp {
    /// Default settings and limits; no built site (pages render, `/pkg` is empty).
    pub async fn start() -> TestApp {
        TestApp::with_settings(Settings::named("ferry-test", "ferry-test-bucket")).await
    }

    pub async fn with_limits(limits: Limits) -> TestApp {
        let mut settings = Settings::named("ferry-test", "ferry-test-bucket");
        settings.limits = limits;
        TestApp::with_settings(settings).await
    }

    pub async fn with_settings(settings: Settings) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let embedded = start_embedded(dir.path(), settings).await;
        let router = server::app(Site::load(dir.path()).unwrap(), &embedded.services);
        TestApp {
            site_root: dir.path().to_path_buf(),
            _dir: dir,
            embedded,
            client: Client { router },
        }
    }

    /// The app with sign-in on, against `issuer` (client [`CLIENT_ID`], public URL
    /// [`ORIGIN`]).
    pub async fn signing_in_with(issuer: &TestIssuer) -> TestApp {
        let settings = Settings::named("ferry-test", "ferry-test-bucket");
        TestApp::signing_in_with_settings(issuer, settings).await
    }

    /// The same, with `settings` but for sign-in.
    pub async fn signing_in_with_settings(issuer: &TestIssuer, mut settings: Settings) -> TestApp {
        let a = &mut settings.access;
        a.auth = server::config::AuthMode::Oidc;
        a.oidc_issuer = Some(issuer.url.parse().unwrap());
        a.oidc_client_id = Some(CLIENT_ID.into());
        a.public_url = Some(ORIGIN.parse().unwrap());
        a.cookie_key = Some("a test secret that is at least 32 bytes long".into());
        let key = ServerKey::load(settings.access.cookie_key.as_deref(), None).unwrap();
        let access = server::auth::Access::from_settings(&settings.access, &key, None).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let embedded = start_embedded(dir.path(), settings).await;
        let services = embedded.services.clone().with_access(access);
        let router = server::app(Site::load(dir.path()).unwrap(), &services);
        TestApp {
            site_root: dir.path().to_path_buf(),
            _dir: dir,
            embedded,
            client: Client { router },
        }
    }

    /// Where the embedded backends keep their data (`dynamodb.sqlite`, `s3/`).
    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    /// The same app serving the site built under `site_root`.
    pub fn serving_site(mut self, site_root: &Path) -> TestApp {
        let site = Site::load(site_root).expect("site loads");
        self.client.router = server::app(site, &self.embedded.services);
        self.site_root = site_root.to_path_buf();
        self
    }

    /// The same app (same backends, same site) with every request made by `caller`: the
    /// router without the sign-in middleware (`server::routes`), and `caller` in every
    /// request's extensions.
    pub fn as_caller(&self, caller: Caller) -> Client {
        let site = Site::load(&self.site_root).expect("site loads");
        Client {
            router: server::routes(site, &self.embedded.services).layer(axum::Extension(caller)),
        }
    }

    pub fn services(&self) -> &Services {
        &self.embedded.services
    }

    /// The same services with the table swapped for one that does not exist: every table
    /// call fails, as in a DynamoDB outage.
    pub fn services_without_table(&self) -> Services {
        let store = std::sync::Arc::new(AssetStore::new(
            self.dynamodb(),
            "no-such-table",
            ServerKey::ephemeral().cursors(),
        ));
        let services = self.services();
        Services::new(services.settings.clone(), store, services.objects.clone())
    }

    /// The whole app over [`Self::services_without_table`].
    pub fn router_without_table(&self) -> Router {
        let site = Site::load(self._dir.path()).unwrap();
        server::app(site, &self.services_without_table())
    }

    /// A DynamoDB client of the embedded store, for changing the table behind Ferry's back.
    pub fn dynamodb(&self) -> aws_sdk_dynamodb::Client {
        let e = &self.embedded;
        server::aws::dynamodb_client(&server::aws::config_for_endpoint(
            &e.dynamodb_endpoint,
            Embedded::REGION,
            &e.credentials.access_key,
            &e.credentials.secret_key,
        ))
    }

    /// Where the embedded S3 keeps `key`'s bytes (a short key's): for changing the bucket
    /// behind Ferry's back, without an event.
    pub fn object_file(&self, key: &str) -> std::path::PathBuf {
        self.data_dir().join("s3").join(self.bucket()).join(key)
    }

    pub fn store(&self) -> &AssetStore {
        &self.embedded.services.store
    }

    pub fn bucket(&self) -> &str {
        &self.embedded.services.settings.bucket_name
    }

    pub fn s3(&self) -> &aws_sdk_s3::Client {
        self.embedded.services.objects.client()
    }
}

impl Client {
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub async fn request(&self, req: Request<Body>) -> Reply {
        call(self.router(), req).await
    }

    /// `method uri`, with a body of the given content type.
    pub async fn send(&self, method: Method, uri: &str, body: Option<(&str, &str)>) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        let body = match body {
            Some((ct, b)) => {
                req = req.header(header::CONTENT_TYPE, ct);
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        self.request(req.body(body).unwrap()).await
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.send(Method::GET, uri, None).await
    }

    pub async fn post_json(&self, uri: &str, body: &str) -> Reply {
        self.send(Method::POST, uri, Some(("application/json", body)))
            .await
    }

    /// A form post, as a browser without JavaScript sends it (the asset actions).
    pub async fn post_form(&self, uri: &str, body: &str) -> Reply {
        self.send(
            Method::POST,
            uri,
            Some(("application/x-www-form-urlencoded", body)),
        )
        .await
    }

    /// Creates an asset through the REST API and uploads `bytes` to its presigned URL, as a
    /// browser would. Returns its id.
    pub async fn uploaded(&self, name: &str, bytes: &[u8]) -> String {
        self.upload(name, bytes).await.0
    }

    /// The same, returning the asset's id and object key.
    pub async fn upload(&self, name: &str, bytes: &[u8]) -> (String, String) {
        let r = self
            .post_json(
                "/asset",
                &json!({"filename": name, "content_type": "text/plain", "size": bytes.len()})
                    .to_string(),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
        let put = put_as_told(&r.body, bytes.to_vec()).await;
        assert_eq!(put.status(), 200);
        let id = r.body["id"].as_str().unwrap().to_string();
        (id, r.body["object_key"].as_str().unwrap().to_string())
    }
}

/// PUTs `body` to a ticket's `upload_url` with exactly the headers the ticket lists (what a
/// client that declared its file must send).
pub async fn put_as_told(ticket: &Value, body: Vec<u8>) -> reqwest::Response {
    let mut put = reqwest::Client::new().put(ticket["upload_url"].as_str().unwrap());
    for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
        put = put.header(name, value.as_str().unwrap());
    }
    put.body(body).send().await.unwrap()
}

/// One request through `router`, in process.
pub async fn call(router: Router, req: Request<Body>) -> Reply {
    let res = router.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let raw = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_str(&raw).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        raw,
    }
}

/// The embedded backends keeping their data under `dir`.
pub async fn start_embedded(dir: &Path, settings: Settings) -> Embedded {
    Embedded::start(dir, settings, &[ORIGIN.to_string()])
        .await
        .expect("embedded backends start")
}

/// Polls `check` until it returns Some, for at most five seconds.
pub async fn eventually<T, F, Fut>(mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    for _ in 0..100 {
        if let Some(v) = check().await {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not reached within 5 s");
}

/// The repository's root directory.
pub fn repo_root() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}
