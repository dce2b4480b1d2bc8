//! The sans-IO client and gateway session state machines.
