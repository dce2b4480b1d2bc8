//! The generic group/attribute TLV encoding of KMP 301 and 302 payloads
//! (spec/oncp.md §4.1): BE16 id, BE32 length, value; groups contain
//! attributes. Unknown TLVs are kept, in order.

use alloc::vec::Vec;

use super::error::{WireError, WireErrorKind};

/// Length of a group or attribute header.
pub const TLV_HEADER_LEN: usize = 6;

/// One attribute inside a group.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attribute {
    /// Attribute number within its group.
    pub id: u16,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// A group of attributes, in wire order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// Group number.
    pub id: u16,
    /// The attributes, in wire order.
    pub attrs: Vec<Attribute>,
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

/// Parses a sequence of groups filling all of `buf`.
///
/// `base` is added to error offsets (the position of `buf` in the
/// caller's message).
pub fn parse_groups(buf: &[u8], base: u64) -> Result<Vec<Group>, WireError> {
    let mut groups = Vec::new();
    let mut pos = 0usize;
    while pos < buf.len() {
        let (gid, glen) = read_header(buf, pos, base, "group header")?;
        let body_start = pos + TLV_HEADER_LEN;
        let body_end = body_start
            .checked_add(glen as usize)
            .filter(|&e| e <= buf.len())
            .ok_or(WireError::new(
                base + pos as u64,
                WireErrorKind::TlvOverrun {
                    group: gid,
                    attr: 0,
                    length: glen,
                },
            ))?;
        let mut group = Group::new(gid);
        let mut apos = body_start;
        while apos < body_end {
            let (aid, alen) = read_header(&buf[..body_end], apos, base, "attribute header")?;
            let vstart = apos + TLV_HEADER_LEN;
            let vend = vstart
                .checked_add(alen as usize)
                .filter(|&e| e <= body_end)
                .ok_or(WireError::new(
                    base + apos as u64,
                    WireErrorKind::TlvOverrun {
                        group: gid,
                        attr: aid,
                        length: alen,
                    },
                ))?;
            group.attrs.push(Attribute {
                id: aid,
                value: buf[vstart..vend].to_vec(),
            });
            apos = vend;
        }
        groups.push(group);
        pos = body_end;
    }
    Ok(groups)
}

fn read_header(
    buf: &[u8],
    pos: usize,
    base: u64,
    what: &'static str,
) -> Result<(u16, u32), WireError> {
    let h = buf.get(pos..pos + TLV_HEADER_LEN).ok_or_else(|| {
        WireError::new(
            base + pos as u64,
            WireErrorKind::Truncated {
                what,
                needed: pos + TLV_HEADER_LEN - buf.len(),
            },
        )
    })?;
    Ok((
        u16::from_be_bytes([h[0], h[1]]),
        u32::from_be_bytes([h[2], h[3], h[4], h[5]]),
    ))
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
