//! `get_claims`: the access token's claims, decoded locally.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::error::DecodeError;

/// The decoded parts of an access token.
///
/// **The signature is not verified**: these are the claims as the token states them,
/// useful for display and routing, never for authorisation decisions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Claims {
    /// The JOSE header (`alg`, `kid`, …).
    pub header: serde_json::Map<String, serde_json::Value>,
    /// The claims (`sub`, `exp`, `scope`, `groups`, …), as sent.
    pub claims: serde_json::Map<String, serde_json::Value>,
    /// The signature part, base64url as in the token (not checked).
    pub signature: String,
}

impl Claims {
    /// A claim as text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(|v| v.as_str())
    }

    /// The user id (`sub`).
    pub fn sub(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// The expiry (`exp`, Unix seconds).
    pub fn exp(&self) -> Option<u64> {
        self.claims.get("exp").and_then(|v| v.as_u64())
    }
}

/// Decodes a JWT's header and payload (base64url, no padding) without verifying
/// the signature. A token that is not three dot-separated parts of base64url JSON
/// objects is a [`DecodeError::Token`].
///
/// ```
/// use cloudbase_core::auth::decode_claims;
///
/// // {"alg":"none"} . {"sub":"u-1","exp":2000000000}
/// let c = decode_claims("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1LTEiLCJleHAiOjIwMDAwMDAwMDB9.sig")?;
/// assert_eq!(c.sub(), Some("u-1"));
/// assert!(decode_claims("not-a-jwt").is_err());
/// # Ok::<(), cloudbase_core::DecodeError>(())
/// ```
pub fn decode_claims(token: &str) -> Result<Claims, DecodeError> {
    let bad = |reason: &str| DecodeError::Token {
        reason: reason.to_owned(),
    };
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("a JWT has exactly three dot-separated parts"));
    };
    let part = |text: &str,
                what: &str|
     -> Result<serde_json::Map<String, serde_json::Value>, DecodeError> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|_| bad(&format!("the {what} is not base64url")))?;
        match serde_json::from_slice(&bytes) {
            Ok(serde_json::Value::Object(map)) => Ok(map),
            _ => Err(bad(&format!("the {what} is not a JSON object"))),
        }
    };
    Ok(Claims {
        header: part(h, "header")?,
        claims: part(p, "payload")?,
        signature: s.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_tokens_are_typed_errors() {
        for bad in [
            "",
            "a.b",
            "a.b.c.d",
            "!!!.e30.x",
            "e30.!!!.x",
            "WzFd.e30.x",
            "e30.bnVsbA.x",
        ] {
            assert!(
                matches!(decode_claims(bad), Err(DecodeError::Token { .. })),
                "{bad:?}"
            );
        }
        let ok = decode_claims("e30.e30.").unwrap();
        assert!(ok.claims.is_empty());
    }
}
