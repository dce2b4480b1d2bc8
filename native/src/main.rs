//! `oncp`: a Juniper SSL VPN "Network Connect" (oNCP) client, gateway and
//! trace decoder.

use clap::{Parser, Subcommand};

/// Juniper Network Connect (oNCP) VPN client, test gateway and trace decoder.
#[derive(Debug, Parser)]
#[command(name = "oncp", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The `oncp` subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Connect to a gateway (not yet available).
    Connect,
    /// Run the bundled test gateway (not yet available).
    Gateway,
    /// Decode a capture (not yet available).
    Decode,
    /// Run the gateway and the client on loopback (not yet available).
    Demo,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    anyhow::bail!("`oncp {:?}` is not yet available", cli.command)
}
