//! The oNCP wire format inside the TLS stream: records, KMP messages, TLVs,
//! the configuration, and the tunnel-opening HTTP exchange (spec/oncp.md §2–§6).
