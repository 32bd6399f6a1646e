//! Server error codes as typed enums, each with an `Unknown` fallback so a code the
//! SDK has not heard of yet is kept, not lost.

/// Declares a `#[non_exhaustive]` enum of wire strings with an `Unknown(String)`
/// fallback, plus `as_str`, `Display`, `From<&str>` and string serde.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident { $( $variant:ident = $wire:literal ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $(
                #[doc = concat!("`", $wire, "`")]
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
    /// The `error` field of an auth (`/auth/v1/*`) failure (docs/protocol/errors.md §2).
    AuthErrorCode {
        Unauthenticated = "unauthenticated",
        ResourceExhausted = "resource_exhausted",
        FailedPrecondition = "failed_precondition",
        InvalidArgument = "invalid_argument",
        DeadlineExceeded = "deadline_exceeded",
        NotFound = "not_found",
        AlreadyExists = "already_exists",
        PermissionDenied = "permission_denied",
        Aborted = "aborted",
        OutOfRange = "out_of_range",
        Unimplemented = "unimplemented",
        Internal = "internal",
        Unavailable = "unavailable",
        DataLoss = "data_loss",
        UnknownError = "unknown",
        Cancelled = "cancelled",
        InvalidPassword = "invalid_password",
        PasswordNotSet = "password_not_set",
        InvalidStatus = "invalid_status",
        UserPending = "user_pending",
        UserBlocked = "user_blocked",
        UnderReview = "under_review",
        InvalidVerificationCode = "invalid_verification_code",
        TwoFactorRequired = "two_factor_required",
        InvalidTwoFactor = "invalid_two_factor",
        InvalidTwoFactorRecovery = "invalid_two_factor_recovery",
        InvalidUsernameOrPassword = "invalid_username_or_password",
        InvalidCredentials = "invalid_credentials",
        WrongPassword = "wrong_password",
        UserNotFound = "user_not_found",
        MfaPhoneRequired = "mfa_phone_required",
        InvalidRequest = "invalid_request",
        UnauthorizedClient = "unauthorized_client",
        AccessDenied = "access_denied",
        UnsupportedResponseType = "unsupported_response_type",
        InvalidScope = "invalid_scope",
        InvalidGrant = "invalid_grant",
        ServerError = "server_error",
        TemporarilyUnavailable = "temporarily_unavailable",
        InteractionRequired = "interaction_required",
        LoginRequired = "login_required",
        AccountSelectionRequired = "account_selection_required",
        ConsentRequired = "consent_required",
        InvalidRequestUri = "invalid_request_uri",
        InvalidRequestObject = "invalid_request_object",
        RequestNotSupported = "request_not_supported",
        RequestUriNotSupported = "request_uri_not_supported",
        RegistrationNotSupported = "registration_not_supported",
        CaptchaRequired = "captcha_required",
        CaptchaInvalid = "captcha_invalid",
        ProviderNotEnabled = "provider_not_enabled",
        LoginMethodDisabled = "login_method_disabled",
        LoginTypeDisabled = "login_type_disabled",
        ProviderError = "provider_error",
        InvalidClient = "invalid_client",
        UnsupportedGrantType = "unsupported_grant_type",
        InvalidCaptcha = "invalid_captcha",
        CaptchaExpired = "captcha_expired",
        CaptchaUsed = "captcha_used",
    }
}

wire_enum! {
    /// The `code` field of a gateway (`/v1/*`) failure (docs/protocol/errors.md §5).
    GatewayErrorCode {
        InvalidAccessToken = "INVALID_ACCESS_TOKEN",
        AccessTokenExpired = "ACCESS_TOKEN_EXPIRED",
        ExceedAuthority = "EXCEED_AUTHORITY",
        ActionForbidden = "ACTION_FORBIDDEN",
        FunctionParamInvalid = "FUNCTION_PARAM_INVALID",
        ServiceNotFound = "SERVICE_NOT_FOUND",
        ServiceTimeout = "SERVICE_TIMEOUT",
        ServiceForbidden = "SERVICE_FORBIDDEN",
        ServiceNotReady = "SERVICE_NOT_READY",
        ServiceVersionNotFound = "SERVICE_VERSION_NOT_FOUND",
        ServiceEndpointNotFound = "SERVICE_ENDPOINT_NOT_FOUND",
        ServiceLbStatusAbnormal = "SERVICE_LB_STATUS_ABNORMAL",
        ServiceResourceNotFound = "SERVICE_RESOURCE_NOT_FOUND",
        ServiceChargeOverdue = "SERVICE_CHARGE_OVERDUE",
        InvalidParam = "INVALID_PARAM",
        InvalidRequest = "INVALID_REQUEST",
        PermissionDenied = "PERMISSION_DENIED",
        ResourceNotFound = "RESOURCE_NOT_FOUND",
        SysErr = "SYS_ERR",
        OperationFailed = "OPERATION_FAILED",
        ResourceUnavailable = "RESOURCE_UNAVAILABLE",
        StorageBucketNotFound = "STORAGE_BUCKET_NOT_FOUND",
        StorageContentLengthRequired = "STORAGE_CONTENT_LENGTH_REQUIRED",
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
