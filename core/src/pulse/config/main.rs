//! The main configuration message (spec/pulse.md §5.3, §5.4), kept raw:
//! the kind (0x2c20f000 or 0x2e20f000), the extra attribute blocks of the
//! latter, the IPv4 route ranges and the attributes. Parsing enforces the
//! length rules OpenConnect 9.10+ enforces; emitting a parsed message
//! reproduces its bytes.

use alloc::vec::Vec;
use core::net::Ipv4Addr;

use super::super::error::{PulseError, PulseErrorKind};
use super::super::ift::{HEADER_LEN, IftMessage, MessageType};
use super::super::parse::{be16, be32};
use super::attr::{Attribute, parse_attributes};
use super::header::{COMMON_LEN, ConfigKind, join_common, split_common};

/// Route entry kind word: split include.
pub const ROUTE_INCLUDE: u32 = 0x0700_0010;
/// Route entry kind word: split exclude.
pub const ROUTE_EXCLUDE: u32 = 0xf100_0010;
/// The `03 00 00 00` word of attribute blocks (meaning unknown).
const ATTR_MAGIC: u32 = 0x0300_0000;
/// Flag of the extra block that ends the extra blocks.
pub const LAST_EXTRA_FLAG: u16 = 0x2c00;

/// One IPv4 route range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RouteRange {
    /// Split exclude (else include).
    pub exclude: bool,
    /// First address.
    pub first: Ipv4Addr,
    /// Last address.
    pub last: Ipv4Addr,
}

/// An extra attribute block of a 0x2e20f000 message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExtraBlock {
    /// The BE16 flag (0x2e00, then 0x2c00 for the last).
    pub flag: u16,
    /// Its attributes (0x4025, 0x4026 seen).
    pub attrs: Vec<Attribute>,
}

/// A main configuration message, raw.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MainConfig {
    /// [`ConfigKind::MAIN`] or [`ConfigKind::MAIN_EXTENDED`].
    pub kind: ConfigKind,
    /// Extra blocks (0x2e20f000 only; the last has flag 0x2c00).
    pub extra: Vec<ExtraBlock>,
    /// IPv4 route ranges in order.
    pub routes: Vec<RouteRange>,
    /// Attributes in order.
    pub attrs: Vec<Attribute>,
}

fn cfg(at: usize, p: &'static str) -> PulseError {
    PulseError::new(
        (HEADER_LEN + COMMON_LEN + at) as u64,
        PulseErrorKind::Config(p),
    )
}

