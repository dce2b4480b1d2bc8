//! The gateway named on the command line: `host`, `host:port`,
//! `https://host[:port][/path]`, IPv6 literals in brackets.

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// TCP port (443 unless given).
    pub port: u16,
}

/// A server argument that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    /// Only `https://` URLs make sense for this protocol.
    #[error("unsupported URL scheme {0:?} (only https is supported)")]
    Scheme(String),
    /// Empty host.
    #[error("no host name in {0:?}")]
    NoHost(String),
    /// A port that is not a number in 1..=65535.
    #[error("invalid port in {0:?}")]
    Port(String),
}

impl std::str::FromStr for Target {
    type Err = TargetError;
    fn from_str(input: &str) -> Result<Target, TargetError> {
        let mut rest = input.trim();
        if let Some((scheme, after)) = rest.split_once("://") {
            if !scheme.eq_ignore_ascii_case("https") {
                return Err(TargetError::Scheme(scheme.to_string()));
            }
            rest = after;
        }
        // Drop path, query and fragment.
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (h, after) = v6
                .split_once(']')
                .ok_or_else(|| TargetError::NoHost(input.to_string()))?;
            (h, after.strip_prefix(':'))
        } else if authority.matches(':').count() > 1 {
            (authority, None) // bare IPv6 literal
        } else {
            match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            }
        };
        if host.is_empty() {
            return Err(TargetError::NoHost(input.to_string()));
        }
        let port = match port {
            None => 443,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| TargetError::Port(input.to_string()))?,
        };
        Ok(Target {
            host: host.to_string(),
            port,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Result<(String, u16), TargetError> {
        s.parse::<Target>().map(|t| (t.host, t.port))
    }

    #[test]
    fn forms_openconnect_accepts() {
        assert_eq!(t("vpn.example.com"), Ok(("vpn.example.com".into(), 443)));
        assert_eq!(
            t("vpn.example.com:8443"),
            Ok(("vpn.example.com".into(), 8443))
        );
        assert_eq!(
            t("https://vpn.example.com/dana-na/"),
            Ok(("vpn.example.com".into(), 443))
        );
        assert_eq!(
            t("HTTPS://10.0.0.1:4433/x?y"),
            Ok(("10.0.0.1".into(), 4433))
        );
        assert_eq!(t("[::1]:444"), Ok(("::1".into(), 444)));
        assert_eq!(t("fe80::1"), Ok(("fe80::1".into(), 443)));
    }

    #[test]
    fn bad_forms_say_why() {
        assert_eq!(t("http://x"), Err(TargetError::Scheme("http".into())));
        assert!(matches!(t("https://"), Err(TargetError::NoHost(_))));
        assert!(matches!(t("x:0"), Err(TargetError::Port(_))));
        assert!(matches!(t("x:99999"), Err(TargetError::Port(_))));
        assert!(matches!(t("[::1"), Err(TargetError::NoHost(_))));
    }
}
