//! Folders (`/folder`, `GET /asset?folder=`, `POST /asset/bulk/move`, uploads with a
//! `folder`): one Query a page of a folder's listing, folder drops landing in nested folders
//! made once, moves and renames that never touch an object, deletion of empty folders only,
//! search in a folder and its subfolders, and every kind of bad input refused.

use crate::harness::{put_as_told, user, Client, TestApp, UNKNOWN_ID};
use app::domain::{FolderId, Owner};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use server::storage::{AssetStore, ListQuery, Scope};
use std::sync::{
    atomic::{AtomicUsize, Ordering},
    Arc,
};

async fn new_folder(c: &Client, name: &str, parent: &str) -> String {
    let r = c
        .post_json(
            "/folder",
            &json!({"name": name, "parent": parent}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    r.body["folder_id"].as_str().unwrap().to_string()
}

/// Uploads `name` (a relative path) into `folder`; returns the ticket.
async fn upload_into(c: &Client, name: &str, folder: &str) -> Value {
    let bytes = name.as_bytes().to_vec();
    let r = c
        .post_json(
            "/asset",
            &json!({"filename": name, "content_type": "text/plain", "size": bytes.len(), "folder": folder})
                .to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.raw);
    assert_eq!(put_as_told(&r.body, bytes).await.status(), 200);
    r.body
}

fn names(page: &Value) -> (Vec<String>, Vec<String>) {
    let list = |k: &str, field: &str| {
        page[k]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v[field].as_str().unwrap().to_string())
            .collect()
    };
    (list("folders", "name"), list("items", "filename"))
}

/// Counts the DynamoDB operations a client sends, by name.
#[derive(Debug, Default)]
struct Calls {
    queries: AtomicUsize,
    all: AtomicUsize,
}

#[derive(Debug)]
struct Counting(Arc<Calls>);

impl aws_sdk_dynamodb::config::Intercept for Counting {
    fn name(&self) -> &'static str {
        "Counting"
    }

    fn read_before_transmit(
        &self,
        context: &aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef<'_>,
        _: &aws_sdk_dynamodb::config::RuntimeComponents,
        _: &mut aws_sdk_dynamodb::config::ConfigBag,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let target = context
            .request()
            .headers()
            .get("x-amz-target")
            .unwrap_or("");
        if target.ends_with(".Query") {
            self.0.queries.fetch_add(1, Ordering::SeqCst);
        }
        self.0.all.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_lists_its_folders_then_its_files_one_query_a_page() {
    let app = TestApp::start().await;
    let me = app.as_caller(user("ann"));
    let docs = new_folder(&me, "Docs", "root").await;
    new_folder(&me, "b-sub", &docs).await;
    new_folder(&me, "A-sub", &docs).await;
    for n in ["c.txt", "a.txt", "e.txt", "b.txt", "d.txt"] {
        upload_into(&me, n, &docs).await;
    }
    upload_into(&me, "top.txt", "root").await;

    // The top level: Docs and top.txt only.
    let root = me.get("/asset?folder=root&sort=name").await;
    assert_eq!(root.status, StatusCode::OK, "{}", root.raw);
    assert_eq!(
        names(&root.body),
        (vec!["Docs".into()], vec!["top.txt".into()])
    );
    assert_eq!(root.body["folder"], Value::Null);

    // Docs by name, three rows a page: its folders first, then its files.
    let mut pages = vec![];
    let mut uri = format!("/asset?folder={docs}&sort=name&limit=3");
    loop {
        let r = me.get(&uri).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
        let trail: Vec<_> = r.body["folder"]["trail"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(trail, ["Docs"]);
        pages.push(names(&r.body));
        match r.body["next_cursor"].as_str() {
            Some(c) => uri = format!("/asset?folder={docs}&sort=name&limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(
        pages,
        [
            (vec!["A-sub".into(), "b-sub".into()], vec!["a.txt".into()]),
            (vec![], vec!["b.txt".into(), "c.txt".into(), "d.txt".into()]),
            (vec![], vec!["e.txt".into()]),
        ]
    );
    // Newest first: the files (and folders) in the order they were made, newest first.
    let newest = me.get(&format!("/asset?folder={docs}")).await;
    assert_eq!(
        names(&newest.body).1,
        ["d.txt", "b.txt", "e.txt", "a.txt", "c.txt"]
    );

    // Every page of the listing is one Query, whatever the page.
    let calls = Arc::new(Calls::default());
    let db = aws_sdk_dynamodb::Client::from_conf(
        app.dynamodb()
            .config()
            .to_builder()
            .interceptor(Counting(calls.clone()))
            .build(),
    );
    let key = server::keys::ServerKey::from_secret(&[9; 32]).cursors();
    let store = AssetStore::new(db, app.store().table(), key);
    let owner = Owner::parse("ann").unwrap();
    let docs_id: FolderId = docs.parse().unwrap();
    let mut cursor = None;
    let mut rows = 0;
    for page in 1.. {
        let before = calls.all.load(Ordering::SeqCst);
        let p = store
            .list(
                Scope::Folder(owner.clone(), Some(docs_id)),
                ListQuery {
                    limit: Some(2),
                    cursor: cursor.clone(),
                    sort: Some(app::api::SortOrder::Name),
                    ..ListQuery::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(calls.all.load(Ordering::SeqCst) - before, 1, "page {page}");
        rows += p.items.len() + p.folders.len();
        cursor = p.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(rows, 7);
    assert_eq!(calls.queries.load(Ordering::SeqCst), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_drop_lands_in_nested_folders_made_once() {
    let app = TestApp::start().await;
    let me = app.as_caller(user("ann"));
    let inbox = new_folder(&me, "Inbox", "root").await;
    // Four files of one dropped folder, uploaded at once: `trip` and `trip/day 1` are
    // each made once.
    let paths = [
        "trip/day 1/a.txt",
        "trip/day 1/b.txt",
        "trip/c.txt",
        "trip/day 1/d.txt",
    ];
    let tickets =
        futures::future::join_all(paths.iter().map(|p| upload_into(&me, p, &inbox))).await;
    // The key keeps the path as dropped; the asset is named without its folders.
    assert!(tickets[0]["object_key"]
        .as_str()
        .unwrap()
        .ends_with("/trip/day 1/a.txt"));
    let inside = me.get(&format!("/asset?folder={inbox}")).await;
    assert_eq!(names(&inside.body), (vec!["trip".into()], vec![]));
    let trip = inside.body["folders"][0]["folder_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = me.get(&format!("/asset?folder={trip}&sort=name")).await;
    assert_eq!(names(&r.body), (vec!["day 1".into()], vec!["c.txt".into()]));
    let day = r.body["folders"][0]["folder_id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = me.get(&format!("/asset?folder={day}&sort=name")).await;
    assert_eq!(
        names(&r.body),
        (vec![], vec!["a.txt".into(), "b.txt".into(), "d.txt".into()])
    );
    let trail: Vec<_> = r.body["folder"]["trail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(trail, ["Inbox", "trip", "day 1"]);
    let a = &r.body["items"][0];
    assert_eq!(a["folder_id"], day.as_str());
    assert_eq!(a["folder_path"], json!([inbox, trip, day]));
    let f = me.get(&format!("/folder/{day}")).await;
    assert_eq!(f.status, StatusCode::OK);
    assert_eq!(f.body["folder"]["parent_id"], trip.as_str());
    assert_eq!(f.body["folder"]["ancestors"], json!([inbox, trip]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_and_renames_change_the_catalogue_only_and_only_empty_folders_go() {
    let app = TestApp::start().await;
    let me = app.as_caller(user("ann"));
    let work = new_folder(&me, "Work", "root").await;
    let ticket = upload_into(&me, "plan.txt", "root").await;
    let id = ticket["id"].as_str().unwrap().to_string();
    let key = ticket["object_key"].as_str().unwrap().to_string();
    let other = upload_into(&me, "notes.txt", "root").await["id"]
        .as_str()
        .unwrap()
        .to_string();

    let r = me
        .post_json(
            "/asset/bulk/move",
            &json!({"ids": [id, UNKNOWN_ID, other], "folder": work}).to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
    let done: Vec<_> = r.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["done"].as_bool().unwrap(), r["status"].as_u64().unwrap()))
        .collect();
    assert_eq!(done, [(true, 200), (false, 404), (true, 200)]);
    let listed = me.get(&format!("/asset?folder={work}&prefix=plan")).await;
    let moved = &listed.body["items"][0];
    assert_eq!(moved["folder_id"], work.as_str());
    // The object stayed where it was: same key, same bytes, downloadable as before.
    assert_eq!(moved["object_key"], key.as_str());
    let stored = app
        .s3()
        .get_object()
        .bucket(app.bucket())
        .key(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        stored.body.collect().await.unwrap().into_bytes().as_ref(),
        b"plan.txt"
    );
    assert_eq!(names(&me.get("/asset?folder=root").await.body).1.len(), 0);
    // Moving again to where it is changes nothing.
    let again = me
        .post_json(
            "/asset/bulk/move",
            &json!({"ids": [id], "folder": work}).to_string(),
        )
        .await;
    assert_eq!(again.body["results"][0]["done"], true);

    // Rename: a clash with a sibling (in any case) is refused; a new case of its own name
    // is fine.
    new_folder(&me, "Archive", "root").await;
    let patch = |name: &str| {
        let (me, uri, body) = (
            &me,
            format!("/folder/{work}"),
            json!({"name": name}).to_string(),
        );
        async move {
            me.send(Method::PATCH, &uri, Some(("application/json", &body)))
                .await
        }
    };
    let clash = patch("ARCHIVE").await;
    assert_eq!(clash.status, StatusCode::CONFLICT, "{}", clash.raw);
    assert_eq!(
        clash.body["error_message"],
        "there is already a folder named `ARCHIVE` here"
    );
    assert_eq!(patch("WORK").await.status, StatusCode::OK);
    let renamed = patch("Projects").await;
    assert_eq!(renamed.body["name"], "Projects");
    // The old name is free again, and the files are still in it.
    new_folder(&me, "Work", "root").await;
    assert_eq!(
        names(
            &me.get(&format!("/asset?folder={work}&sort=name"))
                .await
                .body
        )
        .1,
        ["notes.txt", "plan.txt"]
    );

    // A folder holding files (deleted ones too) is not deleted.
    let bulk = me
        .post_json(
            "/asset/bulk",
            &json!({"action": "delete", "ids": [id, other]}).to_string(),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK);
    let refused = me
        .send(Method::DELETE, &format!("/folder/{work}"), None)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.raw);
    assert_eq!(
        refused.body["error_message"],
        "the folder is not empty: move or delete what is in it first"
    );
    // Nor one holding a folder.
    let parent = new_folder(&me, "Parent", "root").await;
    new_folder(&me, "Child", &parent).await;
    let refused = me
        .send(Method::DELETE, &format!("/folder/{parent}"), None)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);

    // Emptied, it goes (once the moment after its last addition has passed).
    me.post_json(
        "/asset/bulk/move",
        &json!({"ids": [id, other], "folder": "root"}).to_string(),
    )
    .await;
    let deleted = crate::harness::eventually(|| async {
        let r = me
            .send(Method::DELETE, &format!("/folder/{work}"), None)
            .await;
        (r.status != StatusCode::CONFLICT).then_some(r)
    })
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.raw);
    assert_eq!(
        me.get(&format!("/folder/{work}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        names(&me.get("/asset?folder=root&sort=name").await.body).1,
        ["notes.txt", "plan.txt"]
    );
    // Its name can be used again.
    new_folder(&me, "Projects", "root").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_names_in_a_folder_or_under_it() {
    let app = TestApp::start().await;
    let me = app.as_caller(user("ann"));
    let a = new_folder(&me, "A", "root").await;
    let b = new_folder(&me, "B", &a).await;
    upload_into(&me, "report-1.txt", &a).await;
    upload_into(&me, "report-2.txt", &b).await;
    upload_into(&me, "readme.txt", &b).await;
    upload_into(&me, "report-3.txt", "root").await;
    let found = |uri: String| {
        let me = &me;
        async move {
            let r = me.get(&uri).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.raw);
            names(&r.body).1
        }
    };
    assert_eq!(
        found(format!("/asset?folder={a}&prefix=rep")).await,
        ["report-1.txt"]
    );
    assert_eq!(
        found(format!("/asset?folder={a}&prefix=REP&subfolders=true")).await,
        ["report-1.txt", "report-2.txt"]
    );
    assert_eq!(
        found(format!("/asset?folder={b}&prefix=re&subfolders=true")).await,
        ["readme.txt", "report-2.txt"]
    );
    // Under the top level is everywhere.
    assert_eq!(
        found("/asset?folder=root&prefix=report&subfolders=true".into()).await,
        ["report-1.txt", "report-2.txt", "report-3.txt"]
    );
    // A page of a subfolder search is full, and pages on.
    let r = me
        .get(&format!(
            "/asset?folder={a}&prefix=re&subfolders=true&limit=2"
        ))
        .await;
    assert_eq!(names(&r.body).1, ["readme.txt", "report-1.txt"]);
    let next = r.body["next_cursor"].as_str().unwrap();
    let r = me
        .get(&format!(
            "/asset?folder={a}&prefix=re&subfolders=true&limit=2&cursor={next}"
        ))
        .await;
    assert_eq!(names(&r.body).1, ["report-2.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_folder_input_is_refused_and_changes_nothing() {
    let app = TestApp::start().await;
    let me = app.as_caller(user("ann"));
    let mallory = app.as_caller(user("mallory"));
    let mine = new_folder(&me, "Mine", "root").await;
    let asset = upload_into(&me, "x.txt", &mine).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bad = |r: crate::harness::Reply, status: StatusCode, says: &str| {
        assert_eq!(r.status, status, "{}", r.raw);
        let message = r.body["error_message"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(message.contains(says), "{message:?} lacks {says:?}");
    };
    let list = |q: &str| {
        let (me, uri) = (&me, format!("/asset?{q}"));
        async move { me.get(&uri).await }
    };
    bad(
        list("folder=nope").await,
        StatusCode::BAD_REQUEST,
        "is not a folder",
    );
    bad(
        list(&format!("folder={mine}&status=UPLOADED")).await,
        StatusCode::BAD_REQUEST,
        "a status filter lists every folder",
    );
    bad(
        list(&format!("folder={mine}&subfolders=true")).await,
        StatusCode::BAD_REQUEST,
        "searching subfolders needs",
    );
    bad(
        list("subfolders=true&prefix=x").await,
        StatusCode::BAD_REQUEST,
        "name one",
    );
    bad(
        list("folder=root&subfolders=maybe").await,
        StatusCode::BAD_REQUEST,
        "subfolders",
    );
    bad(
        list(&format!("folder={UNKNOWN_ID}")).await,
        StatusCode::NOT_FOUND,
        "Folder not found",
    );

    // Another owner's folder is not found, whatever is asked of it.
    bad(
        mallory.get(&format!("/asset?folder={mine}")).await,
        StatusCode::NOT_FOUND,
        "Folder not found",
    );
    bad(
        mallory.get(&format!("/folder/{mine}")).await,
        StatusCode::NOT_FOUND,
        "Folder not found",
    );
    let r = mallory
        .post_json(
            "/asset",
            &json!({"filename": "in.txt", "folder": mine}).to_string(),
        )
        .await;
    bad(r, StatusCode::NOT_FOUND, "Folder not found");
    let r = mallory
        .post_json(
            "/folder",
            &json!({"name": "sub", "parent": mine}).to_string(),
        )
        .await;
    bad(r, StatusCode::NOT_FOUND, "Folder not found");
    let r = mallory
        .send(
            Method::PATCH,
            &format!("/folder/{mine}"),
            Some(("application/json", r#"{"name": "taken"}"#)),
        )
        .await;
    bad(r, StatusCode::NOT_FOUND, "Folder not found");
    bad(
        mallory
            .send(Method::DELETE, &format!("/folder/{mine}"), None)
            .await,
        StatusCode::NOT_FOUND,
        "Folder not found",
    );
    let theirs = new_folder(&mallory, "Theirs", "root").await;
    let r = mallory
        .post_json(
            "/asset/bulk/move",
            &json!({"ids": [asset], "folder": theirs}).to_string(),
        )
        .await;
    assert_eq!(r.body["results"][0]["status"], 404, "{}", r.raw);
    // And mine cannot go into theirs either.
    bad(
        me.post_json(
            "/asset/bulk/move",
            &json!({"ids": [asset], "folder": theirs}).to_string(),
        )
        .await,
        StatusCode::NOT_FOUND,
        "Folder not found",
    );

    // Names: one segment, checked like a file name's.
    for (name, says) in [
        ("a/b", "cannot contain `/`"),
        ("", "the folder name is empty"),
        ("..", "`.` or `..`"),
        ("x\u{202E}y", "invisible"),
    ] {
        let r = me
            .post_json("/folder", &json!({"name": name}).to_string())
            .await;
        bad(r, StatusCode::BAD_REQUEST, says);
    }
    let r = me
        .post_json("/folder", &json!({"name": "x".repeat(256)}).to_string())
        .await;
    bad(r, StatusCode::BAD_REQUEST, "longer than 255 bytes");
    bad(
        me.post_json("/folder", r#"{"name": "a", "extra": 1}"#)
            .await,
        StatusCode::BAD_REQUEST,
        "unknown field",
    );
    bad(
        me.post_json("/folder", "").await,
        StatusCode::BAD_REQUEST,
        "a body is required",
    );
    bad(
        me.post_json("/folder", &json!({"name": "mine"}).to_string())
            .await,
        StatusCode::CONFLICT,
        "already a folder named `mine`",
    );
    bad(
        me.get("/folder/not-an-id").await,
        StatusCode::BAD_REQUEST,
        "is not a folder",
    );
    bad(
        me.post_json(
            "/asset/bulk/move",
            &json!({"ids": [asset], "folder": "x"}).to_string(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "is not a folder",
    );
    bad(
        me.post_json(
            "/asset/bulk/move",
            &json!({"ids": [], "folder": "root"}).to_string(),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "ids must name 1 to 100",
    );

    // Too deep: a path that would nest more than 16 folders makes none.
    let deep = format!("{}f.txt", "d/".repeat(16));
    let r = me
        .post_json(
            "/asset",
            &json!({"filename": deep, "folder": mine}).to_string(),
        )
        .await;
    bad(r, StatusCode::BAD_REQUEST, "nest at most 16");
    assert_eq!(
        names(&me.get(&format!("/asset?folder={mine}")).await.body),
        (vec![], vec!["x.txt".into()])
    );
    // The asset is where it was through all of it.
    let a = me.get(&format!("/asset?folder={mine}")).await;
    assert_eq!(a.body["items"][0]["asset_id"], asset.as_str());
}
