//! Fuzzes LZO1X decompression: any input, an output limit taken from the
//! first two bytes (0–8191). Checked: no panic; a success never reports
//! more than the limit; the Vec API agrees with the slice API; and a
//! decoded stream still decodes identically with a roomier buffer (the
//! chunked copies must not depend on spare room).
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::lzo::{decompress, decompress_into};

fuzz_target!(|data: &[u8]| {
    let (limit, stream) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_be_bytes([*a, *b]) & 0x1fff), rest),
        _ => (0, data),
    };
    let mut out = vec![0u8; limit];
    let tight = decompress_into(stream, &mut out);
    if let Ok(n) = tight {
        assert!(n <= limit);
    }
    let via_vec = decompress(stream, limit);
    match (&tight, &via_vec) {
        (Ok(n), Ok(v)) => assert_eq!(&out[..*n], &v[..]),
        (Err(a), Err(b)) => assert_eq!(a, b),
        _ => panic!("decompress_into {tight:?} but decompress {via_vec:?}"),
    }
    if let Ok(n) = tight {
        let mut roomy = vec![0u8; limit + 64];
        assert_eq!(decompress_into(stream, &mut roomy), Ok(n));
        assert_eq!(&roomy[..n], &out[..n]);
    }
});
