//! The hex dumps of spec/pulse.md §8, copied from the spec text (its
//! "(n)" numbers in the names), and a parser for the dump format.
#![allow(dead_code)]

/// The bytes of a dump: `0000: 00 01 …` lines, offsets dropped.
pub fn hex(dump: &str) -> Vec<u8> {
    dump.lines()
        .filter_map(|l| l.split_once(':').map(|(_, b)| b))
        .flat_map(|b| b.split_whitespace())
        .map(|b| u8::from_str_radix(b, 16).expect("hex byte"))
        .collect()
}

/// (1) C>S version request, 20 bytes.
pub const VERSION_REQUEST_1: &str = "\
0000: 00 00 55 97 00 00 00 01 00 00 00 14 00 00 00 00
0010: 00 01 02 02
";

/// (2) S>C version response, 20 bytes.
pub const VERSION_RESPONSE_2: &str = "\
0000: 00 00 55 97 00 00 00 02 00 00 00 14 00 00 01 f5
0010: 00 00 00 02
";

/// (3) C>S client information, 59 bytes.
pub const CLIENT_INFO_3: &str = "\
0000: 00 00 0a 4c 00 00 00 88 00 00 00 3b 00 00 00 01
0010: 63 6c 69 65 6e 74 48 6f 73 74 4e 61 6d 65 3d 64
0020: 65 62 69 61 6e 20 63 6c 69 65 6e 74 49 70 3d 31
0030: 39 32 2e 30 2e 32 2e 31 30 0a 00
";

/// (4) S>C auth start, 20 bytes.
pub const AUTH_START_4: &str = "\
0000: 00 00 55 97 00 00 00 05 00 00 00 14 00 00 01 f6
0010: 00 0a 4c 01
";

/// (5) C>S EAP-Response/Identity, 34 bytes.
pub const IDENTITY_RESPONSE_5: &str = "\
0000: 00 00 55 97 00 00 00 06 00 00 00 22 00 00 00 02
0010: 00 0a 4c 01 02 01 00 0e 01 61 6e 6f 6e 79 6d 6f
0020: 75 73
";

/// (6) S>C Juniper/1 server information, 88 bytes.
pub const SERVER_INFO_6: &str = "\
0000: 00 00 55 97 00 00 00 05 00 00 00 58 00 00 01 f7
0010: 00 0a 4c 01 01 02 00 44 fe 00 0a 4c 00 00 00 01
0020: 00 00 0d 49 80 00 00 10 00 00 05 83 00 00 00 04
0030: 00 00 0d 4a 80 00 00 10 00 00 05 83 00 00 00 01
0040: 00 00 0d 56 80 00 00 15 00 00 05 83 4c 49 43 2d
0050: 30 30 30 30 31 00 00 00
";

/// (7) C>S Juniper/1 client version, 76 bytes.
pub const CLIENT_VERSION_7: &str = "\
0000: 00 00 55 97 00 00 00 06 00 00 00 4c 00 00 00 03
0010: 00 0a 4c 01 02 02 00 38 fe 00 0a 4c 00 00 00 01
0020: 00 00 0d 70 80 00 00 2b 00 00 05 83 4f 70 65 6e
0030: 20 41 6e 79 43 6f 6e 6e 65 63 74 20 56 50 4e 20
0040: 41 67 65 6e 74 20 76 39 2e 30 31 00
";

/// (8) S>C password request, 56 bytes.
pub const PASSWORD_REQUEST_8: &str = "\
0000: 00 00 55 97 00 00 00 05 00 00 00 38 00 00 01 f8
0010: 00 0a 4c 01 01 03 00 24 fe 00 0a 4c 00 00 00 01
0020: 00 00 00 4f 40 00 00 15 01 01 00 0d fe 00 0a 4c
0030: 00 00 00 02 01 00 00 00
";

/// (9) C>S user name + password, 84 bytes.
pub const PASSWORD_RESPONSE_9: &str = "\
0000: 00 00 55 97 00 00 00 06 00 00 00 54 00 00 00 04
0010: 00 0a 4c 01 02 03 00 40 fe 00 0a 4c 00 00 00 01
0020: 00 00 0d 6d 80 00 00 11 00 00 05 83 61 6c 69 63
0030: 65 00 00 00 00 00 00 4f 40 00 00 1e 02 01 00 16
0040: fe 00 0a 4c 00 00 00 02 02 02 09 68 75 6e 74 65
0050: 72 32 00 00
";

/// (11) C>S empty Juniper/1, 32 bytes.
pub const EMPTY_RESPONSE_11: &str = "\
0000: 00 00 55 97 00 00 00 06 00 00 00 20 00 00 00 05
0010: 00 0a 4c 01 02 04 00 0c fe 00 0a 4c 00 00 00 01
";

/// (12) S>C success, 24 bytes.
pub const AUTH_SUCCESS_12: &str = "\
0000: 00 00 55 97 00 00 00 07 00 00 00 18 00 00 01 fa
0010: 00 0a 4c 01 03 04 00 04
";

/// (13) S>C main configuration, 182 bytes.
pub const MAIN_CONFIG_13: &str = "\
0000: 00 00 0a 4c 00 00 00 01 00 00 00 b6 00 00 01 fb
0010: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
0020: 2c 20 f0 00 00 00 00 00 00 00 00 a6 2e 00 00 28
0030: 02 00 00 00 07 00 00 10 00 00 ff ff 0a 00 00 00
0040: 0a ff ff ff f1 00 00 10 00 00 ff ff 0a 01 02 00
0050: 0a 01 02 ff 00 00 00 62 03 00 00 00 00 01 00 04
0060: 0a 0a 01 02 00 02 00 04 ff ff ff ff 00 03 00 04
0070: 0a 00 00 35 40 06 00 0c 65 78 61 6d 70 6c 65 2e
0080: 63 6f 6d 00 40 05 00 04 00 00 05 78 40 10 00 02
0090: 00 02 40 11 00 02 00 03 40 12 00 04 00 00 04 b0
00a0: 40 14 00 04 00 00 00 01 40 16 00 02 11 94 40 17
00b0: 00 04 00 00 00 0f
";

/// (14) S>C ESP keys, 128 bytes.
pub const ESP_KEYS_14: &str = "\
0000: 00 00 0a 4c 00 00 00 01 00 00 00 80 00 00 01 fc
0010: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
0020: 21 20 24 00 00 00 00 00 00 00 00 70 00 00 00 54
0030: 01 00 00 00 44 33 22 11 00 40 00 01 02 03 04 05
0040: 06 07 08 09 0a 0b 0c 0d 0e 0f 20 21 22 23 24 25
0050: 26 27 28 29 2a 2b 2c 2d 2e 2f 30 31 32 33 34 35
0060: 36 37 38 39 3a 3b 3c 3d 3e 3f 00 00 00 00 00 00
0070: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
";

/// §8.6: the ESP probe with HMAC-SHA-256-128, 56 bytes.
pub const ESP_PROBE_SHA256: &str = "\
0000: 11 22 33 44 00 00 00 00 00 11 22 33 44 55 66 77
0010: 88 99 aa bb cc dd ee ff 89 c0 1d 2f 77 1f 47 95
0020: 4c 96 8b 80 59 86 75 44 21 a9 70 60 ee 60 f4 d2
0030: 2e b1 5c a9 73 6c fb 36
";
