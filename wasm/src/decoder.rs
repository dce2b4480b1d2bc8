//! The streaming trace decoder for JavaScript: the same `oncp-core`
//! decoder as `oncp decode`, events returned as the same JSON objects as
//! `oncp decode --json`; with `plaintext: true`, the decrypted bytes of
//! each event beside them ([`Decoder::take_plaintexts`]).

use oncp_core::trace::{Decoder as CoreDecoder, DecoderOptions, Event, Plaintext};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

use crate::event_objects::EventObjects;

/// Options of [`Decoder`] (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct JsOptions {
    show_secrets: bool,
    packet_events: bool,
    plaintext: bool,
}

/// A streaming capture decoder: `push` chunks of a pcap/pcapng file,
/// `addKeylog` NSS key log text, take events with `takeEvents`, and call
/// `finish` at the end of the file.
#[wasm_bindgen]
pub struct Decoder {
    inner: CoreDecoder,
    /// Events taken so far (the number of the next one).
    taken: u64,
    /// The decrypted bytes of the events taken since `takePlaintexts`.
    plain: Plaintexts,
    /// The encoder of `takeEvents`' objects.
    objects: EventObjects,
}

/// The decrypted bytes of some events (see [`Decoder::take_plaintexts`]):
/// for the `k`-th of them, event number `events[k]` (counted from 0 over
/// every event this decoder gave), `lengths[k]` bytes in `bytes` after
/// those of the ones before; a length of -1 when they are withheld (they
/// carry secrets and `showSecrets` is off), -2 when they are the same bytes
/// as the `k-1`-th's (an ESP packet's payload and the inner packet after
/// it), which are not repeated.
#[wasm_bindgen]
#[derive(Debug, Default)]
pub struct Plaintexts {
    events: Vec<f64>,
    lengths: Vec<i32>,
    bytes: Vec<u8>,
    /// Where the last bytes added are in `bytes`.
    last: Option<core::ops::Range<usize>>,
}

/// [`Plaintexts`]' length for withheld bytes.
const WITHHELD: i32 = -1;
/// [`Plaintexts`]' length for the same bytes as the previous event's.
const SAME_AS_PREVIOUS: i32 = -2;

#[wasm_bindgen]
impl Plaintexts {
    /// The event numbers (a `Float64Array`); taken: a second call gives none.
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> Vec<f64> {
        std::mem::take(&mut self.events)
    }

    /// The lengths (an `Int32Array`; -1: withheld, -2: as the one before);
    /// taken.
    #[wasm_bindgen(js_name = takeLengths)]
    pub fn take_lengths(&mut self) -> Vec<i32> {
        std::mem::take(&mut self.lengths)
    }

    /// The bytes, one event's after the other's (a `Uint8Array`); taken.
    #[wasm_bindgen(js_name = takeBytes)]
    pub fn take_bytes(&mut self) -> Vec<u8> {
        self.last = None;
        std::mem::take(&mut self.bytes)
    }

    /// How many events have plaintext here.
    #[wasm_bindgen(getter)]
    pub fn count(&self) -> usize {
        self.events.len()
    }
}

impl Plaintexts {
    fn add(&mut self, event: u64, p: &Plaintext) {
        self.events.push(event as f64);
        match p {
            Plaintext::Bytes(b) if self.last.clone().is_some_and(|r| self.bytes[r] == **b) => {
                self.lengths.push(SAME_AS_PREVIOUS);
            }
            Plaintext::Bytes(b) => {
                // One event's bytes are at most a 64 KiB KMP message, an IP
                // packet or a 256 KiB scanned HTTP body.
                self.lengths
                    .push(i32::try_from(b.len()).unwrap_or(i32::MAX));
                let start = self.bytes.len();
                self.bytes.extend_from_slice(b);
                self.last = Some(start..self.bytes.len());
            }
            Plaintext::Withheld => {
                self.lengths.push(WITHHELD);
                self.last = None;
            }
        }
    }
}

