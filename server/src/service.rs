//! The asset service: the one implementation behind the REST API and the server functions.
//! Handlers parse and format; rules (limits, TTLs, which state may download) live here.

use crate::{
    config::Limits,
    objects::{
        is_s3_key, part_size_for, ObjectError, ObjectStore, PutConditions, StoredPart,
        MAX_KEY_BYTES, MAX_PART, MAX_PARTS,
    },
    shares::ShareToken,
    storage::{room_for_another, AssetStore, ListQuery, NewAsset, Scope, ShareUse, TableError},
};
use app::{
    api::{
        AssetBackend, AssetList, BulkAction, BulkOutcome, ChecksumAlgorithm, DownloadLink,
        FerryError, ListParams, MultipartTicket, NewUpload, OwnerFilter, PartRequest, PartUpload,
        ShareList, SharedOutcome, UploadLimits, UploadTicket, UploadedPart,
    },
    domain::{
        split_path, validate_filename, Asset, AssetId, Caller, CreatedShare, Folder, FolderId,
        FolderRef, FolderView, NewShare, ObjectMetadata, PartPlan, ShareId, ShareLink, ShareRules,
        ShareState, UploadPlan,
    },
};
use std::{sync::Arc, time::Duration};

/// Whose assets a listing reads: the caller's own, or (administrators only) another owner's,
/// the unowned ones or everyone's. Anyone may name themselves; naming anything else without
/// being an administrator is a 400 that says so (it reveals nothing about other owners).
pub fn scope_for(caller: &Caller, filter: Option<OwnerFilter>) -> Result<Scope, FerryError> {
    let filter = filter.unwrap_or(if caller.admin {
        OwnerFilter::All
    } else {
        OwnerFilter::Mine
    });
    match filter {
        OwnerFilter::Mine => Ok(Scope::Owner(caller.owner.clone())),
        OwnerFilter::Owner(o) if o == caller.owner => Ok(Scope::Owner(o)),
        _ if !caller.admin => Err(FerryError::BadRequest(OwnerFilter::ADMIN_ONLY.into())),
        OwnerFilter::Owner(o) => Ok(Scope::Owner(o)),
        OwnerFilter::Unowned => Ok(Scope::Unowned),
        OwnerFilter::All => Ok(Scope::All),
    }
}

/// A multipart upload completes only when S3 holds exactly its planned parts (each of its
/// planned size, so the total is the declared size) and the client lists exactly those, with
/// the ETags S3 gave them.
fn check_complete(
    plan: &PartPlan,
    stored: &[StoredPart],
    listed: &[UploadedPart],
) -> Result<(), FerryError> {
    let refuse = |why: String| Err(FerryError::BadRequest(why));
    if stored.len() != plan.parts() as usize {
        return refuse(format!(
            "the upload has {} of its {} parts",
            stored.len(),
            plan.parts()
        ));
    }
    for (n, part) in (1..).zip(stored) {
        if part.part_number != n || !plan.fits(n, part.size) {
            return refuse(format!(
                "stored part {} ({} bytes) is not part {n} of the plan ({} bytes)",
                part.part_number,
                part.size,
                plan.len(n)
            ));
        }
    }
    let same = listed.len() == stored.len()
        && listed
            .iter()
            .zip(stored)
            .all(|(l, s)| l.part_number == s.part_number && l.etag == s.etag);
    if !same {
        return refuse("the parts listed are not the parts stored (numbers and ETags)".into());
    }
    Ok(())
}

/// A SHA-256 as S3's `x-amz-checksum-sha256` takes it: standard base64 of the 32-byte digest
/// (44 characters). Anything else is refused here, before it is signed into a URL.
fn check_sha256(field: &str, value: &str) -> Result<(), FerryError> {
    use base64::Engine;
    match base64::engine::general_purpose::STANDARD.decode(value) {
        Ok(digest) if digest.len() == 32 => Ok(()),
        _ => Err(FerryError::BadRequest(format!(
            "{field} must be a SHA-256 digest in base64 (44 characters)"
        ))),
    }
}

/// An object S3 could hold: a bucket named as S3 names them (3 to 63 lower-case letters,
/// digits, dots and hyphens, starting and ending with a letter or digit; never a `/`, so
/// `bucket/key` names one pair) and a key S3 could hold ([`is_s3_key`]).
fn check_object_ref(bucket: &str, key: &str) -> Result<(), FerryError> {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    let bucket_ok = (3..=63).contains(&bucket.len())
        && bucket
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        && edge(bucket.chars().next())
        && edge(bucket.chars().last());
    if !bucket_ok {
        return Err(FerryError::BadRequest(
            "bucket is not an S3 bucket name (3 to 63 lower-case letters, digits, dots and \
             hyphens)"
                .into(),
        ));
    }
    if !is_s3_key(key) {
        return Err(FerryError::BadRequest(format!(
            "key must be 1 to {MAX_KEY_BYTES} bytes, as S3 keys are"
        )));
    }
    Ok(())
}

