//! The network and transport layers of a capture: IP (with fragment
//! reassembly), UDP, and TCP stream reassembly.

pub mod fragment;
pub mod ip;
pub mod tcp;
pub mod udp;
