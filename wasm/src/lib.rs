//! `oncp-wasm`: wasm-bindgen bindings of `oncp-core` for Node.js and the
//! browser trace analyser (`www/`), and `explainLog` for pasted logs. Glue only: every decoding decision is
//! in `oncp-core`, so the events equal `oncp decode --json`'s.

mod codecs;
mod decoder;
mod event_objects;
mod explain;

pub use codecs::*;
pub use decoder::{Decoder, Plaintexts};
pub use explain::{explain_log, explain_log_text};
use wasm_bindgen::prelude::*;

/// The version of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
