//! Property tests for the Pulse codecs: emit-then-parse is the identity
//! for generated messages, AVPs, requests, answers and configurations;
//! the deframer gives the same messages however the stream is cut; split
//! ranges become exact, aligned CIDR lists; no input makes a parser panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use oncp_core::pulse::auth::*;
use oncp_core::pulse::avp::{Avp, FLAG_MANDATORY, parse_avps};
use oncp_core::pulse::config::*;
use oncp_core::pulse::eap::{EapBody, EapCode, EapPacket};
use oncp_core::pulse::*;
use proptest::collection::vec;
use proptest::option::of;
use proptest::prelude::*;

fn ift() -> impl Strategy<Value = IftMessage> {
    (
        prop_oneof![Just(0x5597u32), Just(0x0a4c), 0u32..0x0100_0000],
        any::<u32>(),
        any::<u32>(),
        vec(any::<u8>(), 0..200),
    )
        .prop_map(|(v, n, id, value)| {
            IftMessage::new(
                MessageType {
                    vendor: Vendor(v),
                    number: n,
                },
                id,
                value,
            )
        })
}

fn avp() -> impl Strategy<Value = Avp> {
    (
        any::<u32>(),
        any::<u8>(),
        of(any::<u32>()),
        vec(any::<u8>(), 0..40),
    )
        .prop_map(|(code, flags, vendor, data)| Avp {
            code,
            flags: (flags & 0x7f) | if vendor.is_some() { 0x80 } else { 0 },
            vendor,
            data,
        })
}

fn eap() -> impl Strategy<Value = EapPacket> {
    let body = prop_oneof![
        (0u32..0x0100_0000, any::<u32>(), vec(any::<u8>(), 0..40)).prop_map(
            |(vendor, vendor_type, data)| EapBody::Expanded {
                vendor,
                vendor_type,
                data
            }
        ),
        ((0u8..254), vec(any::<u8>(), 0..40))
            .prop_map(|(eap_type, data)| EapBody::Typed { eap_type, data }),
    ];
    prop_oneof![
        (
            prop_oneof![Just(EapCode::Request), Just(EapCode::Response)],
            any::<u8>(),
            body
        )
            .prop_map(|(code, identifier, body)| EapPacket {
                code,
                identifier,
                body
            }),
        (
            prop_oneof![Just(EapCode::Success), Just(EapCode::Failure)],
            any::<u8>()
        )
            .prop_map(|(code, identifier)| EapPacket {
                code,
                identifier,
                body: EapBody::Empty
            }),
    ]
}

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._:-]{1,20}"
}

fn secret() -> impl Strategy<Value = Secret> {
    "[ -~]{0,40}".prop_map(Secret::new)
}

fn kind() -> impl Strategy<Value = RequestKind> {
    prop_oneof![
        Just(RequestKind::ServerInfo),
        vec(text(), 1..4).prop_map(RequestKind::RealmList),
        Just(RequestKind::RealmEntry),
        vec(text(), 1..4).prop_map(RequestKind::RegionList),
        (
            any::<u8>(),
            prop_oneof![
                Just(Juniper2Request::Password),
                Just(Juniper2Request::Retry),
                Just(Juniper2Request::Change)
            ]
        )
            .prop_map(|(inner_id, request)| RequestKind::Password { inner_id, request }),
        any::<u8>().prop_map(|inner_id| RequestKind::Password5 { inner_id }),
        (any::<u8>(), "[ -~]{0,30}")
            .prop_map(|(inner_id, prompt)| RequestKind::Token { inner_id, prompt }),
        vec(
            (text(), text(), 1u64..).prop_map(|(id, from, login_time)| ExistingSession {
                id,
                from,
                login_time
            }),
            1..3
        )
        .prop_map(RequestKind::SessionLimit),
        "[0-9a-f]{32}".prop_map(|c| RequestKind::Cookie(Secret::new(c))),
        any::<u32>().prop_map(|c| RequestKind::Failure(Failure::Code(c))),
        text().prop_map(|m| RequestKind::Failure(Failure::Message(m))),
        Just(RequestKind::HostChecker),
    ]
}

prop_compose! {
    fn modifiers()(prompt_fields in of(any::<u32>()), user_label in of(text()),
                   password_label in of(text()), user2_label in of(text()),
                   password2_label in of(text()), session_lifetime in of(any::<u32>()),
                   idle_timeout in of(any::<u32>()), cert_md5 in of("[0-9a-f]{32}"),
                   notice in of(text())) -> Modifiers {
        Modifiers { prompt_fields, user_label, password_label, user2_label, password2_label,
                    session_lifetime, idle_timeout, cert_md5, notice }
    }
}

fn request() -> impl Strategy<Value = ServerRequest> {
    (
        kind(),
        modifiers(),
        vec((0xe00u32..0xf00, vec(any::<u8>(), 0..8)), 0..3),
    )
        .prop_map(|(kind, mut modifiers, other)| {
            match kind {
                RequestKind::ServerInfo => modifiers.notice = None,
                RequestKind::Notice => {}
                _ => {}
            }
            let other = other.into_iter().map(|(c, d)| Avp::pulse(c, d)).collect();
            ServerRequest {
                kind,
                modifiers,
                other,
            }
        })
}

