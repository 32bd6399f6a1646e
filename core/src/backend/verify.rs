//! Checking a user's access token: RS256 signature against the key its `kid` names,
//! then `exp`/`nbf`/`iat` against a given time with leeway, then `iss`/`aud`/
//! `project_id` against the environment.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::KeySet;
use crate::config::VerificationOptions;
use crate::error::TokenError;

/// Larger than any access token the service issues (≤ 4096 chars, auth.md §2).
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// The claims of a verified access token.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VerifiedClaims {
    /// The user id (`sub`).
    pub sub: String,
    /// The scopes (`scope`, space-separated in the token): `anonymous`, `user`, …
    pub scope: Vec<String>,
    /// The user's groups.
    pub groups: Vec<String>,
    /// Whether the user is anonymous (scope `anonymous`).
    pub anonymous: bool,
    /// The sign-in provider, where the token names one.
    pub provider: Option<String>,
    /// The email, where present.
    pub email: Option<String>,
    /// The phone number, where present.
    pub phone_number: Option<String>,
    /// `iss`, where present.
    pub issuer: Option<String>,
    /// When the token expires.
    pub expires_at: SystemTime,
    /// When it was issued, where present.
    pub issued_at: Option<SystemTime>,
    /// The key that signed it.
    pub key_id: String,
    /// Every claim, as sent.
    pub raw: serde_json::Map<String, serde_json::Value>,
}

/// Who the token must be for.
#[derive(Clone, Copy, Debug)]
pub struct Audience<'a> {
    /// The environment id.
    pub env_id: &'a str,
    /// The OAuth client id (by default the environment id).
    pub client_id: &'a str,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

fn b64_json<T: serde::de::DeserializeOwned>(part: &str, what: &str) -> Result<T, TokenError> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| TokenError::Malformed(format!("{what}: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| TokenError::Malformed(format!("{what}: {e}")))
}

/// The `kid` a token's header names, refusing every algorithm but RS256 before any
/// key is looked at.
pub fn key_id(token: &str) -> Result<String, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed("longer than 16 KiB".into()));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed(
            "not three dot-separated parts".into(),
        ));
    };
    let header: Header = b64_json(header, "header")?;
    if header.alg != "RS256" {
        return Err(TokenError::Algorithm(header.alg));
    }
    header
        .kid
        .filter(|k| !k.is_empty())
        .ok_or(TokenError::MissingKeyId)
}

fn seconds(value: &serde_json::Value, claim: &str) -> Result<Option<u64>, TokenError> {
    match value {
        serde_json::Value::Null => Ok(None),
        serde_json::Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.is_finite())
                    .map(|f| f as u64)
            })
            .map(Some)
            .ok_or_else(|| TokenError::Malformed(format!("{claim} is not a time"))),
        _ => Err(TokenError::Malformed(format!("{claim} is not a number"))),
    }
}

fn at(secs: u64) -> Result<SystemTime, TokenError> {
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_secs(secs))
        .ok_or_else(|| TokenError::Malformed("a time beyond the clock".into()))
}

fn text(claims: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<String> {
    claims
        .get(name)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Verifies `token` with `keys` at time `now`. Pure: no request, no clock.
pub fn verify_token(
    token: &str,
    keys: &KeySet,
    audience: Audience<'_>,
    options: &VerificationOptions,
    now: SystemTime,
) -> Result<VerifiedClaims, TokenError> {
    let kid = key_id(token)?;
    let key = keys
        .get(&kid)
        .ok_or_else(|| TokenError::UnknownKey(kid.clone()))?;
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    // Time and audience are checked below against the given time, not the library's
    // clock.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let data = jsonwebtoken::decode::<serde_json::Map<String, serde_json::Value>>(
        token,
        &key.key,
        &validation,
    )
    .map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::InvalidSignature => TokenError::Signature,
        jsonwebtoken::errors::ErrorKind::InvalidAlgorithm => TokenError::Algorithm("?".into()),
        _ => TokenError::Malformed(e.to_string()),
    })?;
    let claims = data.claims;
    let null = serde_json::Value::Null;
    let claim = |name: &str| claims.get(name).unwrap_or(&null);
    let leeway = options.leeway;
    let exp =
        seconds(claim("exp"), "exp")?.ok_or_else(|| TokenError::Malformed("no exp".into()))?;
    let expires_at = at(exp)?;
    if expires_at.checked_add(leeway).is_some_and(|t| now >= t) {
        return Err(TokenError::Expired);
    }
    let ahead = |t: SystemTime| now.checked_add(leeway).is_some_and(|n| t > n);
    if let Some(nbf) = seconds(claim("nbf"), "nbf")?
        && ahead(at(nbf)?)
    {
        return Err(TokenError::NotYetValid);
    }
    let issued_at = seconds(claim("iat"), "iat")?.map(at).transpose()?;
    if issued_at.is_some_and(ahead) {
        return Err(TokenError::IssuedInFuture);
    }
    check_environment(&claims, audience, options)?;
    let sub = text(&claims, "sub").ok_or_else(|| TokenError::Malformed("no sub".into()))?;
    let scope: Vec<String> = text(&claims, "scope")
        .map(|s| s.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let groups = match claim("groups") {
        serde_json::Value::Array(items) => items
            .iter()
            .filter_map(|g| g.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    Ok(VerifiedClaims {
        anonymous: scope.iter().any(|s| s == "anonymous"),
        provider: text(&claims, "provider").or_else(|| text(&claims, "provider_type")),
        email: text(&claims, "email"),
        phone_number: text(&claims, "phone_number"),
        issuer: text(&claims, "iss"),
        sub,
        scope,
        groups,
        expires_at,
        issued_at,
        key_id: kid,
        raw: claims,
    })
}

/// `iss`, `aud` and `project_id`, where the token carries them.
fn check_environment(
    claims: &serde_json::Map<String, serde_json::Value>,
    audience: Audience<'_>,
    options: &VerificationOptions,
) -> Result<(), TokenError> {
    let wrong = |claim: &'static str, found: &str| TokenError::WrongEnvironment {
        claim,
        found: found.to_owned(),
    };
    if let Some(project) = text(claims, "project_id")
        && project != audience.env_id
    {
        return Err(wrong("project_id", &project));
    }
    let auds: Vec<String> = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let aud_ok = |a: &String| match &options.audience {
        Some(required) => a == required,
        None => a == audience.client_id || a == audience.env_id,
    };
    if (!auds.is_empty() || options.audience.is_some()) && !auds.iter().any(aud_ok) {
        return Err(wrong("aud", &auds.join(",")));
    }
    let iss = text(claims, "iss");
    match (&options.issuer, &iss) {
        (Some(required), found) if found.as_ref() != Some(required) => {
            return Err(wrong("iss", found.as_deref().unwrap_or("")));
        }
        (None, Some(found)) => {
            let host = url::Url::parse(found)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            if !host.starts_with(&format!("{}.", audience.env_id)) {
                return Err(wrong("iss", found));
            }
        }
        _ => {}
    }
    Ok(())
}
