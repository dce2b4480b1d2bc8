//! KMP 303 client control messages (spec/oncp.md §5): the MTU report and
//! ESP enable/disable. Each is one group 6 holding one attribute.

use alloc::vec::Vec;

use super::error::{WireError, WireErrorKind};
use super::kmp::{KMP_HEADER_LEN, KmpMessage, Sender};
use super::kmp_type::KmpType;
use super::tlv::{Group, TlvEvent, emit_groups, walk};

/// A client control message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Control {
    /// 6/2: the tunnel MTU as the client understood it.
    Mtu(u32),
    /// 6/1: ESP enabled (`true`, value 1) or disabled (`false`, value 0).
    Esp(bool),
}

impl Control {
    /// The KMP 303 carrying this control.
    pub fn to_message(self) -> KmpMessage {
        let g = match self {
            Control::Mtu(m) => Group::new(6).with(2, &m.to_be_bytes()),
            Control::Esp(on) => Group::new(6).with(1, &[on as u8]),
        };
        let mut payload = Vec::new();
        emit_groups(&[g], &mut payload);
        KmpMessage::new(KmpType::CONTROL, Sender::Client, payload)
            .expect("small control payload fits")
    }

    /// Parses a KMP 303 payload into its controls, in order. Only group 6
    /// with attributes 1 (length 1) and 2 (length 4) is known; anything
    /// else is an error naming the group or TLV (offsets within `payload`).
    pub fn parse_payload(payload: &[u8]) -> Result<Vec<Control>, WireError> {
        let mut out = Vec::new();
        walk(payload, 0, |ev| {
            let a = match ev {
                TlvEvent::Group { id: 6, .. } => return Ok(()),
                TlvEvent::Group { id, offset, .. } => {
                    return Err(WireError::new(
                        offset,
                        WireErrorKind::GroupNotAllowed {
                            group: id,
                            kmp: KmpType::CONTROL,
                        },
                    ));
                }
                TlvEvent::Attribute(a) => a,
            };
            let bad = |expected| {
                WireError::new(
                    a.offset,
                    WireErrorKind::TlvLength {
                        group: 6,
                        attr: a.attr,
                        length: a.value.len(),
                        expected,
                    },
                )
            };
            match a.attr {
                1 => match a.value {
                    [v] => out.push(Control::Esp(*v != 0)),
                    _ => return Err(bad(1)),
                },
                2 => {
                    let b: [u8; 4] = a.value.try_into().map_err(|_| bad(4))?;
                    out.push(Control::Mtu(u32::from_be_bytes(b)));
                }
                attr => {
                    return Err(WireError::new(
                        a.offset,
                        WireErrorKind::UnknownTlv { group: 6, attr },
                    ));
                }
            }
            Ok(())
        })
        .map_err(|e| e.in_kmp(KmpType::CONTROL))?;
        Ok(out)
    }

    /// Parses a whole KMP 303 message (its type must be 303).
    pub fn parse_message(message: &KmpMessage) -> Result<Vec<Control>, WireError> {
        if message.kmp_type() != KmpType::CONTROL {
            return Err(WireError::new(
                6,
                WireErrorKind::UnexpectedKmpType(message.kmp_type()),
            ));
        }
        Self::parse_payload(&message.payload).map_err(|e| e.shifted(KMP_HEADER_LEN as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oncp::wire::record::encode_record;

    #[test]
    fn esp_enable_matches_spec_5() {
        let rec = encode_record(&Control::Esp(true).to_message().to_vec());
        let expected = [
            0x21, 0, 0, 0, 0, 0, 0, 0, 1, 0x2f, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x0d, 0, 6, 0, 0,
            0, 7, 0, 1, 0, 0, 0, 1, 1,
        ];
        assert_eq!(rec, expected);
        let off = Control::Esp(false).to_message().to_vec();
        assert_eq!(off.last(), Some(&0));
        assert_eq!(
            Control::parse_payload(&expected[22..]).unwrap(),
            [Control::Esp(true)]
        );
    }

    #[test]
    fn mtu_round_trip_and_bad_lengths() {
        let m = Control::Mtu(1400).to_message();
        assert_eq!(
            Control::parse_payload(&m.payload).unwrap(),
            [Control::Mtu(1400)]
        );
        let mut p = Vec::new();
        emit_groups(&[Group::new(6).with(2, &[1, 2])], &mut p);
        assert!(matches!(
            Control::parse_payload(&p).unwrap_err().kind,
            WireErrorKind::TlvLength {
                group: 6,
                attr: 2,
                ..
            }
        ));
    }
}
