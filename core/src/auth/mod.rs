//! Authentication (`/auth/v1/*`): sign-in kinds and the token they return.

mod claims;
mod contact;
pub mod refresh;
mod session_ops;
mod sign_in_anonymously;
mod verification;

pub use claims::{Claims, decode_claims};
pub use contact::{Contact, Email, Phone};
pub use refresh::RefreshToken;
pub use session_ops::{GetUser, SignOut, User};
pub use sign_in_anonymously::SignInAnonymously;
pub use verification::{
    OtpHandle, SendVerification, SignInWithPassword, SignInWithVerification, SignUp, SignUpDetails,
    VerificationTarget, VerificationToken, VerifyCode, VerifyOtp,
};
