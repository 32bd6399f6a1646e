//! Server error codes as typed enums, each with an `Unknown` fallback so a code the
//! SDK has not heard of yet is kept, not lost.

/// Declares a `#[non_exhaustive]` enum of wire strings with an `Unknown(String)`
/// fallback, plus `as_str`, `Display`, `From<&str>` and string serde.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $(#[$vdoc:meta])* $variant:ident = $wire:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`: ")]
                $(#[$vdoc])*
                $variant,
            )*
            /// A code this version of the SDK does not know, kept as sent.
            Unknown(String),
        }

        impl $name {
            /// The code as it appears on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Unknown(s) => s,
                }
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok($name::from(s.as_ref()))
            }
        }
    };
}

wire_enum! {
    /// The `error` field of an auth (`/auth/v1/*`) failure (docs/protocol/errors.md §2); a number in parentheses is the `error_code` the service pairs with it.
    AuthErrorCode {
        /// The user token is missing, expired or revoked (error_code 16); the SDK refreshes once and replays.
        Unauthenticated = "unauthenticated",
        /// Too many requests, e.g. codes sent to one contact (8); `retry_after` says when to try again.
        ResourceExhausted = "resource_exhausted",
        /// The account is not in the state the call needs: a contact already bound, a user that exists (or not) against the `target` (9).
        FailedPrecondition = "failed_precondition",
        /// A field is missing or malformed; also a wrong, expired or used verification code (3): see `Error::is_invalid_verification_code`.
        InvalidArgument = "invalid_argument",
        /// The server gave up waiting on a dependency; retryable.
        DeadlineExceeded = "deadline_exceeded",
        /// The thing asked for does not exist (5).
        NotFound = "not_found",
        /// Creating something that exists, e.g. a user name taken at sign-up (6).
        AlreadyExists = "already_exists",
        /// The caller may not do this, often a sign-in method not enabled in the console (7).
        PermissionDenied = "permission_denied",
        /// The server aborted, e.g. the mail server refused a code (10).
        Aborted = "aborted",
        /// A value outside what the server accepts.
        OutOfRange = "out_of_range",
        /// The endpoint or method is not offered (12).
        Unimplemented = "unimplemented",
        /// A server failure (13).
        Internal = "internal",
        /// The service is unavailable for now (14); retryable.
        Unavailable = "unavailable",
        /// Unrecoverable data loss on the server.
        DataLoss = "data_loss",
        /// The server did not classify the failure.
        UnknownError = "unknown",
        /// The request was cancelled on the server.
        Cancelled = "cancelled",
        /// The password given to sudo or a password change is wrong.
        InvalidPassword = "invalid_password",
        /// A password sign-in for a user who has none.
        PasswordNotSet = "password_not_set",
        /// The account status forbids the call.
        InvalidStatus = "invalid_status",
        /// The account awaits activation.
        UserPending = "user_pending",
        /// The account is blocked.
        UserBlocked = "user_blocked",
        /// The account is under review.
        UnderReview = "under_review",
        /// A verification code that does not match (in the docs; the service usually answers `invalid_argument` instead).
        InvalidVerificationCode = "invalid_verification_code",
        /// A second factor is needed.
        TwoFactorRequired = "two_factor_required",
        /// The second factor does not match.
        InvalidTwoFactor = "invalid_two_factor",
        /// The recovery code does not match.
        InvalidTwoFactorRecovery = "invalid_two_factor_recovery",
        /// A password sign-in with a wrong login or password: what the service answers for both.
        InvalidUsernameOrPassword = "invalid_username_or_password",
        /// Credentials the server refuses (older wording of a failed sign-in).
        InvalidCredentials = "invalid_credentials",
        /// A wrong password (older wording).
        WrongPassword = "wrong_password",
        /// No user matches the login or id.
        UserNotFound = "user_not_found",
        /// The account must bind a phone first (4042).
        MfaPhoneRequired = "mfa_phone_required",
        /// An OAuth request the server cannot read.
        InvalidRequest = "invalid_request",
        /// The client id may not use this grant, or a wrong client secret (4022).
        UnauthorizedClient = "unauthorized_client",
        /// OAuth consent refused, or a sign-in method not enabled.
        AccessDenied = "access_denied",
        /// An OAuth `response_type` the server does not offer.
        UnsupportedResponseType = "unsupported_response_type",
        /// An OAuth scope the client may not ask for.
        InvalidScope = "invalid_scope",
        /// A refresh token, code or provider token that is unknown, spent or expired: the session is over (`SIGNED_OUT`).
        InvalidGrant = "invalid_grant",
        /// An OAuth server failure.
        ServerError = "server_error",
        /// The OAuth server is busy.
        TemporarilyUnavailable = "temporarily_unavailable",
        /// OAuth needs the user in front of a browser.
        InteractionRequired = "interaction_required",
        /// OAuth needs a signed-in user.
        LoginRequired = "login_required",
        /// OAuth needs the user to pick an account.
        AccountSelectionRequired = "account_selection_required",
        /// OAuth needs consent from the user.
        ConsentRequired = "consent_required",
        /// An OAuth `request_uri` the server refuses.
        InvalidRequestUri = "invalid_request_uri",
        /// An OAuth request object the server refuses.
        InvalidRequestObject = "invalid_request_object",
        /// OAuth request objects are not supported.
        RequestNotSupported = "request_not_supported",
        /// OAuth `request_uri` is not supported.
        RequestUriNotSupported = "request_uri_not_supported",
        /// OAuth dynamic registration is not supported.
        RegistrationNotSupported = "registration_not_supported",
        /// The call needs a captcha token first (4001); met by the captcha flow.
        CaptchaRequired = "captcha_required",
        /// The captcha token sent is not valid (4002); met by the captcha flow.
        CaptchaInvalid = "captcha_invalid",
        /// The identity provider is not enabled in the console.
        ProviderNotEnabled = "provider_not_enabled",
        /// This sign-in method is disabled in the console.
        LoginMethodDisabled = "login_method_disabled",
        /// This sign-in type is disabled in the console (4045).
        LoginTypeDisabled = "login_type_disabled",
        /// The third-party provider failed (4019).
        ProviderError = "provider_error",
        /// The client id does not exist.
        InvalidClient = "invalid_client",
        /// A `grant_type` the token endpoint does not know.
        UnsupportedGrantType = "unsupported_grant_type",
        /// A wrong captcha answer, or an unknown captcha token.
        InvalidCaptcha = "invalid_captcha",
        /// A captcha challenge past its lifetime.
        CaptchaExpired = "captcha_expired",
        /// A captcha challenge already answered.
        CaptchaUsed = "captcha_used",
    }
}

