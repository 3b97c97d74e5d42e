//! The server's secret and the keys derived from it, one per use so that no key serves two
//! purposes: the session cookies' key (AES-256-GCM, by the `cookie` crate) and the page
//! cursors' signing key (HMAC-SHA256 under HKDF-SHA256, by `aws-lc-rs`).
//!
//! The secret is `FERRY_COOKIE_KEY`; without it, `ferry serve` generates one into
//! `<data dir>/cookie.key` (mode 0600) and keeps it for its next start. The web function in
//! Lambda is always given one (the template's generated `CookieKey`), because its cursors must
//! verify on every instance.

use aws_lc_rs::{hkdf, hmac};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use std::path::Path;

/// Where `ferry serve` keeps the secret it generated.
const KEY_FILE: &str = "cookie.key";
/// What the cursor key is derived for: a new label is a new key.
const CURSOR_KEY_LABEL: &[u8] = b"ferry page cursors v1";

/// The server's secret (never printed).
pub struct ServerKey {
    secret: Vec<u8>,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerKey(..)")
    }
}

impl ServerKey {
    /// The configured secret, or the one kept in `dir` (generated there on first use).
    /// Without either (in Lambda) it is an error: every instance must share the key.
    pub fn load(configured: Option<&str>, dir: Option<&Path>) -> Result<ServerKey, String> {
        if let Some(secret) = configured {
            return Ok(ServerKey::from_secret(secret.as_bytes()));
        }
        let Some(dir) = dir else {
            return Err(
                "FERRY_COOKIE_KEY is missing: a secret of at least 32 bytes, shared by every \
                 instance (it signs page cursors and sign-in cookies)"
                    .into(),
            );
        };
        let path = dir.join(KEY_FILE);
        let secret = match std::fs::read_to_string(&path) {
            Ok(s) if s.trim().len() >= 32 => s.trim().to_owned(),
            Ok(_) => return Err(format!("{} is shorter than 32 bytes", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secret: String = cookie::Key::generate()
                    .master()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                write_private(&path, &secret)?;
                secret
            }
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        };
        Ok(ServerKey::from_secret(secret.as_bytes()))
    }

    /// A key of this process alone, for one that hands out neither cursors nor cookies
    /// (the `s3-events` function, which is not given the secret).
    pub fn ephemeral() -> ServerKey {
        ServerKey::from_secret(cookie::Key::generate().master())
    }

    pub fn from_secret(secret: &[u8]) -> ServerKey {
        ServerKey {
            secret: secret.to_vec(),
        }
    }

    /// The session cookies' key.
    pub fn cookies(&self) -> cookie::Key {
        cookie::Key::derive_from(&self.secret)
    }

    /// The page cursors' signing key.
    pub fn cursors(&self) -> CursorKey {
        let salt = hkdf::Salt::new(hkdf::HKDF_SHA256, b"ferry");
        let key: hmac::Key = salt
            .extract(&self.secret)
            .expand(&[CURSOR_KEY_LABEL], hmac::HMAC_SHA256)
            .expect("an HMAC key's length is a valid HKDF output length")
            .into();
        CursorKey(key)
    }
}

/// Seals page cursors: `<payload>.<tag>`, both base64url, the tag an HMAC-SHA256 of the
/// payload. A cursor the server did not make, or one changed by a single bit, does not open.
#[derive(Clone)]
pub struct CursorKey(hmac::Key);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    pub fn seal(&self, payload: &[u8]) -> String {
        let tag = hmac::sign(&self.0, payload);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        )
    }

    /// The payload of a cursor this key sealed; `None` for anything else.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        let (payload, tag) = sealed.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        // Constant-time comparison.
        hmac::verify(&self.0, &payload, &tag).ok()?;
        Some(payload)
    }
}

fn write_private(path: &Path, contents: &str) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let a = ServerKey::load(None, Some(dir.path())).unwrap();
        let b = ServerKey::load(None, Some(dir.path())).unwrap();
        assert_eq!(a.cookies().master(), b.cookies().master());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(ServerKey::load(None, None).is_err());
        assert_ne!(
            ServerKey::load(Some(&"s".repeat(32)), None)
                .unwrap()
                .cookies()
                .master(),
            a.cookies().master()
        );
    }

    #[test]
    fn cursors_open_only_unchanged_under_their_own_key() {
        let key = ServerKey::from_secret(&[7; 32]).cursors();
        let sealed = key.seal(br#"{"id":"x"}"#);
        assert_eq!(key.open(&sealed).as_deref(), Some(&br#"{"id":"x"}"#[..]));
        // Another secret's cursor key refuses it.
        assert_eq!(
            ServerKey::from_secret(&[8; 32]).cursors().open(&sealed),
            None
        );
        // So does every single-character change, and anything that is not sealed.
        for i in 0..sealed.len() {
            let mut changed = sealed.clone().into_bytes();
            changed[i] = if changed[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(changed).unwrap();
            if changed != sealed {
                assert_eq!(key.open(&changed), None, "{changed}");
            }
        }
        let unsigned = URL_SAFE_NO_PAD.encode(br#"{"id":"x"}"#);
        for bad in ["", ".", &unsigned, &format!("{unsigned}."), "a.b.c"] {
            assert_eq!(key.open(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_cursor_key_is_not_the_cookie_key() {
        let key = ServerKey::from_secret(&[7; 32]);
        let cookie = key.cookies();
        let with_cookie_key = hmac::Key::new(hmac::HMAC_SHA256, cookie.signing());
        let payload = b"p";
        assert_ne!(
            hmac::sign(&with_cookie_key, payload).as_ref(),
            URL_SAFE_NO_PAD
                .decode(key.cursors().seal(payload).split_once('.').unwrap().1)
                .unwrap()
        );
    }
}
