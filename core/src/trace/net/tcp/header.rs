//! TCP segment headers.

use core::fmt;

/// TCP flag bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;

    /// Whether `bit` is set.
    pub const fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

impl fmt::Display for TcpFlags {
    /// Letters as tcpdump prints them: `S`, `F`, `R`, `P`, `.` for ACK.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (bit, c) in [
            (Self::SYN, "S"),
            (Self::FIN, "F"),
            (Self::RST, "R"),
            (Self::PSH, "P"),
            (Self::ACK, "."),
        ] {
            if self.has(bit) {
                f.write_str(c)?;
            }
        }
        Ok(())
    }
}

/// A TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful with ACK).
    pub ack: u32,
    /// Flags.
    pub flags: TcpFlags,
    /// Window.
    pub window: u16,
    /// Header length with options.
    pub header_len: usize,
}

/// Why a TCP header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TcpError {
    /// Fewer bytes than the header.
    #[error("TCP segment of {len} bytes is shorter than its {need}-byte header")]
    Truncated {
        /// Bytes present.
        len: usize,
        /// Bytes needed.
        need: usize,
    },
    /// Data offset below 5 words.
    #[error("TCP data offset {0} words is below the minimum of 5")]
    BadDataOffset(u8),
}

/// Parses a TCP segment into its header and payload.
pub fn parse(s: &[u8]) -> Result<(TcpHeader, &[u8]), TcpError> {
    if s.len() < 20 {
        return Err(TcpError::Truncated {
            len: s.len(),
            need: 20,
        });
    }
    let data_offset = s[12] >> 4;
    if data_offset < 5 {
        return Err(TcpError::BadDataOffset(data_offset));
    }
    let header_len = usize::from(data_offset) * 4;
    if s.len() < header_len {
        return Err(TcpError::Truncated {
            len: s.len(),
            need: header_len,
        });
    }
    let h = TcpHeader {
        src_port: u16::from_be_bytes([s[0], s[1]]),
        dst_port: u16::from_be_bytes([s[2], s[3]]),
        seq: u32::from_be_bytes([s[4], s[5], s[6], s[7]]),
        ack: u32::from_be_bytes([s[8], s[9], s[10], s[11]]),
        flags: TcpFlags(s[13]),
        window: u16::from_be_bytes([s[14], s[15]]),
        header_len,
    };
    Ok((h, &s[header_len..]))
}

impl TcpHeader {
    /// Parses a segment (see [`parse`]).
    pub fn parse(s: &[u8]) -> Result<(TcpHeader, &[u8]), TcpError> {
        parse(s)
    }
}

/// Builds TCP segments for tests.
#[cfg(test)]
pub(crate) fn build(
    src: u16,
    dst: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    payload: &[u8],
) -> alloc::vec::Vec<u8> {
    let mut s = alloc::vec::Vec::new();
    s.extend_from_slice(&src.to_be_bytes());
    s.extend_from_slice(&dst.to_be_bytes());
    s.extend_from_slice(&seq.to_be_bytes());
    s.extend_from_slice(&ack.to_be_bytes());
    s.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    s.extend_from_slice(payload);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn parses() {
        let s = build(1, 443, 100, 7, TcpFlags::SYN | TcpFlags::ACK, b"x");
        let (h, p) = parse(&s).unwrap();
        assert_eq!((h.src_port, h.dst_port, h.seq, h.ack), (1, 443, 100, 7));
        assert_eq!(h.flags.to_string(), "S.");
        assert_eq!(p, b"x");
        let mut bad = s.clone();
        bad[12] = 0x40;
        assert_eq!(parse(&bad), Err(TcpError::BadDataOffset(4)));
        bad[12] = 0xF0;
        assert!(matches!(
            parse(&bad),
            Err(TcpError::Truncated { need: 60, .. })
        ));
    }
}
