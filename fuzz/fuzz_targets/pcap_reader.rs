//! Fuzzes the whole trace decoder from the capture bytes up: pcap/pcapng
//! reading, link layers, IP fragments, TCP reassembly, TLS, HTTP, oNCP and
//! ESP. The key logs of the `testdata/` captures are loaded, so mutations of
//! those captures (good seeds) reach the decrypted layers.
//!
//! Input: the first byte picks the chunk size the capture is pushed in; the
//! rest is the capture file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::trace::{Decoder, DecoderOptions};

const KEYLOGS: &[&[u8]] = &[
    include_bytes!("../../testdata/oc-esp.keys"),
    include_bytes!("../../testdata/oc-tls.keys"),
    include_bytes!("../../testdata/oc-rekey.keys"),
    include_bytes!("../../testdata/oc-lzo.keys"),
    include_bytes!("../../testdata/oncp-esp.keys"),
    include_bytes!("../../testdata/oncp-reconnect.keys"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&first, file)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(first).max(1) * 16;
    let mut d = Decoder::new(DecoderOptions {
        packet_events: first & 1 == 1,
        ..Default::default()
    });
    for k in KEYLOGS {
        d.add_keylog(k);
    }
    let mut consumed = 0u64;
    for c in file.chunks(chunk) {
        d.push(c);
        while let Some(e) = d.poll_event() {
            let _ = e.to_string();
            if let Some(r) = &e.source {
                // Sources lie within the bytes pushed so far.
                assert!(r.start <= r.end && r.end <= consumed + c.len() as u64);
            }
        }
        consumed += c.len() as u64;
    }
    d.finish();
    while let Some(e) = d.poll_event() {
        let _ = e.to_string();
    }
});
