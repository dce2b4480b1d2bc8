//! ClientSession against the byte-exact examples of spec/oncp.md: the
//! gateway's side is fed verbatim from the spec's dumps, and with an RNG
//! scripted to produce the spec's SPI, keys and IVs the client's output
//! must match the spec byte for byte (§2.1, §2.3, §5, §11.2–§11.7).

use std::collections::VecDeque;

#[path = "session/harness.rs"]
mod harness;
use harness::Polled;

use oncp_core::esp::{Cipher, Integrity, NextHeader, OutboundSa, SaLifetime, SaParams};
use oncp_core::oncp::session::*;
use oncp_core::oncp::wire::TerminationReason;
use oncp_core::rng::{Random, TestRng};
use oncp_core::time::{Duration, Instant};

#[path = "common/spec_dumps.rs"]
mod spec_dumps;
// §11.2 configuration, §11.3 client reply (303 + 302), §11.4 client data,
// §11.5 two packets in one KMP 300 cut across two records; `hex` reads the
// dumps below and the short byte strings of the tests.
use spec_dumps::{client_data, client_reply, config_record, hex, split_data};

/// Hands out scripted bytes first, then deterministic filler.
struct ScriptedRng(VecDeque<u8>, TestRng);

impl Random for ScriptedRng {
    fn fill(&mut self, buf: &mut [u8]) {
        for b in buf.iter_mut() {
            *b = match self.0.pop_front() {
                Some(x) => x,
                None => {
                    let mut one = [0];
                    self.1.fill(&mut one);
                    one[0]
                }
            };
        }
    }
}

fn range(from: u8, to: u8) -> Vec<u8> {
    (from..=to).collect()
}

/// §11.6: the client's first probe (sequence 0).
const PROBE: &str = "
0000: 11 22 33 44 00 00 00 00 00 11 22 33 44 55 66 77
0010: 88 99 aa bb cc dd ee ff 89 c0 1d 2f 77 1f 47 95
0020: 4c 96 8b 80 59 86 75 44 2f 0b 00 b7 ea 58 c4 b4
0030: 75 6e b8 6d";

/// §11.6: the §11.4 packet as ESP data, sequence 1.
const DATA_ESP: &str = "
0000: 11 22 33 44 00 00 00 01 f0 e1 d2 c3 b4 a5 96 87
0010: 78 69 5a 4b 3c 2d 1e 0f a3 a9 34 bb 25 65 a7 ec
0020: 33 db 4e 80 ff 37 80 25 66 0f 49 15 a7 fb 42 6a
0030: 88 95 be bb 2c 41 02 cb 78 e4 ae d8 05 aa 83 ed
0040: 0e 22 81 43";

/// §11.6: gateway to client, LZO-compressed, sequence 7.
const LZO_ESP: &str = "
0000: a1 b2 c3 d4 00 00 00 07 0f 0e 0d 0c 0b 0a 09 08
0010: 07 06 05 04 03 02 01 00 96 34 95 fd 77 d1 8f ad
0020: 0c 65 4a db 7f 12 f9 39 4b 93 ed 39 9a 01 5d c3
0030: c8 97 7c 02 ee df d6 74 ab a5 47 de f5 f6 c1 84
0040: 5f 8b 4b f5";

/// §5: ESP enable.
const ESP_ENABLE: &str = "
0000: 21 00 00 00 00 00 00 00 01 2f 01 00 00 00 01 00
0010: 00 00 00 00 00 0d 00 06 00 00 00 07 00 01 00 00
0020: 00 01 01";

fn ipv4_packet() -> Vec<u8> {
    client_data()[22..].to_vec()
}

fn client() -> Polled<ClientSession> {
    let mut script = hex("a1 b2 c3 d4");
    script.extend(range(0x40, 0x4f));
    script.extend(range(0x60, 0x73));
    script.extend(hex("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff"));
    script.extend(hex("f0 e1 d2 c3 b4 a5 96 87 78 69 5a 4b 3c 2d 1e 0f"));
    let mut opts = ClientOptions::new(
        "vpn.example.com",
        "DSID=0123456789abcdef0123456789abcdef; DSFirstAccess=1650000000",
    );
    opts.local_hostname = "debian".into();
    let rng = ScriptedRng(script.into(), TestRng::new(1));
    Polled::new(ClientSession::new(opts, Box::new(rng), Instant(0)))
}

