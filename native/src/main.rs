//! The `oncp` binary: parses the command line and runs a subcommand.

fn main() -> std::process::ExitCode {
    oncp::cli::main()
}
