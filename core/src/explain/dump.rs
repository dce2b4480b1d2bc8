//! Hex dump lines into dumps: one dump per run of lines that continue each
//! other (same tool, same direction marker, offsets following on). What
//! does not fit is diagnosed, not dropped: offsets that jump (lines cut
//! out), short lines in the middle (wrapped or cut), a text column that
//! disagrees with the hex (edited by hand), lines wrapped by a mail client
//! (joined again), `hexdump -C`'s `*` (expanded, within a limit).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[cfg(test)]
use super::hexline;
use super::hexline::{HexLine, Shape, printable};
use super::report::Damage;

/// Largest dump kept; bytes past it are dropped with a note (`*` lines
/// and long pastes cannot make more).
pub(crate) const MAX_DUMP: usize = 1 << 20;

/// Damage notes kept per dump before they are only counted.
const MAX_NOTES: usize = 8;

/// One dump: bytes that a log shows as one block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dump {
    /// The tool's shape.
    pub shape: Shape,
    /// OpenConnect's direction marker.
    pub marker: Option<char>,
    /// First and last log line.
    pub first_line: usize,
    /// Last log line.
    pub last_line: usize,
    /// Offset of the first byte as the dump numbers it.
    pub start_offset: u64,
    /// The bytes, in order (missing ones left out, see `gaps`).
    pub bytes: Vec<u8>,
    /// Positions in `bytes` before which bytes are missing, and how many.
    pub gaps: Vec<(usize, u64)>,
    /// What was wrong with the lines.
    pub damage: Vec<Damage>,
}

impl Dump {
    /// The bytes up to the first gap (the part that is surely contiguous).
    pub(crate) fn contiguous(&self) -> &[u8] {
        match self.gaps.first() {
            Some(&(at, _)) => &self.bytes[..at],
            None => &self.bytes,
        }
    }

    fn note(&mut self, line: usize, text: String) {
        if self.damage.len() < MAX_NOTES {
            self.damage.push(Damage { line, text });
        } else if self.damage.len() == MAX_NOTES {
            self.damage.push(Damage {
                line,
                text: String::from("more problems in this dump are not listed"),
            });
        }
    }
}

/// The last line added, for continuity checks.
#[derive(Debug, Clone)]
struct Last {
    no: usize,
    offset: Option<u64>,
    row: Vec<u8>,
    text: Option<String>,
    text_closed: bool,
}

/// Collects hex lines into dumps.
#[derive(Debug, Default)]
pub(crate) struct Builder {
    cur: Option<Dump>,
    last: Option<Last>,
    /// Line width of the current dump (its first line's byte count).
    width: usize,
    star: Option<usize>,
}

impl Builder {
    /// Adds a hex line; returns the previous dump when this line starts a
    /// new one.
    pub(crate) fn push(&mut self, no: usize, h: HexLine) -> Option<Dump> {
        let continues = match (&self.cur, &self.last) {
            (Some(d), Some(_)) => {
                d.shape == h.shape
                    && d.marker == h.marker
                    && match h.offset {
                        Some(o) => o != 0 || d.bytes.is_empty(),
                        None => true,
                    }
            }
            _ => false,
        };
        let done = if continues { None } else { self.finish() };
        if self.cur.is_none() {
            let start = h.offset.unwrap_or(0);
            let mut d = Dump {
                shape: h.shape,
                marker: h.marker,
                first_line: no,
                last_line: no,
                start_offset: start,
                bytes: Vec::new(),
                gaps: Vec::new(),
                damage: Vec::new(),
            };
            if start != 0 {
                d.note(
                    no,
                    format!(
                        "the dump starts at offset {start:#06x}: the lines before it are missing"
                    ),
                );
            }
            self.width = h.bytes.len();
            self.cur = Some(d);
        } else if let Some(o) = h.offset {
            self.check_offset(no, o);
        }
        self.add(no, h);
        done
    }

    /// Whether `next` continues the dump at the right offset; notes and
    /// gaps otherwise.
    fn check_offset(&mut self, no: usize, o: u64) {
        let (Some(d), Some(last)) = (&mut self.cur, &self.last) else {
            return;
        };
        if let Some(repeat_from) = self.star.take() {
            let expected = d.start_offset + d.bytes.len() as u64;
            if o > expected && !last.row.is_empty() {
                let fill = o - expected;
                let room = (MAX_DUMP - d.bytes.len().min(MAX_DUMP)) as u64;
                let take = fill.min(room);
                let row = last.row.clone();
                let mut added = 0u64;
                while added < take {
                    let n = (row.len() as u64).min(take - added) as usize;
                    d.bytes.extend_from_slice(&row[..n]);
                    added += n as u64;
                }
                if take < fill {
                    d.note(
                        repeat_from,
                        format!("'*' repeats the line {fill} bytes; only {take} kept"),
                    );
                    d.gaps.push((d.bytes.len(), fill - take));
                }
            }
        }
        let expected = d.start_offset + d.bytes.len() as u64;
        if o == expected {
            return;
        }
        if o > expected {
            let missing = o - expected;
            let text = if self.width > 0 && last.row.len() < self.width {
                format!(
                    "line {} holds {} bytes but the next line starts at {o:#06x}: {missing} bytes are missing (the line was cut or wrapped)",
                    last.no,
                    last.row.len()
                )
            } else {
                format!(
                    "offset jumps from {expected:#06x} to {o:#06x}: {missing} bytes are missing (lines cut out of the log?)"
                )
            };
            d.note(no, text);
            d.gaps.push((d.bytes.len(), missing));
        } else {
            d.note(
                no,
                format!(
                    "offset {o:#06x} goes back (expected {expected:#06x}): lines repeated or two dumps mixed; taken in log order"
                ),
            );
        }
    }