/// Only RECEIVED or UPLOADED assets have bytes to download (or to share).
fn downloadable(asset: &Asset) -> Result<(), FerryError> {
    if asset.status.is_downloadable() {
        Ok(())
    } else {
        Err(FerryError::Forbidden(format!(
            "the asset is {}: only RECEIVED or UPLOADED assets can be downloaded",
            asset.status
        )))
    }
}

/// A bulk action names 1 to `BulkAction::MAX_ASSETS` assets, each once.
fn check_bulk(ids: &[AssetId]) -> Result<(), FerryError> {
    if ids.is_empty() || ids.len() > BulkAction::MAX_ASSETS {
        return Err(FerryError::BadRequest(format!(
            "ids must name 1 to {} assets",
            BulkAction::MAX_ASSETS
        )));
    }
    let unique: std::collections::BTreeSet<_> = ids.iter().collect();
    if unique.len() != ids.len() {
        return Err(FerryError::BadRequest("ids names an asset twice".into()));
    }
    Ok(())
}

/// What anyone opening an unknown share link is told.
const NO_SUCH_SHARE: &str = "No share link has this address: check that it was copied whole.";

/// Upload ids are S3's; keep them to what S3 issues (printable, bounded).
fn check_upload_id(upload_id: &str) -> Result<(), FerryError> {
    if upload_id.is_empty()
        || upload_id.len() > 1024
        || !upload_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(FerryError::BadRequest("malformed upload_id".into()));
    }
    Ok(())
}

/// How long the thumbnail URLs of the pages stay the same (they are valid for twice that).
const THUMBNAIL_URL_WINDOW: Duration = Duration::from_secs(600);

pub struct AssetService {
    store: Arc<AssetStore>,
    objects: Arc<ObjectStore>,
    bucket: String,
    limits: Limits,
}

impl AssetService {
    pub fn new(
        store: Arc<AssetStore>,
        objects: Arc<ObjectStore>,
        bucket: impl Into<String>,
        limits: Limits,
    ) -> AssetService {
        AssetService {
            store,
            objects,
            bucket: bucket.into(),
            limits,
        }
    }

    pub fn store(&self) -> &AssetStore {
        &self.store
    }

    /// A presigned GET of the asset's thumbnail, if it has one and is not deleted (a
    /// presigning failure leaves it without: the page shows its icon).
    async fn add_thumbnail_url(&self, asset: &mut Asset) {
        let Some(key) = asset.thumbnail_key.as_deref() else {
            return;
        };
        if asset.status == app::domain::AssetStatus::Deleted {
            return;
        }
        match self
            .objects
            .presign_image(&asset.bucket, key, THUMBNAIL_URL_WINDOW)
            .await
        {
            Ok(url) => asset.thumbnail_url = Some(url),
            Err(e) => tracing::error!(id = %asset.id, error = %e, "cannot presign a thumbnail"),
        }
    }
}

impl AssetService {
    /// Size and type rules for a new upload; returns the declared type (trimmed). Without a
    /// declared type nothing is signed (seed behaviour) and the record says octet-stream.
    fn check_new(&self, upload: &NewUpload) -> Result<Option<String>, FerryError> {
        if let Some(size) = upload.size {
            if size > self.limits.max_upload_bytes {
                return Err(FerryError::PayloadTooLarge(format!(
                    "{size} bytes is more than the {} bytes allowed",
                    self.limits.max_upload_bytes
                )));
            }
        }
        if let Some(sum) = &upload.checksum_sha256 {
            check_sha256("checksum_sha256", sum)?;
        }
        let declared_type = upload.content_type.as_ref().map(|t| t.trim().to_string());
        if let Some(ct) = &declared_type {
            app::domain::media::validate_content_type(ct).map_err(TableError::from)?;
            if !self.limits.allows_type(ct) {
                return Err(FerryError::UnsupportedMediaType(format!(
                    "`{ct}` is not an allowed type (allowed: {})",
                    self.limits.allowed_types.join(", ")
                )));
            }
        } else if !self.limits.allows_type("application/octet-stream") {
            return Err(FerryError::UnsupportedMediaType(
                "a content_type is required by this server's allowed types".into(),
            ));
        }
        Ok(declared_type)
    }

