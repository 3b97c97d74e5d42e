//! Thumbnails of uploaded images (JPEG, PNG, WebP, GIF's first frame), made once, after the
//! S3 event that recorded the object and never on the upload's path: the `s3-events`
//! function on AWS, a background task in `ferry serve`.
//!
//! - [`render`] is the pure core: bytes in, a thumbnail of at most [`EDGE`] pixels a side out,
//!   decoded by the `image` crate under limits ([`decoding_limits`]) that make an image
//!   claiming huge dimensions (a decompression bomb) fail before anything large is
//!   allocated. Opaque images become JPEG, images with transparency PNG.
//! - [`Thumbnailer`] does one asset: reads the object (at most [`MAX_SOURCE_BYTES`]), renders
//!   it off the async threads, stores it as `thumbnails/<asset id>.<jpg|png>` in the same
//!   bucket, and records it on the asset only if the asset still holds the object it was
//!   made from (same ETag). Doing it twice is harmless: the same key is written again.
//!
//! Objects under [`PREFIX`] are Ferry's own: S3 events and reconciliation pass them by.
//!
//! This is the one place where the server reads and writes object bodies itself (the
//! request handlers only presign): it runs after events, never while a request waits, and
//! reads at most [`MAX_SOURCE_BYTES`].

use crate::{objects::ObjectStore, storage::AssetStore};
use app::domain::{Asset, AssetId};
use image::{DynamicImage, ImageFormat, ImageReader, Limits};
use std::{io::Cursor, sync::Arc};

/// Where thumbnails are stored in the bucket.
pub const PREFIX: &str = "thumbnails/";
/// Longest side of a thumbnail, in pixels (cards show them at 160 CSS pixels).
pub const EDGE: u32 = 320;
/// Largest object read to make one (bigger images get none).
pub const MAX_SOURCE_BYTES: u64 = 40 * 1024 * 1024;
/// Largest width or height decoded.
pub const MAX_DIMENSION: u32 = 12_000;
/// Most memory one decode may allocate.
pub const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;

/// Whether `key` is one of Ferry's thumbnails (not an upload, not anyone's asset).
pub fn is_thumbnail_key(key: &str) -> bool {
    key.starts_with(PREFIX)
}

/// The image types thumbnails are made of (by the type the asset recorded).
pub fn can_thumbnail(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    matches!(
        essence.as_str(),
        "image/jpeg" | "image/png" | "image/webp" | "image/gif"
    )
}

/// A rendered thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbnail {
    pub bytes: Vec<u8>,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

impl Thumbnail {
    fn extension(&self) -> &'static str {
        if self.content_type == "image/png" {
            "png"
        } else {
            "jpg"
        }
    }
}

/// Why no thumbnail was made.
#[derive(Debug, thiserror::Error)]
pub enum ThumbnailError {
    #[error("not an image this server decodes (JPEG, PNG, WebP or GIF)")]
    UnknownFormat,
    #[error("the image cannot be decoded: {0}")]
    Corrupt(String),
    #[error("the image is larger than this server decodes: {0}")]
    TooLarge(String),
    #[error("the thumbnail cannot be encoded: {0}")]
    Encode(String),
}

/// The limits every decode runs under.
pub fn decoding_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DIMENSION);
    limits.max_image_height = Some(MAX_DIMENSION);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    limits
}

/// A thumbnail of the image in `bytes` (its format read from its content, not trusted from
/// a name or a declared type).
pub fn render(bytes: &[u8]) -> Result<Thumbnail, ThumbnailError> {
    let mut reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| ThumbnailError::Corrupt(e.to_string()))?;
    match reader.format() {
        Some(ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP | ImageFormat::Gif) => {}
        _ => return Err(ThumbnailError::UnknownFormat),
    }
    reader.limits(decoding_limits());
    let image = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(l) => ThumbnailError::TooLarge(l.to_string()),
        image::ImageError::Unsupported(u) => ThumbnailError::Corrupt(u.to_string()),
        other => ThumbnailError::Corrupt(other.to_string()),
    })?;
    // Only ever smaller: an image that fits already is kept at its size.
    let small = if image.width() <= EDGE && image.height() <= EDGE {
        image
    } else {
        image.thumbnail(EDGE, EDGE)
    };
    let (width, height) = (small.width(), small.height());
    let mut out = Vec::new();
    let content_type = if small.color().has_alpha() {
        DynamicImage::ImageRgba8(small.to_rgba8())
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .map_err(|e| ThumbnailError::Encode(e.to_string()))?;
        "image/png"
    } else {
        let rgb = DynamicImage::ImageRgb8(small.to_rgb8());
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
            .encode_image(&rgb)
            .map_err(|e| ThumbnailError::Encode(e.to_string()))?;
        "image/jpeg"
    };
    Ok(Thumbnail {
        bytes: out,
        content_type,
        width,
        height,
    })
}

