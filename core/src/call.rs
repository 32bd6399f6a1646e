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
//! the session rules of auth.md §3 —
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

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use rand_core::RngCore;

use crate::auth::{
    CaptchaChallenge, CaptchaSolver, Claims, CreateCaptchaData, RefreshToken, SignInAnonymously,
    VerifyCaptchaData, decode_claims, refresh::ends_session,
};
use crate::codes::{AuthErrorCode, GatewayErrorCode};
use crate::config::Config;
use crate::error::{BuildError, Error, ServerError, TransportError};
use crate::ids;
use crate::request::{
    self, Access, Api, Envelope, HttpRequest, HttpResponse, RequestIdStyle, RequestSpec,
};
use crate::response::check_status;
use crate::retry::{self, AttemptFailure, RetryDecision, is_retryable_status, parse_retry_after};
use crate::secret::Secret;
use crate::session::{AuthEvent, AuthEventKind, Credentials, Session};
use crate::store::{SessionStore, StoreError, StoreKey};

/// One CloudBase operation: how to ask, and how to read the answer.
///
/// Implementations describe the request declaratively ([`RequestSpec`]); the shared
/// builder adds the origin, common headers, ids and credentials, and the driver checks
/// the error envelopes before [`Operation::parse`] sees a response.
pub trait Operation {
    /// What a successful call returns.
    type Output;

    /// The request, or why the input cannot be sent. Most operations ignore `cx`;
    /// a few bodies repeat configuration (the refresh grant's `client_id`) or a
    /// session token (sign-out's `token`).
    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, BuildError>;

    /// Whether sending the request twice has the same effect as once. Only
    /// idempotent operations are retried after the request may have reached the
    /// server. Defaults to `false`.
    fn is_idempotent(&self) -> bool {
        false
    }

    /// Whether this operation renews the session itself (the refresh grant): it then
    /// takes the client's one refresh slot, so it never runs beside another refresh.
    fn renews_session(&self) -> bool {
        false
    }

    /// Whether this server error ends the session (credentials cleared,
    /// `SIGNED_OUT`). Defaults to `false`; the refresh grant says yes to
    /// `invalid_grant`.
    fn ends_session_on(&self, _error: &ServerError) -> bool {
        false
    }

    /// Whether a `captcha_required` / `captcha_invalid` answer to this auth call is
    /// met with the captcha flow and one replay (auth.md §5.3). Defaults to `true`;
    /// the session's own renewals and the captcha calls themselves say no.
    fn captcha_protected(&self) -> bool {
        true
    }

    /// Reads a successful (non-error) answer; may update the session.
    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Self::Output, Error>;

    /// For operations of several requests (e.g. verify a code, then sign in): reads
    /// one answer and says whether the operation is done or wants its next request,
    /// which [`Operation::request`] then builds from state the operation kept. Each
    /// step is a request of its own (own request id, own retries). Defaults to
    /// [`Operation::parse`], done after one request.
    fn parse_step(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Progress<Self::Output>, Error> {
        self.parse(response, cx).map(Progress::Done)
    }
}

/// What [`Operation::parse_step`] found.
#[derive(Debug)]
pub enum Progress<T> {
    /// The operation is complete.
    Done(T),
    /// Send the operation's next request.
    Next,
}

/// What [`Operation::request`] may look at.
#[non_exhaustive]
pub struct RequestContext<'a> {
    /// The configuration.
    pub config: &'a Config,
    /// The session as it is when the request is built.
    pub session: &'a Session,
    /// The time the request is built (for expiry checks of typed flow state).
    pub now: SystemTime,
}

impl<'a> RequestContext<'a> {
    /// A context for building a request outside the driver (tests, tools).
    pub fn new(config: &'a Config, session: &'a Session, now: SystemTime) -> Self {
        Self {
            config,
            session,
            now,
        }
    }
}