    /// One of the caller's own folders (`None`: their top level); anyone else's, even for
    /// an administrator, is not found: what the caller puts in it would be theirs.
    async fn own_folder(
        &self,
        caller: &Caller,
        at: FolderRef,
    ) -> Result<Option<Folder>, FerryError> {
        let Some(id) = at.id() else { return Ok(None) };
        match self.store.folder_for(caller, id).await? {
            f if f.owner == caller.owner => Ok(Some(f)),
            _ => Err(TableError::FolderNotFound.into()),
        }
    }

    async fn create_record(
        &self,
        caller: &Caller,
        upload: NewUpload,
        declared_type: Option<&str>,
    ) -> Result<Asset, FerryError> {
        // The folders of a relative path are made in the folder it goes to.
        let filename = upload
            .filename
            .as_deref()
            .map(validate_filename)
            .transpose()
            .map_err(TableError::from)?;
        let base = self
            .own_folder(caller, upload.folder.unwrap_or_default())
            .await?;
        let dirs = filename.as_deref().map_or(vec![], |f| split_path(f).0);
        let folder = self.store.place(&caller.owner, base, &dirs).await?;
        let new = NewAsset {
            owner: caller.owner.clone(),
            bucket: self.bucket.clone(),
            filename,
            folder,
            content_type: declared_type
                .unwrap_or("application/octet-stream")
                .to_string(),
            size: upload.size,
        };
        let abandoned_at = self.limits.abandoned_at(chrono::Utc::now());
        Ok(self.store.create_until(new, abandoned_at).await?)
    }

    /// The asset of a multipart upload, which must be the caller's (else `NotFound`) and
    /// still be waiting for its bytes.
    /// The caller's asset and the multipart upload it started, if `upload_id` is that
    /// upload (another upload's id, even a real one, is `NotFound`) and the asset still
    /// waits for its file.
    async fn multipart_asset(
        &self,
        caller: &Caller,
        id: AssetId,
        upload_id: &str,
    ) -> Result<(Asset, UploadPlan), FerryError> {
        check_upload_id(upload_id)?;
        let asset = self.store.get_for(caller, id).await?;
        let plan = match self.store.upload_plan(id).await? {
            Some(u) if u.upload_id == upload_id => u,
            _ => {
                return Err(FerryError::NotFound(
                    "no such multipart upload for this asset".into(),
                ))
            }
        };
        if asset.status != app::domain::AssetStatus::Created {
            return Err(FerryError::PreconditionFailed(format!(
                "the asset is {}: its upload is over",
                asset.status
            )));
        }
        Ok((asset, plan))
    }
}

/// Table errors as the API reports them. Internal ones keep their detail here; the HTTP
/// layer logs it once and shows the client only that something failed.
impl From<TableError> for FerryError {
    fn from(e: TableError) -> Self {
        match e {
            TableError::NotFound => FerryError::NotFound("Asset not found".into()),
            TableError::InvalidTransition { .. } | TableError::UploadAlreadyStarted => {
                FerryError::PreconditionFailed(e.to_string())
            }
            TableError::InvalidFilename(_)
            | TableError::InvalidContentType(_)
            | TableError::InvalidLimit
            | TableError::InvalidCursor
            | TableError::CursorMismatch
            | TableError::InvalidPrefix
            | TableError::SearchNeedsNameOrder
            | TableError::StatusInFolder
            | TableError::SubfoldersNeedSearch
            | TableError::FolderTooDeep
            | TableError::InvalidFolderName(_)
            | TableError::UnownedAsset => FerryError::BadRequest(e.to_string()),
            TableError::FolderNotFound => FerryError::NotFound("Folder not found".into()),
            TableError::FolderExists(_)
            | TableError::FolderNotEmpty
            | TableError::FolderJustChanged => FerryError::Conflict(e.to_string()),
            TableError::Contention => FerryError::Unavailable(e.to_string()),
            TableError::Corrupt(_) | TableError::Backend(_) => FerryError::Internal(e.to_string()),
        }
    }
}

/// Object store errors as the API reports them (internal ones as for the table).
impl From<ObjectError> for FerryError {
    fn from(e: ObjectError) -> Self {
        match e {
            ObjectError::NoSuchUpload => FerryError::NotFound(e.to_string()),
            ObjectError::InvalidMultipart(_) => FerryError::BadRequest(e.to_string()),
            ObjectError::AlreadyStored => FerryError::PreconditionFailed(e.to_string()),
            ObjectError::Backend(_) => FerryError::Internal(e.to_string()),
        }
    }
}