    fn add(&mut self, no: usize, h: HexLine) {
        let Some(d) = &mut self.cur else { return };
        check_text(d, no, &h);
        let room = MAX_DUMP.saturating_sub(d.bytes.len());
        if h.bytes.len() > room {
            d.note(
                no,
                format!("the dump is longer than {MAX_DUMP} bytes; the rest is not decoded"),
            );
        }
        d.bytes
            .extend_from_slice(&h.bytes[..h.bytes.len().min(room)]);
        d.last_line = no;
        self.last = Some(Last {
            no,
            offset: h.offset,
            row: h.bytes,
            text: h.text,
            text_closed: h.text_closed,
        });
    }

    /// `hexdump -C`'s `*`.
    pub(crate) fn star(&mut self, no: usize) {
        if self.cur.is_some() {
            self.star = Some(no);
        }
    }

    /// `hexdump -C`'s closing length line; ends the dump.
    pub(crate) fn end(&mut self, no: usize, total: u64) -> Option<Dump> {
        if self.cur.is_some() {
            self.check_offset(no, total);
        }
        self.finish()
    }

    /// A line that is not a hex line: if the last hex line looks cut (an
    /// open text column, or fewer bytes than its neighbours and no text),
    /// and `t` holds the rest, joins it and returns true.
    pub(crate) fn try_continue(&mut self, no: usize, t: &str) -> bool {
        let (Some(d), Some(last)) = (&mut self.cur, &mut self.last) else {
            return false;
        };
        if d.shape != Shape::OpenConnect && d.shape != Shape::HexdumpC {
            return false;
        }
        if last.no + 1 != no {
            return false;
        }
        let width = self.width.max(16);
        if last.text.is_none() && last.row.len() <= width {
            // cut inside the hex (`6e bb  |…|`) or before the text (`|…|`)
            let (more, rest) = hexline_pairs(t);
            let (text, closed) = bar_text(rest);
            if (more.is_empty() && text.is_none())
                || last.row.len() + more.len() > width
                || (!rest.is_empty() && text.is_none())
            {
                return false;
            }
            let room = MAX_DUMP.saturating_sub(d.bytes.len());
            d.bytes.extend_from_slice(&more[..more.len().min(room)]);
            last.row.extend_from_slice(&more);
            d.note(
                no,
                format!("line {no} continues line {} (wrapped); joined", last.no),
            );
            if let Some(text) = &text
                && closed
            {
                compare_text(d, last.no, last.offset, &last.row, text);
            }
            last.text = text;
            last.text_closed = closed;
            d.last_line = no;
            return true;
        }
        if let Some(open) = &last.text
            && !last.text_closed
            && let Some(tail) = t.strip_suffix('|')
            && !tail.contains('|')
            && open.chars().count() + tail.chars().count() <= width
        {
            let mut full = open.clone();
            full.push_str(tail);
            d.note(
                no,
                format!("line {no} continues line {} (wrapped); joined", last.no),
            );
            compare_text(d, last.no, last.offset, &last.row, &full);
            last.text = Some(full);
            last.text_closed = true;
            d.last_line = no;
            return true;
        }
        false
    }

    /// Ends the current dump.
    pub(crate) fn finish(&mut self) -> Option<Dump> {
        self.last = None;
        self.star = None;
        self.width = 0;
        self.cur.take()
    }
}

fn hexline_pairs(t: &str) -> (Vec<u8>, &str) {
    let mut out = Vec::new();
    let mut rest = t;
    loop {
        let s = rest.trim_start();
        let end = s.find(char::is_whitespace).unwrap_or(s.len());
        let tok = s.as_bytes().get(..end).unwrap_or(&[]);
        if tok.len() != 2 || out.len() >= 16 {
            return (out, s);
        }
        match (hex_val(tok[0]), hex_val(tok[1])) {
            (Some(h), Some(l)) => out.push(h * 16 + l),
            _ => return (out, s),
        }
        rest = &s[end..];
    }
}

