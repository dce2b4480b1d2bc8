//! ESP key messages (spec/oncp.md §6): the client's KMP 302 carrying its
//! inbound SPI and secrets ([`EspKeys`], fixed 106-byte layout), and the
//! gateway's KMP 302 rekey ([`ServerRekey`]: a configuration restricted to
//! groups 7 and 8).

use alloc::vec::Vec;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::config::{Config, ConfigValues, EspSettings};
use super::error::{WireError, WireErrorKind};
use super::kmp::{KMP_HEADER_LEN, KmpMessage, Sender};
use super::kmp_type::KmpType;
use super::tlv::{Group, emit_groups};

/// An SPI with its 64-byte secrets block (encryption key ‖ HMAC key ‖
/// filler, spec §6.2). Zeroed when dropped.
#[derive(Clone, PartialEq, Eq, Hash, Zeroize, ZeroizeOnDrop)]
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

    /// Parses the payload of a client KMP 302: group 7 with 7/1 and 7/2
    /// (the fixed 86-byte layout of §6.1, read leniently as TLVs: the order
    /// of the attributes and an extra group 8 are accepted). Offsets are
    /// within `payload`.
    pub fn parse_client_payload(payload: &[u8]) -> Result<EspKeys, WireError> {
        let cfg = Config::parse_rekey(payload)?;
        Self::from_settings(&cfg.values().esp).map_err(|e| e.in_kmp(KmpType::ESP_KEYS))
    }

    /// Parses a whole client KMP 302 message (its type must be 302).
    pub fn parse_client_message(message: &KmpMessage) -> Result<EspKeys, WireError> {
        expect_esp_keys(message)?;
        Self::parse_client_payload(&message.payload).map_err(|e| e.shifted(KMP_HEADER_LEN as u64))
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

/// Checks that `message` is a KMP 302.
fn expect_esp_keys(message: &KmpMessage) -> Result<(), WireError> {
    if message.kmp_type() == KmpType::ESP_KEYS {
        Ok(())
    } else {
        Err(WireError::new(
            6,
            WireErrorKind::UnexpectedKmpType(message.kmp_type()),
        ))
    }
}

/// The gateway's KMP 302 rekey (spec §6.3): new outbound SPI and secrets
/// (group 7) and optionally the algorithms and other ESP settings
/// (group 8).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServerRekey {
    /// The groups as received (or built), for byte-exact re-emission.
    config: Config,
}

impl core::fmt::Debug for ServerRekey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let esp = &self.config.values().esp;
        // Secrets are never printed.
        f.debug_struct("ServerRekey")
            .field("spi", &esp.spi)
            .field("cipher", &esp.cipher)
            .field("mac", &esp.mac)
            .finish_non_exhaustive()
    }
}

impl ServerRekey {
    /// A rekey carrying `esp` (groups 7 and 8 built from it; a setting left
    /// `None` is not sent).
    pub fn new(esp: EspSettings) -> Self {
        ServerRekey {
            config: Config::from_values(ConfigValues {
                esp,
                ..ConfigValues::default()
            }),
        }
    }

    /// Parses the payload of a server KMP 302: only groups 7 and 8, the new
    /// SPI (7/1) and secrets (7/2) required. Offsets are within `payload`.
    pub fn parse_payload(payload: &[u8]) -> Result<Self, WireError> {
        let config = Config::parse_rekey(payload)?;
        EspKeys::from_settings(&config.values().esp).map_err(|e| e.in_kmp(KmpType::ESP_KEYS))?;
        Ok(ServerRekey { config })
    }

    /// Parses a whole server KMP 302 message (its type must be 302).
    pub fn parse_message(message: &KmpMessage) -> Result<Self, WireError> {
        expect_esp_keys(message)?;
        Self::parse_payload(&message.payload).map_err(|e| e.shifted(KMP_HEADER_LEN as u64))
    }

    /// The ESP settings (groups 7 and 8) it carries.
    pub fn esp(&self) -> &EspSettings {
        &self.config.values().esp
    }

    /// The new outbound SPI and secrets, if both are present (always so for
    /// a parsed rekey).
    pub fn keys(&self) -> Result<EspKeys, WireError> {
        EspKeys::from_settings(self.esp())
    }

    /// The TLVs it carries, in wire order (unknown group 7/8 attributes
    /// included).
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The KMP 302 message, sent by the gateway.
    pub fn to_message(&self) -> Result<KmpMessage, WireError> {
        self.config.to_message(KmpType::ESP_KEYS)
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
    fn key_holders_zeroize_on_drop() {
        fn zeroed_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroed_on_drop::<EspKeys>();
        zeroed_on_drop::<EspSettings>();
        zeroed_on_drop::<Config>();
        zeroed_on_drop::<KmpMessage>();
        zeroed_on_drop::<crate::oncp::wire::http::TunnelRequest>();
        zeroed_on_drop::<crate::esp::SaParams>();
        let mut k = EspKeys {
            spi: 7,
            secrets: [0xa5; 64],
        };
        k.zeroize();
        assert_eq!((k.spi, k.secrets), (0, [0; 64]));
    }

    #[test]
    fn missing_secret_is_named() {
        let mut p = Vec::new();
        emit_groups(&[Group::new(7).with(1, &[1, 2, 3, 4])], &mut p);
        let e = EspKeys::parse_client_payload(&p).unwrap_err();
        assert_eq!(e.kind, WireErrorKind::MissingTlv { group: 7, attr: 2 });
    }
}
