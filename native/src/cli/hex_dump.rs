//! `oncp decode --hex`: bytes as tshark -x prints them — a four-digit hex
//! offset, sixteen bytes in hex, and the same bytes as ASCII (`.` for the
//! unprintable).

use std::io::{self, Write};

/// Writes `bytes` as hex dump lines, each starting with `indent`.
pub fn write(out: &mut dyn Write, indent: &str, bytes: &[u8]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // One line at a time through a stack buffer: a write per line, none per byte.
    let mut line = Vec::with_capacity(indent.len() + 80);
    for (n, row) in bytes.chunks(16).enumerate() {
        line.clear();
        line.extend_from_slice(indent.as_bytes());
        write!(line, "{:04x} ", n * 16)?;
        for k in 0..16 {
            match row.get(k) {
                Some(b) => line.extend_from_slice(&[
                    b' ',
                    HEX[usize::from(b >> 4)],
                    HEX[usize::from(b & 15)],
                ]),
                None => line.extend_from_slice(b"   "),
            }
        }
        line.extend_from_slice(b"   ");
        line.extend(row.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b
            } else {
                b'.'
            }
        }));
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn lines_like_tshark() {
        let bytes: Vec<u8> = (0x40..0x40 + 18).chain([0, 0x7f]).collect();
        let mut out = Vec::new();
        super::write(&mut out, "  ", &bytes).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "  0000  40 41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f   @ABCDEFGHIJKLMNO\n\
             \x20 0010  50 51 00 7f                                       PQ..\n"
        );
        let mut none = Vec::new();
        super::write(&mut none, "", &[]).unwrap();
        assert!(none.is_empty());
    }
}
