//! `ferry reconcile`: repairs the catalogue from the bucket. S3 delivers events at least once
//! but asynchronously; one lost past Lambda's retries (or never sent, for an object written
//! behind Ferry's back) leaves the table saying something the bucket does not. Reconciling:
//!
//! 1. lists the bucket (ListObjectsV2, all of it);
//! 2. reads every record that says its object is there (`storage::inventory`: the all-owners
//!    status index, each shard to its end — a maintenance pass, never a request's);
//! 3. compares them ([`plan`], pure): an object no record holds is recorded, a record whose
//!    object is gone is removed;
//! 4. applies each repair as the event S3 would have sent, through the same
//!    [`EventHandler`] (arrival rules, HeadObject, conditional writes), checking first that it
//!    is still needed (HeadObject: the object is still there, or still gone; the table: still
//!    unrecorded).
//!
//! A reconciled fact is older than any real event: its sequencer is the lowest one, or the
//! one right after what the table recorded ([`Sequencer::just_after`]), so an event S3
//! delivers during or after the run always wins, and one already applied is never undone.
//! A second run finds nothing to do.
//!
//! Abandoned uploads go too: a record still waiting for its file past its URL's expiry and
//! the grace period (`FERRY_UPLOAD_GRACE_SECS`; the TTL attribute the service set, which each
//! part's signature moves on) is removed with its multipart upload, unless the file is there
//! after all. On AWS, DynamoDB's TTL removes such records as well (and S3's lifecycle rule
//! aborts the uploads); `ferry serve` runs [`Reconciler::expire_abandoned`] on a timer.

use crate::{
    notifications::EventHandler,
    objects::{ListedObject, ObjectStore},
    services::Services,
    storage::{
        AbandonedUpload, AssetStore, EventOutcome, ObjectEvent, ObjectEventKind, RecordedObject,
        Sequencer,
    },
};
use std::{collections::BTreeMap, fmt, sync::Arc};

/// One difference between the bucket and the table, and its repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Repair {
    /// An object no record holds: recorded as its creation event would be (a new record, or
    /// the upload's record, still `CREATED`, moved to `RECEIVED`).
    Record(ListedObject),
    /// A record whose object is gone: removed as the object's removal event would remove it.
    Forget(RecordedObject),
    /// An upload whose file never arrived, past its URL's expiry and the grace period:
    /// its records are removed and its multipart upload (if any) aborted.
    Expire(AbandonedUpload),
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::Record(o) => {
                write!(f, "record {} ({} bytes): no record holds it", o.key, o.size)
            }
            Repair::Forget(r) => write!(
                f,
                "forget {} (asset {}): the object is gone",
                r.key, r.asset_id
            ),
            Repair::Expire(u) => write!(
                f,
                "expire {} (asset {}): abandoned since {}, its file never arrived",
                u.key,
                u.asset_id,
                chrono::DateTime::from_timestamp(u.expires_at as i64, 0).unwrap_or_default()
            ),
        }
    }
}

/// The repairs that make `recorded` (records of `bucket`'s objects) agree with `objects` (the
/// bucket's listing), in key order. Ferry's own thumbnails are nobody's assets: passed by.
pub fn plan(bucket: &str, objects: &[ListedObject], recorded: &[RecordedObject]) -> Vec<Repair> {
    let listed: BTreeMap<&str, &ListedObject> = objects
        .iter()
        .filter(|o| !crate::thumbnails::is_thumbnail_key(&o.key))
        .map(|o| (o.key.as_str(), o))
        .collect();
    let held: BTreeMap<&str, &RecordedObject> = recorded
        .iter()
        .filter(|r| r.bucket == bucket)
        .map(|r| (r.key.as_str(), r))
        .collect();
    let mut repairs: Vec<(&str, Repair)> = Vec::new();
    for (key, object) in &listed {
        if !held.contains_key(key) {
            repairs.push((key, Repair::Record((*object).clone())));
        }
    }
    for (key, record) in &held {
        if !listed.contains_key(key) {
            repairs.push((key, Repair::Forget((*record).clone())));
        }
    }
    repairs.sort_by(|a, b| a.0.cmp(b.0));
    repairs.into_iter().map(|(_, r)| r).collect()
}

/// What applying one repair did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The object now has its record.
    Recorded,
    /// The object broke the arrival rules: its record is `REJECTED` and the object deleted.
    Rejected,
    /// The record of the gone object was removed.
    Forgotten,
    /// The abandoned upload's records were removed (and its multipart upload aborted).
    Expired,
    /// Nothing to do any more: the reason (a real event came first, the object is back…).
    Unchanged(&'static str),
}

/// What a run found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub objects: usize,
    pub records: usize,
    pub recorded: usize,
    pub rejected: usize,
    pub forgotten: usize,
    pub expired: usize,
    pub unchanged: usize,
    pub failed: usize,
}

