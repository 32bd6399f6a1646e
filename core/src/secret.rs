//! A string that never shows itself in logs.

use std::fmt;
use std::sync::Arc;

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
// sign-in and of every authorized call; bench/).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(Arc::from(value.into()))
    }

    /// The plain value. Call this only where the value must go on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
        Self(Arc::from(value))
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(Arc::from(value))
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
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
                Ok(Secret(Arc::from(v)))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Secret, E> {
                Ok(Secret(Arc::from(v)))
            }
        }
        deserializer.deserialize_str(Text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
