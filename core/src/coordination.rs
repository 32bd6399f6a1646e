//! What a client does when its session is shared with other processes through a
//! store: pure decisions from the session it holds and the one the store holds.
//!
//! Refresh tokens are single-use (docs/protocol/auth.md §3), so two processes that
//! refresh the same session at once log the user out. The driver therefore refreshes
//! only under the store's lock, after re-reading it, and adopts a session another
//! process stored instead of refreshing again; the decisions are these functions, and
//! the store's I/O only feeds them.

use crate::session::Credentials;

/// What to do with the session after reading the store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Another process stored a newer session: use it (`TOKEN_REFRESHED`), send
    /// nothing with the held tokens.
    Adopt(Credentials),
    /// The stored session is the one held: go on (and refresh, if that was the
    /// question).
    Keep,
    /// The store holds no session: another process signed out. End this session too
    /// (`SIGNED_OUT`) and send nothing with its tokens.
    SignedOut,
}

/// Whether `stored` is a different session from `held`.
fn differs(held: &Credentials, stored: &Credentials) -> bool {
    stored.refresh_token != held.refresh_token || stored.access_token != held.access_token
}

/// Before a call that carries the user's token, or before refreshing (under the lock):
/// adopt a newer stored session, notice a sign-out elsewhere, or keep the held one.
///
/// "Newer" is a different session that expires no earlier than the held one: a
/// different but older entry is a write this process superseded (its refresh token
/// is already spent), so the held session stays and is written back after the next
/// refresh.
///
/// ```
/// use cloudbase_core::coordination::{Decision, reconcile};
/// # let creds = |at: &str, rt: &str, exp: u64| -> cloudbase_core::Credentials {
/// #     serde_json::from_value(serde_json::json!({"token_type": "Bearer", "access_token": at,
/// #         "refresh_token": rt, "expires_at": exp, "scope": "user", "sub": "u", "groups": []})).unwrap()
/// # };
/// let held = creds("a", "rt-1", 100);
/// let newer = creds("b", "rt-2", 200);
/// assert_eq!(reconcile(&held, Some(&newer)), Decision::Adopt(newer.clone()));
/// assert_eq!(reconcile(&held, Some(&held)), Decision::Keep);
/// assert_eq!(reconcile(&held, None), Decision::SignedOut);
/// ```
pub fn reconcile(held: &Credentials, stored: Option<&Credentials>) -> Decision {
    match stored {
        None => Decision::SignedOut,
        Some(s) if differs(held, s) && s.expires_at >= held.expires_at => {
            Decision::Adopt(s.clone())
        }
        Some(_) => Decision::Keep,
    }
}

/// After the server answered `invalid_grant` to the refresh token this client sent
/// (still under the lock): if the store now holds a session with another refresh
/// token, another process rotated it — adopt that one and replay; only when the store
/// still holds the rejected token (or nothing) is the session really over.
///
/// ```
/// use cloudbase_core::coordination::{Decision, after_rejection};
/// # let creds = |at: &str, rt: &str, exp: u64| -> cloudbase_core::Credentials {
/// #     serde_json::from_value(serde_json::json!({"token_type": "Bearer", "access_token": at,
/// #         "refresh_token": rt, "expires_at": exp, "scope": "user", "sub": "u", "groups": []})).unwrap()
/// # };
/// let rotated = creds("b", "rt-2", 200);
/// assert_eq!(after_rejection("rt-1", Some(&rotated)), Decision::Adopt(rotated.clone()));
/// let same = creds("a", "rt-1", 100);
/// assert_eq!(after_rejection("rt-1", Some(&same)), Decision::SignedOut);
/// ```
pub fn after_rejection(sent_refresh_token: &str, stored: Option<&Credentials>) -> Decision {
    match stored {
        Some(s)
            if s.refresh_token
                .as_ref()
                .is_some_and(|rt| rt.expose() != sent_refresh_token) =>
        {
            Decision::Adopt(s.clone())
        }
        _ => Decision::SignedOut,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn creds(token: u8, refresh: Option<u8>, expires: u64) -> Credentials {
        serde_json::from_value(serde_json::json!({
            "token_type": "Bearer", "access_token": format!("at-{token}"),
            "refresh_token": refresh.map(|r| format!("rt-{r}")), "expires_at": expires,
            "scope": "user", "sub": "u", "groups": [],
        }))
        .expect("credentials")
    }

    fn arb_creds() -> impl Strategy<Value = Credentials> {
        (0u8..4, proptest::option::of(0u8..4), 0u64..4)
            .prop_map(|(t, r, e)| creds(t, r, 100 + e * 100))
    }

    proptest! {
        /// Whatever the interleaving left in the store, a client never goes on with a
        /// refresh token older than the stored one, and never signs out while the
        /// store holds a session.
        #[test]
        fn never_a_spent_token_never_a_needless_sign_out(
            held in arb_creds(),
            stored in proptest::option::of(arb_creds()),
        ) {
            match reconcile(&held, stored.as_ref()) {
                Decision::SignedOut => prop_assert!(stored.is_none()),
                Decision::Adopt(s) => {
                    prop_assert_eq!(Some(&s), stored.as_ref());
                    prop_assert!(s.expires_at >= held.expires_at);
                }
                Decision::Keep => {
                    let s = stored.as_ref().expect("kept only with a stored session");
                    // Kept: the stored entry is this session, or an older one.
                    prop_assert!(!differs(&held, s) || s.expires_at < held.expires_at);
                }
            }
        }

        /// After a rejection, a stored session with another refresh token is always
        /// adopted, never signed out of; the rejected token is never kept.
        #[test]
        fn a_rotation_elsewhere_is_adopted_after_a_rejection(
            sent in 0u8..4,
            stored in proptest::option::of(arb_creds()),
        ) {
            let sent = format!("rt-{sent}");
            let rotated = stored.as_ref().and_then(|s| s.refresh_token.as_ref())
                .is_some_and(|rt| rt.expose() != sent);
            match after_rejection(&sent, stored.as_ref()) {
                Decision::Adopt(s) => {
                    prop_assert!(rotated);
                    prop_assert_ne!(s.refresh_token.as_ref().map(|r| r.expose().to_owned()), Some(sent));
                }
                Decision::SignedOut => prop_assert!(!rotated),
                Decision::Keep => prop_assert!(false, "a rejected session is never kept"),
            }
        }
    }
}