impl MainConfig {
    /// Parses the value of a Juniper type 1 message of a main kind.
    pub fn parse(value: &[u8]) -> Result<MainConfig, PulseError> {
        let (kind, body) = split_common(value)?;
        if kind != ConfigKind::MAIN && kind != ConfigKind::MAIN_EXTENDED {
            return Err(PulseError::new(
                (HEADER_LEN + 16) as u64,
                PulseErrorKind::Config("not a main configuration kind"),
            ));
        }
        let mut pos = 0;
        let mut extra = Vec::new();
        if kind == ConfigKind::MAIN_EXTENDED {
            loop {
                let (Some(flag), Some(len)) = (be16(body, pos), be16(body, pos + 2)) else {
                    return Err(cfg(pos, "truncated extra block"));
                };
                let len = len as usize;
                if len < 8 || pos + len > body.len() {
                    return Err(cfg(pos + 2, "bad extra block length"));
                }
                if be32(body, pos + 4) != Some(ATTR_MAGIC) {
                    return Err(cfg(pos + 4, "extra block without 03 00 00 00"));
                }
                let attrs = parse_attributes(&body[pos + 8..pos + len])
                    .map_err(|e| e.shifted((HEADER_LEN + COMMON_LEN + pos + 8) as u64))?;
                extra.push(ExtraBlock { flag, attrs });
                pos += len;
                if flag == LAST_EXTRA_FLAG {
                    break;
                }
            }
        }
        // Route block.
        if be16(body, pos) != Some(0x2e00) {
            return Err(cfg(pos, "route block does not start with 2e 00"));
        }
        let rlen = be16(body, pos + 2).unwrap_or(0) as usize;
        let count = u32::from_le_bytes(
            body.get(pos + 4..pos + 8)
                .and_then(|b| b.try_into().ok())
                .ok_or(cfg(pos, "truncated route block"))?,
        ) as usize;
        if rlen < 8 || !(rlen - 8).is_multiple_of(16) || (rlen - 8) / 16 != count {
            return Err(cfg(pos + 2, "route block length does not match its count"));
        }
        if pos + rlen > body.len() {
            return Err(cfg(pos + 2, "route block runs past the message"));
        }
        let mut routes = Vec::with_capacity(count);
        for e in body[pos + 8..pos + rlen].chunks_exact(16) {
            let at = pos + 8 + 16 * routes.len();
            let exclude = match be32(e, 0) {
                Some(ROUTE_INCLUDE) => false,
                Some(ROUTE_EXCLUDE) => true,
                _ => return Err(cfg(at, "unknown route kind")),
            };
            if be32(e, 4) != Some(0x0000_ffff) {
                return Err(cfg(at + 4, "route entry without 00 00 ff ff"));
            }
            routes.push(RouteRange {
                exclude,
                first: Ipv4Addr::from(be32(e, 8).unwrap_or(0)),
                last: Ipv4Addr::from(be32(e, 12).unwrap_or(0)),
            });
        }
        pos += rlen;
        // Attribute block: its length runs to the end of the message.
        let alen = be32(body, pos).ok_or(cfg(pos, "truncated attribute block"))? as usize;
        if alen != body.len() - pos {
            return Err(cfg(pos, "attribute block length does not reach the end"));
        }
        if alen < 8 || be32(body, pos + 4) != Some(ATTR_MAGIC) {
            return Err(cfg(pos + 4, "attribute block without 03 00 00 00"));
        }
        let attrs = parse_attributes(&body[pos + 8..])
            .map_err(|e| e.shifted((HEADER_LEN + COMMON_LEN + pos + 8) as u64))?;
        Ok(MainConfig {
            kind,
            extra,
            routes,
            attrs,
        })
    }

    /// The body bytes (from message offset 0x2c).
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::new();
        if self.kind == ConfigKind::MAIN_EXTENDED {
            for blk in &self.extra {
                let start = b.len();
                b.extend_from_slice(&blk.flag.to_be_bytes());
                b.extend_from_slice(&[0, 0]);
                b.extend_from_slice(&ATTR_MAGIC.to_be_bytes());
                for a in &blk.attrs {
                    a.emit(&mut b);
                }
                let len = u16::try_from(b.len() - start).unwrap_or(u16::MAX);
                b[start + 2..start + 4].copy_from_slice(&len.to_be_bytes());
            }
        }
        let rlen = 8 + 16 * self.routes.len();
        b.extend_from_slice(&0x2e00u16.to_be_bytes());
        b.extend_from_slice(&u16::try_from(rlen).unwrap_or(u16::MAX).to_be_bytes());
        b.extend_from_slice(&(self.routes.len() as u32).to_le_bytes());
        for r in &self.routes {
            let k = if r.exclude {
                ROUTE_EXCLUDE
            } else {
                ROUTE_INCLUDE
            };
            b.extend_from_slice(&k.to_be_bytes());
            b.extend_from_slice(&0x0000_ffffu32.to_be_bytes());
            b.extend_from_slice(&r.first.octets());
            b.extend_from_slice(&r.last.octets());
        }
        let start = b.len();
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&ATTR_MAGIC.to_be_bytes());
        for a in &self.attrs {
            a.emit(&mut b);
        }
        let alen = (b.len() - start) as u32;
        b[start..start + 4].copy_from_slice(&alen.to_be_bytes());
        b
    }

    /// The value of the Juniper type 1 message.
    pub fn to_value(&self) -> Vec<u8> {
        join_common(self.kind, &self.body())
    }

    /// The Juniper type 1 message with identifier `id`.
    pub fn to_message(&self, id: u32) -> IftMessage {
        IftMessage::new(MessageType::CONFIG, id, self.to_value())
    }
}
