//! The asset store's contract, run against the embedded DynamoDB and S3 through the real SDK.

use crate::harness::{eventually, notification, record, TestApp};
use app::api::SortOrder;
use app::domain::{AssetStatus, InvalidFilename};
use app::domain::{Caller, Owner};
use server::{
    notifications::{decode_record, encode_key},
    storage::{EventOutcome, ListQuery, NewAsset, Scope, TableError},
};
use std::collections::HashSet;

/// The arrival rules of the default limits (large enough for every object here).
fn rules() -> app::domain::ArrivalRules {
    server::config::Limits::default().arrival_rules()
}

fn new_asset(env: &TestApp, name: &str) -> NewAsset {
    NewAsset {
        owner: Owner::local(),
        bucket: env.bucket().to_string(),
        filename: Some(name.to_string()),
        content_type: "text/plain".to_string(),
        size: Some(5),
        folder: None,
    }
}

async fn all_ids(env: &TestApp, status: Option<AssetStatus>) -> Vec<String> {
    walk_all(env, status, 100).await.0
}

/// Every asset's id, newest first, read in pages of `limit` (each checked to hold no more)
/// following the next cursors; and how many pages that took.
async fn walk_all(
    env: &TestApp,
    status: Option<AssetStatus>,
    limit: usize,
) -> (Vec<String>, usize) {
    let mut ids = vec![];
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = env
            .store()
            .list(
                Scope::All,
                ListQuery {
                    status,
                    limit: Some(limit),
                    cursor,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        pages += 1;
        assert!(page.items.len() <= limit);
        ids.extend(page.items.iter().map(|a| a.id.to_string()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (ids, pages),
        }
    }
}

#[tokio::test]
async fn create_then_get_by_id_and_by_object() {
    let env = TestApp::start().await;
    let a = env
        .store()
        .create(new_asset(&env, "notes/hello world.txt"))
        .await
        .unwrap();
    assert_eq!(a.status, AssetStatus::Created);
    assert_eq!(
        a.object_key,
        format!("uploads/local/{}/notes/hello world.txt", a.id)
    );
    // Named without its folders (the service makes those, from the same path); the key
    // keeps the path as sent.
    assert_eq!(a.filename, "hello world.txt");
    assert_eq!(a.size, Some(5));
    assert!(a.etag.is_none() && a.sequencer.is_none());

    assert_eq!(env.store().get(a.id).await.unwrap(), a);
    let by_key = eventually(|| async {
        env.store()
            .get_by_object(&Caller::local(), env.bucket(), &a.object_key)
            .await
            .ok()
    })
    .await;
    assert_eq!(by_key, a);
    // No S3 event yet: no object metadata.
    assert!(matches!(
        env.store()
            .object_metadata(&Caller::local(), env.bucket(), &a.object_key)
            .await,
        Err(TableError::NotFound)
    ));
}

#[tokio::test]
async fn unknown_ids_and_keys_are_not_found() {
    let env = TestApp::start().await;
    let id = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
    assert!(matches!(
        env.store().get(id).await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        env.store().mark_uploaded(&Caller::local(), id).await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        env.store().soft_delete(&Caller::local(), id).await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        env.store().restore(&Caller::local(), id).await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        env.store()
            .get_by_object(&Caller::local(), env.bucket(), "nope")
            .await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        env.store()
            .object_metadata(&Caller::local(), env.bucket(), "nope")
            .await,
        Err(TableError::NotFound)
    ));
}

#[tokio::test]
async fn bad_input_is_refused_and_stores_nothing() {
    let env = TestApp::start().await;
    for (name, expected) in [
        ("", InvalidFilename::Empty),
        ("../../etc/passwd", InvalidFilename::BadSegment),
        ("a/../../b", InvalidFilename::BadSegment),
        ("a\u{0}b", InvalidFilename::BadCharacter),
        ("c:\\windows", InvalidFilename::BadCharacter),
    ] {
        match env.store().create(new_asset(&env, name)).await {
            Err(TableError::InvalidFilename(e)) => assert_eq!(e, expected, "{name:?}"),
            other => panic!("{name:?}: {other:?}"),
        }
    }
    let long = "x".repeat(2000);
    assert!(matches!(
        env.store().create(new_asset(&env, &long)).await,
        Err(TableError::InvalidFilename(InvalidFilename::TooLong))
    ));
    for ct in ["", "nonsense", "text/plain\r\nX: y"] {
        let mut n = new_asset(&env, "ok.txt");
        n.content_type = ct.to_string();
        assert!(matches!(
            env.store().create(n).await,
            Err(TableError::InvalidContentType(_))
        ));
    }
    assert!(all_ids(&env, None).await.is_empty(), "nothing was stored");

    // Paging parameters.
    for limit in [0, 101] {
        assert!(matches!(
            env.store()
                .list(
                    Scope::All,
                    ListQuery {
                        limit: Some(limit),
                        ..Default::default()
                    }
                )
                .await,
            Err(TableError::InvalidLimit)
        ));
    }
    assert!(matches!(
        env.store()
            .list(
                Scope::All,
                ListQuery {
                    cursor: Some("garbage".into()),
                    ..Default::default()
                }
            )
            .await,
        Err(TableError::InvalidCursor)
    ));
}

#[tokio::test]
async fn listing_500_assets_in_pages_of_50_is_complete_and_newest_first() {
    let env = TestApp::start().await;
    let mut created = vec![];
    for i in 0..500 {
        let a = env
            .store()
            .create(new_asset(&env, &format!("f{i}.txt")))
            .await
            .unwrap();
        created.push(a.id.to_string());
    }
    created.reverse();
    // Pages of 50, and of 7, where a page's rows crowd into some of the eight shards so
    // that those are read further (a first read asks each shard for two rows).
    for (limit, expected_pages) in [(50, 10), (7, 72)] {
        let (seen, pages) = walk_all(&env, None, limit).await;
        assert_eq!(pages, expected_pages, "full pages, no empty trailing page");
        let unique: HashSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), 500, "no duplicates");
        assert_eq!(seen, created, "newest first, no gaps");
    }

    // A cursor from the unfiltered listing does not continue a filtered one.
    let page = env
        .store()
        .list(
            Scope::All,
            ListQuery {
                limit: Some(50),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(
        env.store()
            .list(
                Scope::All,
                ListQuery {
                    status: Some(AssetStatus::Created),
                    limit: Some(50),
                    cursor: page.next_cursor,
                    ..Default::default()
                }
            )
            .await,
        Err(TableError::CursorMismatch)
    ));
}

#[tokio::test]
async fn every_legal_and_illegal_transition() {
    let env = TestApp::start().await;
    let store = env.store();
    let a = store.create(new_asset(&env, "t.txt")).await.unwrap();

    // CREATED: cannot be confirmed or restored.
    assert!(matches!(
        store.mark_uploaded(&Caller::local(), a.id).await,
        Err(TableError::InvalidTransition {
            from: AssetStatus::Created,
            ..
        })
    ));
    assert!(matches!(
        store.restore(&Caller::local(), a.id).await,
        Err(TableError::InvalidTransition {
            from: AssetStatus::Created,
            ..
        })
    ));

    // CREATED → RECEIVED only through the S3 event.
    let ev = decode_record(&record(
        "ObjectCreated:Put",
        env.bucket(),
        &encode_key(&a.object_key),
        5,
        "abc",
        "0A",
    ))
    .unwrap();
    assert_eq!(
        store.apply_event(&ev, &rules()).await.unwrap(),
        EventOutcome::Applied {
            asset_id: a.id,
            status: AssetStatus::Received
        }
    );
    let received = store.get(a.id).await.unwrap();
    assert_eq!(received.status, AssetStatus::Received);
    assert_eq!(
        (received.size, received.etag.as_deref()),
        (Some(5), Some("abc"))
    );
    assert_eq!(received.sequencer.as_deref(), Some("0A"));
    assert_eq!(received.event_name.as_deref(), Some("ObjectCreated:Put"));
    assert!(received.updated_at >= a.updated_at);

    // RECEIVED → UPLOADED, and UPLOADED → UPLOADED again.
    assert_eq!(
        store
            .mark_uploaded(&Caller::local(), a.id)
            .await
            .unwrap()
            .status,
        AssetStatus::Uploaded
    );
    assert_eq!(
        store
            .mark_uploaded(&Caller::local(), a.id)
            .await
            .unwrap()
            .status,
        AssetStatus::Uploaded
    );

    // UPLOADED → DELETED (soft), idempotent, remembering where it came from.
    let deleted = store.soft_delete(&Caller::local(), a.id).await.unwrap();
    assert_eq!(deleted.status, AssetStatus::Deleted);
    assert_eq!(deleted.deleted_from, Some(AssetStatus::Uploaded));
    let again = store.soft_delete(&Caller::local(), a.id).await.unwrap();
    assert_eq!(again, deleted, "second delete changes nothing");

    // DELETED cannot be confirmed; a new upload event does not revive it.
    assert!(matches!(
        store.mark_uploaded(&Caller::local(), a.id).await,
        Err(TableError::InvalidTransition {
            from: AssetStatus::Deleted,
            ..
        })
    ));
    let ev2 = decode_record(&record(
        "ObjectCreated:Put",
        env.bucket(),
        &encode_key(&a.object_key),
        9,
        "def",
        "0B",
    ))
    .unwrap();
    store.apply_event(&ev2, &rules()).await.unwrap();
    let still = store.get(a.id).await.unwrap();
    assert_eq!(still.status, AssetStatus::Deleted);
    assert_eq!(still.size, Some(9), "metadata follows the newest object");

    // DELETED → restore → UPLOADED; restoring again is illegal.
    let restored = store.restore(&Caller::local(), a.id).await.unwrap();
    assert_eq!(restored.status, AssetStatus::Uploaded);
    assert_eq!(restored.deleted_from, None);
    assert!(matches!(
        store.restore(&Caller::local(), a.id).await,
        Err(TableError::InvalidTransition {
            from: AssetStatus::Uploaded,
            ..
        })
    ));

    // A soft delete from CREATED restores to CREATED.
    let b = store.create(new_asset(&env, "b.txt")).await.unwrap();
    store.soft_delete(&Caller::local(), b.id).await.unwrap();
    assert_eq!(
        store.restore(&Caller::local(), b.id).await.unwrap().status,
        AssetStatus::Created
    );

    // Status filter lists each asset under its current state.
    assert_eq!(
        all_ids(&env, Some(AssetStatus::Uploaded)).await,
        vec![a.id.to_string()]
    );
    assert_eq!(
        all_ids(&env, Some(AssetStatus::Created)).await,
        vec![b.id.to_string()]
    );
    assert!(all_ids(&env, Some(AssetStatus::Deleted)).await.is_empty());
}

#[tokio::test]
async fn foreign_objects_get_a_record_and_removal_hard_deletes_it() {
    let env = TestApp::start().await;
    let key = "imports/2024 report (final).pdf";
    let event = notification(vec![record(
        "ObjectCreated:Put",
        env.bucket(),
        &encode_key(key),
        1234,
        "\"d41d8cd98f00b204e9800998ecf8427e\"",
        "0055AED6DCD90281E5",
    )]);
    let report = env.services().events.handle(&event).await;
    assert!(report.invalid.is_empty() && report.failed.is_empty());
    let a = env
        .store()
        .get_by_object(&Caller::local(), env.bucket(), key)
        .await
        .unwrap();
    assert_eq!(a.status, AssetStatus::Received);
    assert_eq!(a.filename, "2024 report (final).pdf");
    assert_eq!(a.content_type, "application/pdf");
    assert_eq!(a.etag.as_deref(), Some("d41d8cd98f00b204e9800998ecf8427e"));

    let meta = env
        .store()
        .object_metadata(&Caller::local(), env.bucket(), key)
        .await
        .unwrap();
    assert_eq!(meta.size, 1234);
    assert_eq!(meta.object_key, key);
    assert_eq!(meta.event_name, "ObjectCreated:Put");
    assert_eq!(meta.sequencer, "0055AED6DCD90281E5");

    let removal = notification(vec![record(
        "ObjectRemoved:Delete",
        env.bucket(),
        &encode_key(key),
        0,
        "",
        "0055AED6DCD90281E6",
    )]);
    env.services().events.handle(&removal).await;
    assert!(matches!(
        env.store().get(a.id).await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        env.store()
            .object_metadata(&Caller::local(), env.bucket(), key)
            .await,
        Err(TableError::NotFound)
    ));
}

#[tokio::test]
async fn duplicates_and_late_events_never_regress_state() {
    let env = TestApp::start().await;
    let store = env.store();
    let key = "dup.txt";
    let created = |seq: &str, size: i64| {
        decode_record(&record(
            "ObjectCreated:Put",
            env.bucket(),
            key,
            size,
            &format!("etag{size}"),
            seq,
        ))
        .unwrap()
    };
    let removed = |seq: &str| {
        decode_record(&record(
            "ObjectRemoved:Delete",
            env.bucket(),
            key,
            0,
            "",
            seq,
        ))
        .unwrap()
    };

    // Duplicate delivery: the second is stale.
    assert!(matches!(
        store
            .apply_event(&created("0100", 1), &rules())
            .await
            .unwrap(),
        EventOutcome::Applied { .. }
    ));
    assert_eq!(
        store
            .apply_event(&created("0100", 1), &rules())
            .await
            .unwrap(),
        EventOutcome::Stale
    );

    // An older overwrite arriving late does not replace newer metadata.
    assert!(matches!(
        store
            .apply_event(&created("0300", 3), &rules())
            .await
            .unwrap(),
        EventOutcome::Applied { .. }
    ));
    assert_eq!(
        store
            .apply_event(&created("0200", 2), &rules())
            .await
            .unwrap(),
        EventOutcome::Stale
    );
    assert_eq!(
        store
            .object_metadata(&Caller::local(), env.bucket(), key)
            .await
            .unwrap()
            .size,
        3
    );

    // Reordered create/delete: the delete (newer) arrives first, the create (older) after.
    assert!(matches!(
        store.apply_event(&removed("0500"), &rules()).await.unwrap(),
        EventOutcome::Removed { .. }
    ));
    assert_eq!(
        store
            .apply_event(&created("0400", 4), &rules())
            .await
            .unwrap(),
        EventOutcome::Stale
    );
    assert!(matches!(
        store
            .get_by_object(&Caller::local(), env.bucket(), key)
            .await,
        Err(TableError::NotFound)
    ));

    // A genuinely newer upload after the delete brings the record back.
    assert!(matches!(
        store
            .apply_event(&created("0600", 6), &rules())
            .await
            .unwrap(),
        EventOutcome::Applied { .. }
    ));
    assert_eq!(
        store
            .object_metadata(&Caller::local(), env.bucket(), key)
            .await
            .unwrap()
            .size,
        6
    );

    // Shorter sequencers are right-padded: "07" is 0700…, newer than 0600.
    assert!(matches!(
        store
            .apply_event(&created("07", 7), &rules())
            .await
            .unwrap(),
        EventOutcome::Applied { .. }
    ));
    assert_eq!(
        store
            .apply_event(&created("0650", 65), &rules())
            .await
            .unwrap(),
        EventOutcome::Stale
    );

    // Deleting an object Ferry never saw leaves a tombstone that stops older creates.
    let ghost = |name: &str, seq: &str| {
        decode_record(&record(name, env.bucket(), "ghost.bin", 1, "e", seq)).unwrap()
    };
    assert_eq!(
        store
            .apply_event(&ghost("ObjectRemoved:Delete", "0900"), &rules())
            .await
            .unwrap(),
        EventOutcome::Removed { asset_id: None }
    );
    assert_eq!(
        store
            .apply_event(&ghost("ObjectCreated:Put", "0800"), &rules())
            .await
            .unwrap(),
        EventOutcome::Stale
    );
    assert!(matches!(
        store
            .get_by_object(&Caller::local(), env.bucket(), "ghost.bin")
            .await,
        Err(TableError::NotFound)
    ));
}

/// 24 creates and deletes for one new key, applied concurrently in shuffled order.
fn racing_events(env: &TestApp, key: &str, removed_when: u32) -> Vec<server::storage::ObjectEvent> {
    (0..24u32)
        .map(|i| {
            let n = 0x100 + (i * 7919) % 24; // a permutation of 0x100..0x117
            let seq = format!("{n:04X}");
            let name = if n % 3 == removed_when {
                "ObjectRemoved:Delete"
            } else {
                "ObjectCreated:Put"
            };
            decode_record(&record(
                name,
                env.bucket(),
                key,
                i as i64 + 1,
                &format!("e{seq}"),
                &seq,
            ))
            .unwrap()
        })
        .collect()
}

#[tokio::test]
async fn concurrent_events_for_one_key_settle_on_the_newest() {
    let env = TestApp::start().await;
    let store = env.store();

    // The newest (0x117, 279 % 3 == 0) is a create.
    let key = "race/created.bin";
    let events = racing_events(&env, key, 1);
    let newest = events
        .iter()
        .max_by_key(|e| e.sequencer.sort_key())
        .unwrap()
        .clone();
    assert!(matches!(
        newest.kind,
        server::storage::ObjectEventKind::Created { .. }
    ));
    let rules = rules();
    let results =
        futures::future::join_all(events.iter().map(|e| store.apply_event(e, &rules))).await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    let meta = store
        .object_metadata(&Caller::local(), env.bucket(), key)
        .await
        .unwrap();
    assert_eq!(meta.sequencer, newest.sequencer.as_str());
    assert_eq!(format!("e{}", meta.sequencer), meta.etag);
    // Exactly one asset for the key, whatever the interleaving.
    let assets = all_ids(&env, None).await;
    assert_eq!(assets.len(), 1, "{assets:?}");
    let a = store
        .get_by_object(&Caller::local(), env.bucket(), key)
        .await
        .unwrap();
    assert_eq!(a.sequencer.as_deref(), Some(newest.sequencer.as_str()));

    // The newest is a delete: no record and no metadata survive.
    let key = "race/removed.bin";
    let events = racing_events(&env, key, 0);
    let results =
        futures::future::join_all(events.iter().map(|e| store.apply_event(e, &rules))).await;
    for r in &results {
        assert!(r.is_ok(), "{r:?}");
    }
    assert!(matches!(
        store
            .object_metadata(&Caller::local(), env.bucket(), key)
            .await,
        Err(TableError::NotFound)
    ));
    assert!(matches!(
        store
            .get_by_object(&Caller::local(), env.bucket(), key)
            .await,
        Err(TableError::NotFound)
    ));
    assert_eq!(
        all_ids(&env, None).await.len(),
        1,
        "only the first key's asset"
    );
}

#[tokio::test]
async fn every_record_of_a_notification_is_handled_and_keys_are_decoded() {
    let env = TestApp::start().await;
    let keys = [
        "with space.txt",
        "plus+sign.txt",
        "100% done.txt",
        "été/🌊 wave.jpg",
    ];
    let mut records: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            record(
                "ObjectCreated:Put",
                env.bucket(),
                &encode_key(k),
                i as i64 + 10,
                "e",
                &format!("0{}", i + 1),
            )
        })
        .collect();
    // A hand-written encoding, exactly as S3 sends it.
    records.push(record(
        "ObjectCreated:CompleteMultipartUpload",
        env.bucket(),
        "my+holiday+%281%29.png",
        99,
        "abc-3",
        "0A",
    ));
    // Bad records are skipped without stopping the others.
    records.insert(
        2,
        record("ObjectCreated:Put", env.bucket(), "%FF%FE", 1, "e", "0B"),
    );
    records.insert(
        3,
        record(
            "ObjectCreated:Put",
            env.bucket(),
            "bad-seq.txt",
            1,
            "e",
            "not-hex",
        ),
    );
    records.insert(
        4,
        record(
            "ObjectRestore:Completed",
            env.bucket(),
            "x.txt",
            1,
            "e",
            "0C",
        ),
    );

    let report = env.services().events.handle(&notification(records)).await;
    assert_eq!(report.outcomes.len(), 5, "{report:?}");
    assert_eq!(report.invalid.len(), 3, "{report:?}");
    assert!(report.failed.is_empty());
    for (i, k) in keys.iter().enumerate() {
        let meta = env
            .store()
            .object_metadata(&Caller::local(), env.bucket(), k)
            .await
            .unwrap();
        assert_eq!(meta.size, i as u64 + 10, "{k}");
    }
    let mp = env
        .store()
        .get_by_object(&Caller::local(), env.bucket(), "my holiday (1).png")
        .await
        .unwrap();
    assert_eq!(
        mp.event_name.as_deref(),
        Some("ObjectCreated:CompleteMultipartUpload")
    );
    assert_eq!(mp.content_type, "image/png");
}