wire_enum! {
    /// The `code` field of a gateway (`/v1/*`) failure (docs/protocol/errors.md §5).
    GatewayErrorCode {
        /// The bearer is missing, malformed, expired or revoked.
        InvalidAccessToken = "INVALID_ACCESS_TOKEN",
        /// The user token expired: the SDK refreshes once and replays.
        AccessTokenExpired = "ACCESS_TOKEN_EXPIRED",
        /// A function security rule refused the caller.
        ExceedAuthority = "EXCEED_AUTHORITY",
        /// An identity or role policy refused the call.
        ActionForbidden = "ACTION_FORBIDDEN",
        /// The body of the function call is not valid (HTTP 400).
        FunctionParamInvalid = "FUNCTION_PARAM_INVALID",
        /// No Cloud Run service of that name.
        ServiceNotFound = "SERVICE_NOT_FOUND",
        /// The Cloud Run service did not answer in time.
        ServiceTimeout = "SERVICE_TIMEOUT",
        /// The Cloud Run service refuses the caller.
        ServiceForbidden = "SERVICE_FORBIDDEN",
        /// The Cloud Run service is starting or scaling.
        ServiceNotReady = "SERVICE_NOT_READY",
        /// No such Cloud Run version.
        ServiceVersionNotFound = "SERVICE_VERSION_NOT_FOUND",
        /// No such Cloud Run endpoint.
        ServiceEndpointNotFound = "SERVICE_ENDPOINT_NOT_FOUND",
        /// The Cloud Run load balancer is unhealthy.
        ServiceLbStatusAbnormal = "SERVICE_LB_STATUS_ABNORMAL",
        /// A resource the Cloud Run service needs is missing.
        ServiceResourceNotFound = "SERVICE_RESOURCE_NOT_FOUND",
        /// The account is in arrears.
        ServiceChargeOverdue = "SERVICE_CHARGE_OVERDUE",
        /// A parameter is missing or malformed (HTTP 400).
        InvalidParam = "INVALID_PARAM",
        /// The request cannot be served: SQL errors or missing permission fields (400), a single-object read that matched other than one row (406).
        InvalidRequest = "INVALID_REQUEST",
        /// Not authenticated (401) or not allowed (403).
        PermissionDenied = "PERMISSION_DENIED",
        /// No such function, table, model or route (404).
        ResourceNotFound = "RESOURCE_NOT_FOUND",
        /// A server failure (500).
        SysErr = "SYS_ERR",
        /// The database connection failed (503); retryable.
        OperationFailed = "OPERATION_FAILED",
        /// The resource is unavailable for now (503); retryable.
        ResourceUnavailable = "RESOURCE_UNAVAILABLE",
        /// The cloud path names no bucket.
        StorageBucketNotFound = "STORAGE_BUCKET_NOT_FOUND",
        /// An upload without a signed length.
        StorageContentLengthRequired = "STORAGE_CONTENT_LENGTH_REQUIRED",
        /// A rate limit set in the console (HTTP 422): the call did not run, so it is retried with backoff for any operation.
        ExceedRequestLimit = "EXCEED_REQUEST_LIMIT",
        /// Too many calls at once: the call did not run, so it is retried with backoff for any operation.
        ExceedConcurrentRequestLimit = "EXCEED_CONCURRENT_REQUEST_LIMIT",
        /// A conflicting transaction (HTTP 503): the write was not applied, so it is retried with backoff for any operation.
        DatabaseTransactionConflict = "DATABASE_TRANSACTION_CONFLICT",
        /// The AI token quota is used up: not retried.
        ExceedTokenQuotaLimit = "EXCEED_TOKEN_QUOTA_LIMIT",
        /// AI: the model's configuration (e.g. the vendor's API key) is missing in the environment; not retried.
        AiModelConfigMissing = "AI_MODEL_CONFIG_MISSING",
        /// AI: the call's parameters are invalid (the caller's to fix).
        AiModelParamInvalid = "AI_MODEL_PARAM_INVALID",
        /// AI: `model` is missing from the body.
        AiModelParamRequired = "AI_MODEL_PARAM_REQUIRED",
        /// AI: the model is not supported or not enabled for this provider group.
        AiModelNotSupported = "AI_MODEL_NOT_SUPPORTED",
        /// AI: no such model, or no such provider group.
        AiModelNotFound = "AI_MODEL_NOT_FOUND",
        /// AI: the model is switched off in the console (may clear after about 2 minutes); not retried automatically.
        AiModelDisabled = "AI_MODEL_DISABLED",
        /// AI: the upstream model request failed.
        AiModelRequestFailed = "AI_MODEL_REQUEST_FAILED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_and_unknown_codes_round_trip() {
        assert_eq!(
            AuthErrorCode::from("invalid_grant"),
            AuthErrorCode::InvalidGrant
        );
        assert_eq!(AuthErrorCode::from("unknown"), AuthErrorCode::UnknownError);
        let novel = AuthErrorCode::from("brand_new_code");
        assert_eq!(novel, AuthErrorCode::Unknown("brand_new_code".into()));
        assert_eq!(novel.as_str(), "brand_new_code");
        let g: GatewayErrorCode =
            serde_json::from_str("\"ACCESS_TOKEN_EXPIRED\"").unwrap_or(GatewayErrorCode::SysErr);
        assert_eq!(g, GatewayErrorCode::AccessTokenExpired);
        assert_eq!(g.to_string(), "ACCESS_TOKEN_EXPIRED");
    }
}
