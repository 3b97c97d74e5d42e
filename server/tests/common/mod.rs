//! Test harness: the embedded backends in a temp dir, reached through the real SDK clients.
#![allow(dead_code)]

use aws_lambda_events::s3::{S3Event, S3EventRecord};
use server::{
    services::{Embedded, Settings},
    store::AssetStore,
};
use std::{future::Future, time::Duration};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub embedded: Embedded,
}

impl Env {
    pub async fn start() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let embedded = start_in(dir.path()).await;
        Env { dir, embedded }
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

pub async fn start_in(dir: &std::path::Path) -> Embedded {
    start_with(
        dir,
        Settings {
            table_name: "ferry-test".into(),
            bucket_name: "ferry-test-bucket".into(),
        },
    )
    .await
}

pub async fn start_with(dir: &std::path::Path, settings: Settings) -> Embedded {
    Embedded::start(dir, settings, &["http://127.0.0.1:3000".to_string()])
        .await
        .expect("embedded backends start")
}

/// An S3 notification record as S3 sends it (the key given here is encoded by the caller).
pub fn record(
    name: &str,
    bucket: &str,
    raw_key: &str,
    size: i64,
    etag: &str,
    seq: &str,
) -> S3EventRecord {
    let mut r = S3EventRecord::default();
    r.event_version = Some("2.1".into());
    r.event_source = Some("aws:s3".into());
    r.aws_region = Some("us-east-1".into());
    r.event_time = chrono::Utc::now();
    r.event_name = Some(name.into());
    r.s3.bucket.name = Some(bucket.into());
    r.s3.object.key = Some(raw_key.into());
    if name.starts_with("ObjectCreated") {
        r.s3.object.size = Some(size);
        r.s3.object.e_tag = Some(etag.into());
    }
    r.s3.object.sequencer = Some(seq.into());
    r
}

pub fn notification(records: Vec<S3EventRecord>) -> S3Event {
    let mut e = S3Event::default();
    e.records = records;
    e
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
