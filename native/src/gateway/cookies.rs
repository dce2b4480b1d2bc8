//! The gateway's sessions: DSID cookies it issued, who they belong to, and
//! the tunnel address each one keeps across reconnects.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Mutex;

use ipnet::Ipv4Net;
use oncp_core::rng::Random;

/// One issued DSID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The user it was issued to.
    pub user: String,
    /// The tunnel address assigned to it.
    pub address: Ipv4Addr,
}

/// Issued DSIDs and the address pool.
#[derive(Debug)]
pub struct CookieStore {
    pool: Ipv4Net,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    logins: HashMap<String, Login>,
    next_host: u32,
    attempts: u64,
}

impl CookieStore {
    /// A store handing out addresses from `pool`; the pool's first host
    /// address is the gateway's own.
    pub fn new(pool: Ipv4Net) -> Self {
        CookieStore {
            pool,
            inner: Mutex::new(Inner {
                next_host: 2,
                ..Default::default()
            }),
        }
    }

    /// The gateway's own tunnel address (the pool's first host).
    pub fn gateway_address(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.pool.network()) + 1)
    }

    /// The pool.
    pub fn pool(&self) -> Ipv4Net {
        self.pool
    }

    /// Issues a new random DSID for `user`, or `None` if the pool is full.
    pub fn issue(&self, user: &str, rng: &mut dyn Random) -> Option<String> {
        let mut b = [0u8; 16];
        rng.fill(&mut b);
        let dsid = hex::encode(b);
        self.insert(&dsid, user).then_some(dsid)
    }

    /// Accepts `dsid` (issued out of band, e.g. `--dsid`) for `user`.
    /// Returns false if the pool is full.
    pub fn insert(&self, dsid: &str, user: &str) -> bool {
        let mut inner = self.inner.lock().expect("cookie store lock");
        let hosts = 1u32 << (32 - self.pool.prefix_len());
        if inner.next_host + 1 >= hosts {
            return false;
        }
        let address = Ipv4Addr::from(u32::from(self.pool.network()) + inner.next_host);
        inner.next_host += 1;
        inner.logins.insert(
            dsid.to_string(),
            Login {
                user: user.to_string(),
                address,
            },
        );
        true
    }

    /// The login a DSID belongs to; counts the attempt.
    pub fn check(&self, dsid: &str) -> Option<Login> {
        let mut inner = self.inner.lock().expect("cookie store lock");
        inner.attempts += 1;
        inner.logins.get(dsid).cloned()
    }

    /// Forgets a DSID (logout). Returns whether it existed.
    pub fn revoke(&self, dsid: &str) -> bool {
        self.inner
            .lock()
            .expect("cookie store lock")
            .logins
            .remove(dsid)
            .is_some()
    }

    /// Forgets every DSID (test aid: all sessions expire). Returns how
    /// many there were.
    pub fn revoke_all(&self) -> usize {
        let mut inner = self.inner.lock().expect("cookie store lock");
        let n = inner.logins.len();
        inner.logins.clear();
        n
    }

    /// The open sessions of `user`: (DSID, address), in no set order.
    pub fn sessions_of(&self, user: &str) -> Vec<(String, Ipv4Addr)> {
        self.inner
            .lock()
            .expect("cookie store lock")
            .logins
            .iter()
            .filter(|(_, l)| l.user == user)
            .map(|(d, l)| (d.clone(), l.address))
            .collect()
    }

    /// The user of a DSID, without counting an attempt.
    pub fn sessions_of_dsid(&self, dsid: &str) -> Option<String> {
        self.inner
            .lock()
            .expect("cookie store lock")
            .logins
            .get(dsid)
            .map(|l| l.user.clone())
    }

    /// How many cookies were presented (valid or not) so far.
    pub fn attempts(&self) -> u64 {
        self.inner.lock().expect("cookie store lock").attempts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_distinct_cookies_with_stable_addresses() {
        let store = CookieStore::new("10.10.1.0/29".parse().unwrap());
        let mut rng = oncp_core::rng::TestRng::new(1);
        let a = store.issue("alice", &mut rng).unwrap();
        let b = store.issue("bob", &mut rng).unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(store.gateway_address(), Ipv4Addr::new(10, 10, 1, 1));
        assert_eq!(
            store.check(&a).unwrap().address,
            Ipv4Addr::new(10, 10, 1, 2)
        );
        assert_eq!(
            store.check(&a).unwrap().address,
            Ipv4Addr::new(10, 10, 1, 2)
        );
        assert_eq!(store.check(&b).unwrap().user, "bob");
        assert!(store.check("nope").is_none());
        assert_eq!(store.attempts(), 4);
        assert!(store.revoke(&a));
        assert!(store.check(&a).is_none());
        // /29: hosts .2 to .6 for clients, then full.
        for _ in 0..3 {
            assert!(store.issue("x", &mut rng).is_some());
        }
        assert!(store.issue("x", &mut rng).is_none());
    }
}
