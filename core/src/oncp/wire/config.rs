//! The configuration carried by KMP 301 (and the ESP part of a server
//! KMP 302): typed values over the ordered TLV groups (spec/oncp.md §4).
//!
//! A [`Config`] keeps the groups exactly as received, so emitting a parsed
//! configuration reproduces it byte for byte, and offers the typed
//! [`ConfigValues`] derived from them. [`Config::from_values`] builds the
//! groups in a canonical order for a gateway.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::Ipv4Addr;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::error::{WireError, WireErrorKind};
use super::kmp::{KmpMessage, Sender};
use super::kmp_type::KmpType;
use super::tlv::{Attribute, Group, TlvEvent, TlvRef, emit_groups, groups_len, parse_groups_with};

pub use crate::esp::{CipherCode, MacCode};

/// An IPv4 route: network address and netmask.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Route {
    /// Network address.
    pub addr: Ipv4Addr,
    /// Netmask.
    pub mask: Ipv4Addr,
}

impl Route {
    /// The route to `addr`/`prefix_len` (a prefix above 32 counts as 32);
    /// host bits of `addr` are kept as given.
    pub fn from_prefix(addr: Ipv4Addr, prefix_len: u8) -> Route {
        let bits = u32::from(prefix_len.min(32));
        let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
        Route {
            addr,
            mask: Ipv4Addr::from(mask),
        }
    }

    /// The prefix length of the mask, if it is contiguous.
    pub fn prefix_len(&self) -> Option<u8> {
        let m = u32::from(self.mask);
        let ones = m.leading_ones();
        (m.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
    }
}

/// A TLV this implementation does not know, kept for display and re-emission.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownTlv {
    /// Group number.
    pub group: u16,
    /// Attribute number.
    pub attr: u16,
    /// The value bytes.
    pub value: Vec<u8>,
}

/// The ESP settings of a configuration (groups 7 and 8). `Debug` hides
/// the secrets; they are zeroed when the settings are dropped.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct EspSettings {
    /// 7/1: SPI of packets the client sends (network order, as a number).
    pub spi: Option<u32>,
    /// 7/2: secrets for client-to-server packets: encryption key ‖ HMAC key
    /// ‖ filler (spec §6.2).
    pub secrets: Option<[u8; 64]>,
    /// 8/1: encryption algorithm.
    pub cipher: Option<CipherCode>,
    /// 8/2: authentication algorithm.
    pub mac: Option<MacCode>,
    /// 8/3: the gateway may send LZO-compressed packets.
    pub compression: Option<bool>,
    /// 8/4: UDP port of the gateway's ESP endpoint.
    pub port: Option<u16>,
    /// 8/5: key lifetime in bytes.
    pub lifetime_bytes: Option<u32>,
    /// 8/6: key lifetime in seconds.
    pub lifetime_secs: Option<u32>,
    /// 8/9: ESP-to-SSL fallback time in seconds (the DPD interval).
    pub fallback_secs: Option<u32>,
    /// 8/10: replay protection enforced.
    pub replay_protection: Option<bool>,
}

/// Typed configuration values (spec §4.2). Repeatable TLVs keep every
/// occurrence in order; for single-valued ones the last occurrence wins.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ConfigValues {
    /// 1/1: the client's internal IPv4 address.
    pub address: Option<Ipv4Addr>,
    /// 1/2: its netmask.
    pub netmask: Option<Ipv4Addr>,
    /// 1/3: "internal gateway" address (informational).
    pub internal_gateway: Option<Ipv4Addr>,
    /// 2/1: DNS servers, in order (clients use the first three).
    pub dns: Vec<Ipv4Addr>,
    /// 2/2: DNS search domain text, as sent.
    pub search_domain: Option<String>,
    /// 3/3: split-include routes.
    pub split_include: Vec<Route>,
    /// 3/4: split-exclude routes.
    pub split_exclude: Vec<Route>,
    /// 4/1: WINS servers, in order.
    pub wins: Vec<Ipv4Addr>,
    /// 6/2: tunnel MTU.
    pub mtu: Option<u32>,
    /// Groups 7 and 8.
    pub esp: EspSettings,
    /// TLVs not listed above, in wire order.
    pub unknown: Vec<UnknownTlv>,
}

