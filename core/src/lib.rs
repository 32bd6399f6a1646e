//! Sans-IO core of the Tencent CloudBase SDK.
//!
//! This crate knows the protocol and performs no I/O: it turns operations into
//! [`http::Request`] values and [`http::Response`] values into typed results, and
//! decides what happens next (retry after a delay, store credentials). It never reads
//! a clock, sleeps, opens a socket or draws thread-local randomness: time and
//! randomness come in as arguments, which makes every rule testable on virtual time.
//!
//! Use it through an adapter: `cloudbase-blocking` (ureq) or `cloudbase-async`
//! (reqwest + tokio). Both drive the same [`Call`] state machine, so they behave the
//! same.
//!
//! Driving a call by hand, with a canned response instead of a network:
//!
//! ```
//! use std::time::SystemTime;
//! use cloudbase_core::{auth::SignInAnonymously, Call, ClientState, Config, Step};
//! use rand::SeedableRng;
//!
//! let config = Config::builder("demo-env").build()?;
//! let mut state = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(1)));
//! let mut call = Call::new(SignInAnonymously::new());
//! let now = SystemTime::now();
//!
//! let Step::Send(request) = call.poll(&mut state, now) else { unreachable!() };
//! assert_eq!(request.uri().path(), "/auth/v1/signin/anonymously");
//!
//! let body = br#"{"access_token":"a.b.c","expires_in":7200,"scope":"anonymous","sub":"anon-1"}"#;
//! call.on_response(now, http::Response::new(body.to_vec()));
//! let Step::Done(Ok(credentials)) = call.poll(&mut state, now) else { unreachable!() };
//! assert_eq!(credentials.sub.as_deref(), Some("anon-1"));
//! assert!(state.session().credentials().is_some());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod ai;
pub mod auth;
#[cfg(feature = "backend")]
pub mod backend;
pub mod call;
mod captcha;
mod client_api;
mod client_state;
pub mod coordination;
mod data_api;
pub mod operation;
pub mod persistence;
mod refresh_slot;
mod service_api;
mod shared_state;
#[doc(hidden)]
pub use http;
#[doc(hidden)]
pub use serde;
#[doc(hidden)]
pub use serde_json;
mod codes;
pub mod config;
pub mod error;
pub mod events;
pub mod expiry;
pub mod functions;
pub mod ids;
pub mod in_flight;
pub mod models;
pub mod rdb;
pub mod request;
pub mod response;
pub mod retry;
mod secret;
pub mod session;
pub mod sse;
pub mod storage;
pub mod store;
pub mod stream;
pub mod transfer;
mod transport_options;
mod verification_options;

/// What an application using an adapter needs in scope; both adapters re-export it,
/// so their public surfaces cannot drift apart.
pub mod prelude {
    pub use crate::auth::User;
    pub use crate::config::VerificationOptions;
    pub use crate::events::AuthEventItem;
    pub use crate::functions::{CallFunction, FunctionResult};
    pub use crate::http::Method;
    pub use crate::{
        AuthErrorCode, AuthEvent, AuthEventKind, BuildError, Config, ConfigError, Credential,
        Credentials, DecodeError, Error, GatewayErrorCode, Language, ListenerId, OneShot,
        Operation, RetryPolicy, Secret, ServerCode, ServerError, Session, SessionError, TokenError,
        TransportError, TransportErrorKind, TransportOptions,
    };
}

pub use call::{Call, Step};
pub use client_state::ClientState;
pub use codes::{AuthErrorCode, GatewayErrorCode};
pub use config::{Config, ConfigBuilder, ConfigError, Credential, Language, TransportOptions};
pub use error::{
    BuildError, DecodeError, Error, JsonError, PostgrestDetails, ServerCode, ServerError,
    SessionError, TokenError, TransportError, TransportErrorKind,
};
pub use operation::{
    AnswerContext, Detached, OneShot, Operation, Progress, RequestContext, ResponseContext,
};
pub use request::{HttpRequest, HttpResponse};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use session::{AuthEvent, AuthEventKind, Credentials, Session};
pub use shared_state::{ActiveCall, ListenerId, SharedState};
