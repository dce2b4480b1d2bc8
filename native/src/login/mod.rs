//! The web login to a Juniper/Pulse gateway as a sans-IO layer
//! (spec/auth.md): the state machine ([`flow`]), the sign-in page reader
//! ([`form`]), the cookie jar ([`jar`]), the answers the user gave in
//! advance ([`answers`]) and software tokens ([`otp`]).
//!
//! Nothing here touches a socket, a terminal, a clock or the command
//! line: HTTP responses and answers go in, the next step comes out.
//! [`crate::auth`] drives it over HTTP, the terminal and the Host
//! Checker; the `oncp connect` glue (its options and the hook that logs
//! in before connecting) lives in [`crate::cli::connect`].

pub mod answers;
pub mod flow;
pub mod form;
pub mod jar;
pub mod otp;

#[cfg(test)]
mod flow_tests;
