//! The Pulse decoder over a constructed session (the messages of
//! spec/pulse.md §8 built with the codecs), fed as plaintext in small
//! pieces: events per message, secrets redacted, ESP SAs registered so
//! that ESP packets of both directions decrypt.

use alloc::collections::VecDeque;
use alloc::string::{String, ToString};

use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::app::AppStreams;
use super::esp::EspRegistry;
use super::{Ctx, DecoderOptions, Out};
use crate::esp::{Cipher, Integrity, NextHeader, OutboundSa, SaLifetime, SaParams};
use crate::pulse::auth::*;
use crate::pulse::config::*;
use crate::pulse::control::*;
use crate::pulse::eap::{EapCode, EapPacket, eap_type};
use crate::pulse::http::{SWITCHING_PROTOCOLS, UpgradeRequest};
use crate::pulse::version::{VersionRequest, VersionResponse};
use crate::pulse::{IftMessage, Secret};
use crate::rng::TestRng;
use crate::time::Instant;
use crate::trace::Direction;
use crate::trace::event::{Event, Layer};

fn server_entry() -> EspKeyEntry {
    let mut secrets = [0u8; 64];
    for (i, b) in secrets[..48].iter_mut().enumerate() {
        *b = i as u8 + 1;
    }
    EspKeyEntry {
        spi: 0x1122_3344,
        secrets,
    }
}

fn client_entry() -> EspKeyEntry {
    let mut secrets = [0u8; 64];
    secrets[..48].fill(0x5a);
    EspKeyEntry {
        spi: 0xa1b2_c3d4,
        secrets,
    }
}

fn streams() -> (Vec<u8>, Vec<u8>) {
    let mut c = UpgradeRequest {
        host: "vpn.example.com".into(),
        port: 443,
        path: String::new(),
        user_agent: "Open AnyConnect VPN Agent v9.01".into(),
        dsid: None,
    }
    .to_bytes();
    let mut s = SWITCHING_PROTOCOLS.to_vec();
    let push = |v: &mut Vec<u8>, m: IftMessage| m.emit(v);
    push(&mut c, VersionRequest::OPENCONNECT.to_message(0));
    push(&mut s, VersionResponse { version: 2 }.to_message(0x1f5));
    push(&mut c, ClientInfo::new("debian", None).to_message(1));
    push(&mut s, AuthMessage::start().to_message(0x1f6));
    let id = EapPacket::typed(
        EapCode::Response,
        1,
        eap_type::IDENTITY,
        b"anonymous".to_vec(),
    );
    push(
        &mut c,
        AuthMessage::with_eap(AuthStage::Response, id).to_message(2),
    );
    let pw = ServerRequest::new(RequestKind::Password {
        inner_id: 1,
        request: Juniper2Request::Password,
    });
    push(
        &mut s,
        AuthMessage::juniper1(AuthStage::Challenge, 3, &pw.to_avps()).to_message(0x1f7),
    );
    let ans = ClientAnswer::Credential {
        username: Some("alice".into()),
        inner_id: 1,
        credential: Credential::Password(Juniper2Response {
            password: Secret::from("hunter2"),
            new_password: None,
        }),
    };
    push(
        &mut c,
        AuthMessage::juniper1(AuthStage::Response, 3, &ans.to_avps().unwrap()).to_message(3),
    );
    let cookie = ServerRequest::new(RequestKind::Cookie(Secret::from("0123456789abcdef")));
    push(
        &mut s,
        AuthMessage::juniper1(AuthStage::Challenge, 4, &cookie.to_avps()).to_message(0x1f8),
    );
    push(
        &mut c,
        AuthMessage::juniper1(AuthStage::Response, 4, &[]).to_message(4),
    );
    push(&mut s, AuthMessage::success(4).to_message(0x1f9));
    let cfg = PulseConfig {
        ipv4_address: Some(Ipv4Addr::new(10, 10, 1, 2)),
        mtu: Some(1400),
        esp: PulseEsp {
            cipher: Some(2),
            mac: Some(3),
            port: Some(4500),
            ..Default::default()
        },
        ..Default::default()
    };
    // A range not on a prefix boundary: shown as the range and its CIDRs.
    let mut main = cfg.to_main();
    main.routes = alloc::vec![RouteRange {
        exclude: false,
        first: Ipv4Addr::new(10, 0, 0, 1),
        last: Ipv4Addr::new(10, 0, 0, 6),
    }];
    push(&mut s, main.to_message(0x1fa));
    push(&mut s, EspKeyMessage::new(server_entry()).to_message(0x1fb));
    let reply = EspKeyReply {
        client: client_entry(),
        server: server_entry(),
    };
    push(&mut c, reply.to_message(5));
    push(&mut c, ncmo_message(6));
    push(&mut s, end_of_config_message(0x1fc));
    let packet = crate::netpkt::ipv4_packet(
        Ipv4Addr::new(10, 10, 1, 2),
        Ipv4Addr::new(10, 0, 0, 1),
        253,
        1,
        &[1, 2, 3],
    );
    push(&mut c, data_message(7, &packet));
    let fatal = FatalError {
        error_type: 8,
        text: "Session timed out".into(),
    };
    push(&mut s, fatal.to_message(0x1fd));
    push(&mut c, logout_message(8));
    (c, s)
}

