//! The upload queue's rules, kept free of browser APIs so they are tested natively:
//! restrictions, which files start next, retry and backoff, progress, speed and ETA.

use crate::{
    api::UploadLimits,
    domain::{media::type_allowed, AssetId, AssetStatus},
    format::{human_bytes, human_duration},
};

/// A local handle for one file in the queue.
pub type ItemId = u64;

/// Where one file is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ItemState {
    /// Waiting for a free upload slot.
    Queued,
    /// Bytes are moving to S3.
    Uploading,
    /// Waiting before another attempt (`attempt` retries done so far).
    RetryWaiting {
        attempt: u32,
    },
    /// The server said this client asked too often (`429`): waiting as long as it said.
    Paced,
    /// Bytes sent; waiting for S3's event (RECEIVED), then confirming (UPLOADED).
    Confirming,
    /// UPLOADED.
    Done,
    /// Stopped for good: refused before upload, or failed after the retries.
    Failed {
        message: String,
        retryable: bool,
    },
    Cancelled,
}

impl ItemState {
    pub fn is_active(&self) -> bool {
        matches!(self, ItemState::Uploading | ItemState::Confirming)
    }

    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            ItemState::Done | ItemState::Failed { .. } | ItemState::Cancelled
        )
    }
}

/// One file as the queue sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: ItemId,
    /// Relative path for files from dropped folders, else the file name.
    pub name: String,
    pub size: u64,
    pub content_type: String,
    pub state: ItemState,
    pub sent: u64,
    /// The asset once the server has created it.
    pub asset_id: Option<AssetId>,
    /// The asset's server-side status, as last seen.
    pub asset_status: Option<AssetStatus>,
    /// A `blob:` URL of a picked image, shown before its bytes are sent.
    pub preview: Option<String>,
}

/// Everything a row shows of its file: the page draws the row again when its key changes.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RowKey {
    id: ItemId,
    state: ItemState,
    sent: u64,
    asset_id: Option<AssetId>,
    asset_status: Option<AssetStatus>,
}

impl Item {
    pub fn row_key(&self) -> RowKey {
        RowKey {
            id: self.id,
            state: self.state.clone(),
            sent: self.sent,
            asset_id: self.asset_id,
            asset_status: self.asset_status,
        }
    }
}

/// Why a file is refused before any request is made.
pub fn check_restrictions(
    name: &str,
    size: u64,
    content_type: &str,
    limits: &UploadLimits,
) -> Result<(), String> {
    if size > limits.max_upload_bytes {
        return Err(format!(
            "{name} is {} — larger than the {} allowed",
            human_bytes(size),
            human_bytes(limits.max_upload_bytes)
        ));
    }
    if !type_allowed(content_type, &limits.allowed_types) {
        return Err(format!(
            "{name}: files of type {} are not accepted (allowed: {})",
            if content_type.is_empty() {
                "unknown"
            } else {
                content_type
            },
            limits.allowed_types.join(", ")
        ));
    }
    Ok(())
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Try again after this many milliseconds.
    RetryAfter(u32),
    /// Give up with a message a person understands.
    GiveUp(String),
    /// A retry found the file already stored: an earlier attempt reached S3 and only its
    /// answer was lost (upload URLs only create, so S3 answers 412 to the retry).
    AlreadyStored,
    /// S3 refused bytes that do not match the checksum signed into the URL: the file changed
    /// after it was hashed, or was corrupted on the way. Never retried by itself (the same
    /// URL would only fail again); a manual retry reads and hashes the file again.
    Corrupted(String),
}

/// What the page says when S3 refuses the bytes for their checksum.
pub const CORRUPTED: &str = "the file changed or was corrupted on the way: S3 refused bytes that \
     do not match its checksum. Retry to read it again";

/// Retry network errors (status 0) and 5xx with backoff; never 4xx. `attempt` counts the
/// retries already made.
pub fn after_failure(status: u16, body: &str, attempt: u32) -> Verdict {
    const DELAYS_MS: [u32; 4] = [1_000, 3_000, 5_000, 10_000];
    if status == 412 && attempt > 0 {
        return Verdict::AlreadyStored;
    }
    if is_checksum_refusal(status, body) {
        return Verdict::Corrupted(CORRUPTED.into());
    }
    let retryable = status == 0 || status >= 500;
    if retryable {
        if let Some(&delay) = DELAYS_MS.get(attempt as usize) {
            return Verdict::RetryAfter(delay);
        }
    }
    Verdict::GiveUp(describe_failure(status, body, retryable))
}

