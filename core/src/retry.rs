//! Retry as a pure decision: `(what failed, attempt, idempotent, jitter) -> stop | wait`.
//!
//! Rules:
//! - a connection that was never made ([`TransportErrorKind::Connect`]) is retried for
//!   every operation: the server cannot have seen the request;
//! - timeouts, broken connections and HTTP 502/503/504 are retried only for idempotent
//!   operations, because the server may already have acted on the request;
//! - `Retry-After` (seconds or an HTTP date) is honoured, capped at
//!   [`RetryPolicy::max_retry_after`]; otherwise exponential backoff with jitter;
//! - at most [`RetryPolicy::max_attempts`] attempts in all.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, StatusCode};

use crate::error::TransportErrorKind;

/// How failed attempts are retried.
///
/// ```
/// use std::time::Duration;
/// use cloudbase_core::RetryPolicy;
///
/// let patient = RetryPolicy::default().max_attempts(5).initial_backoff(Duration::from_millis(100));
/// assert_eq!(patient.attempts(), 5);
/// let never = RetryPolicy::none();
/// assert_eq!(never.attempts(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, backoff from 200 ms doubling up to 5 s, `Retry-After` capped at 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A single attempt, never retried.
    pub fn none() -> Self {
        Self::default().max_attempts(1)
    }

    /// Attempts in all, including the first (at least 1).
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// The delay before the first retry; each later retry doubles it.
    pub fn initial_backoff(mut self, d: Duration) -> Self {
        self.initial_backoff = d;
        self
    }

    /// The longest backoff delay.
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// The longest `Retry-After` honoured; longer requests are shortened to this.
    pub fn max_retry_after(mut self, d: Duration) -> Self {
        self.max_retry_after = d;
        self
    }

    /// Attempts in all, including the first.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// The backoff before retry number `retry` (1-based), with jitter drawn from
    /// `jitter` ("equal jitter": half fixed, half random, so retries of many clients
    /// spread out but never collapse to zero).
    pub fn backoff(&self, retry: u32, jitter: u64) -> Duration {
        let exp = retry.saturating_sub(1).min(20);
        let full = self
            .initial_backoff
            .saturating_mul(1u32 << exp)
            .min(self.max_backoff);
        let half = full / 2;
        let span = half.as_micros().min(u128::from(u64::MAX)) as u64;
        let extra = if span == 0 { 0 } else { jitter % (span + 1) };
        half + Duration::from_micros(extra)
    }
}

/// What went wrong with one attempt, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptFailure {
    /// A network failure.
    Transport(TransportErrorKind),
    /// An HTTP answer with this status, and the server's `Retry-After`, if any.
    Status {
        /// The status.
        status: StatusCode,
        /// The parsed `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// The server refused to run the call for now (a rate limit, a transaction
    /// conflict: [`ServerError::is_throttled`](crate::ServerError::is_throttled)).
    /// The call was not applied, so any operation may be retried.
    Throttled {
        /// How long the server asked to wait, if it said.
        retry_after: Option<Duration>,
    },
}

/// The outcome of [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryDecision {
    /// Give the failure to the caller.
    Stop,
    /// Wait this long, then send the request again.
    RetryAfter(Duration),
}

/// Decides whether attempt number `attempt` (1-based), which failed with `failure`,
/// is tried again. Pure: the same inputs give the same answer.
///
/// ```
/// use std::time::Duration;
/// use http::StatusCode;
/// use cloudbase_core::retry::{decide, AttemptFailure, RetryDecision};
/// use cloudbase_core::RetryPolicy;
///
/// let policy = RetryPolicy::default();
/// let busy = AttemptFailure::Status { status: StatusCode::SERVICE_UNAVAILABLE, retry_after: Some(Duration::from_secs(2)) };
/// assert_eq!(decide(&policy, 1, true, busy, 0), RetryDecision::RetryAfter(Duration::from_secs(2)));
/// assert_eq!(decide(&policy, 1, false, busy, 0), RetryDecision::Stop);
/// ```
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    idempotent: bool,
    failure: AttemptFailure,
    jitter: u64,
) -> RetryDecision {
    if attempt >= policy.max_attempts {
        return RetryDecision::Stop;
    }
    let backoff = policy.backoff(attempt, jitter);
    match failure {
        AttemptFailure::Transport(kind) if kind.nothing_sent() => {
            RetryDecision::RetryAfter(backoff)
        }
        AttemptFailure::Transport(
            TransportErrorKind::Timeout | TransportErrorKind::ConnectionLost,
        ) if idempotent => RetryDecision::RetryAfter(backoff),
        AttemptFailure::Transport(_) => RetryDecision::Stop,
        AttemptFailure::Status {
            status,
            retry_after,
        } if idempotent && is_retryable_status(status) => RetryDecision::RetryAfter(
            retry_after.map_or(backoff, |wait| wait.min(policy.max_retry_after)),
        ),
        AttemptFailure::Status { .. } => RetryDecision::Stop,
        AttemptFailure::Throttled { retry_after } => RetryDecision::RetryAfter(
            retry_after.map_or(backoff, |wait| wait.min(policy.max_retry_after)),
        ),
    }
}

