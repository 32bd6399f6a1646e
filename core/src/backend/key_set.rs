//! The public keys access tokens are verified with: a JWKS document
//! (`{keys: [{kid, kty: "RSA", alg: "RS256", n, e}]}`) or PEM public keys.

use std::fmt;

use serde::Deserialize;

use crate::error::TokenError;

/// Bounds on what a key set may hold, so a hostile document costs little.
const MAX_KEYS: usize = 64;
/// Larger than any JWKS the service would publish.
pub(crate) const MAX_KEY_SET_BYTES: usize = 256 * 1024;

/// One verification key.
#[derive(Clone)]
pub(crate) struct VerifyKey {
    pub kid: String,
    pub key: jsonwebtoken::DecodingKey,
}

/// The environment's public keys, by `kid`.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<VerifyKey>,
}

impl fmt::Debug for KeySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeySet")
            .field("kids", &self.kids().collect::<Vec<_>>())
            .finish()
    }
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    #[serde(default)]
    kid: Option<String>,
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    #[serde(rename = "use", default)]
    usage: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
}

impl KeySet {
    /// Reads a JWKS document. Keys that are not RSA signing keys for RS256 are skipped
    /// (a set may hold others); a set with no usable key, more than 64 keys, or a key
    /// without a `kid` is [`TokenError::InvalidKey`].
    ///
    /// ```
    /// use cloudbase_core::backend::KeySet;
    ///
    /// let err = KeySet::from_jwks(br#"{"keys": []}"#).unwrap_err();
    /// assert!(err.to_string().contains("no RS256 key"));
    /// ```
    pub fn from_jwks(json: &[u8]) -> Result<Self, TokenError> {
        if json.len() > MAX_KEY_SET_BYTES {
            return Err(TokenError::InvalidKey(
                "the key set is larger than 256 KiB".into(),
            ));
        }
        let doc: Jwks = serde_json::from_slice(json)
            .map_err(|e| TokenError::InvalidKey(format!("not a JWKS document: {e}")))?;
        if doc.keys.len() > MAX_KEYS {
            return Err(TokenError::InvalidKey("more than 64 keys".into()));
        }
        let mut keys = Vec::new();
        for jwk in doc.keys {
            let rsa_signing = jwk.kty == "RSA"
                && jwk.alg.as_deref().is_none_or(|a| a == "RS256")
                && jwk.usage.as_deref().is_none_or(|u| u == "sig");
            if !rsa_signing {
                continue;
            }
            let (Some(kid), Some(n), Some(e)) = (jwk.kid, jwk.n, jwk.e) else {
                return Err(TokenError::InvalidKey(
                    "an RSA key without kid, n or e".into(),
                ));
            };
            let key = jsonwebtoken::DecodingKey::from_rsa_components(&n, &e)
                .map_err(|err| TokenError::InvalidKey(format!("key {kid:?}: {err}")))?;
            keys.push(VerifyKey { kid, key });
        }
        if keys.is_empty() {
            return Err(TokenError::InvalidKey("the set has no RS256 key".into()));
        }
        Ok(Self { keys })
    }

    /// One RSA public key in PEM (`BEGIN PUBLIC KEY` or `BEGIN RSA PUBLIC KEY`) under
    /// the `kid` tokens name it by.
    pub fn from_pem(kid: impl Into<String>, pem: &[u8]) -> Result<Self, TokenError> {
        let key = jsonwebtoken::DecodingKey::from_rsa_pem(pem)
            .map_err(|e| TokenError::InvalidKey(format!("not an RSA public key in PEM: {e}")))?;
        Ok(Self {
            keys: vec![VerifyKey {
                kid: kid.into(),
                key,
            }],
        })
    }

    /// The key ids in the set.
    pub fn kids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.kid.as_str())
    }

    /// Whether a key has this id.
    pub fn contains(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid == kid)
    }

    pub(crate) fn get(&self, kid: &str) -> Option<&VerifyKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }
}