fn drain_tls(c: &mut Polled<ClientSession>) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| c.poll_tls_transmit()).collect()
}

#[test]
fn client_output_matches_the_spec_byte_for_byte() {
    let mut c = client();
    let t = Instant(0);
    // §2.1: the tunnel request, exactly.
    assert_eq!(
        drain_tls(&mut c),
        [b"POST /dana/js?prot=1&svc=4 HTTP/1.1\r\n\
           Connection: close\r\n\
           Host: vpn.example.com\r\n\
           User-Agent: Open AnyConnect VPN Agent v9.01\r\n\
           Cookie: DSID=0123456789abcdef0123456789abcdef; DSFirstAccess=1650000000\r\n\
           NCP-Version: 3\r\n\
           Content-Length: 256\r\n\r\n"
            .to_vec()]
    );
    assert_eq!(
        c.poll_timeout(),
        Some(t + oncp_core::oncp::session::SETUP_TIMEOUT),
        "only the setup timer before the tunnel is up"
    );
    // §2.3: the hostname packet, only after the 200.
    c.handle_tls(t, b"HTTP/1.1 200 OK\r\n");
    assert!(drain_tls(&mut c).is_empty());
    c.handle_tls(t, b"\r\n");
    assert_eq!(
        drain_tls(&mut c),
        [hex(
            "13 00 00 04 00 00 00 06 00 64 65 62 69 61 6e bb 01 00 00 00 00"
        )]
    );
    // §2.4 + §11.2: status record, then the configuration.
    c.handle_tls(t, &hex("01 00 00"));
    assert!(c.poll_event().is_none());
    c.handle_tls(t, &config_record());
    let Some(ClientEvent::Configured(cfg)) = c.poll_event() else {
        panic!("not configured")
    };
    assert_eq!(cfg.mtu, Some(1400));
    // §11.3: one record holding 303 + 302, then the first probe (§11.6).
    assert_eq!(drain_tls(&mut c), [client_reply()]);
    assert_eq!(c.esp_port(), Some(4500));
    assert_eq!(c.poll_udp_transmit(), Some(hex(PROBE)));
    assert_eq!(c.poll_udp_transmit(), None);
    assert_eq!(c.transport(), Transport::Tls);
    // Before ESP is up, data goes over TLS as §11.4.
    c.send_ip(t, &ipv4_packet());
    assert_eq!(drain_tls(&mut c), [client_data()]);
    // §11.6: an LZO-compressed packet from the gateway decrypts and
    // decompresses to the §11.4 packet; it also proves ESP works, so the
    // client sends the §5 ESP enable and moves data to ESP.
    let t = t + Duration::from_millis(300);
    c.handle_udp(t, &hex(LZO_ESP));
    assert_eq!(c.poll_ip(), Some(ipv4_packet()));
    assert_eq!(c.poll_event(), Some(ClientEvent::EspUp));
    assert_eq!(drain_tls(&mut c), [hex(ESP_ENABLE)]);
    assert_eq!(c.transport(), Transport::Esp);
    assert_eq!(c.stats().lzo_in, 1);
    c.send_ip(t, &ipv4_packet());
    assert_eq!(c.poll_udp_transmit(), Some(hex(DATA_ESP)));
    assert!(drain_tls(&mut c).is_empty());
    // The same datagram again is a replay (8/10 on): dropped.
    c.handle_udp(t, &hex(LZO_ESP));
    assert_eq!(c.poll_ip(), None);
    assert_eq!(c.stats().esp_dropped, 1);
    // §11.5: a KMP 300 split over two records yields exactly two packets.
    let two = split_data();
    c.handle_tls(t, &two[..32]);
    c.handle_tls(t, &two[32..]);
    let ids: Vec<_> = std::iter::from_fn(|| c.poll_ip())
        .map(|p| (p.len(), p[4], p[5]))
        .collect();
    assert_eq!(ids, [(20, 0x11, 0x11), (20, 0x22, 0x22)]);
    // §11.7: termination ends the session for good.
    c.handle_tls(t, &hex("00 00 08"));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Disconnected(DisconnectReason::Terminated(
            TerminationReason::IDLE_TIMEOUT.0
        )))
    );
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn status_combined_with_the_config_and_byte_by_byte_delivery() {
    // §2.4 form 2: status byte and 301 in one record (length 234), and the
    // stream fed one byte at a time: same result as record by record.
    let mut c = client();
    let t = Instant(0);
    drain_tls(&mut c);
    c.handle_tls(t, b"HTTP/1.1 200 OK\r\nNCP-Version: 3\r\n\r\n");
    drain_tls(&mut c);
    let mut combined = hex("ea 00 00");
    combined.extend_from_slice(&config_record()[2..]);
    for b in &combined {
        c.handle_tls(t, std::slice::from_ref(b));
    }
    assert!(matches!(c.poll_event(), Some(ClientEvent::Configured(_))));
    assert_eq!(drain_tls(&mut c), [client_reply()]);
}

