//! A multipart upload's arithmetic, kept free of browser APIs so it is tested natively: how a
//! file is cut into parts, which parts stored before (ListParts) can be kept, which are still
//! to send, and how many bytes are sent across the parts in flight.

use crate::api::UploadedPart;
use std::{
    collections::{BTreeMap, VecDeque},
    ops::Range,
};

pub use crate::domain::PartPlan;

/// The stored parts that can be kept: numbered within the plan and of the size it gives
/// them (a part of another size was cut differently and is sent again).
pub fn reusable(
    plan: &PartPlan,
    stored: impl IntoIterator<Item = UploadedPart>,
) -> BTreeMap<u32, UploadedPart> {
    stored
        .into_iter()
        .filter(|p| plan.fits(p.part_number, p.size))
        .map(|p| (p.part_number, p))
        .collect()
}

/// Where one multipart upload is: the parts still to send, the bytes sent of each part (in
/// flight or stored), and the parts S3 has stored with their ETags.
#[derive(Debug, Clone, PartialEq)]
pub struct PartProgress {
    plan: PartPlan,
    to_send: VecDeque<u32>,
    sent: BTreeMap<u32, u64>,
    stored: BTreeMap<u32, UploadedPart>,
}

impl PartProgress {
    /// Starts (or resumes) with the parts S3 already has: the reusable ones count as sent.
    pub fn resume(plan: PartPlan, stored: impl IntoIterator<Item = UploadedPart>) -> Self {
        let stored = reusable(&plan, stored);
        PartProgress {
            plan,
            to_send: (1..=plan.parts())
                .filter(|n| !stored.contains_key(n))
                .collect(),
            sent: stored.iter().map(|(&n, p)| (n, p.size)).collect(),
            stored,
        }
    }

    /// The next part to send and its bytes, lowest number first.
    pub fn next_part(&mut self) -> Option<(u32, Range<u64>)> {
        let n = self.to_send.pop_front()?;
        Some((n, self.plan.range(n)))
    }

    /// `bytes` of part `n` are sent so far; returns the bytes sent of the whole file.
    pub fn sending(&mut self, n: u32, bytes: u64) -> u64 {
        self.sent.insert(n, bytes.min(self.plan.len(n)));
        self.sent()
    }

    /// Part `n` is stored under `etag`; returns the bytes sent of the whole file.
    pub fn stored(&mut self, n: u32, etag: String) -> u64 {
        let size = self.plan.len(n);
        self.stored.insert(
            n,
            UploadedPart {
                part_number: n,
                etag,
                size,
                // S3 has it; completion takes the checksums from S3's own list.
                checksum_sha256: None,
            },
        );
        self.sending(n, size)
    }

    /// Bytes sent of the whole file: stored parts and what is in flight.
    pub fn sent(&self) -> u64 {
        self.sent.values().sum()
    }

    /// The stored parts in order: what completes the upload once every part is stored.
    pub fn stored_parts(&self) -> Vec<UploadedPart> {
        self.stored.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn part(n: u32, size: u64) -> UploadedPart {
        UploadedPart {
            part_number: n,
            etag: format!("\"etag-{n}\""),
            size,
            checksum_sha256: None,
        }
    }

    #[test]
    fn files_are_cut_into_numbered_parts() {
        // (size, part size, parts, last part's range)
        let table = [
            (0, 8, 1, 0..0),
            (1, 8, 1, 0..1),
            (8, 8, 1, 0..8),
            (9, 8, 2, 8..9),
            (16, 8, 2, 8..16),
            (100 * MIB, 8 * MIB, 13, 96 * MIB..100 * MIB),
            (5, 0, 5, 4..5), // a zero part size is taken as one byte
        ];
        for (size, part_size, parts, last) in table {
            let plan = PartPlan::new(size, part_size);
            assert_eq!(plan.parts(), parts, "{size}/{part_size}");
            assert_eq!(plan.range(parts), last, "{size}/{part_size}");
            assert_eq!(plan.len(parts), last.end - last.start);
            // The parts cover the file exactly, in order.
            let mut at = 0;
            for n in 1..=parts {
                assert_eq!(plan.range(n).start, at);
                at = plan.range(n).end;
            }
            assert_eq!(at, size);
        }
        let plan = PartPlan::new(100, 30);
        assert_eq!(
            (1..=4).map(|n| plan.range(n)).collect::<Vec<_>>(),
            [0..30, 30..60, 60..90, 90..100]
        );
    }

    #[test]
    fn only_stored_parts_of_the_right_size_and_number_are_reused() {
        let plan = PartPlan::new(100, 30);
        // (stored part, kept?)
        let table = [
            (part(1, 30), true),
            (part(2, 29), false), // cut differently
            (part(3, 30), true),
            (part(4, 10), true), // the shorter last part
            (part(4, 30), false),
            (part(5, 30), false), // beyond the plan
            (part(0, 30), false),
        ];
        for (stored, kept) in table {
            let n = stored.part_number;
            let got = reusable(&plan, [stored.clone()]);
            assert_eq!(got.contains_key(&n), kept, "{stored:?}");
            if kept {
                assert_eq!(got[&n], stored);
            }
        }
    }

    #[test]
    fn resuming_counts_kept_parts_as_sent_and_sends_the_rest_in_order() {
        let plan = PartPlan::new(100, 30);
        let mut p = PartProgress::resume(plan, [part(3, 30), part(2, 7), part(9, 30)]);
        assert_eq!(p.sent(), 30, "only part 3 is kept");
        assert_eq!(p.next_part(), Some((1, 0..30)));
        assert_eq!(p.next_part(), Some((2, 30..60)));
        assert_eq!(p.next_part(), Some((4, 90..100)));
        assert_eq!(p.next_part(), None);

        let fresh = PartProgress::resume(plan, []);
        assert_eq!(fresh.sent(), 0);
        assert!(fresh.stored_parts().is_empty());
    }

    #[test]
    fn progress_sums_the_parts_in_flight_and_stored() {
        let plan = PartPlan::new(100, 30);
        let mut p = PartProgress::resume(plan, [part(4, 10)]);
        for _ in 0..3 {
            p.next_part();
        }
        // (part, bytes of it sent so far, whole file sent)
        let table = [
            (1, 10, 20),
            (2, 5, 25),
            (1, 30, 45),
            (3, 12, 57),
            (2, 0, 52),
        ];
        for (n, bytes, total) in table {
            assert_eq!(p.sending(n, bytes), total, "part {n} at {bytes}");
        }
        // More than a part holds (a progress event's total) counts as the whole part.
        assert_eq!(p.sending(3, 999), 70);
        assert_eq!(p.stored(2, "e2".into()), 100);
        assert_eq!(p.stored(1, "e1".into()), 100);
        assert_eq!(p.stored(3, "e3".into()), 100);
        let done = p.stored_parts();
        assert_eq!(
            done.iter()
                .map(|d| (d.part_number, d.size))
                .collect::<Vec<_>>(),
            [(1, 30), (2, 30), (3, 30), (4, 10)]
        );
        assert_eq!(done[0].etag, "e1");
    }
}
