//! LZO1X against the reference implementation, liblzo2, through the C
//! harness `scripts/lzo-oracle/lzo-oracle.c`: liblzo2 compresses (LZO1X-1
//! and LZO1X-999) and we decompress; we compress and liblzo2
//! (`lzo1x_decompress_safe`) decompresses; corrupted streams are judged
//! the same by both. Byte-exact both ways.
//!
//! The test step `scripts/test/30-lzo-oracle.sh` builds the harness and
//! sets `ONCP_LZO_ORACLE` to it; without that variable (a plain
//! `cargo test`) these tests say so loudly and do nothing.

use std::io::Write;
use std::process::{Command, Stdio};

use oncp_core::lzo::{Compressor, LzoError, decompress};
use oncp_core::rng::{Random, TestRng};

fn oracle() -> Option<String> {
    let path = std::env::var("ONCP_LZO_ORACLE").ok();
    if path.is_none() {
        eprintln!(
            "\n*** lzo_oracle: ONCP_LZO_ORACLE is not set; liblzo2 comparison SKIPPED.\n\
             *** Run scripts/test/30-lzo-oracle.sh (part of ./test.sh) to run it.\n"
        );
    }
    path
}

/// Runs the harness; `None` when it reports an error (liblzo2 rejected).
fn run(exe: &str, args: &[&str], input: &[u8]) -> Option<Vec<u8>> {
    let mut child = Command::new(exe)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("running {exe}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    match out.status.code() {
        Some(0) => Some(out.stdout),
        Some(1) => None,
        other => panic!("lzo-oracle {args:?} failed to run: {other:?}"),
    }
}

fn random(n: usize, rng: &mut TestRng) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill(&mut v);
    v
}

/// IPv4/TCP-like packets: headers with varying fields and HTTP-ish text.
fn ip_packets(rng: &mut TestRng) -> Vec<u8> {
    let mut all = Vec::new();
    for i in 0..40u16 {
        let len = 60 + (rng.next_u32() % 1340) as u16;
        let mut p = vec![0x45, 0, (len >> 8) as u8, len as u8];
        p.extend(i.to_be_bytes());
        p.extend([0x40, 0, 64, 6, 0, 0, 10, 10, 1, 2, 10, 0, 0, 1]);
        p.extend([0x01, 0xbb, 0xc3, 0x50]);
        p.extend(random(16, rng));
        let body = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<td>row</td>\n";
        while p.len() < len as usize {
            p.extend(body);
            p.extend(random(1 + (rng.next_u32() % 6) as usize, rng));
        }
        p.truncate(len as usize);
        all.extend(p);
    }
    all
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut rng = TestRng::new(42);
    let text: Vec<u8> = [
        include_str!("../src/lzo/decompress.rs"),
        include_str!("../src/lzo/compress.rs"),
        include_str!("../src/lzo/mod.rs"),
    ]
    .concat()
    .into_bytes();
    let mut binary = Vec::new();
    for i in 0..20_000u32 {
        binary.extend_from_slice(&(i / 7).to_le_bytes());
    }
    let mut mixed = random(3000, &mut rng);
    mixed.extend(vec![0xaa; 3000]);
    mixed.extend(random(100, &mut rng));
    mixed.extend_from_slice(&text[..2000]);
    let mut far = random(40_000, &mut rng);
    let copy = far[100..400].to_vec();
    far.extend(copy); // a repeat ~40 KiB back: M4 distances
    far.extend(random(100, &mut rng));
    let ip = ip_packets(&mut rng);
    let mut cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("one byte".into(), vec![0x45]),
        ("three bytes".into(), b"abc".to_vec()),
        ("four equal".into(), vec![9; 4]),
        ("text".into(), text.clone()),
        ("text 1400".into(), text[..1400].to_vec()),
        ("ip packet".into(), ip[..1400].to_vec()),
        ("ip packets".into(), ip),
        ("binary counters".into(), binary),
        ("incompressible".into(), random(1400, &mut rng)),
        ("incompressible 100k".into(), random(100_000, &mut rng)),
        ("long run".into(), vec![0u8; 70_000]),
        ("mixed".into(), mixed),
        ("far repeat".into(), far),
        ("text over 64k".into(), text.repeat(6)),
    ];
    // Every small length, on repetitive and on random data.
    for n in (0..64).chain([255, 256, 257, 1399, 1400, 1401]) {
        let rep: Vec<u8> = b"abcab".iter().cycle().take(n).copied().collect();
        cases.push((format!("repetitive {n}"), rep));
        cases.push((format!("random {n}"), random(n, &mut rng)));
    }
    cases
}

#[test]
fn liblzo2_compresses_we_decompress() {
    let Some(exe) = oracle() else { return };
    for mode in ["compress", "compress-999"] {
        for (name, plain) in corpus() {
            let stream = run(&exe, &[mode], &plain).expect("liblzo2 compresses");
            // The exact size as the limit: no byte of room to spare.
            let ours =
                decompress(&stream, plain.len()).unwrap_or_else(|e| panic!("{mode} {name}: {e}"));
            assert!(ours == plain, "{mode} {name}: output differs");
        }
    }
}

#[test]
fn we_compress_liblzo2_decompresses() {
    let Some(exe) = oracle() else { return };
    let mut c = Compressor::new();
    for (name, plain) in corpus() {
        let mut stream = Vec::new();
        c.compress(&plain, &mut stream);
        let theirs = run(&exe, &["decompress"], &stream)
            .unwrap_or_else(|| panic!("{name}: liblzo2 rejects our stream"));
        assert!(theirs == plain, "{name}: liblzo2 decodes something else");
    }
}

/// Corrupted and truncated streams: whatever one decoder accepts the other
/// accepts with the same output. The one documented difference (§8.4):
/// liblzo2 accepts an end marker with a length other than 1, we do not.
#[test]
fn corrupted_streams_are_judged_like_liblzo2() {
    let Some(exe) = oracle() else { return };
    let limit = 2048;
    let mut rng = TestRng::new(7);
    let mut c = Compressor::new();
    let sources: Vec<Vec<u8>> = corpus()
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| (20..=1400).contains(&p.len()))
        .collect();
    let mut agreed = (0, 0);
    for round in 0..300 {
        let plain = &sources[round % sources.len()];
        let mut stream = if round % 2 == 0 {
            run(&exe, &["compress-999"], plain).unwrap()
        } else {
            let mut s = Vec::new();
            c.compress(plain, &mut s);
            s
        };
        match rng.next_u32() % 3 {
            0 => {
                let cut = rng.next_u32() as usize % stream.len();
                stream.truncate(cut);
            }
            _ => {
                for _ in 0..1 + rng.next_u32() % 3 {
                    let i = rng.next_u32() as usize % stream.len();
                    stream[i] ^= 1 << (rng.next_u32() % 8);
                }
            }
        }
        let theirs = run(&exe, &["decompress", &limit.to_string()], &stream);
        let ours = decompress(&stream, limit);
        match (&ours, &theirs) {
            (Ok(a), Some(b)) => {
                assert_eq!(a, b, "round {round}: both accept, outputs differ");
                agreed.0 += 1;
            }
            (Err(_), None) => agreed.1 += 1,
            (Err(LzoError::BadEndMarker(_)), Some(_)) => {}
            _ => panic!(
                "round {round}: ours {ours:?}, liblzo2 accepts: {}",
                theirs.is_some()
            ),
        }
    }
    // Both kinds of verdict occurred, so the comparison meant something.
    assert!(agreed.0 > 10 && agreed.1 > 10, "{agreed:?}");
}