/// What [`Operation::parse`] may look at and change.
#[non_exhaustive]
pub struct ResponseContext<'a> {
    /// When the answer arrived.
    pub now: SystemTime,
    /// The request id this call sent (or generated, when none was sent).
    pub request_id: &'a str,
    /// The client's session, for operations that sign in or out.
    pub session: &'a mut Session,
    /// The configuration (e.g. for resolving relative URLs in an answer).
    pub config: &'a Config,
}

/// The one refresh a client may have in flight.
///
/// There is no time-based takeover: a second refresh beside a live one would present
/// a rotated refresh token twice, which the server answers with `invalid_grant`. The
/// slot is released when its owner finishes (adapters bound every attempt with
/// timeouts) or is dropped ([`ActiveCall`]'s guard).
#[derive(Debug, Default)]
struct RefreshSlot {
    /// The ticket of the refresh in flight.
    current: Option<u64>,
    /// Moves on every start and finish; waiters wait for it to move.
    generation: u64,
}

impl RefreshSlot {
    fn in_flight(&self) -> bool {
        self.current.is_some()
    }

    fn start(&mut self) -> u64 {
        self.generation += 1;
        self.current = Some(self.generation);
        self.generation
    }

    fn finish(&mut self, ticket: u64) {
        if self.current == Some(ticket) {
            self.current = None;
            self.generation += 1;
        }
    }
}

/// The state one client shares between its calls: configuration, session, device id,
/// the refresh slot and the random source.
pub struct ClientState {
    config: Config,
    session: Session,
    device_id: String,
    refresh: RefreshSlot,
    rng: Box<dyn RngCore + Send>,
    captcha_solver: Option<Arc<dyn CaptchaSolver>>,
}

impl fmt::Debug for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientState")
            .field("config", &self.config)
            .field("session", &self.session)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

impl ClientState {
    /// A fresh state. `rng` supplies request ids, the device id (when the config has
    /// none) and backoff jitter; pass a seeded generator for reproducible tests.
    ///
    /// ```
    /// use cloudbase_core::{ClientState, Config};
    /// use rand::SeedableRng;
    ///
    /// let config = Config::builder("demo-env").build()?;
    /// let state = ClientState::new(config, Box::new(rand::rngs::StdRng::seed_from_u64(7)));
    /// assert_eq!(state.device_id().len(), 32);
    /// # Ok::<(), cloudbase_core::ConfigError>(())
    /// ```
    pub fn new(config: Config, mut rng: Box<dyn RngCore + Send>) -> Self {
        let device_id = match config.device_id() {
            Some(id) => id.to_owned(),
            None => ids::device_id(rng.as_mut()),
        };
        Self {
            config,
            session: Session::default(),
            device_id,
            refresh: RefreshSlot::default(),
            rng,
            captcha_solver: None,
        }
    }

    /// Answers captcha challenges from now on (`None`: give them to the caller as
    /// [`Error::Captcha`]).
    pub fn set_captcha_solver(&mut self, solver: Option<Arc<dyn CaptchaSolver>>) {
        self.captcha_solver = solver;
    }

    /// The captcha solver, if one is set.
    pub fn captcha_solver(&self) -> Option<Arc<dyn CaptchaSolver>> {
        self.captcha_solver.clone()
    }

    /// `bytes` random bytes as lower-case hex (OAuth `state` values and the like).
    pub fn random_hex(&mut self, bytes: usize) -> String {
        let mut b = vec![0u8; bytes];
        self.rng.fill_bytes(&mut b);
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The session, for changing it directly.
    pub fn session_mut(&mut self) -> &mut Session {
        &mut self.session
    }

    /// The `x-device-id` this client sends.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Moves whenever a refresh starts or finishes ([`Step::Wait`] waits on it).
    pub fn refresh_generation(&self) -> u64 {
        self.refresh.generation
    }

    /// Whether a refresh is in flight.
    pub fn refresh_in_flight(&self) -> bool {
        self.refresh.in_flight()
    }

    /// A `Step::Wait` for the refresh in flight: woken by the generation moving,
    /// re-checked at the latest after one attempt's timeouts.
    fn wait_for_refresh(&self, now: SystemTime) -> (u64, SystemTime) {
        let t = self.config.transport();
        (
            self.refresh.generation,
            crate::expiry::deadline_after(now, t.connect_timeout.saturating_add(t.request_timeout)),
        )
    }
}

type Waker = Box<dyn Fn(u64) + Send + Sync>;
type Listener = Arc<dyn Fn(&AuthEvent) -> bool + Send + Sync>;

/// A [`ClientState`] shared by concurrent calls: what every adapter's client holds.
///
/// The lock is taken only while the core decides a step, never while a request is on
/// the wire. Refresh-generation changes go to the adapter's waker, and auth events to
/// the listeners, both after the lock is released, so a listener may call back into
/// the client without deadlocking.
pub struct SharedState {
    state: Mutex<ClientState>,
    store: Option<(Arc<dyn SessionStore>, StoreKey)>,
    waker: Waker,
    listeners: Mutex<Vec<(u64, Listener)>>,
    next_listener: Mutex<u64>,
}

impl fmt::Debug for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.lock().fmt(f)
    }
}