#[tokio::test]
async fn data_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let first = crate::harness::start_embedded(
        dir.path(),
        server::config::Settings::named("ferry-test", "ferry-test-bucket"),
    )
    .await;
    let bucket = first.services.settings.bucket_name.clone();
    let a = first
        .services
        .store
        .create(NewAsset {
            owner: Owner::local(),
            bucket: bucket.clone(),
            filename: Some("keep.txt".into()),
            content_type: "text/plain".into(),
            size: None,
            folder: None,
        })
        .await
        .unwrap();
    first
        .services
        .objects
        .client()
        .put_object()
        .bucket(&bucket)
        .key(&a.object_key)
        .body(b"kept".to_vec().into())
        .send()
        .await
        .unwrap();
    first.shutdown().await;

    let second = crate::harness::start_embedded(
        dir.path(),
        server::config::Settings::named("ferry-test", "ferry-test-bucket"),
    )
    .await;
    let again = second.services.store.get(a.id).await.unwrap();
    assert_eq!(again.status, AssetStatus::Received);
    assert_eq!(again.size, Some(4));
    let body = second
        .services
        .objects
        .client()
        .get_object()
        .bucket(&bucket)
        .key(&a.object_key)
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert_eq!(&body[..], b"kept");
    second.shutdown().await;
}

