//! The session renewal a call performs on behalf of all calls: the refresh grant,
//! or a new anonymous sign-in for anonymous sessions without a refresh token.

use std::time::SystemTime;

use super::{Call, Step};
use crate::auth::{RefreshToken, SignInAnonymously};
use crate::client_state::ClientState;
use crate::error::TransportError;
use crate::request::HttpResponse;
use crate::secret::Secret;
use crate::session::Credentials;

/// A session renewal this call performs on behalf of all calls.
pub(super) enum Renewal {
    Refresh {
        call: Call<RefreshToken>,
        /// The refresh token the grant sends.
        sent: Secret,
        anonymous: bool,
    },
    Anonymous(Call<SignInAnonymously>),
}

impl Renewal {
    pub(super) fn for_credentials(creds: &Credentials) -> Option<Self> {
        match &creds.refresh_token {
            Some(rt) => {
                let anonymous = creds.is_anonymous();
                let mut op = RefreshToken::new(rt.clone()).within_held_slot();
                if anonymous {
                    // An anonymous session falls back to a new anonymous sign-in.
                    op = op.keep_session_on_rejection();
                }
                Some(Renewal::Refresh {
                    call: Call::new(op),
                    sent: rt.clone(),
                    anonymous,
                })
            }
            None if creds.is_anonymous() => {
                Some(Renewal::Anonymous(Call::new(SignInAnonymously::renewal())))
            }
            None => None,
        }
    }

    /// The same renewal, but a rejected refresh leaves the session to the caller
    /// (which re-reads a shared store before deciding).
    pub(super) fn keeping_session_on_rejection(self) -> Self {
        match self {
            Renewal::Refresh {
                sent, anonymous, ..
            } => Renewal::Refresh {
                call: Call::new(
                    RefreshToken::new(sent.clone())
                        .within_held_slot()
                        .keep_session_on_rejection(),
                ),
                sent,
                anonymous,
            },
            other => other,
        }
    }

    pub(super) fn poll(&mut self, state: &mut ClientState, now: SystemTime) -> Step<Credentials> {
        match self {
            Renewal::Refresh { call, .. } => call.poll(state, now),
            Renewal::Anonymous(call) => call.poll(state, now),
        }
    }

    pub(super) fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        match self {
            Renewal::Refresh { call, .. } => call.on_response(now, response),
            Renewal::Anonymous(call) => call.on_response(now, response),
        }
    }

    pub(super) fn on_failure(&mut self, failure: TransportError) {
        match self {
            Renewal::Refresh { call, .. } => call.on_failure(failure),
            Renewal::Anonymous(call) => call.on_failure(failure),
        }
    }
}
