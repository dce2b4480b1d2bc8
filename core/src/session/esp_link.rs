//! The ESP half of a session, shared by client and gateway: the current
//! SAs each way, the previous inbound SA during its grace period after a
//! rekey (spec/oncp.md §6.3), LZO on both paths, and counters.

use alloc::boxed::Box;
use alloc::vec::Vec;

use super::event::SessionStats;
use crate::esp::{EspError, InboundSa, NextHeader, OutboundSa, SaLifetime, SaParams, spi_of};
use crate::lzo::{Compressor, decompress};
use crate::rng::Random;
use crate::time::Instant;

/// Packets of the previous inbound SA accepted after a rekey (spec §6.3).
const OLD_SA_GRACE: u64 = 32;

/// What an accepted datagram held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Opened {
    /// A probe or probe reply (payload `00`).
    Probe,
    /// An IP packet (decompressed if it was LZO).
    Packet(Vec<u8>),
}

/// Why a datagram was dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OpenError {
    NoKeys,
    Esp(EspError),
    Lzo,
}

pub(crate) struct EspLink {
    pub(crate) outbound: Option<OutboundSa>,
    pub(crate) inbound: Option<InboundSa>,
    /// The previous inbound SA and E, its expected sequence at rekey time.
    previous: Option<(InboundSa, u64)>,
    compressor: Option<Box<Compressor>>,
    /// Output limit for LZO (spec §7.5: max(2048, MTU + 256)).
    lzo_limit: usize,
}

impl EspLink {
    pub(crate) fn new() -> Self {
        EspLink {
            outbound: None,
            inbound: None,
            previous: None,
            compressor: None,
            lzo_limit: 2048,
        }
    }

    pub(crate) fn has_keys(&self) -> bool {
        self.outbound.is_some() && self.inbound.is_some()
    }

    pub(crate) fn set_mtu(&mut self, mtu: u32) {
        self.lzo_limit = 2048usize.max(mtu as usize + 256);
    }

    /// Compress what we send from now on.
    pub(crate) fn enable_compression(&mut self) {
        if self.compressor.is_none() {
            self.compressor = Some(Box::new(Compressor::new()));
        }
    }

    pub(crate) fn set_outbound(&mut self, params: &SaParams, now: Instant, lifetime: SaLifetime) {
        self.outbound = Some(OutboundSa::new(params, now, lifetime));
    }

    /// Installs a new inbound SA, keeping the current one for its grace
    /// period.
    pub(crate) fn set_inbound(&mut self, params: &SaParams, replay: bool) {
        let new = InboundSa::new(params, replay);
        self.previous = self.inbound.replace(new).map(|old| {
            let e = old.window().next_expected();
            (old, e)
        });
    }

    /// Forgets every key (TLS lost: everything is renegotiated).
    pub(crate) fn clear(&mut self) {
        self.outbound = None;
        self.inbound = None;
        self.previous = None;
    }

    /// SPIs this link accepts: current, then previous while in grace.
    pub(crate) fn inbound_spis(&self) -> (Option<u32>, Option<u32>) {
        (
            self.inbound.as_ref().map(InboundSa::spi),
            self.previous.as_ref().map(|(sa, _)| sa.spi()),
        )
    }

    /// Encrypts an IP packet (LZO-compressed when enabled and smaller).
    pub(crate) fn seal(
        &mut self,
        packet: &[u8],
        rng: &mut dyn Random,
        stats: &mut SessionStats,
    ) -> Result<Vec<u8>, EspError> {
        let sa = self.outbound.as_mut().ok_or(EspError::WrongSpi(0))?;
        if let Some(c) = self.compressor.as_mut()
            && packet.first().map(|b| b >> 4) == Some(4)
        {
            let mut z = Vec::with_capacity(packet.len());
            c.compress(packet, &mut z);
            if z.len() < packet.len() {
                stats.lzo_out += 1;
                return sa.encrypt(&z, NextHeader::LZO_IPV4, rng);
            }
        }
        sa.encrypt(packet, NextHeader::for_packet(packet), rng)
    }

    /// A probe on the outbound SA.
    pub(crate) fn probe(&mut self, rng: &mut dyn Random) -> Option<Vec<u8>> {
        self.outbound.as_mut()?.probe(rng).ok()
    }

    /// Verifies, decrypts and (if marked) decompresses a datagram.
    pub(crate) fn open(
        &mut self,
        datagram: &[u8],
        stats: &mut SessionStats,
    ) -> Result<Opened, OpenError> {
        let spi = spi_of(datagram).ok_or(OpenError::Esp(EspError::TooShort(datagram.len())))?;
        let mut buf = datagram.to_vec();
        let current = self.inbound.as_mut().ok_or(OpenError::NoKeys)?;
        let decrypted = if current.spi() == spi {
            current.decrypt_in_place(&mut buf).map_err(OpenError::Esp)?
        } else {
            let next_new = current.window().next_expected();
            let (old, e) = self
                .previous
                .as_mut()
                .filter(|(old, _)| old.spi() == spi)
                .ok_or(OpenError::Esp(EspError::WrongSpi(spi)))?;
            let seq = crate::esp::seq_of(datagram).unwrap_or(0) as u64;
            if seq + next_new >= *e + OLD_SA_GRACE {
                return Err(OpenError::Esp(EspError::WrongSpi(spi)));
            }
            old.decrypt_in_place(&mut buf).map_err(OpenError::Esp)?
        };
        if decrypted.is_probe(&buf) {
            stats.probes_in += 1;
            return Ok(Opened::Probe);
        }
        let payload = &buf[decrypted.payload.clone()];
        let packet = if decrypted.next_header == NextHeader::LZO_IPV4 {
            stats.lzo_in += 1;
            decompress(payload, self.lzo_limit).map_err(|_| OpenError::Lzo)?
        } else {
            payload.to_vec()
        };
        stats.esp_packets_in += 1;
        stats.esp_bytes_in += packet.len() as u64;
        Ok(Opened::Packet(packet))
    }
}