/// Walks a listing forwards to the end, then backwards from the last page to the first, and
/// checks both walks see the same pages.
async fn walk(env: &TestApp, query: ListQuery) -> Vec<String> {
    // Every asset here is the local owner's: their listing (one Query a page) and everyone's
    // (one Query per shard, merged) must page alike.
    let mine = walk_in(env, Scope::Owner(Owner::local()), query.clone()).await;
    assert_eq!(walk_in(env, Scope::All, query).await, mine);
    mine
}

async fn walk_in(env: &TestApp, scope: Scope, query: ListQuery) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = vec![];
    let mut cursor = None;
    let last = loop {
        let page = env
            .store()
            .list(
                scope.clone(),
                ListQuery {
                    cursor: cursor.clone(),
                    ..query.clone()
                },
            )
            .await
            .unwrap();
        assert_eq!(page.prev_cursor.is_some(), !pages.is_empty(), "{query:?}");
        pages.push(page.items.iter().map(|a| a.filename.clone()).collect());
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break page,
        }
    };
    let mut back = vec![pages.last().unwrap().clone()];
    let mut cursor = last.prev_cursor;
    while let Some(c) = cursor {
        let page = env
            .store()
            .list(
                scope.clone(),
                ListQuery {
                    cursor: Some(c),
                    ..query.clone()
                },
            )
            .await
            .unwrap();
        assert!(
            page.next_cursor.is_some(),
            "a page read backwards has a next page"
        );
        back.push(page.items.iter().map(|a| a.filename.clone()).collect());
        cursor = page.prev_cursor;
    }
    back.reverse();
    assert_eq!(back, pages, "previous pages are the same pages: {query:?}");
    pages.concat()
}

