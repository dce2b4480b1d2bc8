//! Sign-ins in progress: who passed the password step and what is still
//! to do, keyed by the random `DSLoginState` cookie. Bounded: the oldest
//! entry is dropped when full.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Most sign-ins kept in progress at once.
pub const MAX_PENDING: usize = 1024;

/// The name of the cookie carrying a sign-in in progress.
pub const STATE_COOKIE: &str = "DSLoginState";

/// The next step of a sign-in in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// The second factor on its own page.
    Token,
    /// The "already signed in" page.
    Confirm,
    /// The role page.
    Roles,
}

/// A sign-in past its password step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The user.
    pub user: String,
    /// The realm chosen (index into the configured realms).
    pub realm: Option<usize>,
    /// What the user still has to pass.
    pub stage: Stage,
    /// Wrong second-factor codes so far.
    pub token_failures: u32,
}

/// Sign-ins in progress.
#[derive(Debug, Default)]
pub struct PendingStore {
    inner: Mutex<(HashMap<String, Pending>, VecDeque<String>)>,
}

impl PendingStore {
    /// Stores `p` under a new random key and returns the key.
    pub fn start(&self, p: Pending, rng: &mut dyn oncp_core::rng::Random) -> String {
        let mut b = [0u8; 16];
        rng.fill(&mut b);
        let key = hex::encode(b);
        let mut g = self.inner.lock().expect("pending lock");
        let (map, order) = &mut *g;
        while map.len() >= MAX_PENDING {
            match order.pop_front() {
                Some(old) => {
                    map.remove(&old);
                }
                None => break,
            }
        }
        map.insert(key.clone(), p);
        order.push_back(key.clone());
        key
    }

    /// The sign-in under `key`.
    pub fn get(&self, key: &str) -> Option<Pending> {
        self.inner.lock().expect("pending lock").0.get(key).cloned()
    }

    /// Replaces the sign-in under `key` (no-op if it is gone).
    pub fn update(&self, key: &str, p: Pending) {
        if let Some(slot) = self.inner.lock().expect("pending lock").0.get_mut(key) {
            *slot = p;
        }
    }

    /// Ends the sign-in under `key`.
    pub fn finish(&self, key: &str) {
        let mut g = self.inner.lock().expect("pending lock");
        g.0.remove(key);
        g.1.retain(|k| k != key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_keyed() {
        let s = PendingStore::default();
        let mut rng = oncp_core::rng::TestRng::new(3);
        let p = Pending {
            user: "u".into(),
            realm: None,
            stage: Stage::Token,
            token_failures: 0,
        };
        let first = s.start(p.clone(), &mut rng);
        assert_eq!(s.get(&first), Some(p.clone()));
        for _ in 0..MAX_PENDING {
            s.start(p.clone(), &mut rng);
        }
        assert_eq!(s.get(&first), None);
        assert_eq!(s.inner.lock().unwrap().0.len(), MAX_PENDING);
        let k = s.start(p.clone(), &mut rng);
        s.finish(&k);
        assert_eq!(s.get(&k), None);
    }
}
