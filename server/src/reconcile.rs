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
//! A second run finds nothing to do. Abandoned uploads (records that never had an object)
//! are not this command's business.

use crate::{
    notifications::EventHandler,
    objects::{ListedObject, ObjectStore},
    services::Services,
    storage::{AssetStore, EventOutcome, ObjectEvent, ObjectEventKind, RecordedObject, Sequencer},
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
        }
    }
}

/// The repairs that make `recorded` (records of `bucket`'s objects) agree with `objects` (the
/// bucket's listing), in key order.
pub fn plan(bucket: &str, objects: &[ListedObject], recorded: &[RecordedObject]) -> Vec<Repair> {
    let listed: BTreeMap<&str, &ListedObject> =
        objects.iter().map(|o| (o.key.as_str(), o)).collect();
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
    pub unchanged: usize,
    pub failed: usize,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} objects in the bucket, {} records holding one; recorded {}, rejected {}, \
             forgot {}, unchanged {}, failed {}",
            self.objects,
            self.records,
            self.recorded,
            self.rejected,
            self.forgotten,
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
        let repairs = plan(&self.bucket, &objects, &recorded);
        Ok(Survey {
            objects: objects.len(),
            records: recorded.len(),
            repairs,
        })
    }

    /// Applies one repair if it is still needed (see the module docs).
    pub async fn repair(&self, repair: &Repair) -> Result<Done, String> {
        let key = match repair {
            Repair::Record(o) => &o.key,
            Repair::Forget(r) => &r.key,
        };
        let there = self
            .objects
            .head(&self.bucket, key, None)
            .await
            .map_err(|e| e.to_string())?
            .is_some();
        let (kind, event_name, event_time) = match repair {
            Repair::Record(_) if !there => return Ok(Done::Unchanged("the object is gone")),
            Repair::Forget(_) if there => return Ok(Done::Unchanged("the object is there again")),
            Repair::Record(o) => (
                ObjectEventKind::Created {
                    size: o.size,
                    etag: o.etag.trim_matches('"').to_string(),
                    facts: Default::default(),
                },
                "ObjectCreated:Reconciled",
                o.last_modified,
            ),
            Repair::Forget(_) => (
                ObjectEventKind::Removed,
                "ObjectRemoved:Reconciled",
                chrono::Utc::now(),
            ),
        };
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
            key: key.clone(),
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
            match &done {
                Ok(Done::Recorded) => counts.recorded += 1,
                Ok(Done::Rejected) => counts.rejected += 1,
                Ok(Done::Forgotten) => counts.forgotten += 1,
                Ok(Done::Unchanged(_)) => counts.unchanged += 1,
                Err(_) => counts.failed += 1,
            }
            report(repair, Some(&done));
        }
        Ok(counts)
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
    }
}
