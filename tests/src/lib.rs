//! Integration, snapshot and end-to-end tests of oncp over `testdata/` and
//! real peers. The tests live in `tests/tests/`; this library holds shared
//! helpers.

pub mod fake_juniper;
pub mod faults;
pub mod impair;
pub mod netns;
pub mod peers;
pub mod program;
pub mod testdata;
pub mod web_login;
