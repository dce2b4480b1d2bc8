//! `oncp explain` for JavaScript: a pasted VPN log in, the explanation
//! (verdicts, the decoded tree, the log's own problems) out, as the same
//! JSON object `oncp explain --json` prints, or as its text.

use oncp_core::explain::{Options, explain};
use wasm_bindgen::prelude::*;

/// Explains `log`: an object with `formats`, `verdicts` (each `id`,
/// `severity`, `title`, `detail`, `advice`, `line`), `items` (the decoded
/// tree: `line`, `direction`, `summary`, `fields`, `notes`, `children`),
/// `damage` and `lines`. Secrets are redacted unless `showSecrets`.
#[wasm_bindgen(js_name = explainLog)]
pub fn explain_log(log: &str, show_secrets: bool) -> Result<JsValue, JsError> {
    let e = explain(log, &Options { show_secrets });
    serde::Serialize::serialize(&e, &serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|err| JsError::new(&err.to_string()))
}

/// Explains `log` as text (what `oncp explain` prints).
#[wasm_bindgen(js_name = explainLogText)]
pub fn explain_log_text(log: &str, show_secrets: bool) -> String {
    explain(log, &Options { show_secrets }).to_text()
}
