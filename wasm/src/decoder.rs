//! The streaming trace decoder for JavaScript: the same `oncp-core`
//! decoder as `oncp decode`, events returned as the same JSON objects as
//! `oncp decode --json`.

use oncp_core::trace::{Decoder as CoreDecoder, DecoderOptions};
use serde::Deserialize;
use wasm_bindgen::prelude::*;

/// Options of [`Decoder`] (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct JsOptions {
    show_secrets: bool,
    packet_events: bool,
}

/// A streaming capture decoder: `push` chunks of a pcap/pcapng file,
/// `addKeylog` NSS key log text, take events with `takeEvents`, and call
/// `finish` at the end of the file.
#[wasm_bindgen]
pub struct Decoder {
    inner: CoreDecoder,
}

#[wasm_bindgen]
impl Decoder {
    /// A decoder; `options` may be `undefined` or
    /// `{ showSecrets?: boolean, packetEvents?: boolean }`.
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
                ..Default::default()
            }),
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

    /// Every event decoded so far, as plain objects.
    ///
    /// Built by one `JSON.parse` of the events' JSON rather than object by
    /// object across the wasm boundary: several times faster (one string
    /// crossing instead of calls per field), and the same objects as
    /// `oncp decode --json` gives (no number here exceeds 2^53: times are
    /// µs since 1970).
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> Result<JsValue, JsError> {
        let text = self.write_events(b"[", b",", b"]")?;
        json_parse(&text).map_err(|_| JsError::new("JSON.parse rejected the events' JSON"))
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
            serde_json::to_writer(&mut out, &e).map_err(|e| JsError::new(&e.to_string()))?;
        }
        out.extend_from_slice(close);
        String::from_utf8(out).map_err(|e| JsError::new(&e.to_string()))
    }
}

#[wasm_bindgen]
extern "C" {
    /// The JavaScript `JSON.parse`.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn json_parse(text: &str) -> Result<JsValue, JsValue>;
}
