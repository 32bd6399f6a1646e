//! The admin token of server credentials: obtained before the first gateway call,
//! renewed before it expires, one request in flight for all calls (the refresh slot).

use std::time::SystemTime;

use super::{Call, Phase, Step};
use crate::auth::ObtainServerToken;
use crate::client_state::ClientState;
use crate::error::Error;
use crate::operation::Operation;

impl<O: Operation> Call<O> {
    /// Before a gateway call that will carry the admin token: obtain or renew it when
    /// it is missing, expiring within the margin, or was rejected.
    pub(super) fn prepare_server_token(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
    ) -> Option<Step<O::Output>> {
        let expires_at = state.server_token.as_ref().map(|t| t.expires_at);
        if let Some(step) = self.renewal_due(state, now, expires_at) {
            return step;
        }
        let ticket = state.refresh.start();
        tracing::debug!(
            request_id = self.rid(),
            forced = self.force_renewal,
            "obtaining the server-credential token"
        );
        self.phase = Phase::ServerToken {
            call: Box::new(Call::new(ObtainServerToken)),
            ticket,
            forced: std::mem::take(&mut self.force_renewal),
        };
        None
    }

    /// Advances the token exchange; `None` once it is over and the call goes on.
    pub(super) fn server_token_step(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        mut call: Box<Call<ObtainServerToken>>,
        ticket: u64,
        forced: bool,
    ) -> Option<Step<O::Output>> {
        match call.poll(state, now) {
            Step::Send(request) => {
                self.phase = Phase::ServerToken {
                    call,
                    ticket,
                    forced,
                };
                Some(Step::Send(request))
            }
            Step::Sleep(until) => {
                self.phase = Phase::ServerToken {
                    call,
                    ticket,
                    forced,
                };
                Some(Step::Sleep(until))
            }
            Step::Wait { .. } | Step::Store(_) => {
                state.refresh.finish(ticket);
                Some(self.finish(Err(Error::Internal("a token exchange cannot wait"))))
            }
            Step::Done(Ok(token)) => {
                state.server_token = Some(token);
                state.refresh.finish(ticket);
                self.renewals = self.renewals.saturating_add(1);
                self.phase = Phase::Ready;
                None
            }
            Step::Done(Err(error)) => {
                state.refresh.finish(ticket);
                let still_valid = state
                    .server_token
                    .as_ref()
                    .is_some_and(|t| now < t.expires_at);
                if still_valid && !forced {
                    tracing::info!(request_id = self.rid(), %error, "token exchange failed; the current token is still valid");
                    self.renewal_failed = true;
                    self.phase = Phase::Ready;
                    None
                } else {
                    Some(self.finish(Err(error)))
                }
            }
        }
    }
}
