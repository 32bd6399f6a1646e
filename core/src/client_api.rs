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
            self.execute($crate::auth::SignInWithPassword::login(login, password)?) $($await)*
        }

        /// Sends a one-time code to an email address or phone number for sign-in or
        /// sign-up (the JS SDK's `signInWithOtp`). Pass the handle and the code the user
        /// received to `verify_otp` (existing user) or `complete_sign_up`.
        pub $($async)? fn sign_in_with_otp(&self, email_or_phone: &str) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            self.execute($crate::auth::SendVerification::for_sign_in($crate::auth::Contact::parse(email_or_phone)?)) $($await)*
        }

        /// Starts a sign-up: the same code request as `sign_in_with_otp` (the JS SDK's
        /// `signUp`); finish with `complete_sign_up`.
        pub $($async)? fn sign_up(&self, email_or_phone: &str) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            self.execute($crate::auth::SendVerification::for_sign_in($crate::auth::Contact::parse(email_or_phone)?)) $($await)*
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
            self.execute($crate::auth::SendVerification::new($crate::auth::Contact::parse(email_or_phone)?).target(target)) $($await)*
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

        /// The signed-in user's login (or other) events, one page
        /// (`GET /auth/v1/user/security/history`); options on the operation
        /// (`auth::GetSecurityHistory`) through `execute`.
        pub $($async)? fn get_security_history(&self, kind: $crate::auth::SecurityEventKind) -> Result<$crate::auth::SecurityHistory, $crate::Error> {
            self.execute($crate::auth::GetSecurityHistory::new(kind)) $($await)*
        }

        /// Signs the user out on every device (`DELETE /auth/v1/user/revoke/all`); this
        /// client's session ends too (`SIGNED_OUT`).
        pub $($async)? fn revoke_all_sessions(&self) -> Result<(), $crate::Error> {
            self.execute($crate::auth::RevokeAllSessions::new()) $($await)*
        }

        /// Ends the sessions of the user's device `device_id`
        /// (`DELETE /auth/v1/user/authorized/devices/{device_id}`).
        pub $($async)? fn revoke_device(&self, device_id: &str) -> Result<(), $crate::Error> {
            self.execute($crate::auth::RevokeDevice::new(device_id)) $($await)*
        }

        /// The account's protections (password, verified email, phone, linked
        /// identities), computed by the SDK from a fresh profile.
        pub $($async)? fn security_level(&self) -> Result<$crate::auth::SecurityLevel, $crate::Error> {
            self.execute($crate::auth::GetSecurityLevel::new()) $($await)*
        }

        /// Signs out through the provider's sign-out page (`POST /auth/v1/user/signout
        /// {redirect_uri, state}`): answers where to send the user, if the service
        /// says. The session ends whatever the answer (`SIGNED_OUT`).
        pub $($async)? fn sign_out_with_redirect(&self, redirect_uri: &str, state: &str) -> Result<Option<String>, $crate::Error> {
            self.execute($crate::auth::SignOutWithRedirect::new(redirect_uri, state)) $($await)*
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

        /// Signs in with a login name, email address or phone number and a password
        /// (the JS v2 name of `sign_in_with_password`).
        pub $($async)? fn sign_in(&self, login: &str, password: &str) -> Result<$crate::Credentials, $crate::Error> {
            self.sign_in_with_password(login, password) $($await)*
        }

        /// Sends a new code when the first did not arrive (the JS SDK's `resend`):
        /// `sign_up` says whether the code is for a sign-up (target `ANY`) or an
        /// existing user (`USER`). The previous code stops working.
        pub $($async)? fn resend(&self, email_or_phone: &str, sign_up: bool) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            self.execute($crate::auth::SendVerification::for_resend($crate::auth::Contact::parse(email_or_phone)?, sign_up)) $($await)*
        }

        /// Starts an OAuth sign-in with `provider_id` (the JS SDK's `signInWithOAuth`):
        /// send the user to the returned flow's `authorize_url`, keep the flow, and
        /// finish with `verify_oauth` when the provider redirects to `redirect_uri`.
        /// The `state` is a fresh random value, checked on the way back.
        pub $($async)? fn sign_in_with_oauth(&self, provider_id: &str, redirect_uri: &str) -> Result<$crate::auth::OAuthFlow, $crate::Error> {
            self.execute($crate::auth::StartOAuth::sign_in(provider_id, redirect_uri, &self.state.random_hex(12))) $($await)*
        }

        /// Starts linking a third-party identity to the signed-in user (the JS SDK's
        /// `linkIdentity`); finish with `verify_oauth` (`BIND_IDENTITY`).
        pub $($async)? fn link_identity(&self, provider_id: &str, redirect_uri: &str) -> Result<$crate::auth::OAuthFlow, $crate::Error> {
            self.execute($crate::auth::StartOAuth::link(provider_id, redirect_uri, &self.state.random_hex(12))) $($await)*
        }

        /// Completes an OAuth flow from the provider's callback (read it with
        /// `OAuthCallback::from_url`): signs in (`SIGNED_IN`) or links
        /// (`BIND_IDENTITY`). A callback whose `state` differs is refused unsent.
        pub $($async)? fn verify_oauth(&self, flow: &$crate::auth::OAuthFlow, callback: $crate::auth::OAuthCallback) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::VerifyOAuth::new(flow, callback)) $($await)*
        }

        /// Signs in with a provider's OpenID Connect ID token (`SIGNED_IN`).
        pub $($async)? fn sign_in_with_id_token(&self, provider_id: &str, id_token: &str) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignInWithIdToken::new(provider_id, id_token)) $($await)*
        }

        /// Signs in with a custom-login ticket minted by your server (`SIGNED_IN`).
        pub $($async)? fn sign_in_with_custom_ticket(&self, ticket: impl Into<$crate::Secret>) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignInWithCustomTicket::new(ticket)) $($await)*
        }

        /// Signs in with a ticket from `get_ticket` (e.g. a call to your server, the
        /// JS SDK's `setCustomSignFunc`); its error is returned as an input error and
        /// nothing is sent.
        pub $($async)? fn sign_in_with_custom_ticket_from<E: std::fmt::Display>(&self, get_ticket: impl FnOnce() -> Result<String, E>) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignInWithCustomTicket::from_source(get_ticket())?) $($await)*
        }

        /// Signs in with a provider token you already have (the JS v2
        /// `signInWithProvider`; `SIGNED_IN`).
        pub $($async)? fn sign_in_with_provider(&self, token: $crate::auth::ProviderToken) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::SignInWithProvider::new(token)) $($await)*
        }

        /// A provider's authorization URL (the JS v2 `genProviderRedirectUri`).
        pub $($async)? fn gen_provider_redirect_uri(&self, provider_id: &str, redirect_uri: &str, state: &str) -> Result<$crate::auth::ProviderRedirect, $crate::Error> {
            self.execute($crate::auth::GenProviderRedirectUri::new(provider_id, redirect_uri, state)) $($await)*
        }

        /// Exchanges a provider's authorization code for a provider token (the JS v2
        /// `grantProviderToken`).
        pub $($async)? fn grant_provider_token(&self, provider_id: &str, code: &str, redirect_uri: &str) -> Result<$crate::auth::ProviderToken, $crate::Error> {
            self.execute($crate::auth::GrantProviderToken::code(provider_id, code, redirect_uri)) $($await)*
        }

        /// Binds the identity a provider token proves to the signed-in user
        /// (`BIND_IDENTITY`).
        pub $($async)? fn bind_with_provider(&self, token: $crate::auth::ProviderToken) -> Result<(), $crate::Error> {
            self.execute($crate::auth::BindWithProvider::new(token)) $($await)*
        }

        /// Unbinds a third-party identity (the JS v2 name of `unlink_identity`).
        pub $($async)? fn unbind_provider(&self, provider_id: &str) -> Result<(), $crate::Error> {
            self.execute($crate::auth::UnbindProvider::new(provider_id)) $($await)*
        }

        /// Unbinds a third-party identity from the signed-in user.
        pub $($async)? fn unlink_identity(&self, provider_id: &str) -> Result<(), $crate::Error> {
            self.unbind_provider(provider_id) $($await)*
        }

        /// Every provider the environment offers, each saying whether it is bound
        /// to the signed-in user (`GET /user/provider`).
        pub $($async)? fn get_providers(&self) -> Result<Vec<$crate::auth::Identity>, $crate::Error> {
            self.execute($crate::auth::GetProviders::new()) $($await)*
        }

        /// The identities bound to the signed-in user (`get_providers` filtered on
        /// `bind`).
        pub $($async)? fn get_user_identities(&self) -> Result<Vec<$crate::auth::Identity>, $crate::Error> {
            self.execute($crate::auth::GetProviders::new().bound_only()) $($await)*
        }

        /// The session, refreshed first if it is about to expire (no user request;
        /// `None` when signed out).
        pub $($async)? fn get_session(&self) -> Result<Option<$crate::Credentials>, $crate::Error> {
            self.execute($crate::auth::GetSession::new()) $($await)*
        }

        /// The session's access token, refreshed first if needed (the JS v2
        /// `getAccessToken`).
        pub $($async)? fn get_access_token(&self) -> Result<$crate::Secret, $crate::Error> {
            self.execute($crate::auth::GetAccessToken::new()) $($await)*
        }

        /// The session's scope (`anonymous`, `user`, …), `None` when signed out (the
        /// JS v2 `loginScope`; local).
        pub fn login_scope(&self) -> Option<String> {
            self.state.session().credentials().and_then(|c| c.scope.clone())
        }

        /// Adopts a session obtained elsewhere (the JS SDK's `setSession`): a refresh
        /// grant with `refresh_token` (the access token is not sent, as in the JS SDK);
        /// `SIGNED_IN`. A rejection goes to the caller and keeps the current session.
        pub $($async)? fn set_session(&self, _access_token: &str, refresh_token: &str) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::RefreshToken::set_session(refresh_token)) $($await)*
        }

        /// Fetches the profile again (the JS SDK's `refreshUser`).
        pub $($async)? fn refresh_user(&self) -> Result<$crate::auth::User, $crate::Error> {
            self.get_user() $($await)*
        }

        /// Changes plain profile fields and returns the new profile (`USER_UPDATED`).
        /// Email and phone go through `start_contact_change`.
        pub $($async)? fn update_user(&self, update: $crate::auth::UserUpdate) -> Result<$crate::auth::User, $crate::Error> {
            self.execute($crate::auth::UpdateUser::new(update)) $($await)*
        }

        /// Sends a code to a new email address or phone number for the signed-in
        /// user; finish with `confirm_contact_change`.
        pub $($async)? fn start_contact_change(&self, email_or_phone: &str) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            self.execute($crate::auth::SendVerification::for_contact_change($crate::auth::Contact::parse(email_or_phone)?)) $($await)*
        }

        /// Confirms the new contact with its code (`USER_UPDATED`).
        pub $($async)? fn confirm_contact_change(&self, handle: &$crate::auth::OtpHandle, code: &str) -> Result<$crate::auth::User, $crate::Error> {
            self.execute($crate::auth::ConfirmContactChange::new(handle, code)) $($await)*
        }

        /// Deletes the signed-in user after confirming the password; the session
        /// ends (`SIGNED_OUT`).
        pub $($async)? fn delete_user(&self, password: &str) -> Result<(), $crate::Error> {
            self.execute($crate::auth::DeleteUser::new(password)) $($await)*
        }

        /// Deletes the signed-in user with a sudo token (the JS v2 `deleteMe`).
        pub $($async)? fn delete_me(&self, sudo: &$crate::auth::SudoToken) -> Result<(), $crate::Error> {
            self.execute($crate::auth::DeleteMe::new(sudo)) $($await)*
        }

        /// Sends a password-recovery code to an email address or phone number (the
        /// JS SDK's `resetPasswordForEmail`); finish with `complete_password_reset`.
        pub $($async)? fn reset_password_for_email(&self, email_or_phone: &str) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            self.execute($crate::auth::SendVerification::for_recovery($crate::auth::Contact::parse(email_or_phone)?)) $($await)*
        }

        /// Verifies the recovery code, sets the new password (`PASSWORD_RECOVERY`)
        /// and signs in with it (`SIGNED_IN`).
        pub $($async)? fn complete_password_reset(&self, handle: &$crate::auth::OtpHandle, code: &str, new_password: &str) -> Result<$crate::Credentials, $crate::Error> {
            self.execute($crate::auth::CompletePasswordReset::new(handle, code, new_password)) $($await)*
        }

        /// Sets a new password with a verified contact (the JS v2 `resetPassword`;
        /// `PASSWORD_RECOVERY`).
        pub $($async)? fn reset_password(&self, verification: $crate::auth::VerificationToken, new_password: &str) -> Result<(), $crate::Error> {
            self.execute($crate::auth::ResetPassword::new(verification, new_password)) $($await)*
        }

        /// Changes the password, confirming the old one (the JS SDK's
        /// `resetPasswordForOld`).
        pub $($async)? fn reset_password_for_old(&self, old_password: &str, new_password: &str) -> Result<(), $crate::Error> {
            self.execute($crate::auth::ChangePassword::new(old_password, new_password)) $($await)*
        }

        /// Sends a code to the signed-in user's own email or phone (the JS SDK's
        /// `reauthenticate`); finish with `complete_reauthentication`.
        pub $($async)? fn reauthenticate(&self) -> Result<$crate::auth::OtpHandle, $crate::Error> {
            self.execute($crate::auth::Reauthenticate::new()) $($await)*
        }

        /// Verifies the reauthentication code and returns a sudo token; with
        /// `new_password`, also sets it.
        pub $($async)? fn complete_reauthentication(&self, handle: &$crate::auth::OtpHandle, code: &str, new_password: Option<&str>) -> Result<$crate::auth::SudoToken, $crate::Error> {
            self.execute($crate::auth::CompleteReauthentication::new(handle, code, new_password.map($crate::Secret::new))) $($await)*
        }

        /// A sudo token from the current password (the JS v2 `sudo`).
        pub $($async)? fn sudo(&self, password: &str) -> Result<$crate::auth::SudoToken, $crate::Error> {
            self.execute($crate::auth::Sudo::with_password(password)) $($await)*
        }

        /// A sudo token from a verified code of the user's own contact.
        pub $($async)? fn sudo_with_verification(&self, verification: &$crate::auth::VerificationToken) -> Result<$crate::auth::SudoToken, $crate::Error> {
            self.execute($crate::auth::Sudo::with_verification(verification)) $($await)*
        }

        /// Sets a new password with a sudo token (the JS v2 `setPassword`).
        pub $($async)? fn set_password(&self, sudo: &$crate::auth::SudoToken, new_password: &str) -> Result<(), $crate::Error> {
            self.execute($crate::auth::SetPassword::new(sudo, new_password)) $($await)*
        }

        /// Binds a verified phone number (the JS v2 `bindPhoneNumber`;
        /// `USER_UPDATED`). An email verification is refused unsent.
        pub $($async)? fn bind_phone_number(&self, verification: $crate::auth::VerificationToken, sudo: &$crate::auth::SudoToken) -> Result<(), $crate::Error> {
            self.execute($crate::auth::BindContact::phone(verification, sudo)?) $($await)*
        }

        /// Binds a verified email address (the JS v2 `bindEmail`; `USER_UPDATED`).
        /// A phone verification is refused unsent.
        pub $($async)? fn bind_email(&self, verification: $crate::auth::VerificationToken, sudo: &$crate::auth::SudoToken) -> Result<(), $crate::Error> {
            self.execute($crate::auth::BindContact::email(verification, sudo)?) $($await)*
        }

        /// Looks users up by id, login name, email or phone (the JS v2 `queryUser`).
        pub $($async)? fn query_user(&self, query: $crate::auth::QueryUser) -> Result<$crate::auth::UserQueryResult, $crate::Error> {
            self.execute(query) $($await)*
        }

        /// Whether a login name is taken (the JS v2 `isUsernameRegistered`).
        pub $($async)? fn is_username_registered(&self, username: &str) -> Result<bool, $crate::Error> {
            self.execute($crate::auth::IsUsernameRegistered::new(username)) $($await)*
        }

        /// A captcha image to show (the JS SDK's `createCaptchaData`).
        pub $($async)? fn create_captcha_data(&self) -> Result<$crate::auth::CaptchaChallenge, $crate::Error> {
            self.execute($crate::auth::CreateCaptchaData::with_nonce(&self.state.random_hex(8))) $($await)*
        }

        /// Checks the user's answer to a challenge; the token is cached and attached
        /// to the next call that asks for a captcha (the JS SDK's `verifyCaptchaData`).
        pub $($async)? fn verify_captcha_data(&self, challenge: &$crate::auth::CaptchaChallenge, answer: &str) -> Result<$crate::auth::CaptchaToken, $crate::Error> {
            self.execute($crate::auth::VerifyCaptchaData::new(challenge, answer)) $($await)*
        }

        /// The cached captcha token, or a new one: with a solver set, a challenge is
        /// fetched, solved and verified; without one the challenge comes back as
        /// `Error::Captcha`.
        pub $($async)? fn get_captcha_token(&self) -> Result<$crate::auth::CaptchaToken, $crate::Error> {
            self.execute($crate::auth::GetCaptchaToken::new(&self.state.random_hex(8))) $($await)*
        }

        /// Forgets the cached captcha token.
        pub fn clear_captcha_token(&self) {
            self.state.clear_captcha_token();
        }

        /// Answers captcha challenges automatically: a protected call that meets
        /// `captcha_required` fetches a challenge, asks `solver`, verifies the answer
        /// and is replayed once with the token. Without a solver (the default) the
        /// challenge comes back as `Error::Captcha`.
        pub fn set_captcha_solver(&self, solver: impl $crate::auth::CaptchaSolver + 'static) {
            self.state.set_captcha_solver(Some(std::sync::Arc::new(solver)));
        }

        /// Removes the captcha solver.
        pub fn clear_captcha_solver(&self) {
            self.state.set_captcha_solver(None);
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

        /// Data models (`/v1/model/...`) in the `prod` data environment; `.env(…)`
        /// switches to `pre`.
        pub fn models(&self) -> Models<'_> {
            Models { client: self, env: $crate::models::DataEnv::Prod }
        }

        /// MySQL REST (`/v1/rdb/rest/...`) with Flutter-style filter maps.
        pub fn mysql(&self) -> Mysql<'_> {
            Mysql { client: self }
        }

        /// Data sources with their details (`aggregateDataSourceList`), a page of
        /// `page_size`; `envId` is this client's environment.
        pub $($async)? fn get_aggregate_data_source_list(&self, page_size: u32) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::aggregate_list(page_size)) $($await)*
        }

        /// One data source with its details, by id or name.
        pub $($async)? fn get_data_source_aggregate_detail(&self, source: $crate::models::DataSourceRef) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::aggregate_detail(source)) $($await)*
        }

        /// Which data sources use these tables.
        pub $($async)? fn get_data_source_by_table_name(&self, table_names: &[&str]) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::by_table_names(table_names.iter().copied())) $($await)*
        }

        /// A page of basic data-source records (`POST basicDataSourceList`).
        pub $($async)? fn get_basic_data_source_list(&self, page_num: u32, page_size: u32) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::basic_list(page_num, page_size)) $($await)*
        }

        /// One basic data-source record, by id or name.
        pub $($async)? fn get_basic_data_source(&self, source: $crate::models::DataSourceRef) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::basic(source)) $($await)*
        }

        /// Relations of these data sources.
        pub $($async)? fn get_schema_list(&self, data_source_names: &[&str]) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::schema_list(data_source_names.iter().copied())) $($await)*
        }

        /// The tables behind a data source.
        pub $($async)? fn get_table_name(&self, data_source_name: &str) -> Result<$crate::serde_json::Value, $crate::Error> {
            self.execute($crate::models::DataSourceCall::table_name(data_source_name)) $($await)*
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