fn decode(show: bool) -> (Vec<Event>, EspRegistry) {
    let (c, s) = streams();
    let opts = DecoderOptions {
        show_secrets: show,
        ..Default::default()
    };
    let ctx = Ctx::default();
    let mut events = VecDeque::new();
    let mut esp = EspRegistry::default();
    let mut app = AppStreams::new(1);
    {
        let mut out = Out {
            events: &mut events,
            ctx: &ctx,
            esp: &mut esp,
            opts: &opts,
        };
        // Both directions interleaved in 7-byte pieces.
        let (mut co, mut so) = (0u64, 0u64);
        let (mut ci, mut si) = (c.chunks(7), s.chunks(7));
        loop {
            let a = ci.next();
            if let Some(a) = a {
                app.data(&mut out, Direction::ClientToServer, co, a);
                co += a.len() as u64;
            }
            let b = si.next();
            if let Some(b) = b {
                app.data(&mut out, Direction::ServerToClient, so, b);
                so += b.len() as u64;
            }
            if a.is_none() && b.is_none() {
                break;
            }
        }
        app.finish(&mut out);
    }
    (events.into_iter().collect(), esp)
}

#[test]
fn pulse_session_is_decoded_with_secrets_redacted() {
    let (events, _) = decode(false);
    let text: Vec<String> = events.iter().map(|e| e.to_string()).collect();
    let all = text.join("\n");
    let pulse = events.iter().filter(|e| e.layer == Layer::Pulse).count();
    assert_eq!(pulse, 17, "{all}");
    assert!(events.iter().all(|e| e.error.is_none()), "{all}");
    assert!(all.contains("version request 1..2 preferring 2"), "{all}");
    assert!(all.contains("client information debian"), "{all}");
    assert!(all.contains("0xd6d user name"), "{all}");
    assert!(all.contains("Juniper/2"), "{all}");
    assert!(
        all.contains("main configuration address=10.10.1.2 mtu=1400"),
        "{all}"
    );
    assert!(
        all.contains("include 10.0.0.1-10.0.0.6 = 10.0.0.1/32,10.0.0.2/31,10.0.0.4/31,10.0.0.6/32"),
        "{all}"
    );
    assert!(all.contains("esp_mac=HMAC-SHA-256-128"), "{all}");
    assert!(
        all.contains("SA spi=0x11223344 for C->S packets: AES-128-CBC + HMAC-SHA-256-128"),
        "{all}"
    );
    assert!(all.contains("SA spi=0xa1b2c3d4 for S->C packets"), "{all}");
    assert!(all.contains("fatal error 8: Session timed out"), "{all}");
    assert!(all.contains("logout"), "{all}");
    assert!(events.iter().any(|e| e.layer == Layer::Inner), "{all}");
    // Password (hex of "hunter2" inside Juniper/2), user name and cookie.
    for secret in [
        "hunter2",
        "68756e74657232",
        "alice",
        "0123456789abcdef",
        "5a5a5a",
    ] {
        assert!(!all.contains(secret), "{secret} shown:\n{all}");
    }
    let (shown, _) = decode(true);
    let shown: String = shown.iter().map(|e| e.to_string() + "\n").collect();
    for secret in ["68756e74657232", "alice", "0123456789abcdef", "5a5a5a"] {
        assert!(shown.contains(secret), "{secret} hidden with show_secrets");
    }
}

#[test]
fn esp_of_both_directions_decrypts_with_the_announced_sas() {
    let (_, mut esp) = decode(false);
    let client: SocketAddr = (IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)), 50000).into();
    let gateway: SocketAddr = (IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)), 4500).into();
    let mut rng = TestRng::new(5);
    for (entry, src, dst) in [
        (server_entry(), client, gateway),
        (client_entry(), gateway, client),
    ] {
        let p = SaParams::new(
            entry.spi,
            Cipher::Aes128Cbc,
            Integrity::HmacSha256_128,
            &entry.secrets,
        );
        let mut sa = OutboundSa::new(&p, Instant(0), SaLifetime::default());
        let pkt = sa.probe_with(NextHeader::IPV4, &mut rng).unwrap();
        assert_eq!(pkt.len(), 56);
        assert!(esp.claims(src, dst, &pkt));
        let mut out = Vec::new();
        esp.decode(src, dst, &pkt, false, &mut out);
        let text: Vec<String> = out.iter().map(|(_, e)| e.to_string()).collect();
        assert!(out.iter().all(|(_, e)| e.error.is_none()), "{text:?}");
        assert!(!out.is_empty());
    }
}