/// The statuses a gateway uses for "not now": 502, 503, 504.
pub fn is_retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 502..=504)
}

/// Reads `Retry-After` as delta-seconds or an HTTP date (relative to `now`).
/// A date in the past means "now"; anything unreadable is ignored.
pub fn parse_retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let raw = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = raw.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = httpdate::parse_http_date(raw).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const S503: StatusCode = StatusCode::SERVICE_UNAVAILABLE;

    fn status(s: StatusCode, ra: Option<u64>) -> AttemptFailure {
        AttemptFailure::Status {
            status: s,
            retry_after: ra.map(Duration::from_secs),
        }
    }

    #[test]
    fn connect_failures_retry_for_everything() {
        let p = RetryPolicy::default();
        let f = AttemptFailure::Transport(TransportErrorKind::Connect);
        assert!(matches!(
            decide(&p, 1, false, f, 7),
            RetryDecision::RetryAfter(_)
        ));
        assert!(matches!(
            decide(&p, 2, false, f, 7),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(decide(&p, 3, false, f, 7), RetryDecision::Stop);
    }

    #[test]
    fn after_send_failures_retry_only_idempotent() {
        let p = RetryPolicy::default();
        for kind in [
            TransportErrorKind::Timeout,
            TransportErrorKind::ConnectionLost,
        ] {
            let f = AttemptFailure::Transport(kind);
            assert_eq!(decide(&p, 1, false, f, 0), RetryDecision::Stop);
            assert!(matches!(
                decide(&p, 1, true, f, 0),
                RetryDecision::RetryAfter(_)
            ));
        }
        let big = AttemptFailure::Transport(TransportErrorKind::ResponseTooLarge { limit: 1 });
        assert_eq!(decide(&p, 1, true, big, 0), RetryDecision::Stop);
    }

    #[test]
    fn statuses() {
        let p = RetryPolicy::default();
        for s in [502u16, 503, 504] {
            let s = StatusCode::from_u16(s).unwrap_or(S503);
            assert!(matches!(
                decide(&p, 1, true, status(s, None), 0),
                RetryDecision::RetryAfter(_)
            ));
            assert_eq!(
                decide(&p, 1, false, status(s, None), 0),
                RetryDecision::Stop
            );
        }
        for s in [
            StatusCode::INTERNAL_SERVER_ERROR,
            StatusCode::BAD_REQUEST,
            StatusCode::UNAUTHORIZED,
        ] {
            assert_eq!(decide(&p, 1, true, status(s, None), 0), RetryDecision::Stop);
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let p = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            decide(&p, 1, true, status(S503, Some(3)), 999),
            RetryDecision::RetryAfter(Duration::from_secs(3))
        );
        assert_eq!(
            decide(&p, 1, true, status(S503, Some(3600)), 0),
            RetryDecision::RetryAfter(Duration::from_secs(10))
        );
    }

    #[test]
    fn retry_after_header_forms() {
        let now = SystemTime::UNIX_EPOCH
            .checked_add(Duration::from_secs(1_700_000_000))
            .unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(parse_retry_after(&h, now), None);
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("7"),
        );
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(now.checked_add(Duration::from_secs(42)).unwrap());
        h.insert(
            http::header::RETRY_AFTER,
            later.parse().unwrap_or(http::HeaderValue::from_static("x")),
        );
        assert_eq!(parse_retry_after(&h, now), Some(Duration::from_secs(42)));
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(42));
        h.insert(
            http::header::RETRY_AFTER,
            earlier
                .parse()
                .unwrap_or(http::HeaderValue::from_static("x")),
        );
        assert_eq!(parse_retry_after(&h, now), Some(Duration::ZERO));
        h.insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("soon"),
        );
        assert_eq!(parse_retry_after(&h, now), None);
    }

    proptest! {
        #[test]
        fn backoff_stays_within_half_to_full_of_the_capped_exponential(retry in 1u32..40, jitter: u64) {
            let p = RetryPolicy::default();
            let d = p.backoff(retry, jitter);
            let full = Duration::from_millis(200).saturating_mul(1 << (retry - 1).min(20)).min(Duration::from_secs(5));
            prop_assert!(d >= full / 2 && d <= full, "{d:?} vs {full:?}");
        }

        #[test]
        fn never_more_than_max_attempts(max in 1u32..6, attempt in 1u32..10, idem: bool, jitter: u64) {
            let p = RetryPolicy::default().max_attempts(max);
            let f = AttemptFailure::Transport(TransportErrorKind::Connect);
            let d = decide(&p, attempt, idem, f, jitter);
            prop_assert_eq!(matches!(d, RetryDecision::RetryAfter(_)), attempt < max);
        }
    }
}
