//! Lambda init and invocation duration of both functions (`web`, `s3-events`): the optimised
//! `ferry` binary started as Lambda starts it, behind the Runtime API the `lambda_invoke`
//! tests emulate (`tests/it/harness/runtime_api.rs`, included here), talking to embedded
//! DynamoDB and S3 in this process. Run with `cargo bench -p server --bench lambda`; figures go
//! to stdout and `target/bench/lambda.md`.
//!
//! Not a test: nothing here passes or fails on timing. For each function:
//!
//! - init: `COLD_STARTS` fresh processes, each timed from just before it is spawned to its
//!   first `GET …/invocation/next` (what Lambda reports as Init Duration);
//! - the first invocation of each of those processes, from handing the event over to the
//!   answer posted back;
//! - `WARM` sequential invocations of one more process after `WARMUP` untimed ones, and that
//!   process's resident memory after init and after the invocations.
//!
//! The web function gets `POST /asset` (a create: one TransactWriteItems, one presigned URL)
//! and `GET /asset` (the first page of the listing); the events function an
//! `ObjectCreated:Put` notification for an object that is in S3 while its asset says
//! `CREATED` (HeadObject, two GetItems, one TransactWriteItems): the web function's creates,
//! their bytes PUT as a client would. The functions' bucket is not the embedded backends' own,
//! so the embedded S3's in-process handler skips those objects' events (a bucket that is not
//! Ferry's) and only the events function records them, as in AWS. Durations include the
//! Runtime API's loopback HTTP and the backends' work, on the same cores.
//!
//! `FERRY_BENCH_LAMBDA_COLD=<n>` and `FERRY_BENCH_LAMBDA_WARM=<n>` change the counts.

// Both files are the test harness's; this uses part of each.
#[allow(dead_code)]
#[path = "../tests/it/harness/events.rs"]
mod events;
#[allow(dead_code)]
#[path = "../tests/it/harness/runtime_api.rs"]
mod runtime_api;
mod support;

use futures::{stream, StreamExt};
use runtime_api::{Answer, Artifact, Function, Outcome};
use serde_json::{json, Value};
use server::{config::Settings, services::Embedded};
use std::{fmt::Write as _, time::Instant};
use support::Memory;

const COLD_STARTS: usize = 20;
const WARMUP: usize = 20;
const WARM: usize = 200;
/// The table both functions record into (the embedded backends' own).
const TABLE: &str = "ferry-bench";
/// The functions' bucket: not the embedded backends' own (see the module docs).
const BUCKET: &str = "ferry-bench-functions";
const FILE_BYTES: usize = 1024;
/// lambda-perf's figure for a Rust function's cold start (its init duration).
const LAMBDA_PERF_RUST_MS: f64 = 13.0;

/// One measured quantity: its samples in milliseconds.
struct Row {
    function: &'static str,
    what: &'static str,
    ms: Vec<f64>,
}

/// A function's resident memory after init and after the warm invocations.
struct FunctionMemory {
    function: &'static str,
    after_init: Memory,
    after_warm: Memory,
    /// Invocations between the two, warm-up included.
    invocations: usize,
}

/// An object the web function created an asset for and a client PUT.
struct Upload {
    id: String,
    key: String,
    etag: String,
}

/// What every function of the run shares.
struct Bench {
    backends: Embedded,
    artifact: Artifact,
    cold: usize,
    warm: usize,
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().expect("temp dir");
    let backends = Embedded::start(dir.path(), Settings::named(TABLE, "ferry-bench"), &[])
        .await
        .expect("embedded backends");
    backends
        .services
        .objects
        .ensure_bucket(BUCKET)
        .await
        .expect("the functions' bucket");
    let bench = Bench {
        backends,
        artifact: Artifact::from_env(),
        cold: count("FERRY_BENCH_LAMBDA_COLD", COLD_STARTS),
        warm: count("FERRY_BENCH_LAMBDA_WARM", WARM),
    };
    let (mut rows, mut memory) = (vec![], vec![]);
    let tickets = bench_web(&bench, &mut rows, &mut memory).await;
    let uploads = put_all(&tickets).await;
    bench_events(&bench, &uploads, &mut rows, &mut memory).await;
    check_received(&bench.backends, &uploads).await;
    report(&bench, &rows, &memory);
    bench.backends.shutdown().await;
}

fn count(variable: &str, default: usize) -> usize {
    std::env::var(variable).map_or(default, |n| {
        n.parse().unwrap_or_else(|_| panic!("{variable}: a number"))
    })
}

