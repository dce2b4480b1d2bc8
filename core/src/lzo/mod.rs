//! LZO1X decompression and compression (spec/oncp.md §8).
//!
//! A gateway with compression on marks some ESP packets with next header
//! 5; their payload is a raw LZO1X stream decompressing to one IPv4
//! packet. [`decompress_into`] decodes safely into a caller-bounded
//! buffer; [`Compressor`] produces streams both liblzo2 and OpenConnect
//! decode.

mod compress;
mod decompress;
mod error;

pub use compress::{Compressor, worst_compressed_len};
pub use decompress::{decompress, decompress_into};
pub use error::LzoError;

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn unhex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    #[test]
    fn spec_8_6_examples() {
        let ip = unhex("45 00 00 14 00 01 00 00 40 fd 64 e0 0a 0a 01 02 0a 00 00 01");
        let mut ex1 = unhex("25");
        ex1.extend(&ip);
        ex1.extend(unhex("11 00 00"));
        let mut long = unhex("00 00 01");
        let lits: Vec<u8> = (0..274u32).map(|i| (i * 7) as u8).collect();
        long.extend(&lits);
        long.extend(unhex("11 00 00"));
        let cases: [(Vec<u8>, Vec<u8>); 7] = [
            (ex1, ip),
            (unhex("15 41 42 43 44 6c 00 11 00 00"), b"ABCDABCD".to_vec()),
            (
                unhex("15 41 42 43 44 6d 00 78 00 01 11 00 00"),
                b"ABCDABCDxAB".to_vec(),
            ),
            (unhex("12 00 20 06 00 00 11 00 00"), alloc::vec![0; 40]),
            (
                unhex("18 48 65 6c 6c 6f 2c 20 2c 18 00 03 77 6f 72 6c 64 21 11 00 00"),
                b"Hello, Hello, Hello, world!".to_vec(),
            ),
            (
                unhex("14 41 42 43 2d 0b 00 58 59 5a 11 00 00"),
                b"ABCABCABCABCABCABCXYZ".to_vec(),
            ),
            (long, lits),
        ];
        for (stream, plain) in cases {
            assert_eq!(decompress(&stream, 4096).unwrap(), plain);
        }
    }

    /// §8.5: the literal-only streams a gateway may send, every form.
    #[test]
    fn spec_8_5_literal_only_streams() {
        for n in [1usize, 3, 4, 18, 19, 238, 272, 273, 274, 530, 1500] {
            let plain: Vec<u8> = (0..n).map(|i| (i * 31 + 7) as u8).collect();
            let mut forms = Vec::new();
            if n <= 238 {
                forms.push(alloc::vec![17 + n as u8]);
            }
            if (4..=18).contains(&n) {
                forms.push(alloc::vec![n as u8 - 3]);
            }
            if n >= 19 {
                let mut h = alloc::vec![0u8];
                let mut rest = n - 18;
                while rest > 255 {
                    h.push(0);
                    rest -= 255;
                }
                h.push(rest as u8);
                forms.push(h);
            }
            assert!(!forms.is_empty());
            for mut s in forms {
                s.extend(&plain);
                s.extend([0x11, 0, 0]);
                assert_eq!(decompress(&s, n).unwrap(), plain, "n = {n}");
            }
        }
    }

    #[test]
    fn liblzo2_only_pattern_is_accepted() {
        // Valid for liblzo2 (M1 right after a 2-literal initial run),
        // rejected by OpenConnect; we accept it (spec §8.4).
        assert_eq!(
            decompress(&unhex("13 61 62 04 00 11 00 00"), 64).unwrap(),
            b"abab"
        );
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(decompress(&[], 10), Err(LzoError::Truncated(0)));
        assert_eq!(
            decompress(&unhex("15 41 42 43 44 6c 00 11 00 00 00"), 64),
            Err(LzoError::TrailingData(1))
        );
        assert_eq!(
            decompress(&unhex("15 41 42 43 44 6c 08 11 00 00"), 64),
            Err(LzoError::BadDistance {
                at: 5,
                distance: 68,
                produced: 4
            })
        );
        assert!(matches!(
            decompress(&unhex("12 00 20 06 00 00 11 00 00"), 20),
            Err(LzoError::OutputFull { .. })
        ));
        assert_eq!(
            decompress(&unhex("12 00 12 00 00"), 64),
            Err(LzoError::BadEndMarker(2))
        );
        let mut zeros = alloc::vec![0u8; 70_000];
        zeros[0] = 0;
        assert!(matches!(
            decompress(&zeros, 1 << 20),
            Err(LzoError::LengthOverflow(_))
        ));
        for cut in 0..9 {
            assert!(decompress(&unhex("12 00 20 06 00 00 11 00 00")[..cut], 64).is_err());
        }
    }

    #[test]
    fn compressor_round_trips_and_avoids_low_bytes_after_first_run() {
        let mut c = Compressor::new();
        let inputs: [&[u8]; 6] = [
            b"",
            b"a",
            b"ABCDABCDABCDABCDxyzABCDABCD",
            &[0u8; 5000],
            b"Hello, Hello, Hello, world! Hello, Hello, Hello, world!",
            &(0..3000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
                .collect::<Vec<u8>>(),
        ];
        for input in inputs {
            let mut out = Vec::new();
            c.compress(input, &mut out);
            assert!(out.len() <= worst_compressed_len(input.len()));
            assert_eq!(decompress(&out, 1 << 20).unwrap(), input);
            if out[0] >= 18 && out.len() > 3 {
                let next = out[out[0] as usize - 17 + 1];
                assert!(next >= 16, "byte after the first run must be a match");
            }
        }
        // Repeated text really compresses.
        let mut out = Vec::new();
        c.compress(&[7u8; 1400], &mut out);
        assert!(out.len() < 40, "{}", out.len());
    }
}
