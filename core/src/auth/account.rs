//! The signed-in user's account (auth.md §5.4, §6): profile edits, contact changes,
//! sudo, passwords, deletion, password recovery, reauthentication and user queries.
//!
//! Flows of several requests are one operation each (e.g. [`DeleteUser`] = sudo, then
//! delete) and keep their progress inside the operation, never in hidden globals.

use std::sync::Mutex;
use std::time::SystemTime;

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::contact::Contact;
use super::session_ops::User;
use super::verification::{
    OtpHandle, SendVerification, VerificationToken, otp_handle, verified, verify_request,
};
use super::wire::{
    FirstStep, auth_get, auth_json, auth_post, json, object, required, signed_in, step,
};
use crate::call::{Operation, Progress, RequestContext, ResponseContext};
use crate::error::{BuildError, Error};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::{AuthEventKind, Credentials};

fn non_empty_password(field: &'static str, password: &Secret) -> Result<(), BuildError> {
    if password.is_empty() {
        Err(BuildError::InvalidInput {
            field,
            reason: "empty".into(),
        })
    } else {
        Ok(())
    }
}

fn get_me() -> RequestSpec {
    auth_get(Method::GET, "user/me", Access::User)
}

/// Gender, as `/user/basic/edit` spells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gender {
    /// `MALE`.
    Male,
    /// `FEMALE`.
    Female,
}

/// Plain profile fields for [`UpdateUser`] (`POST /auth/v1/user/basic/edit`).
/// Email and phone changes need a code: see [`ConfirmContactChange`].
///
/// ```
/// use cloudbase_core::auth::{Gender, UserUpdate};
/// let update = UserUpdate::new().nickname("Ada").gender(Gender::Female);
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct UserUpdate {
    fields: Map<String, Value>,
}

impl UserUpdate {
    /// No change yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn set(mut self, key: &str, value: impl Into<String>) -> Self {
        self.fields.insert(key.into(), Value::String(value.into()));
        self
    }

    /// The display name (`nickname`; shown as `name` in the profile).
    pub fn nickname(self, nickname: impl Into<String>) -> Self {
        self.set("nickname", nickname)
    }

    /// The login name.
    pub fn username(self, username: impl Into<String>) -> Self {
        self.set("username", username)
    }

    /// A free-text description.
    pub fn description(self, description: impl Into<String>) -> Self {
        self.set("description", description)
    }

    /// The avatar URL (`avatar_url`; shown as `picture`).
    pub fn avatar_url(self, url: impl Into<String>) -> Self {
        self.set("avatar_url", url)
    }

    /// The gender.
    pub fn gender(self, gender: Gender) -> Self {
        let g = match gender {
            Gender::Male => "MALE",
            Gender::Female => "FEMALE",
        };
        self.set("gender", g)
    }

    /// Whether nothing would change.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// The JS SDK's `updateUser` for plain fields: `POST /auth/v1/user/basic/edit`, then
/// `GET /auth/v1/user/me`; emits `USER_UPDATED` and returns the new profile. An
/// empty update is refused locally.
///
/// ```
/// use cloudbase_core::auth::{UpdateUser, UserUpdate};
/// let op = UpdateUser::new(UserUpdate::new().description("likes engines"));
/// ```
#[derive(Debug)]
#[must_use]
pub struct UpdateUser {
    update: UserUpdate,
    edited: FirstStep<()>,
}

impl UpdateUser {
    /// Applies `update`.
    pub fn new(update: UserUpdate) -> Self {
        Self {
            update,
            edited: FirstStep::new(),
        }
    }
}

