//! `oncp decode`: a capture plus TLS key log → the whole VPN session, event
//! by event (core's trace decoder; the browser analyser runs the same).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use oncp_core::trace::{Decoder, DecoderOptions, Plaintext, UserSa};

use super::hex_dump;

/// Options of `oncp decode`.
#[derive(Debug, Clone, clap::Args)]
pub struct DecodeArgs {
    /// The capture to decode (pcap or pcapng; `-` reads standard input).
    pub capture: PathBuf,
    /// NSS key log (SSLKEYLOGFILE format) with the TLS secrets; may be
    /// repeated. A pcapng's decryption secrets blocks are used too.
    #[arg(long)]
    pub keylog: Vec<PathBuf>,
    /// One JSON object per line instead of text.
    #[arg(long)]
    pub json: bool,
    /// Show cookie values and keys instead of redacting them.
    #[arg(long)]
    pub show_secrets: bool,
    /// One event per TCP segment and UDP datagram too.
    #[arg(long)]
    pub packets: bool,
    /// Under each event that came out of decryption, its decrypted bytes as
    /// a hex dump (tshark -x style): the oNCP message, the ESP payload, the
    /// inner IP packet, the HTTP head. Bytes carrying secrets are withheld
    /// unless --show-secrets.
    #[arg(long, conflicts_with = "json")]
    pub hex: bool,
    /// An ESP SA to decrypt with besides those found in the oNCP stream,
    /// as SA events print it: SPI:CIPHER:ENC_KEY:MAC:MAC_KEY[:c2s|s2c]
    /// (e.g. 0x35381382:AES-128-CBC:<32 hex>:HMAC-SHA1-96:<40 hex>).
    /// May be repeated.
    #[arg(long, value_name = "SA", value_parser = parse_user_sa)]
    pub esp_sa: Vec<UserSa>,
}

fn parse_user_sa(text: &str) -> Result<UserSa, String> {
    text.parse().map_err(|e| format!("{e}"))
}

/// Runs `oncp decode`: 0 when the capture was read to its end (decoding
/// problems are reported as error events), 1 when it could not be read.
pub fn run(args: DecodeArgs) -> ExitCode {
    // Block-buffered: stdout is line-buffered, and a flush per event costs
    // more than decoding it.
    let mut out = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    match decode(&args, &mut out) {
        Ok((events, errors)) => {
            eprintln!("oncp decode: {events} events, {errors} of them errors");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("oncp decode: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Decodes the capture in `args`, writing events to `out`; returns the
/// number of events and of error events.
pub fn decode(args: &DecodeArgs, out: &mut impl Write) -> anyhow::Result<(u64, u64)> {
    let mut decoder = Decoder::new(DecoderOptions {
        show_secrets: args.show_secrets,
        packet_events: args.packets,
        esp_sas: args.esp_sa.clone(),
        plaintext: args.hex,
        ..Default::default()
    });
    for k in &args.keylog {
        let text = std::fs::read(k).map_err(|e| anyhow::anyhow!("reading {}: {e}", k.display()))?;
        decoder.add_keylog(&text);
    }
    let mut input: Box<dyn Read> = if args.capture.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&args.capture)
                .map_err(|e| anyhow::anyhow!("opening {}: {e}", args.capture.display()))?,
        )
    };
    let (mut events, mut errors) = (0u64, 0u64);
    // One event's line (JSON or text), reused for every event.
    let mut line = Vec::with_capacity(1024);
    let mut text = String::with_capacity(1024);
    let mut emit = |decoder: &mut Decoder, out: &mut dyn Write| -> anyhow::Result<()> {
        while let Some(ev) = decoder.poll_event() {
            events += 1;
            errors += ev.error.is_some() as u64;
            if args.json {
                line.clear();
                ev.write_json(&mut line);
                line.push(b'\n');
                out.write_all(&line)?;
            } else {
                text.clear();
                ev.write_text(&mut text);
                text.push('\n');
                out.write_all(text.as_bytes())?;
                match &ev.plaintext {
                    Some(Plaintext::Bytes(b)) => hex_dump::write(out, "    ", b)?,
                    Some(Plaintext::Withheld) => writeln!(
                        out,
                        "    (decrypted bytes withheld: they carry secrets; see them with --show-secrets)"
                    )?,
                    None => {}
                }
            }
        }
        Ok(())
    };
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = input.read(&mut buf)?;
        if n == 0 {
            break;
        }
        decoder.push(&buf[..n]);
        emit(&mut decoder, out)?;
    }
    decoder.finish();
    emit(&mut decoder, out)?;
    out.flush()?;
    Ok((events, errors))
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use crate::cli::{Cli, Command};

    #[test]
    fn hex_is_for_the_text_output() {
        let parse = |args: &[&str]| Cli::try_parse_from(args);
        let Command::Decode(args) = parse(&["oncp", "decode", "x.pcap", "--hex"])
            .unwrap()
            .command
        else {
            panic!("decode");
        };
        assert!(args.hex && !args.json);
        let err = parse(&["oncp", "decode", "x.pcap", "--hex", "--json"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ArgumentConflict);
    }
}
