//! A checked view of an ESP packet's header (spec/oncp.md §7.2), in the
//! style of smoltcp's `wire` module. The fields are unauthenticated until
//! an SA's ICV check passes; they only pick the SA and the replay slot.

use super::algorithm::BLOCK_LEN;
use super::error::EspError;

/// SPI and sequence number.
pub const ESP_FIXED_LEN: usize = 8;

/// A view of an ESP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EspPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EspPacket<T> {
    /// Wraps `buffer` without checking (accessors may panic until
    /// [`check_len`](Self::check_len) passed).
    pub const fn new_unchecked(buffer: T) -> Self {
        EspPacket { buffer }
    }

    /// Wraps `buffer` after [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Self, EspError> {
        let p = Self::new_unchecked(buffer);
        p.check_len()?;
        Ok(p)
    }

    /// SPI and sequence number are present.
    pub fn check_len(&self) -> Result<(), EspError> {
        let len = self.buffer.as_ref().len();
        if len < ESP_FIXED_LEN {
            return Err(EspError::TooShort(len));
        }
        Ok(())
    }

    /// The wrapped buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }
    /// The SPI.
    pub fn spi(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
    /// The sequence number.
    pub fn seq(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[4], b[5], b[6], b[7]])
    }
    /// The IV, if the packet is long enough to hold one.
    pub fn iv(&self) -> Option<&[u8]> {
        self.buffer
            .as_ref()
            .get(ESP_FIXED_LEN..ESP_FIXED_LEN + BLOCK_LEN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_only_after_the_length_check() {
        let d = [0, 0, 0x12, 0x34, 0, 0, 0, 9, 1, 2];
        let p = EspPacket::new_checked(&d[..]).unwrap();
        assert_eq!((p.spi(), p.seq()), (0x1234, 9));
        assert_eq!(p.iv(), None);
        assert_eq!(EspPacket::new_checked(&d[..7]), Err(EspError::TooShort(7)));
        let long = [7u8; 40];
        assert_eq!(
            EspPacket::new_checked(&long[..]).unwrap().iv(),
            Some(&long[8..24])
        );
    }
}
