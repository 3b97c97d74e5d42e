//! No drift between `infra/template.yaml` and the code:
//!
//! - the table's key schema, attribute definitions and every global secondary index equal
//!   those of the table the code itself creates (`AssetStore::ensure_table`, read back with
//!   DescribeTable from the embedded DynamoDB);
//! - every environment variable the template sets is one the code reads, and the table and
//!   bucket names point at the template's own table and bucket;
//! - the IAM actions granted are exactly those the DynamoDB and S3 calls in the code need, and
//!   object permissions reach only the `uploads/` prefix the code writes under;
//! - handlers, HTTP API wiring and S3 event subscriptions are what the binary expects;
//! - sign-in: the web function sets every sign-in variable the code reads, from Cognito's
//!   resources or from the other issuer's parameters; Cognito's client is public (code flow,
//!   PKCE) and returns to the API's own URL; the cookie key is a generated secret;
//! - nothing is lost: the S3-event function's failed events are parked in the template's SQS
//!   queue after bounded retries, and the table, bucket and user pool are kept when the stack
//!   is deleted (unless `DataDeletionPolicy` says `Delete`) and backed up (point-in-time
//!   recovery, object versions);
//! - and said so: the functions log JSON, the API writes a JSON access log, alarms watch the
//!   parked events, the S3-event function's errors and the API's 5xx rate, and mail
//!   `AlarmEmail` when it is set.
//!
//! (`cfn-lint` and `sam validate` check the template's syntax; this checks its meaning.)

use crate::harness::{repo_root, TestApp};
use serde_yaml::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

fn template() -> Value {
    let path = repo_root().join("infra/template.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_yaml::from_str(&text).expect("infra/template.yaml is YAML")
}

/// `!Ref X` / `{Ref: X}`, `!GetAtt X.Y` / `{Fn::GetAtt: ...}`, ... as (function, argument).
fn intrinsic(v: &Value) -> Option<(String, &Value)> {
    match v {
        Value::Tagged(t) => {
            let name = t.tag.to_string();
            let name = name.trim_start_matches('!');
            let name = if name == "Ref" {
                name.to_string()
            } else {
                format!("Fn::{name}")
            };
            Some((name, &t.value))
        }
        Value::Mapping(m) if m.len() == 1 => {
            let (k, v) = m.iter().next().unwrap();
            let k = k.as_str()?;
            (k == "Ref" || k.starts_with("Fn::")).then(|| (k.to_string(), v))
        }
        _ => None,
    }
}

/// The logical id a `!Ref` names, if `v` is one.
fn ref_target(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (f, arg) if f == "Ref" => arg.as_str(),
        _ => None,
    }
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: expected a plain string, found {v:?}"))
}

/// Logical ids of the resources of one type.
fn resources_of<'a>(t: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(ty))
        .map(|(id, r)| (id.as_str().unwrap(), r))
        .collect()
}

/// The text of a `!Sub "..."` (short form, no variable map), if `v` is one.
fn sub_text(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (f, arg) if f == "Fn::Sub" => arg.as_str(),
        _ => None,
    }
}

fn the_resource<'a>(t: &'a Value, ty: &str) -> (&'a str, &'a Value) {
    let all = resources_of(t, ty);
    assert_eq!(all.len(), 1, "expected exactly one {ty} in the template");
    all[0]
}

// ---------------------------------------------------------------- the table

/// A table's shape, in a form both sides can be compared in.
#[derive(Debug, PartialEq, Eq)]
struct TableShape {
    key_schema: Vec<(String, String)>,
    attributes: BTreeMap<String, String>,
    indexes: BTreeMap<String, IndexShape>,
}

#[derive(Debug, PartialEq, Eq)]
struct IndexShape {
    key_schema: Vec<(String, String)>,
    projection: String,
    non_key_attributes: BTreeSet<String>,
}

fn template_table(t: &Value) -> TableShape {
    let (_, table) = the_resource(t, "AWS::DynamoDB::Table");
    let p = &table["Properties"];
    let keys = |v: &Value| -> Vec<(String, String)> {
        v.as_sequence()
            .expect("KeySchema")
            .iter()
            .map(|k| {
                (
                    str_of(&k["AttributeName"], "AttributeName").to_string(),
                    str_of(&k["KeyType"], "KeyType").to_string(),
                )
            })
            .collect()
    };
    TableShape {
        key_schema: keys(&p["KeySchema"]),
        attributes: p["AttributeDefinitions"]
            .as_sequence()
            .expect("AttributeDefinitions")
            .iter()
            .map(|a| {
                (
                    str_of(&a["AttributeName"], "AttributeName").to_string(),
                    str_of(&a["AttributeType"], "AttributeType").to_string(),
                )
            })
            .collect(),
        indexes: p["GlobalSecondaryIndexes"]
            .as_sequence()
            .map(|s| s.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|g| {
                let non_key = g["Projection"]["NonKeyAttributes"]
                    .as_sequence()
                    .map(|s| s.iter().map(|a| str_of(a, "NonKeyAttributes").into()))
                    .into_iter()
                    .flatten()
                    .collect();
                (
                    str_of(&g["IndexName"], "IndexName").to_string(),
                    IndexShape {
                        key_schema: keys(&g["KeySchema"]),
                        projection: str_of(&g["Projection"]["ProjectionType"], "ProjectionType")
                            .to_string(),
                        non_key_attributes: non_key,
                    },
                )
            })
            .collect(),
    }
}

/// The table the code creates, as DescribeTable reports it.
async fn code_table(env: &TestApp) -> TableShape {
    let db = server::aws::dynamodb_client(&server::aws::config_for_endpoint(
        &env.embedded.dynamodb_endpoint,
        server::services::Embedded::REGION,
        &env.embedded.credentials.access_key,
        &env.embedded.credentials.secret_key,
    ));
    let table = db
        .describe_table()
        .table_name(&env.services().settings.table_name)
        .send()
        .await
        .expect("DescribeTable")
        .table
        .expect("a table description");
    let keys = |k: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        k.iter()
            .map(|e| {
                (
                    e.attribute_name().to_string(),
                    e.key_type().as_str().to_string(),
                )
            })
            .collect()
    };
    TableShape {
        key_schema: keys(table.key_schema()),
        attributes: table
            .attribute_definitions()
            .iter()
            .map(|a| {
                (
                    a.attribute_name().to_string(),
                    a.attribute_type().as_str().to_string(),
                )
            })
            .collect(),
        indexes: table
            .global_secondary_indexes()
            .iter()
            .map(|g| {
                let projection = g.projection();
                (
                    g.index_name().unwrap_or_default().to_string(),
                    IndexShape {
                        key_schema: keys(g.key_schema()),
                        projection: projection
                            .and_then(|p| p.projection_type())
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_default(),
                        non_key_attributes: projection
                            .map(|p| p.non_key_attributes().iter().cloned().collect())
                            .unwrap_or_default(),
                    },
                )
            })
            .collect(),
    }
}

