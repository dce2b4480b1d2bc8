//! `oncp man`: the manual page (roff, from the clap definitions) of
//! `oncp` or of one subcommand (`oncp man connect` is `oncp-connect(1)`).

use std::io::Write;
use std::process::ExitCode;

/// Options of `oncp man`.
#[derive(Debug, Clone, clap::Args)]
pub struct ManArgs {
    /// The subcommand whose page to print (default: `oncp` itself).
    #[arg(value_name = "SUBCOMMAND")]
    pub subcommand: Option<String>,
}

/// The roff source of the page for `subcommand` (or `oncp`).
pub fn render(subcommand: Option<&str>) -> anyhow::Result<Vec<u8>> {
    use clap::CommandFactory;
    let mut cli = super::Cli::command();
    cli.build();
    let cmd = match subcommand {
        None => cli,
        Some(name) => {
            let sub = cli
                .find_subcommand(name)
                .ok_or_else(|| anyhow::anyhow!("no subcommand {name:?}"))?
                .clone();
            sub.name(format!("oncp-{name}"))
        }
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    Ok(out)
}

/// Runs `oncp man`.
pub fn run(args: ManArgs) -> ExitCode {
    match render(args.subcommand.as_deref())
        .and_then(|page| Ok(std::io::stdout().lock().write_all(&page)?))
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn connect_page_lists_options_by_openconnect_group() {
        let page = String::from_utf8(super::render(Some("connect")).unwrap()).unwrap();
        assert!(page.starts_with(".ie"), "{}", &page[..80]);
        assert!(page.contains(".TH oncp-connect 1"), "{}", &page[..400]);
        for needle in [
            "\\-\\-passwd\\-on\\-stdin",
            "\\-\\-token\\-secret",
            "\\-\\-pid\\-file",
            "\\-\\-config",
            "SERVER VALIDATION",
            "PROCESS CONTROL",
            "EXIT STATUS",
        ] {
            assert!(page.contains(needle), "{needle} missing");
        }
        let top = String::from_utf8(super::render(None).unwrap()).unwrap();
        assert!(top.contains("oncp\\-connect(1)"), "subcommands listed");
        assert!(super::render(Some("nope")).is_err());
    }
}