#[async_trait::async_trait]
impl AssetBackend for AssetService {
    fn limits(&self) -> UploadLimits {
        UploadLimits {
            max_upload_bytes: self.limits.max_upload_bytes,
            allowed_types: self.limits.allowed_types.clone(),
            upload_url_ttl_secs: self.limits.upload_ttl.as_secs(),
            max_files_per_batch: self.limits.max_files_per_batch as usize,
            multipart_threshold_bytes: self.limits.multipart_threshold,
        }
    }

    async fn create_upload(
        &self,
        caller: &Caller,
        upload: NewUpload,
    ) -> Result<UploadTicket, FerryError> {
        if upload.checksum_algorithm.is_some() {
            return Err(FerryError::BadRequest(
                "checksum_algorithm is for multipart uploads; a single PUT declares its \
                 checksum_sha256"
                    .into(),
            ));
        }
        let declared_type = self.check_new(&upload)?;
        let size = upload.size;
        let checksum = upload.checksum_sha256.clone();
        let declared = declared_type.is_some() || size.is_some() || checksum.is_some();
        let asset = self
            .create_record(caller, upload, declared_type.as_deref())
            .await?;
        let put = self
            .objects
            .presign_put(
                &asset.bucket,
                &asset.object_key,
                PutConditions {
                    content_type: declared_type.as_deref(),
                    content_length: size,
                    // A caller that declares its file is told which headers to send, so
                    // the URL can refuse to replace what it stored. A bare seed-style PUT
                    // (no body, no headers) cannot be asked for one.
                    only_if_absent: declared,
                    checksum_sha256: checksum.as_deref(),
                },
                self.limits.upload_ttl,
            )
            .await?;
        Ok(UploadTicket {
            id: asset.id,
            upload_url: put.url,
            expires_at: put.expires_at,
            method: put.method,
            headers: put.headers,
            bucket: asset.bucket,
            object_key: asset.object_key,
        })
    }

    async fn list(&self, caller: &Caller, params: ListParams) -> Result<AssetList, FerryError> {
        // A folder is one owner's: without an owner named, the caller's own.
        let owner = match (&params.owner, params.folder) {
            (None, Some(_)) => Some(OwnerFilter::Mine),
            (owner, _) => owner.clone(),
        };
        let scope = scope_for(caller, owner)?;
        let subfolders = params.subfolders.unwrap_or(false);
        let (scope, within, viewed) = match (params.folder, scope) {
            (None, _) if subfolders => {
                return Err(FerryError::BadRequest(
                    "`subfolders` searches under a `folder`: name one".into(),
                ))
            }
            (None, scope) => (scope, None, None),
            (Some(at), Scope::Owner(owner)) => {
                let within = if subfolders { at.id() } else { None };
                let scope = if subfolders {
                    Scope::Owner(owner.clone())
                } else {
                    Scope::Folder(owner.clone(), at.id())
                };
                (scope, within, at.id().map(|id| (owner, id)))
            }
            (Some(_), _) => {
                return Err(FerryError::BadRequest(
                    "folders are one owner's: list a `folder` of your own, or name its owner"
                        .into(),
                ))
            }
        };
        let query = ListQuery {
            status: params.status,
            limit: params.limit,
            // An empty cursor is no cursor, as an empty `?cursor=` is for REST.
            cursor: params.cursor.filter(|c| !c.is_empty()),
            sort: params.sort,
            prefix: params.prefix,
            within,
        };
        // The folder (and its breadcrumbs) is read beside the page, not before it.
        let view = async {
            match viewed {
                Some((owner, id)) => match self.store.folder_view(caller, id).await? {
                    v if v.folder.owner == owner => Ok(Some(v)),
                    _ => Err(TableError::FolderNotFound),
                },
                None => Ok(None),
            }
        };
        let (page, folder) = futures::try_join!(self.store.list(scope, query), view)?;
        let mut items = page.items;
        for asset in &mut items {
            self.add_thumbnail_url(asset).await;
        }
        Ok(AssetList {
            items,
            folders: page.folders,
            folder,
            next_cursor: page.next_cursor,
            prev_cursor: page.prev_cursor,
            viewer_is_admin: caller.admin,
        })
    }

    async fn get(&self, caller: &Caller, id: AssetId) -> Result<Asset, FerryError> {
        let mut asset = self.store.get_for(caller, id).await?;
        self.add_thumbnail_url(&mut asset).await;
        Ok(asset)
    }

