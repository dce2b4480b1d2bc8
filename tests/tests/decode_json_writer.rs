//! `Event::write_json` (what `oncp decode --json` and the wasm package
//! print) gives the same bytes as serde_json over the `serde` derive, for
//! every event of every testdata capture: decoded as it is, with secrets
//! and packet events shown (other fields and values), and cut short (error
//! events).

use oncp_core::trace::{Decoder, DecoderOptions, Event};
use oncp_tests::testdata::traces;

/// Every event of `capture` decoded with `opts`.
fn events(capture: &[u8], keylog: &[u8], opts: DecoderOptions) -> Vec<Event> {
    let mut d = Decoder::new(opts);
    d.add_keylog(keylog);
    let mut out = Vec::new();
    for chunk in capture.chunks(64 * 1024) {
        d.push(chunk);
        while let Some(e) = d.poll_event() {
            out.push(e);
        }
    }
    d.finish();
    while let Some(e) = d.poll_event() {
        out.push(e);
    }
    out
}

#[test]
fn write_json_equals_serde_json_on_every_trace() {
    let traces = traces();
    assert!(traces.len() >= 11, "testdata has its captures");
    let mut checked = 0;
    for t in traces {
        let capture = std::fs::read(&t).unwrap();
        let keylog = std::fs::read(t.with_extension("keys")).unwrap();
        let cut = &capture[..capture.len() * 2 / 3];
        let secrets = DecoderOptions {
            show_secrets: true,
            packet_events: true,
            ..Default::default()
        };
        for (capture, opts) in [
            (&capture[..], DecoderOptions::default()),
            (&capture[..], secrets),
            (cut, DecoderOptions::default()),
        ] {
            for e in events(capture, &keylog, opts) {
                let mut ours = Vec::new();
                e.write_json(&mut ours);
                let serde = serde_json::to_vec(&e).unwrap();
                assert_eq!(
                    String::from_utf8_lossy(&ours),
                    String::from_utf8_lossy(&serde),
                    "{}",
                    t.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 1000, "{checked} events compared");
}
