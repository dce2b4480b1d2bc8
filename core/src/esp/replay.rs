//! The inbound replay window (spec/oncp.md §7.7): the next expected
//! sequence number and a 64-bit bitmap of missing ones behind it.

/// What the replay window says about a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplayVerdict {
    /// New: accept (and [`ReplayWindow::commit`] once the packet is good).
    Fresh,
    /// Already received.
    Replayed,
    /// Older than the window can judge.
    TooOld,
}

/// The replay state of one inbound SA.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayWindow {
    /// The sequence number expected next (64-bit so it can reach 2^32).
    next: u64,
    /// Bit k set: sequence `next - 2 - k` not yet received.
    missing: u64,
}

impl ReplayWindow {
    /// A fresh window (nothing received).
    pub const fn new() -> Self {
        ReplayWindow {
            next: 0,
            missing: 0,
        }
    }

    /// The sequence number expected next.
    pub const fn next_expected(&self) -> u64 {
        self.next
    }

    /// Judges `seq` without changing the window.
    pub fn check(&self, seq: u32) -> ReplayVerdict {
        let s = seq as u64;
        if s >= self.next {
            return ReplayVerdict::Fresh;
        }
        let d = self.next - s;
        match d {
            1 => ReplayVerdict::Replayed,
            2..=65 => {
                if self.missing & (1 << (d - 2)) != 0 {
                    ReplayVerdict::Fresh
                } else {
                    ReplayVerdict::Replayed
                }
            }
            _ => ReplayVerdict::TooOld,
        }
    }

    /// Records `seq` as received. Call only after [`Self::check`] said
    /// [`ReplayVerdict::Fresh`] and the packet proved good.
    pub fn commit(&mut self, seq: u32) {
        let s = seq as u64;
        if s >= self.next {
            let d = s - self.next;
            self.missing = if d >= 64 {
                u64::MAX
            } else if d == 63 {
                u64::MAX >> 1
            } else {
                self.missing.checked_shl((d + 1) as u32).unwrap_or(0) | ((1u64 << d) - 1)
            };
            self.next = s + 1;
        } else {
            let d = self.next - s;
            if (2..=65).contains(&d) {
                self.missing &= !(1 << (d - 2));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReplayVerdict::*;

    fn take(w: &mut ReplayWindow, s: u32) -> ReplayVerdict {
        let v = w.check(s);
        if v == Fresh {
            w.commit(s);
        }
        v
    }

    #[test]
    fn spec_worked_trace() {
        let mut w = ReplayWindow::new();
        for s in 0..3 {
            assert_eq!(take(&mut w, s), Fresh);
        }
        assert_eq!((w.next, w.missing), (3, 0));
        assert_eq!(take(&mut w, 5), Fresh);
        assert_eq!((w.next, w.missing), (6, 0b11));
        assert_eq!(take(&mut w, 3), Fresh);
        assert_eq!(w.missing, 0b01);
        assert_eq!(take(&mut w, 3), Replayed);
        assert_eq!(take(&mut w, 4), Fresh);
        assert_eq!(w.missing, 0);
        assert_eq!(take(&mut w, 5), Replayed);
    }

    #[test]
    fn window_edges() {
        let mut w = ReplayWindow::new();
        assert_eq!(take(&mut w, 100), Fresh);
        // 100 - 35 = 65 back: the oldest judgeable is next - 65 = 36.
        assert_eq!(take(&mut w, 36), Fresh);
        assert_eq!(take(&mut w, 35), TooOld);
        assert_eq!(take(&mut w, 36), Replayed);
        assert_eq!(take(&mut w, 99), Fresh);
        // A jump of exactly 63 and 64.
        let mut w = ReplayWindow::new();
        take(&mut w, 0);
        assert_eq!(take(&mut w, 64), Fresh);
        assert_eq!(w.missing, u64::MAX >> 1);
        assert_eq!(take(&mut w, 1), Fresh);
        // 0 was received before the jump: bit 63 says so.
        assert_eq!(take(&mut w, 0), Replayed);
        assert_eq!(take(&mut w, 65), Fresh);
        assert_eq!(take(&mut w, 0), TooOld);
    }

    #[test]
    fn sequence_space_end() {
        let mut w = ReplayWindow::new();
        assert_eq!(take(&mut w, u32::MAX), Fresh);
        assert_eq!(w.next, 1 << 32);
        assert_eq!(take(&mut w, u32::MAX), Replayed);
        assert_eq!(take(&mut w, 0), TooOld);
    }
}
