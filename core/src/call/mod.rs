//! The per-call driver every adapter polls, and the session machine inside it.
//!
//! ```text
//! let mut call = shared.start(op);
//! loop {
//!     match call.poll(now()) {
//!         Step::Send(request) => match send(request) {
//!             Ok(response) => call.on_response(now(), response),
//!             Err(failure) => call.on_failure(failure),
//!         },
//!         Step::Sleep(until) => sleep_until(until),
//!         Step::Wait { generation, until } => wait_for_generation_past(generation, until),
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```
//!
//! The driver owns every decision: headers, credentials, retries, error mapping, and
//! the session rules of docs/protocol/auth.md §3 —
//! - a call that uses the user's token refreshes it first when it expires within the
//!   margin (30 s by default); anonymous sessions without a refresh token sign in
//!   anonymously again;
//! - at most one refresh is in flight per client: other calls get [`Step::Wait`] and
//!   continue with its result;
//! - a gateway `ACCESS_TOKEN_EXPIRED` (or an auth `unauthenticated`) answer forces one
//!   refresh and one replay of the call;
//! - `invalid_grant` ends the session (`SIGNED_OUT`), while a transport failure or a
//!   5xx during refresh keeps it: the current token is used while it is still valid,
//!   and otherwise the caller gets a retryable error.
//!
//! Time comes in as an argument, so tests drive all of this on a virtual clock.

mod captcha;
mod coordinated;
mod renewal;
mod server_token;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use rand_core::RngCore;

use crate::auth::refresh::ends_session;
use crate::auth::{CaptchaChallenge, CaptchaSolver, SignInAnonymously};
use crate::client_state::ClientState;
use crate::codes::{AuthErrorCode, GatewayErrorCode};
use crate::error::{Error, ServerError, SessionError, TransportError};
use crate::ids;
use crate::operation::{
    AnswerContext, Detached, Operation, Progress, RequestContext, ResponseContext,
};
use crate::persistence::{StoreReply, StoreTask};
use crate::request::{
    self, Access, Api, Envelope, HttpRequest, HttpResponse, RequestIdStyle, RequestSpec,
};
use crate::response::check_status;
use crate::retry::{self, AttemptFailure, RetryDecision, is_retryable_status, parse_retry_after};
use crate::secret::Secret;
use captcha::CaptchaFlow;
use coordinated::StorePurpose;
use renewal::Renewal;

/// What the adapter must do next.
#[derive(Debug)]
#[must_use]
pub enum Step<T> {
    /// Send this request, then call [`Call::on_response`] or [`Call::on_failure`].
    Send(HttpRequest),
    /// Sleep until this time, then poll again.
    Sleep(SystemTime),
    /// Another call is refreshing the session: wait until the refresh generation
    /// moves past `generation` (the waker says so) or until `until`, then poll again.
    Wait {
        /// The generation seen.
        generation: u64,
        /// The latest time to wait until.
        until: SystemTime,
    },
    /// Run this store task (it may block on a file lock: off any async runtime),
    /// keeping the lock guard it fills until a later task or the call's end, then
    /// call [`Call::on_store`] with its reply. Only for stores shared between
    /// processes ([`crate::coordination`]).
    Store(StoreTask),
    /// The call is over.
    Done(Result<T, Error>),
}

/// What building a request needs from the client's state, taken under the lock so
/// the request can be built outside it (see [`Call::send_with`]).
pub(crate) struct Outgoing {
    config: Arc<crate::config::Config>,
    device_id: Option<http::HeaderValue>,
    user_token: Option<Secret>,
    server_token: Option<Secret>,
}

/// Where a call is. `T` is the operation's output, held by `Read`.
enum Phase<T> {
    Ready,
    InFlight,
    Responded(HttpResponse, SystemTime),
    Failed(TransportError),
    Waiting(SystemTime),
    Renewing {
        renewal: Box<Renewal>,
        ticket: u64,
        forced: bool,
        /// The adapter holds the shared store's lock for this renewal.
        locked: bool,
    },
    Store {
        purpose: Box<StorePurpose>,
        reply: Option<StoreReply>,
    },
    AwaitingRenewal {
        generation: u64,
        until: SystemTime,
    },
    /// Obtaining the admin token of the configured server credentials.
    ServerToken {
        call: Box<Call<crate::auth::ObtainServerToken>>,
        ticket: u64,
        forced: bool,
    },
    Captcha(Box<CaptchaFlow>),
    /// The answer was read outside the lock ([`Call::read_outside_lock`]); its
    /// result (here, not a field of the call: a call's state stays within one
    /// small allocation in the async adapter).
    Read(Result<T, Error>),
    Finished,
}

/// One call in progress. Adapters use it through [`SharedState::start`](crate::SharedState::start); it can also
/// be driven directly against a `&mut ClientState` (as the tests do).
pub struct Call<O: Operation> {
    op: O,
    spec: Option<RequestSpec>,
    request_id: Option<String>,
    attempt: u32,
    phase: Phase<O::Output>,
    /// The session token the last request carried, if it carried one.
    sent_token: Option<Secret>,
    /// A token rejection was already answered with a refresh and a replay.
    replayed: bool,
    /// Refresh before the next send even if the token looks fresh.
    force_renewal: bool,
    /// A refresh failed transiently; use the current token while it is valid.
    renewal_failed: bool,
    /// Renewals this call performed or waited for. Bounds the renewals per call, so a
    /// server issuing tokens shorter-lived than the margin cannot cause a loop.
    renewals: u8,
    /// The refresh-slot ticket this call holds because its own operation renews the
    /// session; `None` for renewals run by another call, which holds the slot.
    own_ticket: Option<u64>,
    /// The captcha token the replay carries.
    captcha_token: Option<Secret>,
    /// A captcha answer was already met with the captcha flow.
    captcha_tried: bool,
    /// A challenge for the solver, which [`ActiveCall`] runs outside the lock. Boxed:
    /// rare, and the async adapter keeps every call's state in one allocation that
    /// should stay within glibc's per-thread cache (1,032 bytes).
    pending_solve: Option<Box<(Arc<dyn CaptchaSolver>, CaptchaChallenge)>>,
    /// The solver's answer.
    captcha_answer: Option<Option<String>>,
    /// The shared store was read before this call's first user-token request.
    store_checked: bool,
}

impl<O: Operation> fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request_id", &self.request_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
}

/// The operation's type name without its path and parameters (`GetUser`,
/// `RdbCall`), for messages.
pub(crate) fn operation_name<O>() -> &'static str {
    let full = std::any::type_name::<O>();
    let bare = full.split('<').next().unwrap_or(full);
    bare.rsplit("::").next().unwrap_or(bare)
}

/// The token a credentialed call carries now: the user's, else the admin token.
fn current_token(state: &ClientState) -> Option<&Secret> {
    state
        .session
        .credentials()
        .map(|c| &c.access_token)
        .or(state.server_token.as_ref().map(|t| &t.access_token))
}

/// What an operation may see and change when it reads an answer (or answers locally).
fn response_context<'a>(
    request_id: &'a Option<String>,
    state: &'a mut ClientState,
    now: SystemTime,
) -> ResponseContext<'a> {
    ResponseContext {
        now,
        request_id: request_id.as_deref().unwrap_or_default(),
        session: &mut state.session,
        config: &state.config,
        captcha_cache: &mut state.captcha_cache,
        #[cfg(feature = "backend")]
        key_cache: &mut state.key_cache,
    }
}

/// Session renewals one call may perform or wait for.
const MAX_RENEWALS_PER_CALL: u8 = 2;

/// Whether an answer says the session token was not accepted.
fn is_token_rejection(api: Api, error: &ServerError) -> bool {
    error.code.gateway() == Some(&GatewayErrorCode::AccessTokenExpired)
        || (api.is_auth() && error.code.auth() == Some(&AuthErrorCode::Unauthenticated))
}

impl<O: Operation> Call<O> {
    /// Starts driving `op`. Nothing happens until the first [`Call::poll`].
    pub fn new(op: O) -> Self {
        Self {
            op,
            spec: None,
            request_id: None,
            attempt: 0,
            phase: Phase::Ready,
            sent_token: None,
            replayed: false,
            force_renewal: false,
            renewal_failed: false,
            renewals: 0,
            own_ticket: None,
            captcha_token: None,
            captcha_tried: false,
            pending_solve: None,
            captcha_answer: None,
            store_checked: false,
        }
    }

    /// The request id of this call (the same on every retry and replay, as in the JS
    /// SDK), once the first request was built.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Attempts sent so far (session refreshes not counted).
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// The ticket of the refresh this call is performing, if any.
    pub fn renewal_ticket(&self) -> Option<u64> {
        match &self.phase {
            Phase::Renewing { ticket, .. } => Some(*ticket),
            Phase::Store { purpose, .. } => purpose.ticket().or(self.own_ticket),
            Phase::ServerToken { ticket, .. } => Some(*ticket),
            _ => self.own_ticket,
        }
    }

    /// Hands over the answer to the last [`Step::Send`], received at `now` (token
    /// expiry is counted from receipt).
    pub fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        match &mut self.phase {
            Phase::Renewing { renewal, .. } => renewal.on_response(now, response),
            Phase::ServerToken { call, .. } => call.on_response(now, response),
            Phase::Captcha(flow) => flow.on_response(now, response),
            Phase::InFlight => self.phase = Phase::Responded(response, now),
            _ => self.phase = Phase::Finished,
        }
    }

    /// Hands over the reply of the last [`Step::Store`] task.
    pub fn on_store(&mut self, reply: StoreReply) {
        match &mut self.phase {
            Phase::Store { reply: slot, .. } if slot.is_none() => *slot = Some(reply),
            _ => self.phase = Phase::Finished,
        }
    }

    /// Hands over the transport failure of the last [`Step::Send`].
    pub fn on_failure(&mut self, failure: TransportError) {
        match &mut self.phase {
            Phase::Renewing { renewal, .. } => renewal.on_failure(failure),
            Phase::ServerToken { call, .. } => call.on_failure(failure),
            Phase::Captcha(flow) => flow.on_failure(failure),
            Phase::InFlight => self.phase = Phase::Failed(failure),
            _ => self.phase = Phase::Finished,
        }
    }

    /// Advances the call at time `now`.
    pub fn poll(&mut self, state: &mut ClientState, now: SystemTime) -> Step<O::Output> {
        let step = match self.advance(state, now) {
            Some(step) => step,
            None => {
                let outgoing = self.outgoing(state);
                match self.send_with(outgoing) {
                    Ok(step) => step,
                    Err(e) => self.finish(Err(e)),
                }
            }
        };
        self.settle(state, now, step)
    }

    /// Like [`Call::poll`], but a request ready to send comes back as what building
    /// it needs ([`Outgoing`]), for [`ActiveCall`](crate::ActiveCall) to build outside
    /// the client's lock with [`Call::send_with`].
    pub(crate) fn poll_until_send(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
    ) -> Result<Step<O::Output>, Outgoing> {
        match self.advance(state, now) {
            Some(step) => Ok(self.settle(state, now, step)),
            None => Err(self.outgoing(state)),
        }
    }

    /// Ends the call with a request that could not be built (outside the lock).
    pub(crate) fn fail_send(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        error: Error,
    ) -> Step<O::Output> {
        let step = self.finish(Err(error));
        self.settle(state, now, step)
    }

    /// A finishing step's last words under the lock: the operation may recover from
    /// an error, and a refresh slot the call holds is released.
    fn settle(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        mut step: Step<O::Output>,
    ) -> Step<O::Output> {
        if let Step::Done(Err(error)) = step {
            let mut cx = response_context(&self.request_id, state, now);
            step = Step::Done(self.op.recover(error, &mut cx));
        }
        if matches!(step, Step::Done(_))
            && let Some(ticket) = self.own_ticket.take()
        {
            state.refresh.finish(ticket);
        }
        step
    }

    /// The call's next step, or `None` when its request is ready to send (see
    /// [`Call::outgoing`]: what sending needs from the state is taken under the lock,
    /// the request itself is built outside it).
    fn advance(&mut self, state: &mut ClientState, now: SystemTime) -> Option<Step<O::Output>> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Finished) {
                Phase::Ready => {
                    self.phase = Phase::Ready;
                    if let Some(step) = self.prepare(state, now) {
                        return Some(step);
                    }
                    if matches!(self.phase, Phase::Ready) {
                        if let Some(result) = self.finish_locally(state, now) {
                            return Some(self.finish(result));
                        }
                        return None;
                    }
                }
                Phase::InFlight => {
                    return Some(
                        self.finish(Err(Error::Internal("polled while a request was in flight"))),
                    );
                }
                Phase::Finished => {
                    return Some(Step::Done(Err(Error::Internal("polled after completion"))));
                }
                Phase::Waiting(until) if now < until => {
                    self.phase = Phase::Waiting(until);
                    return Some(Step::Sleep(until));
                }
                Phase::Waiting(_) => self.phase = Phase::Ready,
                Phase::AwaitingRenewal { generation, until } => {
                    if state.refresh.generation == generation && now < until {
                        self.phase = Phase::AwaitingRenewal { generation, until };
                        return Some(Step::Wait { generation, until });
                    }
                    // Woken, or the re-check time came: decide again from the state.
                    // Another call's renewal counts as this call's, and a rejected
                    // token it replaced needs no renewal of this call's own.
                    self.renewals = self.renewals.saturating_add(1);
                    if self.force_renewal && self.sent_token.as_ref() != current_token(state) {
                        self.force_renewal = false;
                    }
                    self.phase = Phase::Ready;
                }
                Phase::Store {
                    purpose,
                    reply: Some(reply),
                } => {
                    if let Some(step) = self.after_store(state, now, *purpose, reply) {
                        return Some(step);
                    }
                }
                Phase::Store { purpose, .. } => {
                    if let Some(ticket) = purpose.ticket() {
                        state.refresh.finish(ticket);
                    }
                    return Some(
                        self.finish(Err(Error::Internal("polled before the store task's reply"))),
                    );
                }
                Phase::Renewing {
                    mut renewal,
                    ticket,
                    forced,
                    locked,
                } => match renewal.poll(state, now) {
                    Step::Send(r) => {
                        self.phase = Phase::Renewing {
                            renewal,
                            ticket,
                            forced,
                            locked,
                        };
                        return Some(Step::Send(r));
                    }
                    Step::Sleep(t) => {
                        self.phase = Phase::Renewing {
                            renewal,
                            ticket,
                            forced,
                            locked,
                        };
                        return Some(Step::Sleep(t));
                    }
                    Step::Wait { .. } | Step::Store(_) => {
                        state.refresh.finish(ticket);
                        return Some(self.finish(Err(Error::Internal("a renewal cannot wait"))));
                    }
                    Step::Done(result) if locked => {
                        if let Some(step) =
                            self.locked_renewal_done(state, now, *renewal, ticket, forced, result)
                        {
                            return Some(step);
                        }
                    }
                    Step::Done(Ok(_)) => {
                        state.refresh.finish(ticket);
                        self.renewals = self.renewals.saturating_add(1);
                        self.phase = Phase::Ready;
                    }
                    Step::Done(Err(e)) => {
                        state.refresh.finish(ticket);
                        if let Some(step) =
                            self.renewal_failed_with(state, now, *renewal, e, forced)
                        {
                            return Some(step);
                        }
                    }
                },
                Phase::ServerToken {
                    call,
                    ticket,
                    forced,
                } => {
                    if let Some(step) = self.server_token_step(state, now, call, ticket, forced) {
                        return Some(step);
                    }
                }
                Phase::Captcha(flow) => {
                    if let Some(step) = self.captcha_step(state, now, *flow) {
                        return Some(step);
                    }
                }
                Phase::Failed(failure) => {
                    let kind = failure.kind;
                    if let Some(step) = self.retry(state, now, AttemptFailure::Transport(kind)) {
                        tracing::debug!(request_id = self.rid(), attempt = self.attempt, error = %kind, "transport failure, retrying");
                        return Some(step);
                    }
                    let target = self.target(state);
                    return Some(
                        self.finish(Err(failure
                            .with_attempts(self.attempt)
                            .with_target(target)
                            .into())),
                    );
                }
                Phase::Responded(response, received_at) => {
                    if let Some(step) = self.on_answer(state, received_at.min(now), response) {
                        return Some(step);
                    }
                }
                Phase::Read(result) => return Some(self.finish(result)),
            }
        }
    }

    /// Before sending: builds the spec once, and refreshes the session (or waits for
    /// another call's refresh) when the call will carry an expiring user token.
    /// Returns a step to hand out, or leaves the phase `Ready` to send now.
    fn prepare(&mut self, state: &mut ClientState, now: SystemTime) -> Option<Step<O::Output>> {
        if self.op.renews_session() && self.own_ticket.is_none() {
            if state.refresh.in_flight() {
                let (generation, until) = state.wait_for_refresh(now);
                self.phase = Phase::AwaitingRenewal { generation, until };
                return Some(Step::Wait { generation, until });
            }
            self.own_ticket = Some(state.refresh.start());
        }
        // Built for every attempt: a request may carry session values (a refresh
        // token, the access token to revoke) that changed while this call waited.
        let cx = RequestContext {
            config: &state.config,
            session: &state.session,
            now,
        };
        match self.op.request(&cx) {
            Ok(spec) => self.spec = Some(self.with_captcha(spec)),
            Err(e) => return Some(self.finish(Err(e))),
        }
        let spec = self.spec.as_ref()?;
        // A caller-chosen bearer is not the session's to renew.
        if !matches!(
            spec.access(),
            Access::User | Access::Bearer | Access::UserOrClientId
        ) || spec.has_bearer_override()
        {
            return None;
        }
        let bearer_access = spec.access() == Access::Bearer;
        if let Some(step) = self.check_store_before_call(state) {
            return Some(step);
        }
        if state.session.credentials().is_none()
            && bearer_access
            && state.config.credential().is_server_secret()
        {
            return self.prepare_server_token(state, now);
        }
        let creds = state.session.credentials()?;
        let expires_at = creds.expires_at;
        if let Some(step) = self.renewal_due(state, now, Some(expires_at)) {
            return step;
        }
        let creds = state.session.credentials()?;
        match Renewal::for_credentials(creds) {
            Some(renewal) => {
                let ticket = state.refresh.start();
                tracing::debug!(
                    request_id = self.rid(),
                    forced = self.force_renewal,
                    "refreshing the session"
                );
                let forced = std::mem::take(&mut self.force_renewal);
                let renewal = match self.lock_for_renewal(state, Box::new(renewal), ticket, forced)
                {
                    Ok(step) => return Some(step),
                    Err(unlocked) => unlocked,
                };
                self.phase = Phase::Renewing {
                    renewal,
                    ticket,
                    forced,
                    locked: false,
                };
                None
            }
            // No way to renew: use the token while it lasts, then the session is over.
            None if now < creds.expires_at && !self.force_renewal => None,
            None => Some(self.finish(Err(SessionError::SessionExpired.into()))),
        }
    }

    /// Whether the token expiring at `expires_at` (`None`: no token yet) is renewed
    /// before this send: `None` to go on and renew, `Some(None)` to send as it is,
    /// `Some(step)` to hand out (wait for another call's renewal, or the session is
    /// over). Shared by user sessions and server-credential tokens.
    fn renewal_due(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        expires_at: Option<SystemTime>,
    ) -> Option<Option<Step<O::Output>>> {
        let margin = state.config.refresh_margin();
        let expired = expires_at.is_none_or(|t| now >= t);
        // Renew for the margin once per call; again only for a rejected or expired
        // token, and never more than MAX_RENEWALS_PER_CALL times.
        let near_expiry = expires_at
            .is_some_and(|t| now.checked_add(margin).is_none_or(|m| m >= t))
            && self.renewals == 0;
        let wants_renewal = self.force_renewal || expired || near_expiry;
        // After a passing renewal failure the old token is used only while it is
        // valid; once it expires, the next send tries renewing again.
        if !wants_renewal || (self.renewal_failed && !expired) {
            return Some(None);
        }
        if self.renewals >= MAX_RENEWALS_PER_CALL {
            return Some(if expired {
                Some(self.finish(Err(SessionError::SessionExpired.into())))
            } else {
                None
            });
        }
        self.renewal_failed = false;
        if state.refresh.in_flight() {
            let (generation, until) = state.wait_for_refresh(now);
            self.phase = Phase::AwaitingRenewal { generation, until };
            return Some(Some(Step::Wait { generation, until }));
        }
        None
    }

    /// A renewal failed: fall back to anonymous sign-in, end the session, keep using
    /// a still-valid token, or give the error to the caller.
    fn renewal_failed_with(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        renewal: Renewal,
        error: Error,
        forced: bool,
    ) -> Option<Step<O::Output>> {
        let rejected = matches!(&error, Error::Server(e) if ends_session(e));
        match renewal {
            Renewal::Refresh {
                anonymous: true, ..
            } if rejected => {
                let ticket = state.refresh.start();
                self.phase = Phase::Renewing {
                    renewal: Box::new(Renewal::Anonymous(Call::new(SignInAnonymously::renewal()))),
                    ticket,
                    forced,
                    locked: false,
                };
                None
            }
            Renewal::Anonymous(_) if rejected => {
                state.session.sign_out();
                Some(self.finish(Err(error)))
            }
            // The refresh grant already ended the session (`ends_session_on`).
            _ if rejected => Some(self.finish(Err(error))),
            _ => {
                let still_valid = state
                    .session
                    .credentials()
                    .is_some_and(|c| now < c.expires_at);
                if still_valid && !forced {
                    tracing::info!(request_id = self.rid(), %error, "refresh failed; the current token is still valid");
                    self.renewal_failed = true;
                    self.phase = Phase::Ready;
                    None
                } else {
                    Some(self.finish(Err(error)))
                }
            }
        }
    }

    /// An HTTP answer to the call's own request.
    fn on_answer(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        response: HttpResponse,
    ) -> Option<Step<O::Output>> {
        let status = response.status();
        tracing::Span::current().record("http.response.status_code", status.as_u16());
        tracing::debug!(
            request_id = self.rid(),
            attempt = self.attempt,
            status = status.as_u16(),
            "response"
        );
        if is_retryable_status(status) {
            let retry_after = parse_retry_after(response.headers(), now);
            if let Some(step) = self.retry(
                state,
                now,
                AttemptFailure::Status {
                    status,
                    retry_after,
                },
            ) {
                return Some(step);
            }
        }
        let Some(api) = self.spec.as_ref().map(RequestSpec::api) else {
            return Some(self.finish(Err(Error::Internal("no request"))));
        };
        if let Err(e) = check_status(api, &response, now) {
            if let Error::Server(server) = &e {
                if server.is_throttled()
                    && let Some(step) = self.retry(
                        state,
                        now,
                        AttemptFailure::Throttled {
                            retry_after: server.retry_after,
                        },
                    )
                {
                    return Some(step);
                }
                if self.op.ends_session_on(server) {
                    state.session.sign_out();
                }
                if self.captcha_required(state, now, api, server) {
                    return None;
                }
                if let Some(sent) = &self.sent_token
                    && !self.replayed
                    && is_token_rejection(api, server)
                {
                    self.replayed = true;
                    let current = current_token(state);
                    // Another call may have refreshed already: then just replay.
                    self.force_renewal = current == Some(sent);
                    tracing::info!(request_id = self.rid(), code = %server.code, "token rejected; refreshing and replaying once");
                    self.phase = Phase::Ready;
                    return None;
                }
            }
            return Some(self.finish(Err(e)));
        }
        let mut cx = response_context(&self.request_id, state, now);
        match self.op.on_response(response, &mut cx) {
            Ok(Progress::Done(output)) => Some(self.finish(Ok(output))),
            Ok(Progress::Next) => {
                self.next_request();
                None
            }
            Ok(Progress::Captcha(challenge)) => {
                self.next_request();
                Some(self.solve(state, now, challenge))
            }
            Err(e) => Some(self.finish(Err(e))),
        }
    }

    /// Reads a successful answer without the client's state, when the operation can
    /// ([`Operation::read_detached`]): [`ActiveCall`](crate::ActiveCall) calls this
    /// before it takes the lock, so a large answer's decode runs beside the client's
    /// other calls instead of holding them up. Anything else about the answer (a
    /// retryable status, an error answer, an operation that signs in) is left for
    /// [`Call::poll`], under the lock, as before.
    pub fn read_outside_lock(&mut self, now: SystemTime) {
        let Phase::Responded(response, _) = &self.phase else {
            return;
        };
        let Some(api) = self.spec.as_ref().map(RequestSpec::api) else {
            return;
        };
        // Auth answers change the session (and their 2xx bodies are searched for error
        // envelopes): read under the lock only, not searched twice.
        if api.is_auth()
            || !response.status().is_success()
            || check_status(api, response, now).is_err()
        {
            return;
        }
        let Phase::Responded(response, received_at) =
            std::mem::replace(&mut self.phase, Phase::Finished)
        else {
            return;
        };
        let at = received_at.min(now);
        tracing::Span::current().record("http.response.status_code", response.status().as_u16());
        let cx = AnswerContext::new(at, self.request_id.as_deref().unwrap_or_default());
        match self.op.read_detached(response, &cx) {
            Detached::Read(result) => {
                tracing::debug!(
                    request_id = self.rid(),
                    attempt = self.attempt,
                    "response read outside the lock"
                );
                self.phase = Phase::Read(result);
            }
            Detached::NeedsState(response) => self.phase = Phase::Responded(response, at),
        }
    }

    /// The call's result when its answer was read outside the lock and nothing of
    /// the client's state is left to change (no refresh slot held, no error to
    /// recover from), so the driver need not take the lock again.
    pub fn finished_outside_lock(&mut self) -> Option<Step<O::Output>> {
        if !matches!(self.phase, Phase::Read(Ok(_))) || self.own_ticket.is_some() {
            return None;
        }
        let Phase::Read(result) = std::mem::replace(&mut self.phase, Phase::Finished) else {
            return None;
        };
        Some(self.finish(result))
    }

    /// Moves to the operation's next request: fresh id, fresh attempts, same
    /// session rules.
    fn next_request(&mut self) {
        self.request_id = None;
        self.attempt = 0;
        self.replayed = false;
        self.phase = Phase::Ready;
    }

    /// The operation's answer without a request, if it has one now.
    fn finish_locally(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
    ) -> Option<Result<O::Output, Error>> {
        let mut cx = response_context(&self.request_id, state, now);
        self.op.finish_locally(&mut cx)
    }

    /// `"<operation> <METHOD> <host>"` of the request, for a transport error (made
    /// only on that path: formatting it for every request cost a tenth of a call).
    fn target(&self, state: &ClientState) -> Option<String> {
        let spec = self.spec.as_ref()?;
        let host = match &spec.url {
            Some(url) => url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| "-".to_owned()),
            None => state
                .config
                .gateway_origin()
                .host_str()
                .unwrap_or("-")
                .to_owned(),
        };
        Some(format!("{} {} {host}", operation_name::<O>(), spec.method))
    }

    fn rid(&self) -> &str {
        self.request_id.as_deref().unwrap_or("-")
    }

    fn finish(&mut self, result: Result<O::Output, Error>) -> Step<O::Output> {
        self.phase = Phase::Finished;
        Step::Done(result)
    }

    /// Schedules a retry if the policy allows one.
    fn retry(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        failure: AttemptFailure,
    ) -> Option<Step<O::Output>> {
        let jitter = state.rng.next_u64();
        match retry::decide(
            state.config.retry(),
            self.attempt,
            self.op.is_idempotent(),
            failure,
            jitter,
        ) {
            RetryDecision::Stop => None,
            RetryDecision::RetryAfter(delay) => {
                let until = crate::expiry::deadline_after(now, delay);
                tracing::info!(
                    request_id = self.rid(),
                    attempt = self.attempt,
                    delay_ms = delay.as_millis() as u64,
                    ?failure,
                    "retrying"
                );
                self.phase = Phase::Waiting(until);
                Some(Step::Sleep(until))
            }
        }
    }

    /// What sending the current request needs from the client's state, taken under
    /// the lock: the request id (drawn once per request), the tokens and the
    /// configuration (all shared, not copied).
    fn outgoing(&mut self, state: &mut ClientState) -> Outgoing {
        let style = self.spec.as_ref().map(RequestSpec::request_id_style);
        if self.request_id.is_none() {
            self.request_id = Some(match style {
                Some(RequestIdStyle::Uuid) => ids::request_id_uuid(state.rng.as_mut()),
                _ => ids::request_id_hex(state.rng.as_mut()),
            });
        }
        Outgoing {
            config: state.config.clone(),
            device_id: state.device_id_header.clone(),
            user_token: state.session.credentials().map(|c| c.access_token.clone()),
            server_token: state.server_token.as_ref().map(|t| t.access_token.clone()),
        }
    }

    /// Builds and hands out the current request from `outgoing` (no state needed).
    pub(crate) fn send_with(&mut self, outgoing: Outgoing) -> Result<Step<O::Output>, Error> {
        let Some(spec) = &self.spec else {
            return Err(Error::Internal("no request"));
        };
        let Some(request_id) = &self.request_id else {
            return Err(Error::Internal("no request id"));
        };
        let user_token = outgoing.user_token.as_ref();
        let server_token = outgoing.server_token.as_ref();
        let envelope = Envelope {
            config: &outgoing.config,
            device_id: outgoing.device_id.as_ref(),
            request_id,
            user_token,
            server_token,
        };
        let req = request::build(spec, &envelope)?;
        self.attempt += 1;
        self.sent_token = match spec.access() {
            Access::User | Access::Bearer | Access::UserOrClientId
                if !spec.has_bearer_override() =>
            {
                user_token
                    .or_else(|| {
                        // The admin token, when it is what the request carries.
                        let keyed = outgoing.config.credential().key().is_some();
                        server_token.filter(|_| !keyed && spec.access() == Access::Bearer)
                    })
                    .cloned()
            }
            _ => None,
        };
        let span = tracing::Span::current();
        span.record("http.request.method", req.method().as_str());
        span.record("url.path", req.uri().path());
        span.record("http.request.resend_count", self.attempt.saturating_sub(1));
        span.record("cloudbase.request_id", request_id.as_str());
        // Path only: queries may carry tokens (e.g. `sudo_token`).
        tracing::debug!(request_id = %request_id, attempt = self.attempt, method = %req.method(), path = req.uri().path(), "send");
        self.phase = Phase::InFlight;
        Ok(Step::Send(req))
    }
}