/// Identifies a listener registered with [`SharedState::subscribe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenerId(u64);

impl SharedState {
    /// Shares `state`. `waker` is called with the new refresh generation whenever it
    /// moves; adapters use it to release calls waiting in [`Step::Wait`].
    pub fn new(state: ClientState, waker: impl Fn(u64) + Send + Sync + 'static) -> Self {
        Self {
            state: Mutex::new(state),
            store: None,
            waker: Box::new(waker),
            listeners: Mutex::new(Vec::new()),
            next_listener: Mutex::new(0),
        }
    }

    /// Restores the session from `store` and keeps it there from now on: the
    /// credentials are saved after every change (sign-in, refresh, sign-out), in order.
    /// A store that cannot be read is an error; nothing is overwritten.
    pub fn with_store(mut self, store: Arc<dyn SessionStore>) -> Result<Self, StoreError> {
        let key = {
            let st = self.lock();
            StoreKey {
                env_id: st.config.env_id().to_owned(),
                client_id: st.config.client_id().to_owned(),
            }
        };
        let restored = store.load(&key)?;
        self.lock().session = Session::restored(restored);
        self.store = Some((store, key));
        Ok(self)
    }

    /// The access token's claims, decoded locally; see [`decode_claims`]. The
    /// signature is **not** verified.
    pub fn claims(&self) -> Result<Claims, Error> {
        let st = self.lock();
        let creds = st.session.credentials().ok_or(BuildError::NotSignedIn)?;
        Ok(decode_claims(creds.access_token.expose())?)
    }

