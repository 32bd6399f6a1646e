//! The per-call driver every adapter polls.
//!
//! ```text
//! loop {
//!     match call.poll(&mut state, now()) {
//!         Step::Send(request) => match send(request) {
//!             Ok(response) => call.on_response(response),
//!             Err(failure) => call.on_failure(failure),
//!         },
//!         Step::Sleep(until) => sleep_until(until),
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```
//!
//! The driver owns every decision (headers, credentials, retries, error mapping); the
//! adapter only moves bytes, reads the clock and sleeps. Time comes in as an argument,
//! so tests drive calls on a virtual clock.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use rand_core::RngCore;

use crate::config::Config;
use crate::error::{BuildError, Error, TransportError};
use crate::ids;
use crate::request::{self, Envelope, HttpRequest, HttpResponse, RequestIdStyle, RequestSpec};
use crate::response::check_status;
use crate::retry::{self, AttemptFailure, RetryDecision, is_retryable_status, parse_retry_after};
use crate::session::Session;

/// One CloudBase operation: how to ask, and how to read the answer.
///
/// Implementations describe the request declaratively ([`RequestSpec`]); the shared
/// builder adds the origin, common headers, ids and credentials, and the driver checks
/// the error envelopes before [`Operation::parse`] sees a response.
pub trait Operation {
    /// What a successful call returns.
    type Output;

    /// The request, or why the input cannot be sent.
    fn request(&self) -> Result<RequestSpec, BuildError>;

    /// Whether sending the request twice has the same effect as once. Only
    /// idempotent operations are retried after the request may have reached the
    /// server. Defaults to `false`.
    fn is_idempotent(&self) -> bool {
        false
    }

    /// Reads a successful (non-error) answer; may update the session.
    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<Self::Output, Error>;
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
}

/// The state one client shares between its calls: configuration, session, device id
/// and the random source. Adapters keep it behind a lock and hold the lock only while
/// polling, never while sending.
pub struct ClientState {
    config: Config,
    session: Session,
    device_id: String,
    rng: Box<dyn RngCore + Send>,
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
            rng,
        }
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
}

/// A [`ClientState`] shared by concurrent calls: what every adapter's client holds.
///
/// The lock is taken only for [`SharedState::poll`] and the snapshots, never while a
/// request is on the wire, so calls run concurrently.
pub struct SharedState(Mutex<ClientState>);

impl fmt::Debug for SharedState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.lock().fmt(f)
    }
}

impl SharedState {
    /// Shares `state`.
    pub fn new(state: ClientState) -> Self {
        Self(Mutex::new(state))
    }

    /// Locks the state. The core changes it in single assignments, so a lock
    /// poisoned by a panic elsewhere is still consistent and is used as is.
    pub fn lock(&self) -> MutexGuard<'_, ClientState> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Advances `call` at `now` under the lock.
    pub fn poll<O: Operation>(&self, call: &mut Call<O>, now: SystemTime) -> Step<O::Output> {
        call.poll(&mut self.lock(), now)
    }

    /// A snapshot of the session.
    pub fn session(&self) -> Session {
        self.lock().session().clone()
    }

    /// The `x-device-id` the client sends.
    pub fn device_id(&self) -> String {
        self.lock().device_id().to_owned()
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
    /// The call is over.
    Done(Result<T, Error>),
}

enum Phase {
    Ready,
    InFlight,
    Responded(HttpResponse),
    Failed(TransportError),
    Waiting(SystemTime),
    Finished,
}

/// One call in progress. Create it with [`Call::new`] and [`Call::poll`] it until it
/// says [`Step::Done`].
pub struct Call<O: Operation> {
    op: O,
    spec: Option<RequestSpec>,
    request_id: Option<String>,
    attempt: u32,
    phase: Phase,
}

impl<O: Operation> fmt::Debug for Call<O> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("request_id", &self.request_id)
            .field("attempt", &self.attempt)
            .finish_non_exhaustive()
    }
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
        }
    }

    /// The request id of this call (the same on every retry, as in the JS SDK),
    /// once the first request was built.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Attempts sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Hands over the answer to the last [`Step::Send`].
    pub fn on_response(&mut self, response: HttpResponse) {
        self.phase = match self.phase {
            Phase::InFlight => Phase::Responded(response),
            _ => Phase::Finished,
        };
    }

    /// Hands over the transport failure of the last [`Step::Send`].
    pub fn on_failure(&mut self, failure: TransportError) {
        self.phase = match self.phase {
            Phase::InFlight => Phase::Failed(failure),
            _ => Phase::Finished,
        };
    }

    /// Advances the call at time `now`.
    pub fn poll(&mut self, state: &mut ClientState, now: SystemTime) -> Step<O::Output> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Finished) {
                Phase::Ready => return self.send(state),
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
                Phase::Failed(failure) => {
                    let kind = failure.kind;
                    if let Some(step) = self.retry(state, now, AttemptFailure::Transport(kind)) {
                        tracing::debug!(request_id = self.rid(), attempt = self.attempt, error = %kind, "transport failure, retrying");
                        return step;
                    }
                    return self.finish(Err(failure.with_attempts(self.attempt).into()));
                }
                Phase::Responded(response) => {
                    let status = response.status();
                    tracing::debug!(
                        request_id = self.rid(),
                        attempt = self.attempt,
                        status = status.as_u16(),
                        "response"
                    );
                    if is_retryable_status(status) {
                        let retry_after = parse_retry_after(response.headers(), now);
                        let failure = AttemptFailure::Status {
                            status,
                            retry_after,
                        };
                        if let Some(step) = self.retry(state, now, failure) {
                            return step;
                        }
                    }
                    let api = match &self.spec {
                        Some(spec) => spec.api(),
                        None => {
                            return self.finish(Err(BuildError::DriverMisuse("no request").into()));
                        }
                    };
                    if let Err(e) = check_status(api, &response, now) {
                        return self.finish(Err(e));
                    }
                    let mut cx = ResponseContext {
                        now,
                        request_id: self.request_id.as_deref().unwrap_or_default(),
                        session: &mut state.session,
                    };
                    let result = self.op.parse(response, &mut cx);
                    return self.finish(result);
                }
            }
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
                let until = now + delay;
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
        if self.spec.is_none() {
            match self.op.request() {
                Ok(spec) => self.spec = Some(spec),
                Err(e) => return self.finish(Err(e.into())),
            }
        }
        let Some(spec) = &self.spec else {
            return self.finish(Err(BuildError::DriverMisuse("no request").into()));
        };
        let request_id = self
            .request_id
            .get_or_insert_with(|| match spec.request_id_style() {
                RequestIdStyle::Uuid => ids::request_id_uuid(state.rng.as_mut()),
                _ => ids::request_id_hex(state.rng.as_mut()),
            });
        let envelope = Envelope {
            config: &state.config,
            device_id: &state.device_id,
            request_id,
            user_token: state.session.credentials().map(|c| &c.access_token),
        };
        match request::build(spec, &envelope) {
            Ok(req) => {
                self.attempt += 1;
                // Path only: queries may carry tokens (e.g. `sudo_token`).
                tracing::debug!(request_id = %request_id, attempt = self.attempt, method = %req.method(), path = req.uri().path(), "send");
                self.phase = Phase::InFlight;
                Step::Send(req)
            }
            Err(e) => self.finish(Err(e.into())),
        }
    }
}
