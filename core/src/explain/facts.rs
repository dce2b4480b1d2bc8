//! What the reading of a log established, for the verdict rules: each
//! fact with the line it was found at.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::Ipv4Addr;

/// Facts gathered while reading a log.
#[derive(Debug, Default, Clone)]
pub(crate) struct Facts {
    /// Tunnel connections started (hostname packets or tunnel requests).
    pub tunnels: u32,
    /// The gateway's status byte after the hostname packet.
    pub status: Option<(u8, usize)>,
    /// A zero-length record (and its byte) where the status was expected.
    pub early_termination: Option<(Option<u8>, usize)>,
    /// OpenConnect's "Unexpected response of size N after hostname packet".
    pub unexpected_size: Option<(u32, usize)>,
    /// The HTTP status of the tunnel request (`POST /dana/js`).
    pub tunnel_status: Option<(u16, usize)>,
    /// The client said the cookie was rejected.
    pub cookie_rejected: Option<usize>,
    /// 1/2 netmask.
    pub netmask: Option<(Ipv4Addr, usize)>,
    /// 3/3 split includes (address, mask).
    pub split_includes: Vec<(Ipv4Addr, Ipv4Addr, usize)>,
    /// 8/4 ESP port offered.
    pub esp_port: Option<(u16, usize)>,
    /// ESP probe rounds sent.
    pub esp_probes: u32,
    /// First probe round.
    pub first_probe: Option<usize>,
    /// ESP came up.
    pub esp_established: Option<usize>,
    /// ESP was declared dead.
    pub esp_dead: Option<usize>,
    /// The 301 was announced with this payload length.
    pub config_len: Option<(u32, usize)>,
    /// Continuation records of the 301 (count, bytes).
    pub config_continuations: (u32, u32, Option<usize>),
    /// A problem with the configuration (line, text).
    pub config_errors: Vec<(usize, String)>,
    /// TLS handshake failures (line, text).
    pub tls_failures: Vec<(usize, String)>,
    /// The gateway ended the session (reason byte if known).
    pub termination: Option<(Option<u8>, usize)>,
    /// Unknown TLVs seen (group, attr, line).
    pub unknown_tlvs: Vec<(u16, u16, usize)>,
    /// The log holds Pulse (IF-T) bytes.
    pub pulse_bytes: Option<usize>,
    /// The Pulse gateway refused the login, and why.
    pub ift_auth_failure: Option<(String, usize)>,
    /// The tunnel came up ("Configured as …", or a 301 decoded).
    pub configured: Option<usize>,
    /// The log's last line.
    pub last_line: usize,
}

impl Facts {
    /// Records a split include unless the same line already gave it.
    pub(crate) fn split_include(&mut self, addr: Ipv4Addr, mask: Ipv4Addr, line: usize) {
        if !self
            .split_includes
            .iter()
            .any(|&(a, m, l)| a == addr && m == mask && l == line)
        {
            self.split_includes.push((addr, mask, line));
        }
    }
}
