//! Media types and file kinds: the one place Ferry knows what a content type or a file
//! extension means. The server checks declared types and guesses the type of objects nobody
//! declared; the pages pick icons and previews; the upload page applies the same type rule
//! as the server before sending anything.

/// Longest content type accepted (it is echoed in signed headers and HTTP responses).
pub const MAX_CONTENT_TYPE_BYTES: usize = 255;

/// The type given to bytes whose type nobody knows.
pub const OCTET_STREAM: &str = "application/octet-stream";

/// File extensions (lower case) and the media type each stands for.
const BY_EXTENSION: &[(&str, &str)] = &[
    ("txt", "text/plain"),
    ("log", "text/plain"),
    ("md", "text/plain"),
    ("rs", "text/plain"),
    ("py", "text/plain"),
    ("sh", "text/plain"),
    ("csv", "text/csv"),
    ("html", "text/html"),
    ("htm", "text/html"),
    ("css", "text/css"),
    ("js", "text/javascript"),
    ("json", "application/json"),
    ("xml", "application/xml"),
    ("yaml", "application/yaml"),
    ("yml", "application/yaml"),
    ("toml", "application/toml"),
    ("pdf", "application/pdf"),
    ("png", "image/png"),
    ("jpg", "image/jpeg"),
    ("jpeg", "image/jpeg"),
    ("gif", "image/gif"),
    ("webp", "image/webp"),
    ("avif", "image/avif"),
    ("svg", "image/svg+xml"),
    ("mp4", "video/mp4"),
    ("webm", "video/webm"),
    ("mov", "video/quicktime"),
    ("mkv", "video/x-matroska"),
    ("mp3", "audio/mpeg"),
    ("wav", "audio/wav"),
    ("ogg", "audio/ogg"),
    ("flac", "audio/flac"),
    ("m4a", "audio/mp4"),
    ("zip", "application/zip"),
    ("gz", "application/gzip"),
    ("tgz", "application/gzip"),
    ("tar", "application/x-tar"),
    ("7z", "application/x-7z-compressed"),
    ("bz2", "application/x-bzip2"),
    ("xz", "application/x-xz"),
    ("zst", "application/zstd"),
    ("rar", "application/vnd.rar"),
];

/// A content type's `type/subtype`, lower-cased, without parameters.
pub fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Whether `content_type` matches one of `patterns` (`type/subtype`, `*` wildcards, e.g.
/// `image/*`). Parameters are ignored; a value without a subtype counts as
/// `application/octet-stream`. The server and the upload page apply the same rule.
pub fn type_allowed(content_type: &str, patterns: &[String]) -> bool {
    let essence = media_type(content_type);
    let (ty, sub) = essence
        .split_once('/')
        .unwrap_or(("application", "octet-stream"));
    patterns.iter().any(|p| {
        let (pt, ps) = p.split_once('/').unwrap_or(("", ""));
        (pt == "*" || pt == ty) && (ps == "*" || ps == sub)
    })
}

/// Why a declared content type is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid content type: expected `type/subtype` in printable ASCII, at most {MAX_CONTENT_TYPE_BYTES} bytes"
)]
pub struct InvalidContentType;

/// Content types are echoed in signed headers and HTTP responses: keep them to the RFC's
/// visible ASCII, with a sane length.
pub fn validate_content_type(ct: &str) -> Result<(), InvalidContentType> {
    let ok = !ct.is_empty()
        && ct.len() <= MAX_CONTENT_TYPE_BYTES
        && ct.contains('/')
        && ct.bytes().all(|b| (0x20..0x7f).contains(&b));
    if ok {
        Ok(())
    } else {
        Err(InvalidContentType)
    }
}

/// The media type a file name's extension stands for, if Ferry knows it.
pub fn type_of_extension(filename: &str) -> Option<&'static str> {
    let (_, ext) = filename.rsplit_once('.')?;
    let ext = ext.to_ascii_lowercase();
    BY_EXTENSION
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, ty)| *ty)
}

/// A best guess for objects that arrive without Ferry knowing their type.
pub fn guess_content_type(filename: &str) -> &'static str {
    type_of_extension(filename).unwrap_or(OCTET_STREAM)
}

/// What kind of file an asset is, for its icon and its preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Image,
    Video,
    Audio,
    Text,
    Pdf,
    Archive,
    Other,
}

