//! The convenience methods both adapters' `Client`s offer, defined once.
//!
//! Each method is one line: build the core operation, run it with the adapter's
//! generic `execute`. The adapters expand [`client_methods!`] inside `impl Client`, so
//! their method lists cannot drift apart and hold no per-operation logic.

/// Expands to the convenience methods inside an adapter's `impl Client`, which must
/// have `fn execute(&self, op)` and a `state: SharedState` field. Blocking:
/// `client_methods!(,)`; async: `client_methods!(async, .await)`.
#[macro_export]
#[doc(hidden)]
macro_rules! client_methods {
    ($($async:ident)?, $($await:tt)*) => {
        /// Signs in anonymously (`SIGNED_IN`); the credentials are kept for later calls.
        pub $($async)? fn sign_in_anonymously(&self) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignInAnonymously::new()) $($await)*
        }

        /// Signs in with a password (`SIGNED_IN`). `login` is an email address if it
        /// contains `@`, a phone number if it starts with `+`, else a login name; use
        /// `execute(SignInWithPassword::…)` to say which explicitly.
        pub $($async)? fn sign_in_with_password(&self, login: &str, password: &str) -> Result<$crate::Credentials, $crate::Error> {
            let op = if login.contains('@') {
                $crate::auth::SignInWithPassword::email(login, password)?
            } else if login.trim_start().starts_with('+') {
                $crate::auth::SignInWithPassword::phone(login, password)?
            } else {
                $crate::auth::SignInWithPassword::username(login, password)?
            };
            self.execute(op) $($await)*
        }

        /// Sends a one-time code to an email address or phone number for sign-in or
        /// sign-up (the JS SDK's `signInWithOtp`). Pass the handle and the code the user
        /// received to `verify_otp` (existing user) or `complete_sign_up`.
        pub $($async)? fn sign_in_with_otp(&self, email_or_phone: &str) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            let contact = $crate::auth::Contact::parse(email_or_phone)?;
            self.execute($crate::auth::SendVerification::for_sign_in(contact)) $($await)*
        }

        /// Starts a sign-up: the same code request as `sign_in_with_otp` (the JS SDK's
        /// `signUp`); finish with `complete_sign_up`.
        pub $($async)? fn sign_up(&self, email_or_phone: &str) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            let contact = $crate::auth::Contact::parse(email_or_phone)?;
            self.execute($crate::auth::SendVerification::for_sign_in(contact)) $($await)*
        }

        /// Verifies the code, then signs in, or signs up a new user without extra
        /// details (`SIGNED_IN`). An expired or already-used handle fails without a
        /// request.
        pub $($async)? fn verify_otp(&self, handle: &$crate::auth::OtpHandle, code: &str) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::VerifyOtp::new(handle, code, $crate::auth::SignUpDetails::new())) $($await)*
        }

        /// Verifies the code, then signs up with `details` (password, username, name),
        /// or signs in if the contact already belongs to a user (`SIGNED_IN`).
        pub $($async)? fn complete_sign_up(&self, handle: &$crate::auth::OtpHandle, code: &str, details: $crate::auth::SignUpDetails) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::VerifyOtp::new(handle, code, details)) $($await)*
        }

        /// Sends a verification code with an explicit target (the JS SDK's
        /// `getVerification`).
        pub $($async)? fn get_verification(&self, email_or_phone: &str, target: $crate::auth::VerificationTarget) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            let contact = $crate::auth::Contact::parse(email_or_phone)?;
            self.execute($crate::auth::SendVerification::new(contact).target(target)) $($await)*
        }

        /// Checks a code without signing in (the JS SDK's `verify`); the token is for
        /// `sign_in_with_verification`, `sign_up_with_verification` and other flows.
        pub $($async)? fn verify(&self, handle: &$crate::auth::OtpHandle, code: &str) -> Result<$crate::auth::VerificationToken, $crate::Error> {
            self.execute($crate::auth::VerifyCode::new(handle, code)) $($await)*
        }

        /// Signs in with a verified contact (`SIGNED_IN`).
        pub $($async)? fn sign_in_with_verification(&self, token: $crate::auth::VerificationToken) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignInWithVerification::new(token)) $($await)*
        }

        /// Creates a user from a verified contact (`SIGNED_IN`).
        pub $($async)? fn sign_up_with_verification(&self, token: $crate::auth::VerificationToken, details: $crate::auth::SignUpDetails) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignUp::new(token, details)) $($await)*
        }

        /// Refreshes the session now (`TOKEN_REFRESHED`). Calls refresh automatically
        /// when needed; this is for apps that want to force it. `invalid_grant` ends
        /// the session (`SIGNED_OUT`).
        pub $($async)? fn refresh_session(&self) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::RefreshToken::of_session()) $($await)*
        }

        /// Signs out: revokes the token on the server, then clears the session
        /// (`SIGNED_OUT`). On a network failure the session is kept; try again.
        pub $($async)? fn sign_out(&self) -> Result<(), $crate::Error> {
            self.execute($crate::auth::SignOut::new()) $($await)*
        }

        /// The signed-in user's profile (`GET /auth/v1/user/me`).
        pub $($async)? fn get_user(&self) -> Result<$crate::auth::User, $crate::Error> {
            self.execute($crate::auth::GetUser::new()) $($await)*
        }

        /// Calls cloud function `name` with `data` (not retried after it may have
        /// reached the server; use `execute` with `CallFunction::idempotent` for that).
        pub $($async)? fn call_function<T: $crate::serde::Serialize + ?Sized>(&self, name: &str, data: &T) -> Result<$crate::functions::FunctionResult, $crate::Error> {
            self.execute($crate::functions::CallFunction::new(name)?.data(data)?) $($await)*
        }

        /// The access token's claims, decoded locally (no request). **The signature is
        /// not verified**: use them for display and routing, not for authorisation.
        pub fn get_claims(&self) -> Result<$crate::auth::Claims, $crate::Error> {
            self.state.claims()
        }

        /// Calls `listener` with `INITIAL_SESSION` now and with every later auth event
        /// (`SIGNED_IN`, `TOKEN_REFRESHED`, `SIGNED_OUT`, …), in order, outside any
        /// lock: it may call back into the client.
        pub fn on_auth_state_change(&self, listener: impl Fn(&$crate::AuthEvent) + Send + Sync + 'static) -> $crate::ListenerId {
            self.state.subscribe(listener)
        }

        /// Stops calling a listener.
        pub fn remove_auth_listener(&self, id: $crate::ListenerId) {
            self.state.unsubscribe(id);
        }

        /// A snapshot of the session.
        pub fn session(&self) -> $crate::Session {
            self.state.session()
        }

        /// The `x-device-id` this client sends; persist it to keep anonymous users
        /// stable across restarts.
        pub fn device_id(&self) -> String {
            self.state.device_id()
        }
    };
}
