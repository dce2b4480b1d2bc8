//! [`TraceError`]: everything the decoder can find wrong, by layer. Each
//! error is reported as an [`super::Event`]; decoding goes on with what is
//! left.

use thiserror::Error;

use super::capture::CaptureError;
use super::link::LinkError;
use super::net::fragment::FragmentError;
use super::net::ip::IpError;
use super::net::tcp::TcpError;
use super::net::udp::UdpError;
use super::tls::{KeyLogError, TlsError};
use crate::esp::EspError;
use crate::lzo::LzoError;
use crate::oncp::wire::WireError;
use crate::pulse::PulseError;

/// An error found while decoding a capture.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TraceError {
    /// The capture file.
    #[error("capture: {0}")]
    Capture(#[from] CaptureError),
    /// A link-layer header.
    #[error("link: {0}")]
    Link(#[from] LinkError),
    /// An IP header.
    #[error("ip: {0}")]
    Ip(#[from] IpError),
    /// IP fragment reassembly.
    #[error("ip: {0}")]
    Fragment(#[from] FragmentError),
    /// A TCP header.
    #[error("tcp: {0}")]
    Tcp(#[from] TcpError),
    /// A TCP stream lost bytes the capture does not have.
    #[error("tcp: {missing} bytes missing at stream offset {offset}")]
    TcpGap {
        /// Where the gap starts.
        offset: u64,
        /// How many bytes are missing.
        missing: u64,
    },
    /// A TCP flow was dropped to keep memory bounded.
    #[error("tcp: flow {flow} evicted: more than {limit} open flows")]
    FlowEvicted {
        /// The flow number.
        flow: u64,
        /// The flow limit.
        limit: usize,
    },
    /// Decrypted bytes of a direction were lost (a TCP gap or records that
    /// did not decrypt); the layers above stop decoding that direction.
    #[error(
        "{missing} plaintext bytes lost at offset {offset}; the rest of this direction is not decoded"
    )]
    PlaintextGap {
        /// Plaintext offset where the loss starts.
        offset: u64,
        /// Bytes lost.
        missing: u64,
    },
    /// A message was cut short by the end of its connection.
    #[error("{what} cut short by the end of the connection (plaintext offset {offset})")]
    CutShort {
        /// `HTTP message` or `oNCP message`.
        what: &'static str,
        /// Plaintext offset where it started being incomplete.
        offset: u64,
    },
    /// An ESP SA could not be set up from the keys seen.
    #[error("esp: SA {spi:#010x} from {origin}: {reason}")]
    UnusableSa {
        /// Its SPI.
        spi: u32,
        /// Where its keys were seen.
        origin: &'static str,
        /// Why it cannot be used.
        reason: &'static str,
    },
    /// A UDP header.
    #[error("udp: {0}")]
    Udp(#[from] UdpError),
    /// A line of a TLS key log.
    #[error("keylog: {0}")]
    KeyLog(#[from] KeyLogError),
    /// The TLS layer.
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
    /// HTTP or oNCP bytes inside TLS.
    #[error("oncp: {0}")]
    Wire(#[from] WireError),
    /// Pulse IF-T/TLS bytes inside TLS.
    #[error("pulse: {0}")]
    Pulse(#[from] PulseError),
    /// An ESP packet.
    #[error("esp: {0}")]
    Esp(#[from] EspError),
    /// LZO decompression of an ESP payload.
    #[error("lzo: {0}")]
    Lzo(#[from] LzoError),
}
