//! File names (relative paths when a folder was dropped): what Ferry accepts and stores.

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
}

/// Checks a file name or relative path (`photos/2024/a.jpg`) and returns it normalised
/// (surrounding whitespace trimmed). Never lets a name climb out of its folder.
pub fn validate_filename(name: &str) -> Result<String, InvalidFilename> {
    let name = name.trim();
    if name.is_empty() {
        return Err(InvalidFilename::Empty);
    }
    if name.len() > MAX_FILENAME_BYTES {
        return Err(InvalidFilename::TooLong);
    }
    if name.chars().any(|c| c.is_control() || c == '\\') {
        return Err(InvalidFilename::BadCharacter);
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
}
