//! `oncp connect`: the pieces around core's client session — the gateway
//! target, the cookie, reconnect pacing, network setup hooks and the tokio
//! driver.

pub mod backoff;
pub mod cookie;
pub mod driver;
pub mod login_answers;
pub mod logout;
pub mod netsetup;
pub mod outcome;
pub mod packet_capture;
pub mod report;
pub mod target;

#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod log_secrets_tests;
#[cfg(test)]
mod test_gateway;
