//! The generic group/attribute TLV encoding of KMP 301 and 302 payloads
//! (spec/oncp.md §4.1): BE16 id, BE32 length, value; groups contain
//! attributes. Unknown TLVs are kept, in order.

use alloc::vec::Vec;
use core::fmt;

use nom::Parser;
use nom::bytes::complete::take;
use nom::number::complete::{be_u16, be_u32};

use super::error::{WireError, WireErrorKind};
use super::parse::{PResult, run};

/// Length of a group or attribute header.
pub const TLV_HEADER_LEN: usize = 6;

/// Whether TLV `group`/`attr` carries key material (7/2, the ESP secrets),
/// which `Debug` output never shows.
pub(crate) const fn is_secret(group: u16, attr: u16) -> bool {
    group == 7 && attr == 2
}

/// `Debug` of a value: the bytes, or only their count for a secret.
pub(crate) struct ValueDebug<'a> {
    /// The value.
    pub value: &'a [u8],
    /// Whether to hide it.
    pub secret: bool,
}

impl fmt::Debug for ValueDebug<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secret {
            write!(f, "<{} secret bytes>", self.value.len())
        } else {
            write!(f, "{:02x?}", self.value)
        }
    }
}

/// One attribute inside a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Attribute number within its group.
    pub id: u16,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// A group of attributes, in wire order.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// Group number.
    pub id: u16,
    /// The attributes, in wire order.
    pub attrs: Vec<Attribute>,
}

impl fmt::Debug for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Attributes as `id: value`, with the ESP secrets (7/2) hidden.
        write!(f, "Group {} ", self.id)?;
        let mut m = f.debug_map();
        for a in &self.attrs {
            m.entry(
                &a.id,
                &ValueDebug {
                    value: &a.value,
                    secret: is_secret(self.id, a.id),
                },
            );
        }
        m.finish()
    }
}

impl Group {
    /// An empty group `id`.
    pub fn new(id: u16) -> Self {
        Group {
            id,
            attrs: Vec::new(),
        }
    }

    /// Appends attribute `id` with `value`; returns `self` for chaining.
    pub fn with(mut self, id: u16, value: &[u8]) -> Self {
        self.attrs.push(Attribute {
            id,
            value: value.to_vec(),
        });
        self
    }

    /// Bytes of the group's attributes (without the group header).
    pub fn body_len(&self) -> usize {
        self.attrs
            .iter()
            .map(|a| TLV_HEADER_LEN + a.value.len())
            .sum()
    }
}

/// One attribute seen in place: a borrowed view with its position.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlvRef<'a> {
    /// Group number.
    pub group: u16,
    /// Attribute number.
    pub attr: u16,
    /// Offset of the attribute's header (with the caller's `base` added).
    pub offset: u64,
    /// The value bytes.
    pub value: &'a [u8],
}

impl fmt::Debug for TlvRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlvRef")
            .field("group", &self.group)
            .field("attr", &self.attr)
            .field("offset", &self.offset)
            .field(
                "value",
                &ValueDebug {
                    value: self.value,
                    secret: is_secret(self.group, self.attr),
                },
            )
            .finish()
    }
}

/// One step of a [`walk`]: a group header or an attribute inside the last
/// group reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TlvEvent<'a> {
    /// A group header.
    Group {
        /// Group number.
        id: u16,
        /// Offset of the group header (with the caller's `base` added).
        offset: u64,
        /// Length of the group's body.
        length: u32,
    },
    /// An attribute of the group reported last.
    Attribute(TlvRef<'a>),
}

/// Walks a sequence of groups filling all of `buf` and calls `visit` for
/// each group header and each attribute, in wire order. Nothing is
/// allocated; `visit` may stop the walk by returning an error.
///
/// `base` is added to offsets (the position of `buf` in the caller's
/// message). Errors: a group or attribute header cut short
/// ([`WireErrorKind::Truncated`]), a group running past `buf` or an
/// attribute running past its group ([`WireErrorKind::TlvOverrun`]).
pub fn walk<'a>(
    buf: &'a [u8],
    base: u64,
    mut visit: impl FnMut(TlvEvent<'a>) -> Result<(), WireError>,
) -> Result<(), WireError> {
    let mut rest = buf;
    while !rest.is_empty() {
        let goff = base + (buf.len() - rest.len()) as u64;
        let ((gid, body), after) = tlv(rest, goff, "group header", 0)?;
        visit(TlvEvent::Group {
            id: gid,
            offset: goff,
            length: body.len() as u32,
        })?;
        let mut arest = body;
        while !arest.is_empty() {
            let aoff = goff + (TLV_HEADER_LEN + body.len() - arest.len()) as u64;
            let ((aid, value), after_attr) = tlv(arest, aoff, "attribute header", gid)?;
            visit(TlvEvent::Attribute(TlvRef {
                group: gid,
                attr: aid,
                offset: aoff,
                value,
            }))?;
            arest = after_attr;
        }
        rest = after;
    }
    Ok(())
}

