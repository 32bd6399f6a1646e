//! Where a lifetime from the network or a file meets the clock. `SystemTime +
//! Duration` panics on overflow, and a server can send `expires_in: u64::MAX`: every
//! such sum goes through here, and a lifetime no clock can hold is a typed
//! [`DecodeError::Lifetime`], never a panic.

use std::time::{Duration, SystemTime};

use crate::error::DecodeError;

/// The longest lifetime accepted from a server or a session file: ten years. Longer
/// ones are meaningless for tokens and codes (CloudBase issues hours), and far-future
/// instants overflow further arithmetic (sleep deadlines, margins) in callers.
pub const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// `now + seconds`, refused when `seconds` exceeds [`MAX_LIFETIME`] or the sum does
/// not fit the clock; `field` names the JSON field in the error.
pub(crate) fn expires_after(
    now: SystemTime,
    seconds: u64,
    field: &'static str,
) -> Result<SystemTime, DecodeError> {
    let lifetime = Duration::from_secs(seconds);
    if lifetime > MAX_LIFETIME {
        return Err(DecodeError::Lifetime { field, seconds });
    }
    now.checked_add(lifetime)
        .ok_or(DecodeError::Lifetime { field, seconds })
}

/// The instant `seconds` after the Unix epoch (a persisted expiry), `None` when no
/// `SystemTime` can hold it.
pub(crate) fn unix_seconds(seconds: u64) -> Option<SystemTime> {
    SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(seconds))
}

/// `now + delay` for deadlines built from configuration (timeouts, backoff): a delay
/// beyond [`MAX_LIFETIME`] counts as that, so no setting can overflow the clock.
pub(crate) fn deadline_after(now: SystemTime, delay: Duration) -> SystemTime {
    now.checked_add(delay.min(MAX_LIFETIME)).unwrap_or(now)
}

/// `now` rounded down to whole seconds (the safe side), so an expiry counted from it
/// survives persistence in Unix seconds unchanged.
pub(crate) fn whole_seconds(now: SystemTime) -> SystemTime {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .ok()
        .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(d.as_secs())))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_lifetimes_are_typed_errors_not_panics() {
        let now = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(1_700_000_000))
            .unwrap();
        for seconds in [u64::MAX, i64::MAX as u64, MAX_LIFETIME.as_secs() + 1] {
            assert_eq!(
                expires_after(now, seconds, "expires_in"),
                Err(DecodeError::Lifetime {
                    field: "expires_in",
                    seconds
                })
            );
        }
        assert_eq!(
            expires_after(now, 7200, "expires_in"),
            Ok(now.checked_add(Duration::from_secs(7200)).unwrap())
        );
        assert_eq!(unix_seconds(u64::MAX), None);
    }
}
