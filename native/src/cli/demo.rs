//! `oncp demo`: the gateway and the client on loopback, end to end.

use std::process::ExitCode;

/// Options of `oncp demo` (none are needed).
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Number of ICMP echo round trips to make through the tunnel.
    #[arg(long, default_value_t = 5)]
    pub count: u32,
}

/// Runs `oncp demo`.
pub fn run(_args: DemoArgs) -> ExitCode {
    tracing::error!(
        "`oncp demo` needs the gateway and client session, which are not in this build yet"
    );
    ExitCode::FAILURE
}
