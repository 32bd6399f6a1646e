//! A string that never shows itself in logs.

use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A token, key, password or code.
///
/// `Debug` and `Display` print `***`, so a `Secret` can sit inside any struct that
/// derives `Debug` (and any `tracing` field) without leaking. The value is only
/// reachable through [`Secret::expose`], which makes every place that reads it
/// easy to find.
///
/// Serialization writes the plain value on purpose: sessions are persisted, and a
/// store that cannot read back its own tokens is useless. Keep serialized sessions
/// in places you would keep a password.
///
/// ```
/// use cloudbase_core::Secret;
///
/// let key = Secret::new("pk_live_123");
/// assert_eq!(format!("{key:?}"), "Secret(***)");
/// assert_eq!(key.to_string(), "***");
/// assert_eq!(key.expose(), "pk_live_123");
/// ```
// Shared, not copied, when cloned: a session's tokens are held by the session, each
// auth event and the call that sent them (a copy each cost a measurable share of a
// sign-in and of every authorized call; bench/). Equality and hashing see the value
// only.
#[derive(Clone)]
pub struct Secret(Arc<Inner>);

struct Inner {
    value: String,
    // `Bearer {value}` as a header value, made on first use: a token goes out on many
    // calls, and building and checking the header each time cost a pass over it.
    bearer: OnceLock<Option<http::HeaderValue>>,
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.0.value == other.0.value
    }
}

impl Eq for Secret {}

impl std::hash::Hash for Secret {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.value.hash(state);
    }
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self::from_string(value.into())
    }

    fn from_string(value: String) -> Self {
        Self(Arc::new(Inner {
            value,
            bearer: OnceLock::new(),
        }))
    }

    /// `Authorization: Bearer {value}`, marked sensitive; `None` if the value cannot
    /// be a header (a control character, say).
    pub(crate) fn bearer_header(&self) -> Option<http::HeaderValue> {
        self.0
            .bearer
            .get_or_init(|| {
                let mut text = String::with_capacity(7 + self.0.value.len());
                text.push_str("Bearer ");
                text.push_str(&self.0.value);
                let mut v = http::HeaderValue::from_str(&text).ok()?;
                v.set_sensitive(true);
                Some(v)
            })
            .clone()
    }

    /// The plain value. Call this only where the value must go on the wire.
    pub fn expose(&self) -> &str {
        &self.0.value
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.value.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::from_string(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::from_string(value.to_owned())
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0.value)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Straight from the input's text where it allows (no intermediate String).
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Secret;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Secret, E> {
                Ok(Secret::from(v))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
                Ok(Secret::from(v))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_header_is_made_once_marked_sensitive_and_ignored_by_equality() {
        let token = Secret::new("abc.def");
        let copy = token.clone();
        let v = token.bearer_header().expect("a header");
        assert_eq!(v.to_str().expect("text"), "Bearer abc.def");
        assert!(v.is_sensitive());
        // The clone shares the one made (same bytes, no second build).
        assert_eq!(copy.bearer_header().expect("a header"), v);
        assert_eq!(
            token,
            Secret::new("abc.def"),
            "equal without a cached header"
        );
        assert!(Secret::new("bad\nvalue").bearer_header().is_none());
    }

    #[test]
    fn debug_display_and_alternate_debug_are_redacted() {
        let s = Secret::new("super-secret-value");
        for shown in [
            format!("{s:?}"),
            format!("{s:#?}"),
            format!("{s}"),
            format!("{s:>40}"),
        ] {
            assert!(!shown.contains("super-secret-value"), "{shown}");
        }
    }

    #[test]
    fn serde_round_trips_the_plain_value() {
        let s = Secret::new("abc");
        let json = serde_json::to_string(&s).unwrap_or_default();
        assert_eq!(json, "\"abc\"");
        let back: Secret = serde_json::from_str(&json).unwrap_or_else(|_| Secret::new(""));
        assert_eq!(back, s);
    }
}