impl ConfigValues {
    /// The search domains: the 2/2 text split on `,`, `;` and whitespace.
    pub fn search_domains(&self) -> Vec<&str> {
        self.search_domain
            .as_deref()
            .unwrap_or("")
            .split([',', ';', ' ', '\t'])
            .filter(|s| !s.is_empty())
            .collect()
    }

    /// Groups encoding these values in canonical order (groups 1, 2, 3, 4,
    /// 6, 7, 8, then unknown TLVs added to their group or a new one).
    pub fn to_groups(&self) -> Vec<Group> {
        let mut groups = Vec::new();
        let mut push = |g: Group| {
            if !g.attrs.is_empty() {
                groups.push(g);
            }
        };
        let mut g1 = Group::new(1);
        for (id, v) in [
            (1, self.address),
            (2, self.netmask),
            (3, self.internal_gateway),
        ] {
            if let Some(a) = v {
                g1 = g1.with(id, &a.octets());
            }
        }
        push(g1);
        let mut g2 = Group::new(2);
        for d in &self.dns {
            g2 = g2.with(1, &d.octets());
        }
        if let Some(s) = &self.search_domain {
            g2 = g2.with(2, s.as_bytes());
        }
        push(g2);
        let mut g3 = Group::new(3);
        for (id, routes) in [(3, &self.split_include), (4, &self.split_exclude)] {
            for r in routes {
                let mut v = [0u8; 8];
                v[..4].copy_from_slice(&r.addr.octets());
                v[4..].copy_from_slice(&r.mask.octets());
                g3 = g3.with(id, &v);
            }
        }
        push(g3);
        let mut g4 = Group::new(4);
        for w in &self.wins {
            g4 = g4.with(1, &w.octets());
        }
        push(g4);
        if let Some(m) = self.mtu {
            push(Group::new(6).with(2, &m.to_be_bytes()));
        }
        for g in self.esp.to_groups() {
            push(g);
        }
        for u in &self.unknown {
            match groups.iter_mut().find(|g| g.id == u.group) {
                Some(g) => g.attrs.push(Attribute {
                    id: u.attr,
                    value: u.value.clone(),
                }),
                None => groups.push(Group::new(u.group).with(u.attr, &u.value)),
            }
        }
        groups
    }
}

impl fmt::Debug for EspSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EspSettings")
            .field("spi", &self.spi.map(|s| format!("{s:#010x}")))
            .field("secrets", &self.secrets.map(|_| "<64 secret bytes>"))
            .field("cipher", &self.cipher)
            .field("mac", &self.mac)
            .field("compression", &self.compression)
            .field("port", &self.port)
            .field("lifetime_bytes", &self.lifetime_bytes)
            .field("lifetime_secs", &self.lifetime_secs)
            .field("fallback_secs", &self.fallback_secs)
            .field("replay_protection", &self.replay_protection)
            .finish()
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("values", &self.values)
            .field("groups", &self.groups.len())
            .finish()
    }
}

impl Drop for EspSettings {
    fn drop(&mut self) {
        self.secrets.zeroize();
    }
}

impl ZeroizeOnDrop for EspSettings {}

impl EspSettings {
    /// The SA these settings describe (7/1, 8/1, 8/2, 7/2), through the one
    /// SA bridge of [`crate::esp`].
    pub fn sa_params(&self) -> Result<crate::esp::SaParams, crate::esp::SaError> {
        crate::esp::SaParams::from_settings(self.spi, self.cipher, self.mac, self.secrets.as_ref())
    }

