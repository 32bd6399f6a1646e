//! Every public auth type that holds a secret keeps it out of `Debug`.
#![allow(clippy::unwrap_used, missing_docs)]

use cloudbase_core::auth::{
    ChangePassword, DeleteUser, OAuthCallback, RefreshToken, SignInWithCustomTicket,
    SignInWithIdToken, SignInWithPassword, Sudo,
};

#[test]
fn debug_output_hides_every_secret() {
    let secret = "S3CRET-VALUE";
    let callback = OAuthCallback::new(secret, "state");
    let shown = [
        format!("{:?}", SignInWithPassword::username("ann", secret).unwrap()),
        format!("{:?}", SignInWithCustomTicket::new(secret)),
        format!("{:?}", SignInWithIdToken::new("google", secret)),
        format!("{:?}", Sudo::with_password(secret)),
        format!("{:?}", ChangePassword::new(secret, secret)),
        format!("{:?}", DeleteUser::new(secret)),
        format!("{:?}", RefreshToken::set_session(secret)),
        format!("{callback:?}"),
    ];
    for s in &shown {
        assert!(!s.contains(secret), "leaked in {s}");
    }
}
