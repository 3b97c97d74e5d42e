//! Uploads per second and server CPU per upload through the REST flow, as the catalogue
//! grows; and how fast a fresh `ferry serve` starts and how much memory it holds idle. Run
//! with `scripts/bench.sh` (or `cargo bench -p server --bench uploads`); figures go to stdout
//! and `target/bench/uploads.md`.
//!
//! Not a test: nothing here passes or fails on timing. The server is the optimised `ferry`
//! binary in a process of its own (so its CPU time, from `/proc/<pid>/stat`, is the server's
//! alone), on a fresh data dir with the embedded backends. Each upload is what a client of
//! the REST API does: `POST /asset` declaring name, type and size, then a `PUT` of the bytes
//! to the presigned URL with the headers the ticket lists; the embedded S3 records the event
//! before it answers the `PUT`. The client runs on the same machine, `CONCURRENCY` uploads in
//! flight. After each round a sample of the assets is read back and must say `RECEIVED`.
//!
//! `FERRY_BENCH_FERRY=<path>` runs another `ferry` binary (an older build, to compare).
//! `FERRY_BENCH_UPLOADS=<n>` sets how many uploads in all (default 100,000): a measured round
//! of 1,000 on the empty catalogue, rounds that fill it, and a measured round of 1,000 at the
//! end, so the first and last rows compare the same work at 0 and at `n - 1,000` assets.

mod support;

