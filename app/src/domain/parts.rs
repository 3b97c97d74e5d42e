//! How a file is cut into the parts of a multipart upload: the one rule the upload page and
//! the server share (the server signs exactly these parts, and completes only when S3 holds
//! exactly them).

use std::ops::Range;

/// How a file of `size` bytes is cut into parts of `part_size` bytes (the last one may be
/// shorter). Parts are numbered from 1, as S3 numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    size: u64,
    part_size: u64,
}

impl PartPlan {
    pub fn new(size: u64, part_size: u64) -> PartPlan {
        PartPlan {
            size,
            part_size: part_size.max(1),
        }
    }

    /// How many parts; an empty file is one empty part.
    pub fn parts(&self) -> u32 {
        self.size.div_ceil(self.part_size).max(1) as u32
    }

    /// The bytes of part `n`.
    pub fn range(&self, n: u32) -> Range<u64> {
        let start = (u64::from(n.max(1)) - 1) * self.part_size;
        start.min(self.size)..(start + self.part_size).min(self.size)
    }

    /// The length part `n` must have.
    pub fn len(&self, n: u32) -> u64 {
        let r = self.range(n);
        r.end - r.start
    }

    /// Whether S3 may hold part `n` of `size` bytes under this plan.
    pub fn fits(&self, n: u32, size: u64) -> bool {
        (1..=self.parts()).contains(&n) && size == self.len(n)
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn part_size(&self) -> u64 {
        self.part_size
    }
}

/// A multipart upload as the server recorded it when it started: S3's upload id and the
/// plan its parts must follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    pub upload_id: String,
    pub plan: PartPlan,
    /// Whether every part must carry its SHA-256 (the upload was started with checksums).
    pub part_checksums: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_fits_only_its_own_parts() {
        let plan = PartPlan::new(20, 8);
        assert_eq!(plan.parts(), 3);
        assert!(plan.fits(1, 8) && plan.fits(2, 8) && plan.fits(3, 4));
        assert!(!plan.fits(0, 8) && !plan.fits(4, 4) && !plan.fits(3, 8) && !plan.fits(1, 7));
    }
}
