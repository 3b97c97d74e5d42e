//! The `ferry` binary run the way AWS Lambda runs it, behind an emulated Lambda Runtime API
//! served in process: [`Function`] starts the binary with no arguments in its task root
//! ([`Artifact`]), its handler named by `_HANDLER`, DynamoDB and S3 the embedded backends
//! reached through `AWS_ENDPOINT_URL_*`, then hands it events one at a time
//! ([`Function::invoke`], [`Function::http`]) and collects what it posts back ([`Outcome`],
//! [`Answer`]). It also notes when the process first asks for an event, which ends Lambda's
//! init phase ([`Function::init_duration`]).
//!
//! Used by the `lambda_invoke` tests and by `benches/lambda.rs`, which includes this file with
//! `#[path]` beside `events.rs`: it names nothing of the test harness but `super::events`.
//!
//! By default the binary is this build's `ferry` with a small site written here. With
//! `FERRY_LAMBDA_TASK_ROOT` set to an unpacked `target/lambda/ferry.zip`, it is that zip's
//! `bootstrap` and `site/` — the arm64 artifact — run through `FERRY_LAMBDA_RUNNER` (e.g.
//! `qemu-aarch64 -L /usr/aarch64-linux-gnu`); see `scripts/test-lambda-artifact.sh`.

use super::events::{apigw_event, API_URL};
use axum::{
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::IntoResponse,
    routing::{get, post},
    Router,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};
use server::services::Embedded;
use std::{
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};
use tokio::sync::{mpsc, watch, Mutex};

/// What the function posted back for one invocation.
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    Error(Value),
    InitError(Value),
}

#[derive(Clone)]
struct RuntimeState {
    next: Arc<Mutex<mpsc::Receiver<(String, String)>>>,
    outcomes: mpsc::Sender<(String, Outcome)>,
    /// When the function first asked for an event.
    first_poll: Arc<watch::Sender<Option<Instant>>>,
}

/// `GET /2018-06-01/runtime/invocation/next`: long-polls until an event is queued.
async fn next_invocation(State(s): State<RuntimeState>) -> impl IntoResponse {
    s.first_poll.send_if_modified(|at| {
        let first = at.is_none();
        if first {
            *at = Some(Instant::now());
        }
        first
    });
    let Some((id, event)) = s.next.lock().await.recv().await else {
        return std::future::pending().await;
    };
    let deadline = chrono::Utc::now().timestamp_millis() + 30_000;
    (
        [
            ("lambda-runtime-aws-request-id", id),
            ("lambda-runtime-deadline-ms", deadline.to_string()),
            (
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:ferry-test".to_string(),
            ),
            (
                "lambda-runtime-trace-id",
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0"
                    .to_string(),
            ),
            ("content-type", "application/json".to_string()),
        ],
        event,
    )
}

fn body_value(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!(String::from_utf8_lossy(body)))
}

async fn post_response(
    State(s): State<RuntimeState>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> StatusCode {
    let _ = s
        .outcomes
        .send((id, Outcome::Response(body_value(&body))))
        .await;
    StatusCode::ACCEPTED
}

async fn post_error(
    State(s): State<RuntimeState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> StatusCode {
    assert!(headers.contains_key("lambda-runtime-function-error-type"));
    let _ = s
        .outcomes
        .send((id, Outcome::Error(body_value(&body))))
        .await;
    StatusCode::ACCEPTED
}

async fn post_init_error(State(s): State<RuntimeState>, body: axum::body::Bytes) -> StatusCode {
    let _ = s
        .outcomes
        .send((String::new(), Outcome::InitError(body_value(&body))))
        .await;
    StatusCode::ACCEPTED
}

/// Serves the Runtime API on a free loopback port; returns its address.
async fn serve_runtime_api(state: RuntimeState) -> std::net::SocketAddr {
    let api = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next_invocation))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(post_response),
        )
        .route(
            "/2018-06-01/runtime/invocation/{id}/error",
            post(post_error),
        )
        .route("/2018-06-01/runtime/init/error", post(post_init_error))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, api).await });
    addr
}

/// The web function's `FERRY_COOKIE_KEY` (the template's generated `CookieKey`).
const WEB_SERVER_KEY: &str = "the web function's secret, at least 32 bytes";

