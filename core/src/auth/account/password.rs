//! Passwords: set with a sudo token, change from the old one, reset a forgotten one.

use std::time::SystemTime;

use http::Method;

use super::non_empty_password;
use super::sudo::{SudoProof, SudoToken, sudo_request, sudo_token};
use crate::auth::verification::{OtpHandle, VerificationToken, verified, verify_request};
use crate::auth::wire::{auth_json, auth_post, object, signed_in};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::{AuthEventKind, Credentials};

pub(super) fn set_password_request(
    sudo: &SudoToken,
    new_password: &Secret,
) -> Result<RequestSpec, BuildError> {
    non_empty_password("new password", new_password)?;
    let map = object([
        ("new_password", Some(new_password.expose().into())),
        ("sudo_token", Some(sudo.token.expose().into())),
    ]);
    auth_json(Method::PATCH, "user/password", Access::User, map)
}

/// Sets a new password with a [`SudoToken`]: `PATCH /auth/v1/user/password`
/// `{new_password, sudo_token}`.
#[derive(Clone, Debug)]
#[must_use]
pub struct SetPassword {
    sudo: SudoToken,
    new_password: Secret,
}

impl SetPassword {
    /// Sets `new_password`.
    pub fn new(sudo: &SudoToken, new_password: impl Into<Secret>) -> Self {
        Self {
            sudo: sudo.clone(),
            new_password: new_password.into(),
        }
    }
}

impl OneShot for SetPassword {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(set_password_request(&self.sudo, &self.new_password)?)
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// The JS SDK's `resetPasswordForOld`: `POST /user/sudo {password: old}`, then
/// `PATCH /user/password {new_password, sudo_token}`.
#[derive(Clone, Debug)]
#[must_use]
pub struct ChangePassword {
    old: Secret,
    new: Secret,
    sudo: Option<SudoToken>,
}

impl ChangePassword {
    /// From `old` to `new`.
    pub fn new(old: impl Into<Secret>, new: impl Into<Secret>) -> Self {
        Self {
            old: old.into(),
            new: new.into(),
            sudo: None,
        }
    }
}

impl Operation for ChangePassword {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match &self.sudo {
            None => {
                non_empty_password("new password", &self.new)?;
                Ok(sudo_request(&SudoProof::Password(self.old.clone()))?)
            }
            Some(sudo) => Ok(set_password_request(sudo, &self.new)?),
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<()>, Error> {
        if self.sudo.is_some() {
            return Ok(Progress::Done(()));
        }
        self.sudo = Some(sudo_token(&response, cx.now)?);
        Ok(Progress::Next)
    }
}

fn reset_request(
    verification: &VerificationToken,
    new_password: &Secret,
    now: SystemTime,
) -> Result<RequestSpec, BuildError> {
    if now >= verification.expires_at {
        return Err(BuildError::VerificationExpired);
    }
    non_empty_password("new password", new_password)?;
    let c = &verification.contact;
    // The JS SDK sends the phone unformatted here (a defect); it is sent `+CC NNNN`,
    // as everywhere else.
    let map = object([
        (c.field(), Some(c.as_str().into())),
        ("new_password", Some(new_password.expose().into())),
        (
            "verification_token",
            Some(verification.token.expose().into()),
        ),
    ]);
    auth_post("reset", Access::ClientId, map)
}

/// Resets a forgotten password with a verified contact: `POST /auth/v1/reset`
/// `{email | phone_number, new_password, verification_token}` (the JS SDK's
/// `resetPassword`). Emits `PASSWORD_RECOVERY`.
#[derive(Clone, Debug)]
#[must_use]
pub struct ResetPassword {
    verification: VerificationToken,
    new_password: Secret,
}

impl ResetPassword {
    /// Sets `new_password` for the user `verification` proves.
    pub fn new(verification: VerificationToken, new_password: impl Into<Secret>) -> Self {
        Self {
            verification,
            new_password: new_password.into(),
        }
    }
}

impl OneShot for ResetPassword {
    type Output = ();

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        Ok(reset_request(
            &self.verification,
            &self.new_password,
            cx.now,
        )?)
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.emit(AuthEventKind::PasswordRecovery);
        Ok(())
    }
}

/// Completes the JS SDK's `resetPasswordForEmail` after the code arrived (a handle
/// from [`SendVerification::for_recovery`](crate::auth::SendVerification::for_recovery)): verify the code, `POST /reset`
/// (`PASSWORD_RECOVERY`), then sign in with the new password (`SIGNED_IN`).
#[derive(Clone, Debug)]
#[must_use]
pub struct CompletePasswordReset {
    handle: OtpHandle,
    code: Secret,
    new_password: Secret,
    stage: ResetStage,
}

/// Where a password reset is.
#[derive(Clone, Debug)]
enum ResetStage {
    Verify,
    Reset(VerificationToken),
    SignIn,
}

impl CompletePasswordReset {
    /// Resets to `new_password` with the code sent for `handle`.
    pub fn new(
        handle: &OtpHandle,
        code: impl Into<Secret>,
        new_password: impl Into<Secret>,
    ) -> Self {
        Self {
            handle: handle.clone(),
            code: code.into(),
            new_password: new_password.into(),
            stage: ResetStage::Verify,
        }
    }
}

impl Operation for CompletePasswordReset {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match &self.stage {
            ResetStage::Verify => {
                non_empty_password("new password", &self.new_password)?;
                Ok(verify_request(&self.handle, &self.code, cx.now)?)
            }
            ResetStage::Reset(v) => Ok(reset_request(v, &self.new_password, cx.now)?),
            ResetStage::SignIn => {
                let map = object([
                    ("username", Some(self.handle.contact.as_str().into())),
                    ("password", Some(self.new_password.expose().into())),
                ]);
                Ok(auth_post("signin", Access::ClientId, map)?)
            }
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Credentials>, Error> {
        match self.stage {
            ResetStage::Verify => {
                let v = verified(&self.handle, &self.code, &response, cx.now)?;
                self.stage = ResetStage::Reset(v);
            }
            ResetStage::Reset(_) => {
                cx.session.emit(AuthEventKind::PasswordRecovery);
                self.stage = ResetStage::SignIn;
            }
            ResetStage::SignIn => return signed_in(&response, cx).map(Progress::Done),
        }
        Ok(Progress::Next)
    }
}