impl Counts {
    fn add(&mut self, done: &Result<Done, String>) {
        match done {
            Ok(Done::Recorded) => self.recorded += 1,
            Ok(Done::Rejected) => self.rejected += 1,
            Ok(Done::Forgotten) => self.forgotten += 1,
            Ok(Done::Expired) => self.expired += 1,
            Ok(Done::Unchanged(_)) => self.unchanged += 1,
            Err(_) => self.failed += 1,
        }
    }
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} objects in the bucket, {} records holding one; recorded {}, rejected {}, \
             forgot {}, expired {}, unchanged {}, failed {}",
            self.objects,
            self.records,
            self.recorded,
            self.rejected,
            self.forgotten,
            self.expired,
            self.unchanged,
            self.failed
        )
    }
}

/// The bucket's listing and the table's records, compared.
pub struct Survey {
    pub objects: usize,
    pub records: usize,
    pub repairs: Vec<Repair>,
}

/// Reconciles one bucket with the table.
pub struct Reconciler {
    store: Arc<AssetStore>,
    objects: Arc<ObjectStore>,
    events: Arc<EventHandler>,
    bucket: String,
}

impl Reconciler {
    pub fn new(services: &Services) -> Reconciler {
        Reconciler {
            store: services.store.clone(),
            objects: services.objects.clone(),
            events: services.events.clone(),
            bucket: services.settings.bucket_name.clone(),
        }
    }

    /// Lists the bucket, reads the records, and plans the repairs (changes nothing).
    pub async fn survey(&self) -> Result<Survey, String> {
        let objects = self
            .objects
            .list_all(&self.bucket)
            .await
            .map_err(|e| format!("listing bucket {}: {e}", self.bucket))?;
        let recorded = self
            .store
            .recorded_objects()
            .await
            .map_err(|e| format!("reading the table: {e}"))?;
        let mut repairs = plan(&self.bucket, &objects, &recorded);
        repairs.extend(self.abandoned().await?);
        Ok(Survey {
            objects: objects.len(),
            records: recorded.len(),
            repairs,
        })
    }

    /// The uploads abandoned by now (of this bucket).
    async fn abandoned(&self) -> Result<Vec<Repair>, String> {
        let abandoned = self
            .store
            .abandoned_uploads(chrono::Utc::now())
            .await
            .map_err(|e| format!("reading the table: {e}"))?;
        Ok(abandoned
            .into_iter()
            .filter(|u| u.bucket == self.bucket)
            .map(Repair::Expire)
            .collect())
    }

    /// Removes the uploads abandoned by now (what `ferry serve` does on a timer), telling
    /// `report` each and what it did.
    pub async fn expire_abandoned(
        &self,
        mut report: impl FnMut(&Repair, &Result<Done, String>),
    ) -> Result<Counts, String> {
        let mut counts = Counts::default();
        for repair in self.abandoned().await? {
            let done = self.repair(&repair).await;
            counts.add(&done);
            report(&repair, &done);
        }
        Ok(counts)
    }

    /// An abandoned upload's repair: unless its file is there after all (a `Record` of a
    /// later run then takes it), its multipart upload is aborted and its records removed.
    async fn expire(&self, upload: &AbandonedUpload) -> Result<Done, String> {
        if self.exists(&upload.bucket, &upload.key).await? {
            return Ok(Done::Unchanged("its file is there"));
        }
        let multipart = self
            .store
            .upload_plan(upload.asset_id)
            .await
            .map_err(|e| e.to_string())?;
        if let Some(plan) = multipart {
            self.objects
                .abort_multipart(&upload.bucket, &upload.key, &plan.upload_id)
                .await
                .map_err(|e| e.to_string())?;
        }
        let removed = self
            .store
            .remove_abandoned(upload)
            .await
            .map_err(|e| e.to_string())?;
        Ok(if removed {
            Done::Expired
        } else {
            Done::Unchanged("it changed meanwhile")
        })
    }

    /// Applies one repair if it is still needed (see the module docs).
    pub async fn repair(&self, repair: &Repair) -> Result<Done, String> {
        match repair {
            Repair::Expire(u) => self.expire(u).await,
            Repair::Record(o) => {
                if !self.exists(&self.bucket, &o.key).await? {
                    return Ok(Done::Unchanged("the object is gone"));
                }
                let kind = ObjectEventKind::Created {
                    size: o.size,
                    etag: o.etag.trim_matches('"').to_string(),
                    facts: Default::default(),
                };
                self.as_event(&o.key, kind, "ObjectCreated:Reconciled", o.last_modified)
                    .await
            }
            Repair::Forget(r) => {
                if self.exists(&self.bucket, &r.key).await? {
                    return Ok(Done::Unchanged("the object is there again"));
                }
                let now = chrono::Utc::now();
                self.as_event(
                    &r.key,
                    ObjectEventKind::Removed,
                    "ObjectRemoved:Reconciled",
                    now,
                )
                .await
            }
        }
    }