impl FileKind {
    /// From the content type, falling back to the file name's extension when the type says
    /// nothing Ferry recognises (`application/octet-stream`, say).
    pub fn of(content_type: &str, filename: &str) -> FileKind {
        FileKind::of_type(content_type)
            .or_else(|| type_of_extension(filename).and_then(FileKind::of_type))
            .unwrap_or(FileKind::Other)
    }

    /// The kind a media type names, if it names one.
    fn of_type(content_type: &str) -> Option<FileKind> {
        let essence = media_type(content_type);
        let (ty, sub) = essence.split_once('/')?;
        Some(match (ty, sub) {
            ("image", _) => FileKind::Image,
            ("video", _) => FileKind::Video,
            ("audio", _) => FileKind::Audio,
            ("text", _) => FileKind::Text,
            ("application", "pdf") => FileKind::Pdf,
            ("application", s)
                if matches!(
                    s,
                    "json" | "xml" | "javascript" | "x-yaml" | "yaml" | "toml"
                ) || s.ends_with("+json")
                    || s.ends_with("+xml") =>
            {
                FileKind::Text
            }
            (
                "application",
                "zip" | "gzip" | "x-gzip" | "x-tar" | "x-7z-compressed" | "x-bzip2" | "x-xz"
                | "zstd" | "vnd.rar",
            ) => FileKind::Archive,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            FileKind::Image => "Image",
            FileKind::Video => "Video",
            FileKind::Audio => "Audio",
            FileKind::Text => "Text",
            FileKind::Pdf => "PDF",
            FileKind::Archive => "Archive",
            FileKind::Other => "File",
        }
    }

    /// The CSS class suffix of its icon.
    pub fn slug(self) -> &'static str {
        match self {
            FileKind::Image => "image",
            FileKind::Video => "video",
            FileKind::Audio => "audio",
            FileKind::Text => "text",
            FileKind::Pdf => "pdf",
            FileKind::Archive => "archive",
            FileKind::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_kinds() {
        assert_eq!(FileKind::of("image/png", "a.bin"), FileKind::Image);
        assert_eq!(
            FileKind::of("text/plain; charset=utf-8", "a"),
            FileKind::Text
        );
        assert_eq!(FileKind::of("application/json", "a"), FileKind::Text);
        assert_eq!(FileKind::of("application/ld+json", "a"), FileKind::Text);
        assert_eq!(FileKind::of("application/pdf", "a"), FileKind::Pdf);
        assert_eq!(FileKind::of("application/zip", "a"), FileKind::Archive);
        assert_eq!(FileKind::of("video/mp4", "a"), FileKind::Video);
        // An unhelpful type falls back to the extension.
        assert_eq!(FileKind::of(OCTET_STREAM, "x.JPG"), FileKind::Image);
        assert_eq!(FileKind::of(OCTET_STREAM, "notes.md"), FileKind::Text);
        assert_eq!(FileKind::of(OCTET_STREAM, "x"), FileKind::Other);
        assert_eq!(FileKind::of("", "backup.tar.gz"), FileKind::Archive);
    }

    #[test]
    fn every_known_extension_has_a_kind() {
        // The one table serves both the type guess and the icon: each entry must mean a kind.
        for (ext, ty) in BY_EXTENSION {
            let kind = FileKind::of(OCTET_STREAM, &format!("file.{ext}"));
            assert_ne!(kind, FileKind::Other, "{ext} ({ty})");
            assert_eq!(
                guess_content_type(&format!("a.{}", ext.to_uppercase())),
                *ty
            );
        }
        assert_eq!(guess_content_type("README"), OCTET_STREAM);
        assert_eq!(guess_content_type("photo.heic"), OCTET_STREAM);
    }

    #[test]
    fn content_types_are_checked() {
        assert!(validate_content_type("image/png").is_ok());
        assert!(validate_content_type("text/plain; charset=utf-8").is_ok());
        for bad in [
            "",
            "png",
            "text/plain\r\nX-Evil: 1",
            &format!("a/{}", "b".repeat(300)),
        ] {
            assert!(validate_content_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn type_patterns_match_essence_only() {
        let patterns = ["image/*".to_string(), "application/pdf".to_string()];
        assert!(type_allowed("image/png", &patterns));
        assert!(type_allowed("IMAGE/JPEG; q=1", &patterns));
        assert!(type_allowed("application/pdf", &patterns));
        assert!(!type_allowed("application/zip", &patterns));
        assert!(!type_allowed("text/plain", &patterns));
        // No subtype: octet-stream, which these patterns do not allow.
        assert!(!type_allowed("garbage", &patterns));
        assert!(type_allowed("anything/goes", &["*/*".to_string()]));
    }
}