/// What became of one asset's thumbnail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Made {
    /// Stored and recorded under this key.
    Stored(String),
    /// Nothing to do: not an image Ferry thumbnails, too big, gone, or already done.
    Skipped(&'static str),
    /// The object is no image that decodes (logged; the asset is left as it is).
    Undecodable(String),
}

/// Makes thumbnails for assets whose objects just arrived.
pub struct Thumbnailer {
    store: Arc<AssetStore>,
    objects: Arc<ObjectStore>,
}

impl Thumbnailer {
    pub fn new(store: Arc<AssetStore>, objects: Arc<ObjectStore>) -> Thumbnailer {
        Thumbnailer { store, objects }
    }

    /// The thumbnail of asset `id`, if it should have one. A failure to read or write
    /// (S3 or the table unavailable) is an error: the caller logs it; the next event or
    /// `ferry reconcile` does not retry it (a thumbnail is a convenience).
    pub async fn make(&self, id: AssetId) -> Result<Made, String> {
        let asset = match self.store.get(id).await {
            Ok(a) => a,
            Err(crate::storage::TableError::NotFound) => return Ok(Made::Skipped("no asset")),
            Err(e) => return Err(e.to_string()),
        };
        let Some(why_not) = wanted(&asset) else {
            return self.make_for(&asset).await;
        };
        Ok(Made::Skipped(why_not))
    }

    async fn make_for(&self, asset: &Asset) -> Result<Made, String> {
        let Some(bytes) = self.read(&asset.bucket, &asset.object_key).await? else {
            return Ok(Made::Skipped("the object is gone or too large"));
        };
        let rendered = tokio::task::spawn_blocking(move || render(&bytes))
            .await
            .map_err(|e| e.to_string())?;
        let thumb = match rendered {
            Ok(t) => t,
            Err(e) => return Ok(Made::Undecodable(e.to_string())),
        };
        let key = format!("{PREFIX}{}.{}", asset.id, thumb.extension());
        self.objects
            .client()
            .put_object()
            .bucket(&asset.bucket)
            .key(&key)
            .content_type(thumb.content_type)
            .cache_control("public, max-age=86400")
            .body(aws_sdk_s3::primitives::ByteStream::from(thumb.bytes))
            .send()
            .await
            .map_err(|e| crate::aws::error_chain(&e))?;
        let etag = asset.etag.clone().unwrap_or_default();
        let recorded = self
            .store
            .record_thumbnail(asset.id, &etag, &key)
            .await
            .map_err(|e| e.to_string())?;
        Ok(if recorded {
            Made::Stored(key)
        } else {
            Made::Skipped("the asset changed while its thumbnail was made")
        })
    }

    /// The object's bytes, if it is there and at most [`MAX_SOURCE_BYTES`] long.
    async fn read(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>, String> {
        let out = match self
            .objects
            .client()
            .get_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await
        {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|se| se.is_no_such_key()) => {
                return Ok(None)
            }
            Err(e) => return Err(crate::aws::error_chain(&e)),
        };
        if out
            .content_length()
            .is_none_or(|n| n < 0 || n as u64 > MAX_SOURCE_BYTES)
        {
            return Ok(None);
        }
        let body = out
            .body
            .collect()
            .await
            .map_err(|e| crate::aws::error_chain(&e))?
            .into_bytes();
        Ok((body.len() as u64 <= MAX_SOURCE_BYTES).then(|| body.to_vec()))
    }

    /// Deletes the thumbnails of assets whose objects are gone (either extension; deleting
    /// what is not there is fine), logging failures.
    pub async fn forget(&self, bucket: &str, ids: Vec<AssetId>) {
        for id in ids {
            for ext in ["jpg", "png"] {
                let key = format!("{PREFIX}{id}.{ext}");
                if let Err(e) = self.objects.delete(bucket, &key, None).await {
                    tracing::error!(%id, %key, error = %e, "cannot delete a thumbnail");
                }
            }
        }
    }

    /// What a handled notification asks of thumbnails: made for the assets whose objects
    /// arrived, deleted with the ones removed.
    pub async fn follow(&self, bucket: &str, arrived: Vec<AssetId>, removed: Vec<AssetId>) {
        self.make_all(arrived).await;
        self.forget(bucket, removed).await;
    }

    /// Makes the thumbnails of `ids` one after another, logging what happened to each.
    pub async fn make_all(&self, ids: Vec<AssetId>) {
        for id in ids {
            match self.make(id).await {
                Ok(Made::Stored(key)) => tracing::info!(%id, %key, "thumbnail made"),
                Ok(Made::Skipped(why)) => tracing::debug!(%id, why, "no thumbnail"),
                Ok(Made::Undecodable(why)) => {
                    tracing::warn!(%id, %why, "no thumbnail: the image does not decode")
                }
                Err(e) => tracing::error!(%id, error = %e, "thumbnail failed"),
            }
        }
    }
}

