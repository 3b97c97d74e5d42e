//! `ferry reconcile` against the embedded backends: the table and the bucket are made to
//! disagree behind Ferry's back, as lost S3 events and other tools leave them, and one run
//! repairs every case, a second finds nothing, a dry run changes nothing, and a real event
//! that lands while a run is under way is never undone.

use crate::harness::TestApp;
use app::domain::{Asset, AssetStatus, Caller};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_s3::primitives::ByteStream;
use axum::http::StatusCode;
use serde_json::json;
use server::{
    reconcile::{Counts, Done, Reconciler, Repair},
    storage::TableError,
};

async fn asset_of(env: &TestApp, key: &str) -> Result<Asset, TableError> {
    env.store()
        .get_by_object(&Caller::local(), env.bucket(), key)
        .await
}

/// Deletes an object's records (its asset and its object item), as if its creation event
/// had never been delivered.
async fn lose_records(env: &TestApp, id: &str, key: &str) {
    let table = &env.services().settings.table_name;
    for pk in [
        format!("ASSET#{id}"),
        format!("OBJECT#{}/{key}", env.bucket()),
    ] {
        env.dynamodb()
            .delete_item()
            .table_name(table)
            .key("pk", AttributeValue::S(pk))
            .send()
            .await
            .unwrap();
    }
}