    async fn download_link(
        &self,
        caller: &Caller,
        id: AssetId,
        ttl_secs: Option<u64>,
    ) -> Result<DownloadLink, FerryError> {
        let ttl = match ttl_secs {
            None => self.limits.download_ttl,
            Some(0) => {
                return Err(FerryError::BadRequest(
                    "timeout must be at least 1 second".into(),
                ))
            }
            Some(s) => Duration::from_secs(s).min(self.limits.max_download_ttl),
        };
        let asset = self.store.get_for(caller, id).await?;
        downloadable(&asset)?;
        let get = self
            .objects
            .presign_get(&asset.bucket, &asset.object_key, Some(&asset.filename), ttl)
            .await?;
        Ok(DownloadLink {
            download_url: get.url,
            expires_at: get.expires_at,
        })
    }

    async fn mark_uploaded(&self, caller: &Caller, id: AssetId) -> Result<Asset, FerryError> {
        let mut asset = self.store.mark_uploaded(caller, id).await?;
        self.add_thumbnail_url(&mut asset).await;
        Ok(asset)
    }

    async fn delete(&self, caller: &Caller, id: AssetId) -> Result<Asset, FerryError> {
        Ok(self.store.soft_delete(caller, id).await?)
    }

    async fn restore(&self, caller: &Caller, id: AssetId) -> Result<Asset, FerryError> {
        let mut asset = self.store.restore(caller, id).await?;
        self.add_thumbnail_url(&mut asset).await;
        Ok(asset)
    }

    async fn start_multipart(
        &self,
        caller: &Caller,
        upload: NewUpload,
    ) -> Result<MultipartTicket, FerryError> {
        let Some(size) = upload.size else {
            return Err(FerryError::BadRequest(
                "size is required for a multipart upload".into(),
            ));
        };
        if upload.checksum_sha256.is_some() {
            return Err(FerryError::BadRequest(
                "a multipart upload has no checksum_sha256 of the whole file: send \
                 checksum_algorithm `SHA256`, then each part's checksum_sha256"
                    .into(),
            ));
        }
        let part_checksums = upload.checksum_algorithm == Some(ChecksumAlgorithm::Sha256);
        let declared_type = self.check_new(&upload)?;
        let asset = self
            .create_record(caller, upload, declared_type.as_deref())
            .await?;
        let upload_id = match self
            .objects
            .create_multipart(
                &asset.bucket,
                &asset.object_key,
                declared_type.as_deref(),
                part_checksums,
            )
            .await
        {
            Ok(id) => id,
            Err(e) => {
                // Nothing can arrive for this record: withdraw it.
                let _ = self.store.soft_delete(caller, asset.id).await;
                return Err(e.into());
            }
        };
        let plan = PartPlan::new(size, part_size_for(size));
        let recorded = UploadPlan {
            upload_id: upload_id.clone(),
            plan,
            part_checksums,
        };
        if let Err(e) = self.store.record_upload(asset.id, &recorded).await {
            // An upload nobody can sign parts for: drop it with its record.
            let _ = self
                .objects
                .abort_multipart(&asset.bucket, &asset.object_key, &upload_id)
                .await;
            let _ = self.store.soft_delete(caller, asset.id).await;
            return Err(e.into());
        }
        Ok(MultipartTicket {
            id: asset.id,
            upload_id,
            part_size: plan.part_size(),
            checksum_algorithm: part_checksums.then_some(ChecksumAlgorithm::Sha256),
            bucket: asset.bucket,
            object_key: asset.object_key,
        })
    }

