//! The `oncp` command line: global flags, subcommands and dispatch.

pub mod cleanup;
pub mod completions;
pub mod connect;
pub mod decode;
pub mod demo;
pub mod explain;
pub mod gateway;
pub mod hex_dump;
pub mod man;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Juniper Network Connect (oNCP) VPN client, test gateway and trace decoder.
#[derive(Debug, Parser)]
#[command(name = "oncp", version, about, propagate_version = true)]
pub struct Cli {
    /// More log output (repeat for more).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Less log output (repeat for less).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub quiet: u8,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The `oncp` subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Connect to a gateway (like `openconnect --protocol=nc`).
    Connect(Box<connect::ConnectArgs>),
    /// Run the bundled test gateway.
    #[command(
        after_help = "Test aids (fault injection): SIGUSR1 drops every tunnel's TLS \
connection without a termination notice (clients reconnect with the same cookie); SIGUSR2 \
first expires every cookie, then does the same (reconnects are refused)."
    )]
    Gateway(Box<gateway::GatewayArgs>),
    /// Decode a capture plus TLS key log into oNCP events.
    Decode(decode::DecodeArgs),
    /// Run the gateway and the client on loopback, end to end.
    Demo(demo::DemoArgs),
    /// Undo the DNS and routes left by an `oncp connect` that was killed.
    Cleanup(cleanup::CleanupArgs),
    /// Read a pasted VPN log (OpenConnect -vvv, oncp, hex dumps) and say
    /// what went wrong and what to do.
    Explain(explain::ExplainArgs),
    /// Print a manual page (roff) for oncp or one of its subcommands.
    Man(man::ManArgs),
    /// Print a shell completion script.
    Completions(completions::CompletionsArgs),
}

/// The name under which `oncp` runs as `oncp connect` (a symlink or copy
/// named `openconnect`, for programs that start OpenConnect by path, as
/// NetworkManager-openconnect does).
pub const OPENCONNECT_NAME: &str = "openconnect";

/// The command line with `connect` inserted when the program was started
/// as [`OPENCONNECT_NAME`].
pub fn as_openconnect(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let mut argv: Vec<_> = args.into_iter().collect();
    let called = argv
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .is_some_and(|n| n == OPENCONNECT_NAME);
    if called {
        argv.insert(1, "connect".into());
    }
    argv
}

/// Parses the process's arguments, sets up logging and runs the subcommand.
pub fn main() -> ExitCode {
    use clap::CommandFactory;
    crate::sha1_lanes::install();
    // `oncp connect --config FILE`: the file's options where it appears.
    let argv = match connect::config_file::expand_args(
        as_openconnect(std::env::args_os()),
        &Cli::command(),
    ) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("oncp: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Usage errors exit with 1 as OpenConnect's do: 2 means "cookie
    // rejected" to scripts written for it.
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    // The demo prints its own report; its logs start one step quieter.
    let quiet = match cli.command {
        Command::Demo(_) => cli.quiet.saturating_add(1),
        _ => cli.quiet,
    };
    // --dump-http-traffic implies --verbose, as in OpenConnect.
    let log_verbose = match &cli.command {
        Command::Connect(a) if a.dump_http_traffic => cli.verbose.max(1),
        _ => cli.verbose,
    };
    let to_syslog = matches!(&cli.command, Command::Connect(a) if a.syslog);
    crate::logging::init_to(log_verbose, quiet, to_syslog);
    match cli.command {
        Command::Connect(args) => connect::run(*args, cli.verbose),
        Command::Gateway(args) => gateway::run(*args),
        Command::Decode(args) => decode::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Cleanup(args) => cleanup::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Man(args) => man::run(args),
        Command::Completions(args) => completions::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn started_as_openconnect_means_connect() {
        let argv = |v: &[&str]| v.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            as_openconnect(argv(&["/usr/sbin/openconnect", "--syslog", "h"])),
            argv(&["/usr/sbin/openconnect", "connect", "--syslog", "h"])
        );
        assert_eq!(
            as_openconnect(argv(&["oncp", "demo"])),
            argv(&["oncp", "demo"])
        );
        let cli = Cli::try_parse_from(as_openconnect(argv(&[
            "openconnect",
            "-C",
            "x",
            "h",
            "--verbose",
        ])))
        .unwrap();
        assert!(matches!(cli.command, Command::Connect(_)) && cli.verbose == 1);
    }

    #[test]
    fn verbosity_flags_are_global() {
        let cli = Cli::try_parse_from(["oncp", "demo", "-vv"]).unwrap();
        assert_eq!(cli.verbose, 2);
        let cli = Cli::try_parse_from(["oncp", "-q", "demo"]).unwrap();
        assert_eq!(cli.quiet, 1);
    }
}
