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

use crate::{
    config::Handler,
    fair_use::ClientAddr,
    metrics::{self, Unit},
    services::Services,
    site::Site,
    storage::EventOutcome,
};
use aws_lambda_events::s3::S3Event;
use lambda_runtime::{service_fn, LambdaEvent};

pub type Error = lambda_runtime::Error;

/// Whether this process was started by the Lambda runtime.
pub fn in_lambda() -> bool {
    std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some()
}

pub async fn run(handler: Handler, services: Services, site: Site) -> Result<(), Error> {
    metrics::enable();
    match handler {
        Handler::Web => {
            let app = crate::app(site, &services)
                .layer(axum::middleware::from_fn(client_addr))
                .layer(axum::middleware::from_fn(web_metrics));
            lambda_http::run(app).await
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
    let started = std::time::Instant::now();
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
    let n = |v: usize| v as f64;
    metrics::emit(
        Handler::Reconcile.name(),
        &[
            ("Recorded", n(counts.recorded), Unit::Count),
            ("Rejected", n(counts.rejected), Unit::Count),
            ("Forgotten", n(counts.forgotten), Unit::Count),
            ("Expired", n(counts.expired), Unit::Count),
            ("RepairsFailed", n(counts.failed), Unit::Count),
            ("Latency", millis(started), Unit::Milliseconds),
        ],
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

/// Each request's latency and outcome, and the uploads started, as metrics.
async fn web_metrics(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let started = std::time::Instant::now();
    let counted = crate::fair_use::counted(req.method(), req.uri().path());
    let res = next.run(req).await;
    let status = res.status();
    let started_upload = counted == Some(crate::fair_use::Counted::Upload) && status.is_success();
    let flag = |b: bool| if b { 1.0 } else { 0.0 };
    metrics::emit(
        Handler::Web.name(),
        &[
            ("Requests", 1.0, Unit::Count),
            ("Latency", millis(started), Unit::Milliseconds),
            ("Errors5xx", flag(status.is_server_error()), Unit::Count),
            ("Refused429", flag(status.as_u16() == 429), Unit::Count),
            ("UploadsStarted", flag(started_upload), Unit::Count),
        ],
    );
    res
}

fn millis(since: std::time::Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

/// Applies every record. Malformed records and records for another bucket than
/// `Settings::bucket_name` are logged and skipped; a passing failure
/// (e.g. DynamoDB unavailable) fails the invocation so Lambda delivers it again, which is safe:
/// records already applied are then ignored by their sequencer.
pub async fn handle_s3_event(services: &Services, event: S3Event) -> Result<(), Error> {
    let started = std::time::Instant::now();
    let report = services.events.handle(&event).await;
    // Thumbnails after the records, in this invocation (S3 invoked it asynchronously: no
    // upload waits for it); their failures are logged, never a reason to deliver again.
    services
        .thumbnails
        .follow(
            &services.settings.bucket_name,
            report.arrivals(),
            report.removals(),
        )
        .await;
    let outcomes =
        |f: fn(&EventOutcome) -> bool| report.outcomes.iter().filter(|(_, o)| f(o)).count() as f64;
    metrics::emit(
        Handler::S3Events.name(),
        &[
            (
                "EventsApplied",
                outcomes(|o| {
                    matches!(
                        o,
                        EventOutcome::Applied { .. } | EventOutcome::Removed { .. }
                    )
                }),
                Unit::Count,
            ),
            (
                "EventsRejected",
                outcomes(|o| matches!(o, EventOutcome::Rejected { .. })),
                Unit::Count,
            ),
            (
                "EventsStale",
                outcomes(|o| matches!(o, EventOutcome::Stale)),
                Unit::Count,
            ),
            ("EventsInvalid", report.invalid.len() as f64, Unit::Count),
            ("EventsForeign", report.foreign.len() as f64, Unit::Count),
            ("EventsFailed", report.failed.len() as f64, Unit::Count),
            ("Latency", millis(started), Unit::Milliseconds),
        ],
    );
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