/// S3's answers to a body that does not match its signed checksum (`BadDigest`; newer
/// endpoints say `XAmzContentChecksumMismatch` or `InvalidDigest`).
fn is_checksum_refusal(status: u16, body: &str) -> bool {
    status == 400
        && [
            "<Code>BadDigest<",
            "<Code>XAmzContentChecksumMismatch<",
            "<Code>InvalidDigest<",
        ]
        .iter()
        .any(|code| body.contains(code))
}

fn describe_failure(status: u16, body: &str, retried: bool) -> String {
    let lower = body.to_ascii_lowercase();
    let base = match status {
        0 => "the network is unreachable (offline?)".to_string(),
        403 if lower.contains("expired") => "the upload link expired".to_string(),
        403 if lower.contains("signaturedoesnotmatch") => {
            "the upload was rejected: the file changed since it was signed".to_string()
        }
        403 => "the upload was refused (403)".to_string(),
        412 => "a file is already stored for this upload".to_string(),
        413 => "the file is too large".to_string(),
        415 => "this type of file is not accepted".to_string(),
        s if s >= 500 => format!("the storage service failed ({s})"),
        s => format!("the upload failed ({s})"),
    };
    if retried {
        format!("{base}; gave up after several retries")
    } else {
        base
    }
}

/// Items to start now so that at most `limit` upload at once, oldest first.
pub fn next_to_start(items: &[Item], limit: usize) -> Vec<ItemId> {
    let running = items
        .iter()
        .filter(|i| i.state == ItemState::Uploading)
        .count();
    items
        .iter()
        .filter(|i| i.state == ItemState::Queued)
        .take(limit.saturating_sub(running))
        .map(|i| i.id)
        .collect()
}

/// Bytes done and total over the files that are, or will be, uploaded.
pub fn totals(items: &[Item]) -> (u64, u64) {
    items
        .iter()
        .filter(|i| !matches!(i.state, ItemState::Cancelled | ItemState::Failed { .. }))
        .fold((0, 0), |(done, total), i| {
            let sent = match i.state {
                ItemState::Confirming | ItemState::Done => i.size,
                _ => i.sent.min(i.size),
            };
            (done + sent, total + i.size)
        })
}

/// Whole percent, 100 only when everything is sent.
pub fn percent(done: u64, total: u64) -> u32 {
    if total == 0 {
        return if done == 0 { 0 } else { 100 };
    }
    let p = (done as u128 * 100 / total as u128) as u32;
    if done < total {
        p.min(99)
    } else {
        100
    }
}

/// A smoothed transfer rate (exponentially weighted), for speed and ETA.
#[derive(Debug, Clone, Default)]
pub struct SpeedMeter {
    last: Option<(f64, u64)>,
    rate: Option<f64>,
}

impl SpeedMeter {
    /// Records `bytes` sent in total at time `now_ms`; `false` if it was too soon after the
    /// last sample to mean anything (nothing changed).
    pub fn sample(&mut self, now_ms: f64, bytes: u64) -> bool {
        if let Some((t, b)) = self.last {
            let dt = now_ms - t;
            if dt < 200.0 {
                return false;
            }
            let instant = bytes.saturating_sub(b) as f64 * 1000.0 / dt;
            self.rate = Some(match self.rate {
                Some(r) => 0.3 * instant + 0.7 * r,
                None => instant,
            });
        }
        self.last = Some((now_ms, bytes));
        true
    }

    /// Bytes per second.
    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Seconds left for `remaining` bytes.
    pub fn eta_secs(&self, remaining: u64) -> Option<u64> {
        match self.rate {
            Some(r) if r > 1.0 => Some(eta(r, remaining)),
            _ => None,
        }
    }
}

/// Whole seconds to send `remaining` bytes at `rate` bytes per second.
fn eta(rate: f64, remaining: u64) -> u64 {
    (remaining as f64 / rate).ceil() as u64
}