fn answer() -> impl Strategy<Value = ClientAnswer> {
    let cred = prop_oneof![
        (secret(), of(secret())).prop_map(|(password, new_password)| Credential::Password(
            Juniper2Response {
                password,
                new_password
            }
        )),
        "[!-~]{0,18}".prop_map(|p| Credential::Password5(Secret::new(p))),
        secret().prop_map(Credential::Token),
    ];
    prop_oneof![
        (text(), of("[0-9a-f]{32}"), of(text())).prop_map(|(version, cookie, os)| {
            ClientAnswer::Hello {
                version,
                cookie: cookie.map(Secret::new),
                os,
            }
        }),
        text().prop_map(ClientAnswer::Realm),
        text().prop_map(ClientAnswer::Region),
        (of(text()), any::<u8>(), cred).prop_map(|(username, inner_id, credential)| {
            ClientAnswer::Credential {
                username,
                inner_id,
                credential,
            }
        }),
        text().prop_map(ClientAnswer::KillSession),
        Just(ClientAnswer::NoticeAck),
        Just(ClientAnswer::Empty),
    ]
}

fn v4() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>().prop_map(Ipv4Addr::from)
}
fn v6() -> impl Strategy<Value = Ipv6Addr> {
    any::<u128>().prop_map(Ipv6Addr::from)
}
fn cidr4() -> impl Strategy<Value = Ipv4Cidr> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, p)| {
        let mask = u32::MAX.checked_shl(32 - u32::from(p)).unwrap_or(0);
        Ipv4Cidr {
            addr: Ipv4Addr::from(a & mask),
            prefix: p,
        }
    })
}
fn cidr6() -> impl Strategy<Value = Ipv6Cidr> {
    (v6(), 0u8..=128).prop_map(|(addr, prefix)| Ipv6Cidr { addr, prefix })
}

prop_compose! {
    fn esp_values()(cipher in of(any::<u16>()), mac in of(any::<u16>()),
                    lifetime_secs in of(any::<u32>()), lifetime_bytes in of(any::<u32>()),
                    replay_protection in of(any::<bool>()), port in of(any::<u16>()),
                    fallback_secs in of(any::<u32>()), esp_only in of(any::<bool>()),
                    both_families in of(any::<bool>())) -> PulseEsp {
        PulseEsp { cipher, mac, lifetime_secs, lifetime_bytes, replay_protection, port,
                   fallback_secs, esp_only, both_families }
    }
}

prop_compose! {
    fn config()(ipv4_address in of(v4()), ipv4_netmask in of(v4()),
                ipv6_address in of(cidr6()),
                dns in vec(prop_oneof![v4().prop_map(IpAddr::V4), v6().prop_map(IpAddr::V6)], 0..4),
                wins in vec(v4(), 0..3),
                search_domains in vec("[a-z]{1,8}(\\.[a-z]{1,5})?", 0..3),
                split_include in vec(cidr4(), 0..4), split_exclude in vec(cidr4(), 0..3),
                split_include_v6 in vec(cidr6(), 0..3), split_exclude_v6 in vec(cidr6(), 0..2),
                mtu in of(any::<u32>()), ipv4_gateway in of(v4()), ipv6_gateway in of(v6()),
                esp in esp_values(),
                unknown in vec((0x5000u16..0x6000, vec(any::<u8>(), 0..6)), 0..3)) -> PulseConfig {
        PulseConfig { ipv4_address, ipv4_netmask, ipv6_address, dns, wins, search_domains,
                      split_include, split_exclude, split_include_v6, split_exclude_v6, mtu,
                      ipv4_gateway, ipv6_gateway, esp,
                      unknown: unknown.into_iter().map(|(t, v)| Attribute::new(t, v)).collect(),
                      malformed: Vec::new() }
    }
}

fn entry() -> impl Strategy<Value = EspKeyEntry> {
    (any::<u32>(), proptest::array::uniform32(any::<u8>())).prop_map(|(spi, h)| {
        let mut secrets = [0u8; 64];
        secrets[..32].copy_from_slice(&h);
        secrets[40..].copy_from_slice(&h[..24]);
        EspKeyEntry { spi, secrets }
    })
}