fn hex_val(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

fn bar_text(rest: &str) -> (Option<String>, bool) {
    match rest.strip_prefix('|') {
        Some(inner) => match inner.strip_suffix('|') {
            Some(t) => (Some(String::from(t)), true),
            None => (Some(String::from(inner)), false),
        },
        None => (None, false),
    }
}

/// Checks a line's text column against its bytes (a closed column only:
/// an open one is checked when its continuation is joined).
fn check_text(d: &mut Dump, no: usize, h: &HexLine) {
    if let Some(text) = &h.text
        && h.text_closed
    {
        if h.shape == Shape::OpenConnect || h.shape == Shape::HexdumpC {
            compare_text(d, no, h.offset, &h.bytes, text);
        } else {
            compare_prefix(d, no, h.offset, &h.bytes, text);
        }
    }
}

fn compare_text(d: &mut Dump, no: usize, offset: Option<u64>, bytes: &[u8], text: &str) {
    let n = text.chars().count();
    if n != bytes.len() {
        d.note(
            no,
            format!(
                "the text column shows {n} characters for {} bytes: bytes or characters were added or removed",
                bytes.len()
            ),
        );
        return;
    }
    compare_prefix(d, no, offset, bytes, text);
}

fn compare_prefix(d: &mut Dump, no: usize, offset: Option<u64>, bytes: &[u8], text: &str) {
    for (i, (b, c)) in bytes.iter().zip(text.chars()).enumerate() {
        if printable(*b) != c {
            let at = offset.unwrap_or(0) + i as u64;
            d.note(
                no,
                format!(
                    "byte {at:#06x} reads {b:02x} in hex but the text column shows {c:?}: edited by hand? (the hex is used)"
                ),
            );
            return;
        }
    }
}

/// Parses `t` as one hex line, as [`hexline::parse`] does.
#[cfg(test)]
fn line(t: &str) -> HexLine {
    match hexline::parse(t) {
        hexline::Parsed::Hex(h) => h,
        other => panic!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(lines: &[&str]) -> Vec<Dump> {
        let mut b = Builder::default();
        let mut out = Vec::new();
        for (i, t) in lines.iter().enumerate() {
            let no = i + 1;
            match hexline::parse(t) {
                hexline::Parsed::Hex(h) => out.extend(b.push(no, h)),
                hexline::Parsed::Star => b.star(no),
                hexline::Parsed::End(n) => out.extend(b.end(no, n)),
                hexline::Parsed::None => {
                    if !b.try_continue(no, t) {
                        out.extend(b.finish());
                    }
                }
            }
        }
        out.extend(b.finish());
        out
    }

    const L0: &str =
        "> 0000:  13 00 00 04 00 00 00 06  00 64 65 62 69 61 6e bb  |.........debian.|";
    const L1: &str = "> 0010:  01 00 00 00 00                                    |.....|";

    #[test]
    fn clean_dump() {
        let d = run(&[L0, L1]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].bytes.len(), 21);
        assert!(d[0].damage.is_empty(), "{:?}", d[0].damage);
        assert_eq!(d[0].marker, Some('>'));
        let _ = line(L0);
    }

    #[test]
    fn offset_zero_and_direction_split_dumps() {
        let d = run(&[L0, L1, L0, "< 0000:  01 00 00  |...|"]);
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn missing_lines_and_late_start() {
        let d = run(&[L1]);
        assert!(d[0].damage[0].text.contains("starts at offset 0x0010"));
        let d = run(&[
            L0,
            "> 0020:  01 00 00 00 00                                    |.....|",
        ]);
        assert_eq!(d[0].gaps, [(16, 16)]);
        assert!(d[0].damage[0].text.contains("16 bytes are missing"));
        assert_eq!(d[0].contiguous().len(), 16);
    }

    #[test]
    fn wrapped_lines_are_joined() {
        // text column wrapped
        let d = run(&[
            "> 0000:  13 00 00 04 00 00 00 06  00 64 65 62 69 61 6e bb  |.........debi",
            "an.|",
            L1,
        ]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].bytes.len(), 21);
        assert!(d[0].damage[0].text.contains("continues line 1"));
        assert_eq!(d[0].damage.len(), 1, "{:?}", d[0].damage);
        // hex wrapped
        let d = run(&[
            "> 0000:  13 00 00 04 00 00 00 06  00 64 65 62 69",
            "61 6e bb  |.........debian.|",
            L1,
        ]);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].bytes.len(), 21);
        assert_eq!(d[0].gaps, []);
    }

    #[test]
    fn edited_bytes_are_noticed() {
        let d =
            run(&["> 0000:  13 00 00 04 00 00 00 06  00 64 65 62 69 61 6f bb  |.........debian.|"]);
        assert!(
            d[0].damage[0].text.contains("byte 0x000e reads 6f"),
            "{:?}",
            d[0].damage
        );
        let d = run(&["> 0000:  13 00 00  |.....|"]);
        assert!(d[0].damage[0].text.contains("5 characters for 3 bytes"));
    }

    #[test]
    fn hexdump_star_is_bounded() {
        let d = run(&[
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
            "*",
            "00000040  01 02                                             |..|",
            "00000042",
        ]);
        assert_eq!(d[0].bytes.len(), 0x42);
        assert!(d[0].damage.is_empty(), "{:?}", d[0].damage);
        let d = run(&[
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
            "*",
            "ffffffff00  01 02                                             |..|",
        ]);
        assert!(d[0].bytes.len() <= MAX_DUMP);
        let d = run(&[
            "00000000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|",
            "00000020",
        ]);
        assert!(d[0].damage[0].text.contains("missing"));
    }
}
