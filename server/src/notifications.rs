//! S3 event notifications → asset state. One handler for the embedded S3 and for Lambda.
//!
//! S3 delivers at least once and in any order, and a notification can carry many records.
//! Every record is decoded on its own (keys are URL-encoded with `+` for spaces) and applied
//! through [`AssetStore::apply_event`], which orders events per object by `sequencer`.
//!
//! Before an `ObjectCreated` record is applied, S3 is asked what the object is stored as
//! (`HeadObject`: type and checksum), so the arrival rules can check what the upload URL
//! could not sign; an object the rules refuse is deleted here, after its asset says
//! `REJECTED` (so the `ObjectRemoved` that follows finds the rejection and keeps the record).

use crate::{
    objects::{is_s3_key, ObjectStore},
    storage::{is_upload_key, AssetStore, EventOutcome, ObjectEvent, ObjectEventKind, Sequencer},
};
use app::domain::{ArrivalRules, StoredFacts};
use aws_lambda_events::s3::{S3Event, S3EventRecord};
use std::sync::Arc;

/// Why a record cannot be applied. Such records are skipped (retrying cannot fix them).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRecord {
    #[error("record has no {0}")]
    Missing(&'static str),
    #[error("object key is not valid percent-encoded UTF-8")]
    BadKey,
    #[error(
        "object key is empty or longer than {} bytes",
        crate::objects::MAX_KEY_BYTES
    )]
    KeyLength,
    #[error(transparent)]
    BadSequencer(#[from] crate::storage::InvalidSequencer),
    #[error("object size is negative")]
    BadSize,
    #[error("event `{0}` is neither ObjectCreated nor ObjectRemoved")]
    UnsupportedEvent(String),
}

/// Decodes an S3 event key: `+` is a space, then percent-decoding, then UTF-8.
pub fn decode_key(raw: &str) -> Result<String, InvalidRecord> {
    let plus_decoded = raw.replace('+', " ");
    let key = percent_encoding::percent_decode_str(&plus_decoded)
        .decode_utf8()
        .map_err(|_| InvalidRecord::BadKey)?
        .into_owned();
    if !is_s3_key(&key) {
        return Err(InvalidRecord::KeyLength);
    }
    Ok(key)
}

/// Encodes a key the way S3 does in event notifications (the inverse of [`decode_key`]).
pub fn encode_key(key: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const KEEP: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    utf8_percent_encode(key, KEEP).to_string().replace(' ', "+")
}

/// Turns one notification record into an [`ObjectEvent`].
pub fn decode_record(r: &S3EventRecord) -> Result<ObjectEvent, InvalidRecord> {
    let name = r
        .event_name
        .as_deref()
        .ok_or(InvalidRecord::Missing("eventName"))?;
    let name = name.strip_prefix("s3:").unwrap_or(name);
    let bucket =
        r.s3.bucket
            .name
            .clone()
            .filter(|b| !b.is_empty())
            .ok_or(InvalidRecord::Missing("bucket name"))?;
    let key = decode_key(
        r.s3.object
            .key
            .as_deref()
            .ok_or(InvalidRecord::Missing("object key"))?,
    )?;
    let sequencer = Sequencer::parse(
        r.s3.object
            .sequencer
            .as_deref()
            .ok_or(InvalidRecord::Missing("sequencer"))?,
    )?;
    let kind = if name.starts_with("ObjectCreated:") {
        let size =
            r.s3.object
                .size
                .ok_or(InvalidRecord::Missing("object size"))?;
        ObjectEventKind::Created {
            size: u64::try_from(size).map_err(|_| InvalidRecord::BadSize)?,
            // Some producers quote ETags; store the bare value.
            etag: r
                .s3
                .object
                .e_tag
                .as_deref()
                .unwrap_or_default()
                .trim_matches('"')
                .to_string(),
            facts: StoredFacts::default(),
        }
    } else if name.starts_with("ObjectRemoved:") {
        ObjectEventKind::Removed
    } else {
        return Err(InvalidRecord::UnsupportedEvent(
            name.chars().take(80).collect(),
        ));
    };
    Ok(ObjectEvent {
        bucket,
        key,
        kind,
        event_name: name.to_string(),
        event_time: r.event_time,
        sequencer,
        version_id: r.s3.object.version_id.clone().filter(|v| !v.is_empty()),
    })
}

/// What happened to each record of a notification.
#[derive(Debug, Default)]
pub struct Report {
    pub outcomes: Vec<(usize, EventOutcome)>,
    /// Records for a bucket other than Ferry's (a misconfigured subscription, or someone
    /// else's bucket): logged and skipped, never applied and never retried. Each with the
    /// bucket it named.
    pub foreign: Vec<(usize, String)>,
    /// Records of Ferry's own thumbnails (`thumbnails/`), which are nobody's assets.
    pub thumbnails: Vec<usize>,
    /// Records that can never apply (malformed): logged and skipped.
    pub invalid: Vec<(usize, InvalidRecord)>,
    /// Records that failed for a passing reason (backend error): the notification should be
    /// delivered again; re-applying the others is harmless (sequencer ordering).
    pub failed: Vec<(usize, String)>,
}

impl Report {
    pub fn is_retryable_failure(&self) -> bool {
        !self.failed.is_empty()
    }

