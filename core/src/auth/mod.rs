//! Authentication (`/auth/v1/*`): sign-in kinds and the token they return.

pub mod refresh;
mod session_ops;
mod sign_in_anonymously;

pub use refresh::RefreshToken;
pub use session_ops::{GetUser, SignOut, User};
pub use sign_in_anonymously::SignInAnonymously;
