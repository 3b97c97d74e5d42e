//! The names of objects kept under digest names. A key too long for s3s-fs's file names is
//! stored as `.ferry-long-keys/<digest>` (see `stored_key`); the digest cannot be turned back
//! into the key, so each such object's key is written beside it, and a listing names the
//! object by it: `.ferry-long-key-names/<bucket>/<digest>` holds the key. (Objects stored so
//! before these names were kept are not listed.)

use std::path::{Path, PathBuf};

const NAMES: &str = ".ferry-long-key-names";

pub(super) struct LongKeys {
    root: PathBuf,
}

impl LongKeys {
    pub fn new(root: &Path) -> LongKeys {
        LongKeys {
            root: root.to_path_buf(),
        }
    }

    fn dir(&self, bucket: &str) -> PathBuf {
        self.root.join(NAMES).join(bucket)
    }

    /// Where the key of the object stored as `stored` is written (`None`: a stored key that
    /// is not a digest name).
    fn path(&self, bucket: &str, stored: &str) -> Option<PathBuf> {
        let digest = stored.rsplit_once('/')?.1;
        (!digest.is_empty() && digest.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| self.dir(bucket).join(digest))
    }

    /// Remembers that `stored` holds the object `key`.
    pub async fn remember(&self, bucket: &str, key: &str, stored: &str) {
        let Some(path) = self.path(bucket, stored) else {
            return;
        };
        let written = async {
            tokio::fs::create_dir_all(self.dir(bucket)).await?;
            let tmp = path.with_extension("tmp");
            tokio::fs::write(&tmp, key.as_bytes()).await?;
            tokio::fs::rename(&tmp, &path).await
        };
        if let Err(e) = written.await {
            tracing::warn!(bucket, key, error = %e, "cannot remember a long key's name: listings will miss it");
        }
    }

    /// Forgets the name of the object stored as `stored` (it was deleted).
    pub async fn forget(&self, bucket: &str, stored: &str) {
        if let Some(path) = self.path(bucket, stored) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    /// Every remembered object of `bucket`, as (stored key, key), its stored key being the
    /// digest name under `stored_dir`.
    pub async fn all(&self, bucket: &str, stored_dir: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let Ok(mut entries) = tokio::fs::read_dir(self.dir(bucket)).await else {
            return out;
        };
        while let Ok(Some(entry)) = entries.next_entry().await {
            let Some(digest) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue; // a name being written (`.tmp`)
            }
            if let Ok(key) = tokio::fs::read_to_string(entry.path()).await {
                out.push((format!("{stored_dir}/{digest}"), key));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_long_keys_name_is_kept_until_its_object_goes() {
        let dir = tempfile::tempdir().unwrap();
        let names = LongKeys::new(dir.path());
        let stored = ".ferry-long-keys/ab12";
        let key = format!("uploads/alice/{}", "x".repeat(300));
        assert!(names.all("b", ".ferry-long-keys").await.is_empty());
        names.remember("b", &key, stored).await;
        assert_eq!(
            names.all("b", ".ferry-long-keys").await,
            vec![(stored.to_string(), key)]
        );
        assert!(names.all("other", ".ferry-long-keys").await.is_empty());
        names.forget("b", stored).await;
        assert!(names.all("b", ".ferry-long-keys").await.is_empty());
        // Only digest names are kept.
        names.remember("b", "k", "plain/key.txt").await;
        assert!(names.all("b", ".ferry-long-keys").await.is_empty());
    }
}
