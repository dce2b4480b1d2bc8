//! What the caller can choose about an explanation.

/// Options of [`explain`](super::explain).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Show cookie values, passwords and keys instead of redacting them.
    pub show_secrets: bool,
}