impl Operation for UpdateUser {
    type Output = User;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        if self.edited.get().is_some() {
            return Ok(get_me());
        }
        if self.update.is_empty() {
            return Err(BuildError::InvalidInput {
                field: "user update",
                reason: "no field to change".into(),
            });
        }
        auth_post("user/basic/edit", Access::User, self.update.fields.clone())
    }

    /// Setting the same fields twice has the same effect.
    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(&self, response: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<User, Error> {
        let user = json(&response)?;
        cx.session.emit(AuthEventKind::UserUpdated);
        Ok(user)
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<User>, Error> {
        self.edited
            .parse_step(response, cx, |_, _| Ok(()), |r, cx| self.parse(r, cx))
    }
}

/// Confirms an email or phone change started with
/// [`SendVerification::for_contact_change`]: verifies the code, writes the new
/// contact with `POST /auth/v1/user/basic/edit {email | phone}`, reads the profile
/// back and emits `USER_UPDATED` (the JS SDK's `updateUser({email | phone})` →
/// `verifyOtp`). As there, the verification token is not sent to `basic/edit`.
#[derive(Debug)]
#[must_use]
pub struct ConfirmContactChange {
    handle: OtpHandle,
    code: Secret,
    stage: Mutex<u8>,
}

impl ConfirmContactChange {
    /// The code the user received for `handle`.
    pub fn new(handle: &OtpHandle, code: impl Into<Secret>) -> Self {
        Self {
            handle: handle.clone(),
            code: code.into(),
            stage: Mutex::new(0),
        }
    }
}

impl Operation for ConfirmContactChange {
    type Output = User;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match *step(&self.stage) {
            0 => verify_request(&self.handle, &self.code, cx.now),
            1 => {
                let field = match &self.handle.contact {
                    Contact::Email(_) => "email",
                    Contact::Phone(_) => "phone",
                };
                let map = object([(field, Some(self.handle.contact.as_str().into()))]);
                auth_post("user/basic/edit", Access::User, map)
            }
            _ => Ok(get_me()),
        }
    }

    fn parse(&self, response: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<User, Error> {
        let user = json(&response)?;
        cx.session.emit(AuthEventKind::UserUpdated);
        Ok(user)
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<User>, Error> {
        let mut stage = step(&self.stage);
        match *stage {
            0 => {
                verified(&self.handle, &self.code, &response, cx.now)?;
            }
            1 => {}
            _ => {
                drop(stage);
                return self.parse(response, cx).map(Progress::Done);
            }
        }
        *stage += 1;
        Ok(Progress::Next)
    }
}

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

fn sudo_token(response: &HttpResponse, now: SystemTime) -> Result<SudoToken, Error> {
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
enum SudoProof {
    Password(Secret),
    Verification(Secret),
}

fn sudo_request(proof: &SudoProof) -> Result<RequestSpec, BuildError> {
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

impl Operation for Sudo {
    type Output = SudoToken;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        sudo_request(&self.proof)
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<SudoToken, Error> {
        sudo_token(&response, cx.now)
    }
}

fn set_password_request(
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

impl Operation for SetPassword {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        set_password_request(&self.sudo, &self.new_password)
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<(), Error> {
        Ok(())
    }
}

/// The JS SDK's `resetPasswordForOld`: `POST /user/sudo {password: old}`, then
/// `PATCH /user/password {new_password, sudo_token}`.
#[derive(Debug)]
#[must_use]
pub struct ChangePassword {
    old: Secret,
    new: Secret,
    sudo: FirstStep<SudoToken>,
}

impl ChangePassword {
    /// From `old` to `new`.
    pub fn new(old: impl Into<Secret>, new: impl Into<Secret>) -> Self {
        Self {
            old: old.into(),
            new: new.into(),
            sudo: FirstStep::new(),
        }
    }
}

impl Operation for ChangePassword {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match &self.sudo.get() {
            None => {
                non_empty_password("new password", &self.new)?;
                sudo_request(&SudoProof::Password(self.old.clone()))
            }
            Some(sudo) => set_password_request(sudo, &self.new),
        }
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<(), Error> {
        Ok(())
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<()>, Error> {
        self.sudo
            .parse_step(response, cx, |r, cx| sudo_token(r, cx.now), |_, _| Ok(()))
    }
}

fn delete_me_request(sudo: &SudoToken) -> RequestSpec {
    auth_get(Method::DELETE, "user/me", Access::User).query("sudo_token", sudo.token.expose())
}

/// Deletes the signed-in user with a [`SudoToken`]: `DELETE /auth/v1/user/me?sudo_token=`
/// (the JS SDK's `deleteMe`). The session is then over: credentials cleared,
/// `SIGNED_OUT` (the JS SDK leaves the dead session stored; this SDK does not).
#[derive(Clone, Debug)]
#[must_use]
pub struct DeleteMe {
    sudo: SudoToken,
}

impl DeleteMe {
    /// Deletes the user.
    pub fn new(sudo: &SudoToken) -> Self {
        Self { sudo: sudo.clone() }
    }
}

impl Operation for DeleteMe {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        Ok(delete_me_request(&self.sudo))
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.sign_out();
        Ok(())
    }
}

/// The JS SDK's `deleteUser({password})`: sudo with the password, then
/// `DELETE /user/me?sudo_token=`; the session ends (`SIGNED_OUT`).
#[derive(Debug)]
#[must_use]
pub struct DeleteUser {
    password: Secret,
    sudo: FirstStep<SudoToken>,
}

impl DeleteUser {
    /// Confirms with the current password.
    pub fn new(password: impl Into<Secret>) -> Self {
        Self {
            password: password.into(),
            sudo: FirstStep::new(),
        }
    }
}

impl Operation for DeleteUser {
    type Output = ();

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match &self.sudo.get() {
            None => sudo_request(&SudoProof::Password(self.password.clone())),
            Some(sudo) => Ok(delete_me_request(sudo)),
        }
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.sign_out();
        Ok(())
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<()>, Error> {
        self.sudo.parse_step(
            response,
            cx,
            |r, cx| sudo_token(r, cx.now),
            |r, cx| self.parse(r, cx),
        )
    }
}

/// How to resolve a contact already bound to another account
/// (`conflict_resolution` of `PATCH /user/contact`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConflictResolution {
    /// `DEFAULT`: refuse.
    Default,
    /// `DELETE_ACCOUNT_TRANSFER`.
    DeleteAccountTransfer,
    /// `TRANSFER`.
    Transfer,
}

/// Binds a verified email or phone to the signed-in user: `PATCH /auth/v1/user/contact`
/// `{email | phone_number, sudo_token, verification_token, conflict_resolution?}` (the
/// JS SDK's `bindEmail` / `bindPhoneNumber`). Emits `USER_UPDATED`.
#[derive(Clone, Debug)]
#[must_use]
pub struct BindContact {
    verification: VerificationToken,
    sudo: SudoToken,
    conflict: Option<ConflictResolution>,
}

impl BindContact {
    /// Binds the contact `verification` proves.
    pub fn new(verification: VerificationToken, sudo: &SudoToken) -> Self {
        Self {
            verification,
            sudo: sudo.clone(),
            conflict: None,
        }
    }

    /// What to do when another account has the contact.
    pub fn conflict_resolution(mut self, resolution: ConflictResolution) -> Self {
        self.conflict = Some(resolution);
        self
    }
}

impl Operation for BindContact {
    type Output = ();

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        if cx.now >= self.verification.expires_at {
            return Err(BuildError::VerificationExpired);
        }
        let c = &self.verification.contact;
        let conflict = self.conflict.map(|r| {
            Value::from(match r {
                ConflictResolution::Default => "DEFAULT",
                ConflictResolution::DeleteAccountTransfer => "DELETE_ACCOUNT_TRANSFER",
                ConflictResolution::Transfer => "TRANSFER",
            })
        });
        let map = object([
            (c.field(), Some(c.as_str().into())),
            ("sudo_token", Some(self.sudo.token.expose().into())),
            (
                "verification_token",
                Some(self.verification.token.expose().into()),
            ),
            ("conflict_resolution", conflict),
        ]);
        auth_json(Method::PATCH, "user/contact", Access::User, map)
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.emit(AuthEventKind::UserUpdated);
        Ok(())
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

impl Operation for ResetPassword {
    type Output = ();

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        reset_request(&self.verification, &self.new_password, cx.now)
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.emit(AuthEventKind::PasswordRecovery);
        Ok(())
    }
}

/// Completes the JS SDK's `resetPasswordForEmail` after the code arrived (a handle
/// from [`SendVerification::for_recovery`]): verify the code, `POST /reset`
/// (`PASSWORD_RECOVERY`), then sign in with the new password (`SIGNED_IN`).
#[derive(Debug)]
#[must_use]
pub struct CompletePasswordReset {
    handle: OtpHandle,
    code: Secret,
    new_password: Secret,
    stage: Mutex<(u8, Option<VerificationToken>)>,
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
            stage: Mutex::new((0, None)),
        }
    }
}

impl Operation for CompletePasswordReset {
    type Output = Credentials;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        let stage = step(&self.stage);
        match (&stage.0, &stage.1) {
            (1, Some(v)) => reset_request(v, &self.new_password, cx.now),
            (2, _) => {
                let map = object([
                    ("username", Some(self.handle.contact.as_str().into())),
                    ("password", Some(self.new_password.expose().into())),
                ]);
                auth_post("signin", Access::ClientId, map)
            }
            _ => {
                non_empty_password("new password", &self.new_password)?;
                verify_request(&self.handle, &self.code, cx.now)
            }
        }
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Credentials, Error> {
        signed_in(&response, cx)
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Credentials>, Error> {
        let mut stage = step(&self.stage);
        match stage.0 {
            0 => {
                stage.1 = Some(verified(&self.handle, &self.code, &response, cx.now)?);
            }
            1 => cx.session.emit(AuthEventKind::PasswordRecovery),
            _ => {
                drop(stage);
                return self.parse(response, cx).map(Progress::Done);
            }
        }
        stage.0 += 1;
        Ok(Progress::Next)
    }
}

/// The first half of the JS SDK's `reauthenticate`: reads the profile
/// (`GET /user/me`), then sends a code to the user's email (usage
/// `reauthentication`) or phone. Finish with [`CompleteReauthentication`].
#[derive(Debug)]
#[must_use]
pub struct Reauthenticate {
    contact: FirstStep<Contact>,
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
            contact: FirstStep::new(),
        }
    }
}

impl Operation for Reauthenticate {
    type Output = OtpHandle;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        match self.contact.get() {
            None => Ok(get_me()),
            Some(c) => SendVerification::for_contact_change(c).spec(),
        }
    }

    fn is_idempotent(&self) -> bool {
        self.contact.get().is_none()
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<OtpHandle, Error> {
        match &self.contact.get() {
            Some(c) => otp_handle(c, &response, cx.now),
            None => Err(BuildError::DriverMisuse("no contact").into()),
        }
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<OtpHandle>, Error> {
        self.contact.parse_step(
            response,
            cx,
            |r, _| contact_of(r),
            |r, cx| self.parse(r, cx),
        )
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
#[derive(Debug)]
#[must_use]
pub struct CompleteReauthentication {
    handle: OtpHandle,
    code: Secret,
    new_password: Option<Secret>,
    stage: Mutex<(u8, Option<VerificationToken>, Option<SudoToken>)>,
}

impl CompleteReauthentication {
    /// With the code sent for `handle`; `new_password` also changes the password.
    pub fn new(handle: &OtpHandle, code: impl Into<Secret>, new_password: Option<Secret>) -> Self {
        Self {
            handle: handle.clone(),
            code: code.into(),
            new_password,
            stage: Mutex::new((0, None, None)),
        }
    }
}

impl Operation for CompleteReauthentication {
    type Output = SudoToken;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        let stage = step(&self.stage);
        match (&stage.0, &stage.1, &stage.2, &self.new_password) {
            (1, Some(v), _, _) => sudo_request(&SudoProof::Verification(v.token.clone())),
            (2, _, Some(sudo), Some(p)) => set_password_request(sudo, p),
            _ => {
                if let Some(p) = &self.new_password {
                    non_empty_password("new password", p)?;
                }
                verify_request(&self.handle, &self.code, cx.now)
            }
        }
    }

    fn parse(&self, _: HttpResponse, _: &mut ResponseContext<'_>) -> Result<SudoToken, Error> {
        step(&self.stage)
            .2
            .clone()
            .ok_or_else(|| BuildError::DriverMisuse("no sudo token").into())
    }

    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<SudoToken>, Error> {
        let mut stage = step(&self.stage);
        match stage.0 {
            0 => stage.1 = Some(verified(&self.handle, &self.code, &response, cx.now)?),
            1 => {
                let sudo = sudo_token(&response, cx.now)?;
                if self.new_password.is_none() {
                    return Ok(Progress::Done(sudo));
                }
                stage.2 = Some(sudo);
            }
            _ => {
                drop(stage);
                return self.parse(response, cx).map(Progress::Done);
            }
        }
        stage.0 += 1;
        Ok(Progress::Next)
    }
}

/// One user found by [`QueryUser`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct UserSummary {
    /// The user id.
    pub sub: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    pub picture: Option<String>,
    /// Gender.
    #[serde(default)]
    pub gender: Option<String>,
    /// Locale.
    #[serde(default)]
    pub locale: Option<String>,
    /// Email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number.
    #[serde(default)]
    pub phone_number: Option<String>,
}

/// The answer of [`QueryUser`].
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct UserQueryResult {
    /// How many users matched.
    #[serde(default)]
    pub total: u64,
    /// The users.
    #[serde(default)]
    pub data: Vec<UserSummary>,
}

/// Looks users up: `GET /auth/v1/user/query?id=&username=&email=&phone_number=`
/// (the JS SDK's `queryUser`; needs a signed-in user). At least one criterion is
/// required; a phone number is normalised first.
///
/// ```
/// use cloudbase_core::auth::QueryUser;
/// let op = QueryUser::new().username("ada");
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct QueryUser {
    criteria: Vec<(&'static str, String)>,
    invalid: Option<BuildError>,
}

impl QueryUser {
    /// No criterion yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// By user id.
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.criteria.push(("id", id.into()));
        self
    }

    /// By login name.
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.criteria.push(("username", username.into()));
        self
    }

    /// By email address.
    pub fn email(mut self, email: &str) -> Self {
        match super::Email::parse(email) {
            Ok(e) => self.criteria.push(("email", e.as_str().to_owned())),
            Err(e) => self.invalid = Some(e),
        }
        self
    }

    /// By phone number.
    pub fn phone(mut self, phone: &str) -> Self {
        match super::Phone::parse(phone) {
            Ok(p) => self.criteria.push(("phone_number", p.as_str().to_owned())),
            Err(e) => self.invalid = Some(e),
        }
        self
    }
}

impl Operation for QueryUser {
    type Output = UserQueryResult;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        if let Some(e) = &self.invalid {
            return Err(e.clone());
        }
        if self.criteria.iter().all(|(_, v)| v.trim().is_empty()) {
            return Err(BuildError::InvalidInput {
                field: "user query",
                reason: "give an id, username, email or phone number".into(),
            });
        }
        let mut spec = auth_get(Method::GET, "user/query", Access::User);
        for (k, v) in self.criteria.iter().filter(|(_, v)| !v.is_empty()) {
            spec = spec.query(*k, v.as_str());
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        _: &mut ResponseContext<'_>,
    ) -> Result<UserQueryResult, Error> {
        json(&response)
    }
}

/// Whether a login name is taken: `GET /auth/v1/checkIfUserExist?username=` →
/// `{exist}` (no sign-in needed).
#[derive(Clone, Debug)]
#[must_use]
pub struct IsUsernameRegistered {
    username: String,
}

impl IsUsernameRegistered {
    /// Checks `username`.
    pub fn new(username: impl Into<String>) -> Self {
        Self {
            username: username.into(),
        }
    }
}

#[derive(Deserialize)]
struct Exist {
    #[serde(default)]
    exist: bool,
}

impl Operation for IsUsernameRegistered {
    type Output = bool;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError> {
        required("username", &self.username)?;
        Ok(auth_get(Method::GET, "checkIfUserExist", Access::ClientId)
            .query("username", self.username.as_str()))
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(&self, response: HttpResponse, _: &mut ResponseContext<'_>) -> Result<bool, Error> {
        Ok(json::<Exist>(&response)?.exist)
    }
}
