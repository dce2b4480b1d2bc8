//! What the SAML exchange remembers between requests: the gateway's
//! outstanding `AuthnRequest` IDs and the mock IdP's sign-ins in
//! progress. Each is a bounded map under a random key (the oldest entry
//! goes when full) whose entries expire.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most entries kept per map.
pub const MAX_ENTRIES: usize = 1024;
/// How long an entry lives.
pub const LIFETIME: Duration = Duration::from_secs(600);

/// The entries (with their birth) and their keys oldest first.
type Entries<V> = (HashMap<String, (Instant, V)>, VecDeque<String>);

/// A bounded, expiring map from random keys to `V`.
#[derive(Debug)]
pub struct Expiring<V> {
    inner: Mutex<Entries<V>>,
}

impl<V> Default for Expiring<V> {
    fn default() -> Self {
        Expiring {
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }
}

impl<V: Clone> Expiring<V> {
    /// Stores `v` under a new random key (`prefix` + 32 hex digits).
    pub fn insert(&self, prefix: &str, v: V, rng: &mut dyn oncp_core::rng::Random) -> String {
        let mut b = [0u8; 16];
        rng.fill(&mut b);
        let key = format!("{prefix}{}", hex::encode(b));
        let mut g = self.inner.lock().expect("saml state lock");
        let (map, order) = &mut *g;
        while map.len() >= MAX_ENTRIES {
            match order.pop_front() {
                Some(old) => {
                    map.remove(&old);
                }
                None => break,
            }
        }
        map.insert(key.clone(), (Instant::now(), v));
        order.push_back(key.clone());
        key
    }

    /// The live entry under `key`.
    pub fn get(&self, key: &str) -> Option<V> {
        let g = self.inner.lock().expect("saml state lock");
        g.0.get(key)
            .filter(|(t, _)| t.elapsed() < LIFETIME)
            .map(|(_, v)| v.clone())
    }

    /// Replaces the entry under `key` (if it is still there).
    pub fn update(&self, key: &str, v: V) {
        let mut g = self.inner.lock().expect("saml state lock");
        if let Some(e) = g.0.get_mut(key) {
            e.1 = v;
        }
    }

    /// Removes and returns the live entry under `key` (each key is used
    /// once).
    pub fn take(&self, key: &str) -> Option<V> {
        let mut g = self.inner.lock().expect("saml state lock");
        let (map, order) = &mut *g;
        let e = map.remove(key)?;
        order.retain(|k| k != key);
        (e.0.elapsed() < LIFETIME).then_some(e.1)
    }
}

/// Where a mock IdP sign-in stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdpStage {
    /// Waiting for the user name and password.
    Password,
    /// Password accepted; waiting for the MFA code.
    Mfa,
    /// Both passed; the response may be issued.
    Done,
}

/// A mock IdP sign-in in progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpSignin {
    /// The gateway request it answers.
    pub request_id: String,
    /// Where the response goes.
    pub acs: String,
    /// The gateway's `RelayState`, returned as is.
    pub relay_state: String,
    /// The user, once the password step passed.
    pub user: Option<String>,
    /// Progress.
    pub stage: IdpStage,
    /// Wrong passwords or codes so far.
    pub failures: u32,
}

/// The SAML state of a gateway.
#[derive(Debug, Default)]
pub struct SamlState {
    /// The gateway's outstanding `AuthnRequest` IDs.
    pub requests: Expiring<()>,
    /// The IdP's sign-ins in progress.
    pub idp: Expiring<IdpSignin>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_used_once_and_the_map_stays_bounded() {
        let m: Expiring<u32> = Expiring::default();
        let mut rng = crate::runtime::os_rng::OsRng;
        let k = m.insert("_", 7, &mut rng);
        assert!(k.starts_with('_') && k.len() == 33);
        assert_eq!(m.get(&k), Some(7));
        m.update(&k, 8);
        assert_eq!(m.take(&k), Some(8));
        assert_eq!(m.take(&k), None, "used once");
        let first = m.insert("", 0, &mut rng);
        for i in 0..MAX_ENTRIES as u32 {
            m.insert("", i, &mut rng);
        }
        assert_eq!(m.get(&first), None, "oldest dropped");
        assert_eq!(m.inner.lock().unwrap().0.len(), MAX_ENTRIES);
    }
}
