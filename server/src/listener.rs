//! Serving a router on a socket, with the limits a listener others can reach needs and that
//! `axum::serve` does not set: a deadline for a request's headers, an idle deadline for its
//! body, and a cap on open connections (a client that opens connections and sends nothing
//! cannot hold them for ever). `ferry serve` and its embedded S3 both serve through [`serve`].

use crate::config::ListenLimits;
use axum::{body::Body, Router};
use http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use std::{future::Future, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;
use tower_http::timeout::TimeoutBody;

/// How long open connections get to finish after shutdown begins.
const DRAIN: Duration = Duration::from_secs(10);

/// A request whose body stalls for `idle` fails. Only requests that have a body get the
/// deadline: `TimeoutBody` does not tell its length, and s3s refuses a request whose body
/// length it cannot tell (`411`), as a `HEAD` or `GET` without `Content-Length` would be.
fn with_body_deadline(request: Request<Incoming>, idle: Duration) -> Request<Body> {
    let has_body = request
        .headers()
        .contains_key(http::header::TRANSFER_ENCODING)
        || request
            .headers()
            .get(http::header::CONTENT_LENGTH)
            .is_some_and(|len| len.as_bytes() != b"0");
    if has_body {
        request.map(|body| Body::new(TimeoutBody::new(idle, body)))
    } else {
        request.map(Body::new)
    }
}

/// Serves `router` on `listener` (HTTP/1.1, as `axum::serve` without its `http2` feature) until `shutdown` completes, then
/// lets open connections finish their requests (at most [`DRAIN`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &ListenLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let permits = Arc::new(Semaphore::new(limits.max_connections as usize));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
    http.http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors, say: wait a moment instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let (router, body_timeout) = (router.clone(), limits.body_timeout);
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request
                .extensions_mut()
                .insert(crate::fair_use::ClientAddr(peer.ip()));
            router
                .clone()
                .oneshot(with_body_deadline(request, body_timeout))
        });
        let connection = graceful.watch(
            http.serve_connection(TokioIo::new(stream), service)
                .into_owned(),
        );
        tokio::spawn(async move {
            // Errors here are the client's (a reset, a header deadline): nothing to report.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after {DRAIN:?}: closing them");
    }
}
