//! Fair use: one client may ask for at most `FERRY_UPLOAD_RATE_LIMIT` upload tickets and part
//! signatures a minute. A signed-in person is one client wherever they ask from; without
//! sign-in, one address is (an IPv6 address by its /64, the network one subscriber gets).
//! Beyond the limit the answer is `429` with `Retry-After` until the minute is over, in the
//! error shape the caller expects (REST's body, or the server function's error).
//!
//! The count is kept in the table ([`AssetStore::count_request`]), not in memory: Lambda runs
//! many instances of the web function, and a client spread over them is still one client.
//! Windows are fixed minutes, so a client may send up to twice the limit across a minute's
//! boundary, never more.
//!
//! The client's address comes from the request's [`ClientAddr`] extension, which whoever
//! serves the router sets: `listener::serve` from the connection, the Lambda entry from API
//! Gateway's request context. Behind a proxy of your own, every client has the proxy's
//! address.

use crate::{
    api::{ApiError, ServerFnError},
    storage::{AssetStore, QuotaWindow},
};
use app::{
    api::{CreateUpload, FerryError, SignUploadPart, StartMultipartUpload},
    domain::Caller,
};
use axum::{
    extract::{Request, State},
    http::Method,
    middleware::Next,
    response::{IntoResponse, Response},
};
use leptos::server_fn::ServerFn;
use std::{net::IpAddr, sync::Arc};

/// The length of a window, in seconds.
pub const WINDOW_SECS: u64 = 60;

/// The address a request came from, as the server saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The middleware's state: where counts are kept and the limit.
#[derive(Clone)]
pub struct FairUse {
    store: Arc<AssetStore>,
    /// Requests per window; 0: no limit.
    limit: u32,
    /// Whether people sign in (then the caller is the client).
    signs_in: bool,
}

impl FairUse {
    /// Counts in `store`; `limit` requests per window (0: no limit); `signs_in`: whether
    /// people sign in.
    pub fn new(store: Arc<AssetStore>, limit: u32, signs_in: bool) -> FairUse {
        FairUse {
            store,
            limit,
            signs_in,
        }
    }
}

/// What a counted request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// A new upload (a single PUT's ticket or a multipart upload's start).
    Upload,
    /// A part's signature.
    Part,
}

/// What a request asks for, if it is counted: the REST route and the server functions that
/// start uploads or sign parts.
pub fn counted(method: &Method, path: &str) -> Option<Counted> {
    if method != Method::POST {
        return None;
    }
    if path == "/asset" || path == CreateUpload::PATH || path == StartMultipartUpload::PATH {
        Some(Counted::Upload)
    } else if path == SignUploadPart::PATH {
        Some(Counted::Part)
    } else {
        None
    }
}

fn is_counted(method: &Method, path: &str) -> bool {
    counted(method, path).is_some()
}

/// Who is counted: the signed-in person, else the address (`unknown` when the server was not
/// told one).
fn client_key(caller: Option<&Caller>, signs_in: bool, addr: Option<IpAddr>) -> String {
    match (caller, signs_in) {
        (Some(caller), true) => format!("owner:{}", caller.owner.as_str()),
        _ => match addr.map(network) {
            Some(addr) => format!("addr:{addr}"),
            None => "addr:unknown".into(),
        },
    }
}

/// An IPv4 address as it is; an IPv6 address as its /64 (an IPv4-mapped one as IPv4).
fn network(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
        v4 => v4,
    }
}

/// The window `now` (seconds since the epoch) falls in: its start, and the seconds left in it
/// (at least 1).
fn window_at(now: u64) -> (u64, u64) {
    let start = now - now % WINDOW_SECS;
    (start, start + WINDOW_SECS - now)
}

/// The middleware (after sign-in, which puts the [`Caller`] in the request).
pub async fn limit(State(fair): State<FairUse>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if fair.limit == 0 || !is_counted(req.method(), path) {
        return next.run(req).await;
    }
    let refuse = |error: FerryError| {
        if path.starts_with("/api/") {
            ServerFnError(error).into_response()
        } else {
            ApiError(error).into_response()
        }
    };
    let client = client_key(
        req.extensions().get::<Caller>(),
        fair.signs_in,
        req.extensions().get::<ClientAddr>().map(|a| a.0),
    );
    let now = chrono::Utc::now().timestamp().max(0) as u64;
    let (start, left) = window_at(now);
    let window = QuotaWindow {
        client: &client,
        start,
        expires_at: start + 2 * WINDOW_SECS,
        limit: fair.limit,
    };
    match fair.store.count_request(&window).await {
        Ok(true) => next.run(req).await,
        Ok(false) => refuse(FerryError::TooManyRequests {
            message: format!(
                "too many uploads started: at most {} upload tickets and part signatures a \
                 minute; try again in {left} s",
                fair.limit
            ),
            retry_after_secs: left,
        }),
        Err(e) => refuse(FerryError::Internal(format!("counting the request: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::Owner;

    #[test]
    fn only_tickets_and_part_signatures_count() {
        for path in [
            "/asset",
            "/api/create_upload",
            "/api/start_multipart",
            "/api/sign_part",
        ] {
            assert!(is_counted(&Method::POST, path), "{path}");
        }
        assert!(!is_counted(&Method::GET, "/asset"));
        for path in [
            "/asset/x",
            "/api/list_assets",
            "/api/complete_multipart",
            "/api/list_parts",
        ] {
            assert!(!is_counted(&Method::POST, path), "{path}");
        }
    }

    #[test]
    fn a_signed_in_person_is_one_client_and_otherwise_an_address_is() {
        let alice = Caller {
            owner: Owner::parse("alice").unwrap(),
            admin: false,
        };
        let here: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(client_key(Some(&alice), true, Some(here)), "owner:alice");
        assert_eq!(
            client_key(Some(&Caller::local()), false, Some(here)),
            "addr:203.0.113.7"
        );
        assert_eq!(client_key(None, false, None), "addr:unknown");
        let v6 = |s: &str| client_key(None, false, Some(s.parse().unwrap()));
        assert_eq!(v6("2001:db8:1:2:aaaa::1"), v6("2001:db8:1:2:bbbb::9"));
        assert_ne!(v6("2001:db8:1:2::1"), v6("2001:db8:1:3::1"));
        assert_eq!(v6("::ffff:203.0.113.7"), "addr:203.0.113.7");
    }

    #[test]
    fn a_window_is_a_whole_minute_and_says_what_is_left_of_it() {
        assert_eq!(window_at(120), (120, 60));
        assert_eq!(window_at(121), (120, 59));
        assert_eq!(window_at(179), (120, 1));
    }
}
