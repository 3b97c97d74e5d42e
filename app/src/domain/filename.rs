//! File names (relative paths when a folder was dropped): what Ferry accepts and stores.

use unicode_normalization::UnicodeNormalization;

/// Limits on a file name (a relative path when a folder was dropped).
/// S3 keys are at most 1024 bytes; the upload key `uploads/<owner>/<asset id>/<file name>`
/// leaves this much for the name (860) with the longest owner.
pub const MAX_FILENAME_BYTES: usize =
    1024 - "uploads/".len() - super::owner::Owner::MAX_BYTES - "/".len() - 26 - "/".len();
pub const MAX_SEGMENT_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFilename {
    #[error("the file name is empty")]
    Empty,
    #[error("the file name is longer than {MAX_FILENAME_BYTES} bytes")]
    TooLong,
    #[error("a part of the file name is longer than {MAX_SEGMENT_BYTES} bytes")]
    SegmentTooLong,
    #[error("the file name contains an empty, `.` or `..` path segment")]
    BadSegment,
    #[error("the file name contains a control character or a backslash")]
    BadCharacter,
    /// A character that changes how the name is shown without being seen itself: it could
    /// make `invoice\u{202E}fdp.exe` look like `invoiceexe.pdf`.
    #[error("the file name contains an invisible or right-to-left control character (U+{0:04X})")]
    InvisibleCharacter(u32),
}

