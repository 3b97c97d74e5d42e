//! Folders: made, found by name, renamed, deleted when empty, and assets moved between them.
//! All of it is catalogue metadata (items of the table), never an object copy.
//!
//! A folder's name is reserved in its parent by a name item ([`folder_name_pk`]) written in
//! the same transaction as the folder, so two folders of one name (whatever the case) in one
//! place cannot both be made, even by a folder drop's concurrent uploads. Whatever is put in
//! a folder (an upload, a move, a new subfolder) stamps the folder's `added_at` in its own
//! transaction; deleting a folder is refused if its listing has a row, and is conditioned on
//! that stamp being older than [`SETTLE`], the most an index read lags a write: a folder
//! is never deleted with something in it.

use super::{
    assets::AssetStore,
    codec::{
        asset_pk, folder_from_item, folder_item, folder_item_pk, folder_name_item, folder_name_pk,
        folder_pk, get_s, now_millis, path_value, put, s, stamp_folder, timestamp,
    },
    error::{failed_items, TableError},
    indexes::INDEX_BY_FOLDER_CREATED,
};
use app::domain::{
    validate_folder_name, Asset, AssetId, Caller, Crumb, Folder, FolderId, FolderView, Owner,
    MAX_FOLDER_DEPTH,
};
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};
use chrono::Duration;

/// How long after something was put in a folder its deletion is refused: longer than an
/// index read lags the write that put it there.
const SETTLE: Duration = Duration::seconds(3);

/// Attempts at a change that loses a race with another write (a move, finding or making a
/// folder by name) before giving up.
const RACE_ATTEMPTS: usize = 8;

impl AssetStore {
    /// The folder with this id if `caller` may see it (its owner, or an administrator);
    /// anyone else's is `FolderNotFound`, like a missing one.
    pub async fn folder_for(&self, caller: &Caller, id: FolderId) -> Result<Folder, TableError> {
        self.item(folder_item_pk(id))
            .await?
            .map(|i| folder_from_item(&i))
            .transpose()?
            .filter(|f| caller.may_access(Some(&f.owner)))
            .ok_or(TableError::FolderNotFound)
    }

    /// The folder and the names of the folders it is in (one GetItem, one BatchGetItem).
    pub async fn folder_view(
        &self,
        caller: &Caller,
        id: FolderId,
    ) -> Result<FolderView, TableError> {
        let folder = self.folder_for(caller, id).await?;
        let pks: Vec<String> = folder
            .ancestors
            .iter()
            .map(|a| folder_item_pk(*a))
            .collect();
        let mut trail = Vec::with_capacity(pks.len() + 1);
        for (id, item) in folder.ancestors.iter().zip(self.items_of(pks).await?) {
            let name = match item {
                Some(i) => get_s(&i, "name")?.to_string(),
                None => return Err(TableError::Corrupt(format!("folder {id} is gone"))),
            };
            trail.push(Crumb { id: *id, name });
        }
        trail.push(Crumb {
            id: folder.id,
            name: folder.name.clone(),
        });
        Ok(FolderView { folder, trail })
    }

    /// Makes a folder named `name` in `parent` (`None`: the owner's top level), which must
    /// be `owner`'s; `FolderExists` if that place has a folder of that name.
    pub async fn create_folder(
        &self,
        owner: &Owner,
        parent: Option<&Folder>,
        name: &str,
    ) -> Result<Folder, TableError> {
        let name = validate_folder_name(name)?;
        let ancestors = parent.map(Folder::path).unwrap_or_default();
        if ancestors.len() >= MAX_FOLDER_DEPTH {
            return Err(TableError::FolderTooDeep);
        }
        let folder = Folder {
            id: FolderId::from_ulid(self.new_id().ulid()),
            owner: owner.clone(),
            name,
            ancestors,
            created_at: now_millis(),
        };
        let new_only = "attribute_not_exists(pk)";
        let mut tx = self
            .db
            .transact_write_items()
            .transact_items(put(&self.table, folder_item(&folder), new_only))
            .transact_items(put(
                &self.table,
                folder_name_item(&folder, &folder.name),
                new_only,
            ));
        if let Some(parent) = parent {
            tx = tx.transact_items(stamp_folder(&self.table, parent.id));
        }
        match tx.send().await {
            Ok(_) => Ok(folder),
            Err(e) => Err(match failed_items(e) {
                Ok(failed) => match failed.as_slice() {
                    [_, true, ..] => TableError::FolderExists(folder.name),
                    [_, _, true] => TableError::FolderNotFound,
                    _ => TableError::Contention,
                },
                Err(e) => e,
            }),
        }
    }

