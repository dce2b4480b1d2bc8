//! The runtime adapters that the client and the gateway share: core's
//! microsecond clock on tokio's monotonic clock, and core's `Random` on the
//! operating system's generator.

pub mod clock;
pub mod os_rng;
