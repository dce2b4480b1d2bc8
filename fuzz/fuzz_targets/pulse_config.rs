//! Fuzzes the Pulse configuration parsers with the whole input as the
//! value of a Juniper type 1 message: the main configuration (both
//! kinds), the ESP key message and the client's reply, and the
//! authentication AVP layer.
//!
//! Checked: no panic; whatever parses re-emits byte for byte (main
//! configuration, key message, reply); the typed values of a main
//! configuration survive a gateway's canonical re-encoding
//! ([`PulseConfig::to_main`]) unchanged, malformed attributes aside, and
//! its routes become CIDR lists covering exactly their ranges; error
//! offsets lie inside the message; `Debug` never shows a key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::pulse::config::{EspKeyMessage, EspKeyReply, MainConfig, PulseConfig};
use oncp_core::pulse::ift::HEADER_LEN;
use oncp_core::pulse::PulseError;

fn check_error<T>(r: &Result<T, PulseError>, value: &[u8]) {
    if let Err(e) = r {
        assert!(e.offset <= (HEADER_LEN + value.len()) as u64, "{e} past the message");
        let _ = e.to_string();
    }
}

fuzz_target!(|value: &[u8]| {
    let main = MainConfig::parse(value);
    check_error(&main, value);
    if let Ok(m) = &main {
        assert_eq!(m.to_value(), value, "main configuration re-emission");
        // A gateway's route block holds at most 4095 entries (BE16 length).
        let fits = |v: &PulseConfig| v.split_include.len() + v.split_exclude.len() <= 4095;
        if let Some(v) = PulseConfig::from_main(m).ok().filter(fits) {
            let mut canon = PulseConfig::from_main(&v.to_main()).expect("canonical parses");
            let mut want = v.clone();
            want.malformed.clear();
            canon.malformed.clear();
            assert_eq!(canon, want, "typed values changed by re-encoding");
            let covered: u64 = v
                .split_include
                .iter()
                .chain(&v.split_exclude)
                .map(|c| 1u64 << (32 - u32::from(c.prefix)))
                .sum();
            let ranges: u64 = m
                .routes
                .iter()
                .map(|r| u64::from(u32::from(r.last)) - u64::from(u32::from(r.first)) + 1)
                .sum();
            assert_eq!(covered, ranges, "CIDRs do not cover the ranges exactly");
        }
    }
    let keys = EspKeyMessage::parse(value);
    check_error(&keys, value);
    if let Ok(k) = &keys {
        assert_eq!(k.to_message(0).value, value, "key message re-emission");
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("secrets"), "{dbg}");
    }
    let reply = EspKeyReply::parse(value);
    check_error(&reply, value);
    if let Ok(r) = &reply {
        assert_eq!(r.to_message(0).value, value, "reply re-emission");
    }
});