    /// The folder named `name` in `parent`, made if there is none: how a folder drop's
    /// paths become folders, by however many uploads at once.
    pub async fn child_folder(
        &self,
        owner: &Owner,
        parent: Option<&Folder>,
        name: &str,
    ) -> Result<Folder, TableError> {
        let name = validate_folder_name(name)?;
        for _ in 0..RACE_ATTEMPTS {
            let pk = folder_name_pk(owner, parent.map(|p| p.id), &name);
            if let Some(item) = self.item(pk).await? {
                let id = get_s(&item, "folder")?
                    .parse()
                    .map_err(|_| TableError::Corrupt("bad folder in a name item".into()))?;
                match self.item(folder_item_pk(id)).await? {
                    Some(f) => return folder_from_item(&f),
                    // Deleted between the two reads: look again.
                    None => continue,
                }
            }
            match self.create_folder(owner, parent, &name).await {
                Err(TableError::FolderExists(_)) => continue,
                made => return made,
            }
        }
        Err(TableError::Contention)
    }

    /// The folder a file at relative path `dirs` (its folders) under `base` goes in, made
    /// as needed (`None`: the top level, when both are empty).
    pub async fn place(
        &self,
        owner: &Owner,
        base: Option<Folder>,
        dirs: &[&str],
    ) -> Result<Option<Folder>, TableError> {
        let depth = base.as_ref().map_or(0, |b| b.path().len());
        if depth + dirs.len() > MAX_FOLDER_DEPTH {
            return Err(TableError::FolderTooDeep);
        }
        let mut at = base;
        for dir in dirs {
            at = Some(self.child_folder(owner, at.as_ref(), dir).await?);
        }
        Ok(at)
    }

