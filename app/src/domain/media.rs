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

/// A content type's `type/subtype`, lower-cased, without parameters. For a value the
/// parser refuses, the text before the first `;`, trimmed and lower-cased (request headers
/// are compared with it; such a value never equals a real type's essence unless it is one).
pub fn media_type(content_type: &str) -> String {
    match content_type.trim().parse::<mime::Mime>() {
        Ok(m) => m.essence_str().to_string(),
        Err(_) => content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase(),
    }
}

/// Whether `content_type` matches one of `patterns` (`type/subtype`, `*` wildcards, e.g.
/// `image/*`). Only the parsed essence counts: parameters are ignored, and a value the
/// parser refuses (a list such as `image/png, text/html`, garbage) matches nothing. An empty
/// value (a browser's unknown `File.type`) counts as `application/octet-stream`. The server
/// and the upload page apply the same rule.
pub fn type_allowed(content_type: &str, patterns: &[String]) -> bool {
    let content_type = content_type.trim();
    let essence = if content_type.is_empty() {
        OCTET_STREAM.to_string()
    } else {
        match parse_one_type(content_type) {
            Ok(m) => m.essence_str().to_string(),
            Err(_) => return false,
        }
    };
    let Some((ty, sub)) = essence.split_once('/') else {
        return false;
    };
    patterns.iter().any(|p| {
        let p = p.trim().to_ascii_lowercase();
        let (pt, ps) = p.split_once('/').unwrap_or(("", ""));
        (pt == "*" || pt == ty) && (ps == "*" || ps == sub)
    })
}

/// Why a declared content type is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid content type: expected exactly one `type/subtype` (no lists, no wildcards, optional `; name=value` parameters) in printable ASCII, at most {MAX_CONTENT_TYPE_BYTES} bytes"
)]
pub struct InvalidContentType;

/// Parses a value that must name exactly one concrete media type.
fn parse_one_type(ct: &str) -> Result<mime::Mime, InvalidContentType> {
    // Visible ASCII and spaces only, bounded: the value is echoed in signed headers and
    // HTTP responses. No comma anywhere, even quoted: many readers split header values on
    // commas, so `a/b; x="c, d/e"` could be read as two types.
    if ct.is_empty()
        || ct.len() > MAX_CONTENT_TYPE_BYTES
        || !ct.bytes().all(|b| (0x20..0x7f).contains(&b))
        || ct.contains(',')
    {
        return Err(InvalidContentType);
    }
    let m: mime::Mime = ct.parse().map_err(|_| InvalidContentType)?;
    let (ty, sub) = (m.type_().as_str(), m.subtype().as_str());
    if ty.is_empty() || sub.is_empty() || ty == "*" || sub == "*" {
        return Err(InvalidContentType);
    }
    if m.params().any(|(_, v)| v.as_str().is_empty()) {
        return Err(InvalidContentType);
    }
    // Each parameter at most once: a repeated one (`charset=a; charset=b`) is ambiguous.
    let mut names: Vec<&str> = m.params().map(|(n, _)| n.as_str()).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    if names.len() != count {
        return Err(InvalidContentType);
    }
    Ok(m)
}

/// A declared content type must be exactly one concrete media type, parsed by a real MIME
/// parser (the `mime` crate): `type/subtype` with optional `; name=value` parameters. Refused:
/// lists (`image/png, text/html`), wildcards (`image/*`), a missing type or subtype, repeated
/// parameters, control characters (a newline could split a header), anything outside
/// printable ASCII, and values over [`MAX_CONTENT_TYPE_BYTES`].
pub fn validate_content_type(ct: &str) -> Result<(), InvalidContentType> {
    parse_one_type(ct).map(|_| ())
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

/// Largest picked image the upload page shows a picture of (decoding is the browser's).
pub const MAX_PREVIEW_BYTES: u64 = 50 * 1024 * 1024;

/// Whether a picked file of `content_type` and `size` gets a picture in the upload queue:
/// raster images a browser draws, not too large.
pub fn previewable(content_type: &str, size: u64) -> bool {
    matches!(
        content_type,
        "image/jpeg" | "image/png" | "image/gif" | "image/webp" | "image/avif"
    ) && size <= MAX_PREVIEW_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_for_raster_images_of_a_sane_size() {
        assert!(previewable("image/png", 10));
        assert!(!previewable("image/svg+xml", 10));
        assert!(!previewable("text/plain", 10));
        assert!(!previewable("image/jpeg", 51 * 1024 * 1024));
    }

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
        for good in [
            "image/png",
            "IMAGE/PNG",
            "text/plain; charset=utf-8",
            "text/plain;charset=UTF-8",
            "image/svg+xml",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "multipart/mixed; boundary=\"simple boundary\"",
        ] {
            assert_eq!(validate_content_type(good), Ok(()), "{good:?}");
        }
        for bad in [
            "",
            " ",
            "png",
            "/png",
            "image/",
            "image/png, text/html",
            "image/png,text/html",
            "image/png; text/html",
            "text/plain; charset=\"a, text/html\"",
            "text/plain; charset=utf-8; charset=latin1",
            "image/*",
            "*/*",
            "*/png",
            "text/plain\r\nX-Evil: 1",
            "text/plain\nX-Evil: 1",
            "text/html\t",
            "image /png",
            "image/png extra",
            "text/plain; charset=",
            "text/plain; charset=\"utf-8",
            "image/pngé",
            "a/b/c",
            &format!("a/{}", "b".repeat(300)),
        ] {
            assert!(validate_content_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn media_type_is_the_parsed_essence() {
        assert_eq!(
            media_type("Application/JSON; charset=utf-8"),
            "application/json"
        );
        assert_eq!(media_type("image/svg+xml"), "image/svg+xml");
        // Unparsable: the part before `;`, which names no real type.
        assert_eq!(media_type("Text/Plain , x"), "text/plain , x");
        assert_eq!(media_type(""), "");
    }

    #[test]
    fn type_patterns_match_essence_only() {
        let patterns = ["image/*".to_string(), "application/pdf".to_string()];
        assert!(type_allowed("image/png", &patterns));
        assert!(type_allowed("IMAGE/JPEG; q=1", &patterns));
        assert!(type_allowed("application/pdf", &patterns));
        assert!(!type_allowed("application/zip", &patterns));
        assert!(!type_allowed("text/plain", &patterns));
        // A list matches nothing, whatever its first member (the bypass).
        assert!(!type_allowed("image/png, text/html", &patterns));
        assert!(!type_allowed("image/png, text/html", &["*/*".to_string()]));
        assert!(!type_allowed("garbage", &["*/*".to_string()]));
        assert!(!type_allowed("image/*", &patterns));
        // Unknown (empty, as a browser reports it): octet-stream.
        assert!(!type_allowed("", &patterns));
        assert!(type_allowed("", &["application/octet-stream".to_string()]));
        assert!(type_allowed("anything/goes", &["*/*".to_string()]));
        assert!(type_allowed(
            "image/svg+xml",
            &["image/svg+xml".to_string()]
        ));
    }
}
