//! Property tests: compression round-trips, truncated or too-large streams
//! fail with the right error, and no input makes the decompressor panic or
//! exceed its limit.

use oncp_core::lzo::{Compressor, LzoError, decompress, decompress_into, worst_compressed_len};
use proptest::prelude::*;

/// Repetitive data: random chunks repeated a random number of times, with
/// random bytes in between (so every match form and distance shows up).
fn repetitive() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            proptest::collection::vec(any::<u8>(), 0..64),
            1usize..40,
            proptest::collection::vec(any::<u8>(), 0..8),
        ),
        0..30,
    )
    .prop_map(|chunks| {
        chunks
            .iter()
            .flat_map(|(c, n, gap)| {
                let mut v = c.repeat(*n);
                v.extend(gap);
                v
            })
            .collect()
    })
}

proptest! {
    #[test]
    fn compress_then_decompress_is_identity(input in repetitive()) {
        let mut out = Vec::new();
        Compressor::new().compress(&input, &mut out);
        prop_assert!(out.len() <= worst_compressed_len(input.len()));
        prop_assert_eq!(decompress(&out, input.len()).unwrap(), input);
    }

    /// One compressor over a sequence of inputs: its table keeps entries
    /// of earlier calls, which must never be taken for this call's.
    #[test]
    fn reused_compressor_round_trips(inputs in proptest::collection::vec(repetitive(), 1..12)) {
        let mut c = Compressor::new();
        for input in inputs {
            let mut out = Vec::new();
            c.compress(&input, &mut out);
            prop_assert!(out.len() <= worst_compressed_len(input.len()));
            prop_assert_eq!(decompress(&out, input.len()).unwrap(), input);
        }
    }

    #[test]
    fn compress_into_random_bytes_round_trips(input in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let mut c = Compressor::new();
        let mut buf = vec![0u8; worst_compressed_len(input.len())];
        let n = c.compress_into(&input, &mut buf).unwrap();
        let mut back = vec![0u8; input.len()];
        prop_assert_eq!(decompress_into(&buf[..n], &mut back), Ok(input.len()));
        prop_assert_eq!(&back, &input);
        // One byte short of the bound is refused up front.
        let need = worst_compressed_len(input.len());
        prop_assert_eq!(
            c.compress_into(&input, &mut buf[..need - 1]),
            Err(LzoError::CompressBufferTooSmall { need, have: need - 1 })
        );
    }

    #[test]
    fn truncated_streams_and_small_limits_fail(input in repetitive()) {
        let mut stream = Vec::new();
        Compressor::new().compress(&input, &mut stream);
        for cut in 0..stream.len() {
            prop_assert!(
                matches!(decompress(&stream[..cut], 1 << 20), Err(LzoError::Truncated(_))),
                "prefix of {} bytes accepted", cut
            );
        }
        if !input.is_empty() {
            let mut out = vec![0u8; input.len() - 1];
            let full = matches!(
                decompress_into(&stream, &mut out),
                Err(LzoError::OutputFull { .. })
            );
            prop_assert!(full, "one byte short of the output still decoded");
        }
        let mut trailing = stream.clone();
        trailing.push(0);
        prop_assert_eq!(decompress(&trailing, 1 << 20), Err(LzoError::TrailingData(1)));
    }

    #[test]
    fn decompression_never_panics(input in proptest::collection::vec(any::<u8>(), 0..300), limit in 0usize..3000) {
        let mut out = vec![0u8; limit];
        if let Ok(n) = decompress_into(&input, &mut out) {
            prop_assert!(n <= limit);
        }
    }

    #[test]
    fn corrupted_streams_fail_cleanly(seed in any::<u64>(), flips in proptest::collection::vec(any::<(usize, u8)>(), 1..4)) {
        let mut rng = oncp_core::rng::TestRng::new(seed);
        let mut plain = vec![0u8; 600];
        oncp_core::rng::Random::fill(&mut rng, &mut plain[..100]);
        plain.copy_within(..100, 300);
        let mut stream = Vec::new();
        Compressor::new().compress(&plain, &mut stream);
        for (i, x) in flips {
            let i = i % stream.len();
            stream[i] ^= x | 1;
        }
        if let Ok(out) = decompress(&stream, 2048) {
            prop_assert!(out.len() <= 2048);
        }
    }
}
