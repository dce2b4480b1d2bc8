//! Property tests: compression round-trips, and no input makes the
//! decompressor panic or exceed its limit.

use oncp_core::lzo::{Compressor, decompress, decompress_into, worst_compressed_len};
use proptest::prelude::*;

proptest! {
    #[test]
    fn compress_then_decompress_is_identity(
        chunks in proptest::collection::vec((proptest::collection::vec(any::<u8>(), 0..64), 1usize..40), 0..30)
    ) {
        // Repetitive data: random chunks repeated a random number of times.
        let input: Vec<u8> = chunks.iter().flat_map(|(c, n)| c.repeat(*n)).collect();
        let mut out = Vec::new();
        Compressor::new().compress(&input, &mut out);
        prop_assert!(out.len() <= worst_compressed_len(input.len()));
        prop_assert_eq!(decompress(&out, input.len()).unwrap(), input);
    }

    #[test]
    fn decompression_never_panics(input in proptest::collection::vec(any::<u8>(), 0..300), limit in 0usize..3000) {
        let mut out = vec![0u8; limit];
        if let Ok(n) = decompress_into(&input, &mut out) {
            prop_assert!(n <= limit);
        }
    }

    #[test]
    fn corrupted_streams_fail_cleanly(seed in any::<u64>(), flip in any::<usize>()) {
        let mut rng = oncp_core::rng::TestRng::new(seed);
        let mut plain = vec![0u8; 600];
        oncp_core::rng::Random::fill(&mut rng, &mut plain[..100]);
        let mut stream = Vec::new();
        Compressor::new().compress(&plain, &mut stream);
        let i = flip % stream.len();
        stream[i] ^= 0x5a;
        let _ = decompress(&stream, 2048);
    }
}
