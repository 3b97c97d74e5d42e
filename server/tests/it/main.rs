//! Ferry's integration tests, in one binary: the AWS SDKs, Leptos and the embedded backends
//! are linked once, and every module shares the [`harness`] (`TestApp`, a real
//! `ferry serve`, events as AWS sends them).
//!
//! | module | what it proves |
//! |---|---|
//! | `api` | the REST API and the server functions, over HTTP in process |
//! | `auth` | sign-in, bearer tokens, sessions and the request checks, against a test issuer |
//! | `architecture` | ARCHITECTURE.md's invariants that can be read off the source |
//! | `openapi` | `/openapi.json` documents exactly the routes and statuses the router answers |
//! | `ownership` | every asset is its owner's: 404 to others on every route, per-owner listings and cursors, administrators see all |
//! | `bad_input` | every kind of bad input is a 4xx with a JSON message, table-driven, snapshotted |
//! | `shell` | pages and static files: server-rendered, complete without JavaScript |
//! | `compression` | answers compressed as the client accepts (brotli, gzip, none), reading the same |
//! | `headers` | the security headers on every response; every inline script carries the policy's nonce |
//! | `storage` | the asset table's contract against the embedded DynamoDB and S3 |
//! | `embedded_s3` | the embedded S3 checks checksums as AWS does: a mismatch is `BadDigest` and changes nothing; parts keep theirs and completion combines them |
//! | `presigned_s3` | presigned URLs against the embedded S3, as a browser uses them |
//! | `lambda` | both Lambda handlers in process (API Gateway v2 events, S3 notifications) |
//! | `lambda_invoke` | the `ferry` binary started as Lambda starts it, behind a Runtime API |
//! | `seed_flows` | the seed projects' flows against a real `ferry serve`, bytes moved by curl |
//! | `reconcile` | `ferry reconcile` repairs lost create and remove events, stuck uploads and objects written behind Ferry's back, once, without undoing a real event |
//! | `crash` | `kill -9` during uploads leaves consistent, durable records |
//! | `infra_template` | `infra/template.yaml` matches the code (table, env, IAM, wiring) |
//! | `fair_use` | a client over its rate of upload tickets gets `429` with `Retry-After`, other clients do not |
//! | `config` | every setting is a flag with its variable, and the README says so |

mod harness;

mod api;
mod architecture;
mod auth;
mod bad_input;
mod bulk;
mod compression;
mod config;
mod crash;
mod embedded_s3;
mod fair_use;
mod folders;
mod headers;
mod infra_template;
mod integrity;
mod lambda;
mod lambda_invoke;
mod openapi;
mod ownership;
mod presigned_s3;
mod properties;
mod reconcile;
mod seed_flows;
mod shares;
mod shell;
mod state_machine;
mod storage;
mod thumbnails;