    /// Groups 7 and 8 for these settings (empty groups omitted).
    pub fn to_groups(&self) -> Vec<Group> {
        let mut out = Vec::new();
        let mut g7 = Group::new(7);
        if let Some(spi) = self.spi {
            g7 = g7.with(1, &spi.to_be_bytes());
        }
        if let Some(s) = &self.secrets {
            g7 = g7.with(2, s);
        }
        if !g7.attrs.is_empty() {
            out.push(g7);
        }
        let mut g8 = Group::new(8);
        if let Some(c) = self.cipher {
            g8 = g8.with(1, &[c.0]);
        }
        if let Some(m) = self.mac {
            g8 = g8.with(2, &[m.0]);
        }
        if let Some(c) = self.compression {
            g8 = g8.with(3, &[c as u8]);
        }
        if let Some(p) = self.port {
            g8 = g8.with(4, &p.to_be_bytes());
        }
        for (id, v) in [(5, self.lifetime_bytes), (6, self.lifetime_secs)] {
            if let Some(v) = v {
                g8 = g8.with(id, &v.to_be_bytes());
            }
        }
        if let Some(v) = self.fallback_secs {
            g8 = g8.with(9, &v.to_be_bytes());
        }
        if let Some(r) = self.replay_protection {
            g8 = g8.with(10, &(r as u32).to_be_bytes());
        }
        if !g8.attrs.is_empty() {
            out.push(g8);
        }
        out
    }
}

/// A configuration: the TLV groups as received plus their typed values.
/// `Debug` shows the typed values (secrets hidden). The values of group 7
/// (SPI and secrets) are zeroed when it is dropped.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Config {
    groups: Vec<Group>,
    values: ConfigValues,
}

impl Drop for Config {
    fn drop(&mut self) {
        for g in self.groups.iter_mut().filter(|g| g.id == 7) {
            for a in g.attrs.iter_mut() {
                a.value.zeroize();
            }
        }
    }
}

impl ZeroizeOnDrop for Config {}

impl Config {
    /// Parses the payload of a KMP 301.
    ///
    /// Errors (offsets within `payload`, message type 301): a malformed
    /// TLV structure, or a known TLV with the wrong length
    /// ([`WireErrorKind::TlvLength`] naming it).
    pub fn parse(payload: &[u8]) -> Result<Config, WireError> {
        let (groups, values) =
            parse_config(payload, None).map_err(|e| e.in_kmp(KmpType::CONFIG))?;
        Ok(Config { groups, values })
    }

    /// Parses the payload of a server KMP 302 (rekey): only groups 7 and 8
    /// are allowed.
    pub fn parse_rekey(payload: &[u8]) -> Result<Config, WireError> {
        let (groups, values) = parse_config(payload, Some(KmpType::ESP_KEYS))
            .map_err(|e| e.in_kmp(KmpType::ESP_KEYS))?;
        Ok(Config { groups, values })
    }

    /// A configuration with `values` encoded in canonical order.
    pub fn from_values(values: ConfigValues) -> Config {
        Config {
            groups: values.to_groups(),
            values,
        }
    }

    /// The typed values.
    pub fn values(&self) -> &ConfigValues {
        &self.values
    }

    /// The groups in wire order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Length of the encoded payload.
    pub fn buffer_len(&self) -> usize {
        groups_len(&self.groups)
    }

    /// Appends the encoded payload to `out`.
    pub fn emit(&self, out: &mut Vec<u8>) {
        emit_groups(&self.groups, out)
    }

    /// The configuration as a KMP message of `kmp_type` (301, or 302 for a
    /// rekey) sent by the gateway.
    pub fn to_message(&self, kmp_type: KmpType) -> Result<KmpMessage, WireError> {
        let mut payload = Vec::with_capacity(self.buffer_len());
        self.emit(&mut payload);
        KmpMessage::new(kmp_type, Sender::Server, payload)
    }
}

/// Parses groups from `payload` and interprets every attribute, in one
/// walk. `only_esp`: the message type when only groups 7 and 8 are allowed.
fn parse_config(
    payload: &[u8],
    only_esp: Option<KmpType>,
) -> Result<(Vec<Group>, ConfigValues), WireError> {
    let mut c = ConfigValues::default();
    let groups = parse_groups_with(payload, 0, |ev| match ev {
        TlvEvent::Group { id, offset, .. } => match only_esp {
            Some(kmp) if id != 7 && id != 8 => Err(WireError::new(
                offset,
                WireErrorKind::GroupNotAllowed { group: id, kmp },
            )),
            _ => Ok(()),
        },
        TlvEvent::Attribute(a) => interpret(&mut c, &a),
    })?;
    Ok((groups, c))
}

