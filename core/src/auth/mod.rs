//! Authentication (`/auth/v1/*`): sign-in kinds and the token they return.

mod claims;
pub mod refresh;
mod session_ops;
mod sign_in_anonymously;

pub use claims::{Claims, decode_claims};
pub use refresh::RefreshToken;
pub use session_ops::{GetUser, SignOut, User};
pub use sign_in_anonymously::SignInAnonymously;