/// One function: an emulated Runtime API and the `ferry` process polling it.
pub struct Function {
    pub child: Child,
    /// The process's stdout and stderr.
    pub log: tempfile::NamedTempFile,
    events: mpsc::Sender<(String, String)>,
    outcomes: mpsc::Receiver<(String, Outcome)>,
    /// Just before the process was spawned.
    started: Instant,
    first_poll: watch::Receiver<Option<Instant>>,
    invocations: u32,
}

/// What runs: a program (maybe an emulator and its arguments) and the task root it runs in.
pub struct Artifact {
    pub command: Vec<String>,
    pub task_root: std::path::PathBuf,
    /// Kept alive while the artifact is in use.
    _site: Option<tempfile::TempDir>,
}

impl Artifact {
    pub fn from_env() -> Artifact {
        match std::env::var_os("FERRY_LAMBDA_TASK_ROOT") {
            Some(root) => {
                let root = std::path::PathBuf::from(root);
                let mut command: Vec<String> = std::env::var("FERRY_LAMBDA_RUNNER")
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect();
                command.push(root.join("bootstrap").to_string_lossy().into_owned());
                Artifact {
                    command,
                    task_root: root,
                    _site: None,
                }
            }
            None => {
                let dir = tempfile::tempdir().unwrap();
                write_test_site(dir.path());
                Artifact {
                    command: vec![env!("CARGO_BIN_EXE_ferry").to_string()],
                    task_root: dir.path().to_path_buf(),
                    _site: Some(dir),
                }
            }
        }
    }

    /// The bundle names the task root's `site/pkg/manifest.json` gives.
    pub fn manifest(&self) -> Value {
        let path = self.task_root.join("site/pkg/manifest.json");
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
    }
}

/// A site as scripts/build-site.sh lays it out: hashed names, `.gz` twins, a manifest.
fn write_test_site(task_root: &std::path::Path) {
    let pkg = task_root.join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for (name, body) in [
        ("ferry.0123456789abcdef.css", "body{}"),
        ("ferry.0123456789abcdef.js", "export default function(){}"),
        ("ferry.0123456789abcdef.wasm", "\0asm\x01\0\0\0"),
    ] {
        std::fs::write(pkg.join(name), body).unwrap();
        // Not real gzip: the server sends the twin's bytes as they are.
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz:{body}")).unwrap();
    }
    std::fs::write(
        pkg.join("manifest.json"),
        r#"{"css": "ferry.0123456789abcdef.css", "js": "ferry.0123456789abcdef.js", "wasm": "ferry.0123456789abcdef.wasm", "hashed": true}"#,
    )
    .unwrap();
    std::fs::write(task_root.join("site/favicon.svg"), "<svg/>").unwrap();
}

impl Function {
    /// The function `handler` against `backends`, recording into `table`.
    pub async fn start(
        backends: &Embedded,
        artifact: &Artifact,
        handler: &str,
        table: &str,
    ) -> Function {
        Function::start_with(backends, artifact, handler, table, &[]).await
    }

    /// With more of the function's variables (sign-in, say); these win over the defaults.
    pub async fn start_with(
        backends: &Embedded,
        artifact: &Artifact,
        handler: &str,
        table: &str,
        extra: &[(&str, &str)],
    ) -> Function {
        let (events, next) = mpsc::channel(1);
        let (outcome_tx, outcomes) = mpsc::channel(8);
        let (first_poll_tx, first_poll) = watch::channel(None);
        let runtime_api = serve_runtime_api(RuntimeState {
            next: Arc::new(Mutex::new(next)),
            outcomes: outcome_tx,
            first_poll: Arc::new(first_poll_tx),
        })
        .await;

        let log = tempfile::NamedTempFile::new().unwrap();
        let creds = &backends.credentials;
        let started = Instant::now();
        // What Lambda sets for a provided.al2023 function, plus the function's own variables
        // as infra/template.yaml sets them (endpoints aside).
        let child = Command::new(&artifact.command[0])
            .args(&artifact.command[1..])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
            .env("_HANDLER", handler)
            .env("AWS_LAMBDA_FUNCTION_NAME", format!("ferry-test-{handler}"))
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/ferry-test")
            .env(
                "AWS_LAMBDA_LOG_STREAM_NAME",
                "2026/11/22/[$LATEST]0123456789abcdef",
            )
            .env("LAMBDA_TASK_ROOT", &artifact.task_root)
            .env("AWS_REGION", "us-east-1")
            .env("FERRY_PUBLIC_URL", API_URL)
            .env("AWS_ACCESS_KEY_ID", &creds.access_key)
            .env("AWS_SECRET_ACCESS_KEY", &creds.secret_key)
            .env("AWS_ENDPOINT_URL_DYNAMODB", &backends.dynamodb_endpoint)
            .env("AWS_ENDPOINT_URL_S3", &backends.s3_endpoint)
            .env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("TABLE_NAME", table)
            .env("BUCKET_NAME", &backends.services.settings.bucket_name)
            // The template gives the secret to the web function only.
            .envs((handler == "web").then_some(("FERRY_COOKIE_KEY", WEB_SERVER_KEY)))
            .env("RUST_LOG", "info")
            .envs(extra.iter().copied())
            // FERRY_SITE_ROOT unset: `site`, relative to the task root, as in Lambda.
            .current_dir(&artifact.task_root)
            .stdin(Stdio::null())
            .stdout(log.reopen().unwrap())
            .stderr(log.reopen().unwrap())
            .spawn()
            .expect("ferry starts");
        Function {
            child,
            log,
            events,
            outcomes,
            started,
            first_poll,
            invocations: 0,
        }
    }