    /// Locks the state. The core changes it in single assignments, so a lock
    /// poisoned by a panic elsewhere is still consistent and is used as is.
    pub fn lock(&self) -> MutexGuard<'_, ClientState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Starts driving `op`; the guard releases a refresh the call owns if it is
    /// dropped before finishing (e.g. a cancelled future).
    pub fn start<O: Operation>(&self, op: O) -> ActiveCall<'_, O> {
        ActiveCall {
            shared: self,
            call: Call::new(op),
        }
    }

    /// Answers captcha challenges with `solver` from now on (`None`: return them to
    /// the caller as [`Error::Captcha`]).
    pub fn set_captcha_solver(&self, solver: Option<Arc<dyn CaptchaSolver>>) {
        self.lock().set_captcha_solver(solver);
    }

    /// The captcha solver, if one is set.
    pub fn captcha_solver(&self) -> Option<Arc<dyn CaptchaSolver>> {
        self.lock().captcha_solver()
    }

    /// The cached captcha token, if still valid at `now`.
    pub fn cached_captcha_token(&self, now: SystemTime) -> Option<crate::auth::CaptchaToken> {
        self.lock().session.captcha_token(now).cloned()
    }

    /// Forgets the cached captcha token.
    pub fn clear_captcha_token(&self) {
        self.lock().session.clear_captcha();
    }

    /// Random lower-case hex from the client's random source.
    pub fn random_hex(&self, bytes: usize) -> String {
        self.lock().random_hex(bytes)
    }

    /// A snapshot of the session.
    pub fn session(&self) -> Session {
        self.lock().session().clone()
    }

    /// The `x-device-id` the client sends.
    pub fn device_id(&self) -> String {
        self.lock().device_id().to_owned()
    }

    /// Runs `f` on the state, then wakes waiters and notifies listeners of what
    /// changed (outside the lock).
    pub fn with_state<R>(&self, f: impl FnOnce(&mut ClientState) -> R) -> R {
        let (result, generation, events) = {
            let mut st = self.lock();
            let before = st.refresh.generation;
            let result = f(&mut st);
            let after = st.refresh.generation;
            let events = st.session.take_events();
            // Saved under the lock, so concurrent changes reach the store in order.
            if let Some((store, key)) = &self.store
                && !events.is_empty()
                && let Err(e) = store.save(key, st.session.credentials())
            {
                tracing::warn!(error = %e, "could not save the session");
            }
            (result, (after != before).then_some(after), events)
        };
        if let Some(g) = generation {
            (self.waker)(g);
        }
        self.dispatch(&events);
        result
    }

    /// Registers `listener` for auth events. It is called at once with
    /// `INITIAL_SESSION` and the current credentials, then with every change.
    pub fn subscribe(&self, listener: impl Fn(&AuthEvent) + Send + Sync + 'static) -> ListenerId {
        self.subscribe_while(move |event| {
            listener(event);
            true
        })
    }

    /// As [`SharedState::subscribe`], for a listener that says when it is done: it is
    /// removed after it returns `false` (e.g. its channel's receiver was dropped).
    pub fn subscribe_while(
        &self,
        listener: impl Fn(&AuthEvent) -> bool + Send + Sync + 'static,
    ) -> ListenerId {
        let listener: Listener = Arc::new(listener);
        let id = {
            let mut next = self.next_listener.lock().unwrap_or_else(|p| p.into_inner());
            *next += 1;
            *next
        };
        let initial = AuthEvent::new(
            AuthEventKind::InitialSession,
            self.lock().session().credentials().cloned(),
        );
        if !listener(&initial) {
            return ListenerId(id);
        }
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((id, listener));
        ListenerId(id)
    }

    /// Removes a listener.
    pub fn unsubscribe(&self, id: ListenerId) {
        self.listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|(i, _)| *i != id.0);
    }

    fn dispatch(&self, events: &[AuthEvent]) {
        if events.is_empty() {
            return;
        }
        let listeners: Vec<(u64, Listener)> = self
            .listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut done = Vec::new();
        for event in events {
            tracing::debug!(event = ?event.kind, "auth event");
            for (id, listener) in &listeners {
                if !done.contains(id) && !listener(event) {
                    done.push(*id);
                }
            }
        }
        if !done.is_empty() {
            self.listeners
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .retain(|(i, _)| !done.contains(i));
        }
    }
}

/// A call started with [`SharedState::start`].
pub struct ActiveCall<'a, O: Operation> {
    shared: &'a SharedState,
    call: Call<O>,
}

impl<O: Operation> ActiveCall<'_, O> {
    /// Advances the call at `now`.
    pub fn poll(&mut self, now: SystemTime) -> Step<O::Output> {
        loop {
            let call = &mut self.call;
            let step = self.shared.with_state(|st| call.poll(st, now));
            // A captcha solver is app code: it runs here, outside the lock.
            match self.call.pending_solve.take() {
                Some((solver, challenge)) => {
                    self.call.captcha_answer = Some(solver.solve(&challenge));
                }
                None => return step,
            }
        }
    }

    /// See [`Call::on_response`].
    pub fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        self.call.on_response(now, response);
    }

    /// See [`Call::on_failure`].
    pub fn on_failure(&mut self, failure: TransportError) {
        self.call.on_failure(failure);
    }
}

impl<O: Operation> Drop for ActiveCall<'_, O> {
    fn drop(&mut self) {
        if let Some(ticket) = self.call.renewal_ticket() {
            self.shared.with_state(|st| st.refresh.finish(ticket));
        }
    }
}

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
    /// The call is over.
    Done(Result<T, Error>),
}

