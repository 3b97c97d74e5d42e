//! Share link tokens: 256 random bits from the system's CSPRNG (`aws-lc-rs`), written in the
//! link as unpadded base64url (43 characters). The table keeps only the token's SHA-256, so
//! what is stored cannot open a link, and a link is found by hashing what it presents.

use aws_lc_rs::{digest, rand};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

/// Random bytes in a token.
const TOKEN_BYTES: usize = 32;
/// Characters of a token as written in a link.
const TOKEN_CHARS: usize = 43;
/// Where links are opened: `/s/<token>`.
pub const SHARE_PREFIX: &str = "/s/";

/// A share link's secret.
#[derive(PartialEq, Eq)]
pub struct ShareToken(String);

impl std::fmt::Debug for ShareToken {
    // Never in a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ShareToken(…)")
    }
}

impl ShareToken {
    /// A new token, or an error if the system has no randomness to give.
    pub fn generate() -> Result<ShareToken, String> {
        let mut bytes = [0u8; TOKEN_BYTES];
        rand::fill(&mut bytes).map_err(|_| "the system's random source failed".to_string())?;
        Ok(ShareToken(URL_SAFE_NO_PAD.encode(bytes)))
    }

    /// A token as a link presents it: exactly the 43 characters of 32 bytes in base64url.
    /// Anything else is no token (a 404, like an unknown one).
    pub fn parse(text: &str) -> Option<ShareToken> {
        if text.len() != TOKEN_CHARS {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        // Only the canonical spelling: the last character carries 2 unused bits.
        (bytes.len() == TOKEN_BYTES && URL_SAFE_NO_PAD.encode(&bytes) == text)
            .then(|| ShareToken(text.to_owned()))
    }

    /// What the table stores and looks links up by: the SHA-256 of the token, in hex.
    pub fn hash(&self) -> String {
        digest::digest(&digest::SHA256, self.0.as_bytes())
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The link's path on this server.
    pub fn path(&self) -> String {
        format!("{SHARE_PREFIX}{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_read_back_only_as_written() {
        let a = ShareToken::generate().unwrap();
        let b = ShareToken::generate().unwrap();
        assert_ne!(a, b);
        let text = a.path().strip_prefix(SHARE_PREFIX).unwrap().to_owned();
        assert_eq!(text.len(), TOKEN_CHARS);
        assert_eq!(ShareToken::parse(&text), Some(a));
        for bad in [
            "",
            "short",
            &text[..42],
            &format!("{text}A"),
            // base64 but not url-safe, or padded
            &format!("{}+", &text[..42]),
            &format!("{}=", &text[..42]),
            "../../../../../../../../../../../etc/passwd",
        ] {
            assert_eq!(ShareToken::parse(bad), None, "{bad}");
        }
        // The same bytes spelt with different unused bits are not the token.
        let last = text.chars().last().unwrap();
        let other = if last == 'A' { 'B' } else { 'A' };
        let respelt = format!("{}{other}", &text[..42]);
        if URL_SAFE_NO_PAD.decode(&respelt).ok() == URL_SAFE_NO_PAD.decode(&text).ok() {
            assert_eq!(ShareToken::parse(&respelt), None);
        }
    }

    #[test]
    fn the_stored_hash_is_sha256_and_never_the_token() {
        let t = ShareToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        // printf 'A%.0s' $(seq 43) | sha256sum
        assert_eq!(
            t.hash(),
            "0f007385b6f9d4b7eeb2748605afe1a984a0a3bfa3f014d09e2a784ce9e5cd1a"
        );
        assert_eq!(t.hash(), t.hash());
        assert_ne!(t.hash(), ShareToken::generate().unwrap().hash());
        assert_eq!(format!("{t:?}"), "ShareToken(…)");
    }
}
