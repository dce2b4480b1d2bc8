//! One line of a hex dump, in each shape a log may hold: OpenConnect's
//! `dump_buf_hex` (`< 0000:  01 00 00 …  |...|`, the first character the
//! direction), `xxd` (`00000000: 0100 00..  ...`), `tshark -x` and
//! `oncp decode --hex` (`0000  01 00 00 …   ...`), `hexdump -C`
//! (`00000000  01 00 00 …  |...|`, `*` for repeated lines, a last line
//! with only the length), and plain runs of hex pairs.

use alloc::string::String;
use alloc::vec::Vec;

/// Which tool's shape a line has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shape {
    /// OpenConnect's `dump_buf_hex`.
    OpenConnect,
    /// `xxd`.
    Xxd,
    /// `tshark -x` (and Wireshark's "copy as hex dump", `oncp decode --hex`).
    Tshark,
    /// `hexdump -C`.
    HexdumpC,
    /// Hex pairs (or one run of hex digits) and nothing else.
    Plain,
}

impl Shape {
    /// A name for the formats list.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Shape::OpenConnect => "OpenConnect hex dump",
            Shape::Xxd => "xxd",
            Shape::Tshark => "tshark -x",
            Shape::HexdumpC => "hexdump -C",
            Shape::Plain => "plain hex",
        }
    }
}

/// One hex dump line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HexLine {
    /// The tool's shape.
    pub shape: Shape,
    /// OpenConnect's first character (`<`, `>`, `.`, `E`).
    pub marker: Option<char>,
    /// The offset the line starts at, when it has one.
    pub offset: Option<u64>,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The text column after the hex, when there is one.
    pub text: Option<String>,
    /// Whether the text column was closed (`|…|` shapes): an open one
    /// means the line was wrapped or cut.
    pub text_closed: bool,
}

/// What a line is, as far as hex dumps go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// A hex dump line.
    Hex(HexLine),
    /// `hexdump -C`'s `*`: the previous line repeats up to the next offset.
    Star,
    /// `hexdump -C`'s last line: only the total length.
    End(u64),
    /// Not a hex dump line.
    None,
}

/// Bytes a dump line holds at most (the widest shapes hold 16; xxd -c
/// can hold up to 256).
const MAX_LINE_BYTES: usize = 256;

/// Bytes a plain line holds at most (a "hex stream" copied from
/// Wireshark is one long line).
const MAX_PLAIN_BYTES: usize = super::lines::MAX_LINE / 2;

