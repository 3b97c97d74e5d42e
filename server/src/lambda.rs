//! AWS Lambda entry points, in the same `ferry` binary:
//!
//! - `web`: the whole axum router (pages, server functions, REST API, static files) behind
//!   `lambda_http` — API Gateway HTTP API (payload v2) and Lambda Function URLs.
//! - `s3-events`: S3 event notifications into the same handler the embedded S3 feeds.
//! - `reconcile`: `ferry reconcile` on a schedule (any event starts one run).
//!
//! Which one runs is `ferry lambda <web|s3-events|reconcile>`, or, when Lambda starts the binary with no
//! arguments, the function's `Handler` setting (the `_HANDLER` variable). SDK clients are built
//! once at cold start and shared by every invocation.

use crate::{config::Handler, fair_use::ClientAddr, services::Services, site::Site};
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{service_fn, LambdaEvent};

pub type Error = lambda_runtime::Error;

/// Whether this process was started by the Lambda runtime.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

pub async fn run(handler: Handler, services: Services, site: Site) -> Result<(), Error> {
    match handler {
        Handler::Web => {
            lambda_http::run(
                crate::app(site, &services).layer(axum::middleware::from_fn(client_addr)),
            )
            .await
        }
        Handler::S3Events => {
            lambda_runtime::run(service_fn(move |event: LambdaEvent<S3Event>| {
                let services = services.clone();
                async move { handle_s3_event(&services, event.payload).await }
            }))
            .await
        }
        Handler::Reconcile => {
            let reconciler = std::sync::Arc::new(crate::reconcile::Reconciler::new(&services));
            lambda_runtime::run(service_fn(move |_: LambdaEvent<serde_json::Value>| {
                let reconciler = reconciler.clone();
                async move { reconcile(&reconciler).await }
            }))
            .await
        }
    }
}

/// One scheduled run of `ferry reconcile`: each repair and the counts logged; a run with
/// failed repairs fails the invocation (the next run tries them again).
pub async fn reconcile(
    reconciler: &crate::reconcile::Reconciler,
) -> Result<serde_json::Value, Error> {
    let counts = reconciler
        .run(false, |repair, done| match done {
            Some(Err(e)) => tracing::error!(%repair, error = %e, "repair failed"),
            Some(Ok(done)) => tracing::info!(%repair, ?done, "repaired"),
            None => {}
        })
        .await?;
    tracing::info!(
        objects = counts.objects,
        records = counts.records,
        recorded = counts.recorded,
        rejected = counts.rejected,
        forgotten = counts.forgotten,
        expired = counts.expired,
        unchanged = counts.unchanged,
        failed = counts.failed,
        "reconciled"
    );
    if counts.failed > 0 {
        return Err(format!("{counts}").into());
    }
    Ok(serde_json::json!({
        "objects": counts.objects,
        "records": counts.records,
        "recorded": counts.recorded,
        "rejected": counts.rejected,
        "forgotten": counts.forgotten,
        "expired": counts.expired,
        "unchanged": counts.unchanged,
    }))
}

/// The address API Gateway saw the request come from, as [`ClientAddr`] (fair use counts
/// by it when nobody signs in).
async fn client_addr(
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use lambda_http::{request::RequestContext, RequestExt};
    let source_ip = match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.http.source_ip.clone(),
        _ => None,
    };
    if let Some(ip) = source_ip.and_then(|ip| ip.parse().ok()) {
        req.extensions_mut().insert(ClientAddr(ip));
    }
    next.run(req).await
}

/// Applies every record. Malformed records and records for another bucket than
/// `Settings::bucket_name` are logged and skipped; a passing failure
/// (e.g. DynamoDB unavailable) fails the invocation so Lambda delivers it again, which is safe:
/// records already applied are then ignored by their sequencer.
pub async fn handle_s3_event(services: &Services, event: S3Event) -> Result<(), Error> {
    let report = services.events.handle(&event).await;
    tracing::info!(
        records = event.records.len(),
        applied = report.outcomes.len(),
        foreign = report.foreign.len(),
        invalid = report.invalid.len(),
        failed = report.failed.len(),
        "S3 notification handled"
    );
    if report.is_retryable_failure() {
        let (index, reason) = &report.failed[0];
        return Err(format!(
            "{} of {} records failed (first: record {index}: {reason}); retry the notification",
            report.failed.len(),
            event.records.len()
        )
        .into());
    }
    Ok(())
}
