//! No drift between `infra/template.yaml` and the code:
//!
//! - the table's key schema, attribute definitions and every global secondary index equal
//!   those of the table the code itself creates (`AssetStore::ensure_table`, read back with
//!   DescribeTable from the embedded DynamoDB), and its TTL attribute is the one the fair-use
//!   counters carry (`storage::TTL_ATTRIBUTE`);
//! - every environment variable the template sets is one the code reads, and the table and
//!   bucket names point at the template's own table and bucket;
//! - each function is granted exactly the IAM actions the DynamoDB and S3 calls its code
//!   reaches need, and object permissions reach only the `uploads/` prefix the code writes
//!   under (but for reads by the function that lists the whole bucket);
//! - handlers, HTTP API wiring, S3 event subscriptions and the reconcile schedule are what
//!   the binary expects;
//! - sign-in: the web function sets every sign-in variable the code reads, from Cognito's
//!   resources or from the other issuer's parameters; Cognito's client is public (code flow,
//!   PKCE) and returns to the API's own URL; the cookie key is a generated secret;
//! - nothing is lost: the S3-event function's failed events are parked in the template's SQS
//!   queue after bounded retries, and the table, bucket and user pool are kept when the stack
//!   is deleted (unless `DataDeletionPolicy` says `Delete`) and backed up (point-in-time
//!   recovery, object versions);
//! - and said so: the functions log JSON, the API writes a JSON access log, alarms watch the
//!   parked events, the S3-event and reconcile functions' errors and the API's 5xx rate, and
//!   mail `AlarmEmail` when it is set.
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

/// The template's table deletes items by `storage::TTL_ATTRIBUTE`, and the code does write
/// that attribute as a Number of epoch seconds (what DynamoDB's TTL reads; an item with
/// anything else there is never deleted): here on a fair-use counter, which carries its
/// window's end (uploads waiting for their file carry it too).
#[tokio::test]
async fn table_ttl_is_the_attribute_the_code_writes() {
    use server::storage::{QuotaWindow, TTL_ATTRIBUTE};
    let t = template();
    let (table, r) = the_resource(&t, "AWS::DynamoDB::Table");
    let ttl = &r["Properties"]["TimeToLiveSpecification"];
    assert_eq!(ttl["Enabled"].as_bool(), Some(true), "{table}: TTL enabled");
    assert_eq!(
        ttl["AttributeName"].as_str(),
        Some(TTL_ATTRIBUTE),
        "{table}: the TTL attribute is the one the code writes (storage::TTL_ATTRIBUTE)"
    );

    // One counted request, read back from the table the code writes.
    let env = TestApp::start().await;
    let services = env.services();
    let expires_at = 1_900_000_120;
    let window = QuotaWindow {
        client: "addr:192.0.2.1",
        start: 1_900_000_000,
        expires_at,
        limit: 10,
    };
    assert!(services.store.count_request(&window).await.expect("count"));
    let db = server::aws::dynamodb_client(&server::aws::config_for_endpoint(
        &env.embedded.dynamodb_endpoint,
        server::services::Embedded::REGION,
        &env.embedded.credentials.access_key,
        &env.embedded.credentials.secret_key,
    ));
    let items = db
        .scan()
        .table_name(&services.settings.table_name)
        .send()
        .await
        .expect("Scan")
        .items
        .unwrap_or_default();
    let with_ttl: Vec<_> = items
        .iter()
        .filter_map(|item| item.get(TTL_ATTRIBUTE))
        .collect();
    assert_eq!(
        with_ttl,
        [&aws_sdk_dynamodb::types::AttributeValue::N(
            expires_at.to_string()
        )],
        "the counter's item carries {TTL_ATTRIBUTE} as a Number of epoch seconds: {items:?}"
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
        "FERRY_UPLOAD_RATE_LIMIT",
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
        // The web function signs URLs for BUCKET_NAME, reconcile lists it. The S3-event
        // function skips records of any bucket but BUCKET_NAME, and cannot !Ref the bucket
        // (whose notification depends on it): it is given the bucket's name, the same text.
        match handler {
            "s3-events" => assert_eq!(
                env.get("BUCKET_NAME").and_then(sub_text),
                Some(bucket_name(&t)),
                "{id}: BUCKET_NAME must be the bucket's BucketName"
            ),
            _ => assert_eq!(refs("BUCKET_NAME"), Some(bucket), "{id}: BUCKET_NAME"),
        }
        // All apply the same limits: the web function when it signs, the S3-event and
        // reconcile functions when an object arrives (or is found) whose size or type was
        // not signed.
        for limit in ["FERRY_MAX_UPLOAD_BYTES", "FERRY_ALLOWED_TYPES"] {
            assert!(refs(limit).is_some(), "{id}: {limit}");
            assert_eq!(
                refs(limit),
                web_function_env(&t).get(limit).and_then(ref_target)
            );
        }
    }
}

