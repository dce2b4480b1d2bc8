//! `oncp explain`: a pasted VPN log (OpenConnect's `-vvv
//! --dump-http-traffic` output, oncp's own log, bare hex dumps) → what
//! the gateway said, what went wrong and what to do (core's log reader
//! and explanation rules; the browser analyser runs the same).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use oncp_core::explain::{Options, explain};

/// Longest log read (a -vvv log of a long session is a few MB).
const MAX_LOG: u64 = 64 << 20;

/// Options of `oncp explain`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "Reads OpenConnect's -vvv / --dump-http-traffic output \
(`openconnect --protocol=nc -vvv --dump-http-traffic … 2>&1 | tee log`), oncp's own \
log (`oncp connect -vv`), and bare hex dumps (xxd, tshark -x, hexdump -C, plain hex \
pairs). Damaged logs (cut, wrapped, hand-edited, two pasted together) are read as far \
as they go; what is wrong with them is listed at the end. Exit status: 0 when the log \
was read, 1 when it could not be.")]
pub struct ExplainArgs {
    /// The log to read (`-` or nothing: standard input).
    pub file: Option<PathBuf>,
    /// The explanation as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show cookie values, passwords and keys instead of redacting them.
    #[arg(long)]
    pub show_secrets: bool,
}

/// Reads the log named by `file` (standard input for `-` or none).
fn read_log(file: Option<&PathBuf>) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    match file {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::File::open(p)
                .map_err(|e| anyhow::anyhow!("opening {}: {e}", p.display()))?
                .take(MAX_LOG + 1)
                .read_to_end(&mut bytes)?;
        }
        _ => {
            std::io::stdin()
                .lock()
                .take(MAX_LOG + 1)
                .read_to_end(&mut bytes)?;
        }
    }
    if bytes.len() as u64 > MAX_LOG {
        anyhow::bail!("the log is larger than {} MiB", MAX_LOG >> 20);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Writes the explanation of `log` to `out` as text or JSON.
pub fn write_explanation(
    log: &str,
    args: &ExplainArgs,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let e = explain(
        log,
        &Options {
            show_secrets: args.show_secrets,
        },
    );
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &e)?;
        out.write_all(b"\n")?;
    } else {
        out.write_all(e.to_text().as_bytes())?;
    }
    out.flush()?;
    Ok(())
}

/// Runs `oncp explain`.
pub fn run(args: ExplainArgs) -> ExitCode {
    let result = read_log(args.file.as_ref())
        .and_then(|log| write_explanation(&log, &args, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("oncp explain: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(json: bool) -> ExplainArgs {
        ExplainArgs {
            file: None,
            json,
            show_secrets: false,
        }
    }

    #[test]
    fn text_and_json() {
        let log = "Read 3 bytes of SSL record\n< 0000:  01 00 08                                          |...|\nServer response to hostname packet is error 0x08\n";
        let mut out = Vec::new();
        write_explanation(log, &args(false), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("status 0x08"), "{text}");
        let mut out = Vec::new();
        write_explanation(log, &args(true), &mut out).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["verdicts"][0]["id"], "status-08");
        assert_eq!(v["verdicts"][0]["severity"], "failure");
    }
}
