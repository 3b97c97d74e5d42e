//! S3 object events → the table, in `sequencer` order per object.
//!
//! What an event changes is decided by a pure function, [`plan`]: from the object item and
//! the asset it points to (as read) and the event, the writes to make. [`AssetStore::apply_event`]
//! is the conditional-write loop around it: it reads, plans, and commits the plan in one
//! `TransactWriteItems` conditioned on exactly what it read (the object item's sequencer, the
//! asset's status), so concurrent events and state changes serialise; a lost race reads
//! again. An event whose sequencer is not newer than the object item's is ignored, so
//! duplicates and late deliveries never regress anything. After a removal the object item
//! stays as a tombstone (`present = false`) remembering the sequencer.
//!
//! Arrival rules: an object that arrives for an asset must meet [`ArrivalRules`] (size limit,
//! declared size, allowed type; what S3 could not check for an upload that declared
//! nothing). One that does not moves its asset to the terminal `REJECTED` with the
//! [`Rejection`], and the outcome tells the caller to delete the object
//! ([`EventOutcome::Rejected`]); the `ObjectRemoved` that follows keeps the record. A
//! rejected asset's later objects are refused the same way (also while it is deleted), and a
//! redelivered rejecting event asks for the deletion again. An object under Ferry's own
//! `uploads/` that has no record (its record went with an earlier object, and its upload URL
//! still works) is checked too: one that breaks the rules gets a `REJECTED` record.
//!
//! Owners: an object Ferry knows (it has an object item) keeps the owner recorded there,
//! which is its asset's. An object nobody recorded belongs to the owner its key names,
//! `uploads/<owner>/<asset id>[/<file name>]` ([`owner_from_key`]); any other key belongs to no
//! owner (administrators only).

use super::{
    assets::AssetStore,
    codec::{
        asset_from_item, asset_item, asset_pk, is_upload_key, n, now_millis, object_pk, put, s,
        status_keys, timestamp, ObjectItem, TTL_ATTRIBUTE,
    },
    error::TableError,
};
use app::domain::{
    media::{guess_content_type, validate_content_type},
    stored_type, ArrivalRules, Asset, AssetId, AssetStatus, ObjectMetadata, Owner, Rejection,
    StoredFacts,
};
use aws_sdk_dynamodb::{
    error::SdkError,
    operation::transact_write_items::TransactWriteItemsError,
    types::{Delete, Put, TransactWriteItem, Update},
};
use chrono::{DateTime, Utc};

/// Sequencers are hex strings of varying length; padded to this width they compare as text.
const SEQ_WIDTH: usize = 64;
/// Attempts at an event transaction that loses a race before giving up (the caller retries).
const EVENT_ATTEMPTS: usize = 8;

/// One object event, already decoded and validated (see [`crate::notifications`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectEvent {
    pub bucket: String,
    pub key: String,
    pub kind: ObjectEventKind,
    pub event_name: String,
    pub event_time: DateTime<Utc>,
    pub sequencer: Sequencer,
    /// The object version the event is about (versioned buckets only).
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectEventKind {
    /// `facts`: what `HeadObject` told of the object (empty until someone asks S3).
    Created {
        size: u64,
        etag: String,
        facts: StoredFacts,
    },
    Removed,
}

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// The asset now reflects the event (created or updated).
    Applied {
        asset_id: AssetId,
        status: AssetStatus,
    },
    /// The asset record was removed.
    Removed { asset_id: Option<AssetId> },
    /// The object broke the arrival rules: the asset is `REJECTED` and the object (this
    /// event's version) must be deleted.
    Rejected {
        asset_id: AssetId,
        rejection: Rejection,
    },
    /// A newer (or the same) event was already applied: nothing changed.
    Stale,
}

/// An S3 event sequencer: upper-case hex, compared after right-padding with zeros.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequencer(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an S3 sequencer (1 to 64 hexadecimal digits)")]
pub struct InvalidSequencer(pub String);

