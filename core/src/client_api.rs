//! The convenience methods both adapters' `Client`s offer, defined once.
//!
//! Each method is one line: build the core operation, run it with the adapter's
//! generic `execute`. The list of those methods is written once, in
//! [`client_operations!`](crate::client_operations), as data: the adapters expand it
//! (through [`client_methods!`](crate::client_methods)) inside `impl Client`, and the
//! integration tests generate their harness from the same list, so neither the two
//! clients nor the tests restate a signature.

/// Hands every convenience method that is "build one operation, execute it" to
/// `$callback!`, as entries `/// docs  fn name[self](args) -> Output => operation;`
/// (`self` is passed as a token so the operation may use the receiver). Invoke as
/// `client_operations!([path::to::callback] prefix tokens…)`; the callback sees the
/// prefix tokens, then the entries.
#[macro_export]
#[doc(hidden)]
macro_rules! client_operations {
    ([$($callback:tt)+] $($prefix:tt)*) => {
        $($callback)+ ! {
            $($prefix)*

            /// Signs in anonymously (`SIGNED_IN`); the credentials are kept for later calls.
            fn sign_in_anonymously[self]() -> $crate::Credentials
                => $crate::auth::SignInAnonymously::new();

            /// Signs in with a password (`SIGNED_IN`). `login` is an email address if it
            /// contains `@`, a phone number if it starts with `+`, else a login name; use
            /// `execute(SignInWithPassword::…)` to say which explicitly.
            #[doc(alias = "sign_in")]
            #[doc(alias = "signIn")]
            #[doc(alias = "signInWithPassword")]
            fn sign_in_with_password[self](login: &str, password: &str) -> $crate::Credentials
                => $crate::auth::SignInWithPassword::login(login, password)?;

            /// Sends a one-time code to an email address or phone number for sign-in or
            /// sign-up (the JS SDK's `signInWithOtp`). Pass the handle and the code the user
            /// received to `verify_otp` (existing user) or `complete_sign_up`.
            #[doc(alias = "sign_up")]
            #[doc(alias = "signUp")]
            #[doc(alias = "signInWithOtp")]
            fn sign_in_with_otp[self](email_or_phone: &str) -> $crate::auth::OtpHandle
                => $crate::auth::SendVerification::for_sign_in($crate::auth::Contact::parse(email_or_phone)?);


            /// Verifies the code, then signs in, or signs up a new user without extra
            /// details (`SIGNED_IN`). An expired or already-used handle fails without a
            /// request.
            fn verify_otp[self](handle: &$crate::auth::OtpHandle, code: &str) -> $crate::Credentials
                => $crate::auth::VerifyOtp::new(handle, code, $crate::auth::SignUpDetails::new());

            /// Verifies the code, then signs up with `details` (password, username, name),
            /// or signs in if the contact already belongs to a user (`SIGNED_IN`).
            fn complete_sign_up[self](handle: &$crate::auth::OtpHandle, code: &str, details: $crate::auth::SignUpDetails) -> $crate::Credentials
                => $crate::auth::VerifyOtp::new(handle, code, details);

            /// Sends a verification code with an explicit target (the JS SDK's
            /// `getVerification`).
            fn get_verification[self](email_or_phone: &str, target: $crate::auth::VerificationTarget) -> $crate::auth::OtpHandle
                => $crate::auth::SendVerification::new($crate::auth::Contact::parse(email_or_phone)?).target(target);

            /// Checks a code without signing in (the JS SDK's `verify`); the token is for
            /// `sign_in_with_verification`, `sign_up_with_verification` and other flows.
            fn verify[self](handle: &$crate::auth::OtpHandle, code: &str) -> $crate::auth::VerificationToken
                => $crate::auth::VerifyCode::new(handle, code);

            /// Signs in with a verified contact (`SIGNED_IN`).
            fn sign_in_with_verification[self](token: $crate::auth::VerificationToken) -> $crate::Credentials
                => $crate::auth::SignInWithVerification::new(token);

            /// Creates a user from a verified contact (`SIGNED_IN`).
            fn sign_up_with_verification[self](token: $crate::auth::VerificationToken, details: $crate::auth::SignUpDetails) -> $crate::Credentials
                => $crate::auth::SignUp::new(token, details);

            /// Refreshes the session now (`TOKEN_REFRESHED`). Calls refresh automatically
            /// when needed; this is for apps that want to force it. `invalid_grant` ends
            /// the session (`SIGNED_OUT`).
            fn refresh_session[self]() -> $crate::Credentials
                => $crate::auth::RefreshToken::of_session();

            /// Signs out: revokes the token on the server, then clears the session
            /// (`SIGNED_OUT`). On a network failure the session is kept; try again.
            fn sign_out[self]() -> ()
                => $crate::auth::SignOut::new();

            /// The signed-in user's login (or other) events, one page
            /// (`GET /auth/v1/user/security/history`); options on the operation
            /// (`auth::GetSecurityHistory`) through `execute`.
            fn get_security_history[self](kind: $crate::auth::SecurityEventKind) -> $crate::auth::SecurityHistory
                => $crate::auth::GetSecurityHistory::new(kind);

            /// Signs the user out on every device (`DELETE /auth/v1/user/revoke/all`); this
            /// client's session ends too (`SIGNED_OUT`).
            fn revoke_all_sessions[self]() -> ()
                => $crate::auth::RevokeAllSessions::new();

            /// Ends the sessions of the user's device `device_id`
            /// (`DELETE /auth/v1/user/authorized/devices/{device_id}`).
            fn revoke_device[self](device_id: &str) -> ()
                => $crate::auth::RevokeDevice::new(device_id);

            /// The account's protections (password, verified email, phone, linked
            /// identities), computed by the SDK from a fresh profile.
            fn security_level[self]() -> $crate::auth::SecurityLevel
                => $crate::auth::GetSecurityLevel::new();

            /// Signs out through the provider's sign-out page (`POST /auth/v1/user/signout
            /// {redirect_uri, state}`): answers where to send the user, if the service
            /// says. The session ends whatever the answer (`SIGNED_OUT`).
            fn sign_out_with_redirect[self](redirect_uri: &str, state: &str) -> Option<String>
                => $crate::auth::SignOutWithRedirect::new(redirect_uri, state);

            /// The signed-in user's profile (`GET /auth/v1/user/me`).
            #[doc(alias = "refresh_user")]
            #[doc(alias = "refreshUser")]
            #[doc(alias = "getUser")]
            #[doc(alias = "getCurrentUser")]
            fn get_user[self]() -> $crate::auth::User
                => $crate::auth::GetUser::new();


            /// Sends a new code when the first did not arrive (the JS SDK's `resend`),
            /// for a sign-up (target `ANY`) or an existing user (`USER`). The previous
            /// code stops working.
            fn resend[self](email_or_phone: &str, purpose: $crate::auth::ResendPurpose) -> $crate::auth::OtpHandle
                => $crate::auth::SendVerification::for_resend($crate::auth::Contact::parse(email_or_phone)?, purpose);

            /// Starts an OAuth sign-in with `provider_id` (the JS SDK's `signInWithOAuth`):
            /// send the user to the returned flow's `authorize_url`, keep the flow, and
            /// finish with `verify_oauth` when the provider redirects to `redirect_uri`.
            /// The `state` is a fresh random value, checked on the way back.
            fn sign_in_with_oauth[self](provider_id: &str, redirect_uri: &str) -> $crate::auth::OAuthFlow
                => $crate::auth::StartOAuth::sign_in(provider_id, redirect_uri, &self.state.random_hex(12));

            /// Starts linking a third-party identity to the signed-in user (the JS SDK's
            /// `linkIdentity`); finish with `verify_oauth` (`BIND_IDENTITY`).
            fn link_identity[self](provider_id: &str, redirect_uri: &str) -> $crate::auth::OAuthFlow
                => $crate::auth::StartOAuth::link(provider_id, redirect_uri, &self.state.random_hex(12));

            /// Completes an OAuth flow from the provider's callback (read it with
            /// `OAuthCallback::from_url`): signs in (`SIGNED_IN`) or links
            /// (`BIND_IDENTITY`). A callback whose `state` differs is refused unsent.
            fn verify_oauth[self](flow: &$crate::auth::OAuthFlow, callback: $crate::auth::OAuthCallback) -> $crate::Credentials
                => $crate::auth::VerifyOAuth::new(flow, callback);

            /// Signs in with a provider's OpenID Connect ID token (`SIGNED_IN`).
            fn sign_in_with_id_token[self](provider_id: &str, id_token: &str) -> $crate::Credentials
                => $crate::auth::SignInWithIdToken::new(provider_id, id_token);

            /// Signs in with a provider token you already have (the JS v2
            /// `signInWithProvider`; `SIGNED_IN`).
            fn sign_in_with_provider[self](token: $crate::auth::ProviderToken) -> $crate::Credentials
                => $crate::auth::SignInWithProvider::new(token);

            /// A provider's authorization URL (the JS v2 `genProviderRedirectUri`).
            fn gen_provider_redirect_uri[self](provider_id: &str, redirect_uri: &str, state: &str) -> $crate::auth::ProviderRedirect
                => $crate::auth::GenProviderRedirectUri::new(provider_id, redirect_uri, state);

            /// Exchanges a provider's authorization code for a provider token (the JS v2
            /// `grantProviderToken`).
            fn grant_provider_token[self](provider_id: &str, code: &str, redirect_uri: &str) -> $crate::auth::ProviderToken
                => $crate::auth::GrantProviderToken::code(provider_id, code, redirect_uri);

            /// Binds the identity a provider token proves to the signed-in user
            /// (`BIND_IDENTITY`).
            fn bind_with_provider[self](token: $crate::auth::ProviderToken) -> ()
                => $crate::auth::BindWithProvider::new(token);


            /// Unbinds a third-party identity from the signed-in user: `DELETE
            /// /auth/v1/user/provider/{provider_id}` (the JS SDK's `unlinkIdentity`, v2
            /// `unbindProvider`).
            #[doc(alias = "unbind_provider")]
            #[doc(alias = "unbindProvider")]
            #[doc(alias = "unlinkIdentity")]
            fn unlink_identity[self](provider_id: &str) -> ()
                => $crate::auth::UnbindProvider::new(provider_id);

            /// Every provider the environment offers, each saying whether it is bound
            /// to the signed-in user (`GET /user/provider`).
            fn get_providers[self]() -> Vec<$crate::auth::Identity>
                => $crate::auth::GetProviders::new();

            /// The identities bound to the signed-in user (`get_providers` filtered on
            /// `bind`).
            fn get_user_identities[self]() -> Vec<$crate::auth::Identity>
                => $crate::auth::GetProviders::new().bound_only();

            /// The session, refreshed first if it is about to expire (no user request;
            /// `None` when signed out).
            fn get_session[self]() -> Option<$crate::Credentials>
                => $crate::auth::GetSession::new();

            /// The session's access token, refreshed first if needed (the JS v2
            /// `getAccessToken`).
            fn get_access_token[self]() -> $crate::Secret
                => $crate::auth::GetAccessToken::new();

            /// Adopts a session obtained elsewhere (the JS SDK's `setSession({access_token,
            /// refresh_token})`): a refresh grant with `refresh_token`, the only part the
            /// service needs (the JS SDK ignores the access token it asks for); `SIGNED_IN`.
            /// A rejection goes to the caller and keeps the current session.
            #[doc(alias = "setSession")]
            fn set_session[self](refresh_token: &str) -> $crate::Credentials
                => $crate::auth::RefreshToken::set_session(refresh_token);


            /// Changes plain profile fields and returns the new profile (`USER_UPDATED`).
            /// Email and phone go through `start_contact_change`.
            fn update_user[self](update: $crate::auth::UserUpdate) -> $crate::auth::User
                => $crate::auth::UpdateUser::new(update);

            /// Sends a code to a new email address or phone number for the signed-in
            /// user; finish with `confirm_contact_change`.
            fn start_contact_change[self](email_or_phone: &str) -> $crate::auth::OtpHandle
                => $crate::auth::SendVerification::for_contact_change($crate::auth::Contact::parse(email_or_phone)?);

            /// Confirms the new contact with its code (`USER_UPDATED`).
            fn confirm_contact_change[self](handle: &$crate::auth::OtpHandle, code: &str) -> $crate::auth::User
                => $crate::auth::ConfirmContactChange::new(handle, code);

            /// Deletes the signed-in user after confirming the password; the session
            /// ends (`SIGNED_OUT`).
            fn delete_user[self](password: &str) -> ()
                => $crate::auth::DeleteUser::new(password);

            /// Deletes the signed-in user with a sudo token (the JS v2 `deleteMe`).
            fn delete_me[self](sudo: &$crate::auth::SudoToken) -> ()
                => $crate::auth::DeleteMe::new(sudo);

            /// Sends a password-recovery code to an email address or phone number (the
            /// JS SDK's `resetPasswordForEmail`); finish with `complete_password_reset`.
            fn reset_password_for_email[self](email_or_phone: &str) -> $crate::auth::OtpHandle
                => $crate::auth::SendVerification::for_recovery($crate::auth::Contact::parse(email_or_phone)?);

            /// Verifies the recovery code, sets the new password (`PASSWORD_RECOVERY`)
            /// and signs in with it (`SIGNED_IN`).
            fn complete_password_reset[self](handle: &$crate::auth::OtpHandle, code: &str, new_password: &str) -> $crate::Credentials
                => $crate::auth::CompletePasswordReset::new(handle, code, new_password);

            /// Sets a new password with a verified contact (the JS v2 `resetPassword`;
            /// `PASSWORD_RECOVERY`).
            fn reset_password[self](verification: $crate::auth::VerificationToken, new_password: &str) -> ()
                => $crate::auth::ResetPassword::new(verification, new_password);

            /// Changes the password, confirming the old one (the JS SDK's
            /// `resetPasswordForOld`).
            fn reset_password_for_old[self](old_password: &str, new_password: &str) -> ()
                => $crate::auth::ChangePassword::new(old_password, new_password);

            /// Sends a code to the signed-in user's own email or phone (the JS SDK's
            /// `reauthenticate`); finish with `complete_reauthentication`.
            fn reauthenticate[self]() -> $crate::auth::OtpHandle
                => $crate::auth::Reauthenticate::new();

            /// Verifies the reauthentication code and returns a sudo token; with
            /// `new_password`, also sets it.
            fn complete_reauthentication[self](handle: &$crate::auth::OtpHandle, code: &str, new_password: Option<&str>) -> $crate::auth::SudoToken
                => $crate::auth::CompleteReauthentication::new(handle, code, new_password.map($crate::Secret::new));

            /// A sudo token from the current password (the JS v2 `sudo`).
            fn sudo[self](password: &str) -> $crate::auth::SudoToken
                => $crate::auth::Sudo::with_password(password);

            /// A sudo token from a verified code of the user's own contact.
            fn sudo_with_verification[self](verification: &$crate::auth::VerificationToken) -> $crate::auth::SudoToken
                => $crate::auth::Sudo::with_verification(verification);

            /// Sets a new password with a sudo token (the JS v2 `setPassword`).
            fn set_password[self](sudo: &$crate::auth::SudoToken, new_password: &str) -> ()
                => $crate::auth::SetPassword::new(sudo, new_password);

            /// Binds a verified phone number (the JS v2 `bindPhoneNumber`;
            /// `USER_UPDATED`). An email verification is refused unsent.
            fn bind_phone_number[self](verification: $crate::auth::VerificationToken, sudo: &$crate::auth::SudoToken) -> ()
                => $crate::auth::BindContact::phone(verification, sudo)?;

            /// Binds a verified email address (the JS v2 `bindEmail`; `USER_UPDATED`).
            /// A phone verification is refused unsent.
            fn bind_email[self](verification: $crate::auth::VerificationToken, sudo: &$crate::auth::SudoToken) -> ()
                => $crate::auth::BindContact::email(verification, sudo)?;

            /// Looks users up by id, login name, email or phone (the JS v2 `queryUser`).
            fn query_user[self](query: $crate::auth::QueryUser) -> $crate::auth::UserQueryResult
                => query;

            /// Whether a login name is taken (the JS v2 `isUsernameRegistered`).
            fn is_username_registered[self](username: &str) -> bool
                => $crate::auth::IsUsernameRegistered::new(username);

            /// A captcha image to show (the JS SDK's `createCaptchaData`).
            fn create_captcha_data[self]() -> $crate::auth::CaptchaChallenge
                => $crate::auth::CreateCaptchaData::with_nonce(&self.state.random_hex(8));

            /// Checks the user's answer to a challenge; the token is cached and attached
            /// to the next call that asks for a captcha (the JS SDK's `verifyCaptchaData`).
            fn verify_captcha_data[self](challenge: &$crate::auth::CaptchaChallenge, answer: &str) -> $crate::auth::CaptchaToken
                => $crate::auth::VerifyCaptchaData::new(challenge, answer);

            /// The cached captcha token, or a new one: with a solver set, a challenge is
            /// fetched, solved and verified; without one the challenge comes back as
            /// `Error::Captcha`.
            fn get_captcha_token[self]() -> $crate::auth::CaptchaToken
                => $crate::auth::GetCaptchaToken::new(&self.state.random_hex(8));

            /// Data sources with their details (`aggregateDataSourceList`), a page of
            /// `page_size`; `envId` is this client's environment.
            fn get_aggregate_data_source_list[self](page_size: u32) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::aggregate_list(page_size);

            /// One data source with its details, by id or name.
            fn get_data_source_aggregate_detail[self](source: $crate::models::DataSourceRef) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::aggregate_detail(source);

            /// Which data sources use these tables.
            fn get_data_source_by_table_name[self](table_names: &[&str]) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::by_table_names(table_names.iter().copied());

            /// A page of basic data-source records (`POST basicDataSourceList`).
            fn get_basic_data_source_list[self](page_num: u32, page_size: u32) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::basic_list(page_num, page_size);

            /// One basic data-source record, by id or name.
            fn get_basic_data_source[self](source: $crate::models::DataSourceRef) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::basic(source);

            /// Relations of these data sources.
            fn get_schema_list[self](data_source_names: &[&str]) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::schema_list(data_source_names.iter().copied());

            /// Asks the server whether an access token is active (signed by this
            /// environment, unexpired, not revoked), with its claims: the online
            /// alternative to `verify_access_token`, which also sees revocation.
            fn introspect_token[self](token: &str) -> $crate::auth::TokenIntrospection
                => $crate::auth::IntrospectToken::new(token)?;

            /// The tables behind a data source.
            fn get_table_name[self](data_source_name: &str) -> $crate::serde_json::Value
                => $crate::models::DataSourceCall::table_name(data_source_name);
        }
    };
}