#[tokio::test]
async fn every_order_pages_both_ways_and_prefix_search_narrows() {
    let env = TestApp::start().await;
    let store = env.store();
    // Created in this order; ties in name order go oldest first.
    let names = [
        "b.txt",
        "Report-2.pdf",
        "a b.txt",
        "report-1.pdf",
        "ab.txt",
        "REPORT-3.PDF",
        "a.txt",
        "zeta.png",
        "Ärger.txt",
        "report-1.pdf",
        "notes.md",
    ];
    let mut ids = vec![];
    for name in names {
        ids.push(store.create(new_asset(&env, name)).await.unwrap().id);
    }
    // Two soft-deleted, to filter on.
    store.soft_delete(&Caller::local(), ids[1]).await.unwrap();
    store.soft_delete(&Caller::local(), ids[6]).await.unwrap();

    let by_name = [
        "a b.txt",
        "a.txt",
        "ab.txt",
        "b.txt",
        "notes.md",
        "report-1.pdf",
        "report-1.pdf",
        "Report-2.pdf",
        "REPORT-3.PDF",
        "zeta.png",
        "Ärger.txt",
    ];
    let newest: Vec<&str> = names.iter().rev().copied().collect();
    let q = |sort: Option<SortOrder>, status, prefix: Option<&str>| ListQuery {
        status,
        limit: Some(3),
        cursor: None,
        sort,
        prefix: prefix.map(str::to_string),
        within: None,
    };
    let rev = |v: &[&str]| v.iter().rev().map(|s| s.to_string()).collect::<Vec<_>>();
    let own = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    assert_eq!(walk(&env, q(None, None, None)).await, own(&newest));
    assert_eq!(
        walk(&env, q(Some(SortOrder::Newest), None, None)).await,
        own(&newest)
    );
    assert_eq!(
        walk(&env, q(Some(SortOrder::Oldest), None, None)).await,
        own(&names)
    );
    assert_eq!(
        walk(&env, q(Some(SortOrder::Name), None, None)).await,
        own(&by_name)
    );
    assert_eq!(
        walk(&env, q(Some(SortOrder::NameDesc), None, None)).await,
        rev(&by_name)
    );

    // Search: case-insensitive prefix, name order by default, either direction.
    let reports = [
        "report-1.pdf",
        "report-1.pdf",
        "Report-2.pdf",
        "REPORT-3.PDF",
    ];
    assert_eq!(walk(&env, q(None, None, Some("rep"))).await, own(&reports));
    assert_eq!(
        walk(&env, q(None, None, Some("REPORT-"))).await,
        own(&reports)
    );
    assert_eq!(
        walk(&env, q(Some(SortOrder::NameDesc), None, Some("Rep"))).await,
        rev(&reports)
    );
    assert_eq!(
        walk(&env, q(None, None, Some("a"))).await,
        own(&["a b.txt", "a.txt", "ab.txt"])
    );
    assert_eq!(
        walk(&env, q(None, None, Some("ä"))).await,
        own(&["Ärger.txt"])
    );
    assert!(walk(&env, q(None, None, Some("zzz"))).await.is_empty());
    assert_eq!(
        walk(&env, q(None, None, Some("notes"))).await,
        own(&["notes.md"])
    );

    // Status filter, in every order, with and without a search.
    let deleted = Some(AssetStatus::Deleted);
    assert_eq!(
        walk(&env, q(None, deleted, None)).await,
        own(&["a.txt", "Report-2.pdf"])
    );
    assert_eq!(
        walk(&env, q(Some(SortOrder::Oldest), deleted, None)).await,
        own(&["Report-2.pdf", "a.txt"])
    );
    assert_eq!(
        walk(&env, q(Some(SortOrder::Name), deleted, None)).await,
        own(&["a.txt", "Report-2.pdf"])
    );
    assert_eq!(
        walk(&env, q(None, deleted, Some("re"))).await,
        own(&["Report-2.pdf"])
    );
    assert_eq!(
        walk(&env, q(None, Some(AssetStatus::Created), Some("re"))).await,
        own(&["report-1.pdf", "report-1.pdf", "REPORT-3.PDF"])
    );

    // Bad searches and cursors from another listing.
    assert!(matches!(
        store
            .list(Scope::All, q(Some(SortOrder::Newest), None, Some("a")))
            .await,
        Err(TableError::SearchNeedsNameOrder)
    ));
    for bad in ["a\u{0}b".to_string(), "x\n".to_string(), "a".repeat(256)] {
        assert!(matches!(
            store.list(Scope::All, q(None, None, Some(&bad))).await,
            Err(TableError::InvalidPrefix)
        ));
    }
    let by_name_page = store
        .list(Scope::All, q(Some(SortOrder::Name), None, None))
        .await
        .unwrap();
    let search_page = store
        .list(Scope::All, q(None, None, Some("rep")))
        .await
        .unwrap();
    for (cursor, other) in [
        (by_name_page.next_cursor.clone(), q(None, None, None)),
        (
            by_name_page.next_cursor.clone(),
            q(Some(SortOrder::NameDesc), None, None),
        ),
        (search_page.next_cursor.clone(), q(None, None, Some("a"))),
        (
            search_page.next_cursor.clone(),
            q(Some(SortOrder::Name), None, None),
        ),
    ] {
        assert!(matches!(
            store.list(Scope::All, ListQuery { cursor, ..other }).await,
            Err(TableError::CursorMismatch)
        ));
    }
}