    /// What the function has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Lambda's init phase: from just before the process was spawned to its first
    /// `GET …/invocation/next`, waiting for that call (at most 60 s).
    pub async fn init_duration(&mut self) -> Duration {
        let polled = tokio::time::timeout(
            Duration::from_secs(60),
            self.first_poll.wait_for(Option::is_some),
        )
        .await;
        let polled = polled.map(|at| at.map(|at| at.expect("waited for Some")));
        match polled {
            Ok(Ok(at)) => at.duration_since(self.started),
            _ => panic!(
                "the function did not ask for an event within 60 s; its log:\n{}",
                self.log_text()
            ),
        }
    }

    /// Hands one event to the function and waits for what it posts back.
    pub async fn invoke(&mut self, event: &Value) -> Outcome {
        self.invocations += 1;
        let id = format!("8476a536-e9f4-11e8-9739-2dfe598c{:04}", self.invocations);
        self.events
            .send((id.clone(), event.to_string()))
            .await
            .unwrap();
        match tokio::time::timeout(Duration::from_secs(60), self.outcomes.recv()).await {
            Ok(Some((_, Outcome::InitError(e)))) => panic!(
                "the function failed to start: {e}; its log:\n{}",
                self.log_text()
            ),
            Ok(Some((got, outcome))) => {
                assert_eq!(got, id, "an answer to another invocation");
                outcome
            }
            _ => panic!(
                "no answer within 60 s; the function's log:\n{}",
                self.log_text()
            ),
        }
    }

    /// Invokes the web function with an API Gateway v2 event; returns status and JSON body.
    pub async fn http(
        &mut self,
        method: &str,
        path: &str,
        query: &str,
        body: Option<&str>,
    ) -> Answer {
        self.http_event(apigw_event(
            method,
            path,
            query,
            body.map(str::as_bytes),
            false,
        ))
        .await
    }

    pub async fn http_event(&mut self, event: Value) -> Answer {
        let outcome = self.invoke(&event).await;
        Answer::from_outcome(&event, outcome)
    }
}

impl Drop for Function {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The web function's answer to one API Gateway event.
#[derive(Debug)]
pub struct Answer {
    pub status: u64,
    pub content_type: String,
    pub body: Value,
    pub bytes: Vec<u8>,
    pub raw: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.raw["headers"][name].as_str().unwrap_or_default()
    }

    /// The answer to `event`; panics unless the function posted a response.
    pub fn from_outcome(event: &Value, outcome: Outcome) -> Answer {
        match outcome {
            Outcome::Response(res) => Answer::from_lambda(res),
            other => panic!(
                "{} {}: {other:?}",
                event["requestContext"]["http"]["method"], event["rawPath"]
            ),
        }
    }

    /// An API Gateway v2 (payload 2.0) Lambda response document.
    fn from_lambda(res: Value) -> Answer {
        let text = res["body"].as_str().unwrap_or_default();
        let bytes = if res["isBase64Encoded"] == true {
            STANDARD.decode(text).unwrap()
        } else {
            text.as_bytes().to_vec()
        };
        Answer {
            status: res["statusCode"].as_u64().expect("statusCode"),
            content_type: res["headers"]["content-type"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            body: serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| json!(String::from_utf8_lossy(&bytes))),
            bytes,
            raw: res,
        }
    }
}
