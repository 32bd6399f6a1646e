//! What a captcha exchange carries: the challenge shown to the user, the token a
//! solved one earns, the cache that keeps that token, and the solver hook the call
//! driver asks when a call answers `captcha_required`.

use std::time::SystemTime;

use base64::Engine;

use crate::secret::Secret;

/// A captcha to show the user: an image and the token that identifies it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaptchaChallenge {
    /// Identifies the challenge to [`VerifyCaptchaData`](crate::auth::VerifyCaptchaData).
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
/// Return `None` to give the challenge to the caller as [`Error::Captcha`](crate::Error::Captcha).
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

/// The last solved captcha of a client, reused until it expires (memory only).
#[derive(Clone, Debug, Default)]
pub struct CaptchaCache {
    token: Option<CaptchaToken>,
}

impl CaptchaCache {
    /// Keeps a solved captcha for later protected calls.
    pub fn store(&mut self, token: CaptchaToken) {
        self.token = Some(token);
    }

    /// The cached token, if it has not expired at `now`.
    pub fn get(&self, now: SystemTime) -> Option<&CaptchaToken> {
        self.token.as_ref().filter(|t| now < t.expires_at)
    }

    /// Forgets the cached token.
    pub fn clear(&mut self) {
        self.token = None;
    }
}
