//! The admin token of server credentials: obtained before the first gateway call,
//! renewed before it expires, one request in flight for all calls (the refresh slot).

use std::time::SystemTime;

use super::{Call, MAX_RENEWALS_PER_CALL, Phase, Step};
use crate::auth::ObtainServerToken;
use crate::client_state::ClientState;
use crate::error::{Error, SessionError};
use crate::operation::Operation;

impl<O: Operation> Call<O> {
    /// Before a gateway call that will carry the admin token: obtain or renew it when
    /// it is missing, expiring within the margin, or was rejected.
    pub(super) fn prepare_server_token(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
    ) -> Option<Step<O::Output>> {
        let margin = state.config.refresh_margin();
        let token = state.server_token.as_ref();
        let expired = token.is_none_or(|t| now >= t.expires_at);
        // As for sessions: renew for the margin once per call, again only for a
        // rejected or expired token.
        let near_expiry =
            token.is_some_and(|t| t.expires_within(now, margin)) && self.renewals == 0;
        let wants_renewal = self.force_renewal || expired || near_expiry;
        if !wants_renewal || (self.renewal_failed && !expired) {
            return None;
        }
        if self.renewals >= MAX_RENEWALS_PER_CALL {
            return if expired {
                Some(self.finish(Err(SessionError::SessionExpired.into())))
            } else {
                None
            };
        }
        self.renewal_failed = false;
        if state.refresh.in_flight() {
            let (generation, until) = state.wait_for_refresh(now);
            self.phase = Phase::AwaitingRenewal { generation, until };
            return Some(Step::Wait { generation, until });
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