/// Writes an object's bytes where the embedded S3 keeps them, with no event.
fn write_behind_the_back(env: &TestApp, key: &str, bytes: &[u8]) {
    let path = env.object_file(key);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

async fn put(env: &TestApp, key: &str, bytes: &[u8]) {
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key(key)
        .body(ByteStream::from(bytes.to_vec()))
        .send()
        .await
        .unwrap();
}

async fn run(env: &TestApp, dry_run: bool) -> (Counts, Vec<String>) {
    let mut lines = Vec::new();
    let counts = Reconciler::new(env.services())
        .run(dry_run, |repair, done| {
            lines.push(format!("{repair} => {done:?}"))
        })
        .await
        .unwrap();
    (counts, lines)
}

#[tokio::test]
async fn every_kind_of_drift_is_repaired_once() {
    let env = TestApp::start().await;
    // An upload whose record was lost (a lost create event).
    let (lost_id, lost_key) = env.upload("lost-create.txt", b"abcd").await;
    lose_records(&env, &lost_id, &lost_key).await;
    assert!(matches!(
        asset_of(&env, &lost_key).await,
        Err(TableError::NotFound)
    ));
    // An upload whose object went without its remove event.
    let (gone_id, gone_key) = env.upload("lost-remove.txt", b"xyz").await;
    std::fs::remove_file(env.object_file(&gone_key)).unwrap();
    // An upload stuck in CREATED although its object arrived.
    let ticket = env
        .post_json(
            "/asset",
            &json!({"filename": "stuck.txt", "content_type": "text/plain", "size": 5}).to_string(),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{}", ticket.raw);
    let stuck_key = ticket.body["object_key"].as_str().unwrap().to_string();
    write_behind_the_back(&env, &stuck_key, b"12345");
    assert_eq!(
        asset_of(&env, &stuck_key).await.unwrap().status,
        AssetStatus::Created
    );
    // An object another tool wrote, which no event announced.
    write_behind_the_back(&env, "elsewhere/report.csv", b"a,b\n1,2\n");
    // A confirmed upload that is just fine.
    let (fine_id, fine_key) = env.upload("fine.txt", b"fine").await;

    let (dry, lines) = run(&env, true).await;
    assert_eq!((dry.objects, dry.records), (4, 2), "{dry:?}");
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert_eq!(dry.recorded + dry.forgotten + dry.unchanged + dry.failed, 0);
    assert!(
        matches!(asset_of(&env, &lost_key).await, Err(TableError::NotFound)),
        "a dry run changes nothing"
    );

    let (counts, lines) = run(&env, false).await;
    assert_eq!(
        (
            counts.recorded,
            counts.forgotten,
            counts.unchanged,
            counts.failed
        ),
        (3, 1, 0, 0),
        "{lines:#?}"
    );
    let lost = asset_of(&env, &lost_key).await.unwrap();
    assert_eq!((lost.status, lost.size), (AssetStatus::Received, Some(4)));
    assert_eq!(lost.id.to_string(), lost_id, "the key names its asset");
    assert_eq!(lost.event_name.as_deref(), Some("ObjectCreated:Reconciled"));
    assert_eq!(
        env.get(&format!("/asset/{gone_id}")).await.status,
        StatusCode::NOT_FOUND
    );
    let stuck = asset_of(&env, &stuck_key).await.unwrap();
    assert_eq!((stuck.status, stuck.size), (AssetStatus::Received, Some(5)));
    let other = asset_of(&env, "elsewhere/report.csv").await.unwrap();
    assert_eq!((other.status, other.owner), (AssetStatus::Received, None));
    assert_eq!(other.filename, "report.csv");
    let fine = asset_of(&env, &fine_key).await.unwrap();
    assert_eq!(
        (fine.id.to_string(), fine.status),
        (fine_id, AssetStatus::Received)
    );

    let (again, lines) = run(&env, false).await;
    assert!(lines.is_empty(), "a second run finds nothing: {lines:#?}");
    assert_eq!((again.objects, again.records), (4, 4));
}

#[tokio::test]
async fn a_real_event_during_a_run_is_never_undone() {
    let env = TestApp::start().await;
    // Unrecorded, then written again through S3 (its event lands) before the repair.
    write_behind_the_back(&env, "elsewhere/late.txt", b"old");
    // Recorded but its object gone, then uploaded again before the repair.
    let (_, back_key) = env.upload("back.txt", b"first").await;
    std::fs::remove_file(env.object_file(&back_key)).unwrap();
    // Its record lost, then removed through S3 (its event lands) before the repair.
    let (lost_id, removed_key) = env.upload("removed.txt", b"bye").await;
    lose_records(&env, &lost_id, &removed_key).await;

    let reconciler = Reconciler::new(env.services());
    let survey = reconciler.survey().await.unwrap();
    assert_eq!(survey.repairs.len(), 3, "{:#?}", survey.repairs);

    put(&env, "elsewhere/late.txt", b"newer bytes").await;
    put(&env, &back_key, b"second").await;
    env.s3()
        .delete_object()
        .bucket(env.bucket())
        .key(&removed_key)
        .send()
        .await
        .unwrap();

    for repair in &survey.repairs {
        let done = reconciler.repair(repair).await.unwrap();
        assert!(matches!(done, Done::Unchanged(_)), "{repair}: {done:?}");
    }
    let late = asset_of(&env, "elsewhere/late.txt").await.unwrap();
    assert_eq!(late.size, Some(11), "the real event's size stays");
    assert_ne!(late.event_name.as_deref(), Some("ObjectCreated:Reconciled"));
    let back = asset_of(&env, &back_key).await.unwrap();
    assert_eq!(back.size, Some(6));
    assert!(matches!(
        asset_of(&env, &removed_key).await,
        Err(TableError::NotFound)
    ));
    // And a repair that S3's own late event follows: the event still applies.
    let survey = reconciler.survey().await.unwrap();
    assert!(survey.repairs.is_empty(), "{:#?}", survey.repairs);
    let _: Option<&Repair> = survey.repairs.first();
}

/// `ferry reconcile <args>` on `data_dir`: its exit status and what it printed.
fn ferry_reconcile(data_dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ferry"))
        .arg("reconcile")
        .args(args)
        .env("FERRY_DATA_DIR", data_dir)
        .env("RUST_LOG", "error")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (out.status.success(), text)
}

#[test]
fn the_command_prints_each_repair_and_the_counts_and_a_dry_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = ferry_reconcile(dir.path(), &[]);
    assert!(ok, "{out}");
    assert!(out.contains("0 objects in the bucket, 0 records"), "{out}");
    let file = dir.path().join("s3/ferry-uploads/elsewhere/notes.txt");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "written by another tool").unwrap();

    for _ in 0..2 {
        let (ok, out) = ferry_reconcile(dir.path(), &["--dry-run"]);
        assert!(ok, "{out}");
        assert!(
            out.contains("would record elsewhere/notes.txt (23 bytes)"),
            "{out}"
        );
        assert!(out.contains("recorded 0"), "{out}");
    }
    let (ok, out) = ferry_reconcile(dir.path(), &[]);
    assert!(ok, "{out}");
    assert!(out.contains("record elsewhere/notes.txt"), "{out}");
    assert!(
        out.contains("1 objects in the bucket, 0 records holding one; recorded 1,"),
        "{out}"
    );
    let (ok, out) = ferry_reconcile(dir.path(), &[]);
    assert!(ok, "{out}");
    assert_eq!(
        out.trim(),
        "1 objects in the bucket, 1 records holding one; recorded 0, rejected 0, forgot 0, \
         expired 0, unchanged 0, failed 0"
    );
}

