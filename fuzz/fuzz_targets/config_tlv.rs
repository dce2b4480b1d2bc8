//! Fuzzes the TLV payload parsers of KMP 301, 302 and 303 and the
//! hostname packet, with the whole input as the payload.
//!
//! Checked: no panic; whatever parses re-emits byte for byte (the generic
//! groups, a configuration, a rekey, a client's 302 when the input has its
//! fixed 86-byte layout, client controls, the hostname packet); the typed
//! values of a configuration survive a canonical re-encoding
//! ([`Config::from_values`]) unchanged (unknown TLVs may move to their
//! group); every error offset lies inside the input; `Debug` of the ESP
//! settings and of a rekey never shows the secrets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::oncp::wire::control::Control;
use oncp_core::oncp::wire::tlv::{emit_groups, groups_len, parse_groups};
use oncp_core::oncp::wire::{
    Config, ConfigValues, EspKeys, HostnamePacket, ServerRekey, WireError,
};

fn check_error<T>(r: &Result<T, WireError>, input: &[u8]) {
    if let Err(e) = r {
        assert!(e.offset <= input.len() as u64, "{e} past the input");
        let _ = e.to_string();
    }
}

fn emitted(c: &Config) -> Vec<u8> {
    let mut out = Vec::new();
    c.emit(&mut out);
    assert_eq!(out.len(), c.buffer_len());
    out
}

/// Values with the unknown TLVs in a canonical order.
fn normalized(v: &ConfigValues) -> ConfigValues {
    let mut v = v.clone();
    v.unknown
        .sort_by(|a, b| (a.group, a.attr, &a.value).cmp(&(b.group, b.attr, &b.value)));
    v
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fuzz_target!(|data: &[u8]| {
    let groups = parse_groups(data, 0);
    check_error(&groups, data);
    if let Ok(g) = &groups {
        let mut out = Vec::new();
        emit_groups(g, &mut out);
        assert_eq!(out, data);
        assert_eq!(groups_len(g), data.len());
    }

    let config = Config::parse(data);
    check_error(&config, data);
    if let Ok(c) = &config {
        assert!(
            groups.is_ok(),
            "a configuration parsed where the groups did not"
        );
        assert_eq!(emitted(c), data);
        let canonical = Config::from_values(c.values().clone());
        let again = Config::parse(&emitted(&canonical)).expect("canonical form parses");
        assert_eq!(normalized(again.values()), normalized(c.values()));
        if let Some(s) = c.values().esp.secrets
            && s.iter().any(|&b| b != s[0])
        {
            // The ESP settings print only numbers and codes besides the
            // secrets, so any run of secret bytes would stand out.
            let shown = format!("{:?}", c.values().esp);
            assert!(!shown.contains(&hex(&s[..8])), "secrets in Debug: {shown}");
            assert!(
                !shown.contains(&format!("{:?}", &s[..4])),
                "secrets in Debug"
            );
        }
    }

    let rekey = Config::parse_rekey(data);
    check_error(&rekey, data);
    if let Ok(c) = &rekey {
        assert_eq!(emitted(c), data);
        assert!(c.groups().iter().all(|g| g.id == 7 || g.id == 8));
    }
    let server = ServerRekey::parse_payload(data);
    check_error(&server, data);
    if let Ok(r) = &server {
        assert_eq!(emitted(r.config()), data);
        let keys = r.keys().expect("a parsed rekey has keys");
        assert!(!format!("{r:?}").contains(&hex(&keys.secrets[..8])));
    }

    let client = EspKeys::parse_client_payload(data);
    check_error(&client, data);
    if let Ok(k) = &client {
        let message = k.to_client_message();
        let canonical = &message.payload;
        assert_eq!(EspKeys::parse_client_payload(canonical).as_ref(), Ok(k));
        if data.len() == 86 && data[..12] == canonical[..12] && data[16..22] == canonical[16..22] {
            assert_eq!(&canonical[..], data, "the fixed layout re-emits exactly");
        }
    }

    let controls = Control::parse_payload(data);
    check_error(&controls, data);
    if let Ok(cs) = &controls {
        for c in cs {
            let m = c.to_message();
            assert_eq!(Control::parse_payload(&m.payload), Ok(vec![*c]));
        }
    }

    let hostname = HostnamePacket::parse(data);
    check_error(&hostname, data);
    if let Ok(h) = &hostname {
        assert_eq!(h.to_payload(), data);
        assert_eq!(h.buffer_len(), data.len());
    }
});