/// What differs, in words a reader can act on.
fn table_drift(template: &TableShape, code: &TableShape) -> Vec<String> {
    let mut drift = Vec::new();
    if template.key_schema != code.key_schema {
        drift.push(format!(
            "table key schema: template {:?}, code {:?}",
            template.key_schema, code.key_schema
        ));
    }
    if template.attributes != code.attributes {
        drift.push(format!(
            "attribute definitions: template {:?}, code {:?}",
            template.attributes, code.attributes
        ));
    }
    for (name, index) in &code.indexes {
        match template.indexes.get(name) {
            None => drift.push(format!(
                "index `{name}` is created by the code but missing from the template: {index:?}"
            )),
            Some(t) if t != index => drift.push(format!(
                "index `{name}` differs: template {t:?}, code {index:?}"
            )),
            Some(_) => {}
        }
    }
    for name in template.indexes.keys() {
        if !code.indexes.contains_key(name) {
            drift.push(format!(
                "index `{name}` is in the template but the code does not create it \
                 (AssetStore::ensure_table): remove it from infra/template.yaml, or add it to \
                 the code"
            ));
        }
    }
    drift
}

#[tokio::test]
async fn template_table_matches_the_table_the_code_creates() {
    let t = template();
    let (_, table) = the_resource(&t, "AWS::DynamoDB::Table");
    assert_eq!(
        table["Properties"]["BillingMode"].as_str(),
        Some("PAY_PER_REQUEST"),
        "the table is on-demand"
    );
    let env = TestApp::start().await;
    let drift = table_drift(&template_table(&t), &code_table(&env).await);
    assert!(
        drift.is_empty(),
        "infra/template.yaml's table has drifted from the code:\n  - {}",
        drift.join("\n  - ")
    );
}

#[test]
fn table_drift_is_reported_in_plain_words() {
    let index = |pk: &str| IndexShape {
        key_schema: vec![(pk.into(), "HASH".into())],
        projection: "ALL".into(),
        non_key_attributes: BTreeSet::new(),
    };
    let shape = |indexes: Vec<(&str, IndexShape)>| TableShape {
        key_schema: vec![("pk".into(), "HASH".into())],
        attributes: BTreeMap::from([("pk".into(), "S".into())]),
        indexes: indexes.into_iter().map(|(n, i)| (n.into(), i)).collect(),
    };
    let code = shape(vec![("a", index("x")), ("b", index("y"))]);
    assert!(table_drift(&shape(vec![("a", index("x")), ("b", index("y"))]), &code).is_empty());
    let drift = table_drift(&shape(vec![("a", index("z")), ("c", index("y"))]), &code);
    assert_eq!(drift.len(), 3, "{drift:?}");
    assert!(drift[0].starts_with("index `a` differs"));
    assert!(drift[1].starts_with("index `b` is created by the code but missing"));
    assert!(drift[2].starts_with("index `c` is in the template but the code does not"));
}

// ---------------------------------------------------------------- functions and env

/// Names that look like environment variables in the server's source (string literals such
/// as `"TABLE_NAME"`, `"FERRY_MAX_UPLOAD_BYTES"`): a superset of what it reads, enough to
/// catch a misspelt or retired variable in the template.
fn env_names_in_code() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for file in rust_files(&repo_root().join("server/src")) {
        let text = std::fs::read_to_string(&file).unwrap();
        for literal in text.split('"').skip(1).step_by(2) {
            let looks_like_env = literal.contains('_')
                && literal.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
                && literal
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if looks_like_env {
                names.insert(literal.to_string());
            }
        }
    }
    names
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// Each function's logical id, Handler and environment (Globals merged in).
fn functions(t: &Value) -> Vec<(&str, &str, BTreeMap<String, Value>)> {
    let globals = t["Globals"]["Function"]["Environment"]["Variables"].as_mapping();
    resources_of(t, "AWS::Serverless::Function")
        .into_iter()
        .map(|(id, f)| {
            let mut env: BTreeMap<String, Value> = BTreeMap::new();
            for vars in [
                globals,
                f["Properties"]["Environment"]["Variables"].as_mapping(),
            ]
            .into_iter()
            .flatten()
            {
                for (k, v) in vars {
                    env.insert(k.as_str().unwrap().to_string(), v.clone());
                }
            }
            let handler = str_of(&f["Properties"]["Handler"], "Handler");
            (id, handler, env)
        })
        .collect()
}

#[test]
fn template_env_vars_are_ones_the_code_reads() {
    let t = template();
    let known = env_names_in_code();
    for required in [
        "TABLE_NAME",
        "BUCKET_NAME",
        "FERRY_SITE_ROOT",
        "FERRY_MAX_UPLOAD_BYTES",
    ] {
        assert!(
            known.contains(required),
            "the source scan lost {required}: {known:?}"
        );
    }
    let fns = functions(&t);
    assert!(
        !fns.is_empty(),
        "no AWS::Serverless::Function in the template"
    );
    for (id, _, env) in &fns {
        for name in env.keys() {
            assert!(
                known.contains(name),
                "{id} sets {name}, which nothing in server/src reads (known: {known:?})"
            );
        }
    }
}

#[test]
fn functions_name_the_templates_own_table_and_bucket() {
    let t = template();
    let (table, _) = the_resource(&t, "AWS::DynamoDB::Table");
    let (bucket, _) = the_resource(&t, "AWS::S3::Bucket");
    for (id, handler, env) in functions(&t) {
        let refs = |name: &str| {
            env.get(name)
                .map(|v| ref_target(v).unwrap_or("(not a !Ref)"))
        };
        assert_eq!(refs("TABLE_NAME"), Some(table), "{id}: TABLE_NAME");
        // The web function signs URLs for BUCKET_NAME. The S3-event function skips records
        // of any bucket but BUCKET_NAME, and cannot !Ref the bucket (whose notification
        // depends on it): it is given the bucket's name, the same text.
        match handler {
            "web" => assert_eq!(refs("BUCKET_NAME"), Some(bucket), "{id}: BUCKET_NAME"),
            _ => assert_eq!(
                env.get("BUCKET_NAME").and_then(sub_text),
                Some(bucket_name(&t)),
                "{id}: BUCKET_NAME must be the bucket's BucketName"
            ),
        }
        // Both apply the same limits: the web function when it signs, the S3-event function
        // when an object arrives whose size or type was not signed.
        for limit in ["FERRY_MAX_UPLOAD_BYTES", "FERRY_ALLOWED_TYPES"] {
            assert!(refs(limit).is_some(), "{id}: {limit}");
            assert_eq!(
                refs(limit),
                web_function_env(&t).get(limit).and_then(ref_target)
            );
        }
    }
}

/// The bucket's explicit name (a `!Sub` text).
fn bucket_name(t: &Value) -> &str {
    let (_, bucket) = the_resource(t, "AWS::S3::Bucket");
    sub_text(&bucket["Properties"]["BucketName"]).expect("the bucket has a !Sub BucketName")
}

#[cfg(feature = "lambda")]
#[test]
fn handlers_are_ones_the_binary_runs() {
    use clap::ValueEnum;
    let t = template();
    let fns = functions(&t);
    let handlers: BTreeSet<&str> = fns.iter().map(|(_, h, _)| *h).collect();
    assert_eq!(handlers, BTreeSet::from(["s3-events", "web"]));
    for h in handlers {
        server::config::Handler::from_str(h, false).expect("a handler `ferry lambda` knows");
    }
    // The zip the build script writes, arm64 on Amazon Linux 2023.
    let g = &t["Globals"]["Function"];
    assert_eq!(g["Runtime"].as_str(), Some("provided.al2023"));
    assert_eq!(g["Architectures"][0].as_str(), Some("arm64"));
    assert_eq!(g["CodeUri"].as_str(), Some("../target/lambda/ferry.zip"));
}