/// What `t` is.
pub(crate) fn parse(t: &str) -> Parsed {
    if let Some(h) = openconnect(t) {
        return Parsed::Hex(h);
    }
    if t == "*" {
        return Parsed::Star;
    }
    if let Some(p) = with_offset(t) {
        return p;
    }
    match plain(t) {
        Some(h) => Parsed::Hex(h),
        None => Parsed::None,
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// The value of a run of 1 to 12 hex digits.
fn hex_number(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 12 {
        return None;
    }
    s.bytes()
        .try_fold(0u64, |n, c| Some(n * 16 + u64::from(hex_digit(c)?)))
}

/// Appends the bytes of an even-length run of hex digits.
fn push_run(run: &str, out: &mut Vec<u8>, max: usize) -> Option<()> {
    let b = run.as_bytes();
    if b.is_empty() || !b.len().is_multiple_of(2) || out.len() + b.len() / 2 > max {
        return None;
    }
    for pair in b.chunks(2) {
        out.push(hex_digit(pair[0])? * 16 + hex_digit(pair[1])?);
    }
    Some(())
}

/// Hex pairs separated by whitespace, up to the first token that is not
/// one (a `|` text column, or anything else): the bytes and the rest.
fn pairs(s: &str) -> (Vec<u8>, &str) {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let t = rest.trim_start();
        let end = t.find(char::is_whitespace).unwrap_or(t.len());
        let tok = &t[..end];
        if tok.len() != 2 || out.len() >= MAX_LINE_BYTES {
            return (out, t);
        }
        match (hex_digit(tok.as_bytes()[0]), hex_digit(tok.as_bytes()[1])) {
            (Some(h), Some(l)) => out.push(h * 16 + l),
            _ => return (out, t),
        }
        rest = &t[end..];
    }
}

/// A `|…|` text column at the start of `rest` (after the hex).
fn bar_text(rest: &str) -> (Option<String>, bool) {
    match rest.strip_prefix('|') {
        Some(inner) => match inner.strip_suffix('|') {
            Some(t) => (Some(String::from(t)), true),
            None => (Some(String::from(inner)), false),
        },
        None => (None, false),
    }
}

/// `< 0000:  01 00 00 …  |...|`
fn openconnect(t: &str) -> Option<HexLine> {
    let b = t.as_bytes();
    if b.len() < 7 || !matches!(b[0], b'<' | b'>' | b'.' | b'E') || b[1] != b' ' {
        return None;
    }
    let colon = t[2..].find(':')? + 2;
    let offset = hex_number(&t[2..colon])?;
    if colon - 2 < 4 {
        return None;
    }
    let (bytes, rest) = pairs(&t[colon + 1..]);
    let (text, text_closed) = bar_text(rest);
    if bytes.is_empty() && text.is_none() {
        return None;
    }
    if !rest.is_empty() && text.is_none() {
        return None;
    }
    Some(HexLine {
        shape: Shape::OpenConnect,
        marker: Some(char::from(b[0])),
        offset: Some(offset),
        bytes,
        text,
        text_closed,
    })
}

/// Lines that start with an offset: xxd, tshark -x, hexdump -C.
fn with_offset(t: &str) -> Option<Parsed> {
    let digits = t.bytes().take_while(|c| hex_digit(*c).is_some()).count();
    if !(4..=12).contains(&digits) {
        return None;
    }
    let offset = hex_number(&t[..digits])?;
    let rest = &t[digits..];
    if rest.is_empty() {
        // hexdump -C's closing line: the length alone (8 digits).
        return (digits >= 7).then_some(Parsed::End(offset));
    }
    if let Some(after) = rest.strip_prefix(": ") {
        return xxd(offset, after).map(Parsed::Hex);
    }
    let after = rest.strip_prefix("  ")?;
    if after.starts_with(' ') {
        return None;
    }
    let (bytes, rest) = pairs(after);
    if bytes.is_empty() {
        return None;
    }
    let (shape, text, text_closed) = if rest.starts_with('|') {
        let (text, closed) = bar_text(rest);
        (Shape::HexdumpC, text, closed)
    } else if digits >= 7 && rest.is_empty() {
        (Shape::HexdumpC, None, false)
    } else {
        let text = (!rest.is_empty()).then(|| String::from(rest));
        (Shape::Tshark, text, true)
    };
    Some(Parsed::Hex(HexLine {
        shape,
        marker: None,
        offset: Some(offset),
        bytes,
        text,
        text_closed,
    }))
}

/// `00000000: 1300 0004 …  ascii` — groups of an even number of digits,
/// the text after two spaces.
fn xxd(offset: u64, after: &str) -> Option<HexLine> {
    let (hex, text) = match after.find("  ") {
        Some(i) => (&after[..i], after[i..].trim_start()),
        None => (after, ""),
    };
    let mut bytes = Vec::new();
    for group in hex.split(' ') {
        push_run(group, &mut bytes, MAX_LINE_BYTES)?;
    }
    Some(HexLine {
        shape: Shape::Xxd,
        marker: None,
        offset: Some(offset),
        bytes,
        text: (!text.is_empty()).then(|| String::from(text)),
        text_closed: true,
    })
}

/// A line of nothing but hex: pairs (`13 00 00`, `0x13, 0x00`, `13:00`)
/// or one run (`130000`), at least three bytes.
fn plain(t: &str) -> Option<HexLine> {
    let mut bytes = Vec::new();
    for tok in t.split(|c: char| c.is_whitespace() || c == ',' || c == ':') {
        if tok.is_empty() {
            continue;
        }
        let tok = tok
            .strip_prefix("0x")
            .or_else(|| tok.strip_prefix("0X"))
            .unwrap_or(tok);
        push_run(tok, &mut bytes, MAX_PLAIN_BYTES)?;
    }
    (bytes.len() >= 3).then_some(HexLine {
        shape: Shape::Plain,
        marker: None,
        offset: None,
        bytes,
        text: None,
        text_closed: true,
    })
}

/// What OpenConnect and hexdump -C print in the text column for `b`.
pub(crate) fn printable(b: u8) -> char {
    if (0x20..0x7f).contains(&b) {
        char::from(b)
    } else {
        '.'
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn hex(t: &str) -> HexLine {
        match parse(t) {
            Parsed::Hex(h) => h,
            other => panic!("{t:?}: {other:?}"),
        }
    }

    #[test]
    fn openconnect_lines() {
        let h =
            hex("> 0000:  13 00 00 04 00 00 00 06  00 64 65 62 69 61 6e bb  |.........debian.|");
        assert_eq!(h.shape, Shape::OpenConnect);
        assert_eq!(h.marker, Some('>'));
        assert_eq!(h.offset, Some(0));
        assert_eq!(h.bytes.len(), 16);
        assert_eq!(h.text.as_deref(), Some(".........debian."));
        assert!(h.text_closed);
        let h = hex("< 0010:  01 00 00 00 00                                    |.....|");
        assert_eq!((h.offset, h.bytes.len()), (Some(16), 5));
        // cut by a mail client: the text column is open
        let h = hex("< 0000:  01 00 00 00 00 00 00 00  00 01 2d 01 00 00 00 00  |.......");
        assert!(!h.text_closed);
        // cut inside the hex
        let h = hex("< 0000:  01 00 00 00 00 00 00 00  00 01");
        assert_eq!(h.bytes.len(), 10);
        assert_eq!(h.text, None);
        assert_eq!(parse("< HTTP/1.1 200 OK"), Parsed::None);
        assert_eq!(parse("> Host: 127.0.0.1:4443"), Parsed::None);
    }

    #[test]
    fn other_tools() {
        let h = hex("00000000: 1300 0004 0000 0006 0064 6562 6961 6ebb  .........debian.");
        assert_eq!((h.shape, h.bytes.len()), (Shape::Xxd, 16));
        assert_eq!(h.bytes[..3], [0x13, 0, 0]);
        let h = hex("00000010: 0100 0000 00                             .....");
        assert_eq!((h.offset, h.bytes.len()), (Some(16), 5));
        let h = hex("0000  13 00 00 04 00 00 00 06 00 64 65 62 69 61 6e bb   .........debian.");
        assert_eq!((h.shape, h.bytes.len()), (Shape::Tshark, 16));
        let h =
            hex("00000000  13 00 00 04 00 00 00 06  00 64 65 62 69 61 6e bb  |.........debian.|");
        assert_eq!((h.shape, h.bytes.len()), (Shape::HexdumpC, 16));
        assert_eq!(parse("00000015"), Parsed::End(0x15));
        assert_eq!(parse("*"), Parsed::Star);
        let h = hex("13 00 00 04 00 00 00 06");
        assert_eq!((h.shape, h.bytes.len()), (Shape::Plain, 8));
        assert_eq!(hex("0x01, 0x00, 0x08").bytes, vec![1, 0, 8]);
        assert_eq!(hex("010008").bytes, vec![1, 0, 8]);
        for not in [
            "added",
            "2026",
            "cafe babe is a word",
            "0000: hello",
            "Got KMP message 301 of size 213",
            "",
            "< ",
            "> 0000:",
        ] {
            assert!(!matches!(parse(not), Parsed::Hex(_)), "{not:?}");
        }
    }

    #[test]
    fn long_runs_are_bounded() {
        let long: String = core::iter::repeat_n("00", 2000).collect();
        assert_eq!(hex(&long).bytes.len(), 2000);
        let long: String = core::iter::repeat_n("00", MAX_PLAIN_BYTES + 1).collect();
        assert_eq!(parse(&long), Parsed::None);
        let long: String = core::iter::repeat_n("00 ", 300).collect();
        assert_eq!(parse(&alloc::format!("< 0000: {long}")), Parsed::None);
    }
}
