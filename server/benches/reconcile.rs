//! `ferry reconcile` against the embedded backends with 100,000 objects: how long a run takes
//! when 1% of the catalogue has drifted (objects written and removed behind Ferry's back), how
//! long the run after it takes (nothing to repair), and the two reads a run makes (the bucket
//! listing and the table's records). Run with `scripts/bench.sh reconcile` (or `cargo bench
//! -p server --bench reconcile`); `FERRY_BENCH_OBJECTS=<n>` for fewer. Figures go to stdout
//! and `target/bench/reconcile.md`.
//!
//! Not a test: nothing here passes or fails on timing. Objects are put through the embedded
//! S3 (each PUT's event records it, as uploads do).

#[allow(dead_code)] // not every benchmark needs every helper
mod support;

use futures::{stream, StreamExt};
use server::{config::Settings, reconcile::Reconciler, services::Embedded};
use std::{fmt::Write as _, time::Instant};

const DEFAULT_OBJECTS: usize = 100_000;
const CONCURRENCY: usize = 32;

#[tokio::main]
async fn main() {
    let n: usize = std::env::var("FERRY_BENCH_OBJECTS")
        .map(|v| v.parse().expect("FERRY_BENCH_OBJECTS: a number"))
        .unwrap_or(DEFAULT_OBJECTS)
        .max(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings::named("ferry-bench", "ferry-bench-bucket");
    let embedded = Embedded::start(dir.path(), settings, &[])
        .await
        .expect("embedded backends");
    let services = &embedded.services;
    let bucket = services.settings.bucket_name.clone();
    let s3 = services.objects.client().clone();

    let started = Instant::now();
    stream::iter(0..n)
        .map(|i| {
            let (s3, bucket) = (s3.clone(), bucket.clone());
            async move {
                s3.put_object()
                    .bucket(bucket)
                    .key(format!("bench/{i:06}.txt"))
                    .body(format!("object {i:06}\n").into_bytes().into())
                    .send()
                    .await
                    .expect("put")
            }
        })
        .buffer_unordered(CONCURRENCY)
        .for_each(|_| async {})
        .await;
    let seed_secs = started.elapsed().as_secs_f64();
    eprintln!("put {n} objects in {seed_secs:.1} s");

    // 1% drift: half written behind Ferry's back, half removed behind its back.
    let drift = n / 100;
    let root = dir.path().join("s3").join(&bucket);
    for i in 0..drift / 2 {
        let path = root.join(format!("behind/{i:06}.txt"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"written behind the back\n").unwrap();
        std::fs::remove_file(root.join(format!("bench/{i:06}.txt"))).unwrap();
    }

    let reconciler = Reconciler::new(services);
    let t = Instant::now();
    let listed = services.objects.list_all(&bucket).await.expect("list");
    let list_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let records = services.store.recorded_objects().await.expect("records");
    let records_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let first = reconciler.run(false, |_, _| {}).await.expect("first run");
    let first_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let second = reconciler.run(false, |_, _| {}).await.expect("second run");
    let second_secs = t.elapsed().as_secs_f64();
    assert_eq!(
        (first.recorded, first.forgotten, first.failed),
        (drift / 2, drift / 2, 0),
        "{first}"
    );
    assert_eq!(
        second.recorded + second.forgotten + second.failed,
        0,
        "{second}"
    );

    let mut md = String::new();
    writeln!(
        md,
        "# ferry reconcile (embedded backends, {n} objects, release build)\n\n\
         | step | seconds |\n|---|---:|\n\
         | list the bucket ({} objects, ListObjectsV2 pages of 1,000) | {list_secs:.2} |\n\
         | read the records ({} records, the all-owners status index) | {records_secs:.2} |\n\
         | run with 1% drift ({} recorded, {} forgotten) | {first_secs:.2} |\n\
         | run with nothing to repair | {second_secs:.2} |\n",
        listed.len(),
        records.len(),
        first.recorded,
        first.forgotten,
    )
    .unwrap();
    writeln!(
        md,
        "- seeding: {n} PUTs through the embedded S3 (each event recorded) in {seed_secs:.1} s \
         ({:.0}/s, {CONCURRENCY} in flight)",
        n as f64 / seed_secs
    )
    .unwrap();
    print!("{md}");
    support::write_report("reconcile", &md);
    embedded.shutdown().await;
}
