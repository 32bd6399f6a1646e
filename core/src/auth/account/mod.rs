//! The signed-in user's account (docs/protocol/auth.md, "Account"), by subject:
//! profile edits and contact changes, sudo and reauthentication, passwords, and
//! user queries and deletion.
//!
//! Flows of several requests are one operation each (e.g. [`DeleteUser`] = sudo, then
//! delete) and keep their stage in an enum inside the operation.

mod password;
mod profile;
mod sudo;
mod users;

pub use password::{ChangePassword, CompletePasswordReset, ResetPassword, SetPassword};
pub use profile::{
    BindContact, ConfirmContactChange, ConflictResolution, Gender, UpdateUser, UserUpdate,
};
pub use sudo::{CompleteReauthentication, Reauthenticate, Sudo, SudoToken};
pub use users::{
    DeleteMe, DeleteUser, IsUsernameRegistered, QueryUser, UserQueryResult, UserSummary,
};

use http::Method;

use super::wire::auth_get;
use crate::error::BuildError;
use crate::request::{Access, RequestSpec};
use crate::secret::Secret;

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

/// `GET /auth/v1/user/me`: the profile, read back after an edit.
fn get_me() -> RequestSpec {
    auth_get(Method::GET, "user/me", Access::User)
}
