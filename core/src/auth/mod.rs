//! Authentication (`/auth/v1/*`): sign-in kinds and the token they return.

mod sign_in_anonymously;

pub use sign_in_anonymously::SignInAnonymously;