    async fn sign_part(
        &self,
        caller: &Caller,
        id: AssetId,
        upload_id: &str,
        part: PartRequest,
    ) -> Result<PartUpload, FerryError> {
        let PartRequest {
            part_number,
            size,
            checksum_sha256,
        } = part;
        if let Some(sum) = &checksum_sha256 {
            check_sha256("checksum_sha256", sum)?;
        }
        if !(1..=MAX_PARTS).contains(&part_number) {
            return Err(FerryError::BadRequest(format!(
                "part_number must be between 1 and {MAX_PARTS}"
            )));
        }
        if !(1..=MAX_PART).contains(&size) {
            return Err(FerryError::BadRequest(format!(
                "a part is 1 to {MAX_PART} bytes"
            )));
        }
        let (asset, upload) = self.multipart_asset(caller, id, upload_id).await?;
        let plan = upload.plan;
        match (upload.part_checksums, &checksum_sha256) {
            (true, None) => {
                return Err(FerryError::BadRequest(
                    "this upload was started with checksums: every part needs its \
                     checksum_sha256"
                        .into(),
                ))
            }
            (false, Some(_)) => {
                return Err(FerryError::BadRequest(
                    "this upload was started without checksums (checksum_algorithm): its \
                     parts cannot carry one"
                        .into(),
                ))
            }
            _ => {}
        }
        if !plan.fits(part_number, size) {
            return Err(FerryError::BadRequest(if part_number > plan.parts() {
                format!(
                    "part {part_number} is not in this upload: it has {} parts",
                    plan.parts()
                )
            } else {
                format!(
                    "part {part_number} of this upload is {} bytes, not {size}",
                    plan.len(part_number)
                )
            }));
        }
        // Each part signed gives the upload the time it needs to send it.
        self.store
            .extend_expiry(id, self.limits.abandoned_at(chrono::Utc::now()))
            .await?;
        let put = self
            .objects
            .presign_part(
                &asset.bucket,
                &asset.object_key,
                upload_id,
                part_number,
                size,
                checksum_sha256.as_deref(),
                self.limits.upload_ttl,
            )
            .await?;
        Ok(PartUpload {
            url: put.url,
            headers: put.headers,
            expires_at: put.expires_at,
        })
    }

    async fn list_parts(
        &self,
        caller: &Caller,
        id: AssetId,
        upload_id: &str,
    ) -> Result<Vec<UploadedPart>, FerryError> {
        let (asset, _) = self.multipart_asset(caller, id, upload_id).await?;
        let parts = self
            .objects
            .list_parts(&asset.bucket, &asset.object_key, upload_id)
            .await?;
        Ok(parts
            .into_iter()
            .map(|p| UploadedPart {
                part_number: p.part_number,
                etag: p.etag,
                size: p.size,
                checksum_sha256: p.checksum_sha256,
            })
            .collect())
    }

    async fn complete_multipart(
        &self,
        caller: &Caller,
        id: AssetId,
        upload_id: &str,
        parts: Vec<UploadedPart>,
    ) -> Result<Asset, FerryError> {
        if parts.is_empty() || parts.len() > MAX_PARTS as usize {
            return Err(FerryError::BadRequest(format!(
                "a multipart upload has 1 to {MAX_PARTS} parts"
            )));
        }
        if !parts
            .windows(2)
            .all(|w| w[0].part_number < w[1].part_number)
        {
            return Err(FerryError::BadRequest(
                "parts must be listed in increasing part_number order, once each".into(),
            ));
        }
        let (asset, plan) = self.multipart_asset(caller, id, upload_id).await?;
        // What S3 holds must be exactly the plan, and what the client lists exactly that.
        let stored = self
            .objects
            .list_parts(&asset.bucket, &asset.object_key, upload_id)
            .await?;
        check_complete(&plan.plan, &stored, &parts)?;
        // The parts as S3 stored them, with the checksums it verified.
        self.objects
            .complete_multipart(&asset.bucket, &asset.object_key, upload_id, &stored)
            .await?;
        Ok(self.store.get_for(caller, id).await?)
    }

    async fn abort_multipart(
        &self,
        caller: &Caller,
        id: AssetId,
        upload_id: &str,
    ) -> Result<Asset, FerryError> {
        let (asset, _) = self.multipart_asset(caller, id, upload_id).await?;
        self.objects
            .abort_multipart(&asset.bucket, &asset.object_key, upload_id)
            .await?;
        Ok(self.store.soft_delete(caller, id).await?)
    }