/// Expands [`client_operations!`](crate::client_operations)' entries into methods:
/// `;` first for blocking ones, `async;` for async ones.
#[macro_export]
#[doc(hidden)]
macro_rules! __client_operation_methods {
    (; $( $(#[$doc:meta])* fn $name:ident [$s:tt] ($($arg:ident : $ty:ty),*) -> $out:ty => $op:expr; )*) => {
        $( $(#[$doc])* pub fn $name(&$s $(, $arg: $ty)*) -> Result<$out, $crate::Error> { $s.execute($op) } )*
    };
    (async; $( $(#[$doc:meta])* fn $name:ident [$s:tt] ($($arg:ident : $ty:ty),*) -> $out:ty => $op:expr; )*) => {
        // The call bound first: an operation left as a temporary of the awaiting
        // statement would stay in this future beside the call's own copy.
        $( $(#[$doc])* pub async fn $name(&$s $(, $arg: $ty)*) -> Result<$out, $crate::Error> { let call = $s.execute($op); call.await } )*
    };
}

/// Expands to the convenience methods inside an adapter's `impl Client`, which must
/// have `fn execute(&self, op)` and a `state: SharedState` field (the call is bound
/// before it is awaited, so the operation is not kept twice in the future). Blocking:
/// `client_methods!(,)`; async: `client_methods!(async, .await)`.
#[macro_export]
#[doc(hidden)]
macro_rules! client_methods {
    ($($async:ident)?, $($await:tt)*) => {
        $crate::client_operations!([$crate::__client_operation_methods] $($async)? ;);

        /// Calls cloud function `name` with `data` (not retried after it may have
        /// reached the server; use `execute` with `CallFunction::idempotent` for that).
        pub $($async)? fn call_function<T: $crate::serde::Serialize + ?Sized>(&self, name: &str, data: &T) -> Result<$crate::functions::FunctionResult, $crate::Error> {
            let call = self.execute($crate::functions::CallFunction::new(name)?.data(data)?);
            call $($await)*
        }

        /// Signs in with a custom-login ticket minted by your server (`SIGNED_IN`).
        pub $($async)? fn sign_in_with_custom_ticket(&self, ticket: impl Into<$crate::Secret>) -> Result<$crate::Credentials, $crate::Error> {
            let call = self.execute($crate::auth::SignInWithCustomTicket::new(ticket));
            call $($await)*
        }

        /// Signs in with a ticket from `get_ticket` (e.g. a call to your server, the
        /// JS SDK's `setCustomSignFunc`); its error is returned as an input error and
        /// nothing is sent.
        pub $($async)? fn sign_in_with_custom_ticket_from<E: std::fmt::Display>(&self, get_ticket: impl FnOnce() -> Result<String, E>) -> Result<$crate::Credentials, $crate::Error> {
            let call = self.execute($crate::auth::SignInWithCustomTicket::from_source(get_ticket())?);
            call $($await)*
        }

        /// Verifies a user's access token (the bearer a web or mobile client sent)
        /// on a backend: RS256 against the environment's key set (fetched once,
        /// cached, refetched for an unknown `kid`), `exp`/`nbf`/`iat` with the
        /// configured leeway, and the environment claims. Refusals are
        /// `Error::Token` (`Expired`, `Signature`, `UnknownKey`, …). Needs the
        /// `backend` feature.
        #[cfg(feature = "backend")]
        pub $($async)? fn verify_access_token(&self, token: &str) -> Result<$crate::backend::VerifiedClaims, $crate::Error> {
            let call = self.execute($crate::backend::VerifyAccessToken::new(token));
            call $($await)*
        }

        /// Verifies access tokens with these keys from now on, never fetching
        /// (offline use; `KeySet::from_jwks` or `KeySet::from_pem`). Needs the
        /// `backend` feature.
        #[cfg(feature = "backend")]
        pub fn use_key_set(&self, keys: $crate::backend::KeySet) {
            self.state.use_key_set(keys);
        }

        /// A custom-login ticket for `uid`, signed now with `key` (the node-sdk's
        /// `createTicket`): a client signs in with it through
        /// `sign_in_with_custom_ticket`. Refused unsigned: a uid outside
        /// `[a-zA-Z0-9_-#@~=*(){}[]:.,<>+]{4,32}`, a key of another environment.
        /// Nothing is sent. Needs the `backend` feature.
        #[cfg(feature = "backend")]
        pub fn create_ticket(&self, key: &$crate::backend::CustomLoginKey, uid: &str) -> Result<$crate::Secret, $crate::Error> {
            self.create_ticket_with_options(key, uid, &$crate::backend::TicketOptions::new())
        }

        /// [`Self::create_ticket`] with the ticket's `refresh` and `expire` chosen.
        #[cfg(feature = "backend")]
        pub fn create_ticket_with_options(&self, key: &$crate::backend::CustomLoginKey, uid: &str, options: &$crate::backend::TicketOptions) -> Result<$crate::Secret, $crate::Error> {
            Ok($crate::backend::create_ticket(key, self.state.env_id(), uid, options, self.clock())?)
        }

        /// The session's scope (`anonymous`, `user`, …), `None` when signed out (the
        /// JS v2 `loginScope`; local).
        pub fn login_scope(&self) -> Option<String> {
            self.state.session().credentials().and_then(|c| c.scope.clone())
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

        /// AI: chat with models (whole or streamed) and message agents, with this
        /// client's session or key (`/v1/ai/…`, `/v1/aibot/…`).
        pub fn ai(&self) -> ai::Ai {
            ai::Ai { client: self.clone() }
        }

        /// Data models (`/v1/model/...`) in the `prod` data environment; `.env(…)`
        /// switches to `pre`.
        pub fn models(&self) -> Models {
            Models { client: self.clone(), env: $crate::models::DataEnv::Prod }
        }

        /// MySQL REST (`/v1/rdb/rest/...`) with Flutter-style filter maps.
        pub fn mysql(&self) -> Mysql {
            Mysql { client: self.clone() }
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