/// A session renewal this call performs on behalf of all calls.
enum Renewal {
    Refresh {
        call: Call<RefreshToken>,
        anonymous: bool,
    },
    Anonymous(Call<SignInAnonymously>),
}

impl Renewal {
    fn for_credentials(creds: &Credentials) -> Option<Self> {
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
                    anonymous,
                })
            }
            None if creds.is_anonymous() => {
                Some(Renewal::Anonymous(Call::new(SignInAnonymously::renewal())))
            }
            None => None,
        }
    }

    fn poll(&mut self, state: &mut ClientState, now: SystemTime) -> Step<Credentials> {
        match self {
            Renewal::Refresh { call, .. } => call.poll(state, now),
            Renewal::Anonymous(call) => call.poll(state, now),
        }
    }

    fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        match self {
            Renewal::Refresh { call, .. } => call.on_response(now, response),
            Renewal::Anonymous(call) => call.on_response(now, response),
        }
    }

    fn on_failure(&mut self, failure: TransportError) {
        match self {
            Renewal::Refresh { call, .. } => call.on_failure(failure),
            Renewal::Anonymous(call) => call.on_failure(failure),
        }
    }
}

enum Phase {
    Ready,
    InFlight,
    Responded(HttpResponse, SystemTime),
    Failed(TransportError),
    Waiting(SystemTime),
    Renewing {
        renewal: Box<Renewal>,
        ticket: u64,
        forced: bool,
    },
    AwaitingRenewal {
        generation: u64,
        until: SystemTime,
    },
    Captcha(Box<CaptchaFlow>),
    Finished,
}

/// The captcha a call must pass before its replay (auth.md §5.3).
enum CaptchaFlow {
    Creating(Call<CreateCaptchaData>),
    Solving(CaptchaChallenge),
    Verifying(Call<VerifyCaptchaData>),
}

impl CaptchaFlow {
    fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        match self {
            CaptchaFlow::Creating(c) => c.on_response(now, response),
            CaptchaFlow::Verifying(c) => c.on_response(now, response),
            CaptchaFlow::Solving(_) => {}
        }
    }

    fn on_failure(&mut self, failure: TransportError) {
        match self {
            CaptchaFlow::Creating(c) => c.on_failure(failure),
            CaptchaFlow::Verifying(c) => c.on_failure(failure),
            CaptchaFlow::Solving(_) => {}
        }
    }
}

/// One call in progress. Adapters use it through [`SharedState::start`]; it can also
/// be driven directly against a `&mut ClientState` (as the tests do).
pub struct Call<O: Operation> {
    op: O,
    spec: Option<RequestSpec>,
    request_id: Option<String>,
    attempt: u32,
    phase: Phase,
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
    /// A challenge for the solver, which [`ActiveCall`] runs outside the lock.
    pending_solve: Option<(Arc<dyn CaptchaSolver>, CaptchaChallenge)>,
    /// The solver's answer.
    captcha_answer: Option<Option<String>>,
}

