//! ESP key messages (spec/oncp.md §6): the client's KMP 302 carrying its
//! inbound SPI and secrets. The server's 302 (rekey) is a configuration
//! restricted to groups 7 and 8: see [`super::Config::parse_rekey`].

use alloc::vec::Vec;

use super::config::EspSettings;
use super::error::{WireError, WireErrorKind};
use super::kmp::{KmpMessage, KmpType, Sender};
use super::tlv::{Group, emit_groups};

/// An SPI with its 64-byte secrets block (encryption key ‖ HMAC key ‖
/// filler, spec §6.2).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct EspKeys {
    /// The SPI, as a number (sent in network order).
    pub spi: u32,
    /// The secrets block.
    pub secrets: [u8; 64],
}

impl core::fmt::Debug for EspKeys {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Secrets are never printed.
        f.debug_struct("EspKeys")
            .field("spi", &format_args!("{:#010x}", self.spi))
            .finish_non_exhaustive()
    }
}

/// Payload length of the client's KMP 302 (spec §6.1).
pub const CLIENT_KEYS_PAYLOAD_LEN: usize = 86;

impl EspKeys {
    /// The client's KMP 302 announcing these keys (106 bytes on the wire).
    pub fn to_client_message(&self) -> KmpMessage {
        let mut payload = Vec::with_capacity(CLIENT_KEYS_PAYLOAD_LEN);
        let g = Group::new(7)
            .with(1, &self.spi.to_be_bytes())
            .with(2, &self.secrets);
        emit_groups(&[g], &mut payload);
        KmpMessage::new(KmpType::ESP_KEYS, Sender::Client, payload)
            .expect("86-byte payload fits a KMP message")
    }

    /// Parses the payload of a client KMP 302: group 7 with 7/1 and 7/2.
    pub fn parse_client_payload(payload: &[u8]) -> Result<EspKeys, WireError> {
        let cfg = super::Config::parse_rekey(payload)?;
        Self::from_settings(&cfg.values().esp)
    }

    /// The SPI and secrets of `esp`, if both are present.
    pub fn from_settings(esp: &EspSettings) -> Result<EspKeys, WireError> {
        let spi = esp.spi.ok_or(WireError::new(
            0,
            WireErrorKind::MissingTlv { group: 7, attr: 1 },
        ))?;
        let secrets = esp.secrets.ok_or(WireError::new(
            0,
            WireErrorKind::MissingTlv { group: 7, attr: 2 },
        ))?;
        Ok(EspKeys { spi, secrets })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_302_layout_matches_spec_6_1() {
        let mut secrets = [0u8; 64];
        for (i, b) in secrets.iter_mut().enumerate().take(16) {
            *b = 0x40 + i as u8;
        }
        let k = EspKeys {
            spi: 0xa1b2c3d4,
            secrets,
        };
        let bytes = k.to_client_message().to_vec();
        assert_eq!(bytes.len(), 106);
        assert_eq!(
            &bytes[..20],
            &[
                0, 0, 0, 0, 0, 0, 1, 0x2e, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x56
            ]
        );
        assert_eq!(&bytes[20..32], &[0, 7, 0, 0, 0, 0x50, 0, 1, 0, 0, 0, 4]);
        assert_eq!(&bytes[32..36], &[0xa1, 0xb2, 0xc3, 0xd4]);
        assert_eq!(&bytes[36..42], &[0, 2, 0, 0, 0, 0x40]);
        assert_eq!(EspKeys::parse_client_payload(&bytes[20..]).unwrap(), k);
        assert!(!alloc::format!("{k:?}").contains("40"));
    }

    #[test]
    fn missing_secret_is_named() {
        let mut p = Vec::new();
        emit_groups(&[Group::new(7).with(1, &[1, 2, 3, 4])], &mut p);
        let e = EspKeys::parse_client_payload(&p).unwrap_err();
        assert_eq!(e.kind, WireErrorKind::MissingTlv { group: 7, attr: 2 });
    }
}
