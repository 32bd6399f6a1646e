//! Authentication (`/auth/v1/*`): sign-in kinds and the token they return.

mod account;
mod captcha;
mod claims;
mod contact;
mod identity;
mod introspect;
mod local_session;
mod oauth;
mod provider_patch;
pub mod refresh;
mod security;
mod server_token;
mod session_ops;
mod sign_in_anonymously;
mod verification;
mod wire;

pub use crate::captcha::{CaptchaCache, CaptchaChallenge, CaptchaSolver, CaptchaToken};
pub use account::{
    BindContact, ChangePassword, CompletePasswordReset, CompleteReauthentication,
    ConfirmContactChange, ConflictResolution, DeleteMe, DeleteUser, Gender, IsUsernameRegistered,
    QueryUser, Reauthenticate, ResetPassword, SetPassword, Sudo, SudoToken, UpdateUser,
    UserQueryResult, UserSummary, UserUpdate,
};
pub use captcha::{CreateCaptchaData, GetCaptchaToken, VerifyCaptchaData};
pub use claims::{Claims, decode_claims};
pub use contact::{Contact, Email, Phone};
pub use identity::{
    BindWithProvider, GetProviders, GrantProviderToken, Identity, ProviderToken,
    SignInWithCustomTicket, SignInWithIdToken, SignInWithProvider, UnbindProvider,
};
pub use introspect::{IntrospectToken, TokenIntrospection};
pub use local_session::{GetAccessToken, GetSession};
pub use oauth::{
    GenProviderRedirectUri, OAuthCallback, OAuthFlow, OAuthPurpose, ProviderRedirect, StartOAuth,
    VerifyOAuth,
};
pub use provider_patch::PatchProviderToken;
pub use refresh::RefreshToken;
pub use security::{
    GetSecurityHistory, GetSecurityLevel, RevokeAllSessions, RevokeDevice, SecurityEvent,
    SecurityEventKind, SecurityHistory, SecurityLevel,
};
pub use server_token::{ObtainServerToken, ServerToken};
pub use session_ops::{GetUser, SignOut, SignOutWithRedirect, User};
pub use sign_in_anonymously::SignInAnonymously;
pub use verification::{
    OtpHandle, ResendPurpose, SendVerification, SignInWithPassword, SignInWithVerification, SignUp,
    SignUpDetails, VerificationTarget, VerificationToken, VerifyCode, VerifyOtp,
};