    /// Whether S3 holds `bucket`/`key` now (HeadObject).
    async fn exists(&self, bucket: &str, key: &str) -> Result<bool, String> {
        let head = self.objects.head(bucket, key, None).await;
        Ok(head.map_err(|e| e.to_string())?.is_some())
    }

    /// Applies a fact about `key` as the S3 event that would have told it, with a sequencer
    /// below any real one after what the table recorded, unless the table already has it.
    async fn as_event(
        &self,
        key: &str,
        kind: ObjectEventKind,
        event_name: &str,
        event_time: chrono::DateTime<chrono::Utc>,
    ) -> Result<Done, String> {
        let state = self
            .store
            .object_state(&self.bucket, key)
            .await
            .map_err(|e| e.to_string())?;
        let sequencer = match (&kind, state) {
            (ObjectEventKind::Created { .. }, Some((true, _))) => {
                return Ok(Done::Unchanged("recorded by an event meanwhile"));
            }
            // No item, or an upload's item before any event.
            (_, None) => Sequencer::lowest(),
            (_, Some((_, seq_key))) if seq_key.is_empty() => Sequencer::lowest(),
            (_, Some((_, seq_key))) => match Sequencer::just_after(&seq_key) {
                Some(s) => s,
                None => return Ok(Done::Unchanged("no sequencer after the recorded one")),
            },
        };
        let event = ObjectEvent {
            bucket: self.bucket.clone(),
            key: key.to_string(),
            kind,
            event_name: event_name.into(),
            event_time,
            sequencer,
            version_id: None,
        };
        Ok(match self.events.apply_event(event).await? {
            EventOutcome::Applied { .. } => Done::Recorded,
            EventOutcome::Rejected { .. } => Done::Rejected,
            EventOutcome::Removed { .. } => Done::Forgotten,
            EventOutcome::Stale => Done::Unchanged("a newer event is recorded"),
        })
    }

    /// Surveys and (unless `dry_run`) repairs, telling `report` each repair and what it did
    /// (`None` on a dry run).
    pub async fn run(
        &self,
        dry_run: bool,
        mut report: impl FnMut(&Repair, Option<&Result<Done, String>>),
    ) -> Result<Counts, String> {
        let survey = self.survey().await?;
        let mut counts = Counts {
            objects: survey.objects,
            records: survey.records,
            ..Counts::default()
        };
        for repair in &survey.repairs {
            if dry_run {
                report(repair, None);
                continue;
            }
            let done = self.repair(repair).await;
            counts.add(&done);
            report(repair, Some(&done));
        }
        Ok(counts)
    }
}

/// How often `ferry serve` removes abandoned uploads (see [`every_so_often`]).
pub const EXPIRY_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes abandoned uploads every `period` (the first time one period after it starts),
/// logging what it removed, until the task is dropped: `ferry serve`'s embedded backend.
pub async fn every_so_often(reconciler: Reconciler, period: std::time::Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let run = reconciler
            .expire_abandoned(|repair, done| match done {
                Ok(Done::Expired) => tracing::info!(%repair, "abandoned upload removed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(%repair, error = %e, "abandoned upload not removed"),
            })
            .await;
        if let Err(e) = run {
            tracing::warn!(error = %e, "cannot look for abandoned uploads");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::AssetId;

    fn object(key: &str) -> ListedObject {
        ListedObject {
            key: key.into(),
            size: 1,
            etag: "\"e\"".into(),
            last_modified: chrono::DateTime::UNIX_EPOCH,
        }
    }

    fn record(bucket: &str, key: &str) -> RecordedObject {
        RecordedObject {
            asset_id: AssetId::from_ulid(ulid::Ulid::generate()),
            bucket: bucket.into(),
            key: key.into(),
            sequencer: Some("01".into()),
        }
    }

    #[test]
    fn unrecorded_objects_are_recorded_and_records_of_gone_objects_forgotten() {
        let objects = [object("a"), object("b"), object("d")];
        let recorded = [
            record("ours", "b"),
            record("ours", "c"),
            record("theirs", "d"),
        ];
        let repairs = plan("ours", &objects, &recorded);
        assert_eq!(
            repairs,
            vec![
                Repair::Record(object("a")),
                Repair::Forget(recorded[1].clone()),
                Repair::Record(object("d")),
            ]
        );
        assert!(plan("ours", &objects[1..2], &recorded[..1]).is_empty());
        assert!(plan("ours", &[], &[]).is_empty());
        // A thumbnail is no asset's object.
        assert!(plan(
            "ours",
            &[object("thumbnails/01JDQ7ZK3M5X9V2B8N4C6T1R0W.jpg")],
            &[]
        )
        .is_empty());
    }
}
