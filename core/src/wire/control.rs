//! KMP 303 client control messages (spec/oncp.md §5): the MTU report and
//! ESP enable/disable. Each is one group 6 holding one attribute.

use alloc::vec::Vec;

use super::error::{WireError, WireErrorKind};
use super::kmp::{KmpMessage, KmpType, Sender};
use super::tlv::{Group, emit_groups, parse_groups};

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

    /// Parses a KMP 303 payload into its controls, in order. Unknown
    /// attributes are an error (none are known to exist).
    pub fn parse_payload(payload: &[u8]) -> Result<Vec<Control>, WireError> {
        let groups = parse_groups(payload, 0)?;
        let mut out = Vec::new();
        for g in &groups {
            if g.id != 6 {
                return Err(WireError::new(
                    0,
                    WireErrorKind::GroupNotAllowed {
                        group: g.id,
                        kmp: KmpType::CONTROL,
                    },
                ));
            }
            for a in &g.attrs {
                let bad = |expected| {
                    WireError::new(
                        0,
                        WireErrorKind::TlvLength {
                            group: 6,
                            attr: a.id,
                            length: a.value.len(),
                            expected,
                        },
                    )
                };
                match a.id {
                    1 => match a.value.as_slice() {
                        [v] => out.push(Control::Esp(*v != 0)),
                        _ => return Err(bad(1)),
                    },
                    2 => {
                        let b: [u8; 4] = a.value.as_slice().try_into().map_err(|_| bad(4))?;
                        out.push(Control::Mtu(u32::from_be_bytes(b)));
                    }
                    _ => {
                        return Err(WireError::new(
                            0,
                            WireErrorKind::BadKmpPayload {
                                kmp: KmpType::CONTROL,
                                problem: "unknown control attribute",
                            },
                        ));
                    }
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::record::encode_record;

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
