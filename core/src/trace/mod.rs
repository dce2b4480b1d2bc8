//! Trace decoding: capture + TLS key log → TCP → TLS → oNCP → ESP → inner packets.

mod direction;
pub use direction::Direction;
pub mod tls;