impl<O: Operation> fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request_id", &self.request_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
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
            _ => self.own_ticket,
        }
    }

    /// Hands over the answer to the last [`Step::Send`], received at `now` (token
    /// expiry is counted from receipt).
    pub fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        match &mut self.phase {
            Phase::Renewing { renewal, .. } => renewal.on_response(now, response),
            Phase::Captcha(flow) => flow.on_response(now, response),
            Phase::InFlight => self.phase = Phase::Responded(response, now),
            _ => self.phase = Phase::Finished,
        }
    }

    /// Hands over the transport failure of the last [`Step::Send`].
    pub fn on_failure(&mut self, failure: TransportError) {
        match &mut self.phase {
            Phase::Renewing { renewal, .. } => renewal.on_failure(failure),
            Phase::Captcha(flow) => flow.on_failure(failure),
            Phase::InFlight => self.phase = Phase::Failed(failure),
            _ => self.phase = Phase::Finished,
        }
    }

    /// Advances the call at time `now`.
    pub fn poll(&mut self, state: &mut ClientState, now: SystemTime) -> Step<O::Output> {
        let step = self.advance(state, now);
        if matches!(step, Step::Done(_))
            && let Some(ticket) = self.own_ticket.take()
        {
            state.refresh.finish(ticket);
        }
        step
    }

    fn advance(&mut self, state: &mut ClientState, now: SystemTime) -> Step<O::Output> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Finished) {
                Phase::Ready => {
                    self.phase = Phase::Ready;
                    if let Some(step) = self.prepare(state, now) {
                        return step;
                    }
                    if matches!(self.phase, Phase::Ready) {
                        return self.send(state);
                    }
                }
                Phase::InFlight => {
                    return self.finish(Err(BuildError::DriverMisuse(
                        "polled while a request was in flight",
                    )
                    .into()));
                }
                Phase::Finished => {
                    return Step::Done(Err(
                        BuildError::DriverMisuse("polled after completion").into()
                    ));
                }
                Phase::Waiting(until) if now < until => {
                    self.phase = Phase::Waiting(until);
                    return Step::Sleep(until);
                }
                Phase::Waiting(_) => self.phase = Phase::Ready,
                Phase::AwaitingRenewal { generation, until } => {
                    if state.refresh.generation == generation && now < until {
                        self.phase = Phase::AwaitingRenewal { generation, until };
                        return Step::Wait { generation, until };
                    }
                    // Woken, or the re-check time came: decide again from the state.
                    // Another call's renewal counts as this call's.
                    self.renewals = self.renewals.saturating_add(1);
                    self.phase = Phase::Ready;
                }
                Phase::Renewing {
                    mut renewal,
                    ticket,
                    forced,
                } => match renewal.poll(state, now) {
                    Step::Send(r) => {
                        self.phase = Phase::Renewing {
                            renewal,
                            ticket,
                            forced,
                        };
                        return Step::Send(r);
                    }
                    Step::Sleep(t) => {
                        self.phase = Phase::Renewing {
                            renewal,
                            ticket,
                            forced,
                        };
                        return Step::Sleep(t);
                    }
                    Step::Wait { .. } => {
                        state.refresh.finish(ticket);
                        return self
                            .finish(Err(BuildError::DriverMisuse("a renewal cannot wait").into()));
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
                            return step;
                        }
                    }
                },
                Phase::Captcha(flow) => {
                    if let Some(step) = self.captcha_step(state, now, *flow) {
                        return step;
                    }
                }
                Phase::Failed(failure) => {
                    let kind = failure.kind;
                    if let Some(step) = self.retry(state, now, AttemptFailure::Transport(kind)) {
                        tracing::debug!(request_id = self.rid(), attempt = self.attempt, error = %kind, "transport failure, retrying");
                        return step;
                    }
                    return self.finish(Err(failure.with_attempts(self.attempt).into()));
                }
                Phase::Responded(response, received_at) => {
                    if let Some(step) = self.on_answer(state, received_at.min(now), response) {
                        return step;
                    }
                }
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
            Err(e) => return Some(self.finish(Err(e.into()))),
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
        let creds = state.session.credentials()?;
        let margin = state.config.refresh_margin();
        let expired = now >= creds.expires_at;
        // Renew for the margin once per call; again only for a rejected or expired
        // token, and never more than MAX_RENEWALS_PER_CALL times.
        let near_expiry = creds.expires_within(now, margin) && self.renewals == 0;
        let wants_renewal = self.force_renewal || expired || near_expiry;
        // After a passing refresh failure the old token is used only while it is valid;
        // once it expires, the next send tries renewing again.
        if !wants_renewal || (self.renewal_failed && !expired) {
            return None;
        }
        if self.renewals >= MAX_RENEWALS_PER_CALL {
            return if expired {
                Some(self.finish(Err(BuildError::SessionExpired.into())))
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
        match Renewal::for_credentials(creds) {
            Some(renewal) => {
                let ticket = state.refresh.start();
                tracing::debug!(
                    request_id = self.rid(),
                    forced = self.force_renewal,
                    "refreshing the session"
                );
                self.phase = Phase::Renewing {
                    renewal: Box::new(renewal),
                    ticket,
                    forced: std::mem::take(&mut self.force_renewal),
                };
                None
            }
            // No way to renew: use the token while it lasts, then the session is over.
            None if now < creds.expires_at && !self.force_renewal => None,
            None => Some(self.finish(Err(BuildError::SessionExpired.into()))),
        }
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
            return Some(self.finish(Err(BuildError::DriverMisuse("no request").into())));
        };
        if let Err(e) = check_status(api, &response, now) {
            if let Error::Server(server) = &e {
                if self.op.ends_session_on(server) {
                    state.session.sign_out();
                }
                if api.is_auth()
                    && !self.captcha_tried
                    && self.op.captcha_protected()
                    && let Some(code) = server.code.auth()
                    && matches!(
                        code,
                        AuthErrorCode::CaptchaRequired | AuthErrorCode::CaptchaInvalid
                    )
                {
                    self.captcha_tried = true;
                    let cached = state.session.captcha_token(now).map(|t| t.token.clone());
                    match cached {
                        // A cached token is reused unless the server called it invalid.
                        Some(token) if *code == AuthErrorCode::CaptchaRequired => {
                            self.captcha_token = Some(token);
                        }
                        _ => {
                            state.session.clear_captcha();
                            let purpose = self.captcha_purpose();
                            tracing::info!(request_id = self.rid(), code = %server.code, "captcha required; fetching a challenge");
                            self.phase = Phase::Captcha(Box::new(CaptchaFlow::Creating(
                                Call::new(CreateCaptchaData::new(purpose)),
                            )));
                            return None;
                        }
                    }
                    self.request_id = None;
                    self.phase = Phase::Ready;
                    return None;
                }
                if let Some(sent) = &self.sent_token
                    && !self.replayed
                    && is_token_rejection(api, server)
                {
                    self.replayed = true;
                    let current = state.session.credentials().map(|c| &c.access_token);
                    // Another call may have refreshed already: then just replay.
                    self.force_renewal = current == Some(sent);
                    tracing::info!(request_id = self.rid(), code = %server.code, "token rejected; refreshing and replaying once");
                    self.phase = Phase::Ready;
                    return None;
                }
            }
            return Some(self.finish(Err(e)));
        }
        let mut cx = ResponseContext {
            now,
            request_id: self.request_id.as_deref().unwrap_or_default(),
            session: &mut state.session,
            config: &state.config,
        };
        match self.op.parse_step(response, &mut cx) {
            Ok(Progress::Done(output)) => Some(self.finish(Ok(output))),
            Ok(Progress::Next) => {
                // A new request: fresh id, fresh attempts, same session rules.
                self.request_id = None;
                self.attempt = 0;
                self.replayed = false;
                self.phase = Phase::Ready;
                None
            }
            Err(e) => Some(self.finish(Err(e))),
        }
    }

    /// Adds the captcha token the replay must carry: the `captcha_token` query
    /// parameter (JS SDK) and the `x-captcha-token` header (HTTP API docs); auth.md
    /// §5.3 notes sending both is harmless.
    fn with_captcha(&self, spec: RequestSpec) -> RequestSpec {
        let Some(token) = &self.captcha_token else {
            return spec;
        };
        let spec = spec.query("captcha_token", token.expose());
        match http::HeaderValue::from_str(token.expose()) {
            Ok(mut v) => {
                v.set_sensitive(true);
                spec.header(http::HeaderName::from_static("x-captcha-token"), v)
            }
            Err(_) => spec,
        }
    }

    /// `"<METHOD>:<path>"` of the call, the captcha `state` the JS SDK sends: the
    /// path as its auth client names it, without the `/auth` prefix
    /// (`POST:/v1/verification`; transcripts auth/captcha/*), since the captcha
    /// token may be bound to it.
    fn captcha_purpose(&self) -> String {
        match &self.spec {
            Some(spec) => {
                let prefix = spec.api.prefix();
                let prefix = prefix.strip_prefix("auth/").unwrap_or(prefix);
                format!("{}:/{prefix}{}", spec.method, spec.path)
            }
            None => String::new(),
        }
    }

    /// Advances the captcha flow: fetch a challenge, have it solved, verify the
    /// answer, then replay the call with the captcha token.
    fn captcha_step(
        &mut self,
        state: &mut ClientState,
        now: SystemTime,
        flow: CaptchaFlow,
    ) -> Option<Step<O::Output>> {
        match flow {
            CaptchaFlow::Creating(mut call) => match call.poll(state, now) {
                Step::Send(r) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Creating(call)));
                    Some(Step::Send(r))
                }
                Step::Sleep(t) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Creating(call)));
                    Some(Step::Sleep(t))
                }
                Step::Wait { .. } => Some(self.finish(Err(
                    BuildError::DriverMisuse("a captcha cannot wait").into(),
                ))),
                Step::Done(Err(e)) => Some(self.finish(Err(e))),
                Step::Done(Ok(challenge)) => match state.captcha_solver() {
                    Some(solver) => {
                        self.pending_solve = Some((solver, challenge.clone()));
                        self.phase = Phase::Captcha(Box::new(CaptchaFlow::Solving(challenge)));
                        // ActiveCall runs the solver and polls again at once.
                        Some(Step::Sleep(now))
                    }
                    None => Some(self.finish(Err(Error::Captcha(Box::new(challenge))))),
                },
            },
            CaptchaFlow::Solving(challenge) => match self.captcha_answer.take() {
                Some(Some(key)) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Verifying(Call::new(
                        VerifyCaptchaData::new(&challenge, key),
                    ))));
                    None
                }
                // The solver gave up, or nobody ran it (a bare `Call` without ActiveCall).
                _ => {
                    self.pending_solve = None;
                    Some(self.finish(Err(Error::Captcha(Box::new(challenge)))))
                }
            },
            CaptchaFlow::Verifying(mut call) => match call.poll(state, now) {
                Step::Send(r) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Verifying(call)));
                    Some(Step::Send(r))
                }
                Step::Sleep(t) => {
                    self.phase = Phase::Captcha(Box::new(CaptchaFlow::Verifying(call)));
                    Some(Step::Sleep(t))
                }
                Step::Wait { .. } => Some(self.finish(Err(
                    BuildError::DriverMisuse("a captcha cannot wait").into(),
                ))),
                Step::Done(Err(e)) => Some(self.finish(Err(e))),
                Step::Done(Ok(token)) => {
                    tracing::info!(
                        request_id = self.rid(),
                        "captcha solved; replaying the call"
                    );
                    self.captcha_token = Some(token.token);
                    self.request_id = None;
                    self.phase = Phase::Ready;
                    None
                }
            },
        }
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

    fn send(&mut self, state: &mut ClientState) -> Step<O::Output> {
        let Some(spec) = &self.spec else {
            return self.finish(Err(BuildError::DriverMisuse("no request").into()));
        };
        let request_id = self
            .request_id
            .get_or_insert_with(|| match spec.request_id_style() {
                RequestIdStyle::Uuid => ids::request_id_uuid(state.rng.as_mut()),
                _ => ids::request_id_hex(state.rng.as_mut()),
            });
        let user_token = state.session.credentials().map(|c| &c.access_token);
        let envelope = Envelope {
            config: &state.config,
            device_id: &state.device_id,
            request_id,
            user_token,
        };
        match request::build(spec, &envelope) {
            Ok(req) => {
                self.attempt += 1;
                self.sent_token = match spec.access() {
                    Access::User | Access::Bearer | Access::UserOrClientId
                        if !spec.has_bearer_override() =>
                    {
                        user_token.cloned()
                    }
                    _ => None,
                };
                // Path only: queries may carry tokens (e.g. `sudo_token`).
                tracing::debug!(request_id = %request_id, attempt = self.attempt, method = %req.method(), path = req.uri().path(), "send");
                self.phase = Phase::InFlight;
                Step::Send(req)
            }
            Err(e) => self.finish(Err(e.into())),
        }
    }
}