impl Bench {
    /// A fresh process of `handler`, and how long its init took.
    async fn start(&self, handler: &str) -> (Function, f64) {
        // The template's log filters, and the functions' bucket (see the module docs).
        let log = match handler {
            "web" => "info,tower_http=warn",
            _ => "info",
        };
        let env = [("BUCKET_NAME", BUCKET), ("RUST_LOG", log)];
        let mut function =
            Function::start_with(&self.backends, &self.artifact, handler, TABLE, &env).await;
        let init = function.init_duration().await;
        (function, ms(init))
    }

    /// `cold` fresh processes: init and first invocation of each, with `event(i)`; the
    /// answers in order.
    async fn cold_starts(
        &self,
        handler: &'static str,
        event: impl Fn(usize) -> Value,
        rows: &mut Vec<Row>,
    ) -> Vec<Outcome> {
        let (mut init, mut first, mut answers) = (vec![], vec![], vec![]);
        for i in 0..self.cold {
            let (mut function, init_ms) = self.start(handler).await;
            let (outcome, took) = timed(&mut function, &event(i)).await;
            init.push(init_ms);
            first.push(took);
            answers.push(outcome);
        }
        eprintln!("{handler}: {} cold starts", self.cold);
        rows.push(Row::new(handler, "init (spawn → first `next`)", init));
        rows.push(Row::new(handler, "first invocation", first));
        answers
    }
}

