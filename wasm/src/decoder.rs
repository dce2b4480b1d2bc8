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
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> Result<JsValue, JsError> {
        let mut events = Vec::new();
        while let Some(e) = self.inner.poll_event() {
            events.push(e);
        }
        let ser = serde_wasm_bindgen::Serializer::json_compatible();
        serde::Serialize::serialize(&events, &ser).map_err(|e| JsError::new(&e.to_string()))
    }
}
