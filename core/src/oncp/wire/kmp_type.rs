//! The KMP message type: the number in a KMP header that says what the
//! payload holds (spec/oncp.md §3.2). Its own module so that errors can
//! name the message they were found in without depending on the parser.

use core::fmt;

/// A KMP message type. An open newtype: unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KmpType(pub u16);

impl KmpType {
    /// 300: data, whole IP packets back to back.
    pub const DATA: KmpType = KmpType(300);
    /// 301: configuration TLVs (server to client).
    pub const CONFIG: KmpType = KmpType(301);
    /// 302: ESP SPI and key material (both directions).
    pub const ESP_KEYS: KmpType = KmpType(302);
    /// 303: client control (MTU report, ESP enable/disable).
    pub const CONTROL: KmpType = KmpType(303);

    /// A short name for known types.
    pub const fn name(self) -> Option<&'static str> {
        match self.0 {
            300 => Some("data"),
            301 => Some("config"),
            302 => Some("esp-keys"),
            303 => Some("control"),
            _ => None,
        }
    }
}

impl fmt::Display for KmpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => write!(f, "{} ({n})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}
