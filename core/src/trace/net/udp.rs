//! UDP headers.

/// A UDP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpHeader {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// The length field (header included).
    pub length: u16,
}

/// Why a UDP header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum UdpError {
    /// Fewer than 8 bytes.
    #[error("UDP datagram of {0} bytes is shorter than its header")]
    Truncated(usize),
}

/// Parses a UDP datagram; the payload is clipped to the length field.
pub fn parse(d: &[u8]) -> Result<(UdpHeader, &[u8]), UdpError> {
    if d.len() < 8 {
        return Err(UdpError::Truncated(d.len()));
    }
    let h = UdpHeader {
        src_port: u16::from_be_bytes([d[0], d[1]]),
        dst_port: u16::from_be_bytes([d[2], d[3]]),
        length: u16::from_be_bytes([d[4], d[5]]),
    };
    let end = usize::from(h.length).clamp(8, d.len());
    Ok((h, &d[8..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_clips() {
        let d = [0x11, 0x94, 0, 53, 0, 10, 0, 0, 1, 2, 3, 4];
        let (h, p) = parse(&d).unwrap();
        assert_eq!((h.src_port, h.dst_port, h.length), (4500, 53, 10));
        assert_eq!(p, [1, 2]);
        assert_eq!(parse(&d[..7]), Err(UdpError::Truncated(7)));
    }
}