/// Why `asset` gets no thumbnail (`None`: it should have one).
fn wanted(asset: &Asset) -> Option<&'static str> {
    if !asset.status.is_downloadable() {
        Some("the asset has no object to show")
    } else if !can_thumbnail(&asset.content_type) {
        Some("not an image type Ferry thumbnails")
    } else if asset.size.is_some_and(|s| s > MAX_SOURCE_BYTES) {
        Some("the image is too large to read")
    } else if asset.thumbnail_key.is_some() {
        Some("it already has one")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageBuffer, Rgb, Rgba};

    fn encoded(image: DynamicImage, format: ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    fn photo(w: u32, h: u32) -> DynamicImage {
        DynamicImage::ImageRgb8(ImageBuffer::from_fn(w, h, |x, y| {
            Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }))
    }

    #[test]
    fn every_format_becomes_a_small_thumbnail_of_the_same_shape() {
        let logo = DynamicImage::ImageRgba8(ImageBuffer::from_fn(400, 200, |x, _| {
            Rgba([0, 0, 255, if x < 200 { 0 } else { 255 }])
        }));
        for (name, bytes, content_type, size) in [
            (
                "jpeg",
                encoded(photo(1000, 500), ImageFormat::Jpeg),
                "image/jpeg",
                (320, 160),
            ),
            (
                "png",
                encoded(photo(640, 960), ImageFormat::Png),
                "image/jpeg",
                (213, 320),
            ),
            (
                "png with alpha",
                encoded(logo.clone(), ImageFormat::Png),
                "image/png",
                (320, 160),
            ),
            (
                "webp",
                encoded(logo, ImageFormat::WebP),
                "image/png",
                (320, 160),
            ),
            (
                "gif",
                encoded(photo(100, 50), ImageFormat::Gif),
                "image/png",
                (100, 50),
            ),
        ] {
            let t = render(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(t.content_type, content_type, "{name}");
            assert_eq!((t.width, t.height), size, "{name}");
            // What was written reads back as that image.
            let back = image::load_from_memory(&t.bytes).unwrap();
            assert_eq!((back.width(), back.height()), size, "{name}");
        }
    }

    #[test]
    fn what_is_no_image_or_a_broken_one_fails_cleanly() {
        assert!(matches!(
            render(b"just text"),
            Err(ThumbnailError::UnknownFormat)
        ));
        assert!(matches!(render(b""), Err(ThumbnailError::UnknownFormat)));
        let mut png = encoded(photo(64, 64), ImageFormat::Png);
        png.truncate(png.len() / 2);
        assert!(
            matches!(render(&png), Err(ThumbnailError::Corrupt(_))),
            "truncated"
        );
        let mut jpeg = encoded(photo(64, 64), ImageFormat::Jpeg);
        for b in jpeg.iter_mut().skip(200).take(400) {
            *b = 0xFF;
        }
        assert!(render(&jpeg).is_err(), "garbled");
        // A format the decoders exist for but Ferry does not thumbnail.
        let bmp = b"BM\x3e\0\0\0\0\0\0\0\x3e\0\0\0";
        assert!(matches!(render(bmp), Err(ThumbnailError::UnknownFormat)));
    }

    /// A PNG whose header claims 100,000 × 100,000 pixels (40 GB decoded) with almost no
    /// data: the limits refuse it from the header, before anything is allocated.
    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        let mut png = encoded(photo(1, 1), ImageFormat::Png);
        // IHDR's width and height (bytes 16..24), and its CRC recomputed.
        png[16..20].copy_from_slice(&100_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&100_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        match render(&png) {
            Err(ThumbnailError::TooLarge(_)) => {}
            other => panic!("expected TooLarge, got {other:?}"),
        }
        // Within the dimensions, yet more than the memory limit: refused too.
        let mut png = encoded(photo(1, 1), ImageFormat::Png);
        png[16..20].copy_from_slice(&11_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&11_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        assert!(
            matches!(
                render(&png),
                Err(ThumbnailError::TooLarge(_) | ThumbnailError::Corrupt(_))
            ),
            "11,000² RGB is 363 MB"
        );
    }

    fn crc32(data: &[u8]) -> u32 {
        let mut crc = !0u32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 != 0 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    #[test]
    fn only_the_four_image_types_are_thumbnailed() {
        for t in ["image/jpeg", "IMAGE/PNG", "image/webp; q=1", "image/gif"] {
            assert!(can_thumbnail(t), "{t}");
        }
        for t in ["image/svg+xml", "image/bmp", "text/plain", "", "image/"] {
            assert!(!can_thumbnail(t), "{t}");
        }
        assert!(is_thumbnail_key(
            "thumbnails/01JDQ7ZK3M5X9V2B8N4C6T1R0W.jpg"
        ));
        assert!(!is_thumbnail_key("uploads/thumbnails/x"));
    }
}
