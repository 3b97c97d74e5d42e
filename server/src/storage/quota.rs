//! Fair-use counters: how many limited requests one client made in one time window. One item
//! per client and window, counted by one conditional `UpdateItem`, so every instance of the
//! web function (and every `ferry serve` thread) shares the same count. A window's item is
//! never read again once the window is over; its `expires_at` (the table's TTL attribute)
//! lets DynamoDB delete it.

use super::{
    assets::AssetStore,
    codec::{n, s, TTL_ATTRIBUTE},
    error::{failed_condition, TableError},
};

/// One client's count in one window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaWindow<'a> {
    /// Who asks: `owner:<owner>` or `addr:<address>` (see `fair_use`).
    pub client: &'a str,
    /// When the window started, in seconds since the epoch.
    pub start: u64,
    /// When the window's item may be deleted, in seconds since the epoch.
    pub expires_at: u64,
    /// Requests the window takes.
    pub limit: u32,
}

fn quota_pk(window: &QuotaWindow<'_>) -> String {
    format!("QUOTA#{}#{}", window.start, window.client)
}

impl AssetStore {
    /// Counts one request in `window` unless it already holds `window.limit` of them: `true`
    /// when counted, `false` when the client is over its limit (nothing is written then).
    pub async fn count_request(&self, window: &QuotaWindow<'_>) -> Result<bool, TableError> {
        let result = self
            .db
            .update_item()
            .table_name(&self.table)
            .key("pk", s(quota_pk(window)))
            .update_expression(format!(
                "ADD requests :one SET kind = :kind, {TTL_ATTRIBUTE} = :exp"
            ))
            .condition_expression("attribute_not_exists(requests) OR requests < :limit")
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":kind", s("quota"))
            .expression_attribute_values(":exp", n(window.expires_at))
            .expression_attribute_values(":limit", n(u64::from(window.limit)))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if failed_condition(&e) => Ok(false),
            Err(e) => Err(TableError::backend(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_client_and_window_has_an_item_of_its_own() {
        let w = |client, start| QuotaWindow {
            client,
            start,
            expires_at: start + 120,
            limit: 1,
        };
        assert_eq!(quota_pk(&w("addr:10.0.0.1", 60)), "QUOTA#60#addr:10.0.0.1");
        assert_ne!(
            quota_pk(&w("addr:10.0.0.1", 60)),
            quota_pk(&w("addr:10.0.0.1", 120))
        );
        assert_ne!(
            quota_pk(&w("addr:10.0.0.1", 60)),
            quota_pk(&w("owner:a", 60))
        );
    }
}
