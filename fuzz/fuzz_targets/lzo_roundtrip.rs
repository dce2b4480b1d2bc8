//! Fuzzes LZO1X compression: compressing any input and decompressing it
//! gives the input back, within `worst_compressed_len`; the stream never
//! has a byte below 16 right after the first literal run (OpenConnect
//! rejects that, spec §8.4); a reused compressor gives the same result as
//! a fresh one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use oncp_core::lzo::{Compressor, decompress_into, worst_compressed_len};

fuzz_target!(|data: &[u8]| {
    let mut c = Compressor::new();
    let mut stream = vec![0u8; worst_compressed_len(data.len())];
    let n = c
        .compress_into(data, &mut stream)
        .expect("buffer is large enough");
    let stream = &stream[..n];
    let mut back = vec![0u8; data.len()];
    assert_eq!(decompress_into(stream, &mut back), Ok(data.len()));
    assert_eq!(&back[..], data);
    if stream[0] >= 18 && stream.len() > 3 {
        assert!(stream[usize::from(stream[0]) - 17 + 1] >= 16);
    }
    let mut again = vec![0u8; worst_compressed_len(data.len())];
    let m = c.compress_into(data, &mut again).unwrap();
    assert_eq!(&again[..m], stream);
});