    /// Renames a folder the caller may change; `FolderExists` if its parent has another
    /// folder of the new name. Its contents, and every object, stay as they are.
    pub async fn rename_folder(
        &self,
        caller: &Caller,
        id: FolderId,
        name: &str,
    ) -> Result<Folder, TableError> {
        let name = validate_folder_name(name)?;
        let old = self.folder_for(caller, id).await?;
        if old.name == name {
            return Ok(old);
        }
        let renamed = Folder {
            name: name.clone(),
            ..old.clone()
        };
        let same_key = old.name.to_lowercase() == name.to_lowercase();
        let item = folder_item(&renamed);
        let mut tx = self.db.transact_write_items().transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .key("pk", s(folder_item_pk(id)))
                        .update_expression("SET #n = :n, name_key = :k")
                        .condition_expression("#n = :old")
                        .expression_attribute_names("#n", "name")
                        .expression_attribute_values(":n", s(&name))
                        .expression_attribute_values(":k", item["name_key"].clone())
                        .expression_attribute_values(":old", s(&old.name))
                        .build()
                        .expect("update"),
                )
                .build(),
        );
        if !same_key {
            tx = tx
                .transact_items(put(
                    &self.table,
                    folder_name_item(&renamed, &name),
                    "attribute_not_exists(pk)",
                ))
                .transact_items(self.delete_name(&old));
        }
        match tx.send().await {
            Ok(_) => Ok(renamed),
            Err(e) => Err(match failed_items(e) {
                Ok(failed) if failed.get(1) == Some(&true) => TableError::FolderExists(name),
                Ok(_) => TableError::Contention,
                Err(e) => e,
            }),
        }
    }

    fn delete_name(&self, folder: &Folder) -> TransactWriteItem {
        TransactWriteItem::builder()
            .delete(
                Delete::builder()
                    .table_name(&self.table)
                    .key(
                        "pk",
                        s(folder_name_pk(&folder.owner, folder.parent(), &folder.name)),
                    )
                    .condition_expression("#f = :id")
                    .expression_attribute_names("#f", "folder")
                    .expression_attribute_values(":id", s(folder.id.to_string()))
                    .build()
                    .expect("delete"),
            )
            .build()
    }

    /// Deletes an empty folder the caller may change: `FolderNotEmpty` if it holds an asset
    /// (deleted ones too: they can be restored) or a folder.
    pub async fn delete_folder(&self, caller: &Caller, id: FolderId) -> Result<(), TableError> {
        let folder = self.folder_for(caller, id).await?;
        let out = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(INDEX_BY_FOLDER_CREATED)
            .key_condition_expression("folder_pk = :p")
            .expression_attribute_values(":p", s(folder_pk(&folder.owner, Some(id))))
            .limit(1)
            .send()
            .await
            .map_err(TableError::backend)?;
        if !out.items().is_empty() {
            return Err(TableError::FolderNotEmpty);
        }
        let settled = timestamp(now_millis() - SETTLE);
        let result = self
            .db
            .transact_write_items()
            .transact_items(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .key("pk", s(folder_item_pk(id)))
                            .condition_expression(
                                "#n = :name AND (attribute_not_exists(added_at) OR added_at < :settled)",
                            )
                            .expression_attribute_names("#n", "name")
                            .expression_attribute_values(":name", s(&folder.name))
                            .expression_attribute_values(":settled", s(settled))
                            .build()
                            .expect("delete"),
                    )
                    .build(),
            )
            .transact_items(self.delete_name(&folder))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) => Err(match failed_items(e) {
                Ok(failed) if failed.first() == Some(&true) => {
                    match self.folder_for(caller, id).await {
                        Ok(_) => TableError::FolderJustChanged,
                        Err(e) => e,
                    }
                }
                Ok(_) => TableError::Contention,
                Err(e) => e,
            }),
        }
    }

    /// Moves an asset the caller may change into `to` (`None`: its owner's top level),
    /// which must be the asset owner's. Only the record changes, never the object.
    pub async fn move_asset(
        &self,
        caller: &Caller,
        id: AssetId,
        to: Option<&Folder>,
    ) -> Result<Asset, TableError> {
        for _ in 0..RACE_ATTEMPTS {
            let old = self.get_for(caller, id).await?;
            let Some(owner) = old.owner.clone() else {
                return Err(TableError::UnownedAsset);
            };
            if to.is_some_and(|f| f.owner != owner) {
                return Err(TableError::FolderNotFound);
            }
            let path = to.map(Folder::path).unwrap_or_default();
            if old.folder_path == path {
                return Ok(old);
            }
            let mut update = Update::builder()
                .table_name(&self.table)
                .key("pk", s(asset_pk(id)))
                .expression_attribute_values(":fp", s(folder_pk(&owner, to.map(|f| f.id))))
                .expression_attribute_values(":now", s(timestamp(now_millis())));
            update = match path_value(&path) {
                Some(p) => update
                    .update_expression(
                        "SET folder_pk = :fp, folder_path = :path, updated_at = :now",
                    )
                    .expression_attribute_values(":path", s(p)),
                None => update
                    .update_expression("SET folder_pk = :fp, updated_at = :now REMOVE folder_path"),
            };
            update = match path_value(&old.folder_path) {
                Some(p) => update
                    .condition_expression("folder_path = :was")
                    .expression_attribute_values(":was", s(p)),
                None => update.condition_expression(
                    "attribute_exists(pk) AND attribute_not_exists(folder_path)",
                ),
            };
            let mut tx = self.db.transact_write_items().transact_items(
                TransactWriteItem::builder()
                    .update(update.build().expect("update"))
                    .build(),
            );
            if let Some(f) = to {
                tx = tx.transact_items(stamp_folder(&self.table, f.id));
            }
            match tx.send().await {
                Ok(_) => return self.get(id).await,
                Err(e) => match failed_items(e) {
                    Ok(failed) if failed.get(1) == Some(&true) => {
                        return Err(TableError::FolderNotFound)
                    }
                    Ok(_) | Err(TableError::Contention) => continue,
                    Err(e) => return Err(e),
                },
            }
        }
        Err(TableError::Contention)
    }
}
