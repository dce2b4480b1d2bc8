//! `oncp gateway` command line. Placeholder owned by the gateway work: it
//! replaces this file with the real options and runner.

use std::process::ExitCode;

/// Options of `oncp gateway`.
#[derive(Debug, Clone, clap::Args)]
pub struct GatewayArgs {}

/// Runs `oncp gateway`.
pub fn run(_args: GatewayArgs) -> ExitCode {
    tracing::error!("`oncp gateway` is not available in this build yet");
    ExitCode::FAILURE
}