/// Whether `c` is refused for changing how a name is shown while being invisible itself:
/// bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), the
/// left-to-right and right-to-left marks (U+200E, U+200F), zero-width space, non-joiner and
/// joiner (U+200B–U+200D), word joiner (U+2060) and the byte-order mark / zero-width no-break
/// space (U+FEFF).
pub fn is_invisible_control(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

/// `s` in Unicode Normalization Form C, the form names are stored in.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

/// Checks a file name or relative path (`photos/2024/a.jpg`) and returns it normalised:
/// surrounding whitespace trimmed, then Unicode NFC (so `é` typed as `e` + U+0301 and as
/// U+00E9 is one name and one key). The limits apply to the normalised name, which is what
/// is stored and put into the object key. Never lets a name climb out of its folder.
pub fn validate_filename(name: &str) -> Result<String, InvalidFilename> {
    let name = nfc(name.trim());
    let name = name.as_str();
    if name.is_empty() {
        return Err(InvalidFilename::Empty);
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(InvalidFilename::TooLong);
    }
    if name.chars().any(|c| c.is_control() || c == '\\') {
        return Err(InvalidFilename::BadCharacter);
    }
    if let Some(c) = name.chars().find(|&c| is_invisible_control(c)) {
        return Err(InvalidFilename::InvisibleCharacter(c as u32));
    }
    for segment in name.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return Err(InvalidFilename::BadSegment);
        }
        if segment.len() > MAX_SEGMENT_BYTES {
            return Err(InvalidFilename::SegmentTooLong);
        }
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_are_checked_and_trimmed() {
        assert_eq!(validate_filename("  report.pdf ").unwrap(), "report.pdf");
        assert_eq!(
            validate_filename("photos/2024/été 1.jpg").unwrap(),
            "photos/2024/été 1.jpg"
        );
        assert_eq!(validate_filename(""), Err(InvalidFilename::Empty));
        assert_eq!(validate_filename("   "), Err(InvalidFilename::Empty));
        for bad in ["../etc/passwd", "a/../b", "./a", "a//b", "/abs", "dir/"] {
            assert_eq!(
                validate_filename(bad),
                Err(InvalidFilename::BadSegment),
                "{bad}"
            );
        }
        assert_eq!(
            validate_filename("a\\b"),
            Err(InvalidFilename::BadCharacter)
        );
        assert_eq!(
            validate_filename("a\nb"),
            Err(InvalidFilename::BadCharacter)
        );
        assert_eq!(
            validate_filename("a\u{0}b"),
            Err(InvalidFilename::BadCharacter)
        );
        assert_eq!(
            validate_filename(&"x".repeat(256)),
            Err(InvalidFilename::SegmentTooLong)
        );
        assert_eq!(
            validate_filename(&"abcd/".repeat(300)),
            Err(InvalidFilename::TooLong)
        );
    }

    #[test]
    fn names_are_stored_in_nfc() {
        // `e` + combining acute accent (3 bytes) becomes U+00E9 (2 bytes).
        assert_eq!(
            validate_filename("e\u{301}te\u{301}.txt").unwrap(),
            "\u{e9}t\u{e9}.txt"
        );
        assert_eq!(
            validate_filename("\u{e9}t\u{e9}.txt").unwrap(),
            "\u{e9}t\u{e9}.txt"
        );
        // Hangul jamo compose into syllables.
        assert_eq!(
            validate_filename("\u{1100}\u{1161}.txt").unwrap(),
            "\u{AC00}.txt"
        );
        // NFC, not NFKC: compatibility characters stay as typed.
        assert_eq!(validate_filename("\u{FB01}le").unwrap(), "\u{FB01}le");
    }

    /// A name of exactly [`MAX_FILENAME_BYTES`] composed bytes, every segment at most
    /// [`MAX_SEGMENT_BYTES`], mostly two-byte `é`.
    pub(crate) fn longest_name() -> String {
        let segment = "\u{e9}".repeat(127); // 254 bytes
        let mut name = [segment.as_str(); 3].join("/");
        name.push('/');
        name.push_str(&"\u{e9}".repeat(47));
        name.push('x');
        assert_eq!(name.len(), MAX_FILENAME_BYTES);
        name
    }

    #[test]
    fn limits_apply_to_the_normalised_name() {
        let longest = longest_name();
        assert_eq!(validate_filename(&longest).unwrap(), longest);
        // Sent decomposed (`e` + U+0301: 3 bytes each) it is far longer, and still the same name.
        let decomposed: String = longest.nfd().collect();
        assert!(decomposed.len() > MAX_FILENAME_BYTES + 300);
        assert_eq!(validate_filename(&decomposed).unwrap(), longest);
        // One byte more is too long, however it is spelled.
        assert_eq!(
            validate_filename(&format!("{longest}y")),
            Err(InvalidFilename::TooLong)
        );
        // A segment of 127 decomposed `é` is 381 bytes sent, 254 stored: accepted.
        let segment: String = "\u{e9}".repeat(127).nfd().collect();
        assert!(validate_filename(&segment).is_ok());
        let segment: String = "\u{e9}".repeat(128).nfd().collect();
        assert_eq!(
            validate_filename(&segment),
            Err(InvalidFilename::SegmentTooLong)
        );
    }

    #[test]
    fn invisible_and_bidirectional_controls_are_refused_by_name() {
        let refused = [
            '\u{200B}', '\u{200C}', '\u{200D}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}',
            '\u{202C}', '\u{202D}', '\u{202E}', '\u{2060}', '\u{2066}', '\u{2067}', '\u{2068}',
            '\u{2069}', '\u{FEFF}',
        ];
        for c in refused {
            let name = format!("invoice{c}fdp.exe");
            assert_eq!(
                validate_filename(&name),
                Err(InvalidFilename::InvisibleCharacter(c as u32)),
                "U+{:04X}",
                c as u32
            );
        }
        assert_eq!(
            validate_filename("invoice\u{202E}fdp.exe")
                .unwrap_err()
                .to_string(),
            "the file name contains an invisible or right-to-left control character (U+202E)"
        );
        // Their neighbours, and right-to-left text itself, are ordinary names.
        for ok in [
            "\u{200A}a",
            "a\u{2010}b",
            "\u{5E9}\u{5DC}\u{5D5}\u{5DD}.txt",
            "\u{627}\u{644}.pdf",
        ] {
            assert!(validate_filename(ok).is_ok(), "{ok:?}");
        }
    }
}
