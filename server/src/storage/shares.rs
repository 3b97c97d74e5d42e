//! Share links' records: one item per link, keyed by the hash of its token
//! (`SHARE#<sha256 hex>`), listed per asset through the sparse `by_asset_shares` index. A use
//! is one conditional UpdateItem that counts it only while the link opens, so two people
//! using a link's last download at once get one download between them. A link's item
//! outlives its expiry by [`KEPT_AFTER_EXPIRY_SECS`] (its owner still sees it, and its users
//! hear that it expired), then DynamoDB's TTL removes it.

use super::{
    assets::AssetStore,
    codec::{epoch_secs, get_s, n, opt_n, opt_s, parse_time, s, timestamp, Item, TTL_ATTRIBUTE},
    error::{failed_condition, TableError},
    indexes::INDEX_BY_ASSET_SHARES,
};
use app::domain::{AssetId, Owner, ShareId, ShareLink, ShareRules};
use aws_sdk_dynamodb::types::ReturnValue;
use chrono::{DateTime, Utc};

/// How long a link's record stays after the link expired.
pub const KEPT_AFTER_EXPIRY_SECS: u64 = 30 * 86_400;
/// Links one listing returns (newest first): every link that can still open fits, since an
/// asset has at most [`ShareRules::MAX_ACTIVE_PER_ASSET`] of them.
const LISTED: i32 = 200;

fn share_pk(token_hash: &str) -> String {
    format!("SHARE#{token_hash}")
}

fn share_item(token_hash: &str, owner: Option<&Owner>, link: &ShareLink) -> Item {
    let mut item = Item::from([
        ("pk".to_string(), s(share_pk(token_hash))),
        ("kind".to_string(), s("share")),
        ("id".to_string(), s(link.id.to_string())),
        ("share_asset".to_string(), s(link.asset_id.to_string())),
        ("created_at".to_string(), s(timestamp(link.created_at))),
        ("link_expires".to_string(), s(timestamp(link.expires_at))),
        ("uses".to_string(), n(u64::from(link.uses))),
        (
            TTL_ATTRIBUTE.to_string(),
            n(epoch_secs(link.expires_at) + KEPT_AFTER_EXPIRY_SECS),
        ),
    ]);
    if let Some(max) = link.max_uses {
        item.insert("max_uses".to_string(), n(u64::from(max)));
    }
    if let Some(owner) = owner {
        item.insert("owner".to_string(), s(owner.as_str()));
    }
    item
}

fn share_from_item(item: &Item) -> Result<ShareLink, TableError> {
    let corrupt = |what: &str| TableError::Corrupt(format!("share link: {what}"));
    let count = |key: &str| -> Result<Option<u32>, TableError> {
        opt_n(item, key)?
            .map(|v| u32::try_from(v).map_err(|_| corrupt(key)))
            .transpose()
    };
    Ok(ShareLink {
        id: get_s(item, "id")?.parse().map_err(|_| corrupt("bad id"))?,
        asset_id: get_s(item, "share_asset")?
            .parse()
            .map_err(|_| corrupt("bad asset id"))?,
        created_at: parse_time(get_s(item, "created_at")?)?,
        expires_at: parse_time(get_s(item, "link_expires")?)?,
        max_uses: count("max_uses")?,
        uses: count("uses")?.unwrap_or(0),
        revoked_at: opt_s(item, "revoked_at").map(parse_time).transpose()?,
    })
}

/// What became of a use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShareUse {
    /// Counted: the link as it is now.
    Counted(ShareLink),
    /// Not counted: the link does not open (its state says why).
    Refused(ShareLink),
    /// No link has this token.
    Unknown,
}

impl AssetStore {
    /// Records a new link to `asset` (owned by `owner`) valid until `expires_at`.
    pub async fn create_share(
        &self,
        token_hash: &str,
        asset: AssetId,
        owner: Option<&Owner>,
        expires_at: DateTime<Utc>,
        max_uses: Option<u32>,
    ) -> Result<ShareLink, TableError> {
        let link = ShareLink {
            id: ShareId::from_ulid(self.new_id().ulid()),
            asset_id: asset,
            created_at: Utc::now(),
            expires_at,
            max_uses,
            uses: 0,
            revoked_at: None,
        };
        self.db
            .put_item()
            .table_name(&self.table)
            .set_item(Some(share_item(token_hash, owner, &link)))
            // 256 random bits never repeat; if they did, nothing is overwritten.
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(link)
    }

    /// `asset`'s links, newest first (one Query of the asset's index partition).
    pub async fn shares_of(&self, asset: AssetId) -> Result<Vec<ShareLink>, TableError> {
        self.share_items(asset, None)
            .await?
            .iter()
            .map(share_from_item)
            .collect()
    }

    async fn share_items(
        &self,
        asset: AssetId,
        id: Option<ShareId>,
    ) -> Result<Vec<Item>, TableError> {
        let mut condition = "share_asset = :a".to_string();
        let mut request = self
            .db
            .query()
            .table_name(&self.table)
            .index_name(INDEX_BY_ASSET_SHARES)
            .scan_index_forward(false)
            .limit(LISTED)
            .expression_attribute_values(":a", s(asset.to_string()));
        if let Some(id) = id {
            condition.push_str(" AND id = :id");
            request = request.expression_attribute_values(":id", s(id.to_string()));
        }
        let out = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(TableError::backend)?;
        Ok(out.items.unwrap_or_default())
    }

