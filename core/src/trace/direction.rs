//! Which way a piece of traffic flows in a VPN session.

/// The direction of a byte stream or datagram relative to the VPN session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Direction {
    /// From the VPN client to the gateway.
    ClientToServer,
    /// From the gateway to the VPN client.
    ServerToClient,
}

impl Direction {
    /// The opposite direction.
    pub const fn reverse(self) -> Direction {
        match self {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }

    /// A short arrow-style label: `C->S` or `S->C`.
    pub const fn label(self) -> &'static str {
        match self {
            Direction::ClientToServer => "C->S",
            Direction::ServerToClient => "S->C",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_and_label() {
        assert_eq!(
            Direction::ClientToServer.reverse(),
            Direction::ServerToClient
        );
        assert_eq!(Direction::ServerToClient.label(), "S->C");
    }
}
