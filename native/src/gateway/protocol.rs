//! Which tunnel protocols `oncp gateway` serves on its one listener: the
//! request tells them apart (oNCP's tunnel `POST`, Pulse's IF-T upgrade
//! `GET`).

use serde::Deserialize;

/// `--protocol nc|pulse|both`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProtocolChoice {
    /// oNCP only (an IF-T upgrade is answered 404).
    Nc,
    /// Pulse IF-T/TLS only; oNCP tunnel requests get status 8 after the
    /// hostname packet, as on a gateway with oNCP switched off.
    Pulse,
    /// Both (the default).
    #[default]
    Both,
}

impl ProtocolChoice {
    /// Whether oNCP tunnels are served (else answered with status 8).
    pub fn oncp(self) -> bool {
        self != ProtocolChoice::Pulse
    }
    /// Whether Pulse IF-T/TLS upgrades are served.
    pub fn pulse(self) -> bool {
        self != ProtocolChoice::Nc
    }
}

impl std::str::FromStr for ProtocolChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "nc" => Ok(ProtocolChoice::Nc),
            "pulse" => Ok(ProtocolChoice::Pulse),
            "both" => Ok(ProtocolChoice::Both),
            _ => Err(format!("unknown protocol {s:?} (nc, pulse or both)")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_meaning() {
        let p: ProtocolChoice = "pulse".parse().unwrap();
        assert!(p.pulse() && !p.oncp());
        let n: ProtocolChoice = "nc".parse().unwrap();
        assert!(n.oncp() && !n.pulse());
        assert_eq!(ProtocolChoice::default(), ProtocolChoice::Both);
        assert!("ssh".parse::<ProtocolChoice>().is_err());
    }
}