/// The value of `a` as exactly `N` bytes, or an error naming the TLV.
fn exact<const N: usize>(a: &TlvRef<'_>) -> Result<[u8; N], WireError> {
    a.value.try_into().map_err(|_| {
        WireError::new(
            a.offset,
            WireErrorKind::TlvLength {
                group: a.group,
                attr: a.attr,
                length: a.value.len(),
                expected: N,
            },
        )
    })
}

/// Stores the meaning of attribute `a` in `c` (spec §4.2).
fn interpret(c: &mut ConfigValues, a: &TlvRef<'_>) -> Result<(), WireError> {
    let ip = |a| exact::<4>(a).map(Ipv4Addr::from);
    let be32 = |a| exact::<4>(a).map(u32::from_be_bytes);
    let byte = |a| exact::<1>(a).map(|b| b[0]);
    let route = |a| {
        exact::<8>(a).map(|b| Route {
            addr: Ipv4Addr::new(b[0], b[1], b[2], b[3]),
            mask: Ipv4Addr::new(b[4], b[5], b[6], b[7]),
        })
    };
    match (a.group, a.attr) {
        (1, 1) => c.address = Some(ip(a)?),
        (1, 2) => c.netmask = Some(ip(a)?),
        (1, 3) => c.internal_gateway = Some(ip(a)?),
        (2, 1) => c.dns.push(ip(a)?),
        (2, 2) => c.search_domain = Some(String::from_utf8_lossy(a.value).into_owned()),
        (3, 3) => c.split_include.push(route(a)?),
        (3, 4) => c.split_exclude.push(route(a)?),
        (4, 1) => c.wins.push(ip(a)?),
        (6, 2) => c.mtu = Some(be32(a)?),
        (7, 1) => c.esp.spi = Some(be32(a)?),
        (7, 2) => c.esp.secrets = Some(exact::<64>(a)?),
        (8, 1) => c.esp.cipher = Some(CipherCode(byte(a)?)),
        (8, 2) => c.esp.mac = Some(MacCode(byte(a)?)),
        (8, 3) => c.esp.compression = Some(byte(a)? != 0),
        (8, 4) => c.esp.port = Some(u16::from_be_bytes(exact::<2>(a)?)),
        (8, 5) => c.esp.lifetime_bytes = Some(be32(a)?),
        (8, 6) => c.esp.lifetime_secs = Some(be32(a)?),
        (8, 9) => c.esp.fallback_secs = Some(be32(a)?),
        (8, 10) => c.esp.replay_protection = Some(be32(a)? != 0),
        _ => c.unknown.push(UnknownTlv {
            group: a.group,
            attr: a.attr,
            value: a.value.to_vec(),
        }),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_from_prefixes() {
        for len in 0..=32u8 {
            let r = Route::from_prefix(Ipv4Addr::new(10, 0, 0, 0), len);
            assert_eq!(r.prefix_len(), Some(len));
        }
        assert_eq!(
            Route::from_prefix(Ipv4Addr::UNSPECIFIED, 0).mask,
            Ipv4Addr::UNSPECIFIED
        );
        assert_eq!(
            Route::from_prefix(Ipv4Addr::new(10, 0, 0, 0), 8).mask,
            Ipv4Addr::new(255, 0, 0, 0)
        );
        assert_eq!(
            Route::from_prefix(Ipv4Addr::LOCALHOST, 40).prefix_len(),
            Some(32)
        );
        let odd = Route {
            addr: Ipv4Addr::UNSPECIFIED,
            mask: Ipv4Addr::new(255, 0, 255, 0),
        };
        assert_eq!(odd.prefix_len(), None);
    }
}