    /// The assets whose object these events recorded (their thumbnails may be due).
    pub fn arrivals(&self) -> Vec<app::domain::AssetId> {
        self.outcomes
            .iter()
            .filter_map(|(_, o)| match o {
                EventOutcome::Applied { asset_id, status } if status.is_downloadable() => {
                    Some(*asset_id)
                }
                _ => None,
            })
            .collect()
    }

    /// The assets whose object these events removed (their thumbnails go too).
    pub fn removals(&self) -> Vec<app::domain::AssetId> {
        self.outcomes
            .iter()
            .filter_map(|(_, o)| match o {
                EventOutcome::Removed { asset_id: Some(id) } => Some(*id),
                _ => None,
            })
            .collect()
    }
}

/// Applies S3 notifications about Ferry's bucket to its table, under its arrival rules.
pub struct EventHandler {
    store: Arc<AssetStore>,
    objects: Arc<ObjectStore>,
    bucket: String,
    rules: ArrivalRules,
}

impl EventHandler {
    /// `bucket` is Ferry's (`Settings::bucket_name`): records naming another are skipped.
    pub fn new(
        store: Arc<AssetStore>,
        objects: Arc<ObjectStore>,
        bucket: impl Into<String>,
        rules: ArrivalRules,
    ) -> EventHandler {
        EventHandler {
            store,
            objects,
            bucket: bucket.into(),
            rules,
        }
    }

    /// Applies every record of a notification.
    pub async fn handle(&self, event: &S3Event) -> Report {
        let bucket = self.bucket.as_str();
        let mut report = Report::default();
        for (i, record) in event.records.iter().enumerate() {
            let mut ev = match decode_record(record) {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!(record = i, error = %e, "skipping invalid S3 event record");
                    report.invalid.push((i, e));
                    continue;
                }
            };
            if ev.bucket != bucket {
                tracing::warn!(
                    record = i,
                    bucket = %ev.bucket,
                    key = %ev.key,
                    expected = %bucket,
                    "skipping S3 event record for a bucket that is not Ferry's"
                );
                report.foreign.push((i, ev.bucket));
                continue;
            }
            if crate::thumbnails::is_thumbnail_key(&ev.key) {
                report.thumbnails.push(i);
                continue;
            }
            match self.apply(&mut ev).await {
                Ok(outcome) => {
                    tracing::debug!(bucket = %ev.bucket, key = %ev.key, ?outcome, "S3 event applied");
                    report.outcomes.push((i, outcome));
                }
                Err(e) => {
                    tracing::error!(bucket = %ev.bucket, key = %ev.key, error = %e, "S3 event failed");
                    report.failed.push((i, e));
                }
            }
        }
        report
    }

    /// One event that did not come from S3 (`reconcile`'s facts), applied exactly as a
    /// record of a notification is.
    pub async fn apply_event(&self, mut ev: ObjectEvent) -> Result<EventOutcome, String> {
        self.apply(&mut ev).await
    }

    /// One record: what S3 stores (for a creation), the table, then the deletion a
    /// rejection asks for. An error is passing: the record should be delivered again.
    async fn apply(&self, ev: &mut ObjectEvent) -> Result<EventOutcome, String> {
        // Only Ferry's own keys are asked about: objects other tools put elsewhere are
        // recorded as their events describe them.
        if let ObjectEventKind::Created { facts, .. } = &mut ev.kind {
            if is_upload_key(&ev.key) {
                *facts = self
                    .objects
                    .head(&ev.bucket, &ev.key, ev.version_id.as_deref())
                    .await
                    .map_err(|e| e.to_string())?
                    .unwrap_or_default();
            }
        }
        let outcome = self
            .store
            .apply_event(ev, &self.rules)
            .await
            .map_err(|e| e.to_string())?;
        if let EventOutcome::Rejected {
            asset_id,
            rejection,
        } = &outcome
        {
            tracing::warn!(
                bucket = %ev.bucket,
                key = %ev.key,
                asset = %asset_id,
                reason = %rejection,
                "object refused on arrival: deleting it"
            );
            self.objects
                .delete(&ev.bucket, &ev.key, ev.version_id.as_deref())
                .await
                .map_err(|e| e.to_string())?;
        }
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_url_decoded_with_plus_as_space() {
        assert_eq!(decode_key("my+file.txt").unwrap(), "my file.txt");
        assert_eq!(decode_key("a%2Bb.txt").unwrap(), "a+b.txt");
        assert_eq!(decode_key("100%25.txt").unwrap(), "100%.txt");
        assert_eq!(
            decode_key("photos/%C3%A9t%C3%A9+%F0%9F%8C%8A.jpg").unwrap(),
            "photos/été 🌊.jpg"
        );
        assert_eq!(decode_key("%FF%FE"), Err(InvalidRecord::BadKey));
        assert_eq!(decode_key(""), Err(InvalidRecord::KeyLength));
        assert_eq!(decode_key(&"a".repeat(1025)), Err(InvalidRecord::KeyLength));
    }

    #[test]
    fn encoding_round_trips_awkward_keys() {
        for key in [
            "plain.txt",
            "with space.txt",
            "a+b.txt",
            "100%.txt",
            "dir/sub dir/é 🌊 (1).jpg",
            "q?x=1&y=2#frag",
        ] {
            let encoded = encode_key(key);
            assert!(!encoded.contains(' '), "{encoded}");
            assert_eq!(decode_key(&encoded).unwrap(), key);
        }
        assert_eq!(encode_key("my file+1.txt"), "my+file%2B1.txt");
    }
}
