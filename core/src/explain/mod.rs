//! `oncp explain`: reads a pasted VPN log, finds the protocol bytes in it,
//! decodes them with the oNCP wire decoders and says what went wrong and
//! what to do.
//!
//! Logs understood: OpenConnect's `-vvv` / `--dump-http-traffic` output
//! (its hex dumps with `<`/`>` direction markers, its oNCP, ESP and HTTP
//! messages), oncp's own log lines, and bare hex in the usual shapes
//! (`xxd`, `tshark -x`, `hexdump -C`, plain runs of hex pairs), each with
//! a direction when the log gives or the bytes show one. Pulse (IF-T/TLS)
//! bytes are decoded with the Pulse codecs. Damaged input is
//! expected: cut dumps, lengths that disagree with the bytes, wrapped
//! lines, missing directions, two logs pasted together — each is
//! diagnosed and decoding goes on. Work and memory are linear in the
//! input; nothing here panics on any input.
//!
//! - [`explain`]: the entry point; [`Explanation`] what it finds;
//!   [`Explanation::to_text`] the text rendering.

mod dump;
mod facts;
mod hexline;
mod http;
mod lines;
mod oncp;
mod oncp_log;
mod openconnect;
mod options;
mod pulse;
mod reader;
mod render;
pub mod report;
mod tlv_names;
mod verdict;

#[cfg(test)]
mod tests;

pub use options::Options;
pub use report::{Damage, Explanation, Field, Item, Severity, Verdict};

/// Reads `log` and explains it.
pub fn explain(log: &str, opts: &Options) -> Explanation {
    reader::Reader::new(*opts).run(log)
}
