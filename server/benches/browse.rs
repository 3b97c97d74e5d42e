//! `/assets` server-rendering latency against the embedded store with 100 and 100,000
//! assets in folders: ten at the top level with ten in each, the assets spread over those
//! hundred inner ones, except 50 in an eleventh top-level folder, `busy`, whose pages are
//! measured (the same two pages of 25 whatever the table holds). Run with `scripts/bench.sh` (or `cargo bench -p server
//! --bench browse`); figures go to stdout and `target/bench/browse.md`.
//!
//! Not a test: nothing here passes or fails on timing. Each size gets a fresh data dir,
//! folders and assets created through the store (one TransactWriteItems each, as uploads
//! do), then the real router on a real socket, warmed up, then sequential GETs timed one by
//! one.

#[allow(dead_code)] // not every benchmark needs every helper
mod support;

use app::domain::{Folder, Owner};
use futures::{stream, StreamExt};
use server::{config::Settings, services::Embedded, site::Site, storage::NewAsset};
use std::{fmt::Write as _, time::Instant};

/// Table sizes compared; `FERRY_BENCH_SIZES=100,5000` overrides them for a quick run.
const SIZES: [usize; 2] = [100, 100_000];
const WARMUP: usize = 20;
const SAMPLES: usize = 300;
/// Creates in flight while seeding.
const SEED_CONCURRENCY: usize = 32;

struct Row {
    assets: usize,
    view: &'static str,
    p50_ms: f64,
    p95_ms: f64,
    bytes: usize,
}

#[tokio::main]
async fn main() {
    let sizes = sizes();
    let mut rows = vec![];
    let mut seeding = vec![];
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let settings = Settings::named("ferry-bench", "ferry-bench-bucket");
        let embedded = Embedded::start(dir.path(), settings, &[])
            .await
            .expect("embedded backends");
        let started = Instant::now();
        let busy = seed(&embedded, n).await;
        let secs = started.elapsed().as_secs_f64();
        eprintln!("seeded {n} assets in {secs:.1} s");
        seeding.push((n, secs));

        let site = Site::load(dir.path()).expect("site");
        let app = server::app(site, &embedded.services);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let client = reqwest::Client::new();

        // The busy folder, and page two of it: follow its first page's Next link.
        let inner = format!("{base}/assets?folder={}", busy.id);
        let first = get(&client, &inner).await;
        let next = first
            .split("rel=\"next\"")
            .next()
            .and_then(|before| before.rsplit("href=\"").next())
            .and_then(|href| href.split('"').next())
            .map(|href| href.replace("&amp;", "&"));
        let mut views: Vec<(&'static str, String)> = vec![
            ("/assets (top level: 11 folders)", format!("{base}/assets")),
            ("/assets?folder= (25 of 50)", inner.clone()),
            (
                "/assets?folder=&limit=100 (50)",
                format!("{inner}&limit=100"),
            ),
            (
                "/assets?q=file-00004&sub=1 (search all)",
                format!("{base}/assets?q=file-00004&sub=1"),
            ),
            (
                "/assets?status=created&sort=name",
                format!("{base}/assets?status=created&sort=name"),
            ),
        ];
        if let Some(next) = next.filter(|n| n.starts_with("/assets?")) {
            views.push(("/assets?folder= page 2 (cursor)", format!("{base}{next}")));
        }
        for (view, url) in views {
            for _ in 0..WARMUP {
                get(&client, &url).await;
            }
            let mut times = Vec::with_capacity(SAMPLES);
            let mut bytes = 0;
            for _ in 0..SAMPLES {
                let t = Instant::now();
                bytes = get(&client, &url).await.len();
                times.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            let row = Row {
                assets: n,
                view,
                p50_ms: support::percentile(&times, 50.0),
                p95_ms: support::percentile(&times, 95.0),
                bytes,
            };
            eprintln!(
                "{n:>7} assets  {view:<36} p50 {:>6.2} ms  p95 {:>6.2} ms",
                row.p50_ms, row.p95_ms
            );
            rows.push(row);
        }
        server.abort();
        embedded.shutdown().await;
    }
    report(&rows, &seeding, &sizes);
}

fn sizes() -> Vec<usize> {
    match std::env::var("FERRY_BENCH_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse().expect("FERRY_BENCH_SIZES: numbers"))
            .collect(),
        Err(_) => SIZES.to_vec(),
    }
}

/// Ten folders at the top level with ten folders each, and `n` assets: 50 in an eleventh
/// top-level folder (returned), the rest spread over the hundred inner folders.
async fn seed(embedded: &Embedded, n: usize) -> Folder {
    let store = embedded.services.store.clone();
    let bucket = embedded.services.settings.bucket_name.clone();
    let owner = Owner::local();
    let mut inner = vec![];
    for d in 0..10 {
        let top = store
            .create_folder(&owner, None, &format!("dir-{d}"))
            .await
            .expect("folder");
        for s in 0..10 {
            let sub = store
                .create_folder(&owner, Some(&top), &format!("sub-{s}"))
                .await
                .expect("folder");
            inner.push(sub);
        }
    }
    let busy = store
        .create_folder(&owner, None, "busy")
        .await
        .expect("folder");
    stream::iter(0..n)
        .map(|i| {
            let store = store.clone();
            let bucket = bucket.clone();
            let folder = if i < 50 {
                busy.clone()
            } else {
                inner[i % inner.len()].clone()
            };
            async move {
                store
                    .create(NewAsset {
                        owner: Owner::local(),
                        bucket,
                        filename: Some(format!("file-{i:06}.txt")),
                        content_type: "text/plain".into(),
                        size: Some(1000 + i as u64),
                        folder: Some(folder),
                    })
                    .await
                    .expect("create")
            }
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .for_each(|_| async {})
        .await;
    busy
}

async fn get(client: &reqwest::Client, url: &str) -> String {
    let res = client.get(url).send().await.expect("request");
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.text().await.expect("body")
}

fn report(rows: &[Row], seeding: &[(usize, f64)], sizes: &[usize]) {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# /assets server-rendering latency (embedded store, {SAMPLES} sequential requests per view)\n"
    );
    let _ = writeln!(
        md,
        "| assets | view | p50 | p95 | HTML |\n|---:|---|---:|---:|---:|"
    );
    for r in rows {
        let _ = writeln!(
            md,
            "| {} | `{}` | {:.2} ms | {:.2} ms | {} KB |",
            r.assets,
            r.view,
            r.p50_ms,
            r.p95_ms,
            r.bytes / 1000
        );
    }
    let _ = writeln!(md);
    let (small_n, large_n) = (sizes[0], sizes[sizes.len() - 1]);
    for (view, small, large) in pairs(rows, small_n, large_n) {
        let _ = writeln!(
            md,
            "- `{view}`: p50 with {large_n} assets is {:.2}× the p50 with {small_n}",
            large / small,
        );
    }
    for (n, secs) in seeding {
        let _ = writeln!(
            md,
            "- seeding {n} assets: {secs:.1} s ({:.0} creates/s)",
            *n as f64 / secs
        );
    }
    support::write_report("browse", &md);
}

/// Each view's p50 with the small and the large table.
fn pairs(rows: &[Row], small_n: usize, large_n: usize) -> Vec<(&'static str, f64, f64)> {
    rows.iter()
        .filter(|r| r.assets == small_n)
        .filter_map(|small| {
            rows.iter()
                .find(|r| r.assets == large_n && r.view == small.view)
                .map(|large| (small.view, small.p50_ms, large.p50_ms))
        })
        .collect()
}
