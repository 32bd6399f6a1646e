//! Profile edits and contact changes: `/user/basic/edit`, `/user/contact`.

use http::Method;
use serde_json::{Map, Value};

use super::get_me;
use super::sudo::SudoToken;
use crate::auth::contact::Contact;
use crate::auth::session_ops::User;
use crate::auth::verification::{OtpHandle, VerificationToken, verified, verify_request};
use crate::auth::wire::{auth_json, auth_post, json, object};
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, Operation, Progress, RequestContext, ResponseContext};
use crate::request::{Access, HttpResponse, RequestSpec};
use crate::secret::Secret;
use crate::session::AuthEventKind;

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
#[derive(Clone, Debug)]
#[must_use]
pub struct UpdateUser {
    update: UserUpdate,
    stage: EditStage,
}

/// Where an edit that reads the profile back is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum EditStage {
    Edit,
    ReadBack,
}

impl UpdateUser {
    /// Applies `update`.
    pub fn new(update: UserUpdate) -> Self {
        Self {
            update,
            stage: EditStage::Edit,
        }
    }
}

/// The profile read back after an edit: `USER_UPDATED`.
fn updated_user(response: &HttpResponse, cx: &mut ResponseContext<'_>) -> Result<User, Error> {
    let user = json(response)?;
    cx.session.emit(AuthEventKind::UserUpdated);
    Ok(user)
}

impl Operation for UpdateUser {
    type Output = User;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match self.stage {
            EditStage::ReadBack => Ok(get_me()),
            EditStage::Edit if self.update.is_empty() => Err(BuildError::InvalidInput {
                field: "user update",
                reason: "no field to change".into(),
            }
            .into()),
            EditStage::Edit => Ok(auth_post(
                "user/basic/edit",
                Access::User,
                self.update.fields.clone(),
            )?),
        }
    }

    /// Setting the same fields twice has the same effect.
    fn is_idempotent(&self) -> bool {
        true
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<User>, Error> {
        match self.stage {
            EditStage::Edit => {
                self.stage = EditStage::ReadBack;
                Ok(Progress::Next)
            }
            EditStage::ReadBack => updated_user(&response, cx).map(Progress::Done),
        }
    }
}

/// Confirms an email or phone change started with
/// [`SendVerification::for_contact_change`](crate::auth::SendVerification::for_contact_change): verifies the code, writes the new
/// contact with `POST /auth/v1/user/basic/edit {email | phone}`, reads the profile
/// back and emits `USER_UPDATED` (the JS SDK's `updateUser({email | phone})` →
/// `verifyOtp`). As there, the verification token is not sent to `basic/edit`.
#[derive(Clone, Debug)]
#[must_use]
pub struct ConfirmContactChange {
    handle: OtpHandle,
    code: Secret,
    stage: ContactChangeStage,
}

/// Where a contact change is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ContactChangeStage {
    Verify,
    Edit,
    ReadBack,
}

impl ConfirmContactChange {
    /// The code the user received for `handle`.
    pub fn new(handle: &OtpHandle, code: impl Into<Secret>) -> Self {
        Self {
            handle: handle.clone(),
            code: code.into(),
            stage: ContactChangeStage::Verify,
        }
    }
}

impl Operation for ConfirmContactChange {
    type Output = User;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        match self.stage {
            ContactChangeStage::Verify => Ok(verify_request(&self.handle, &self.code, cx.now)?),
            ContactChangeStage::Edit => {
                let field = match &self.handle.contact {
                    Contact::Email(_) => "email",
                    Contact::Phone(_) => "phone",
                };
                let map = object([(field, Some(self.handle.contact.as_str().into()))]);
                Ok(auth_post("user/basic/edit", Access::User, map)?)
            }
            ContactChangeStage::ReadBack => Ok(get_me()),
        }
    }

    fn on_response(
        &mut self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<User>, Error> {
        match self.stage {
            ContactChangeStage::Verify => {
                verified(&self.handle, &self.code, &response, cx.now)?;
                self.stage = ContactChangeStage::Edit;
            }
            ContactChangeStage::Edit => self.stage = ContactChangeStage::ReadBack,
            ContactChangeStage::ReadBack => return updated_user(&response, cx).map(Progress::Done),
        }
        Ok(Progress::Next)
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

    /// Binds a verified phone number (the JS v2 `bindPhoneNumber`); an email
    /// verification is refused.
    pub fn phone(verification: VerificationToken, sudo: &SudoToken) -> Result<Self, BuildError> {
        match verification.contact {
            Contact::Phone(_) => Ok(Self::new(verification, sudo)),
            Contact::Email(_) => Err(BuildError::InvalidInput {
                field: "verification",
                reason: "not a phone number's".into(),
            }),
        }
    }

    /// Binds a verified email address (the JS v2 `bindEmail`); a phone
    /// verification is refused.
    pub fn email(verification: VerificationToken, sudo: &SudoToken) -> Result<Self, BuildError> {
        match verification.contact {
            Contact::Email(_) => Ok(Self::new(verification, sudo)),
            Contact::Phone(_) => Err(BuildError::InvalidInput {
                field: "verification",
                reason: "not an email address's".into(),
            }),
        }
    }

    /// What to do when another account has the contact.
    pub fn conflict_resolution(mut self, resolution: ConflictResolution) -> Self {
        self.conflict = Some(resolution);
        self
    }
}

impl OneShot for BindContact {
    type Output = ();

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        if cx.now >= self.verification.expires_at {
            return Err(BuildError::VerificationExpired.into());
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
        Ok(auth_json(Method::PATCH, "user/contact", Access::User, map)?)
    }

    fn parse(&self, _: HttpResponse, cx: &mut ResponseContext<'_>) -> Result<(), Error> {
        cx.session.emit(AuthEventKind::UserUpdated);
        Ok(())
    }
}