impl Sequencer {
    pub fn parse(s: &str) -> Result<Sequencer, InvalidSequencer> {
        if s.is_empty() || s.len() > SEQ_WIDTH || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(InvalidSequencer(s.chars().take(80).collect()));
        }
        Ok(Sequencer(s.to_ascii_uppercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The sortable form: right-padded with `0` to a fixed width, as S3 documents.
    pub fn sort_key(&self) -> String {
        format!("{:0<width$}", self.0, width = SEQ_WIDTH)
    }

    /// Before every sequencer S3 gives: for a fact nobody saw an event of (`reconcile`).
    pub fn lowest() -> Sequencer {
        Sequencer("0".into())
    }

    /// The sequencer right after the sort key `seq_key` (the last digit of its full width
    /// plus one): newer than it, yet older than any later sequencer S3 gives, which are
    /// shorter than the full width. `None` if `seq_key` is not a sort key, or the last one.
    pub fn just_after(seq_key: &str) -> Option<Sequencer> {
        let padded = Sequencer::parse(seq_key).ok()?.sort_key();
        let mut digits: Vec<u8> = padded.into_bytes();
        for d in digits.iter_mut().rev() {
            if *d == b'F' {
                *d = b'0';
                continue;
            }
            *d = if *d == b'9' { b'A' } else { *d + 1 };
            return Some(Sequencer(String::from_utf8(digits).expect("hex digits")));
        }
        None
    }
}

/// The writes that apply one event, committed together.
#[derive(Debug, Clone, PartialEq)]
struct Writes {
    /// The object item after the event.
    object: ObjectItem,
    /// The object item's `seq_key` as read (`None`: there was no object item).
    object_was: Option<String>,
    asset: AssetWrite,
    outcome: EventOutcome,
}

/// What happens to the asset record.
#[derive(Debug, Clone, PartialEq)]
enum AssetWrite {
    None,
    /// The asset takes the object's newest metadata (and leaves CREATED); conditioned on
    /// the status it was read with.
    Update {
        id: AssetId,
        /// The asset's owner (its status index keys name it).
        owner: Option<Owner>,
        from: AssetStatus,
        to: AssetStatus,
        meta: ObjectMetadata,
        /// Set when `to` is `REJECTED`.
        rejection: Option<Rejection>,
        /// A new state for a deleted asset to be restored to: its object arrived while it
        /// was deleted from `CREATED`, so restoring it must find it `RECEIVED`.
        restore_to: Option<AssetStatus>,
    },
    /// A record for an object Ferry did not create (e.g. `aws s3 cp`), or re-created after
    /// its record was removed.
    Create(Asset),
    /// The object is gone: so is its record.
    Delete(AssetId),
}

/// The owner an object's key names: `uploads/<owner>/<asset id>` or
/// `uploads/<owner>/<asset id>/<file name>` with a valid owner and asset id, as Ferry writes
/// them; `None` for any other key.
pub(super) fn owner_from_key(key: &str) -> Option<Owner> {
    upload_key_parts(key).and_then(|(owner, _)| Owner::parse(owner).ok())
}

/// The asset id an upload key names (`uploads/<owner>/<asset id>[/<file name>]`), which is
/// the asset its object item points to unless the key was never Ferry's.
pub(super) fn asset_id_from_key(key: &str) -> Option<AssetId> {
    upload_key_parts(key).map(|(_, id)| id)
}

/// Owner segment and asset id of a key shaped like an upload key.
fn upload_key_parts(key: &str) -> Option<(&str, AssetId)> {
    let mut segments = key.splitn(4, '/');
    let (Some("uploads"), Some(owner), Some(id)) =
        (segments.next(), segments.next(), segments.next())
    else {
        return None;
    };
    let id = id.parse::<AssetId>().ok()?;
    if segments.next().is_some_and(str::is_empty) {
        return None;
    }
    Some((owner, id))
}

/// Whether the object item already reflects a newer event than this one.
fn is_older(object: Option<&ObjectItem>, ev: &ObjectEvent) -> bool {
    object.is_some_and(|o| o.seq_key > ev.sequencer.sort_key())
}

/// Whether the object item already reflects this event or a newer one.
fn is_stale(object: Option<&ObjectItem>, ev: &ObjectEvent) -> bool {
    object.is_some_and(|o| o.seq_key >= ev.sequencer.sort_key())
}

/// What an event asks for.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    /// Already applied, or older than what was: nothing to do.
    Stale,
    /// Already applied, but its outcome asks the caller to act again: a redelivered
    /// rejecting event must delete the object again (the first deletion may have failed).
    Again(EventOutcome),
    Write(Box<Writes>),
}

/// The size an asset's upload declared, while nothing has arrived for it yet (every
/// arrival records an ETag; the size then is S3's).
fn declared_size(a: &Asset) -> Option<u64> {
    a.etag.is_none().then_some(a.size).flatten()
}

/// Why a `REJECTED` asset was rejected: its record says; one without a reason (which Ferry
/// never writes) reads as too large for an object of `size` bytes.
fn recorded_rejection(asset: &Asset, size: u64, rules: &ArrivalRules) -> Rejection {
    asset.rejection.clone().unwrap_or(Rejection::TooLarge {
        size,
        limit: rules.max_bytes,
    })
}

/// A rejected asset, or one deleted while rejected: it refuses every object, and keeps its
/// record when its object goes.
fn is_rejected(asset: &Asset) -> bool {
    asset.status == AssetStatus::Rejected || asset.deleted_from == Some(AssetStatus::Rejected)
}

/// Whether the object that arrived for `asset` may stay: a rejected asset refuses every
/// object (with its recorded reason); any other must meet the rules.
fn verdict(
    asset: &Asset,
    rules: &ArrivalRules,
    size: u64,
    facts: &StoredFacts,
) -> Result<(), Rejection> {
    if is_rejected(asset) {
        return Err(recorded_rejection(asset, size, rules));
    }
    rules.check(declared_size(asset), size, facts.content_type.as_deref())
}

/// The event ordering rule: what `ev` writes, given the object item and its asset as read.
/// `new_id` is called only when a record must be made and the object item names no id to
/// reuse.
fn plan(
    object: Option<&ObjectItem>,
    asset: Option<&Asset>,
    ev: &ObjectEvent,
    rules: &ArrivalRules,
    new_id: impl FnOnce() -> AssetId,
    now: DateTime<Utc>,
) -> Plan {
    if is_stale(object, ev) {
        return match (asset, &ev.kind) {
            (Some(a), ObjectEventKind::Created { .. })
                if !is_older(object, ev) && is_rejected(a) && object.is_some_and(|o| o.present) =>
            {
                Plan::Again(EventOutcome::Rejected {
                    asset_id: a.id,
                    rejection: recorded_rejection(a, a.size.unwrap_or_default(), rules),
                })
            }
            _ => Plan::Stale,
        };
    }
    let known_id = object.and_then(|o| o.asset_id);
    // Known objects keep their owner; an unknown one gets the owner its key names.
    let owner = match (asset, object) {
        (Some(a), _) => a.owner.clone(),
        (None, Some(o)) => o.owner.clone(),
        (None, None) => owner_from_key(&ev.key),
    };
    let after = |asset_id, meta| ObjectItem {
        owner: owner.clone(),
        bucket: ev.bucket.clone(),
        key: ev.key.clone(),
        asset_id,
        seq_key: ev.sequencer.sort_key(),
        present: matches!(ev.kind, ObjectEventKind::Created { .. }),
        meta,
    };
    let (object_after, asset_write, outcome) = match &ev.kind {
        ObjectEventKind::Created { size, etag, facts } => {
            let meta = metadata(ev, *size, etag, facts);
            let (write, id, outcome) = match asset {
                Some(a) => match verdict(a, rules, *size, facts) {
                    Ok(()) => {
                        let to = match a.status {
                            AssetStatus::Created => AssetStatus::Received,
                            other => other,
                        };
                        let arrived_while_deleted = a.status == AssetStatus::Deleted
                            && a.deleted_from == Some(AssetStatus::Created);
                        let write = AssetWrite::Update {
                            id: a.id,
                            owner: a.owner.clone(),
                            from: a.status,
                            to,
                            meta: meta.clone(),
                            rejection: None,
                            restore_to: arrived_while_deleted.then_some(AssetStatus::Received),
                        };
                        let outcome = EventOutcome::Applied {
                            asset_id: a.id,
                            status: to,
                        };
                        (write, a.id, outcome)
                    }
                    Err(rejection) => {
                        let write = if is_rejected(a) {
                            AssetWrite::None
                        } else {
                            AssetWrite::Update {
                                id: a.id,
                                owner: a.owner.clone(),
                                from: a.status,
                                to: AssetStatus::Rejected,
                                meta: meta.clone(),
                                rejection: Some(rejection.clone()),
                                restore_to: None,
                            }
                        };
                        let outcome = EventOutcome::Rejected {
                            asset_id: a.id,
                            rejection,
                        };
                        (write, a.id, outcome)
                    }
                },
                // Ferry's own keys are checked even without a record (one removed with its
                // object, whose upload URL still works); other tools' objects are not.
                None => {
                    let id = known_id.unwrap_or_else(new_id);
                    let record = asset_from_object(id, owner.clone(), &meta, now);
                    let checked = if is_upload_key(&ev.key) {
                        rules.check(None, *size, facts.content_type.as_deref())
                    } else {
                        Ok(())
                    };
                    match checked {
                        Ok(()) => {
                            let outcome = EventOutcome::Applied {
                                asset_id: id,
                                status: AssetStatus::Received,
                            };
                            (AssetWrite::Create(record), id, outcome)
                        }
                        Err(rejection) => {
                            let record = Asset {
                                status: AssetStatus::Rejected,
                                rejection: Some(rejection.clone()),
                                ..record
                            };
                            let outcome = EventOutcome::Rejected {
                                asset_id: id,
                                rejection,
                            };
                            (AssetWrite::Create(record), id, outcome)
                        }
                    }
                }
            };
            (after(Some(id), Some(meta)), write, outcome)
        }
        // A rejected asset stays to say why its object went.
        ObjectEventKind::Removed => match asset {
            Some(a) if is_rejected(a) => {
                let outcome = EventOutcome::Applied {
                    asset_id: a.id,
                    status: a.status,
                };
                (after(known_id, None), AssetWrite::None, outcome)
            }
            _ => {
                let write = asset.map_or(AssetWrite::None, |a| AssetWrite::Delete(a.id));
                let outcome = EventOutcome::Removed {
                    asset_id: asset.map(|a| a.id),
                };
                (after(known_id, None), write, outcome)
            }
        },
    };
    Plan::Write(Box::new(Writes {
        object: object_after,
        object_was: object.map(|o| o.seq_key.clone()),
        asset: asset_write,
        outcome,
    }))
}

fn metadata(ev: &ObjectEvent, size: u64, etag: &str, facts: &StoredFacts) -> ObjectMetadata {
    ObjectMetadata {
        bucket: ev.bucket.clone(),
        object_key: ev.key.clone(),
        size,
        etag: etag.to_string(),
        event_time: ev.event_time,
        event_name: ev.event_name.clone(),
        sequencer: ev.sequencer.as_str().to_string(),
        content_type: facts.content_type.clone(),
        checksum_sha256: facts.checksum_sha256.clone(),
    }
}

/// The type an asset takes from its arrived object: the stored one, when it is one
/// concrete type Ferry accepts; else the asset keeps its own.
fn arrived_type(meta: &ObjectMetadata) -> Option<String> {
    let ct = meta.content_type.as_deref()?;
    let ct = stored_type(Some(ct));
    validate_content_type(ct).ok().map(|()| ct.to_string())
}

/// The record of an object that has none: named after the key's last segment, its type
/// guessed from that name.
fn asset_from_object(
    id: AssetId,
    owner: Option<Owner>,
    meta: &ObjectMetadata,
    now: DateTime<Utc>,
) -> Asset {
    let filename = meta
        .object_key
        .rsplit('/')
        .find(|seg| !seg.is_empty())
        .unwrap_or(&meta.object_key)
        .to_string();
    Asset {
        id,
        owner,
        bucket: meta.bucket.clone(),
        object_key: meta.object_key.clone(),
        content_type: arrived_type(meta)
            .filter(|ct| ct != app::domain::media::OCTET_STREAM)
            .unwrap_or_else(|| guess_content_type(&filename).to_string()),
        filename,
        size: Some(meta.size),
        etag: Some(meta.etag.clone()),
        status: AssetStatus::Received,
        deleted_from: None,
        created_at: now,
        updated_at: now,
        event_time: Some(meta.event_time),
        event_name: Some(meta.event_name.clone()),
        sequencer: Some(meta.sequencer.clone()),
        rejection: None,
        checksum_sha256: meta.checksum_sha256.clone(),
        thumbnail_key: None,
        thumbnail_url: None,
        folder_path: vec![],
    }
}

/// Why a planned transaction did not commit.
enum WriteFailure {
    /// Something changed since it was read: read again.
    Conflict,
    Failed(TableError),
}

impl AssetStore {
    /// Applies one S3 object event, in sequencer order per object, under the arrival
    /// `rules` (see the module docs).
    pub async fn apply_event(
        &self,
        ev: &ObjectEvent,
        rules: &ArrivalRules,
    ) -> Result<EventOutcome, TableError> {
        for _ in 0..EVENT_ATTEMPTS {
            let (object, asset, key_id_free) = self.object_and_asset(&ev.bucket, &ev.key).await?;
            if is_older(object.as_ref(), ev) {
                return Ok(EventOutcome::Stale);
            }
            let writes = match plan(
                object.as_ref(),
                asset.as_ref(),
                ev,
                rules,
                // An upload key names its asset: a record made for it takes that id, unless
                // the id is another object's.
                || {
                    asset_id_from_key(&ev.key)
                        .filter(|_| key_id_free)
                        .unwrap_or_else(|| self.new_id())
                },
                now_millis(),
            ) {
                Plan::Stale => return Ok(EventOutcome::Stale),
                Plan::Again(outcome) => return Ok(outcome),
                Plan::Write(writes) => writes,
            };
            match self.commit(&writes).await {
                Ok(()) => return Ok(writes.outcome),
                Err(WriteFailure::Conflict) => continue,
                Err(WriteFailure::Failed(e)) => return Err(e),
            }
        }
        Err(TableError::Contention)
    }

