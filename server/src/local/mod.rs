//! The embedded backends of `ferry serve`: DynamoDB and S3 APIs on loopback ports, reached
//! through the same AWS SDK clients as in the cloud. Left out of the Lambda build.

pub mod dynamo;
pub mod s3;

/// Credentials the embedded endpoints accept (S3 verifies signatures with them).
#[derive(Clone)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
}

impl Credentials {
    /// The credentials kept in `<data_dir>/credentials.json` (mode 0600), created on first
    /// start: stable across restarts, so presigned URLs and tools like `aws s3 cp` keep working.
    pub fn load_or_create(data_dir: &std::path::Path) -> std::io::Result<Credentials> {
        let path = data_dir.join("credentials.json");
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
                    std::io::Error::other(format!("{} is not valid JSON: {e}", path.display()))
                })?;
                let field = |name: &str| {
                    v.get(name)
                        .and_then(|x| x.as_str())
                        .filter(|x| !x.is_empty())
                        .map(str::to_string)
                        .ok_or_else(|| {
                            std::io::Error::other(format!("{} has no `{name}`", path.display()))
                        })
                };
                Ok(Credentials {
                    access_key: field("access_key")?,
                    secret_key: field("secret_key")?,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let creds = Credentials::random();
                let json = serde_json::json!({
                    "access_key": creds.access_key,
                    "secret_key": creds.secret_key,
                });
                std::fs::create_dir_all(data_dir)?;
                let tmp = data_dir.join("credentials.json.tmp");
                {
                    use std::io::Write;
                    let mut options = std::fs::OpenOptions::new();
                    options.write(true).create(true).truncate(true);
                    #[cfg(unix)]
                    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                    let mut f = options.open(&tmp)?;
                    f.write_all(json.to_string().as_bytes())?;
                    f.sync_all()?;
                }
                std::fs::rename(&tmp, &path)?;
                Ok(creds)
            }
            Err(e) => Err(e),
        }
    }

    /// Fresh random credentials for one run: nobody else on the machine can sign URLs.
    pub fn random() -> Credentials {
        Credentials {
            access_key: format!(
                "FERRY{}",
                ulid::Ulid::generate()
                    .to_string()
                    .get(..12)
                    .unwrap_or("LOCAL")
            ),
            secret_key: format!("{}{}", ulid::Ulid::generate(), ulid::Ulid::generate()),
        }
    }
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .field("secret_key", &"<redacted>")
            .finish()
    }
}