async fn status(env: &TestApp, id: &str) -> AssetStatus {
    env.store().get(id.parse().unwrap()).await.unwrap().status
}

/// The TTL attribute of an asset's item, if it has one.
async fn expires_at(env: &TestApp, id: &str) -> Option<i64> {
    let item = env
        .dynamodb()
        .get_item()
        .table_name(&env.services().settings.table_name)
        .key("pk", AttributeValue::S(format!("ASSET#{id}")))
        .send()
        .await
        .unwrap()
        .item?;
    match item.get(server::storage::TTL_ATTRIBUTE)? {
        AttributeValue::N(n) => n.parse().ok(),
        _ => None,
    }
}

async fn ticket(env: &TestApp, name: &str, size: usize) -> (String, String) {
    let r = env
        .post_json(
            "/asset",
            &json!({"filename": name, "content_type": "text/plain", "size": size}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    let field = |f: &str| r.body[f].as_str().unwrap().to_string();
    (field("id"), field("object_key"))
}

#[tokio::test]
async fn abandoned_uploads_expire_and_nothing_that_has_its_bytes_does() {
    let env = TestApp::with_limits(server::config::Limits {
        upload_ttl: std::time::Duration::from_secs(1),
        upload_grace: std::time::Duration::ZERO,
        ..server::config::Limits::default()
    })
    .await;
    // A ticket nobody used.
    let (single, _) = ticket(&env, "never-sent.txt", 10).await;
    let ttl = expires_at(&env, &single)
        .await
        .expect("a waiting upload expires");
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now..=now + 2).contains(&ttl),
        "URL lifetime + grace: {ttl} vs {now}"
    );
    // A multipart upload with one of its two parts sent, then left.
    let size = 9 * 1024 * 1024;
    let r = env
        .post_json(
            "/api/start_multipart",
            &json!({"upload": {"filename": "left.bin", "content_type": "application/octet-stream", "size": size}})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let (multi, upload_id, multi_key) = (
        r.body["id"].as_str().unwrap().to_string(),
        r.body["upload_id"].as_str().unwrap().to_string(),
        r.body["object_key"].as_str().unwrap().to_string(),
    );
    let part = 8 * 1024 * 1024;
    let s = env
        .post_json(
            "/api/sign_part",
            &json!({"id": multi, "upload_id": upload_id, "part_number": 1, "size": part})
                .to_string(),
        )
        .await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.raw);
    let put = reqwest::Client::new()
        .put(s.body["url"].as_str().unwrap())
        .body(vec![7u8; part])
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    // An upload that arrived (recorded), and one that arrived but whose event was lost.
    let (kept, _) = env.upload("kept.txt", b"kept").await;
    assert_eq!(
        expires_at(&env, &kept).await,
        None,
        "an arrived file never expires"
    );
    let (lost, lost_key) = ticket(&env, "arrived.txt", 7).await;
    write_behind_the_back(&env, &lost_key, b"arrived");

    tokio::time::sleep(std::time::Duration::from_millis(2_200)).await;
    // A live upload, just started.
    let (live, _) = ticket(&env, "live.txt", 3).await;

    let reconciler = Reconciler::new(env.services());
    let mut seen = Vec::new();
    let counts = reconciler
        .expire_abandoned(|repair, done| seen.push(format!("{repair} => {done:?}")))
        .await
        .unwrap();
    assert_eq!(
        (counts.expired, counts.unchanged, counts.failed),
        (2, 1, 0),
        "{seen:#?}"
    );
    for gone in [&single, &multi] {
        assert_eq!(
            env.get(&format!("/asset/{gone}")).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let parts = env
        .s3()
        .list_parts()
        .bucket(env.bucket())
        .key(&multi_key)
        .upload_id(&upload_id)
        .send()
        .await;
    assert!(
        parts.is_err(),
        "the multipart upload was aborted: {parts:?}"
    );
    assert_eq!(status(&env, &live).await, AssetStatus::Created);
    assert_eq!(status(&env, &kept).await, AssetStatus::Received);
    assert_eq!(
        status(&env, &lost).await,
        AssetStatus::Created,
        "its bytes are there"
    );
    // The full run then records the one whose event was lost, and expires nothing more.
    let (counts, lines) = run(&env, false).await;
    assert_eq!((counts.recorded, counts.expired), (1, 0), "{lines:#?}");
    assert_eq!(status(&env, &lost).await, AssetStatus::Received);
    assert_eq!(expires_at(&env, &lost).await, None);
}