#[tokio::test]
async fn a_table_from_an_older_ferry_is_upgraded_once_to_the_local_owner_and_owner_indexes() {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement,
        KeyType, Projection, ProjectionType, ScalarAttributeType,
    };
    let env = TestApp::start().await;
    let e = &env.embedded;
    let db = server::aws::dynamodb_client(&server::aws::config_for_endpoint(
        &e.dynamodb_endpoint,
        server::services::Embedded::REGION,
        &e.credentials.access_key,
        &e.credentials.secret_key,
    ));
    // The table as the first release made it: three indexes, no name keys.
    let attr = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |n: &str, k| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(k)
            .build()
            .unwrap()
    };
    let index = |name: &str, keys| {
        GlobalSecondaryIndex::builder()
            .index_name(name)
            .set_key_schema(Some(keys))
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .unwrap()
    };
    db.create_table()
        .table_name("old-ferry")
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(vec![
            attr("pk"),
            attr("list_pk"),
            attr("id"),
            attr("status"),
            attr("object_ref"),
        ]))
        .key_schema(key("pk", KeyType::Hash))
        .global_secondary_indexes(index(
            "by_created",
            vec![key("list_pk", KeyType::Hash), key("id", KeyType::Range)],
        ))
        .global_secondary_indexes(index(
            "by_status",
            vec![key("status", KeyType::Hash), key("id", KeyType::Range)],
        ))
        .global_secondary_indexes(index("by_object", vec![key("object_ref", KeyType::Hash)]))
        .send()
        .await
        .unwrap();
    let ids = ["01JDQ7ZK3M5X9V2B8N4C6T1R0W", "01JDQ7ZK3M5X9V2B8N4C6T1R0X"];
    for (id, name) in ids.iter().zip(["Zebra.txt", "apple.txt"]) {
        let s = |v: &str| AttributeValue::S(v.to_string());
        db.put_item()
            .table_name("old-ferry")
            .item("pk", s(&format!("ASSET#{id}")))
            .item("kind", s("asset"))
            .item("list_pk", s("ASSET"))
            .item("id", s(id))
            .item("bucket", s("b"))
            .item("object_key", s(&format!("uploads/{id}/{name}")))
            .item("object_ref", s(&format!("b/uploads/{id}/{name}")))
            .item("filename", s(name))
            .item("content_type", s("text/plain"))
            .item("status", s("CREATED"))
            .item("created_at", s("2026-01-01T00:00:00.000Z"))
            .item("updated_at", s("2026-01-01T00:00:00.000Z"))
            // Still waiting for its file: abandoned at this time (the TTL attribute).
            .item("expires_at", AttributeValue::N("4102444800".into()))
            .send()
            .await
            .unwrap();
    }

    // An object item as older Ferrys wrote them: no owner.
    let s = |v: &str| AttributeValue::S(v.to_string());
    let zebra_key = format!("uploads/{}/Zebra.txt", ids[0]);
    db.put_item()
        .table_name("old-ferry")
        .item("pk", s(&format!("OBJECT#b/{zebra_key}")))
        .item("kind", s("object"))
        .item("bucket", s("b"))
        .item("object_key", s(&zebra_key))
        .item("asset_id", s(ids[0]))
        .item("seq_key", s(&"0A".repeat(32)))
        .item("present", AttributeValue::Bool(true))
        .item("size", AttributeValue::N("5".into()))
        .item("etag", s("e"))
        .item("event_time", s("2026-01-01T00:00:00.000Z"))
        .item("event_name", s("ObjectCreated:Put"))
        .item("sequencer", s("0A"))
        .send()
        .await
        .unwrap();

    let store = server::storage::AssetStore::new(
        db.clone(),
        "old-ferry",
        server::keys::ServerKey::ephemeral().cursors(),
    );
    store.ensure_table().await.unwrap();
    let described = db
        .describe_table()
        .table_name("old-ferry")
        .send()
        .await
        .unwrap();
    let mut names: Vec<_> = described
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .filter_map(|g| g.index_name())
        .collect();
    names.sort();
    let mut want: Vec<_> = server::storage::INDEXES.iter().map(|i| i.name).collect();
    want.sort();
    assert_eq!(names, want, "the owner indexes replace the old ones");
    assert!(names
        .iter()
        .all(|n| !server::storage::RETIRED_INDEXES.contains(n)));
    let by_name = |sort, status, prefix: Option<&str>| ListQuery {
        sort: Some(sort),
        status,
        prefix: prefix.map(str::to_string),
        ..Default::default()
    };
    let names_of =
        |p: server::storage::Page| p.items.into_iter().map(|a| a.filename).collect::<Vec<_>>();
    let local = || Scope::Owner(Owner::local());
    let page = store
        .list(local(), by_name(SortOrder::Name, None, None))
        .await
        .unwrap();
    assert_eq!(names_of(page), ["apple.txt", "Zebra.txt"]);
    let page = store
        .list(
            local(),
            by_name(SortOrder::Name, Some(AssetStatus::Created), Some("ZE")),
        )
        .await
        .unwrap();
    assert_eq!(names_of(page), ["Zebra.txt"]);
    let page = store
        .list(Scope::All, by_name(SortOrder::Name, None, None))
        .await
        .unwrap();
    assert_eq!(names_of(page), ["apple.txt", "Zebra.txt"]);
    let page = store
        .list(Scope::Unowned, ListQuery::default())
        .await
        .unwrap();
    assert!(page.items.is_empty(), "nothing was left without an owner");
    // The assets are the local owner's; nothing else about them changed.
    let a = store.get(ids[0].parse().unwrap()).await.unwrap();
    assert_eq!(
        (a.filename.as_str(), a.status, a.owner.clone()),
        ("Zebra.txt", AssetStatus::Created, Some(Owner::local()))
    );
    assert_eq!(a.object_key, zebra_key, "keys of older uploads stay");
    let raw = db
        .get_item()
        .table_name("old-ferry")
        .key("pk", s(&format!("ASSET#{}", ids[0])))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert!(!raw.contains_key("list_pk"), "{raw:?}");
    assert_eq!(raw["owner_pk"], s("OWNER#local"));
    // At the owner's top level (a folder listing finds them), still to be abandoned when
    // their files do not come.
    assert_eq!(raw["folder_pk"], s("IN#local#ROOT"));
    assert_eq!(raw["expires_at"], AttributeValue::N("4102444800".into()));
    let top = store
        .list(
            Scope::Folder(Owner::local(), None),
            by_name(SortOrder::Name, None, None),
        )
        .await
        .unwrap();
    assert_eq!(names_of(top), ["apple.txt", "Zebra.txt"]);
    // The object item is the local owner's too: only it (or an administrator) sees it.
    let local_user = Caller {
        owner: Owner::local(),
        admin: false,
    };
    let bob = Caller {
        owner: Owner::parse("bob").unwrap(),
        admin: false,
    };
    assert!(store
        .object_metadata(&local_user, "b", &zebra_key)
        .await
        .is_ok());
    assert!(matches!(
        store.object_metadata(&bob, "b", &zebra_key).await,
        Err(TableError::NotFound)
    ));
    // A second start has nothing to do.
    store.ensure_table().await.unwrap();
    assert_eq!(store.get(a.id).await.unwrap(), a);
    let page = store.list(local(), ListQuery::default()).await.unwrap();
    assert_eq!(page.items.len(), 2);
}