#[test]
fn web_function_takes_the_upload_rate_limit_from_a_parameter() {
    let t = template();
    let env = web_function_env(&t);
    let param = env
        .get("FERRY_UPLOAD_RATE_LIMIT")
        .and_then(ref_target)
        .expect("the web function's FERRY_UPLOAD_RATE_LIMIT is a !Ref to a parameter");
    let p = &t["Parameters"][param];
    assert_eq!(p["Type"].as_str(), Some("Number"), "{param}");
    assert_eq!(
        p["Default"].as_u64(),
        Some(u64::from(server::config::Limits::DEFAULT_UPLOAD_RATE_LIMIT)),
        "{param}: the code's default"
    );
    assert_eq!(
        p["MinValue"].as_u64(),
        Some(0),
        "{param}: 0 turns the limit off"
    );
    assert!(
        p["MaxValue"]
            .as_u64()
            .is_some_and(|m| m <= u64::from(u32::MAX)),
        "{param}: at most what the code parses (u32)"
    );
    // Only the web function counts requests.
    for (id, handler, env) in functions(&t) {
        assert!(
            handler == "web" || !env.contains_key("FERRY_UPLOAD_RATE_LIMIT"),
            "{id} is given FERRY_UPLOAD_RATE_LIMIT, which only the web function applies"
        );
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
    let handlers: Vec<&str> = fns.iter().map(|(_, h, _)| *h).collect();
    for h in &handlers {
        server::config::Handler::from_str(h, false).expect("a handler `ferry lambda` knows");
    }
    // One function for each handler the binary has, and no two for one.
    let mut want: Vec<&str> = server::config::Handler::value_variants()
        .iter()
        .map(|h| h.name())
        .collect();
    want.sort();
    let mut sorted = handlers.clone();
    sorted.sort();
    assert_eq!(
        sorted, want,
        "the template's functions (by Handler) and the binary's handlers"
    );
    assert!(want.contains(&"reconcile"), "{want:?}");
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

/// Source text without its unit tests (`#[cfg(test)] mod tests { ... }`, last in each file).
fn without_tests(text: &str) -> &str {
    text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text)
}

/// Code with the whitespace between two words kept (one space) and all other whitespace
/// removed, so calls chained across lines read as one (`self.db.get_item()`) while `return
/// put(` stays two words.
fn squash(code: &str) -> String {
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(code.len());
    let mut chars = code.chars().peekable();
    while let Some(c) = chars.next() {
        if !c.is_whitespace() {
            out.push(c);
            continue;
        }
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if out.ends_with(word) && chars.peek().is_some_and(|&c| word(c)) {
            out.push(' ');
        }
    }
    out
}

/// The functions defined in `text`: name → bodies (a name defined twice keeps both), found by
/// brace matching (string and char literals skipped). A `;` before the body at the top
/// bracket level makes it a declaration (`[String; N]` in a parameter does not).
fn functions_in(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut fns: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("fn ") {
        if text[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let name: String = text[at + 3..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let (mut depth, mut open) = (0i32, None);
        for (i, c) in text[at..].char_indices() {
            match c {
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                ';' if depth == 0 => break,
                '{' if depth == 0 => {
                    open = Some(at + i);
                    break;
                }
                _ => {}
            }
        }
        let Some(open) = open else {
            continue; // a declaration, not a definition
        };
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
        fns.entry(name)
            .or_default()
            .push(text[open..=i.min(bytes.len() - 1)].to_string());
    }
    fns
}

/// The names of `fns` that squashed `code` calls: `self.f(`, `Self::f(` or a free `f(`
/// (generic arguments allowed: `f::<N>(`); `x.f(` and `Other::f(` are someone else's.
fn callees(code: &str, fns: &BTreeMap<String, Vec<String>>) -> BTreeSet<String> {
    fns.keys()
        .filter(|name| {
            code.match_indices(name.as_str()).any(|(i, _)| {
                let (before, after) = (&code[..i], &code[i + name.len()..]);
                let called = after.starts_with('(') || after.starts_with("::<");
                let free = !before
                    .ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == ':');
                called && (free || before.ends_with("self.") || before.ends_with("Self::"))
            })
        })
        .cloned()
        .collect()
}

/// `roots` and every function of `fns` they call, directly or not. Panics on a root `fns`
/// does not define (the derivation would silently miss its calls).
fn reachable(
    roots: &BTreeSet<String>,
    fns: &BTreeMap<String, Vec<String>>,
    what: &str,
) -> BTreeSet<String> {
    for root in roots {
        assert!(
            fns.contains_key(root),
            "{what}: `{root}` is called but not defined where this test looks"
        );
    }
    let mut seen = roots.clone();
    let mut todo: Vec<String> = roots.iter().cloned().collect();
    while let Some(f) = todo.pop() {
        for body in &fns[&f] {
            for callee in callees(&squash(body), fns) {
                if seen.insert(callee.clone()) {
                    todo.push(callee);
                }
            }
        }
    }
    seen
}

/// SDK operations (`self.db.get_item()`, `self.s3.put_object()`, ...) in squashed `code`.
fn sdk_calls(code: &str, receiver: &str) -> BTreeSet<String> {
    let needle = format!("self.{receiver}.");
    code.match_indices(&needle)
        .filter_map(|(i, _)| {
            let rest = &code[i + needle.len()..];
            let op: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            rest[op.len()..].starts_with("()").then_some(op)
        })
        .collect()
}

/// Methods called on a field or accessor `receiver` (`x.store.f(`, `x.store().f(`) in
/// squashed `code`. (A local `store.f(` is set-up code: `ensure_table` and the like.)
fn methods_called_on(code: &str, receiver: &str) -> BTreeSet<String> {
    let mut methods = BTreeSet::new();
    for needle in [format!(".{receiver}."), format!(".{receiver}().")] {
        for (i, _) in code.match_indices(&needle) {
            let rest = &code[i + needle.len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() && rest[name.len()..].starts_with('(') && name != "clone" {
                methods.insert(name);
            }
        }
    }
    methods
}

/// The code of each function besides the stores: the files its handler runs (their calls
/// into `AssetStore` and `ObjectStore` are where the derivation starts), and its own module,
/// where its S3 events come from. `local/` is the embedded backend, never run on AWS.
fn function_code(handler: &str) -> (Vec<PathBuf>, PathBuf) {
    let src = repo_root().join("server/src");
    let events = src.join("notifications.rs");
    let thumbnails = src.join("thumbnails.rs");
    let reconcile = src.join("reconcile.rs");
    match handler {
        // S3 notifications, through the event handler, then the thumbnails they call for.
        "s3-events" => (vec![events.clone(), thumbnails], events),
        // The bucket's listing and the records (storage::inventory), then each repair
        // through the same event handler.
        "reconcile" => (vec![reconcile.clone(), events], reconcile),
        // Everything else: pages, API, server functions, fair use, sign-in.
        "web" => {
            let files: Vec<PathBuf> = rust_files(&src)
                .into_iter()
                .filter(|f| {
                    let rel = f.strip_prefix(&src).unwrap();
                    !rel.starts_with("storage")
                        && !rel.starts_with("local")
                        && *f != src.join("objects.rs")
                        && *f != events
                        && *f != thumbnails
                        && *f != reconcile
                })
                .collect();
            (files, src.join("service.rs"))
        }
        other => panic!(
            "a function with Handler {other}: say in function_code which code it runs, so that \
             its IAM actions can be derived"
        ),
    }
}

/// Whether a function's S3 calls can name an object version: its events carry S3's
/// `versionId` unless its own module builds every event with `version_id: None` and asks
/// the object store about no version itself (`head(.., None)`).
fn names_versions(own: &str) -> bool {
    let events = own
        .match_indices("version_id:")
        .any(|(i, _)| !own[i + "version_id:".len()..].starts_with("None"));
    let direct = [".objects.head(", ".objects.delete("].iter().any(|call| {
        own.match_indices(call).any(|(i, _)| {
            let args = &own[i + call.len()..];
            let mut depth = 1;
            let end = args
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(args.len(), |(at, _)| at);
            !args[..end].ends_with(",None")
        })
    });
    events || direct
}

/// Every storage module but `schema`: the table's set-up (create, describe, update, the
/// one-time Scan) lives there by design and runs only for the embedded backend.
fn storage_files() -> Vec<PathBuf> {
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
}

/// The text of these files, their unit tests left out.
fn code_of(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|f| without_tests(&std::fs::read_to_string(f).unwrap()).to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

fn storage_code() -> String {
    code_of(&storage_files())
}

/// The IAM actions the function with this handler needs, each with the `AssetStore` and
/// `ObjectStore` methods its code calls that need it: the DynamoDB and S3 operations in those
/// methods and in everything they call in turn (storage without `schema`, objects.rs without
/// the embedded-only `ensure_bucket`).
fn actions_needed_by(handler: &str) -> BTreeMap<String, BTreeSet<String>> {
    let (files, own) = function_code(handler);
    let code = squash(&code_of(&files));
    let own = squash(&code_of(&[own]));
    let versions = names_versions(&own);
    let mut needed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut need = |action: &str, by: &str| {
        needed
            .entry(action.to_string())
            .or_default()
            .insert(by.to_string());
    };

    let storage = functions_in(&storage_code());
    for root in methods_called_on(&code, "store") {
        for f in reachable(&BTreeSet::from([root.clone()]), &storage, "AssetStore") {
            let body = squash(&storage[&f].join("\n"));
            for op in sdk_calls(&body, "db") {
                match op.as_str() {
                    "get_item" => need("dynamodb:GetItem", &root),
                    "batch_get_item" => need("dynamodb:BatchGetItem", &root),
                    "put_item" => need("dynamodb:PutItem", &root),
                    "update_item" => need("dynamodb:UpdateItem", &root),
                    "delete_item" => need("dynamodb:DeleteItem", &root),
                    "query" => need("dynamodb:Query", &root),
                    // A transaction needs the actions of the items it writes, wherever
                    // among the functions it calls they are built.
                    "transact_write_items" => {
                        let built: String = reachable(&BTreeSet::from([f.clone()]), &storage, "")
                            .iter()
                            .flat_map(|g| storage[g].iter().map(|b| squash(b)))
                            .collect();
                        for (builder, action) in [
                            ("Put::builder()", "dynamodb:PutItem"),
                            ("Update::builder()", "dynamodb:UpdateItem"),
                            ("Delete::builder()", "dynamodb:DeleteItem"),
                            ("ConditionCheck::builder()", "dynamodb:ConditionCheckItem"),
                        ] {
                            if built.contains(builder) {
                                need(action, &root);
                            }
                        }
                    }
                    other => panic!(
                        "server/src/storage calls DynamoDB `{other}` outside schema.rs: add its \
                         IAM action here and to infra/template.yaml (or move table set-up to \
                         schema.rs)"
                    ),
                }
            }
        }
    }

    let objects = std::fs::read_to_string(repo_root().join("server/src/objects.rs")).unwrap();
    let objects = functions_in(without_tests(&objects));
    let mut s3_action = |op: &str, root: &str| {
        let action = match op {
            "put_object"
            | "upload_part"
            | "create_multipart_upload"
            | "complete_multipart_upload" => "s3:PutObject",
            "get_object" => "s3:GetObject",
            "abort_multipart_upload" => "s3:AbortMultipartUpload",
            "list_parts" => "s3:ListMultipartUploadParts",
            "list_objects_v2" => "s3:ListBucket",
            // Both name a version when the event does (versioned bucket).
            "head_object" => {
                if versions {
                    need("s3:GetObjectVersion", root);
                }
                "s3:GetObject"
            }
            "delete_object" => {
                if versions {
                    need("s3:DeleteObjectVersion", root);
                }
                "s3:DeleteObject"
            }
            other => panic!(
                "objects.rs calls S3 `{other}` outside ensure_bucket: add its IAM \
                 action here and to infra/template.yaml"
            ),
        };
        need(action, root);
    };
    let mut object_roots = methods_called_on(&code, "objects");
    object_roots.remove("ensure_bucket"); // the embedded backend's; the template owns the bucket
    object_roots.remove("client"); // its calls are read below, where they are made
    for root in object_roots {
        for f in reachable(&BTreeSet::from([root.clone()]), &objects, "ObjectStore") {
            let body = squash(&objects[&f].join("\n"));
            for op in sdk_calls(&body, "s3") {
                s3_action(&op, &root);
            }
        }
    }
    // The object requests made through the client itself (thumbnails read and write bodies).
    for op in sdk_calls(&code, "objects.client()") {
        s3_action(&op, "client");
    }
    needed
}

/// Actions granted by one function's inline policies (every statement Allow).
fn granted_actions(id: &str, f: &Value) -> BTreeSet<String> {
    let mut granted = BTreeSet::new();
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
            for a in actions_of(s) {
                assert!(!a.contains('*'), "{id}: wildcard action {a}");
                granted.insert(a.to_string());
            }
        }
    }
    granted
}

#[test]
fn iam_grants_exactly_what_the_code_calls() {
    let t = template();
    let mut handlers = BTreeSet::new();
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        let handler = str_of(&f["Properties"]["Handler"], "Handler");
        handlers.insert(handler);
        let needed = actions_needed_by(handler);
        let granted = granted_actions(id, f);
        let missing: Vec<_> = needed
            .iter()
            .filter(|(a, _)| !granted.contains(*a))
            .map(|(a, by)| format!("{a} (for {by:?})"))
            .collect();
        let extra: Vec<_> = granted
            .iter()
            .filter(|a| !needed.contains_key(*a))
            .collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "infra/template.yaml's IAM for {id} (Handler {handler}) has drifted from its code: \
             missing {missing:?}, granted but never called {extra:?}"
        );
    }
    assert_eq!(
        handlers,
        BTreeSet::from(["reconcile", "s3-events", "web"]),
        "each function's IAM is derived from its code"
    );

    // The derivation sees the calls each function is known to make.
    let by = |handler: &str, action: &str| -> BTreeSet<String> {
        actions_needed_by(handler)
            .remove(action)
            .unwrap_or_default()
    };
    // The web function: its uploads, and the fair-use counter (storage/quota.rs).
    assert!(by("web", "s3:PutObject").contains("presign_put"));
    assert!(by("web", "dynamodb:UpdateItem").contains("count_request"));
    // The S3-event function: what an arrived upload is stored as, and its deletion, of the
    // version the event names.
    assert!(by("s3-events", "s3:GetObjectVersion").contains("head"));
    assert!(by("s3-events", "s3:DeleteObjectVersion").contains("delete"));
    // Reconcile: the bucket's listing, the records (storage/inventory.rs), and the repairs
    // through the event handler.
    assert!(by("reconcile", "s3:ListBucket").contains("list_all"));
    assert!(by("reconcile", "dynamodb:Query").contains("recorded_objects"));
    assert!(by("reconcile", "dynamodb:BatchGetItem").contains("apply_event"));
    assert!(by("reconcile", "dynamodb:DeleteItem").contains("apply_event"));
    assert!(by("reconcile", "s3:DeleteObject").contains("delete"));
}

