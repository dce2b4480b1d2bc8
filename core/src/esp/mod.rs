//! ESP over UDP as oNCP uses it: security associations, AES-CBC + HMAC-96,
//! the replay window and probes (spec/oncp.md §7).
