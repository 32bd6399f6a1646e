//! Sudo: a short-lived proof of identity for sensitive calls (`/user/sudo`), and the
//! reauthentication flow that earns one with a code.

use std::time::SystemTime;

use serde::Deserialize;

use super::get_me;
use super::non_empty_password;
use super::password::set_password_request;
use crate::auth::contact::Contact;
use crate::auth::session_ops::User;
use crate::auth::verification::{
    OtpHandle, SendVerification, VerificationToken, otp_handle, verified, verify_request,
};
use crate::auth::wire::{auth_post, json, object};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;

/// A short-lived proof that the user just confirmed who they are
/// (`POST /auth/v1/user/sudo`), needed for password changes, contact rebinding and
/// account deletion.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SudoToken {
    /// The token.
    pub token: Secret,
    /// When it stops working, if the server said.
    pub expires_at: Option<SystemTime>,
}

#[derive(Deserialize)]
struct SudoAnswer {
    sudo_token: Secret,
    #[serde(default)]
    expires_in: Option<u64>,
}

pub(super) fn sudo_token(response: &HttpResponse, now: SystemTime) -> Result<SudoToken, Error> {
    let a: SudoAnswer = json(response)?;
    Ok(SudoToken {
        token: a.sudo_token,
        expires_at: a
            .expires_in
            .map(|s| crate::expiry::expires_after(now, s, "expires_in"))
            .transpose()?,
    })
}

#[derive(Clone, Debug)]
pub(super) enum SudoProof {
    Password(Secret),
    Verification(Secret),
}

pub(super) fn sudo_request(proof: &SudoProof) -> Result<RequestSpec, BuildError> {
    let map = match proof {
        SudoProof::Password(p) => {
            non_empty_password("password", p)?;
            object([("password", Some(p.expose().into()))])
        }
        SudoProof::Verification(t) => object([("verification_token", Some(t.expose().into()))]),
    };
    auth_post("user/sudo", Access::User, map)
}

/// Gets a [`SudoToken`]: `POST /auth/v1/user/sudo` with `{password}` or
/// `{verification_token}` (users with a bound phone must use a code).
///
/// ```
/// use cloudbase_core::auth::Sudo;
/// let op = Sudo::with_password("current password");
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Sudo {
    proof: SudoProof,
}

impl Sudo {
    /// Proves identity with the current password.
    pub fn with_password(password: impl Into<Secret>) -> Self {
        Self {
            proof: SudoProof::Password(password.into()),
        }
    }

    /// Proves identity with a fresh verification of the user's contact.
    pub fn with_verification(token: &VerificationToken) -> Self {
        Self {
            proof: SudoProof::Verification(token.token.clone()),
        }
    }
}

impl OneShot for Sudo {
    type Output = SudoToken;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(sudo_request(&self.proof)?)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<SudoToken, Error> {
        sudo_token(&response, cx.now)
    }
}

/// The first half of the JS SDK's `reauthenticate`: reads the profile
/// (`GET /user/me`), then sends a code to the user's email (usage
/// `reauthentication`) or phone. Finish with [`CompleteReauthentication`].
#[derive(Clone, Debug)]
#[must_use]
pub struct Reauthenticate {
    stage: ReauthStage,
}

/// Where a reauthentication is: reading the profile, or sending a code to the
/// contact found there.
#[derive(Clone, Debug)]
enum ReauthStage {
    ReadProfile,
    SendCode(Contact),
}

impl Default for Reauthenticate {
    fn default() -> Self {
        Self::new()
    }
}

impl Reauthenticate {
    /// Starts a reauthentication.
    pub fn new() -> Self {
        Self {
            stage: ReauthStage::ReadProfile,
        }
    }
}

impl Operation for Reauthenticate {
    type Output = OtpHandle;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match &self.stage {
            ReauthStage::ReadProfile => Ok(get_me()),
            ReauthStage::SendCode(c) => Ok(SendVerification::for_contact_change(c.clone()).spec()?),
        }
    }

    fn is_idempotent(&self) -> bool {
        matches!(self.stage, ReauthStage::ReadProfile)
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<OtpHandle>, Error> {
        match &self.stage {
            ReauthStage::ReadProfile => {
                self.stage = ReauthStage::SendCode(contact_of(&response)?);
                Ok(Progress::Next)
            }
            ReauthStage::SendCode(c) => otp_handle(c, &response, cx.now).map(Progress::Done),
        }
    }
}

/// The contact a code for reauthentication goes to: the profile's email, else phone.
fn contact_of(response: &HttpResponse) -> Result<Contact, Error> {
    let user: User = json(response)?;
    match (user.email.as_deref(), user.phone_number.as_deref()) {
        (Some(e), _) if !e.is_empty() => Ok(Contact::parse(e)?),
        (_, Some(p)) if !p.is_empty() => Ok(Contact::parse(p)?),
        _ => Err(BuildError::InvalidInput {
            field: "user",
            reason: "the user has no email address or phone number to send a code to".into(),
        }
        .into()),
    }
}

/// Finishes a reauthentication: verify the code, `POST /user/sudo
/// {verification_token}`, and with a new password also `PATCH /user/password`.
/// Returns the sudo token for further sensitive calls.
///
/// The JS SDK, without a password, signs in with an empty `username` (a defect that
/// cannot succeed); this SDK returns the sudo token instead.
#[derive(Clone, Debug)]
#[must_use]
pub struct CompleteReauthentication {
    handle: OtpHandle,
    code: Secret,
    new_password: Option<Secret>,
    stage: CompleteReauthStage,
}

/// Where a finishing reauthentication is.
#[derive(Clone, Debug)]
enum CompleteReauthStage {
    Verify,
    Sudo(VerificationToken),
    SetPassword(SudoToken),
}

impl CompleteReauthentication {
    /// With the code sent for `handle`; `new_password` also changes the password.
    pub fn new(handle: &OtpHandle, code: impl Into<Secret>, new_password: Option<Secret>) -> Self {
        Self {
            handle: handle.clone(),
            code: code.into(),
            new_password,
            stage: CompleteReauthStage::Verify,
        }
    }
}

impl Operation for CompleteReauthentication {
    type Output = SudoToken;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match (&self.stage, &self.new_password) {
            (CompleteReauthStage::Sudo(v), _) => {
                Ok(sudo_request(&SudoProof::Verification(v.token.clone()))?)
            }
            (CompleteReauthStage::SetPassword(sudo), Some(p)) => Ok(set_password_request(sudo, p)?),
            (CompleteReauthStage::SetPassword(_), None) => Err(BuildError::InvalidInput {
                field: "new password",
                reason: "missing".into(),
            }
            .into()),
            (CompleteReauthStage::Verify, _) => {
                if let Some(p) = &self.new_password {
                    non_empty_password("new password", p)?;
                }
                Ok(verify_request(&self.handle, &self.code, cx.now)?)
            }
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<SudoToken>, Error> {
        match &self.stage {
            CompleteReauthStage::Verify => {
                let v = verified(&self.handle, &self.code, &response, cx.now)?;
                self.stage = CompleteReauthStage::Sudo(v);
            }
            CompleteReauthStage::Sudo(_) => {
                let sudo = sudo_token(&response, cx.now)?;
                if self.new_password.is_none() {
                    return Ok(Progress::Done(sudo));
                }
                self.stage = CompleteReauthStage::SetPassword(sudo);
            }
            CompleteReauthStage::SetPassword(sudo) => return Ok(Progress::Done(sudo.clone())),
        }
        Ok(Progress::Next)
    }
}