#[tokio::test]
async fn another_owners_asset_is_not_found_and_unchanged() {
    let env = TestApp::start().await;
    let store = env.store();
    let alice = Caller {
        owner: Owner::parse("alice").unwrap(),
        admin: false,
    };
    let bob = Caller {
        owner: Owner::parse("bob").unwrap(),
        admin: false,
    };
    let a = store
        .create(NewAsset {
            owner: alice.owner.clone(),
            ..new_asset(&env, "hers.txt")
        })
        .await
        .unwrap();
    assert_eq!(a.owner, Some(alice.owner.clone()));
    assert_eq!(a.object_key, format!("uploads/alice/{}/hers.txt", a.id));
    let not_found = |r: Result<_, TableError>| matches!(r, Err(TableError::NotFound));
    assert!(not_found(store.get_for(&bob, a.id).await));
    assert!(not_found(store.soft_delete(&bob, a.id).await));
    assert!(not_found(store.mark_uploaded(&bob, a.id).await));
    assert!(not_found(store.restore(&bob, a.id).await));
    assert!(not_found(
        store.get_by_object(&bob, env.bucket(), &a.object_key).await
    ));
    assert_eq!(store.get(a.id).await.unwrap(), a, "nothing changed");
    // Its owner and administrators reach it.
    assert_eq!(store.get_for(&alice, a.id).await.unwrap(), a);
    let deleted = store.soft_delete(&Caller::local(), a.id).await.unwrap();
    assert_eq!(deleted.status, AssetStatus::Deleted);
    assert_eq!(deleted.owner, a.owner, "the owner never changes");
    let restored = store.restore(&alice, a.id).await.unwrap();
    assert_eq!(restored.status, AssetStatus::Created);
    // Listings: each owner's partition, status partitions included.
    let mine = |c: &Caller| Scope::Owner(c.owner.clone());
    let created = ListQuery {
        status: Some(AssetStatus::Created),
        ..Default::default()
    };
    let page = store.list(mine(&alice), created.clone()).await.unwrap();
    assert_eq!(page.items, std::slice::from_ref(&restored));
    assert!(store
        .list(mine(&bob), created.clone())
        .await
        .unwrap()
        .items
        .is_empty());
    let deleted_only = ListQuery {
        status: Some(AssetStatus::Deleted),
        ..Default::default()
    };
    assert!(
        store
            .list(mine(&alice), deleted_only)
            .await
            .unwrap()
            .items
            .is_empty(),
        "a restored asset leaves its owner's DELETED partition"
    );
    let all = store.list(Scope::All, created).await.unwrap();
    assert!(all.items.contains(&restored));
}