proptest! {
    #[test]
    fn ift_round_trip(m in ift()) {
        let b = m.to_bytes();
        let (back, used) = IftMessage::parse(&b, 1 << 20).unwrap();
        prop_assert_eq!(used, b.len());
        prop_assert_eq!(back, m);
    }

    #[test]
    fn deframer_ignores_cuts(msgs in vec(ift(), 0..6), cuts in vec(1usize..64, 0..40)) {
        let stream: Vec<u8> = msgs.iter().flat_map(IftMessage::to_bytes).collect();
        let mut d = Deframer::new().with_max_message_len(300);
        let mut got = Vec::new();
        let mut rest = &stream[..];
        let mut it = cuts.iter().cycle();
        while !rest.is_empty() {
            let n = (*it.next().unwrap_or(&7)).min(rest.len());
            d.feed(&rest[..n]).unwrap();
            rest = &rest[n..];
            prop_assert!(d.buffered() <= 300);
            while let Some(f) = d.poll() { got.push(f.message); }
        }
        prop_assert!(!d.has_partial());
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn avps_round_trip(avps in vec(avp(), 0..6)) {
        let mut b = Vec::new();
        oncp_core::pulse::avp::emit_avps(&avps, &mut b);
        prop_assert_eq!(b.len() % 4, 0);
        prop_assert_eq!(parse_avps(&b).unwrap(), avps);
    }

    #[test]
    fn eap_round_trip(p in eap()) {
        prop_assert_eq!(EapPacket::parse(&p.to_bytes()).unwrap(), p);
    }

    #[test]
    fn requests_round_trip(r in request(), id in any::<u8>(), msg_id in any::<u32>()) {
        let m = AuthMessage::juniper1(AuthStage::Challenge, id, &r.to_avps()).to_message(msg_id);
        let (framed, _) = IftMessage::parse(&m.to_bytes(), 1 << 20).unwrap();
        let auth = AuthMessage::parse(&framed).unwrap();
        prop_assert_eq!(auth.eap.as_ref().unwrap().identifier, id);
        let avps = auth.juniper1_avps().unwrap().unwrap();
        let back = ServerRequest::from_avps(&avps).unwrap();
        prop_assert!(avps.iter().all(|a| a.is_eap_message() || a.flags & FLAG_MANDATORY == 0));
        prop_assert_eq!(back, r);
    }

    #[test]
    fn answers_round_trip(a in answer()) {
        let avps = a.to_avps().unwrap();
        let back = ClientAnswer::from_avps(&avps).unwrap();
        prop_assert_eq!(back.answer, a);
        prop_assert!(back.other.is_empty());
    }

    #[test]
    fn configs_round_trip(c in config(), id in any::<u32>()) {
        let main = c.to_main();
        let m = main.to_message(id);
        let Message::Config(back) = Message::decode(&m, Sender::Gateway).unwrap() else {
            panic!("not a configuration");
        };
        prop_assert_eq!(&back, &main);
        prop_assert_eq!(PulseConfig::from_main(&back).unwrap(), c);
    }

    #[test]
    fn esp_keys_round_trip(s in entry(), c in entry(), id in any::<u32>()) {
        let k = EspKeyMessage::new(s.clone());
        prop_assert_eq!(Message::decode(&k.to_message(id), Sender::Gateway).unwrap(), Message::EspKeys(k));
        let r = EspKeyReply { client: c, server: s };
        let m = r.to_message(id);
        prop_assert_eq!(m.wire_len(), 192);
        prop_assert_eq!(Message::decode(&m, Sender::Client).unwrap(), Message::EspReply(r));
    }

    #[test]
    fn ranges_are_exact(a in any::<u32>(), b in any::<u32>()) {
        let (lo, hi) = (a.min(b), a.max(b));
        let list = range_to_cidrs(Ipv4Addr::from(lo), Ipv4Addr::from(hi));
        prop_assert!(!list.is_empty() && list.len() <= 62);
        let mut next = u64::from(lo);
        for c in &list {
            let (f, l) = c.range();
            prop_assert_eq!(f, c.addr, "host bits set");
            prop_assert_eq!(u64::from(u32::from(f)), next, "gap or overlap");
            next = u64::from(u32::from(l)) + 1;
        }
        prop_assert_eq!(next, u64::from(hi) + 1);
        // Minimal: no two neighbours could merge into one prefix.
        for w in list.windows(2) {
            let merged = w[0].prefix == w[1].prefix && w[0].prefix > 0
                && (u32::from(w[0].addr) >> (32 - u32::from(w[0].prefix))) & 1 == 0;
            prop_assert!(!merged, "{} and {} could merge", w[0], w[1]);
        }
    }

    #[test]
    fn garbage_never_panics(b in vec(any::<u8>(), 0..300), sender in any::<bool>()) {
        let sender = if sender { Sender::Client } else { Sender::Gateway };
        let mut d = Deframer::new();
        let _ = d.feed(&b);
        while let Some(f) = d.poll() {
            let _ = Message::decode(&f.message, sender);
        }
        for t in [1u32, 2, 5, 6, 7] {
            let m = IftMessage::new(MessageType { vendor: Vendor::TCG, number: t }, 0, b.clone());
            if let Ok(Message::Auth(a)) = Message::decode(&m, sender)
                && let Some(Ok(avps)) = a.juniper1_avps()
            {
                let _ = ServerRequest::from_avps(&avps);
                let _ = ClientAnswer::from_avps(&avps);
            }
        }
        for t in [1u32, 4, 5, 0x88, 0x89, 0x8f, 0x93, 0x96] {
            let m = IftMessage::new(MessageType { vendor: Vendor::JUNIPER, number: t }, 0, b.clone());
            let _ = Message::decode(&m, sender);
        }
        let _ = parse_avps(&b);
        let _ = ServerRequest::from_avps(&parse_avps(&b).unwrap_or_default());
        let _ = MainConfig::parse(&b);
        let _ = EspKeyMessage::parse(&b);
    }
}