/// `1.2 MB/s · 45 s left`, or nothing while the rate is under a byte per second.
pub fn rate_text(rate: f64, remaining: u64) -> Option<String> {
    (rate >= 1.0).then(|| {
        format!(
            "{}/s · {} left",
            human_bytes(rate as u64),
            human_duration(eta(rate, remaining))
        )
    })
}

/// Whether a batch fits the per-batch file limit.
pub fn batch_allowed(files: usize, max_files: usize) -> Result<(), String> {
    if files > max_files {
        Err(format!(
            "{files} files dropped; at most {max_files} can be added at once"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> UploadLimits {
        UploadLimits {
            max_upload_bytes: 1_000_000,
            allowed_types: vec!["image/*".into(), "text/plain".into()],
            upload_url_ttl_secs: 900,
            max_files_per_batch: 3,
            multipart_threshold_bytes: 64 * 1024 * 1024,
        }
    }

    fn item(id: ItemId, state: ItemState, size: u64, sent: u64) -> Item {
        Item {
            id,
            name: format!("f{id}"),
            size,
            content_type: "text/plain".into(),
            state,
            sent,
            asset_id: None,
            asset_status: None,
            preview: None,
        }
    }

    #[test]
    fn a_row_key_changes_with_everything_the_row_shows() {
        let base = item(1, ItemState::Uploading, 100, 10);
        assert!(base.row_key() == base.clone().row_key());
        let changed = [
            Item {
                id: 2,
                ..base.clone()
            },
            Item {
                sent: 11,
                ..base.clone()
            },
            Item {
                state: ItemState::RetryWaiting { attempt: 1 },
                ..base.clone()
            },
            Item {
                state: ItemState::Failed {
                    message: "a".into(),
                    retryable: true,
                },
                ..base.clone()
            },
            Item {
                asset_id: Some(AssetId::from_ulid(ulid::Ulid::nil())),
                ..base.clone()
            },
            Item {
                asset_status: Some(AssetStatus::Received),
                ..base.clone()
            },
        ];
        for other in &changed {
            assert!(other.row_key() != base.row_key(), "{other:?}");
        }
        // Two failures differ by their message too.
        assert!(
            changed[3].row_key()
                != Item {
                    state: ItemState::Failed {
                        message: "b".into(),
                        retryable: true
                    },
                    ..base.clone()
                }
                .row_key()
        );
    }

    #[test]
    fn restrictions_refuse_large_and_unlisted_files() {
        assert!(check_restrictions("a.png", 10, "image/png", &limits()).is_ok());
        assert!(
            check_restrictions("a.txt", 1_000_000, "text/plain; charset=utf-8", &limits()).is_ok()
        );
        let too_big = check_restrictions("big.png", 1_000_001, "image/png", &limits()).unwrap_err();
        assert!(
            too_big.contains("larger than the 1.0 MB allowed"),
            "{too_big}"
        );
        let wrong = check_restrictions("a.zip", 10, "application/zip", &limits()).unwrap_err();
        assert!(wrong.contains("application/zip"), "{wrong}");
        // Unknown types are octet-stream.
        assert!(check_restrictions("x", 1, "", &limits()).is_err());
        let all = UploadLimits {
            allowed_types: vec!["*/*".into()],
            ..limits()
        };
        assert!(check_restrictions("x", 1, "", &all).is_ok());
        assert!(batch_allowed(3, 3).is_ok());
        assert!(batch_allowed(4, 3).unwrap_err().contains("at most 3"));
    }

    #[test]
    fn retries_network_and_server_errors_with_growing_backoff_but_never_4xx() {
        assert_eq!(after_failure(0, "", 0), Verdict::RetryAfter(1_000));
        assert_eq!(after_failure(503, "", 1), Verdict::RetryAfter(3_000));
        assert_eq!(after_failure(500, "", 2), Verdict::RetryAfter(5_000));
        assert_eq!(after_failure(502, "", 3), Verdict::RetryAfter(10_000));
        match after_failure(500, "", 4) {
            Verdict::GiveUp(m) => assert!(m.contains("gave up after several retries"), "{m}"),
            v => panic!("{v:?}"),
        }
        for (status, body, says) in [
            (
                403,
                "<Code>AccessDenied</Code><Message>Request has expired</Message>",
                "expired",
            ),
            (
                403,
                "<Code>SignatureDoesNotMatch</Code>",
                "changed since it was signed",
            ),
            (413, "", "too large"),
            (415, "", "not accepted"),
            (400, "", "failed (400)"),
        ] {
            match after_failure(status, body, 0) {
                Verdict::GiveUp(m) => assert!(m.contains(says), "{status}: {m}"),
                v => panic!("{status} must not be retried: {v:?}"),
            }
        }
        match after_failure(0, "", 9) {
            Verdict::GiveUp(m) => assert!(m.contains("offline"), "{m}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn a_checksum_refusal_is_an_integrity_error_never_retried_by_itself() {
        let bad_digest =
            "<Error><Code>BadDigest</Code><Message>checksum_sha256 mismatch</Message></Error>";
        for attempt in [0, 2] {
            assert_eq!(
                after_failure(400, bad_digest, attempt),
                Verdict::Corrupted(CORRUPTED.into())
            );
        }
        assert!(CORRUPTED.contains("changed or was corrupted"));
        // Another 400 is not one.
        assert!(matches!(
            after_failure(400, "<Code>InvalidArgument</Code>", 0),
            Verdict::GiveUp(_)
        ));
    }

    #[test]
    fn a_412_after_a_retry_means_the_first_attempt_stored_the_file() {
        assert_eq!(
            after_failure(412, "PreconditionFailed", 1),
            Verdict::AlreadyStored
        );
        // On a first attempt it is someone else's file: never overwritten, and said so.
        match after_failure(412, "PreconditionFailed", 0) {
            Verdict::GiveUp(m) => assert!(m.contains("already stored"), "{m}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn at_most_limit_files_upload_at_once_in_order() {
        let items = vec![
            item(1, ItemState::Uploading, 10, 5),
            item(2, ItemState::Done, 10, 10),
            item(3, ItemState::Queued, 10, 0),
            item(4, ItemState::Queued, 10, 0),
            item(5, ItemState::Queued, 10, 0),
            item(6, ItemState::Confirming, 10, 10),
        ];
        assert_eq!(next_to_start(&items, 4), vec![3, 4, 5]);
        assert_eq!(next_to_start(&items, 2), vec![3]);
        assert_eq!(next_to_start(&items, 1), Vec::<ItemId>::new());
        let all_running: Vec<_> = (1..=4)
            .map(|i| item(i, ItemState::Uploading, 1, 0))
            .collect();
        assert!(next_to_start(&all_running, 4).is_empty());
    }

    #[test]
    fn totals_and_percent_ignore_cancelled_and_failed_files() {
        let items = vec![
            item(1, ItemState::Uploading, 100, 50),
            item(2, ItemState::Confirming, 100, 90), // sent is done
            item(3, ItemState::Cancelled, 1000, 10),
            item(
                4,
                ItemState::Failed {
                    message: "x".into(),
                    retryable: false,
                },
                1000,
                0,
            ),
            item(5, ItemState::Queued, 100, 0),
        ];
        assert_eq!(totals(&items), (150, 300));
        assert_eq!(percent(150, 300), 50);
        assert_eq!(percent(299, 300), 99, "never 100 before the end");
        assert_eq!(percent(300, 300), 100);
        assert_eq!(percent(0, 0), 0);
    }

    #[test]
    fn speed_and_eta_are_smoothed() {
        let mut m = SpeedMeter::default();
        assert!(m.sample(0.0, 0));
        assert_eq!(m.rate(), None);
        assert!(m.sample(1000.0, 1_000_000));
        assert_eq!(m.rate(), Some(1_000_000.0));
        assert!(!m.sample(1100.0, 1_500_000), "too soon: ignored");
        assert_eq!(m.rate(), Some(1_000_000.0));
        assert!(m.sample(2000.0, 1_500_000)); // a slower second pulls the average down
        let r = m.rate().unwrap();
        assert!(r < 1_000_000.0 && r > 500_000.0, "{r}");
        assert_eq!(m.eta_secs(0), Some(0));
        assert!(m.eta_secs(10_000_000).unwrap() > 10);
        assert_eq!(SpeedMeter::default().eta_secs(5), None);
        assert_eq!(
            rate_text(250_000.0, 1_000_000).as_deref(),
            Some("250 KB/s · 4 s left")
        );
        assert_eq!(rate_text(0.5, 10), None);
    }
}
