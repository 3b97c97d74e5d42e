//! `kill -9` during a burst of uploads: no half-written record, and every upload S3
//! acknowledged is recorded (the embedded S3 answers only after its event is applied), with
//! either `FERRY_DURABILITY`.

use aws_sdk_dynamodb::types::AttributeValue;
use server::{aws, config::Settings};
use std::{
    collections::HashMap,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_leaves_consistent_durable_records() {
    killed_during_uploads("process").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_flushing_every_commit_leaves_them_too() {
    killed_during_uploads("power").await;
}

async fn killed_during_uploads(durability: &str) {
    let dir = tempfile::tempdir().unwrap();
    let mut ferry =
        crate::harness::FerryProcess::spawn_with(dir.path(), &[("FERRY_DURABILITY", durability)])
            .await;
    let s3 = ferry.s3_client();

    // Upload in 8 parallel streams until the server dies under them.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sent = Arc::new(AtomicUsize::new(0));
    let mut workers = vec![];
    for w in 0..8 {
        let (s3, acknowledged, sent) = (s3.clone(), acknowledged.clone(), sent.clone());
        workers.push(tokio::spawn(async move {
            for i in 0..500 {
                let key = format!("crash/w{w}/object {i}.bin");
                sent.fetch_add(1, Ordering::SeqCst);
                let put = s3
                    .put_object()
                    .bucket(Settings::DEFAULT_BUCKET)
                    .key(&key)
                    .body(vec![w as u8; 1024 + i].into())
                    .send()
                    .await;
                match put {
                    Ok(_) => acknowledged.lock().unwrap().push(key),
                    Err(_) => return, // the server is gone
                }
            }
        }));
    }
    while acknowledged.lock().unwrap().len() < 60 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ferry.child.kill().unwrap(); // SIGKILL: no shutdown code runs
    ferry.child.wait().unwrap();
    for w in workers {
        let _ = w.await;
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        sent.load(Ordering::SeqCst) > acknowledged.len(),
        "the kill interrupted uploads"
    );

    // Reopen the same data dir and check every item of the table.
    let env = crate::harness::start_embedded(
        dir.path(),
        Settings::named(Settings::DEFAULT_TABLE, Settings::DEFAULT_BUCKET),
    )
    .await;
    let db = aws::dynamodb_client(&aws::config_for_endpoint(
        &env.dynamodb_endpoint,
        "us-east-1",
        &env.credentials.access_key,
        &env.credentials.secret_key,
    ));
    // A test-only full read of the table (the app itself never Scans).
    let mut items = vec![];
    let mut start = None;
    loop {
        let out = db
            .scan()
            .table_name(Settings::DEFAULT_TABLE)
            .set_exclusive_start_key(start)
            .send()
            .await
            .unwrap();
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    let s = |item: &HashMap<String, AttributeValue>, k: &str| {
        item.get(k).and_then(|v| v.as_s().ok()).cloned()
    };
    let assets: Vec<_> = items
        .iter()
        .filter(|i| s(i, "kind").as_deref() == Some("asset"))
        .collect();
    let objects: HashMap<String, _> = items
        .iter()
        .filter(|i| s(i, "kind").as_deref() == Some("object"))
        .map(|i| (s(i, "object_key").unwrap(), i))
        .collect();

    // Every acknowledged upload has its record, complete.
    for key in &acknowledged {
        let a = env
            .services
            .store
            .get_by_object(&app::domain::Caller::local(), Settings::DEFAULT_BUCKET, key)
            .await;
        let a = a.unwrap_or_else(|e| panic!("acknowledged upload {key} lost: {e}"));
        assert_eq!(a.status, app::domain::AssetStatus::Received);
        assert!(
            a.size.is_some() && a.etag.is_some() && a.sequencer.is_some(),
            "{a:?}"
        );
    }
    // Asset and object items always come in pairs that agree.
    for a in &assets {
        let key = s(a, "object_key").unwrap();
        let o = objects
            .get(&key)
            .unwrap_or_else(|| panic!("asset without object item: {key}"));
        assert_eq!(s(o, "asset_id"), s(a, "id"));
        assert_eq!(s(o, "sequencer"), s(a, "sequencer"));
    }
    for (key, o) in &objects {
        if o.get("present").and_then(|v| v.as_bool().ok()) == Some(&true) {
            assert!(assets
                .iter()
                .any(|a| s(a, "object_key").as_deref() == Some(key.as_str())));
        }
    }
    assert!(assets.len() >= acknowledged.len());
    // Stored objects are whole: each recorded size is the size S3 has.
    for a in &assets {
        let key = s(a, "object_key").unwrap();
        let head = env
            .services
            .objects
            .client()
            .head_object()
            .bucket(Settings::DEFAULT_BUCKET)
            .key(&key)
            .send()
            .await
            .unwrap();
        let recorded: i64 = a["size"].as_n().unwrap().parse().unwrap();
        assert_eq!(head.content_length(), Some(recorded), "{key}");
    }
    env.shutdown().await;
}
