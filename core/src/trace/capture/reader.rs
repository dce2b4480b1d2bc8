//! The streaming capture reader.

use alloc::vec::Vec;
use core::ops::Range;

use super::pcap::{self, FILE_HEADER_LEN, PcapHeader, RECORD_HEADER_LEN};
use super::pcapng::{self, Interface, Resolution};
use super::{CaptureError, Endian, LinkType, SECRETS_TLS_KEYLOG};

/// Limits of the capture reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaptureLimits {
    /// The largest block or packet record buffered (bytes).
    pub max_block: u32,
    /// The most interfaces one pcapng section may declare.
    pub max_interfaces: usize,
}

impl Default for CaptureLimits {
    fn default() -> Self {
        CaptureLimits {
            max_block: 16 << 20,
            max_interfaces: 1024,
        }
    }
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Interface index (0 for pcap).
    pub interface: u32,
    /// The interface's link type.
    pub link_type: LinkType,
    /// Capture time in µs since the epoch (`None` for simple packet blocks).
    pub time_us: Option<u64>,
    /// The captured bytes.
    pub data: &'a [u8],
    /// The packet's length on the wire.
    pub original_len: u32,
    /// The record or block in the file.
    pub source: Range<u64>,
}

/// What the reader found next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaptureItem<'a> {
    /// A pcap file header or a pcapng section header.
    Format {
        /// `pcap` or `pcapng`.
        format: &'static str,
        /// The file or section is big-endian.
        big_endian: bool,
        /// pcap only: nanosecond timestamps.
        nanosecond: bool,
        /// pcap only: the link type of every packet.
        link_type: Option<LinkType>,
        /// The header in the file.
        source: Range<u64>,
    },
    /// A pcapng interface description.
    Interface {
        /// Its index in the section.
        id: u32,
        /// Its link type.
        link_type: LinkType,
        /// Its snap length.
        snaplen: u32,
        /// The block in the file.
        source: Range<u64>,
    },
    /// A packet.
    Packet(Packet<'a>),
    /// A decryption secrets block carrying a TLS key log.
    KeyLog {
        /// The key log text.
        text: &'a [u8],
        /// The block in the file.
        source: Range<u64>,
    },
    /// A block of a type we do not use (or secrets of another type), skipped.
    Skipped {
        /// The block type.
        block_type: u32,
        /// The block in the file.
        source: Range<u64>,
    },
    /// A problem. After fatal ones ([`CaptureReader::is_stopped`]) nothing
    /// more is read.
    Error(CaptureError),
}

#[derive(Debug)]
enum State {
    Start,
    Pcap(PcapHeader),
    PcapNg(Option<Section>),
    Stopped,
}

#[derive(Debug)]
struct Section {
    endian: Endian,
    interfaces: Vec<Interface>,
}

/// Streaming pcap/pcapng reader: push chunks, take items.
#[derive(Debug)]
pub struct CaptureReader {
    limits: CaptureLimits,
    state: State,
    buf: Vec<u8>,
    /// Position in `buf` of the next unread byte.
    pos: usize,
    /// File offset of `buf[0]`.
    base: u64,
}

impl Default for CaptureReader {
    fn default() -> Self {
        Self::new(CaptureLimits::default())
    }
}

impl CaptureReader {
    /// A reader with these limits.
    pub fn new(limits: CaptureLimits) -> Self {
        CaptureReader {
            limits,
            state: State::Start,
            buf: Vec::new(),
            pos: 0,
            base: 0,
        }
    }