    /// The link whose token hashes to `token_hash`, if any.
    pub async fn share(&self, token_hash: &str) -> Result<Option<ShareLink>, TableError> {
        self.item(share_pk(token_hash))
            .await?
            .as_ref()
            .map(share_from_item)
            .transpose()
    }

    /// Counts one use of the link whose token hashes to `token_hash`, if it opens at `now`
    /// (not revoked, not expired, uses left): one conditional write.
    pub async fn count_share_use(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<ShareUse, TableError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(share_pk(token_hash)))
            .update_expression("ADD uses :one")
            .condition_expression(
                "attribute_exists(pk) AND attribute_not_exists(revoked_at) \
                 AND link_expires > :now \
                 AND (attribute_not_exists(max_uses) OR uses < max_uses)",
            )
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":now", s(timestamp(now)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes.unwrap_or_default();
                Ok(ShareUse::Counted(share_from_item(&item)?))
            }
            Err(e) if failed_condition(&e) => Ok(match self.share(token_hash).await? {
                Some(link) => ShareUse::Refused(link),
                None => ShareUse::Unknown,
            }),
            Err(e) => Err(TableError::backend(e)),
        }
    }

    /// Revokes `asset`'s link `id` at `now` (revoking a revoked link changes nothing).
    /// `None`: the asset has no such link.
    pub async fn revoke_share(
        &self,
        asset: AssetId,
        id: ShareId,
        now: DateTime<Utc>,
    ) -> Result<Option<ShareLink>, TableError> {
        let Some(item) = self.share_items(asset, Some(id)).await?.into_iter().next() else {
            return Ok(None);
        };
        let pk = get_s(&item, "pk")?.to_string();
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(pk.clone()))
            .update_expression("SET revoked_at = :now")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(revoked_at)")
            .expression_attribute_values(":now", s(timestamp(now)))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => Ok(Some(share_from_item(&out.attributes.unwrap_or_default())?)),
            // Already revoked (or gone since the index was read): as it is now.
            Err(e) if failed_condition(&e) => self
                .item(pk)
                .await?
                .as_ref()
                .map(share_from_item)
                .transpose(),
            Err(e) => Err(TableError::backend(e)),
        }
    }
}

/// Whether `links` leave room for one more link that can open, at `now`.
pub fn room_for_another(links: &[ShareLink], now: DateTime<Utc>) -> bool {
    let open = links
        .iter()
        .filter(|l| l.state(now) == app::domain::ShareState::Active)
        .count();
    open < ShareRules::MAX_ACTIVE_PER_ASSET
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn link() -> ShareLink {
        let at = parse_time("2026-11-30T10:00:00.000Z").unwrap();
        ShareLink {
            id: "01JDQ7ZK3M5X9V2B8N4C6T1R0W".parse().unwrap(),
            asset_id: "01JDQ7ZK3M5X9V2B8N4C6T1R0X".parse().unwrap(),
            created_at: at,
            expires_at: at + Duration::days(1),
            max_uses: Some(3),
            uses: 1,
            revoked_at: None,
        }
    }

    #[test]
    fn a_link_reads_back_as_written_under_the_hash_of_its_token() {
        let owner = Owner::parse("alice").unwrap();
        let item = share_item("ab12", Some(&owner), &link());
        assert_eq!(get_s(&item, "pk").unwrap(), "SHARE#ab12");
        assert_eq!(share_from_item(&item).unwrap(), link());
        let revoked = ShareLink {
            revoked_at: Some(link().created_at),
            max_uses: None,
            ..link()
        };
        let mut item = share_item("ab12", None, &revoked);
        item.insert("revoked_at".into(), s(timestamp(link().created_at)));
        assert_eq!(share_from_item(&item).unwrap(), revoked);
        // Removed by the TTL a while after it expired, not at once.
        assert_eq!(
            opt_n(&item, TTL_ATTRIBUTE).unwrap(),
            Some(epoch_secs(link().expires_at) + KEPT_AFTER_EXPIRY_SECS)
        );
    }

    #[test]
    fn an_asset_has_a_bounded_number_of_links_that_open() {
        let now = link().created_at;
        let open = vec![link(); ShareRules::MAX_ACTIVE_PER_ASSET - 1];
        assert!(room_for_another(&open, now));
        let mut full = open.clone();
        full.push(link());
        assert!(!room_for_another(&full, now));
        // Revoked, expired and used-up links do not count.
        full.push(link());
        full.last_mut().unwrap().revoked_at = Some(now);
        assert!(!room_for_another(&full, now));
        let expired: Vec<_> = full
            .iter()
            .map(|l| ShareLink {
                expires_at: now,
                ..l.clone()
            })
            .collect();
        assert!(room_for_another(&expired, now));
    }
}
