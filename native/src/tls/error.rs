//! The errors of the client's TLS, shared by the rustls and OpenSSL
//! backends.

use std::path::PathBuf;

/// Errors setting up TLS.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// The `--cafile` could not be read or holds no certificate.
    #[error("CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The key log file could not be opened.
    #[error("key log file {path}: {source}")]
    KeyLog {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// The other TLS backend could not be set up (or is not built in).
    #[error("TLS configuration: {0}")]
    Backend(String),
}

/// Errors connecting to the gateway.
#[derive(Debug, thiserror::Error)]
pub enum TlsConnectError {
    /// The host name is not a valid DNS name or IP address.
    #[error("invalid server name {0:?}")]
    BadName(String),
    /// TCP connection failed.
    #[error("TCP connection to {addr} failed: {source}")]
    Tcp {
        /// host:port.
        addr: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The certificate was refused; `pin` is what `--servercert` would
    /// need to accept it.
    #[error(
        "server certificate verification failed: {reason}\nTo trust this server, add this to the command line:\n    --servercert {pin}"
    )]
    CertificateRejected {
        /// Why.
        reason: String,
        /// The certificate's `pin-sha256:` pin.
        pin: String,
    },
    /// No connection within the time allowed (the gateway is silent).
    #[error("no TLS connection to {addr} within {secs} s")]
    Timeout {
        /// host:port.
        addr: String,
        /// The time allowed.
        secs: u64,
    },
    /// The TLS backend asked for is not available.
    #[error("{0}")]
    Unavailable(String),
    /// The TLS handshake failed for another reason.
    #[error("TLS handshake with {addr} failed: {source}")]
    Handshake {
        /// host:port.
        addr: String,
        /// The error.
        source: std::io::Error,
    },
}
