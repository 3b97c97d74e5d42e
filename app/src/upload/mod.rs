//! `/`: drop files or folders, paste, or pick them; each goes straight to S3 through its own
//! presigned URL with real progress, then follows its asset to UPLOADED.
//!
//! - `page`: the view (drop zone, pickers, summary, rows);
//! - `controller`: the [`Uploader`], which drives the queue and sends each file;
//! - `multipart`: large files in parts, resumable;
//! - [`queue`] and [`parts`]: the rules and the arithmetic, free of browser APIs and tested
//!   natively.

mod controller;
mod multipart;
mod page;
pub mod parts;
pub mod queue;

pub use controller::{Uploader, PARALLEL};
pub use page::UploadPage;