    async fn bulk(
        &self,
        caller: &Caller,
        action: BulkAction,
        ids: Vec<AssetId>,
    ) -> Result<Vec<BulkOutcome>, FerryError> {
        check_bulk(&ids)?;
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let result = match action {
                BulkAction::MarkUploaded => self.mark_uploaded(caller, id).await,
                BulkAction::Delete => self.delete(caller, id).await,
                BulkAction::Restore => self.restore(caller, id).await,
            };
            outcomes.push(BulkOutcome { id, result });
        }
        Ok(outcomes)
    }

    async fn folder(&self, caller: &Caller, id: FolderId) -> Result<FolderView, FerryError> {
        Ok(self.store.folder_view(caller, id).await?)
    }

    async fn create_folder(
        &self,
        caller: &Caller,
        parent: FolderRef,
        name: &str,
    ) -> Result<Folder, FerryError> {
        let parent = self.own_folder(caller, parent).await?;
        Ok(self
            .store
            .create_folder(&caller.owner, parent.as_ref(), name)
            .await?)
    }

    async fn rename_folder(
        &self,
        caller: &Caller,
        id: FolderId,
        name: &str,
    ) -> Result<Folder, FerryError> {
        Ok(self.store.rename_folder(caller, id, name).await?)
    }

    async fn delete_folder(&self, caller: &Caller, id: FolderId) -> Result<(), FerryError> {
        Ok(self.store.delete_folder(caller, id).await?)
    }

    async fn move_assets(
        &self,
        caller: &Caller,
        ids: Vec<AssetId>,
        to: FolderRef,
    ) -> Result<Vec<BulkOutcome>, FerryError> {
        check_bulk(&ids)?;
        let target = match to.id() {
            Some(id) => Some(self.store.folder_for(caller, id).await?),
            None => None,
        };
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let result = self
                .store
                .move_asset(caller, id, target.as_ref())
                .await
                .map_err(FerryError::from);
            outcomes.push(BulkOutcome { id, result });
        }
        Ok(outcomes)
    }

    async fn bulk_share(
        &self,
        caller: &Caller,
        ids: Vec<AssetId>,
        share: NewShare,
    ) -> Result<Vec<SharedOutcome>, FerryError> {
        check_bulk(&ids)?;
        // The same rules for every link: a request that breaks them makes none.
        ShareRules::check(&share, self.limits.max_share_ttl.as_secs())
            .map_err(FerryError::BadRequest)?;
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let result = self.create_share(caller, id, share.clone()).await;
            outcomes.push(SharedOutcome { id, result });
        }
        Ok(outcomes)
    }

    async fn create_share(
        &self,
        caller: &Caller,
        id: AssetId,
        share: NewShare,
    ) -> Result<CreatedShare, FerryError> {
        ShareRules::check(&share, self.limits.max_share_ttl.as_secs())
            .map_err(FerryError::BadRequest)?;
        let asset = self.store.get_for(caller, id).await?;
        downloadable(&asset)?;
        let now = chrono::Utc::now();
        if !room_for_another(&self.store.shares_of(id).await?, now) {
            return Err(FerryError::PreconditionFailed(format!(
                "this asset already has {} share links that open: revoke one first",
                ShareRules::MAX_ACTIVE_PER_ASSET
            )));
        }
        let token = ShareToken::generate().map_err(FerryError::Internal)?;
        let expires_at = now + chrono::Duration::seconds(share.expires_in_secs as i64);
        let link = self
            .store
            .create_share(
                &token.hash(),
                id,
                asset.owner.as_ref(),
                expires_at,
                share.max_uses,
            )
            .await?;
        Ok(CreatedShare {
            link,
            path: token.path(),
        })
    }

    async fn shares(&self, caller: &Caller, id: AssetId) -> Result<ShareList, FerryError> {
        self.store.get_for(caller, id).await?;
        Ok(ShareList {
            links: self.store.shares_of(id).await?,
            max_ttl_secs: self.limits.max_share_ttl.as_secs(),
        })
    }

    async fn revoke_share(
        &self,
        caller: &Caller,
        id: AssetId,
        share: ShareId,
    ) -> Result<ShareLink, FerryError> {
        self.store.get_for(caller, id).await?;
        self.store
            .revoke_share(id, share, chrono::Utc::now())
            .await?
            .ok_or_else(|| FerryError::NotFound("this asset has no such share link".into()))
    }

    async fn open_share(&self, token: &str) -> Result<DownloadLink, FerryError> {
        let unknown = || FerryError::NotFound(NO_SUCH_SHARE.into());
        let token = ShareToken::parse(token).ok_or_else(unknown)?;
        let hash = token.hash();
        let now = chrono::Utc::now();
        let link = self.store.share(&hash).await?.ok_or_else(unknown)?;
        let gone = |link: &ShareLink| {
            FerryError::Gone(
                link.state(now)
                    .refusal()
                    .unwrap_or("This share link no longer opens.")
                    .into(),
            )
        };
        if link.state(now) != ShareState::Active {
            return Err(gone(&link));
        }
        // Its asset must still be there to download: deleted (or its file refused), the
        // link stops working, and the use is not counted.
        let asset = match self.store.get(link.asset_id).await {
            Ok(asset) if asset.status.is_downloadable() => asset,
            Ok(_) | Err(TableError::NotFound) => {
                return Err(FerryError::Gone(
                    "The shared file is no longer available.".into(),
                ))
            }
            Err(e) => return Err(e.into()),
        };
        match self.store.count_share_use(&hash, now).await? {
            ShareUse::Counted(_) => {}
            ShareUse::Refused(link) => return Err(gone(&link)),
            ShareUse::Unknown => return Err(unknown()),
        }
        let get = self
            .objects
            .presign_get(
                &asset.bucket,
                &asset.object_key,
                Some(&asset.filename),
                self.limits.download_ttl,
            )
            .await?;
        Ok(DownloadLink {
            download_url: get.url,
            expires_at: get.expires_at,
        })
    }

    async fn metadata(
        &self,
        caller: &Caller,
        bucket: &str,
        key: &str,
    ) -> Result<ObjectMetadata, FerryError> {
        check_object_ref(bucket, key)?;
        self.store
            .object_metadata(caller, bucket, key)
            .await
            .map_err(|e| match e {
                TableError::NotFound => FerryError::NotFound("Metadata not found".into()),
                other => other.into(),
            })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_multipart_upload_completes_only_as_planned() {
        let mib = 1024 * 1024;
        let plan = PartPlan::new(12 * mib, 5 * mib); // 5 + 5 + 2 MiB
        let stored = |sizes: &[u64]| -> Vec<StoredPart> {
            (1..)
                .zip(sizes)
                .map(|(n, &size)| StoredPart {
                    part_number: n,
                    etag: format!("e{n}"),
                    size,
                    checksum_sha256: None,
                })
                .collect()
        };
        let listed = |parts: &[StoredPart]| -> Vec<UploadedPart> {
            parts
                .iter()
                .map(|p| UploadedPart {
                    part_number: p.part_number,
                    etag: p.etag.clone(),
                    size: p.size,
                    checksum_sha256: None,
                })
                .collect()
        };
        let good = stored(&[5 * mib, 5 * mib, 2 * mib]);
        assert_eq!(check_complete(&plan, &good, &listed(&good)), Ok(()));
        for (what, parts) in [
            ("a part missing", stored(&[5 * mib, 5 * mib])),
            ("a part too many", stored(&[5 * mib, 5 * mib, 2 * mib, mib])),
            (
                "a last part past the declared size",
                stored(&[5 * mib, 5 * mib, 3 * mib]),
            ),
            ("a short middle part", stored(&[5 * mib, mib, 2 * mib])),
        ] {
            assert!(
                matches!(
                    check_complete(&plan, &parts, &listed(&parts)),
                    Err(FerryError::BadRequest(_))
                ),
                "{what}"
            );
        }
        let mut other_etag = listed(&good);
        other_etag[1].etag = "forged".into();
        assert!(check_complete(&plan, &good, &other_etag).is_err());
        assert!(check_complete(&plan, &good, &listed(&good)[..2]).is_err());
    }

    use super::*;
    use app::domain::Owner;

    #[test]
    fn listings_are_scoped_to_the_caller_unless_an_administrator_asks() {
        let owner = |o: &str| Owner::parse(o).unwrap();
        let alice = Caller {
            owner: owner("alice"),
            admin: false,
        };
        let root = Caller {
            owner: owner("root"),
            admin: true,
        };
        let bob = OwnerFilter::Owner(owner("bob"));
        // (caller, filter) → scope, or the 400 of a non-administrator
        let table = [
            (
                &alice,
                OwnerFilter::Mine,
                Some(Scope::Owner(owner("alice"))),
            ),
            (
                &alice,
                OwnerFilter::Owner(owner("alice")),
                Some(Scope::Owner(owner("alice"))),
            ),
            (&alice, bob.clone(), None),
            (&alice, OwnerFilter::Unowned, None),
            (&alice, OwnerFilter::All, None),
            (&root, OwnerFilter::Mine, Some(Scope::Owner(owner("root")))),
            (&root, bob, Some(Scope::Owner(owner("bob")))),
            (&root, OwnerFilter::Unowned, Some(Scope::Unowned)),
            (&root, OwnerFilter::All, Some(Scope::All)),
        ];
        // Without a filter: everything for administrators, one's own for anyone else.
        assert_eq!(scope_for(&root, None), Ok(Scope::All));
        assert_eq!(scope_for(&alice, None), Ok(Scope::Owner(owner("alice"))));
        for (caller, filter, want) in table {
            let got = scope_for(caller, Some(filter.clone()));
            match want {
                Some(scope) => assert_eq!(got, Ok(scope), "{filter:?}"),
                None => assert_eq!(
                    got,
                    Err(FerryError::BadRequest(OwnerFilter::ADMIN_ONLY.into())),
                    "{filter:?}"
                ),
            }
        }
    }
}