use futures::{stream, StreamExt};
use std::{
    fmt::Write as _,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use support::Memory;

const CONCURRENCY: usize = 32;
const DEFAULT_UPLOADS: usize = 100_000;
const EDGE_ROUND: usize = 1_000;
const FILL_ROUND: usize = 14_000;
const BODY_BYTES: usize = 1_024;

struct Round {
    before: usize,
    uploads: usize,
    secs: f64,
    server: Cpu,
    client: Cpu,
    p50_ms: f64,
    p95_ms: f64,
}

#[tokio::main]
async fn main() {
    let total = std::env::var("FERRY_BENCH_UPLOADS")
        .map(|n| n.parse().expect("FERRY_BENCH_UPLOADS: a number"))
        .unwrap_or(DEFAULT_UPLOADS)
        .max(4 * EDGE_ROUND);
    let dir = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .expect("client");

    let started = Instant::now();
    let mut server = Server::start(dir.path(), port);
    let first_answer = loop {
        if client.get(format!("{base}/asset")).send().await.is_ok() {
            break started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "ferry did not start"
        );
    };
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = server.memory();
    eprintln!(
        "first answer {:.1} ms after start, idle {idle}",
        first_answer.as_secs_f64() * 1000.0,
    );

    let mut rounds = vec![];
    let mut done = 0;
    for (size, measured) in plan(total) {
        let round = round(&client, &base, &server, done, size).await;
        eprintln!("{}", round.line());
        done += size;
        if measured {
            rounds.push(round);
        }
    }
    let busy = server.memory();
    server.stop();
    report(first_answer, idle, busy, &rounds);
}

/// Round sizes, and whether each is reported: a warm-up round on the empty catalogue, a
/// measured round at 1,000 assets, fill rounds (reported too: they show the trend), and a
/// measured round of the last 1,000.
fn plan(total: usize) -> Vec<(usize, bool)> {
    let mut rounds = vec![(EDGE_ROUND, false), (EDGE_ROUND, true)];
    let mut fill = total - 3 * EDGE_ROUND;
    while fill > 0 {
        let n = fill.min(FILL_ROUND);
        rounds.push((n, true));
        fill -= n;
    }
    rounds.push((EDGE_ROUND, true));
    rounds
}

async fn round(
    client: &reqwest::Client,
    base: &str,
    server: &Server,
    before: usize,
    uploads: usize,
) -> Round {
    let (server_before, client_before) = (server.cpu(), Cpu::of("self"));
    let started = Instant::now();
    let mut results: Vec<(Stored, f64)> = stream::iter(before..before + uploads)
        .map(|i| upload(client, base, i))
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let secs = started.elapsed().as_secs_f64();
    let server_cpu = server.cpu().since(server_before);
    let client_cpu = Cpu::of("self").since(client_before);
    // Every upload answered; a sample of them must have been recorded as arrived.
    for (stored, _) in results.iter().step_by(97) {
        let res = client
            .get(format!("{base}/metadata"))
            .query(&[("bucket", &stored.bucket), ("key", &stored.key)])
            .send()
            .await
            .expect("GET /metadata");
        assert_eq!(res.status(), 200, "GET /metadata for {}", stored.key);
        let metadata: serde_json::Value = res.json().await.expect("metadata JSON");
        assert_eq!(metadata["size"], BODY_BYTES, "{metadata}");
    }
    results.sort_by(|a, b| a.1.total_cmp(&b.1));
    let times: Vec<f64> = results.iter().map(|r| r.1).collect();
    Round {
        before,
        uploads,
        secs,
        server: server_cpu,
        client: client_cpu,
        p50_ms: support::percentile(&times, 50.0),
        p95_ms: support::percentile(&times, 95.0),
    }
}

impl Round {
    fn rate(&self) -> f64 {
        self.uploads as f64 / self.secs
    }

    /// Server CPU per upload, in milliseconds.
    fn server_ms(&self) -> f64 {
        self.server.total_ms() / self.uploads as f64
    }

    fn line(&self) -> String {
        let per = |cpu: Cpu| cpu.total_ms() / self.uploads as f64;
        format!(
            "{:>7} assets before: {:>6} uploads  {:>5.0} uploads/s  server {:.2} ms CPU/upload \
             ({:.2} system)  client {:.2} ms  p50 {:.1} ms  p95 {:.1} ms",
            self.before,
            self.uploads,
            self.rate(),
            self.server_ms(),
            self.server.system_ms / self.uploads as f64,
            per(self.client),
            self.p50_ms,
            self.p95_ms
        )
    }
}

/// Where an upload's object is.
struct Stored {
    bucket: String,
    key: String,
}

/// One upload through the REST flow; where it went and milliseconds from create to stored.
async fn upload(client: &reqwest::Client, base: &str, i: usize) -> (Stored, f64) {
    let started = Instant::now();
    let res = client
        .post(format!("{base}/asset"))
        .json(&serde_json::json!({
            "filename": format!("bench/file-{i:07}.txt"),
            "content_type": "text/plain",
            "size": BODY_BYTES,
        }))
        .send()
        .await
        .expect("POST /asset");
    assert_eq!(res.status(), 201, "POST /asset");
    let ticket: serde_json::Value = res.json().await.expect("ticket JSON");
    let mut put = client.put(ticket["upload_url"].as_str().expect("upload_url"));
    for (name, value) in ticket["headers"].as_object().expect("headers") {
        put = put.header(name, value.as_str().expect("header value"));
    }
    let res = put.body(vec![b'x'; BODY_BYTES]).send().await.expect("PUT");
    assert!(res.status().is_success(), "PUT: {}", res.status());
    let field = |name: &str| ticket[name].as_str().expect(name).to_owned();
    let stored = Stored {
        bucket: field("bucket"),
        key: field("object_key"),
    };
    (stored, started.elapsed().as_secs_f64() * 1000.0)
}

/// The optimised `ferry serve`, in a process of its own.
struct Server(Child);

impl Server {
    fn start(data: &std::path::Path, port: u16) -> Server {
        let ferry = std::env::var_os("FERRY_BENCH_FERRY")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_ferry").into());
        let child = Command::new(ferry)
            .arg("serve")
            .env("FERRY_ADDR", format!("127.0.0.1:{port}"))
            .env("FERRY_DATA_DIR", data.join("data"))
            .env("FERRY_SITE_ROOT", data)
            .env("RUST_LOG", "error")
            // One client making every upload: the fair-use limit would measure itself.
            .env("FERRY_UPLOAD_RATE_LIMIT", "0")
            .stdout(Stdio::null())
            .spawn()
            .expect("start ferry");
        Server(child)
    }

    /// CPU time the server has used.
    fn cpu(&self) -> Cpu {
        Cpu::of(&self.0.id().to_string())
    }

    fn memory(&self) -> Memory {
        Memory::of(self.0.id())
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// User and system CPU time of a process, in milliseconds.
#[derive(Clone, Copy)]
struct Cpu {
    user_ms: f64,
    system_ms: f64,
}

impl Cpu {
    /// From `/proc/<pid>/stat` (`pid` may be `self`).
    fn of(pid: &str) -> Cpu {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
        let rest = &stat[stat.rfind(')').expect("stat format") + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        let ms = |field: &str| field.parse::<f64>().expect("ticks") * 1000.0 / ticks_per_second();
        Cpu {
            user_ms: ms(fields[11]),
            system_ms: ms(fields[12]),
        }
    }

    fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            user_ms: self.user_ms - earlier.user_ms,
            system_ms: self.system_ms - earlier.system_ms,
        }
    }

    fn total_ms(self) -> f64 {
        self.user_ms + self.system_ms
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let out = Command::new("getconf").arg("CLK_TCK").output();
        out.ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn report(first_answer: Duration, idle: Memory, busy: Memory, rounds: &[Round]) {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Uploads through the REST flow (release `ferry serve`, embedded backends, \
         {CONCURRENCY} in flight, {BODY_BYTES}-byte files, client on the same machine)\n"
    );
    let _ = writeln!(
        md,
        "| assets before | uploads | uploads/s | server CPU per upload | of which system | \
         client CPU per upload | p50 | p95 |\n|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for r in rounds {
        let _ = writeln!(
            md,
            "| {} | {} | {:.0} | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} ms | {:.1} ms |",
            r.before,
            r.uploads,
            r.rate(),
            r.server_ms(),
            r.server.system_ms / r.uploads as f64,
            r.client.total_ms() / r.uploads as f64,
            r.p50_ms,
            r.p95_ms
        );
    }
    let (first, last) = (&rounds[0], &rounds[rounds.len() - 1]);
    let _ = writeln!(
        md,
        "\n- uploads/s at {} assets is {:.2}× the rate at {}; server CPU per upload {:.2}×",
        last.before,
        last.rate() / first.rate(),
        first.before,
        last.server_ms() / first.server_ms()
    );
    let _ = writeln!(
        md,
        "- `ferry serve` on a fresh data dir answered its first request {:.1} ms after the \
         process started; idle {idle}, after the uploads {busy} (anonymous: the process's \
         own heap and stacks; the rest is mostly the binary's pages, mapped from the page cache)",
        first_answer.as_secs_f64() * 1000.0,
    );
    support::write_report("uploads", &md);
}