#[test]
fn http_api_sends_every_route_to_the_web_function_on_the_default_stage() {
    let t = template();
    let (_, integration) = the_resource(&t, "AWS::ApiGatewayV2::Integration");
    let p = &integration["Properties"];
    assert_eq!(p["IntegrationType"].as_str(), Some("AWS_PROXY"));
    // lambda_http reads payload 2.0.
    assert_eq!(p["PayloadFormatVersion"].as_str(), Some("2.0"));
    let web = functions(&t)
        .into_iter()
        .find(|(_, h, _)| *h == "web")
        .unwrap()
        .0;
    let (f, arg) = intrinsic(&p["IntegrationUri"]).expect("IntegrationUri is !GetAtt");
    assert_eq!(f, "Fn::GetAtt");
    assert_eq!(arg.as_str(), Some(format!("{web}.Arn").as_str()));
    let (_, route) = the_resource(&t, "AWS::ApiGatewayV2::Route");
    assert_eq!(route["Properties"]["RouteKey"].as_str(), Some("$default"));
    // A named stage would prefix every path the router sees.
    let (_, stage) = the_resource(&t, "AWS::ApiGatewayV2::Stage");
    assert_eq!(stage["Properties"]["StageName"].as_str(), Some("$default"));
}

#[test]
fn s3_event_function_gets_every_create_and_remove_of_the_bucket() {
    let t = template();
    let (bucket, _) = the_resource(&t, "AWS::S3::Bucket");
    let (id, _) = resources_of(&t, "AWS::Serverless::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["Handler"].as_str() == Some("s3-events"))
        .expect("an s3-events function");
    let f = &t["Resources"][id];
    let events: Vec<&Value> = f["Properties"]["Events"]
        .as_mapping()
        .expect("Events")
        .values()
        .filter(|e| e["Type"].as_str() == Some("S3"))
        .collect();
    assert_eq!(events.len(), 1);
    let p = &events[0]["Properties"];
    assert_eq!(ref_target(&p["Bucket"]), Some(bucket));
    let names: BTreeSet<&str> = p["Events"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        BTreeSet::from(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"])
    );
}

// ---------------------------------------------------------------- IAM

/// The functions of one source file: name → body, found by brace matching (string and char
/// literals skipped).
fn functions_in(text: &str) -> BTreeMap<String, String> {
    let mut fns = BTreeMap::new();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("fn ") {
        let name: String = text[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let Some(open) = text[at..].find('{').map(|i| at + i) else {
            continue;
        };
        if name.is_empty() || text[at..open].contains(';') {
            continue; // a declaration, not a definition
        }
        let (mut depth, mut i, mut in_str) = (0usize, open, false);
        while i < bytes.len() {
            match bytes[i] {
                b'\\' if in_str => i += 1,
                b'"' => in_str = !in_str,
                b'\'' if !in_str && bytes.get(i + 2) == Some(&b'\'') => i += 2,
                b'{' if !in_str => depth += 1,
                b'}' if !in_str => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        fns.insert(name, text[open..=i.min(bytes.len() - 1)].to_string());
    }
    fns
}

/// SDK operations (`self.db.get_item()`, `self.s3.put_object()`, ...) called in `text`
/// outside `embedded_root` and the functions it calls (`None`: everywhere): that one only
/// prepares the embedded backend (creates the bucket) and never runs against AWS, where the
/// template owns the bucket. Also returns the code those calls live in.
fn calls(text: &str, receiver: &str, embedded_root: Option<&str>) -> (BTreeSet<String>, String) {
    let fns = functions_in(text);
    let mut code = text.to_string();
    if let Some(root) = embedded_root {
        assert!(fns.contains_key(root), "no fn {root}");
        let mut embedded = BTreeSet::from([root.to_string()]);
        let mut todo = vec![root.to_string()];
        while let Some(f) = todo.pop() {
            for name in fns.keys() {
                if fns[&f].contains(&format!("self.{name}(")) && embedded.insert(name.clone()) {
                    todo.push(name.clone());
                }
            }
        }
        for f in &embedded {
            code = code.replace(fns[f].as_str(), "{}");
        }
    }
    // Whitespace removed, so calls chained across lines read as one.
    let flat: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let needle = format!("self.{receiver}.");
    let ops = flat
        .match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &flat[i + needle.len()..];
            let op: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            rest[op.len()..].starts_with("()").then_some(op)
        })
        .collect();
    (ops, code)
}

/// Every storage module but `schema`: the table's set-up (create, describe, update, the
/// one-time Scan) lives there by design and runs only for the embedded backend.
fn storage_code() -> String {
    let dir = repo_root().join("server/src/storage");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .filter(|p| p.file_name().is_some_and(|n| n != "schema.rs"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The IAM actions the store and object store need, from the calls they make.
fn actions_the_code_needs() -> BTreeSet<String> {
    let mut needed = BTreeSet::new();
    let (ops, code) = calls(&storage_code(), "db", None);
    for op in ops {
        match op.as_str() {
            "get_item" => drop(needed.insert("dynamodb:GetItem".into())),
            "batch_get_item" => drop(needed.insert("dynamodb:BatchGetItem".into())),
            "put_item" => drop(needed.insert("dynamodb:PutItem".into())),
            "update_item" => drop(needed.insert("dynamodb:UpdateItem".into())),
            "delete_item" => drop(needed.insert("dynamodb:DeleteItem".into())),
            "query" => drop(needed.insert("dynamodb:Query".into())),
            // A transaction needs the actions of the items it writes.
            "transact_write_items" => {
                for (builder, action) in [
                    ("Put::builder()", "dynamodb:PutItem"),
                    ("Update::builder()", "dynamodb:UpdateItem"),
                    ("Delete::builder()", "dynamodb:DeleteItem"),
                    ("ConditionCheck::builder()", "dynamodb:ConditionCheckItem"),
                ] {
                    if code.contains(builder) {
                        needed.insert(action.into());
                    }
                }
            }
            other => panic!(
                "server/src/storage calls DynamoDB `{other}` outside schema.rs: add its IAM \
                 action here and to infra/template.yaml (or move table set-up to schema.rs)"
            ),
        }
    }
    let objects = std::fs::read_to_string(repo_root().join("server/src/objects.rs")).unwrap();
    for op in calls(&objects, "s3", Some("ensure_bucket")).0 {
        let action = match op.as_str() {
            "put_object"
            | "upload_part"
            | "create_multipart_upload"
            | "complete_multipart_upload" => "s3:PutObject",
            "get_object" => "s3:GetObject",
            "abort_multipart_upload" => "s3:AbortMultipartUpload",
            "list_parts" => "s3:ListMultipartUploadParts",
            // Both name a version when the event does (versioned bucket).
            "head_object" => {
                needed.insert("s3:GetObjectVersion".into());
                "s3:GetObject"
            }
            "delete_object" => {
                needed.insert("s3:DeleteObjectVersion".into());
                "s3:DeleteObject"
            }
            other => panic!(
                "objects.rs calls S3 `{other}` outside ensure_bucket: add its IAM action here \
                 and to infra/template.yaml"
            ),
        };
        needed.insert(action.into());
    }
    needed
}

/// Actions granted by the functions' inline policies (every statement Allow).
fn granted_actions(t: &Value) -> BTreeSet<String> {
    let mut granted = BTreeSet::new();
    for (id, f) in resources_of(t, "AWS::Serverless::Function") {
        for policy in f["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let statements = policy["Statement"]
                .as_sequence()
                .unwrap_or_else(|| panic!("{id}: only inline policy documents are expected"));
            for s in statements {
                assert_eq!(s["Effect"].as_str(), Some("Allow"), "{id}");
                let actions = match &s["Action"] {
                    Value::String(a) => vec![a.clone()],
                    Value::Sequence(a) => a.iter().map(|a| str_of(a, "Action").into()).collect(),
                    other => panic!("{id}: Action {other:?}"),
                };
                for a in actions {
                    assert!(!a.contains('*'), "{id}: wildcard action {a}");
                    granted.insert(a);
                }
            }
        }
    }
    granted
}

#[test]
fn iam_grants_exactly_what_the_code_calls() {
    let needed = actions_the_code_needs();
    assert!(needed.contains("dynamodb:GetItem") && needed.contains("s3:PutObject"));
    let granted = granted_actions(&template());
    let missing: Vec<_> = needed.difference(&granted).collect();
    let extra: Vec<_> = granted.difference(&needed).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "infra/template.yaml's IAM has drifted from the code: missing {missing:?}, \
         granted but never called {extra:?}"
    );
}

/// Every statement of a function's inline policies.
fn statements(f: &Value) -> Vec<&Value> {
    f["Properties"]["Policies"]
        .as_sequence()
        .into_iter()
        .flatten()
        .flat_map(|p| p["Statement"].as_sequence().into_iter().flatten())
        .collect()
}

fn actions_of(statement: &Value) -> Vec<&str> {
    match &statement["Action"] {
        Value::String(a) => vec![a.as_str()],
        Value::Sequence(a) => a.iter().map(|a| str_of(a, "Action")).collect(),
        other => panic!("Action {other:?}"),
    }
}

/// The key prefix every object the code creates lives under (`uploads/<id>`,
/// `uploads/<owner>/<id>/<name>`, ...): the only part of the bucket the functions may touch.
const UPLOADS_PREFIX: &str = "uploads/";

#[test]
fn s3_object_permissions_reach_only_the_uploads_prefix() {
    // The code builds every object key under the prefix.
    let storage = storage_code();
    let flat: String = storage.chars().filter(|c| !c.is_whitespace()).collect();
    let key_formats: Vec<&str> = flat
        .match_indices("format!(\"")
        .map(|(i, _)| &flat[i + "format!(\"".len()..])
        .filter(|rest| rest.starts_with(UPLOADS_PREFIX))
        .collect();
    assert!(
        !key_formats.is_empty(),
        "server/src/storage no longer builds object keys as format!(\"{UPLOADS_PREFIX}...\"): \
         the template's S3 grants (`<bucket>/{UPLOADS_PREFIX}*`) must follow the new keys"
    );

    let t = template();
    let (bucket, _) = the_resource(&t, "AWS::S3::Bucket");
    let want = format!("${{{bucket}.Arn}}/{UPLOADS_PREFIX}*");
    // The S3-event function names the bucket by its name (see BUCKET_NAME above).
    let by_name = format!(
        "arn:${{AWS::Partition}}:s3:::{}/{UPLOADS_PREFIX}*",
        bucket_name(&t)
    );
    let mut web_grants = 0;
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        let handler = str_of(&f["Properties"]["Handler"], "Handler");
        for s in statements(f) {
            if !actions_of(s).iter().any(|a| a.starts_with("s3:")) {
                continue;
            }
            // The S3-event function only reads and deletes arrived objects.
            let want = match handler {
                "web" => &want,
                _ => {
                    assert!(
                        actions_of(s).iter().all(|a| [
                            "s3:GetObject",
                            "s3:GetObjectVersion",
                            "s3:DeleteObject",
                            "s3:DeleteObjectVersion"
                        ]
                        .contains(a)),
                        "{id} is granted S3 actions {:?}",
                        actions_of(s)
                    );
                    &by_name
                }
            };
            assert!(
                actions_of(s).iter().all(|a| a.starts_with("s3:")),
                "{id}: keep S3 actions in statements of their own: {:?}",
                actions_of(s)
            );
            let resources: Vec<&Value> = match &s["Resource"] {
                Value::Sequence(r) => r.iter().collect(),
                r => vec![r],
            };
            for r in resources {
                assert_eq!(
                    sub_text(r),
                    Some(want.as_str()),
                    "{id}: S3 object actions {:?} on {r:?}, expected only !Sub {want}",
                    actions_of(s)
                );
            }
            web_grants += usize::from(handler == "web");
        }
    }
    assert!(web_grants > 0, "the web function is granted no S3 action");
}

// ---------------------------------------------------------------- sign-in

/// The sign-in variables of the web function, as issue 12's design names them
/// (`server/src/config.rs` reads them; see the root README, *Configuration*).
const AUTH_ENV: [&str; 9] = [
    "FERRY_AUTH",
    "FERRY_PUBLIC_URL",
    "FERRY_OIDC_ISSUER",
    "FERRY_OIDC_CLIENT_ID",
    "FERRY_OIDC_CLIENT_SECRET",
    "FERRY_OIDC_SCOPES",
    "FERRY_ADMIN_CLAIM",
    "FERRY_ADMIN_GROUP",
    "FERRY_COOKIE_KEY",
];

/// A sign-in variable by its name (what the code reads, whatever it adds later).
fn is_auth_env(name: &str) -> bool {
    name == "FERRY_AUTH"
        || name == "FERRY_PUBLIC_URL"
        || name == "FERRY_COOKIE_KEY"
        || name.starts_with("FERRY_OIDC_")
        || name.starts_with("FERRY_ADMIN_")
}

/// `!If [condition, then, else]`.
fn fn_if(v: &Value) -> Option<(&str, &Value, &Value)> {
    let (f, arg) = intrinsic(v)?;
    let s = arg
        .as_sequence()
        .filter(|s| f == "Fn::If" && s.len() == 3)?;
    Some((s[0].as_str()?, &s[1], &s[2]))
}

/// `!GetAtt X.Y` as "X.Y".
fn get_att(v: &Value) -> Option<&str> {
    match intrinsic(v)? {
        (f, arg) if f == "Fn::GetAtt" => arg.as_str(),
        _ => None,
    }
}

fn web_function_env(t: &Value) -> BTreeMap<String, Value> {
    functions(t)
        .into_iter()
        .find(|(_, h, _)| *h == "web")
        .expect("a web function")
        .2
}

/// The parameter a condition `!Equals [!Ref P, ""]` tests for emptiness.
fn condition_tests_empty(t: &Value, condition: &str) -> Option<String> {
    let (f, arg) = intrinsic(&t["Conditions"][condition])?;
    let s = arg
        .as_sequence()
        .filter(|s| f == "Fn::Equals" && s.len() == 2)?;
    let param = s.iter().find_map(ref_target)?;
    s.iter()
        .any(|v| v.as_str() == Some(""))
        .then(|| param.to_string())
}

#[test]
fn web_function_carries_every_sign_in_variable_the_code_reads() {
    let t = template();
    let env = web_function_env(&t);
    let known = env_names_in_code();
    for name in AUTH_ENV {
        assert!(
            known.contains(name),
            "server/src does not read {name}: the code, infra/template.yaml \
             (and infra/README.md) and AUTH_ENV here must name the same variables"
        );
    }
    let read_by_code: BTreeSet<String> = known.iter().filter(|n| is_auth_env(n)).cloned().collect();
    let missing: Vec<_> = read_by_code
        .iter()
        .filter(|n| !env.contains_key(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "the web function does not set {missing:?}, which the code reads: add it to \
         infra/template.yaml's WebFunction Environment (or, if the code's default is right on \
         AWS, leave it out of is_auth_env here)"
    );
    assert!(
        matches!(&env["FERRY_AUTH"], Value::String(s) if s == "oidc"),
        "FERRY_AUTH is the literal oidc, found {:?}",
        env["FERRY_AUTH"]
    );

    // FERRY_PUBLIC_URL is the API's own URL (the API does not depend on the function).
    let (api, _) = the_resource(&t, "AWS::ApiGatewayV2::Api");
    let endpoint = format!("{api}.ApiEndpoint");
    assert_eq!(
        get_att(&env["FERRY_PUBLIC_URL"]),
        Some(endpoint.as_str()),
        "FERRY_PUBLIC_URL"
    );

    // Cognito unless OidcIssuer is given; then its parameters, and no Cognito resource.
    let (cognito, pool_issuer, issuer) =
        fn_if(&env["FERRY_OIDC_ISSUER"]).expect("FERRY_OIDC_ISSUER is !If [cognito, ...]");
    let issuer_param = ref_target(issuer).expect("FERRY_OIDC_ISSUER's other branch is a !Ref");
    assert_eq!(
        condition_tests_empty(&t, cognito).as_deref(),
        Some(issuer_param),
        "condition {cognito} is `!Equals [!Ref {issuer_param}, \"\"]`"
    );
    let (pool, _) = the_resource(&t, "AWS::Cognito::UserPool");
    assert_eq!(
        sub_text(pool_issuer),
        Some(
            format!("https://cognito-idp.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{pool}}}")
                .as_str()
        ),
        "FERRY_OIDC_ISSUER with Cognito"
    );
    let (client, _) = the_resource(&t, "AWS::Cognito::UserPoolClient");
    let (c, from_pool, from_param) =
        fn_if(&env["FERRY_OIDC_CLIENT_ID"]).expect("FERRY_OIDC_CLIENT_ID is !If");
    assert_eq!(c, cognito);
    assert_eq!(ref_target(from_pool), Some(client), "FERRY_OIDC_CLIENT_ID");
    assert!(ref_target(from_param).is_some(), "FERRY_OIDC_CLIENT_ID");
    for (id, r) in t["Resources"].as_mapping().unwrap() {
        if r["Type"]
            .as_str()
            .unwrap_or("")
            .starts_with("AWS::Cognito::")
        {
            assert_eq!(
                r["Condition"].as_str(),
                Some(cognito),
                "{id:?} must exist only with Cognito (Condition: {cognito})"
            );
        }
    }

    // The client secret: a NoEcho parameter, and no variable at all without one.
    let (_, secret, none) = fn_if(&env["FERRY_OIDC_CLIENT_SECRET"])
        .expect("FERRY_OIDC_CLIENT_SECRET is !If [has a secret, !Ref ..., !Ref AWS::NoValue]");
    assert_eq!(ref_target(none), Some("AWS::NoValue"));
    let secret_param = ref_target(secret).expect("FERRY_OIDC_CLIENT_SECRET from a parameter");
    assert_eq!(
        t["Parameters"][secret_param]["NoEcho"].as_bool(),
        Some(true),
        "{secret_param} is NoEcho"
    );

    // The admin group the code checks is the group Cognito has.
    let (_, group) = the_resource(&t, "AWS::Cognito::UserPoolGroup");
    let group_param = ref_target(&env["FERRY_ADMIN_GROUP"]).expect("FERRY_ADMIN_GROUP is a !Ref");
    assert_eq!(
        ref_target(&group["Properties"]["GroupName"]),
        Some(group_param),
        "the Cognito group is FERRY_ADMIN_GROUP"
    );
    assert_eq!(
        t["Parameters"][group_param]["Default"].as_str(),
        Some("ferry-admins")
    );
    let claim_param = ref_target(&env["FERRY_ADMIN_CLAIM"]).expect("FERRY_ADMIN_CLAIM is a !Ref");
    assert_eq!(
        t["Parameters"][claim_param]["Default"].as_str(),
        Some("cognito:groups")
    );
}

#[test]
fn cognito_client_is_public_with_the_code_flow_back_to_the_apis_own_url() {
    let t = template();
    let (api, _) = the_resource(&t, "AWS::ApiGatewayV2::Api");
    let (pool, _) = the_resource(&t, "AWS::Cognito::UserPool");
    let (_, client) = the_resource(&t, "AWS::Cognito::UserPoolClient");
    let p = &client["Properties"];
    let strings = |v: &Value| -> Vec<String> {
        v.as_sequence()
            .unwrap_or_else(|| panic!("expected a list, found {v:?}"))
            .iter()
            .map(|s| str_of(s, "list item").to_string())
            .collect()
    };
    assert_eq!(ref_target(&p["UserPoolId"]), Some(pool));
    // Public (no secret to keep): the web function uses PKCE.
    assert_eq!(p["GenerateSecret"].as_bool(), Some(false), "GenerateSecret");
    assert_eq!(p["AllowedOAuthFlowsUserPoolClient"].as_bool(), Some(true));
    assert_eq!(strings(&p["AllowedOAuthFlows"]), ["code"]);
    assert_eq!(strings(&p["SupportedIdentityProviders"]), ["COGNITO"]);
    // The scopes the client allows are the ones the function asks for.
    let scopes = strings(&p["AllowedOAuthScopes"]);
    assert!(scopes.iter().any(|s| s == "openid"), "{scopes:?}");
    let env = web_function_env(&t);
    let (_, cognito_scopes, _) =
        fn_if(&env["FERRY_OIDC_SCOPES"]).expect("FERRY_OIDC_SCOPES is !If");
    assert_eq!(
        str_of(cognito_scopes, "FERRY_OIDC_SCOPES")
            .split(' ')
            .collect::<Vec<_>>(),
        scopes,
        "FERRY_OIDC_SCOPES with Cognito"
    );
    // Back to FERRY_PUBLIC_URL: the callback route, and the sign-in page after sign-out.
    for (property, path) in [
        ("CallbackURLs", "/auth/callback"),
        ("LogoutURLs", "/sign-in"),
    ] {
        let urls: Vec<Option<&str>> = p[property]
            .as_sequence()
            .unwrap_or_else(|| panic!("{property}"))
            .iter()
            .map(sub_text)
            .collect();
        assert_eq!(
            urls,
            [Some(format!("${{{api}.ApiEndpoint}}{path}").as_str())],
            "{property}: the API's URL + {path}"
        );
    }
    // The hosted sign-in pages.
    let (_, domain) = the_resource(&t, "AWS::Cognito::UserPoolDomain");
    assert_eq!(ref_target(&domain["Properties"]["UserPoolId"]), Some(pool));
    // Nobody signs themselves up.
    let (_, pool_resource) = the_resource(&t, "AWS::Cognito::UserPool");
    assert_eq!(
        pool_resource["Properties"]["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"].as_bool(),
        Some(true)
    );
}

#[test]
fn cookie_key_comes_from_a_generated_secret() {
    let t = template();
    let env = web_function_env(&t);
    let value = &env["FERRY_COOKIE_KEY"];
    // (`as_str` would see through a tag: `!Sub "..."` is a string too.)
    assert!(
        !matches!(value, Value::String(_)),
        "FERRY_COOKIE_KEY must never be a literal in the template"
    );
    let text = sub_text(value).unwrap_or_else(|| {
        panic!("FERRY_COOKIE_KEY: expected !Sub \"{{{{resolve:secretsmanager:${{Secret}}:SecretString:<key>}}}}\", found {value:?}")
    });
    let inner = text
        .strip_prefix("{{resolve:secretsmanager:${")
        .and_then(|s| s.strip_suffix("}}"))
        .unwrap_or_else(|| panic!("FERRY_COOKIE_KEY is not a Secrets Manager reference: {text}"));
    let (secret, rest) = inner.split_once('}').unwrap();
    let json_key = rest
        .strip_prefix(":SecretString:")
        .unwrap_or_else(|| panic!("FERRY_COOKIE_KEY: {text}"));
    let r = &t["Resources"][secret];
    assert_eq!(
        r["Type"].as_str(),
        Some("AWS::SecretsManager::Secret"),
        "FERRY_COOKIE_KEY refers to {secret}"
    );
    assert!(
        r["Condition"].is_null(),
        "the cookie key exists with any issuer"
    );
    let p = &r["Properties"];
    assert!(
        p["SecretString"].is_null(),
        "{secret} is generated, never given"
    );
    let g = &p["GenerateSecretString"];
    assert!(
        g["PasswordLength"].as_u64().is_some_and(|n| n >= 48),
        "{secret}: at least 48 characters (the code wants 32 bytes or more)"
    );
    assert_eq!(g["ExcludePunctuation"].as_bool(), Some(true));
    // The reference reads the generated field of the secret's JSON.
    let generated_key = sub_text(&g["GenerateStringKey"])
        .or_else(|| g["GenerateStringKey"].as_str())
        .expect("GenerateStringKey");
    assert_eq!(
        json_key, generated_key,
        "FERRY_COOKIE_KEY reads {secret}'s generated key"
    );
}

// ---------------------------------------------------------------- nothing lost, and said so

/// The template's parameters at their defaults, with `overrides` applied.
fn parameters(t: &Value, overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = t["Parameters"]
        .as_mapping()
        .expect("Parameters")
        .iter()
        .filter_map(|(name, p)| Some((name.as_str()?.to_string(), scalar(&p["Default"])?)))
        .collect();
    for (name, value) in overrides {
        assert!(
            t["Parameters"][*name].is_mapping(),
            "no parameter {name} in the template"
        );
        values.insert(name.to_string(), value.to_string());
    }
    values
}

/// A plain scalar as text (`!Ref` and friends are not plain: `None`).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// What `v` comes to for these parameter values: a literal, a `!Ref` to a parameter, or an
/// `!If` on a condition (the functions CloudFormation resolves in deletion policies).
fn resolve(t: &Value, v: &Value, params: &BTreeMap<String, String>) -> String {
    if let Some(s) = scalar(v) {
        return s;
    }
    if let Some((condition, then, otherwise)) = fn_if(v) {
        let branch = if holds(t, condition, params) {
            then
        } else {
            otherwise
        };
        return resolve(t, branch, params);
    }
    match ref_target(v) {
        Some(p) => params
            .get(p)
            .unwrap_or_else(|| panic!("!Ref {p}: not a parameter with a value"))
            .clone(),
        None => panic!("cannot resolve {v:?} (expected a literal, !Ref or !If)"),
    }
}

/// Whether the template's condition `name` holds for these parameter values.
fn holds(t: &Value, name: &str, params: &BTreeMap<String, String>) -> bool {
    let condition = &t["Conditions"][name];
    assert!(!condition.is_null(), "no condition {name}");
    holds_expr(t, condition, params)
}

fn holds_expr(t: &Value, v: &Value, params: &BTreeMap<String, String>) -> bool {
    let (f, arg) = intrinsic(v).unwrap_or_else(|| panic!("not a condition: {v:?}"));
    let args = || arg.as_sequence().map(|s| s.as_slice()).unwrap_or_default();
    match f.as_str() {
        "Fn::Equals" => {
            let [a, b] = args() else {
                panic!("!Equals takes two values: {v:?}")
            };
            resolve(t, a, params) == resolve(t, b, params)
        }
        "Fn::Not" => !holds_expr(t, &args()[0], params),
        "Fn::And" => args().iter().all(|c| holds_expr(t, c, params)),
        "Fn::Or" => args().iter().any(|c| holds_expr(t, c, params)),
        "Fn::Condition" => holds(t, str_of(arg, "!Condition"), params),
        other => panic!("condition function {other} is not understood here"),
    }
}

/// The function whose handler is `handler`: (logical id, resource).
fn function_with_handler<'a>(t: &'a Value, handler: &str) -> (&'a str, &'a Value) {
    resources_of(t, "AWS::Serverless::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["Handler"].as_str() == Some(handler))
        .unwrap_or_else(|| panic!("no function with Handler {handler}"))
}

/// `!GetAtt X.Attr` → X, when it names that attribute.
fn get_att_of<'a>(v: &'a Value, attribute: &str) -> Option<&'a str> {
    get_att(v)?.strip_suffix(attribute)?.strip_suffix('.')
}

#[test]
fn failed_s3_events_are_parked_in_a_queue_after_bounded_retries() {
    let t = template();
    let (events_fn, f) = function_with_handler(&t, "s3-events");
    let config = &f["Properties"]["EventInvokeConfig"];
    assert!(
        config.is_mapping(),
        "{events_fn} has no EventInvokeConfig: a failed S3 event would be retried twice and \
         then dropped"
    );
    // SAM's property makes the function's one AWS::Lambda::EventInvokeConfig; a second one
    // for the same function would fail the deploy.
    assert!(
        resources_of(&t, "AWS::Lambda::EventInvokeConfig").is_empty(),
        "keep the asynchronous invocation config on {events_fn} (EventInvokeConfig) only"
    );
    let retries = config["MaximumRetryAttempts"]
        .as_u64()
        .expect("MaximumRetryAttempts is a number");
    assert!(retries <= 2, "MaximumRetryAttempts {retries}: at most 2");
    let age = config["MaximumEventAgeInSeconds"]
        .as_u64()
        .expect("MaximumEventAgeInSeconds is set: an event's wait is bounded");
    assert!(
        (60..=6 * 3600).contains(&age),
        "MaximumEventAgeInSeconds {age}: between a minute and 6 hours"
    );

    // The failures go to the template's own queue, as SQS: SAM then grants the role
    // sqs:SendMessage on it (it does for Type SQS only).
    let on_failure = &config["DestinationConfig"]["OnFailure"];
    assert_eq!(
        on_failure["Type"].as_str(),
        Some("SQS"),
        "OnFailure Type SQS (SAM adds the role's sqs:SendMessage for it)"
    );
    let (queue, q) = the_resource(&t, "AWS::SQS::Queue");
    assert_eq!(
        get_att_of(&on_failure["Destination"], "Arn"),
        Some(queue),
        "OnFailure Destination is !GetAtt {queue}.Arn"
    );
    assert!(q["Condition"].is_null(), "{queue} exists in every stack");
    let p = &q["Properties"];
    assert_eq!(
        p["SqsManagedSseEnabled"].as_bool(),
        Some(true),
        "{queue} is encrypted at rest (SSE-SQS)"
    );
    assert_eq!(
        p["MessageRetentionPeriod"].as_u64(),
        Some(14 * 24 * 3600),
        "{queue} keeps parked events 14 days (SQS's longest)"
    );
    assert!(
        p["FifoQueue"].is_null(),
        "a FIFO queue cannot be a Lambda destination"
    );

    // The README's commands start from the outputs.
    let outputs = t["Outputs"].as_mapping().expect("Outputs");
    let url = outputs
        .values()
        .any(|o| ref_target(&o["Value"]) == Some(queue));
    let name = outputs
        .values()
        .any(|o| get_att_of(&o["Value"], "QueueName") == Some(queue));
    assert!(url, "an output gives {queue}'s URL (!Ref {queue})");
    assert!(
        name,
        "an output gives {queue}'s name (!GetAtt {queue}.QueueName)"
    );
}

/// The resources whose data is Ferry's: the table (assets), the bucket (files) and the user
/// pool (the owners).
const DATA_RESOURCES: [&str; 3] = [
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::Cognito::UserPool",
];

#[test]
fn the_table_and_bucket_survive_stack_deletion_by_default() {
    let t = template();
    let param = &t["Parameters"]["DataDeletionPolicy"];
    assert_eq!(param["Default"].as_str(), Some("Retain"));
    let allowed: BTreeSet<&str> = param["AllowedValues"]
        .as_sequence()
        .expect("DataDeletionPolicy's AllowedValues")
        .iter()
        .map(|v| str_of(v, "AllowedValues"))
        .collect();
    // Snapshot is refused by CloudFormation for DynamoDB and S3.
    assert_eq!(allowed, BTreeSet::from(["Delete", "Retain"]));

    let defaults = parameters(&t, &[]);
    let throw_away = parameters(&t, &[("DataDeletionPolicy", "Delete")]);
    for ty in DATA_RESOURCES {
        let (id, r) = the_resource(&t, ty);
        for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
            assert_eq!(
                resolve(&t, &r[policy], &defaults),
                "Retain",
                "{id}'s {policy} by default"
            );
            assert_eq!(
                resolve(&t, &r[policy], &throw_away),
                "Delete",
                "{id}'s {policy} with DataDeletionPolicy=Delete"
            );
        }
    }

    // Backups: point-in-time recovery on the table; the bucket keeps replaced and deleted
    // objects' versions for a while, and still aborts forgotten multipart uploads.
    let (table, r) = the_resource(&t, "AWS::DynamoDB::Table");
    assert_eq!(
        r["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true),
        "{table}: point-in-time recovery"
    );
    let (bucket, b) = the_resource(&t, "AWS::S3::Bucket");
    let p = &b["Properties"];
    assert_eq!(
        p["VersioningConfiguration"]["Status"].as_str(),
        Some("Enabled"),
        "{bucket}: versioning"
    );
    let rules: Vec<&Value> = p["LifecycleConfiguration"]["Rules"]
        .as_sequence()
        .expect("the bucket's lifecycle rules")
        .iter()
        .filter(|r| r["Status"].as_str() == Some("Enabled"))
        .collect();
    let noncurrent_days: Vec<String> = rules
        .iter()
        .map(|r| &r["NoncurrentVersionExpiration"]["NoncurrentDays"])
        .filter(|d| !d.is_null())
        .map(|d| resolve(&t, d, &defaults))
        .collect();
    assert_eq!(
        noncurrent_days,
        ["30"],
        "{bucket}: one rule expires noncurrent versions, after 30 days by default"
    );
    assert!(
        rules
            .iter()
            .any(|r| !r["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"].is_null()),
        "{bucket}: the rule aborting unfinished multipart uploads is kept"
    );
}

/// The metrics an alarm watches: (namespace, metric, dimensions), from a single-metric alarm
/// or from the `MetricStat`s of a metric-math one.
fn alarm_metrics(alarm: &Value) -> Vec<(&str, &str, BTreeMap<&str, &Value>)> {
    fn one(m: &Value) -> (&str, &str, BTreeMap<&str, &Value>) {
        let dimensions = m["Dimensions"]
            .as_sequence()
            .map(|s| s.as_slice())
            .unwrap_or_default()
            .iter()
            .map(|d| (str_of(&d["Name"], "dimension Name"), &d["Value"]))
            .collect();
        (
            str_of(&m["Namespace"], "Namespace"),
            str_of(&m["MetricName"], "MetricName"),
            dimensions,
        )
    }
    let p = &alarm["Properties"];
    match p["Metrics"].as_sequence() {
        None => vec![one(p)],
        Some(metrics) => metrics
            .iter()
            .filter(|m| !m["MetricStat"].is_null())
            .map(|m| one(&m["MetricStat"]["Metric"]))
            .collect(),
    }
}

/// The one alarm watching `namespace`/`metric`, and that metric's dimensions.
fn alarm_on<'a>(
    t: &'a Value,
    namespace: &str,
    metric: &str,
) -> (&'a str, &'a Value, BTreeMap<&'a str, &'a Value>) {
    let found: Vec<_> = resources_of(t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .flat_map(|(id, alarm)| {
            alarm_metrics(alarm)
                .into_iter()
                .filter(|(ns, m, _)| *ns == namespace && *m == metric)
                .map(move |(_, _, dimensions)| (id, alarm, dimensions))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one alarm on {namespace} {metric}, found {:?}",
        found.iter().map(|(id, _, _)| id).collect::<Vec<_>>()
    );
    found.into_iter().next().unwrap()
}

/// The alarm fires when its value goes above `threshold`, judged over at most 5 minutes.
fn fires_above(id: &str, alarm: &Value, threshold: f64) {
    let p = &alarm["Properties"];
    assert_eq!(
        p["ComparisonOperator"].as_str(),
        Some("GreaterThanThreshold"),
        "{id}"
    );
    assert_eq!(p["Threshold"].as_f64(), Some(threshold), "{id}: Threshold");
    assert_eq!(p["EvaluationPeriods"].as_u64(), Some(1), "{id}: one period");
    let period = p["Period"].as_u64().or_else(|| {
        p["Metrics"]
            .as_sequence()?
            .iter()
            .filter_map(|m| m["MetricStat"]["Period"].as_u64())
            .max()
    });
    assert!(
        period.is_some_and(|s| s <= 300),
        "{id}: a period of at most 5 minutes, found {period:?}"
    );
    // No data is no trouble: an idle stack has no requests, errors or queue metrics.
    assert_eq!(
        p["TreatMissingData"].as_str(),
        Some("notBreaching"),
        "{id}: TreatMissingData"
    );
}

#[test]
fn alarms_watch_parked_events_event_errors_and_5xx() {
    let t = template();

    // (a) Any parked S3 event.
    let (queue, _) = the_resource(&t, "AWS::SQS::Queue");
    let (id, alarm, dims) = alarm_on(&t, "AWS/SQS", "ApproximateNumberOfMessagesVisible");
    assert_eq!(
        dims.keys().copied().collect::<Vec<_>>(),
        ["QueueName"],
        "{id}"
    );
    assert_eq!(
        get_att_of(dims["QueueName"], "QueueName"),
        Some(queue),
        "{id} watches the queue failed events are parked in"
    );
    assert_eq!(
        alarm["Properties"]["Statistic"].as_str(),
        Some("Maximum"),
        "{id}"
    );
    fires_above(id, alarm, 0.0);

    // (b) Any failed invocation of the s3-events function.
    let (events_fn, _) = function_with_handler(&t, "s3-events");
    let (id, alarm, dims) = alarm_on(&t, "AWS/Lambda", "Errors");
    assert_eq!(
        dims.keys().copied().collect::<Vec<_>>(),
        ["FunctionName"],
        "{id}"
    );
    assert_eq!(ref_target(dims["FunctionName"]), Some(events_fn), "{id}");
    assert_eq!(
        alarm["Properties"]["Statistic"].as_str(),
        Some("Sum"),
        "{id}"
    );
    fires_above(id, alarm, 0.0);

    // (c) The HTTP API's 5xx answers: more than 1% of its requests.
    let (api, _) = the_resource(&t, "AWS::ApiGatewayV2::Api");
    let (_, stage) = the_resource(&t, "AWS::ApiGatewayV2::Stage");
    let stage_name = str_of(&stage["Properties"]["StageName"], "StageName");
    let (id, alarm, dims) = alarm_on(&t, "AWS/ApiGateway", "5xx");
    assert_eq!(ref_target(dims["ApiId"]), Some(api), "{id}: ApiId");
    assert_eq!(
        dims.get("Stage").and_then(|s| scalar(s)).as_deref(),
        Some(stage_name),
        "{id}: the API's stage"
    );
    let (count_alarm, _, count_dims) = alarm_on(&t, "AWS/ApiGateway", "Count");
    assert_eq!(
        count_alarm, id,
        "{id} divides the 5xx answers by all requests"
    );
    assert_eq!(
        count_dims, dims,
        "{id}: 5xx and Count of the same API and stage"
    );
    let metrics = alarm["Properties"]["Metrics"].as_sequence().unwrap();
    let id_of = |name: &str| {
        metrics
            .iter()
            .find(|m| m["MetricStat"]["Metric"]["MetricName"].as_str() == Some(name))
            .map(|m| str_of(&m["Id"], "Id"))
            .unwrap()
    };
    let returned: Vec<&Value> = metrics
        .iter()
        .filter(|m| m["ReturnData"].as_bool() != Some(false))
        .collect();
    assert_eq!(
        returned.len(),
        1,
        "{id}: one expression is the alarm's value"
    );
    let expression = str_of(&returned[0]["Expression"], "Expression");
    assert!(
        expression.contains(&format!("100 * {} / {}", id_of("5xx"), id_of("Count"))),
        "{id}: the expression is a percentage of 5xx answers: {expression}"
    );
    fires_above(id, alarm, 1.0);
}

#[test]
fn alarms_notify_alarm_email_only_when_one_is_given() {
    let t = template();
    let (topic, topic_resource) = the_resource(&t, "AWS::SNS::Topic");
    let condition = str_of(&topic_resource["Condition"], "the topic's Condition");
    assert!(
        !holds(&t, condition, &parameters(&t, &[])),
        "no AlarmEmail, no topic"
    );
    assert!(holds(
        &t,
        condition,
        &parameters(&t, &[("AlarmEmail", "ops@example.com")])
    ));
    let (_, subscription) = the_resource(&t, "AWS::SNS::Subscription");
    assert_eq!(subscription["Condition"].as_str(), Some(condition));
    let p = &subscription["Properties"];
    assert_eq!(ref_target(&p["TopicArn"]), Some(topic));
    assert_eq!(p["Protocol"].as_str(), Some("email"));
    assert_eq!(ref_target(&p["Endpoint"]), Some("AlarmEmail"));

    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    assert!(alarms.len() >= 3, "{} alarms", alarms.len());
    for (id, alarm) in alarms {
        assert!(alarm["Condition"].is_null(), "{id} exists in every stack");
        for actions in ["AlarmActions", "OKActions"] {
            let (c, with_topic, without) = fn_if(&alarm["Properties"][actions])
                .unwrap_or_else(|| panic!("{id}: {actions} is !If [{condition}, ...]"));
            assert_eq!(c, condition, "{id}: {actions}");
            let targets: Vec<Option<&str>> = with_topic
                .as_sequence()
                .unwrap_or_else(|| panic!("{id}: {actions}: a list"))
                .iter()
                .map(ref_target)
                .collect();
            assert_eq!(targets, [Some(topic)], "{id}: {actions}");
            assert_eq!(ref_target(without), Some("AWS::NoValue"), "{id}: {actions}");
        }
    }
}

#[test]
fn api_access_logs_go_to_a_log_group_with_retention() {
    let t = template();
    let (stage_id, stage) = the_resource(&t, "AWS::ApiGatewayV2::Stage");
    let settings = &stage["Properties"]["AccessLogSettings"];
    let group = get_att_of(&settings["DestinationArn"], "Arn").unwrap_or_else(|| {
        panic!("{stage_id}: AccessLogSettings DestinationArn is !GetAtt <log group>.Arn")
    });
    let g = &t["Resources"][group];
    assert_eq!(g["Type"].as_str(), Some("AWS::Logs::LogGroup"), "{group}");
    assert_eq!(
        ref_target(&g["Properties"]["RetentionInDays"]),
        Some("LogRetentionDays"),
        "{group}: kept as long as the functions' logs"
    );
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        assert_ne!(
            ref_target(&f["Properties"]["LoggingConfig"]["LogGroup"]),
            Some(group),
            "{id} logs into the access log's group"
        );
    }

    // One JSON object per request, with the fields an investigation starts from.
    let format = match &settings["Format"] {
        Value::String(s) => s,
        other => panic!("{stage_id}: the access log Format is a literal, found {other:?}"),
    };
    let fields: serde_json::Map<String, serde_json::Value> = serde_json::from_str(format)
        .unwrap_or_else(|e| panic!("{stage_id}: the access log Format is a JSON object: {e}"));
    for (field, variable) in [
        ("requestId", "$context.requestId"),
        ("ip", "$context.identity.sourceIp"),
        ("routeKey", "$context.routeKey"),
        ("status", "$context.status"),
        ("responseLength", "$context.responseLength"),
        ("integrationLatency", "$context.integrationLatency"),
    ] {
        assert_eq!(
            fields.get(field).and_then(|v| v.as_str()),
            Some(variable),
            "{stage_id}: access log field {field}"
        );
    }
    for (field, value) in &fields {
        assert!(
            value.as_str().is_some_and(|v| v.starts_with("$context.")),
            "{stage_id}: access log field {field} is {value}, not a $context variable"
        );
    }
}

#[test]
fn functions_log_json_into_log_groups_of_the_stack() {
    let t = template();
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        let logging = &f["Properties"]["LoggingConfig"];
        assert_eq!(
            logging["LogFormat"].as_str(),
            Some("JSON"),
            "{id}: LogFormat"
        );
        let group = ref_target(&logging["LogGroup"])
            .unwrap_or_else(|| panic!("{id}: LoggingConfig LogGroup is a !Ref"));
        let g = &t["Resources"][group];
        assert_eq!(g["Type"].as_str(), Some("AWS::Logs::LogGroup"), "{group}");
        assert_eq!(
            ref_target(&g["Properties"]["RetentionInDays"]),
            Some("LogRetentionDays"),
            "{group}"
        );
        // Lambda's own name for the group, so nothing else creates it without retention.
        let function_name = sub_text(&f["Properties"]["FunctionName"]).expect("FunctionName");
        assert_eq!(
            sub_text(&g["Properties"]["LogGroupName"]),
            Some(format!("/aws/lambda/{function_name}").as_str()),
            "{group}"
        );
    }
}
