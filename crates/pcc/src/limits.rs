//! How much switchboard takes from PCC: the size of one answer, and the objects, pages and
//! bytes of one read. A hostile or broken PCC can fail a read, never exhaust memory or keep a
//! command sending requests; the caps sit far above what a real contact center needs
//! (`docs/security.md` gives the figures).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The caps on what is read from PCC. The defaults sit well above a large contact center (the
/// benchmark's 5,000 agents read as 20,713 objects, about 5 MB of answers, in under 2,000
/// pages) and low enough that `plan` stays under 200 MB whatever a PCC sends within them
/// (`docs/security.md` gives the measurements). [`Limits::with_objects`] scales the caps of one
/// read for a contact center that really is larger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one answer to a list read (a page of 100 objects is 10-60 KB).
    pub list_answer_bytes: usize,
    /// Bytes of any other answer (a create, an update, the call settings: under 2 KB), and
    /// the most read of an error answer (the rest is not needed to report it).
    pub answer_bytes: usize,
    /// Objects one read takes at most, every list together: the items received, and the
    /// counts the lists claim before their pages are asked for.
    pub read_objects: u64,
    /// List pages one read asks for at most, every list together (a per-parent list costs a
    /// page for each group, queue, tree and node).
    pub read_pages: u64,
    /// Bytes of list answers one read takes at most.
    pub read_bytes: u64,
}

/// Objects one read takes by default.
pub const DEFAULT_READ_OBJECTS: u64 = 35_000;
/// Bytes of list answers one read takes for each object it may take, where a real project
/// averages about 230: 8.5 MiB for the default 35,000 objects.
const READ_BYTES_PER_OBJECT: u64 = 256;

impl Default for Limits {
    fn default() -> Self {
        Limits::with_objects(DEFAULT_READ_OBJECTS)
    }
}

impl Limits {
    /// The caps of one read scaled to `objects`: its bytes (256 an object, 8.5 MiB for the
    /// default 35,000) and pages (one for two objects, 20,000 at least); the caps of one answer
    /// stay.
    pub fn with_objects(objects: u64) -> Limits {
        Limits {
            list_answer_bytes: 2 << 20,
            answer_bytes: 64 << 10,
            read_objects: objects,
            read_pages: (objects / 2).max(20_000),
            read_bytes: objects.saturating_mul(READ_BYTES_PER_OBJECT),
        }
    }
}

/// A size in words: `4 MiB`, `12.5 MiB`, `64 KiB`, `100 bytes`.
pub(crate) fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 && n % (1 << 20) == 0 => format!("{} MiB", n >> 20),
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 && n % (1 << 10) == 0 => format!("{} KiB", n >> 10),
        n => format!("{n} bytes"),
    }
}

/// What one read has taken so far, shared by every list it reads (clones share it).
#[derive(Clone, Debug)]
pub(crate) struct Budget {
    limits: Limits,
    taken: Arc<Taken>,
}

#[derive(Debug, Default)]
struct Taken {
    objects: AtomicU64,
    pages: AtomicU64,
    bytes: AtomicU64,
}

impl Budget {
    pub(crate) fn new(limits: Limits) -> Budget {
        Budget {
            limits,
            taken: Arc::default(),
        }
    }

    /// Counts one page about to be asked for; says so when the read has asked for all it may.
    pub(crate) fn page(&self) -> Result<(), String> {
        let before = self.taken.pages.fetch_add(1, Ordering::Relaxed);
        if before >= self.limits.read_pages {
            return Err(format!(
                "this read has asked for {} list pages, the most one read asks for",
                self.limits.read_pages
            ));
        }
        Ok(())
    }

    /// Counts the bytes of a list answer.
    pub(crate) fn bytes(&self, n: usize) -> Result<(), String> {
        let total = self.taken.bytes.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > self.limits.read_bytes {
            return Err(format!(
                "this read has received more than {} of list answers, the most one read \
                 takes",
                bytes(self.limits.read_bytes)
            ));
        }
        Ok(())
    }

    /// Objects the read may still take.
    pub(crate) fn room(&self) -> u64 {
        self.limits
            .read_objects
            .saturating_sub(self.taken.objects.load(Ordering::Relaxed))
    }

    /// Counts `n` objects received.
    pub(crate) fn take(&self, n: usize) -> Result<(), String> {
        let total = self.taken.objects.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > self.limits.read_objects {
            return Err(self.too_many_objects());
        }
        Ok(())
    }

    /// Checks what a list claims before its other pages are asked for: `more` objects still to
    /// come in `pages` pages.
    pub(crate) fn claim(&self, more: u64, pages: u64) -> Result<(), String> {
        if more > self.room() {
            return Err(format!(
                "the list claims {more} more objects; with what this read already holds that \
                 is more than the {} objects one read takes",
                self.limits.read_objects
            ));
        }
        let asked = self.taken.pages.load(Ordering::Relaxed);
        if asked.saturating_add(pages) > self.limits.read_pages {
            return Err(format!(
                "the list claims {pages} more pages; with what this read already asked for \
                 that is more than the {} list pages one read asks for",
                self.limits.read_pages
            ));
        }
        Ok(())
    }

    pub(crate) fn too_many_objects(&self) -> String {
        format!(
            "this read holds more than {} objects, the most one read takes",
            self.limits.read_objects
        )
    }

    /// The limits in force.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_words() {
        assert_eq!(bytes(4 << 20), "4 MiB");
        assert_eq!(bytes(64 << 10), "64 KiB");
        assert_eq!(bytes(1000), "1000 bytes");
        assert_eq!(bytes(Limits::with_objects(65_536).read_bytes), "16 MiB");
        assert_eq!(bytes(Limits::default().read_bytes), "8.5 MiB");
    }

    #[test]
    fn a_budget_counts_every_list_of_the_read() {
        let budget = Budget::new(Limits {
            read_objects: 10,
            read_pages: 3,
            read_bytes: 100,
            ..Limits::default()
        });
        let other = budget.clone();
        budget.take(6).unwrap();
        assert_eq!(other.room(), 4);
        assert!(other.claim(5, 1).is_err());
        other.claim(4, 1).unwrap();
        assert!(other.take(5).is_err());
        for _ in 0..3 {
            budget.page().unwrap();
        }
        assert!(other.page().is_err());
        budget.bytes(100).unwrap();
        assert!(other.bytes(1).is_err());
    }
}
