//! LZO1X against the reference implementation: liblzo2 compresses and we
//! decompress; we compress and liblzo2 (`lzo1x_decompress_safe`)
//! decompresses. The harness `scripts/lzo-oracle/lzo-oracle.c` is built
//! here with gcc against liblzo2 (Debian `liblzo2-dev`, installed by the
//! test command); without it this test fails rather than pass silently.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use oncp_core::lzo::{Compressor, decompress};

fn oracle() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let src =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/lzo-oracle/lzo-oracle.c");
        let out = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lzo-oracle");
        let st = Command::new("gcc")
            .args(["-O2", "-o"])
            .arg(&out)
            .arg(&src)
            .arg("-llzo2")
            .status()
            .expect("gcc must be installed");
        assert!(
            st.success(),
            "building the liblzo2 oracle failed: install liblzo2-dev (./test.sh does)"
        );
        out
    })
}

fn run(mode: &str, input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(oracle())
        .arg(mode)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let data = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(out.status.success(), "lzo-oracle {mode} failed");
    out.stdout
}

fn corpus() -> Vec<(String, Vec<u8>)> {
    let mut rng = oncp_core::rng::TestRng::new(42);
    let random = |n: usize, rng: &mut oncp_core::rng::TestRng| {
        let mut v = vec![0u8; n];
        oncp_core::rng::Random::fill(rng, &mut v);
        v
    };
    let text: Vec<u8> = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/spec/oncp.md"
    ))
    .unwrap_or_else(|_| include_bytes!("../src/lzo/decompress.rs").to_vec());
    let mut ip = vec![
        0x45, 0, 5, 0x78, 0, 1, 0, 0, 64, 17, 0, 0, 10, 10, 1, 2, 10, 0, 0, 1,
    ];
    ip.extend(b"GET /index.html HTTP/1.1\r\nHost: intranet.example\r\n\r\n".repeat(25));
    ip.truncate(1400);
    let mut binary = Vec::new();
    for i in 0..20_000u32 {
        binary.extend_from_slice(&(i / 7).to_le_bytes());
    }
    let mut mixed = random(3000, &mut rng);
    mixed.extend(vec![0xaa; 3000]);
    mixed.extend(random(100, &mut rng));
    vec![
        ("empty".into(), vec![]),
        ("one byte".into(), vec![0x45]),
        ("three bytes".into(), b"abc".to_vec()),
        ("text".into(), text.clone()),
        ("text 1400".into(), text[..1400.min(text.len())].to_vec()),
        ("ip packet".into(), ip),
        ("binary counters".into(), binary),
        ("incompressible".into(), random(1400, &mut rng)),
        ("incompressible 100k".into(), random(100_000, &mut rng)),
        ("long run".into(), vec![0u8; 70_000]),
        ("mixed".into(), mixed),
        ("text over 64k".into(), text.repeat(3)),
    ]
}

#[test]
fn liblzo2_compresses_we_decompress() {
    for (name, plain) in corpus() {
        let stream = run("compress", &plain);
        let ours = decompress(&stream, plain.len()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(ours, plain, "{name}");
    }
}

#[test]
fn we_compress_liblzo2_decompresses() {
    let mut c = Compressor::new();
    for (name, plain) in corpus() {
        let mut stream = Vec::new();
        c.compress(&plain, &mut stream);
        assert_eq!(run("decompress", &stream), plain, "{name}");
    }
}
