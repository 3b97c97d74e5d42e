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
    // The one exception: thumbnails, made after S3 events (never while a request waits),
    // read the image and store the thumbnail themselves; nothing on a request's path
    // reaches that code.
    assert_eq!(
        files_with("server/src", "ByteStream"),
        vec!["server/src/thumbnails.rs".to_string()]
    );
    for dir in ["server/src/api", "server/src/auth"] {
        assert_eq!(
            files_with(dir, "Thumbnailer"),
            Vec::<String>::new(),
            "{dir}"
        );
    }
    let service = std::fs::read_to_string(repo_root().join("server/src/service.rs")).unwrap();
    assert!(
        !service.contains("Thumbnailer"),
        "the asset service reaches the thumbnailer"
    );
}

/// The module a source file is (`crate::storage::events` for `server/src/storage/events.rs`).
fn module_of(src_dir: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src_dir).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    std::iter::once("crate".to_string())
        .chain(parts)
        .collect::<Vec<_>>()
        .join("::")
}

/// The paths a `use` tree names: `a::{b, c::{d, e}}` → `a::b`, `a::c::d`, `a::c::e`.
fn expand_use_tree(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) = tree.find('{') else {
        return vec![tree.split(" as ").next().unwrap().trim().to_string()];
    };
    let prefix = tree[..open].trim().trim_end_matches("::");
    let inner = &tree[open + 1..tree.rfind('}').unwrap()];
    let (mut parts, mut depth, mut current) = (vec![], 0, String::new());
    for ch in inner.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if ch == ',' && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(ch);
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter(|p| !p.trim().is_empty())
        .flat_map(|p| expand_use_tree(p))
        .map(|p| {
            if prefix.is_empty() {
                p
            } else {
                format!("{prefix}::{p}")
            }
        })
        .collect()
}

/// The deepest known module a path from `module` names (`None`: another crate).
fn resolve(module: &str, path: &str, known: &std::collections::BTreeSet<String>) -> Option<String> {
    let segs: Vec<&str> = path
        .split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let (mut base, rest): (Vec<&str>, &[&str]) = match segs.first()? {
        &"crate" => (vec!["crate"], &segs[1..]),
        &"super" => {
            let mut base: Vec<&str> = module.split("::").collect();
            let ups = segs.iter().take_while(|s| **s == "super").count();
            base.truncate(base.len().saturating_sub(ups));
            (base, &segs[ups..])
        }
        &"self" => (module.split("::").collect(), &segs[1..]),
        first if known.contains(&format!("{module}::{first}")) => {
            (module.split("::").collect(), &segs[..])
        }
        _ => return None,
    };
    for seg in rest {
        let next = format!("{}::{seg}", base.join("::"));
        if !known.contains(&next) {
            break;
        }
        base.push(seg);
    }
    Some(base.join("::"))
}

/// Module → the modules it imports. Declaring a child (`mod x;`) is not an import; naming
/// an item of the immediate parent (its own or re-exported) is.
fn import_graph(
    src: &str,
) -> std::collections::BTreeMap<String, std::collections::BTreeSet<String>> {
    let src_dir = repo_root().join(src);
    let files = sources(src);
    let known: std::collections::BTreeSet<String> = files
        .iter()
        .map(|(p, _)| module_of(&src_dir, &repo_root().join(p)))
        .collect();
    let mut graph = std::collections::BTreeMap::new();
    for (path, text) in &files {
        let module = module_of(&src_dir, &repo_root().join(path));
        let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
        let code: String = code
            .lines()
            .map(|l| l.split("//").next().unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let parent = module.rsplit_once("::").map(|(p, _)| p.to_string());
        let mut targets = std::collections::BTreeSet::new();
        let mut add = |r: Option<String>, from_use: bool| {
            if let Some(r) = r.filter(|r| *r != module) {
                let ancestor = module.starts_with(&format!("{r}::"));
                if !from_use || !ancestor || Some(&r) == parent.as_ref() {
                    targets.insert(r);
                }
            }
        };
        for stmt in code.split("use ").skip(1) {
            let Some(end) = stmt.find(';') else { continue };
            if stmt[..end].contains('(') || stmt[..end].contains('=') {
                continue; // not a use declaration
            }
            for p in expand_use_tree(&stmt[..end]) {
                add(resolve(&module, &p, &known), true);
            }
        }
        for word in code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')) {
            // `super::{…}` (a use tree) ends in `::` here; its paths were read above.
            let inline = word.starts_with("crate::") || word.starts_with("super::");
            if inline && !word.ends_with("::") {
                add(resolve(&module, word, &known), false);
            }
        }
        graph.insert(module, targets);
    }
    graph
}

/// A cycle in `graph`, if there is one.
fn find_cycle(
    graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut std::collections::BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = std::collections::BTreeSet::new();
    graph
        .keys()
        .find_map(|n| visit(n, graph, &mut vec![], &mut done))
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    for src in ["server/src", "app/src"] {
        let graph = import_graph(src);
        assert!(graph.len() > 10, "{src}: {graph:?}");
        assert_eq!(find_cycle(&graph), None, "{src}");
    }
    // The check itself finds a cycle when there is one.
    let mut graph = import_graph("server/src");
    graph
        .get_mut("crate::storage::schema")
        .unwrap()
        .insert("crate::api".into());
    graph
        .get_mut("crate::api")
        .unwrap()
        .insert("crate::storage::schema".into());
    assert!(find_cycle(&graph).is_some());
}

#[test]
fn use_trees_expand_and_resolve() {
    assert_eq!(
        expand_use_tree("super::{codec::{a, b as c}, error::TableError}"),
        [
            "super::codec::a",
            "super::codec::b",
            "super::error::TableError"
        ]
    );
    let known = [
        "crate",
        "crate::storage",
        "crate::storage::codec",
        "crate::api",
    ]
    .map(String::from)
    .into();
    let at = "crate::storage::events";
    assert_eq!(
        resolve(at, "super::codec::a", &known).as_deref(),
        Some("crate::storage::codec")
    );
    assert_eq!(
        resolve(at, "crate::api::X", &known).as_deref(),
        Some("crate::api")
    );
    assert_eq!(resolve(at, "serde::Deserialize", &known), None);
}
