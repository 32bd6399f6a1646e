//! Image captcha (auth.md §5.3): the challenge, its answer, the cached captcha token,
//! and the solver hook the call driver uses when a call answers `captcha_required`.

use std::time::SystemTime;

use base64::Engine;
use serde::Deserialize;

use super::wire::{auth_post, json, object};
use crate::call::{Operation, RequestContext, ResponseContext};
use crate::error::{BuildError, Error};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;

/// A captcha to show the user: an image and the token that identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaptchaChallenge {
    /// Identifies the challenge to [`VerifyCaptchaData`].
    pub token: Secret,
    /// The image as a data URL (`data:image/gif;base64,…`).
    pub data_url: String,
    /// The kind the server said (`image`).
    pub kind: String,
    /// When the challenge stops being accepted.
    pub expires_at: SystemTime,
}

impl CaptchaChallenge {
    /// The image's media type and bytes, decoded from the data URL; `None` if the
    /// server sent something that is not a base64 data URL.
    pub fn image(&self) -> Option<(String, Vec<u8>)> {
        let rest = self.data_url.strip_prefix("data:")?;
        let (media, data) = rest.split_once(";base64,")?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()?;
        Some((media.to_owned(), bytes))
    }
}

/// A solved captcha: attached to the protected call's replay, and cached by the
/// client until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaptchaToken {
    /// The token.
    pub token: Secret,
    /// When to stop reusing it (10 s before the server's expiry, as the JS SDK).
    pub expires_at: SystemTime,
}

/// Answers captcha challenges for the client, so a protected call that meets
/// `captcha_required` is completed and replayed without the app's code seeing it.
///
/// Called outside the client's lock, on the calling thread (in the async client: on
/// the task, so a solver that blocks for long should hand the work elsewhere).
/// Return `None` to give the challenge to the caller as [`Error::Captcha`].
pub trait CaptchaSolver: Send + Sync {
    /// The text shown in the image, or `None` to give up.
    fn solve(&self, challenge: &CaptchaChallenge) -> Option<String>;
}

impl<F> CaptchaSolver for F
where
    F: Fn(&CaptchaChallenge) -> Option<String> + Send + Sync,
{
    fn solve(&self, challenge: &CaptchaChallenge) -> Option<String> {
        self(challenge)
    }
}

#[derive(Deserialize)]
struct ChallengeAnswer {
    token: Secret,
    data: String,
    #[serde(default, rename = "type")]
    kind: String,
    #[serde(default = "five_minutes")]
    expires_in: u64,
}

fn five_minutes() -> u64 {
    300
}

/// Gets a captcha image: `POST /auth/v1/captcha/data {state, redirect_uri: ""}` (the
/// JS SDK's `createCaptchaData`). `state` names what the captcha is for; the driver
/// uses `"<METHOD>:<path>"` of the protected call, as the JS SDK.
///
/// ```
/// use cloudbase_core::auth::CreateCaptchaData;
/// let op = CreateCaptchaData::new("POST:/v1/signin");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct CreateCaptchaData {
    state: String,
}

impl CreateCaptchaData {
    /// A challenge for `state`.
    pub fn new(state: impl Into<String>) -> Self {
        Self {
            state: state.into(),
        }
    }
}

impl Operation for CreateCaptchaData {
    type Output = CaptchaChallenge;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        let map = object([
            ("state", Some(self.state.as_str().into())),
            ("redirect_uri", Some("".into())),
        ]);
        auth_post("captcha/data", Access::ClientId, map)
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<CaptchaChallenge, Error> {
        let a: ChallengeAnswer = json(&response)?;
        Ok(CaptchaChallenge {
            token: a.token,
            data_url: a.data,
            kind: a.kind,
            expires_at: crate::expiry::expires_after(cx.now, a.expires_in, "expires_in")?,
        })
    }
}

#[derive(Deserialize)]
struct VerifiedAnswer {
    captcha_token: Secret,
    #[serde(default = "five_minutes")]
    expires_in: u64,
}

/// Answers a challenge: `POST /auth/v1/captcha/data/verify {token, key}` → a
/// [`CaptchaToken`], which the client caches for later protected calls (the JS SDK's
/// `verifyCaptchaData`). A wrong answer is the server's error; get a new challenge.
#[derive(Clone, Debug)]
#[must_use]
pub struct VerifyCaptchaData {
    token: Secret,
    key: Secret,
}

impl VerifyCaptchaData {
    /// `key` is the text the user read in the image of `challenge`.
    pub fn new(challenge: &CaptchaChallenge, key: impl Into<Secret>) -> Self {
        Self {
            token: challenge.token.clone(),
            key: key.into(),
        }
    }
}

impl Operation for VerifyCaptchaData {
    type Output = CaptchaToken;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        let key = self.key.expose().trim();
        if key.is_empty() || key.chars().count() > 16 {
            return Err(BuildError::InvalidInput {
                field: "captcha answer",
                reason: "give the characters shown in the image".into(),
            });
        }
        let map = object([
            ("token", Some(self.token.expose().into())),
            ("key", Some(key.into())),
        ]);
        auth_post("captcha/data/verify", Access::ClientId, map)
    }

    fn captcha_protected(&self) -> bool {
        false
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<CaptchaToken, Error> {
        let a: VerifiedAnswer = json(&response)?;
        let token = CaptchaToken {
            token: a.captcha_token,
            expires_at: crate::expiry::expires_after(
                cx.now,
                a.expires_in.saturating_sub(10),
                "expires_in",
            )?,
        };
        cx.session.cache_captcha(token.clone());
        Ok(token)
    }
}
