//! `oncp-wasm`: wasm-bindgen bindings of `oncp-core` for Node.js and the
//! browser trace analyser (`www/`). Glue only: every decoding decision is
//! in `oncp-core`, so the events equal `oncp decode --json`'s.

mod codecs;
mod decoder;

pub use codecs::*;
pub use decoder::{Decoder, Plaintexts};
use wasm_bindgen::prelude::*;

/// The version of this package.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
