//! `oncp decode` command line. The trace decoder's runner replaces the body
//! of [`run`] when it lands.

use std::path::PathBuf;
use std::process::ExitCode;

/// Options of `oncp decode`.
#[derive(Debug, Clone, clap::Args)]
pub struct DecodeArgs {
    /// The capture to decode (pcap or pcapng).
    pub capture: Option<PathBuf>,
}

/// Runs `oncp decode`.
pub fn run(_args: DecodeArgs) -> ExitCode {
    tracing::error!("`oncp decode` is not available in this build yet");
    ExitCode::FAILURE
}
