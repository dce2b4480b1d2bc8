//! The configuration phase (spec/pulse.md §5, §6.1, §6.2): Juniper type 1
//! messages (main configuration and ESP keys), their attributes, and the
//! typed values with split ranges turned into exact CIDR lists.

pub mod attr;
pub mod cidr;
pub mod esp_key;
pub mod header;
pub mod main;
pub mod values;

pub use attr::{Attribute, attr_type};
pub use cidr::{Ipv4Cidr, Ipv6Cidr, range_to_cidrs};
pub use esp_key::{EspKeyEntry, EspKeyMessage, EspKeyReply};
pub use header::ConfigKind;
pub use main::{ExtraBlock, MainConfig, RouteRange};
pub use values::{PulseConfig, PulseEsp};
