//! The invariants of ARCHITECTURE.md that can be read off the source: checked here so a
//! change that breaks one fails the suite instead of quietly making the document wrong.

use crate::harness::repo_root;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, relative to the repository, with its text.
fn sources(dir: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = repo_root();
    let mut files = vec![];
    walk(&root.join(dir), &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p.strip_prefix(&root).unwrap().to_path_buf(), text)
        })
        .collect()
}

/// The files of `dir` whose text contains `needle`.
fn files_with(dir: &str, needle: &str) -> Vec<String> {
    sources(dir)
        .into_iter()
        .filter(|(_, text)| text.contains(needle))
        .map(|(p, _)| p.display().to_string())
        .collect()
}

#[test]
fn the_browser_server_difference_lives_in_platform() {
    let mut with_cfg = files_with("app/src", "cfg(feature");
    with_cfg.extend(files_with("app/src", "cfg(not(feature"));
    with_cfg.sort();
    with_cfg.dedup();
    assert_eq!(
        with_cfg,
        [
            "app/src/api.rs",          // the ssr-only AssetBackend
            "app/src/lib.rs",          // the hydrate() entry point
            "app/src/platform/mod.rs", // choosing the twin
        ]
    );
    // Nothing outside platform reaches for the browser's APIs.
    for needle in ["web_sys::", "js_sys::", "wasm_bindgen::"] {
        for file in files_with("app/src", needle) {
            assert!(
                file.starts_with("app/src/platform/") || file == "app/src/lib.rs",
                "{file} uses {needle}"
            );
        }
    }
}

#[test]
fn app_never_links_the_aws_sdk_or_the_embedded_backends() {
    let manifest = std::fs::read_to_string(repo_root().join("app/Cargo.toml")).unwrap();
    for dep in ["aws-", "aws_", "dynoxide", "s3s", "lambda"] {
        assert!(!manifest.contains(dep), "app/Cargo.toml names {dep}");
    }
}

#[test]
fn only_storage_touches_the_table_and_only_its_schema_scans() {
    for file in files_with("server/src", "aws_sdk_dynamodb") {
        assert!(
            file.starts_with("server/src/storage/") || file == "server/src/aws.rs",
            "{file} uses the DynamoDB SDK"
        );
    }
    assert_eq!(
        files_with("server/src", ".scan()"),
        ["server/src/storage/schema.rs"]
    );
}

#[test]
fn file_bytes_never_pass_through_the_server() {
    // The S3 boundary presigns; it never sends or reads an object body itself.
    let objects = std::fs::read_to_string(repo_root().join("server/src/objects.rs")).unwrap();
    for call in [".put_object()", ".get_object()", ".upload_part()"] {
        for (i, _) in objects.match_indices(call) {
            // The rest of the method the call is in.
            let rest = &objects[i..];
            let method = &rest[..rest.find("\n    }\n").unwrap_or(rest.len())];
            assert!(
                method.contains(".presigned(") && !method.contains(".send()"),
                "objects.rs sends {call} itself instead of presigning it"
            );
        }
    }
    assert_eq!(files_with("server/src", "ByteStream"), Vec::<String>::new());
}