#[test]
fn the_code_scan_finds_definitions_and_calls() {
    let fns = functions_in(
        "fn items<const N: usize>(pks: [String; N]) -> u8 { self.item(\"}\") }\n\
         fn item(x: &str) { let s = '{'; put(x) }\n\
         fn put(x: &str) { x.other(); Other::new() }\n\
         fn declared(x: u8);\n\
         fn other() {}",
    );
    assert_eq!(
        fns.keys().collect::<Vec<_>>(),
        ["item", "items", "other", "put"]
    );
    assert_eq!(
        reachable(&BTreeSet::from(["items".into()]), &fns, ""),
        BTreeSet::from(["item".into(), "items".into(), "put".into()])
    );
    assert_eq!(
        squash("return\n  put(self\n  .db\n  .get_item()"),
        "return put(self.db.get_item()"
    );
    assert_eq!(
        sdk_calls(
            "self.s3.list_objects_v2().bucket(b)self.s3.head_object()",
            "s3"
        ),
        BTreeSet::from(["head_object".into(), "list_objects_v2".into()])
    );
    assert_eq!(
        methods_called_on(
            "self.store.get(a)s.store().list(b)my_store.x(c)x.store.clone()store.ensure(",
            "store"
        ),
        BTreeSet::from(["get".into(), "list".into()])
    );
    assert!(names_versions("version_id:r.s3.version_id"));
    assert!(names_versions(
        "version_id:None,self.objects.head(&b,key,ev.v)"
    ));
    assert!(!names_versions(
        "version_id:None,self.objects.head(&b,f(key),None)"
    ));
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
/// `uploads/<owner>/<id>/<name>`, ...): the only part of the bucket the functions may change,
/// and all the web function may reach (browsers use its grants through the URLs it signs).
/// The one exception: a function that lists the whole bucket may read (HeadObject) every
/// key, since it asks about each object it found, wherever it is.
const UPLOADS_PREFIX: &str = "uploads/";

#[test]
fn s3_object_permissions_stay_under_the_uploads_prefix_but_listed_reads() {
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
    let objects = format!("${{{bucket}.Arn}}/{UPLOADS_PREFIX}*");
    // The S3-event function names the bucket by its name (see BUCKET_NAME above).
    let objects_by_name = format!(
        "arn:${{AWS::Partition}}:s3:::{}/{UPLOADS_PREFIX}*",
        bucket_name(&t)
    );
    let bucket_arn = format!("{bucket}.Arn");
    let every_key = format!("${{{bucket}.Arn}}/*");
    let mut web_grants = 0;
    for (id, f) in resources_of(&t, "AWS::Serverless::Function") {
        let handler = str_of(&f["Properties"]["Handler"], "Handler");
        let lists = granted_actions(id, f).contains("s3:ListBucket");
        let mut reads_every_key = false;
        for s in statements(f) {
            let actions = actions_of(s);
            if !actions.iter().any(|a| a.starts_with("s3:")) {
                continue;
            }
            assert!(
                actions.iter().all(|a| a.starts_with("s3:")),
                "{id}: keep S3 actions in statements of their own: {actions:?}"
            );
            let resources: Vec<&Value> = match &s["Resource"] {
                Value::Sequence(r) => r.iter().collect(),
                r => vec![r],
            };
            // Listing is on the bucket itself, alone in its statement (object actions on the
            // bucket's ARN would be meaningless, and the listing is not about objects).
            if actions.contains(&"s3:ListBucket") {
                assert_eq!(actions, ["s3:ListBucket"], "{id}: ListBucket on its own");
                assert_ne!(handler, "web", "{id}: the web function lists nothing");
                for r in resources {
                    assert_eq!(
                        get_att(r),
                        Some(bucket_arn.as_str()),
                        "{id}: s3:ListBucket on {r:?}, expected !GetAtt {bucket_arn}"
                    );
                }
                continue;
            }
            // Thumbnails (`server::thumbnails::PREFIX`): the S3-event function writes and
            // deletes them, the web function signs reads of them; nothing else.
            let thumbnail_keys = match handler {
                "s3-events" => format!(
                    "arn:${{AWS::Partition}}:s3:::{}/{}*",
                    bucket_name(&t),
                    server::thumbnails::PREFIX
                ),
                _ => format!("${{{bucket}.Arn}}/{}*", server::thumbnails::PREFIX),
            };
            if resources
                .iter()
                .any(|r| sub_text(r) == Some(thumbnail_keys.as_str()))
            {
                assert_eq!(
                    resources.len(),
                    1,
                    "{id}: thumbnails in a statement of their own"
                );
                let allowed: &[&str] = match handler {
                    "s3-events" => &["s3:PutObject", "s3:DeleteObject"],
                    "web" => &["s3:GetObject"],
                    _ => &[],
                };
                assert_eq!(actions, allowed, "{id}: thumbnail actions");
                continue;
            }
            // Only the web function writes objects (by the URLs it signs); the others read,
            // delete, or abort what was uploaded.
            assert!(
                handler == "web" || !actions.contains(&"s3:PutObject"),
                "{id} is granted s3:PutObject"
            );
            // HeadObject of whatever the listing found, on its own.
            if resources
                .iter()
                .any(|r| sub_text(r) == Some(every_key.as_str()))
            {
                assert!(
                    lists && handler != "web",
                    "{id}: object actions on every key are for a function that lists the \
                     bucket (and signs no URL)"
                );
                assert_eq!(actions, ["s3:GetObject"], "{id}: only reads on every key");
                assert_eq!(resources.len(), 1, "{id}");
                reads_every_key = true;
                continue;
            }
            let want = match handler {
                "s3-events" => &objects_by_name,
                _ => &objects,
            };
            for r in resources {
                assert_eq!(
                    sub_text(r),
                    Some(want.as_str()),
                    "{id}: S3 object actions {actions:?} on {r:?}, expected only !Sub {want}"
                );
            }
            web_grants += usize::from(handler == "web");
        }
        assert_eq!(
            reads_every_key, lists,
            "{id}: a function that lists the whole bucket may HeadObject each key it finds \
             (s3:GetObject on !Sub {every_key}), or objects outside {UPLOADS_PREFIX} fail its \
             repairs with AccessDenied"
        );
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

#[test]
fn reconcile_runs_daily_on_a_schedule_an_empty_parameter_disables() {
    let t = template();
    let (id, f) = function_with_handler(&t, "reconcile");
    let p = &f["Properties"];
    // Lambda's longest: a run lists the whole bucket and reads every record.
    assert_eq!(p["Timeout"].as_u64(), Some(900), "{id}: Timeout");
    // The same artifact as the other functions (the Globals').
    for own in ["CodeUri", "Runtime", "Architectures"] {
        assert!(p[own].is_null(), "{id} sets its own {own}");
    }

    let events: Vec<&Value> = p["Events"]
        .as_mapping()
        .unwrap_or_else(|| panic!("{id}: Events"))
        .values()
        .collect();
    assert_eq!(events.len(), 1, "{id}: one event, its schedule");
    assert_eq!(
        events[0]["Type"].as_str(),
        Some("ScheduleV2"),
        "{id}: an EventBridge Scheduler schedule (SAM's ScheduleV2)"
    );
    let s = &events[0]["Properties"];
    let at = |overrides: &[(&str, &str)]| {
        let params = parameters(&t, overrides);
        let state = match &s["State"] {
            Value::Null => "ENABLED".to_string(),
            state => resolve(&t, state, &params),
        };
        (resolve(&t, &s["ScheduleExpression"], &params), state)
    };
    assert_eq!(
        at(&[]),
        ("rate(1 day)".to_string(), "ENABLED".to_string()),
        "{id}: daily by default"
    );
    assert_eq!(
        at(&[("ReconcileSchedule", "cron(0 3 * * ? *)")]),
        ("cron(0 3 * * ? *)".to_string(), "ENABLED".to_string()),
        "{id}: ReconcileSchedule"
    );
    let (expression, state) = at(&[("ReconcileSchedule", "")]);
    assert_eq!(state, "DISABLED", "{id}: an empty ReconcileSchedule");
    assert!(
        expression.starts_with("rate(") || expression.starts_with("cron("),
        "{id}: a disabled schedule still needs a valid expression, found {expression:?}"
    );
    // Schedules are named in the account's default group: one per stack.
    assert!(
        s["OmitName"].as_bool() == Some(true)
            || sub_text(&s["Name"]).is_some_and(|n| n.contains("${Stage}")),
        "{id}: the schedule's Name carries the stage (or OmitName)"
    );
    // Lambda is invoked with a JSON object (the handler takes any JSON; Scheduler requires
    // well-formed JSON for a Lambda target).
    let input = str_of(&s["Input"], "the schedule's Input");
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(input)
        .unwrap_or_else(|e| panic!("{id}: the schedule's Input is a JSON object: {e}"));

    // A failed run is retried by the next one, not by Lambda (twice by default) or by
    // Scheduler (185 times by default).
    let lambda_retries = p["EventInvokeConfig"]["MaximumRetryAttempts"].as_u64();
    assert!(
        lambda_retries.is_some_and(|n| n <= 1),
        "{id}: EventInvokeConfig MaximumRetryAttempts 0 or 1, found {lambda_retries:?}"
    );
    let scheduler_retries = s["RetryPolicy"]["MaximumRetryAttempts"].as_u64();
    assert!(
        scheduler_retries.is_some_and(|n| n <= 1),
        "{id}: the schedule's RetryPolicy MaximumRetryAttempts 0 or 1, found {scheduler_retries:?}"
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

/// The one alarm on a function's `Errors` (`AWS/Lambda`, its `FunctionName` only).
fn errors_alarm_of<'a>(t: &'a Value, function: &str) -> (&'a str, &'a Value) {
    let found: Vec<(&str, &Value)> = resources_of(t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, alarm)| {
            alarm_metrics(alarm).iter().any(|(ns, m, dims)| {
                *ns == "AWS/Lambda"
                    && *m == "Errors"
                    && dims.keys().copied().collect::<Vec<_>>() == ["FunctionName"]
                    && ref_target(dims["FunctionName"]) == Some(function)
            })
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "expected one alarm on {function}'s Errors, found {:?}",
        found.iter().map(|(id, _)| id).collect::<Vec<_>>()
    );
    found[0]
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
fn alarms_watch_parked_events_function_errors_and_5xx() {
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

    // (b) Any failed invocation of the s3-events function (retried by Lambda), and any
    // failed reconcile run (not retried: the next run repairs what it left).
    for handler in ["s3-events", "reconcile"] {
        let (function, _) = function_with_handler(&t, handler);
        let (id, alarm) = errors_alarm_of(&t, function);
        assert_eq!(
            alarm["Properties"]["Statistic"].as_str(),
            Some("Sum"),
            "{id}"
        );
        fires_above(id, alarm, 0.0);
    }

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