#[test]
fn status_8_and_http_failures_end_the_session() {
    let mut c = client();
    drain_tls(&mut c);
    c.handle_tls(Instant(0), b"HTTP/1.1 200 OK\r\n\r\n");
    c.handle_tls(Instant(0), &hex("01 00 08"));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::Disconnected(DisconnectReason::BadStatus(8)))
    );
    for (status, reason) in [
        (302, DisconnectReason::CookieRejected(302)),
        (403, DisconnectReason::CookieRejected(403)),
        (500, DisconnectReason::HttpFailure(500)),
    ] {
        let mut c = client();
        drain_tls(&mut c);
        let head = format!("HTTP/1.0 {status} X\r\nLocation: /\r\n\r\n");
        c.handle_tls(Instant(0), head.as_bytes());
        assert_eq!(c.poll_event(), Some(ClientEvent::Disconnected(reason)));
        assert!(drain_tls(&mut c).is_empty(), "no hostname packet");
        assert!(c.is_closed());
    }
}

/// A server 302 (§6.3) with new outbound keys, optionally with an extra
/// group that makes it invalid (only groups 7 and 8 are allowed).
fn server_302(spi: [u8; 4], key_byte: u8, bad: bool) -> Vec<u8> {
    let mut tlvs = hex("00 07 00 00 00 50 00 01 00 00 00 04");
    tlvs.extend(spi);
    tlvs.extend(hex("00 02 00 00 00 40"));
    tlvs.extend([key_byte; 36]);
    tlvs.extend([0; 28]);
    if bad {
        tlvs.extend(hex("00 01 00 00 00 0a 00 01 00 00 00 04 0a 0a 01 02"));
    }
    let mut kmp = hex("00 00 00 00 00 00 01 2e 01 00 00 00 00 00 00 00 00 00");
    kmp.extend((tlvs.len() as u16).to_be_bytes());
    kmp.extend(tlvs);
    let mut record = (kmp.len() as u16).to_le_bytes().to_vec();
    record.extend(kmp);
    record
}

fn configured_client(esp: bool) -> Polled<ClientSession> {
    let mut c = client();
    if !esp {
        let mut opts = ClientOptions::new("vpn.example.com", "DSID=x");
        opts.local_hostname = "debian".into();
        opts.esp = false;
        c = Polled::new(ClientSession::new(
            opts,
            Box::new(TestRng::new(5)),
            Instant(0),
        ));
    }
    drain_tls(&mut c);
    c.handle_tls(Instant(0), b"HTTP/1.1 200 OK\r\n\r\n");
    c.handle_tls(Instant(0), &hex("01 00 00"));
    c.handle_tls(Instant(0), &config_record());
    assert!(matches!(c.poll_event(), Some(ClientEvent::Configured(_))));
    c
}