    /// Appends the next chunk of the file.
    pub fn push(&mut self, chunk: &[u8]) {
        if matches!(self.state, State::Stopped) {
            return;
        }
        if self.pos > 0 && (self.pos >= self.buf.len() / 2 || self.pos > 1 << 16) {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// Whether a fatal error stopped the reader.
    pub fn is_stopped(&self) -> bool {
        matches!(self.state, State::Stopped)
    }

    /// The file offset of the next unread byte.
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Call at the end of the file: reports bytes left of an incomplete
    /// header, record or block.
    pub fn finish(&mut self) -> Option<CaptureError> {
        let have = (self.buf.len() - self.pos) as u64;
        let offset = self.offset();
        let (what, need) = match &self.state {
            State::Stopped => return None,
            State::Start => {
                if have == 0 {
                    return None;
                }
                ("file header", 4)
            }
            State::Pcap(h) => {
                if have == 0 {
                    return None;
                }
                let need = if have >= RECORD_HEADER_LEN as u64 {
                    let rec = pcap::parse_record_header(h, &self.buf[self.pos..]);
                    RECORD_HEADER_LEN as u64 + u64::from(rec.captured)
                } else {
                    RECORD_HEADER_LEN as u64
                };
                ("packet record", need)
            }
            State::PcapNg(section) => {
                if have == 0 {
                    return None;
                }
                let need = if have >= 8 {
                    let e = section.as_ref().map(|s| s.endian).unwrap_or(Endian::Little);
                    u64::from(e.u32(&self.buf[self.pos..], 4))
                } else {
                    8
                };
                ("block", need)
            }
        };
        self.state = State::Stopped;
        Some(CaptureError::Truncated {
            offset,
            what,
            have,
            need,
        })
    }

    fn stop(&mut self, e: CaptureError) -> Option<CaptureItem<'_>> {
        self.state = State::Stopped;
        self.buf = Vec::new();
        self.pos = 0;
        Some(CaptureItem::Error(e))
    }

    /// The next item, or `None` when more bytes are needed (or the reader
    /// stopped).
    pub fn next_item(&mut self) -> Option<CaptureItem<'_>> {
        let avail = self.buf.len() - self.pos;
        let offset = self.offset();
        match &self.state {
            State::Stopped => None,
            State::Start => {
                if avail < 4 {
                    return None;
                }
                let b = &self.buf[self.pos..];
                let first = [b[0], b[1], b[2], b[3]];
                if pcap::magic(first).is_some() {
                    if avail < FILE_HEADER_LEN {
                        return None;
                    }
                    let h = pcap::parse_header(b)?;
                    self.pos += FILE_HEADER_LEN;
                    self.state = State::Pcap(h);
                    Some(CaptureItem::Format {
                        format: "pcap",
                        big_endian: h.endian == Endian::Big,
                        nanosecond: h.nanosecond,
                        link_type: Some(h.link_type),
                        source: offset..offset + FILE_HEADER_LEN as u64,
                    })
                } else if u32::from_be_bytes(first) == pcapng::SHB {
                    self.state = State::PcapNg(None);
                    self.next_item()
                } else {
                    self.stop(CaptureError::BadMagic {
                        magic: u32::from_be_bytes(first),
                    })
                }
            }
            State::Pcap(h) => {
                let h = *h;
                if avail < RECORD_HEADER_LEN {
                    return None;
                }
                let rec = pcap::parse_record_header(&h, &self.buf[self.pos..]);
                if let Err(e) = pcap::check_record(offset, &rec, self.limits.max_block) {
                    return self.stop(e);
                }
                let total = RECORD_HEADER_LEN + rec.captured as usize;
                if avail < total {
                    return None;
                }
                let start = self.pos + RECORD_HEADER_LEN;
                self.pos += total;
                Some(CaptureItem::Packet(Packet {
                    interface: 0,
                    link_type: h.link_type,
                    time_us: Some(rec.time_us),
                    data: &self.buf[start..self.pos],
                    original_len: rec.original,
                    source: offset..offset + total as u64,
                }))
            }
            State::PcapNg(_) => self.next_block(avail, offset),
        }
    }