/// Parses one TLV (header and value) at the start of `input`, which sits at
/// offset `off`. `group` is the enclosing group for an attribute, 0 when
/// `input` holds groups.
#[allow(clippy::type_complexity)]
fn tlv<'a>(
    input: &'a [u8],
    off: u64,
    what: &'static str,
    group: u16,
) -> Result<((u16, &'a [u8]), &'a [u8]), WireError> {
    if input.len() < TLV_HEADER_LEN {
        return Err(WireError::new(
            off + input.len() as u64,
            WireErrorKind::Truncated {
                what,
                needed: TLV_HEADER_LEN - input.len(),
            },
        ));
    }
    let length = u32::from_be_bytes([input[2], input[3], input[4], input[5]]);
    let id = u16::from_be_bytes([input[0], input[1]]);
    run(input, off, what, tlv_fields, || {
        let (group, attr) = if what == "group header" {
            (id, 0)
        } else {
            (group, id)
        };
        WireErrorKind::TlvOverrun {
            group,
            attr,
            length,
        }
    })
    .map_err(|e| WireError { offset: off, ..e })
}

/// nom parser of a TLV: BE16 id, BE32 length, that many value bytes.
fn tlv_fields(input: &[u8]) -> PResult<'_, (u16, &[u8])> {
    let (input, (id, length)) = (be_u16, be_u32).parse(input)?;
    let (input, value) = take(length as usize)(input)?;
    Ok((input, (id, value)))
}

/// Parses a sequence of groups filling all of `buf` into owned groups.
///
/// `base` is added to error offsets (the position of `buf` in the
/// caller's message). Errors as for [`walk`].
pub fn parse_groups(buf: &[u8], base: u64) -> Result<Vec<Group>, WireError> {
    parse_groups_with(buf, base, |_| Ok(()))
}

/// [`parse_groups`] that first shows `visit` each group header and
/// attribute, in wire order, so a caller can check or interpret them in
/// the same walk; an error from `visit` stops the walk and is returned.
pub(crate) fn parse_groups_with<'a>(
    buf: &'a [u8],
    base: u64,
    mut visit: impl FnMut(TlvEvent<'a>) -> Result<(), WireError>,
) -> Result<Vec<Group>, WireError> {
    let mut groups: Vec<Group> = Vec::new();
    walk(buf, base, |ev| {
        visit(ev)?;
        match ev {
            TlvEvent::Group { id, .. } => groups.push(Group::new(id)),
            TlvEvent::Attribute(a) => {
                if let Some(g) = groups.last_mut() {
                    g.attrs.push(Attribute {
                        id: a.attr,
                        value: a.value.to_vec(),
                    });
                }
            }
        }
        Ok(())
    })?;
    Ok(groups)
}

/// Total encoded length of `groups`.
pub fn groups_len(groups: &[Group]) -> usize {
    groups.iter().map(|g| TLV_HEADER_LEN + g.body_len()).sum()
}

/// Appends the encoding of `groups` to `out`.
pub fn emit_groups(groups: &[Group], out: &mut Vec<u8>) {
    for g in groups {
        out.extend_from_slice(&g.id.to_be_bytes());
        out.extend_from_slice(&(g.body_len() as u32).to_be_bytes());
        for a in &g.attrs {
            out.extend_from_slice(&a.id.to_be_bytes());
            out.extend_from_slice(&(a.value.len() as u32).to_be_bytes());
            out.extend_from_slice(&a.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn round_trip_keeps_order_and_unknowns() {
        let groups = vec![
            Group::new(9).with(7, b"abc").with(1, &[]),
            Group::new(1).with(1, &[10, 0, 0, 1]),
            Group::new(5),
        ];
        let mut bytes = Vec::new();
        emit_groups(&groups, &mut bytes);
        assert_eq!(bytes.len(), groups_len(&groups));
        assert_eq!(parse_groups(&bytes, 0).unwrap(), groups);
    }

    #[test]
    fn overruns_name_the_tlv() {
        // group 3 claims 100 bytes but holds 6
        let bytes = [0, 3, 0, 0, 0, 100, 0, 1, 0, 0, 0, 0];
        let e = parse_groups(&bytes, 10).unwrap_err();
        assert_eq!(e.offset, 10);
        assert_eq!(
            e.kind,
            WireErrorKind::TlvOverrun {
                group: 3,
                attr: 0,
                length: 100
            }
        );
        // attribute 2 of group 4 runs past its group
        let bytes = [0, 4, 0, 0, 0, 7, 0, 2, 0, 0, 0, 5, 1, 0xff, 0xff];
        let e = parse_groups(&bytes, 0).unwrap_err();
        assert_eq!(e.offset, 6);
        assert!(matches!(
            e.kind,
            WireErrorKind::TlvOverrun {
                group: 4,
                attr: 2,
                ..
            }
        ));
        // a header cut short
        assert!(matches!(
            parse_groups(&[0, 1, 0], 0).unwrap_err().kind,
            WireErrorKind::Truncated { .. }
        ));
        // a huge length does not allocate or overflow
        let bytes = [0, 1, 0xff, 0xff, 0xff, 0xff];
        assert!(parse_groups(&bytes, 0).is_err());
    }
}