#[wasm_bindgen]
impl Decoder {
    /// A decoder; `options` may be `undefined` or
    /// `{ showSecrets?: boolean, packetEvents?: boolean, plaintext?: boolean }`
    /// (`plaintext`: keep each decrypted event's bytes for
    /// [`Decoder::take_plaintexts`]).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Decoder, JsError> {
        let o: JsOptions = if options.is_undefined() || options.is_null() {
            JsOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options).map_err(|e| JsError::new(&e.to_string()))?
        };
        Ok(Decoder {
            inner: CoreDecoder::new(DecoderOptions {
                show_secrets: o.show_secrets,
                packet_events: o.packet_events,
                plaintext: o.plaintext,
                ..Default::default()
            }),
            taken: 0,
            plain: Plaintexts::default(),
            objects: EventObjects::default(),
        })
    }

    /// Feeds the next chunk of the capture file.
    pub fn push(&mut self, chunk: &[u8]) {
        self.inner.push(chunk);
    }

    /// Adds NSS key log text (SSLKEYLOGFILE format).
    #[wasm_bindgen(js_name = addKeylog)]
    pub fn add_keylog(&mut self, text: &str) {
        self.inner.add_keylog(text.as_bytes());
    }

    /// Marks the end of the capture (flushes held data, reports truncation).
    pub fn finish(&mut self) {
        self.inner.finish();
    }

    /// Packets read so far.
    pub fn packets(&self) -> f64 {
        self.inner.packets() as f64
    }

    /// The decrypted bytes of the events taken (by `takeEvents` or
    /// `takeEventsJson`) since the last call; none unless the decoder was
    /// made with `plaintext: true`. Kept only until taken: a caller that
    /// wants them later stores them itself.
    #[wasm_bindgen(js_name = takePlaintexts)]
    pub fn take_plaintexts(&mut self) -> Plaintexts {
        std::mem::take(&mut self.plain)
    }

    /// Every event decoded so far, as plain objects: the same objects as
    /// `JSON.parse` of `oncp decode --json`'s lines (no number here
    /// exceeds 2^53: times are µs since 1970), built in JavaScript from a
    /// compact encoding (see `event_objects.rs`), several times faster
    /// than `JSON.parse` of the events' JSON.
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> JsValue {
        while let Some(e) = self.inner.poll_event() {
            self.objects.push(&e);
            self.keep_plaintext(&e);
        }
        self.objects.take()
    }

    /// Every event decoded so far as JSON text: one event object per line
    /// (the lines of `oncp decode --json`), each ending in `\n`; empty when
    /// there is none. For consumers that keep or forward events as text
    /// (the browser analyser's worker keeps each line as the event's
    /// detail).
    #[wasm_bindgen(js_name = takeEventsJson)]
    pub fn take_events_json(&mut self) -> Result<String, JsError> {
        let mut text = self.write_events(b"", b"\n", b"")?;
        if !text.is_empty() {
            text.push('\n');
        }
        Ok(text)
    }
}

impl Decoder {
    /// The pending events as JSON objects between `open` and `close`,
    /// separated by `sep`.
    fn write_events(&mut self, open: &[u8], sep: &[u8], close: &[u8]) -> Result<String, JsError> {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(open);
        let mut first = true;
        while let Some(e) = self.inner.poll_event() {
            if !first {
                out.extend_from_slice(sep);
            }
            first = false;
            e.write_json(&mut out);
            self.keep_plaintext(&e);
        }
        out.extend_from_slice(close);
        String::from_utf8(out).map_err(|e| JsError::new(&e.to_string()))
    }
}

impl Decoder {
    /// Notes event `e` (the next one taken) and its plaintext, if any.
    fn keep_plaintext(&mut self, e: &Event) {
        if let Some(p) = &e.plaintext {
            self.plain.add(self.taken, p);
        }
        self.taken += 1;
    }
}