/// Every asset the store holds, whatever its owner or bucket.
async fn everything(env: &TestApp) -> Vec<String> {
    let mut all = all_ids(env, None).await;
    all.sort();
    all
}

#[tokio::test]
async fn events_for_another_bucket_are_skipped_not_applied() {
    let env = TestApp::start().await;
    let ours = "uploads/local/01J0000000000000000000000A/a.txt";
    let event = notification(vec![
        record("ObjectCreated:Put", "someone-elses", "x.txt", 5, "e", "0A"),
        record(
            "ObjectCreated:Put",
            env.bucket(),
            &encode_key("theirs.txt"),
            5,
            "e",
            "0B",
        ),
        record("ObjectRemoved:Delete", "someone-elses", ours, 0, "", "0C"),
    ]);
    let report = env.services().events.handle(&event).await;
    assert_eq!(
        report.foreign,
        vec![
            (0, "someone-elses".to_string()),
            (2, "someone-elses".to_string())
        ],
        "{report:?}"
    );
    assert_eq!(report.outcomes.len(), 1, "{report:?}");
    assert!(report.invalid.is_empty() && report.failed.is_empty());
    assert!(matches!(
        env.store()
            .get_by_object(&Caller::local(), "someone-elses", "x.txt")
            .await,
        Err(TableError::NotFound)
    ));
    assert_eq!(everything(&env).await.len(), 1);
}

#[tokio::test]
async fn the_embedded_s3_records_nothing_for_another_bucket() {
    let env = TestApp::start().await;
    let before = everything(&env).await;
    // Someone with the embedded S3's credentials makes a bucket of their own and writes to it.
    env.s3()
        .create_bucket()
        .bucket("someone-elses")
        .send()
        .await
        .unwrap();
    env.s3()
        .put_object()
        .bucket("someone-elses")
        .key("uploads/local/notes.txt")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    // The event is handled before S3 answers: nothing was recorded.
    assert_eq!(everything(&env).await, before);
    assert!(matches!(
        env.store()
            .get_by_object(&Caller::local(), "someone-elses", "uploads/local/notes.txt")
            .await,
        Err(TableError::NotFound)
    ));
    // The same object in Ferry's bucket is recorded (the test would pass vacuously otherwise).
    env.s3()
        .put_object()
        .bucket(env.bucket())
        .key("uploads/local/notes.txt")
        .body(b"hello".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(everything(&env).await.len(), before.len() + 1);
}