#[test]
fn without_esp_the_reply_is_the_303_alone_and_rekeys_are_ignored() {
    let mut c = configured_client(false);
    let mut reply = client_reply()[..38].to_vec();
    reply[0] = 0x24;
    assert_eq!(drain_tls(&mut c).last(), Some(&reply), "§11.3 without ESP");
    assert_eq!(c.poll_udp_transmit(), None);
    assert_eq!(c.esp_port(), None);
    c.handle_tls(Instant(5), &server_302([1, 2, 3, 4], 9, false));
    assert!(drain_tls(&mut c).is_empty());
    assert_eq!(c.poll_event(), None);
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn server_rekey_switches_keys_and_a_bad_one_disables_esp() {
    let mut c = configured_client(true);
    drain_tls(&mut c);
    let _ = c.poll_udp_transmit();
    let t = Instant(300_000);
    c.handle_udp(t, &hex(LZO_ESP));
    assert_eq!(c.poll_event(), Some(ClientEvent::EspUp));
    drain_tls(&mut c);
    c.send_ip(t, &ipv4_packet());
    assert_eq!(c.poll_udp_transmit(), Some(hex(DATA_ESP)));
    // A valid 302: new outbound SPI, sequence restarts at 0; our reply is
    // a 302 alone in its record (§6.1: 106 bytes after the length).
    c.handle_tls(t, &server_302([0x55, 0x66, 0x77, 0x88], 0x99, false));
    assert_eq!(c.poll_event(), Some(ClientEvent::Rekeyed));
    let out = drain_tls(&mut c);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].len(), 2 + 106);
    assert_eq!(out[0][..2], [0x6a, 0x00]);
    assert_eq!(
        out[0][2..28],
        hex("00 00 00 00 00 00 01 2e 01 00 00 00 01 00 00 00 00 00 00 56 00 07 00 00 00 50")
    );
    assert_ne!(out[0][34..38], hex("a1 b2 c3 d4"), "a fresh inbound SPI");
    assert_eq!(c.transport(), Transport::Esp, "ESP stays up over a rekey");
    c.send_ip(t, &ipv4_packet());
    let d = c.poll_udp_transmit().unwrap();
    assert_eq!(d[..8], hex("55 66 77 88 00 00 00 00"));
    // The old inbound SA (§11.3's keys) still works for a while: the
    // gateway may not have seen our new keys yet.
    let mut secrets = [0u8; 64];
    secrets[..16].copy_from_slice(&range(0x40, 0x4f));
    secrets[16..36].copy_from_slice(&range(0x60, 0x73));
    let old = SaParams {
        spi: 0xa1b2c3d4,
        cipher: Cipher::Aes128Cbc,
        integrity: Integrity::HmacSha1_96,
        secrets,
    };
    let mut gw_tx = OutboundSa::new(&old, t, SaLifetime::default());
    let late = gw_tx
        .encrypt(&ipv4_packet(), NextHeader::IPV4, &mut TestRng::new(9))
        .unwrap();
    c.handle_udp(t, &late);
    assert_eq!(c.poll_ip(), Some(ipv4_packet()));
    let mut tampered = late.clone();
    tampered[7] ^= 1;
    c.handle_udp(t, &tampered);
    assert_eq!(c.stats().esp_dropped, 1, "ICV covers the sequence number");
    // An invalid 302 (group 1 inside) turns ESP off with an ESP-disable.
    c.handle_tls(t, &server_302([9, 9, 9, 9], 1, true));
    assert!(matches!(
        c.poll_event(),
        Some(ClientEvent::EspDown(EspDownReason::BadRekey(_)))
    ));
    let mut disable = hex(ESP_ENABLE);
    disable[34] = 0;
    assert_eq!(drain_tls(&mut c), [disable]);
    assert_eq!(c.transport(), Transport::Tls);
    c.send_ip(t, &ipv4_packet());
    assert_eq!(c.poll_udp_transmit(), None);
    assert_eq!(drain_tls(&mut c).len(), 1);
}

#[test]
fn response_head_status_and_config_in_one_read() {
    let mut c = client();
    drain_tls(&mut c);
    let mut all = b"HTTP/1.1 200 OK\r\nNCP-Version: 3\r\n\r\n".to_vec();
    all.extend(hex("01 00 00"));
    all.extend(config_record());
    c.handle_tls(Instant(0), &all);
    assert!(matches!(c.poll_event(), Some(ClientEvent::Configured(_))));
    let out = drain_tls(&mut c);
    assert_eq!(out.len(), 2, "hostname packet, then 303+302");
    assert_eq!(out[1], client_reply());
}
