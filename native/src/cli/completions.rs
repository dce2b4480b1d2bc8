//! `oncp completions SHELL`: a shell completion script (clap_complete)
//! for bash, zsh, fish, elvish or PowerShell, printed on standard output.

use std::process::ExitCode;

/// Options of `oncp completions`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// The completion script for `shell`.
pub fn render(shell: clap_complete::Shell) -> Vec<u8> {
    use clap::CommandFactory;
    let mut cmd = super::Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "oncp", &mut out);
    out
}

/// Runs `oncp completions`.
pub fn run(args: CompletionsArgs) -> ExitCode {
    use std::io::Write;
    match std::io::stdout().lock().write_all(&render(args.shell)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap_complete::Shell;

    #[test]
    fn scripts_know_connect_options() {
        let bash = String::from_utf8(super::render(Shell::Bash)).unwrap();
        assert!(bash.contains("--passwd-on-stdin") && bash.contains("--token-mode"));
        assert!(bash.contains("complete -F"), "a bash completion function");
        let zsh = String::from_utf8(super::render(Shell::Zsh)).unwrap();
        assert!(zsh.starts_with("#compdef oncp"));
        let fish = String::from_utf8(super::render(Shell::Fish)).unwrap();
        assert!(fish.contains("-l servercert"), "{}", &fish[..200]);
    }
}