    /// The asset of the object at `bucket`/`key`, if `caller` may see it: for an upload key
    /// the asset the key names (one GetItem, whether or not the object exists yet), for
    /// another key the asset its object's item points to (two); someone else's, or none, is
    /// `NotFound`.
    pub async fn get_by_object(
        &self,
        caller: &app::domain::Caller,
        bucket: &str,
        key: &str,
    ) -> Result<Asset, TableError> {
        let id = match asset_id_from_key(key) {
            Some(id) => Some(id),
            None => self
                .object_item(bucket, key)
                .await?
                .and_then(|o| o.asset_id),
        };
        let asset = self
            .get_for(caller, id.ok_or(TableError::NotFound)?)
            .await?;
        if asset.bucket == bucket && asset.object_key == key {
            Ok(asset)
        } else {
            Err(TableError::NotFound)
        }
    }

    /// The S3 metadata of the object, as recorded from its newest `ObjectCreated` event, if
    /// `caller` may see the object (one GetItem); someone else's is `NotFound`.
    pub async fn object_metadata(
        &self,
        caller: &app::domain::Caller,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectMetadata, TableError> {
        match self.object_item(bucket, key).await? {
            Some(ObjectItem {
                present: true,
                meta: Some(meta),
                owner,
                ..
            }) if caller.may_access(owner.as_ref()) => Ok(meta),
            _ => Err(TableError::NotFound),
        }
    }

    /// What the table knows of the object at `bucket`/`key`: whether its newest event says
    /// it exists, and that event's sequencer in sortable form (`None`: no event recorded).
    pub async fn object_state(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<Option<(bool, String)>, TableError> {
        Ok(self
            .object_item(bucket, key)
            .await?
            .map(|o| (o.present, o.seq_key)))
    }

    async fn object_item(&self, bucket: &str, key: &str) -> Result<Option<ObjectItem>, TableError> {
        self.item(object_pk(bucket, key))
            .await?
            .map(|item| ObjectItem::from_item(&item))
            .transpose()
    }

    /// The object's item and the asset it points to, read consistently, and whether no asset
    /// has the id an upload key names. For an upload key both are read at once (one
    /// BatchGetItem: the key names the asset); otherwise, or when the object item points to
    /// another asset, one after the other.
    async fn object_and_asset(
        &self,
        bucket: &str,
        key: &str,
    ) -> Result<(Option<ObjectItem>, Option<Asset>, bool), TableError> {
        let (object, named) = match asset_id_from_key(key) {
            Some(id) => {
                let [object, asset] = self.items([object_pk(bucket, key), asset_pk(id)]).await?;
                (object, Some((id, asset)))
            }
            None => (self.item(object_pk(bucket, key)).await?, None),
        };
        let object = object.map(|i| ObjectItem::from_item(&i)).transpose()?;
        let key_id_free = matches!(named, Some((_, None)));
        let asset = match (object.as_ref().and_then(|o| o.asset_id), named) {
            (Some(id), Some((read, asset))) if id == read => {
                asset.map(|i| asset_from_item(&i)).transpose()?
            }
            (Some(id), _) => self.find(id).await?,
            (None, _) => None,
        };
        Ok((object, asset, key_id_free))
    }

    /// Commits a plan as one transaction, conditioned on what it was made from.
    async fn commit(&self, w: &Writes) -> Result<(), WriteFailure> {
        let mut object_put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(w.object.to_item()));
        object_put = match &w.object_was {
            None => object_put.condition_expression("attribute_not_exists(pk)"),
            Some(seq) => object_put
                .condition_expression("seq_key = :read_seq")
                .expression_attribute_values(":read_seq", s(seq)),
        };
        let mut tx = self.db.transact_write_items().transact_items(
            TransactWriteItem::builder()
                .put(object_put.build().expect("put"))
                .build(),
        );
        if let Some(write) = self.asset_write(&w.asset) {
            tx = tx.transact_items(write);
        }
        match tx.send().await {
            Ok(_) => Ok(()),
            Err(e) if is_condition_conflict(&e) => Err(WriteFailure::Conflict),
            Err(e) => Err(WriteFailure::Failed(TableError::backend(e))),
        }
    }

    fn asset_write(&self, write: &AssetWrite) -> Option<TransactWriteItem> {
        match write {
            AssetWrite::None => None,
            AssetWrite::Create(asset) => Some(put(
                &self.table,
                asset_item(asset),
                "attribute_not_exists(pk)",
            )),
            AssetWrite::Delete(id) => Some(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .key("pk", s(asset_pk(*id)))
                            .build()
                            .expect("delete"),
                    )
                    .build(),
            ),
            AssetWrite::Update {
                id,
                owner,
                from,
                to,
                meta,
                rejection,
                restore_to,
            } => Some(self.update_from_event(
                *id,
                owner.as_ref(),
                (*from, *to),
                meta,
                (rejection.as_ref(), *restore_to),
            )),
        }
    }

