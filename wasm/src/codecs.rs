//! The codecs on their own: configuration packets, KMP streams, ESP
//! decryption with a given SA, LZO. Thin conversions around `oncp-core`.

use oncp_core::esp::{InboundSa, SaParams};
use oncp_core::oncp::wire::{Config, StreamDecoder, StreamItem, StreamKind};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use wasm_bindgen::prelude::*;

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsError::new(&e.to_string()))
}

/// The typed values of a configuration as JSON.
pub(crate) fn config_json(cfg: &Config) -> Value {
    let v = cfg.values();
    let ip = |a: &Option<std::net::Ipv4Addr>| a.map(|a| a.to_string());
    let routes = |r: &[oncp_core::oncp::wire::Route]| {
        r.iter()
            .map(|r| json!({"address": r.addr.to_string(), "netmask": r.mask.to_string(), "prefix": r.prefix_len()}))
            .collect::<Vec<_>>()
    };
    let e = &v.esp;
    json!({
        "address": ip(&v.address),
        "netmask": ip(&v.netmask),
        "internalGateway": ip(&v.internal_gateway),
        "dns": v.dns.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "wins": v.wins.iter().map(|a| a.to_string()).collect::<Vec<_>>(),
        "searchDomain": v.search_domain,
        "splitInclude": routes(&v.split_include),
        "splitExclude": routes(&v.split_exclude),
        "mtu": v.mtu,
        "esp": {
            "spi": e.spi,
            "cipher": e.cipher.map(|c| c.0),
            "mac": e.mac.map(|m| m.0),
            "compression": e.compression,
            "port": e.port,
            "lifetimeBytes": e.lifetime_bytes,
            "lifetimeSeconds": e.lifetime_secs,
            "fallbackSeconds": e.fallback_secs,
            "replayProtection": e.replay_protection,
            "hasSecrets": e.secrets.is_some(),
        },
        "unknown": v.unknown.iter().map(|u| json!({"group": u.group, "attr": u.attr, "value": hex::encode(&u.value)})).collect::<Vec<_>>(),
    })
}

/// Parses the payload of a KMP 301 configuration message.
#[wasm_bindgen(js_name = parseConfig)]
pub fn parse_config(payload: &[u8]) -> Result<JsValue, JsError> {
    let cfg = Config::parse(payload).map_err(|e| JsError::new(&e.to_string()))?;
    to_js(&config_json(&cfg))
}

/// Decodes one direction of an oNCP stream (the bytes after the HTTP
/// head): `direction` is `"c2s"` or `"s2c"`. Returns the items found; a
/// decoding error ends the list with an `{ kind: "error" }` item.
#[wasm_bindgen(js_name = decodeKmpStream)]
pub fn decode_kmp_stream(bytes: &[u8], direction: &str) -> Result<JsValue, JsError> {
    let kind = match direction {
        "c2s" => StreamKind::ClientToServer,
        "s2c" => StreamKind::ServerToClient,
        other => {
            return Err(JsError::new(&format!(
                "direction must be c2s or s2c, not {other:?}"
            )));
        }
    };
    let mut d = StreamDecoder::new(kind);
    let result = d.feed(bytes);
    let mut items = Vec::new();
    while let Some(i) = d.poll_item() {
        items.push(match i {
            StreamItem::Hostname(h) => {
                json!({"kind": "hostname", "hostname": String::from_utf8_lossy(&h.hostname)})
            }
            StreamItem::Status(s) => json!({"kind": "status", "status": s.0}),
            StreamItem::Terminated(r) => {
                json!({"kind": "terminated", "reason": r.0, "description": r.describe()})
            }
            StreamItem::Message {
                message,
                start,
                end,
                interleaved,
            } => json!({
                "kind": "message",
                "type": message.kmp_type().0,
                "typeName": message.kmp_type().name(),
                "length": message.payload.len(),
                "payload": hex::encode(&message.payload),
                "start": start,
                "end": end,
                "interleaved": interleaved,
            }),
        });
    }
    if let Err(e) = result {
        items.push(json!({"kind": "error", "offset": e.offset, "message": e.to_string()}));
    }
    to_js(&items)
}

/// An SA as JavaScript gives it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsSa {
    spi: u32,
    /// A cipher of the ESP name table, e.g. `"aes128-cbc"` or `"AES-256-CBC"`.
    cipher: String,
    /// An integrity algorithm of the name table, e.g. `"hmac-sha1-96"`.
    integrity: String,
    /// Encryption key, hex.
    enc_key: String,
    /// HMAC key, hex.
    mac_key: String,
}

/// Verifies and decrypts one ESP packet with the given SA
/// (`{spi, cipher, integrity, encKey, macKey}`, keys in hex). Returns
/// `{seq, nextHeader, probe, payload}`.
#[wasm_bindgen(js_name = espDecrypt)]
pub fn esp_decrypt(sa: JsValue, packet: &[u8]) -> Result<JsValue, JsError> {
    let sa: JsSa = serde_wasm_bindgen::from_value(sa).map_err(|e| JsError::new(&e.to_string()))?;
    let enc = hex::decode(&sa.enc_key).map_err(|e| JsError::new(&format!("encKey: {e}")))?;
    let mac = hex::decode(&sa.mac_key).map_err(|e| JsError::new(&format!("macKey: {e}")))?;
    let params = SaParams::from_named_keys(sa.spi, &sa.cipher, &sa.integrity, &enc, &mac)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let mut inbound = InboundSa::new(&params, false);
    let mut buf = packet.to_vec();
    let d = inbound
        .decrypt_in_place(&mut buf)
        .map_err(|e| JsError::new(&e.to_string()))?;
    let probe = d.is_probe(&buf);
    to_js(&json!({
        "seq": d.seq,
        "nextHeader": d.next_header.0,
        "probe": probe,
        "payload": hex::encode(&buf[d.payload]),
    }))
}

/// Decompresses an LZO1X stream into at most `limit` bytes.
#[wasm_bindgen(js_name = lzoDecompress)]
pub fn lzo_decompress(input: &[u8], limit: usize) -> Result<Vec<u8>, JsError> {
    oncp_core::lzo::decompress(input, limit).map_err(|e| JsError::new(&e.to_string()))
}

/// Compresses `input` as an LZO1X stream.
#[wasm_bindgen(js_name = lzoCompress)]
pub fn lzo_compress(input: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    oncp_core::lzo::Compressor::new().compress(input, &mut out);
    out
}