    fn next_block(&mut self, avail: usize, offset: u64) -> Option<CaptureItem<'_>> {
        if avail < 8 {
            return None;
        }
        let b = &self.buf[self.pos..];
        let raw_type = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
        let endian = if raw_type == pcapng::SHB {
            if avail < 12 {
                return None;
            }
            match u32::from_be_bytes([b[8], b[9], b[10], b[11]]) {
                pcapng::BYTE_ORDER_MAGIC => Endian::Big,
                0x4D3C_2B1A => Endian::Little,
                magic => return self.stop(CaptureError::BadByteOrderMagic { offset, magic }),
            }
        } else {
            match &self.state {
                State::PcapNg(Some(s)) => s.endian,
                _ => {
                    return self.stop(CaptureError::NoSection {
                        offset,
                        block_type: raw_type,
                    });
                }
            }
        };
        let block_type = endian.u32(b, 0);
        let length = endian.u32(b, 4);
        if length > self.limits.max_block {
            return self.stop(CaptureError::TooLong {
                offset,
                what: "block",
                length: length.into(),
                limit: self.limits.max_block.into(),
            });
        }
        if length < 12 || length % 4 != 0 {
            return self.stop(CaptureError::BadBlockLength {
                offset,
                block_type,
                length,
            });
        }
        let len = length as usize;
        if avail < len {
            return None;
        }
        let trailing = endian.u32(b, len - 4);
        let start = self.pos;
        self.pos += len;
        let source = offset..offset + len as u64;
        if trailing != length {
            // The leading length let us frame the block; a wrong trailer
            // means the framing cannot be trusted.
            return self.stop(CaptureError::LengthMismatch {
                offset,
                block_type,
                length,
                trailing,
            });
        }
        let body = start + 8..start + len - 4;
        match block_type {
            pcapng::SHB => {
                self.state = State::PcapNg(Some(Section {
                    endian,
                    interfaces: Vec::new(),
                }));
                Some(CaptureItem::Format {
                    format: "pcapng",
                    big_endian: endian == Endian::Big,
                    nanosecond: false,
                    link_type: None,
                    source,
                })
            }
            pcapng::IDB => {
                let parsed = pcapng::parse_idb(endian, &self.buf[body], offset);
                let State::PcapNg(Some(section)) = &mut self.state else {
                    return None;
                };
                match parsed {
                    Ok(iface) if section.interfaces.len() < self.limits.max_interfaces => {
                        section.interfaces.push(iface);
                        Some(CaptureItem::Interface {
                            id: (section.interfaces.len() - 1) as u32,
                            link_type: iface.link_type,
                            snaplen: iface.snaplen,
                            source,
                        })
                    }
                    Ok(_) => Some(CaptureItem::Error(CaptureError::TooLong {
                        offset,
                        what: "interface list",
                        length: section.interfaces.len() as u64 + 1,
                        limit: self.limits.max_interfaces as u64,
                    })),
                    Err(e) => {
                        // Keep interface numbering: a placeholder that
                        // decodes nothing.
                        if section.interfaces.len() < self.limits.max_interfaces {
                            section.interfaces.push(Interface {
                                link_type: LinkType(u16::MAX),
                                snaplen: 0,
                                resolution: Resolution::Decimal(6),
                                ts_offset: 0,
                            });
                        }
                        Some(CaptureItem::Error(e))
                    }
                }
            }
            pcapng::EPB | pcapng::PB | pcapng::SPB => {
                let State::PcapNg(Some(section)) = &self.state else {
                    return None;
                };
                let body_bytes = &self.buf[body.clone()];
                let fields = if block_type == pcapng::SPB {
                    let snaplen = section.interfaces.first().map(|i| i.snaplen).unwrap_or(0);
                    pcapng::parse_spb(endian, body_bytes, snaplen, offset)
                } else {
                    pcapng::parse_epb(endian, block_type, body_bytes, offset)
                };
                let fields = match fields {
                    Ok(f) => f,
                    Err(e) => return Some(CaptureItem::Error(e)),
                };
                let Some(iface) = section.interfaces.get(fields.interface as usize) else {
                    return Some(CaptureItem::Error(CaptureError::UnknownInterface {
                        offset,
                        interface: fields.interface,
                    }));
                };
                Some(CaptureItem::Packet(Packet {
                    interface: fields.interface,
                    link_type: iface.link_type,
                    time_us: fields.ts.map(|t| iface.time_us(t)),
                    data: &self.buf[body.start + fields.data.0..body.start + fields.data.1],
                    original_len: fields.original,
                    source,
                }))
            }
            pcapng::DSB => match pcapng::parse_dsb(endian, &self.buf[body.clone()], offset) {
                Ok((SECRETS_TLS_KEYLOG, (a, z))) => Some(CaptureItem::KeyLog {
                    text: &self.buf[body.start + a..body.start + z],
                    source,
                }),
                Ok(_) => Some(CaptureItem::Skipped { block_type, source }),
                Err(e) => Some(CaptureItem::Error(e)),
            },
            _ => Some(CaptureItem::Skipped { block_type, source }),
        }
    }
}