    /// Update of an existing asset by a newer ObjectCreated event, conditioned on the status
    /// that was read (a concurrent delete or confirm makes the transaction retry). The
    /// asset takes the object's size, ETag, event facts and checksum, and its stored type
    /// when that is a type Ferry accepts; a rejection also records why and forgets the
    /// state a deleted asset would have been restored to.
    fn update_from_event(
        &self,
        id: AssetId,
        owner: Option<&Owner>,
        (from, to): (AssetStatus, AssetStatus),
        meta: &ObjectMetadata,
        (rejection, restore_to): (Option<&Rejection>, Option<AssetStatus>),
    ) -> TransactWriteItem {
        let [(_, owner_status), (_, all_status)] = status_keys(owner, id, to);
        let mut set = vec![
            "#st = :st",
            "owner_status = :os",
            "all_status = :as",
            "#size = :size",
            "etag = :etag",
            "event_time = :et",
            "event_name = :en",
            "sequencer = :seq",
            "updated_at = :now",
        ];
        // An object arrived: the asset has its bytes and never expires, and a thumbnail of
        // an earlier object no longer shows it (a new one is made after this event).
        let mut remove = vec![TTL_ATTRIBUTE, "thumbnail_key"];
        let mut values = vec![];
        match &meta.checksum_sha256 {
            Some(sum) => {
                set.push("checksum_sha256 = :sum");
                values.push((":sum", s(sum)));
            }
            None => remove.push("checksum_sha256"),
        }
        if let Some(ct) = arrived_type(meta) {
            set.push("content_type = :ct");
            values.push((":ct", s(ct)));
        }
        if let Some(st) = restore_to {
            set.push("deleted_from = :df");
            values.push((":df", s(st.as_str())));
        }
        if let Some(r) = rejection {
            set.push("rejection = :rej");
            values.push((
                ":rej",
                s(serde_json::to_string(r).expect("a rejection serialises")),
            ));
            remove.push("deleted_from");
        }
        let mut expression = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expression.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .key("pk", s(asset_pk(id)))
            .update_expression(expression)
            .set_expression_attribute_values(Some(
                values
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect(),
            ))
            .condition_expression("#st = :read_st")
            .expression_attribute_names("#st", "status")
            // `size` is a DynamoDB reserved word.
            .expression_attribute_names("#size", "size")
            .expression_attribute_values(":st", s(to.as_str()))
            .expression_attribute_values(":os", s(owner_status))
            .expression_attribute_values(":as", s(all_status))
            .expression_attribute_values(":read_st", s(from.as_str()))
            .expression_attribute_values(":size", n(meta.size))
            .expression_attribute_values(":etag", s(&meta.etag))
            .expression_attribute_values(":et", s(timestamp(meta.event_time)))
            .expression_attribute_values(":en", s(&meta.event_name))
            .expression_attribute_values(":seq", s(&meta.sequencer))
            .expression_attribute_values(":now", s(timestamp(now_millis())))
            .build()
            .expect("update");
        TransactWriteItem::builder().update(update).build()
    }
}

pub(super) fn is_condition_conflict<R>(e: &SdkError<TransactWriteItemsError, R>) -> bool {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(tc)) => {
            tc.cancellation_reasons().iter().any(|r| {
                matches!(
                    r.code(),
                    Some("ConditionalCheckFailed") | Some("TransactionConflict")
                )
            })
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use AssetStatus::*;

    fn id(n: u64) -> AssetId {
        AssetId::from_ulid(ulid::Ulid::from_parts(n, 1))
    }

    fn time() -> DateTime<Utc> {
        DateTime::from_timestamp_millis(1_764_400_000_000).unwrap()
    }

    fn created(seq: &str) -> ObjectEvent {
        ObjectEvent {
            bucket: "b".into(),
            key: "elsewhere/x/photo.JPG".into(),
            kind: ObjectEventKind::Created {
                size: 42,
                etag: "e1".into(),
                facts: StoredFacts::default(),
            },
            event_name: "ObjectCreated:Put".into(),
            event_time: time(),
            sequencer: Sequencer::parse(seq).unwrap(),
            version_id: None,
        }
    }

    fn removed(seq: &str) -> ObjectEvent {
        ObjectEvent {
            kind: ObjectEventKind::Removed,
            event_name: "ObjectRemoved:Delete".into(),
            ..created(seq)
        }
    }

    /// The object item as `ferry` leaves it: after a create (no event yet), or after an
    /// event with `seq` (present or a tombstone).
    fn object(asset: Option<AssetId>, seq: &str, present: bool) -> ObjectItem {
        let ev = created(if seq.is_empty() { "00" } else { seq });
        ObjectItem {
            owner: Some(alice()),
            bucket: ev.bucket.clone(),
            key: ev.key.clone(),
            asset_id: asset,
            seq_key: if seq.is_empty() {
                String::new()
            } else {
                ev.sequencer.sort_key()
            },
            present,
            meta: present.then(|| metadata(&ev, 42, "e1", &StoredFacts::default())),
        }
    }

    fn alice() -> Owner {
        Owner::parse("alice").unwrap()
    }

    fn asset(n: u64, status: AssetStatus) -> Asset {
        Asset {
            status,
            ..asset_from_object(
                id(n),
                Some(alice()),
                &metadata(&created("01"), 1, "old", &StoredFacts::default()),
                time(),
            )
        }
    }

    fn rules() -> ArrivalRules {
        ArrivalRules {
            max_bytes: 1000,
            allowed_types: vec!["*/*".into()],
        }
    }

    /// The writes an event makes under [`rules`]; `None` when it is stale.
    fn run(object: Option<&ObjectItem>, asset: Option<&Asset>, ev: &ObjectEvent) -> Option<Writes> {
        match plan(object, asset, ev, &rules(), || id(99), time()) {
            Plan::Write(w) => Some(*w),
            Plan::Stale => None,
            Plan::Again(outcome) => panic!("unexpected {outcome:?}"),
        }
    }

    #[test]
    fn sequencers_compare_after_right_padding() {
        let a = Sequencer::parse("0055AED6DCD90281E5").unwrap();
        let b = Sequencer::parse("0055AED6DCD90281E6").unwrap();
        assert!(a.sort_key() < b.sort_key());
        // A shorter sequencer is padded with zeros on the right, as S3 documents.
        let short = Sequencer::parse("0055AED6DCD9028").unwrap();
        let long = Sequencer::parse("0055AED6DCD90280").unwrap();
        assert_eq!(short.sort_key(), long.sort_key());
        let longer = Sequencer::parse("0055AED6DCD902801").unwrap();
        assert!(short.sort_key() < longer.sort_key());
        // Case-insensitive input, canonical upper case.
        assert_eq!(Sequencer::parse("00ab").unwrap().as_str(), "00AB");
        for bad in ["", "xyz", "00-11", &"A".repeat(65)] {
            assert!(Sequencer::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn created_events_move_the_asset_on_and_keep_later_states() {
        // (asset status as read) → status after an ObjectCreated
        for (from, to) in [
            (Created, Received),
            (Received, Received),
            (Uploaded, Uploaded),
            (Deleted, Deleted),
        ] {
            let a = asset(1, from);
            let o = object(Some(a.id), "", false);
            let w = run(Some(&o), Some(&a), &created("0A")).expect("applies");
            assert_eq!(
                w.outcome,
                EventOutcome::Applied {
                    asset_id: a.id,
                    status: to
                }
            );
            let AssetWrite::Update {
                id: uid,
                owner,
                from: f,
                to: t,
                meta,
                rejection: None,
                restore_to,
            } = w.asset
            else {
                panic!("{from}: expected an update, got {:?}", w.asset);
            };
            assert_eq!((uid, f, t), (a.id, from, to));
            assert_eq!(restore_to, None, "{from}: restored where it was");
            assert_eq!(
                owner,
                Some(alice()),
                "the asset's owner names its index keys"
            );
            assert_eq!(w.object.owner, Some(alice()));
            assert_eq!((meta.size, meta.etag.as_str()), (42, "e1"));
            // Conditioned on the (empty) sequencer read; the object item now holds the event.
            assert_eq!(w.object_was.as_deref(), Some(""));
            assert!(w.object.present);
            assert_eq!(w.object.seq_key, created("0A").sequencer.sort_key());
            assert_eq!(w.object.meta, Some(meta));
        }
    }

    #[test]
    fn an_unknown_object_gets_a_record_of_its_own() {
        let w = run(None, None, &created("0A")).unwrap();
        let AssetWrite::Create(a) = &w.asset else {
            panic!("{:?}", w.asset)
        };
        assert_eq!(a.id, id(99), "a new id");
        assert_eq!(
            (a.filename.as_str(), a.content_type.as_str()),
            ("photo.JPG", "image/jpeg")
        );
        assert_eq!((a.status, a.size), (Received, Some(42)));
        assert_eq!(w.object_was, None, "created only if still absent");
        assert_eq!(w.object.asset_id, Some(a.id));
        assert_eq!(
            (&a.owner, &w.object.owner),
            (&None, &None),
            "outside uploads/"
        );
        // After a removal the tombstone's id is reused for the object's new record.
        let tomb = object(Some(id(5)), "09", false);
        let w = run(Some(&tomb), None, &created("0A")).unwrap();
        assert!(matches!(&w.asset, AssetWrite::Create(a) if a.id == id(5)));
        // A known object keeps the owner its item records, whatever its key says.
        assert!(matches!(&w.asset, AssetWrite::Create(a) if a.owner == Some(alice())));
        assert_eq!(w.object_was, Some(tomb.seq_key));
    }

    #[test]
    fn an_upload_key_names_the_asset_its_event_reads_with_the_object() {
        let id: AssetId = "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap();
        for key in [
            format!("uploads/bob/{id}/photo.jpg"),
            format!("uploads/bob/{id}"),
            format!("uploads/b%20b/{id}/a/b.txt"),
        ] {
            assert_eq!(asset_id_from_key(&key), Some(id), "{key}");
        }
        for key in [
            format!("uploads/bob/{id}/"),
            "uploads/bob/not-an-id/photo.jpg".to_string(),
            format!("uploads/{id}/photo.jpg"),
            format!("other/bob/{id}/photo.jpg"),
            "photo.jpg".to_string(),
        ] {
            assert_eq!(asset_id_from_key(&key), None, "{key}");
        }
    }

    #[test]
    fn an_unknown_object_belongs_to_the_owner_its_key_names() {
        let id = "01JDQ7ZK3M5X9V2B8N4C6T1R0W";
        // key → owner of the record an ObjectCreated makes
        let table = [
            (format!("uploads/bob/{id}/photo.jpg"), Some("bob")),
            (format!("uploads/bob/{id}/a/b/c.txt"), Some("bob")),
            (format!("uploads/bob/{id}"), Some("bob")),
            (format!("uploads/auth0|x:y/{id}/f"), Some("auth0|x:y")),
            (format!("uploads/bob/{id}/"), None),
            ("uploads/bob/not-an-id/photo.jpg".to_string(), None),
            (format!("uploads/{id}/photo.jpg"), None),
            (format!("uploads//{id}/photo.jpg"), None),
            (format!("uploads/b%20b/{id}/photo.jpg"), None),
            (format!("other/bob/{id}/photo.jpg"), None),
            ("uploads/bob".to_string(), None),
            ("photo.jpg".to_string(), None),
        ];
        for (key, want) in table {
            let want = want.map(|o| Owner::parse(o).unwrap());
            assert_eq!(owner_from_key(&key), want, "{key}");
            let ev = ObjectEvent {
                key: key.clone(),
                ..created("0A")
            };
            let w = run(None, None, &ev).unwrap();
            let AssetWrite::Create(a) = &w.asset else {
                panic!("{:?}", w.asset)
            };
            assert_eq!((&a.owner, &w.object.owner), (&want, &want), "{key}");
            // A removal's tombstone records the same owner.
            let ev = ObjectEvent {
                key,
                ..removed("0B")
            };
            assert_eq!(run(None, None, &ev).unwrap().object.owner, want);
        }
    }

    #[test]
    fn removal_deletes_the_record_and_leaves_a_tombstone() {
        let a = asset(1, Uploaded);
        let o = object(Some(a.id), "0A", true);
        let w = run(Some(&o), Some(&a), &removed("0B")).unwrap();
        assert_eq!(w.asset, AssetWrite::Delete(a.id));
        assert_eq!(
            w.outcome,
            EventOutcome::Removed {
                asset_id: Some(a.id)
            }
        );
        assert!(!w.object.present && w.object.meta.is_none());
        assert_eq!(
            w.object.asset_id,
            Some(a.id),
            "the tombstone remembers the id"
        );
        // Removal of an object nobody recorded: only the tombstone.
        let w = run(None, None, &removed("0B")).unwrap();
        assert_eq!(w.asset, AssetWrite::None);
        assert_eq!(w.outcome, EventOutcome::Removed { asset_id: None });
    }

    #[test]
    fn duplicates_and_late_events_change_nothing() {
        let a = asset(1, Received);
        let o = object(Some(a.id), "0B", true);
        for ev in [created("0B"), created("0A"), removed("0A"), created("0b")] {
            assert_eq!(run(Some(&o), Some(&a), &ev), None, "{:?}", ev.sequencer);
        }
        // Padding decides, not length: 0B0 equals 0B; 0B01 is newer.
        assert_eq!(run(Some(&o), Some(&a), &created("0B0")), None);
        assert!(run(Some(&o), Some(&a), &created("0B01")).is_some());
        let tomb = object(Some(a.id), "0C", false);
        assert_eq!(run(Some(&tomb), None, &created("0B")), None);
    }

    fn sized(seq: &str, size: u64, content_type: Option<&str>) -> ObjectEvent {
        ObjectEvent {
            kind: ObjectEventKind::Created {
                size,
                etag: "e2".into(),
                facts: StoredFacts {
                    content_type: content_type.map(str::to_string),
                    checksum_sha256: None,
                },
            },
            ..created(seq)
        }
    }

    #[test]
    fn an_object_that_breaks_the_limits_rejects_its_asset() {
        let images = ArrivalRules {
            max_bytes: 1000,
            allowed_types: vec!["image/*".into(), "application/octet-stream".into()],
        };
        let declared = Asset {
            size: Some(10),
            etag: None,
            ..asset(1, Created)
        };
        let undeclared = Asset {
            size: None,
            etag: None,
            ..asset(1, Created)
        };
        let deleted = Asset {
            deleted_from: Some(Received),
            ..asset(1, Deleted)
        };
        // (asset, object size, stored type) → reason
        let cases = [
            (
                &undeclared,
                1001,
                None,
                Rejection::TooLarge {
                    size: 1001,
                    limit: 1000,
                },
            ),
            (
                &declared,
                11,
                Some("image/png"),
                Rejection::SizeMismatch {
                    size: 11,
                    declared: 10,
                },
            ),
            (
                &undeclared,
                5,
                Some("text/html"),
                Rejection::TypeNotAllowed {
                    content_type: "text/html".into(),
                },
            ),
            (
                &deleted,
                2000,
                None,
                Rejection::TooLarge {
                    size: 2000,
                    limit: 1000,
                },
            ),
        ];
        for (a, size, ct, reason) in cases {
            let o = object(Some(a.id), "", false);
            let ev = sized("0A", size, ct);
            let Plan::Write(w) = plan(Some(&o), Some(a), &ev, &images, || id(99), time()) else {
                panic!("{reason}: expected writes");
            };
            assert_eq!(
                w.outcome,
                EventOutcome::Rejected {
                    asset_id: a.id,
                    rejection: reason.clone()
                }
            );
            let AssetWrite::Update {
                from,
                to,
                rejection,
                ..
            } = &w.asset
            else {
                panic!("{:?}", w.asset)
            };
            assert_eq!(
                (*from, *to, rejection.as_ref()),
                (a.status, Rejected, Some(&reason))
            );
            assert!(
                w.object.present,
                "the object item records the object until it goes"
            );
        }
        // Within the rules: received, and the stored type is what the record will say.
        let o = object(Some(undeclared.id), "", false);
        let ev = sized("0A", 5, Some("image/png"));
        let Plan::Write(w) = plan(Some(&o), Some(&undeclared), &ev, &images, || id(99), time())
        else {
            panic!()
        };
        assert!(matches!(
            w.outcome,
            EventOutcome::Applied {
                status: Received,
                ..
            }
        ));
        assert_eq!(
            w.object.meta.unwrap().content_type.as_deref(),
            Some("image/png")
        );
    }

    #[test]
    fn a_rejected_asset_refuses_every_object_and_keeps_its_record() {
        let rejected = Asset {
            rejection: Some(Rejection::TooLarge {
                size: 2000,
                limit: 1000,
            }),
            ..asset(1, Rejected)
        };
        // Deleted while rejected: the same (it is restored to REJECTED).
        let deleted = Asset {
            deleted_from: Some(Rejected),
            ..rejected.clone()
        };
        for a in [
            rejected,
            Asset {
                status: Deleted,
                ..deleted
            },
        ] {
            rejected_asset_refuses(&a);
        }
    }

    fn rejected_asset_refuses(a: &Asset) {
        let refused = EventOutcome::Rejected {
            asset_id: a.id,
            rejection: a.rejection.clone().unwrap(),
        };
        // A later object, even a small one: deleted too; the record is not touched.
        let o = object(Some(a.id), "0A", false);
        let w = run(Some(&o), Some(a), &created("0B")).unwrap();
        assert_eq!((&w.asset, &w.outcome), (&AssetWrite::None, &refused));
        // The rejecting event delivered again while its object is still there: delete again.
        let present = object(Some(a.id), "0B", true);
        assert_eq!(
            plan(
                Some(&present),
                Some(a),
                &created("0B"),
                &rules(),
                || id(99),
                time()
            ),
            Plan::Again(refused)
        );
        // ... but not once the removal was recorded, nor for an older event.
        let gone = object(Some(a.id), "0C", false);
        assert_eq!(run(Some(&gone), Some(a), &created("0B")), None);
        assert_eq!(run(Some(&present), Some(a), &created("0A")), None);
        // The removal leaves the record to say why.
        let w = run(Some(&present), Some(a), &removed("0C")).unwrap();
        assert_eq!(w.asset, AssetWrite::None);
        assert!(!w.object.present);
        assert_eq!(
            w.outcome,
            EventOutcome::Applied {
                asset_id: a.id,
                status: a.status
            }
        );
    }

    #[test]
    fn an_object_under_uploads_without_a_record_is_checked_too() {
        let ferrys = |seq: &str, size: u64, ct: Option<&str>| ObjectEvent {
            key: format!("uploads/alice/{}/a.txt", id(1)),
            ..sized(seq, size, ct)
        };
        // Its record went with an earlier object; the object item is a tombstone.
        let gone = ObjectItem {
            key: format!("uploads/alice/{}/a.txt", id(1)),
            ..object(Some(id(1)), "0A", false)
        };
        for (size, ct, reason) in [
            (
                1001,
                None,
                Rejection::TooLarge {
                    size: 1001,
                    limit: 1000,
                },
            ),
            (
                5,
                Some("text/html"),
                Rejection::TypeNotAllowed {
                    content_type: "text/html".into(),
                },
            ),
        ] {
            let images = ArrivalRules {
                max_bytes: 1000,
                allowed_types: vec!["image/*".into()],
            };
            let ev = ferrys("0B", size, ct);
            let Plan::Write(w) = plan(Some(&gone), None, &ev, &images, || id(99), time()) else {
                panic!("{reason}: expected writes")
            };
            let AssetWrite::Create(record) = &w.asset else {
                panic!("{:?}", w.asset)
            };
            assert_eq!(
                (record.id, record.status, record.rejection.as_ref()),
                (id(1), Rejected, Some(&reason))
            );
            assert_eq!(
                w.outcome,
                EventOutcome::Rejected {
                    asset_id: id(1),
                    rejection: reason
                }
            );
        }
        // Another tool's object outside uploads/ is recorded as it is.
        let w = run(None, None, &sized("0B", 5000, Some("text/html"))).unwrap();
        assert!(matches!(
            w.outcome,
            EventOutcome::Applied {
                status: Received,
                ..
            }
        ));
    }

    #[test]
    fn an_object_arriving_while_its_asset_is_deleted_is_there_on_restore() {
        let a = Asset {
            deleted_from: Some(Created),
            etag: None,
            size: Some(42),
            ..asset(1, Deleted)
        };
        let o = object(Some(a.id), "", false);
        let w = run(Some(&o), Some(&a), &created("0A")).unwrap();
        let AssetWrite::Update { to, restore_to, .. } = w.asset else {
            panic!("{:?}", w.asset)
        };
        assert_eq!((to, restore_to), (Deleted, Some(Received)));
    }

    #[test]
    fn a_reconciled_sequencer_falls_between_the_recorded_one_and_any_later_one() {
        let seq = |s: &str| Sequencer::parse(s).unwrap();
        let recorded = seq("0055AED6DCD90281E5");
        let after = Sequencer::just_after(&recorded.sort_key()).unwrap();
        assert!(after.sort_key() > recorded.sort_key());
        for later in ["0055AED6DCD90281E6", "0055AED6DCD90281E501", "01"] {
            assert!(seq(later).sort_key() > after.sort_key(), "{later}");
        }
        assert!(Sequencer::lowest().sort_key() < seq("01").sort_key());
        assert_eq!(
            Sequencer::just_after(&"0F".repeat(32)).unwrap().as_str(),
            format!("{}10", "0F".repeat(31))
        );
        assert_eq!(
            Sequencer::just_after(&"9".repeat(64)).unwrap().as_str(),
            format!("{}A", "9".repeat(63))
        );
        assert_eq!(Sequencer::just_after(&"F".repeat(64)), None);
        assert_eq!(Sequencer::just_after("not hex"), None);
    }
}