/// One invocation, timed from handing the event over to the answer.
async fn timed(function: &mut Function, event: &Value) -> (Outcome, f64) {
    let started = Instant::now();
    let outcome = function.invoke(event).await;
    (outcome, ms(started.elapsed()))
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The web function: cold starts and warm invocations of `POST /asset` and `GET /asset`.
/// Returns the upload tickets of every create, one for each invocation of the events function.
async fn bench_web(
    bench: &Bench,
    rows: &mut Vec<Row>,
    memory: &mut Vec<FunctionMemory>,
) -> Vec<Value> {
    let mut tickets = vec![];
    let created = |answer: Answer| {
        assert_eq!(answer.status, 201, "{answer:?}");
        answer.body
    };
    let create = |i: usize| {
        let body = json!({"filename": format!("bench-{i:05}.txt"), "content_type": "text/plain", "size": FILE_BYTES});
        events::apigw_event(
            "POST",
            "/asset",
            "",
            Some(body.to_string().as_bytes()),
            false,
        )
    };
    let list = events::apigw_event("GET", "/asset", "", None, false);
    for (i, outcome) in bench
        .cold_starts("web", create, rows)
        .await
        .into_iter()
        .enumerate()
    {
        tickets.push(created(Answer::from_outcome(&create(i), outcome)));
    }

    let (mut web, _) = bench.start("web").await;
    let after_init = memory_of(&web);
    let mut next = bench.cold;
    for _ in 0..=WARMUP {
        tickets.push(created(web.http_event(create(next)).await));
        next += 1;
        assert_eq!(web.http_event(list.clone()).await.status, 200);
    }
    let (mut creates, mut lists) = (vec![], vec![]);
    for _ in 0..bench.warm {
        let event = create(next);
        next += 1;
        let (outcome, took) = timed(&mut web, &event).await;
        tickets.push(created(Answer::from_outcome(&event, outcome)));
        creates.push(took);
    }
    for _ in 0..bench.warm {
        let (outcome, took) = timed(&mut web, &list).await;
        assert_eq!(Answer::from_outcome(&list, outcome).status, 200);
        lists.push(took);
    }
    eprintln!("web: {} warm invocations of each", bench.warm);
    rows.push(Row::new("web", "warm `POST /asset`", creates));
    rows.push(Row::new("web", "warm `GET /asset` (50 rows)", lists));
    memory.push(FunctionMemory {
        function: "web",
        after_init,
        after_warm: memory_of(&web),
        invocations: 2 * (WARMUP + 1 + bench.warm),
    });
    tickets
}

/// PUTs each ticket's bytes as a client does (not timed).
async fn put_all(tickets: &[Value]) -> Vec<Upload> {
    let client = reqwest::Client::new();
    stream::iter(tickets)
        .map(|ticket| put(&client, ticket))
        .buffered(8)
        .collect()
        .await
}

async fn put(client: &reqwest::Client, ticket: &Value) -> Upload {
    let mut request = client.put(ticket["upload_url"].as_str().expect("upload_url"));
    for (name, value) in ticket["headers"].as_object().into_iter().flatten() {
        request = request.header(name, value.as_str().expect("a header value"));
    }
    let sent = request
        .body(vec![b'x'; FILE_BYTES])
        .send()
        .await
        .expect("PUT");
    assert_eq!(sent.status(), 200, "{:?}", sent.text().await);
    let etag = sent.headers()["etag"]
        .to_str()
        .expect("ETag")
        .trim_matches('"');
    Upload {
        id: ticket["id"].as_str().expect("id").to_string(),
        key: ticket["object_key"]
            .as_str()
            .expect("object_key")
            .to_string(),
        etag: etag.to_string(),
    }
}

/// The notification S3 sends for `upload`, as the `sequence`-th event of the bucket.
fn object_created(upload: &Upload, sequence: usize) -> Value {
    let key = server::notifications::encode_key(&upload.key);
    let seq = format!("{:018X}", sequence + 1);
    let record = events::s3_record_json(
        "ObjectCreated:Put",
        BUCKET,
        &key,
        FILE_BYTES as u64,
        &upload.etag,
        &seq,
    );
    json!({ "Records": [record] })
}

/// The events function: cold starts and warm invocations, one upload each.
async fn bench_events(
    bench: &Bench,
    uploads: &[Upload],
    rows: &mut Vec<Row>,
    memory: &mut Vec<FunctionMemory>,
) {
    let applied = |outcome: Outcome| match outcome {
        Outcome::Response(Value::Null) => {}
        other => panic!("s3-events: {other:?}"),
    };
    let event = |i: usize| object_created(&uploads[i], i);
    for outcome in bench.cold_starts("s3-events", event, rows).await {
        applied(outcome);
    }

    let (mut events, _) = bench.start("s3-events").await;
    let after_init = memory_of(&events);
    let mut next = bench.cold;
    for _ in 0..=WARMUP {
        applied(events.invoke(&event(next)).await);
        next += 1;
    }
    let mut warm = vec![];
    for _ in 0..bench.warm {
        let (outcome, took) = timed(&mut events, &event(next)).await;
        next += 1;
        applied(outcome);
        warm.push(took);
    }
    eprintln!("s3-events: {} warm invocations", bench.warm);
    rows.push(Row::new("s3-events", "warm `ObjectCreated:Put`", warm));
    memory.push(FunctionMemory {
        function: "s3-events",
        after_init,
        after_warm: memory_of(&events),
        invocations: WARMUP + 1 + bench.warm,
    });
}

/// Every upload's asset says `RECEIVED`: the events function did the real work.
async fn check_received(backends: &Embedded, uploads: &[Upload]) {
    for upload in uploads {
        let id = upload.id.parse().expect("an asset id");
        let asset = backends.services.store.get(id).await.expect("the asset");
        assert_eq!(
            asset.status,
            app::domain::AssetStatus::Received,
            "{}",
            upload.key
        );
    }
}

/// The function process's resident memory.
fn memory_of(function: &Function) -> Memory {
    Memory::of(function.child.id())
}

impl Row {
    fn new(function: &'static str, what: &'static str, mut ms: Vec<f64>) -> Row {
        ms.sort_by(f64::total_cmp);
        Row { function, what, ms }
    }

    fn percentile(&self, p: f64) -> f64 {
        support::percentile(&self.ms, p)
    }
}

fn report(bench: &Bench, rows: &[Row], memory: &[FunctionMemory]) {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Lambda init and invocation duration (optimised `ferry`, emulated Runtime API, \
         embedded backends on the same machine)\n"
    );
    let _ = writeln!(
        md,
        "| function | measure | n | p50 | p95 | min |\n|---|---|---:|---:|---:|---:|"
    );
    for r in rows {
        let _ = writeln!(
            md,
            "| `{}` | {} | {} | {:.2} ms | {:.2} ms | {:.2} ms |",
            r.function,
            r.what,
            r.ms.len(),
            r.percentile(50.0),
            r.percentile(95.0),
            r.ms[0]
        );
    }
    let _ = writeln!(md);
    for r in rows.iter().filter(|r| r.what.starts_with("init")) {
        let p50 = r.percentile(50.0);
        let _ = writeln!(
            md,
            "- `{}` init p50 {p50:.1} ms: {:.2}× lambda-perf's Rust cold start (~{LAMBDA_PERF_RUST_MS:.0} ms)",
            r.function,
            p50 / LAMBDA_PERF_RUST_MS
        );
    }
    for m in memory {
        let _ = writeln!(
            md,
            "- `{}`: {} after init, {} after {} invocations",
            m.function, m.after_init, m.after_warm, m.invocations,
        );
    }
    let _ = writeln!(md, "- binary: `{}`", bench.artifact.command.join(" "));
    support::write_report("lambda", &md);
}
