//! A backend on both adapters against the in-process emulator: server credentials,
//! custom-login tickets, token verification and introspection.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

macro_rules! for_both_adapters {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            $(#[test] fn $name() { super::common::backend_scenarios::$name::<cloudbase_blocking::Client>() })*
        }
        mod async_reqwest {
            $(#[test] fn $name() { super::common::backend_scenarios::$name::<super::common::AsyncClient>() })*
        }
    };
}

for_both_adapters!(
    server_credentials_are_exchanged_once_and_renewed_once_under_load,
    a_wrong_server_secret_is_the_servers_error,
    a_ticket_minted_with_the_sdk_signs_a_client_in_as_the_uid,
    a_backend_verifies_ten_thousand_tokens_with_one_key_fetch,
    verification_refuses_forgeries_and_works_offline,
    introspection_says_active_then_inactive_after_sign_out,
);
