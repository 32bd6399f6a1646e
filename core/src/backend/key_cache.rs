//! The cached key set and its decisions on time (given, never read from a clock):
//! fresh, stale, unknown `kid`, fetch failure.

use std::sync::Arc;
use std::time::SystemTime;

use super::KeySet;
use crate::config::VerificationOptions;

/// What a verification does next.
#[derive(Debug, Clone)]
pub enum KeyDecision {
    /// Verify with this set.
    Use(Arc<KeySet>),
    /// Fetch the key set first.
    Fetch,
    /// No usable set, and a fetch was tried too recently to try again.
    Unavailable,
}

/// The client's key set: fetched (and when), or given by the caller (never fetched).
#[derive(Debug, Default)]
pub struct KeyCache {
    keys: Option<Arc<KeySet>>,
    fetched_at: Option<SystemTime>,
    /// The last fetch attempt (success or failure), for the refetch interval.
    last_attempt: Option<SystemTime>,
    last_failure: Option<String>,
    given: bool,
}

fn later_than(now: SystemTime, since: SystemTime, span: std::time::Duration) -> bool {
    since.checked_add(span).is_none_or(|until| now >= until) && now >= since
}

impl KeyCache {
    /// Uses `keys` for every verification from now on; nothing is fetched.
    pub fn give(&mut self, keys: KeySet) {
        self.keys = Some(Arc::new(keys));
        self.given = true;
    }

    /// Decides, at `now`, how to verify a token naming `kid`.
    pub fn decide(&self, now: SystemTime, kid: &str, options: &VerificationOptions) -> KeyDecision {
        let may_fetch = self
            .last_attempt
            .is_none_or(|t| later_than(now, t, options.refetch_interval));
        let Some(keys) = &self.keys else {
            return if may_fetch {
                KeyDecision::Fetch
            } else {
                KeyDecision::Unavailable
            };
        };
        if self.given {
            return KeyDecision::Use(keys.clone());
        }
        let fetched_at = self.fetched_at.unwrap_or(SystemTime::UNIX_EPOCH);
        let fresh = !later_than(now, fetched_at, options.cache_for);
        if fresh && keys.contains(kid) {
            return KeyDecision::Use(keys.clone());
        }
        // Stale, or a kid the set lacks (a rotation): refetch, at most once per interval.
        if may_fetch {
            return KeyDecision::Fetch;
        }
        let usable = fresh
            || fetched_at
                .checked_add(options.cache_for)
                .is_some_and(|aged| !later_than(now, aged, options.stale_for));
        if usable {
            KeyDecision::Use(keys.clone())
        } else {
            KeyDecision::Unavailable
        }
    }

    /// A fetch answered with `keys` at `now`.
    pub fn fetched(&mut self, keys: KeySet, now: SystemTime) -> Arc<KeySet> {
        let keys = Arc::new(keys);
        self.keys = Some(keys.clone());
        self.fetched_at = Some(now);
        self.last_attempt = Some(now);
        self.last_failure = None;
        keys
    }

    /// A fetch failed at `now`; returns the cached set if it may still be used.
    pub fn fetch_failed(
        &mut self,
        now: SystemTime,
        why: String,
        options: &VerificationOptions,
    ) -> Option<Arc<KeySet>> {
        self.last_attempt = Some(now);
        self.last_failure = Some(why);
        let fetched_at = self.fetched_at?;
        let usable_until = fetched_at
            .checked_add(options.cache_for)
            .and_then(|t| t.checked_add(options.stale_for));
        match usable_until {
            Some(until) if now >= until => None,
            _ => self.keys.clone(),
        }
    }

    /// Why the last fetch failed, if it did.
    pub fn last_failure(&self) -> Option<&str> {
        self.last_failure.as_deref()
    }
}
