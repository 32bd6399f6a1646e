//! The emulator's signing keys: RS256 access tokens with a `kid` (published as a JWKS
//! at `GET /auth/v1/certs`, rotated on demand), the RS256 custom-login key, and the
//! HS256 key of the fake identity provider's ID tokens.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};

/// The claims the emulator puts in an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer.
    pub iss: String,
    /// User id (for server-credential tokens, the SecretId).
    pub sub: String,
    /// Audience: the client id.
    pub aud: String,
    /// `anonymous`, `user`, … (`admin` for server-credential tokens).
    pub scope: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// The user's groups.
    pub groups: Vec<String>,
    /// The environment id.
    pub project_id: String,
    /// A unique token id, so two tokens issued in the same second differ.
    pub jti: String,
}

/// Why a bearer token was refused.
pub(crate) enum TokenError {
    Invalid,
    Expired,
}

/// One RSA key pair and what is made of it.
pub(crate) struct RsaKey {
    pub kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    /// The public half as a JWK (`{kid, kty, alg, use, n, e}`).
    pub jwk: serde_json::Value,
    /// PKCS#8 PEM of the private half (the console's custom-login key file holds one).
    pub private_pem: String,
}

/// The size of generated keys, as the real service's.
const KEY_BITS: usize = 2048;

impl RsaKey {
    pub fn generate(kid: String) -> Result<Self, String> {
        let mut rng = rsa::rand_core::OsRng;
        let private = rsa::RsaPrivateKey::new(&mut rng, KEY_BITS).map_err(|e| e.to_string())?;
        let der = private.to_pkcs1_der().map_err(|e| e.to_string())?;
        let private_pem = private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|e| e.to_string())?
            .to_string();
        let b64 = |bytes: Vec<u8>| {
            use base64::Engine as _;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
        };
        let (n, e) = (private.n().to_bytes_be(), private.e().to_bytes_be());
        let decoding = DecodingKey::from_rsa_raw_components(&n, &e);
        Ok(Self {
            jwk: serde_json::json!({
                "kid": kid, "kty": "RSA", "alg": "RS256", "use": "sig", "n": b64(n), "e": b64(e),
            }),
            kid,
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            decoding,
            private_pem,
        })
    }

    fn header(&self) -> Header {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        header
    }

    pub fn sign<T: Serialize>(&self, claims: &T) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&self.header(), claims, &self.encoding)
    }

    /// The claims of a token this key signed (RS256 only); time is the caller's to check.
    pub fn verify<T: serde::de::DeserializeOwned>(&self, token: &str) -> Option<T> {
        let mut v = Validation::new(Algorithm::RS256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<T>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}

/// A key generated on a background thread at start (2048-bit generation takes a tenth
/// of a second or more), waited for by its first use.
pub(crate) struct PendingKey {
    pending: Mutex<Option<std::thread::JoinHandle<Result<RsaKey, String>>>>,
    ready: std::sync::OnceLock<Result<Arc<RsaKey>, String>>,
}

impl PendingKey {
    pub fn spawn(kid: String) -> Self {
        let handle = std::thread::Builder::new()
            .name("cloudbase-emulator-keygen".to_owned())
            .spawn(move || RsaKey::generate(kid))
            .ok();
        Self {
            pending: Mutex::new(handle),
            ready: std::sync::OnceLock::new(),
        }
    }

    pub fn get(&self) -> Result<Arc<RsaKey>, String> {
        self.ready
            .get_or_init(|| {
                let handle = self
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                match handle {
                    Some(h) => h
                        .join()
                        .map_err(|_| "key generation panicked".to_owned())?
                        .map(Arc::new),
                    None => Err("key generation could not start".to_owned()),
                }
            })
            .clone()
    }
}

/// The access-token keys: the newest signs, every listed one verifies and is
/// published. Starts with one key; tests rotate and retire.
pub(crate) struct AccessKeys {
    first: PendingKey,
    /// Keys added by rotation, newest last.
    rotated: RwLock<Vec<Arc<RsaKey>>>,
    /// Kids no longer listed (retired).
    retired: RwLock<Vec<String>>,
}

impl AccessKeys {
    pub fn new() -> Self {
        Self {
            first: PendingKey::spawn(new_kid()),
            rotated: RwLock::new(Vec::new()),
            retired: RwLock::new(Vec::new()),
        }
    }

    /// The keys in use, oldest first.
    pub fn all(&self) -> Result<Vec<Arc<RsaKey>>, String> {
        let retired = self.retired.read().unwrap_or_else(PoisonError::into_inner);
        let mut keys = vec![self.first.get()?];
        keys.extend(
            self.rotated
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned(),
        );
        keys.retain(|k| !retired.contains(&k.kid));
        Ok(keys)
    }

    fn signing(&self) -> Result<Arc<RsaKey>, String> {
        self.all()?
            .pop()
            .ok_or_else(|| "every signing key was retired".to_owned())
    }

    pub fn issue(&self, claims: &Claims) -> Result<String, String> {
        self.signing()?.sign(claims).map_err(|e| e.to_string())
    }

    /// Adds a new signing key; returns its kid. Older keys keep verifying until retired.
    pub fn rotate(&self) -> Result<String, String> {
        let key = Arc::new(RsaKey::generate(new_kid())?);
        let kid = key.kid.clone();
        self.rotated
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(key);
        Ok(kid)
    }

    /// Removes every key but the newest; returns how many were removed.
    pub fn retire_old(&self) -> Result<usize, String> {
        let keys = self.all()?;
        let old: Vec<String> = keys
            .iter()
            .take(keys.len().saturating_sub(1))
            .map(|k| k.kid.clone())
            .collect();
        let n = old.len();
        self.retired
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(old);
        Ok(n)
    }

    /// The JWKS document of `GET /auth/v1/certs`.
    pub fn jwks(&self) -> Result<serde_json::Value, String> {
        let keys: Vec<serde_json::Value> = self.all()?.iter().map(|k| k.jwk.clone()).collect();
        Ok(serde_json::json!({ "keys": keys }))
    }

    /// Verifies the signature with the key the header's `kid` names, then expiry
    /// against the emulator's own clock (which tests may shift).
    pub fn verify(&self, token: &str, now: u64) -> Result<Claims, TokenError> {
        let kid = jsonwebtoken::decode_header(token)
            .ok()
            .and_then(|h| h.kid)
            .ok_or(TokenError::Invalid)?;
        let keys = self.all().map_err(|_| TokenError::Invalid)?;
        let key = keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(TokenError::Invalid)?;
        let claims: Claims = key.verify(token).ok_or(TokenError::Invalid)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

fn new_kid() -> String {
    format!("emulator-{}", crate::ids::random_hex(8))
}

/// HS256 tokens only the emulator itself checks (the fake provider's ID tokens).
pub(crate) struct HmacKey {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl HmacKey {
    pub fn new(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    pub fn issue_value(
        &self,
        claims: &serde_json::Value,
    ) -> Result<String, jsonwebtoken::errors::Error> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
    }

    /// The claims of a token this key signed; expiry is the caller's to check.
    pub fn verify_value(&self, token: &str) -> Option<serde_json::Value> {
        let mut v = Validation::new(Algorithm::HS256);
        v.validate_exp = false;
        v.validate_aud = false;
        v.required_spec_claims.clear();
        jsonwebtoken::decode::<serde_json::Value>(token, &self.decoding, &v)
            .ok()
            .map(|d| d.claims)
    }
}
