//! A client's state shared by concurrent calls: the lock, the session store, the
//! auth-event listeners and the waker of calls waiting for a refresh.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use crate::auth::{CaptchaSolver, Claims, decode_claims};
use crate::call::{Call, Step};
use crate::client_state::ClientState;
use crate::error::{Error, SessionError, TransportError};
use crate::operation::Operation;
use crate::persistence::{PersistTask, StoreLink};
use crate::request::HttpResponse;
use crate::session::{AuthEvent, AuthEventKind, Session};
use crate::store::{SessionStore, StoreError, StoreKey};

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
    /// The newest session change not yet handed to the adapter for writing.
    pending: Mutex<Option<PersistTask>>,
    /// Whether `pending` may hold a task: read by every step of every call, written
    /// only when the session changes, so calls on other cores share it without
    /// taking the `pending` lock (three times per call before).
    has_pending: AtomicBool,
    /// The environment id, for the operation spans (read once, not under the lock).
    env: String,
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
        let env = state.config.env_id().to_owned();
        Self {
            state: Mutex::new(state),
            pending: Mutex::new(None),
            has_pending: AtomicBool::new(false),
            env,
            waker: Box::new(waker),
            listeners: Mutex::new(Vec::new()),
            next_listener: Mutex::new(0),
        }
    }

    /// Restores the session from `store` and keeps it there from now on: after every
    /// change (sign-in, refresh, sign-out) a [`PersistTask`] waits in
    /// [`SharedState::take_persist`] for the adapter to run, outside the state lock.
    /// A store that cannot be read is an error; nothing is overwritten. A store
    /// shared with other processes ([`SessionStore::is_shared`]) also coordinates
    /// renewals through its lock ([`crate::coordination`]).
    pub fn with_store(self, store: Arc<dyn SessionStore>) -> Result<Self, StoreError> {
        let key = {
            let st = self.lock();
            StoreKey {
                env_id: st.config.env_id().to_owned(),
                client_id: st.config.client_id().to_owned(),
            }
        };
        let restored = store.load(&key)?;
        {
            let mut st = self.lock();
            st.session = Session::restored(restored);
            let lock_timeout = st.config.transport().store_lock_timeout;
            st.store = Some(StoreLink {
                store,
                key,
                lock_timeout,
                written: Arc::new(Mutex::new(0)),
            });
        }
        Ok(self)
    }

    /// The access token's claims, decoded locally; see [`decode_claims`]. The
    /// signature is **not** verified.
    pub fn claims(&self) -> Result<Claims, Error> {
        let st = self.lock();
        let creds = st.session.credentials().ok_or(SessionError::NotSignedIn)?;
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
        let env = &self.env;
        // One span per operation, with OpenTelemetry's HTTP-client field names; the
        // driver fills them in (method and path only: queries may carry tokens).
        let span = tracing::info_span!(
            "cloudbase.operation",
            otel.kind = "client",
            cloudbase.operation = crate::call::operation_name::<O>(),
            cloudbase.env = %env,
            cloudbase.request_id = tracing::field::Empty,
            http.request.method = tracing::field::Empty,
            url.path = tracing::field::Empty,
            http.request.resend_count = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        ActiveCall {
            shared: self,
            call: Call::new(op),
            span,
        }
    }

    /// The environment id (fixed at creation).
    pub fn env_id(&self) -> &str {
        &self.env
    }

    /// Verifies users' access tokens with `keys` from now on, never fetching.
    #[cfg(feature = "backend")]
    pub fn use_key_set(&self, keys: crate::backend::KeySet) {
        self.lock().key_cache.give(keys);
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

    /// Forgets the cached captcha token.
    pub fn clear_captcha_token(&self) {
        self.lock().captcha_cache.clear();
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
            // Numbered under the lock, written outside it (PersistTask::run keeps
            // the newest); a change the driver already wrote under the store's lock,
            // or read from the store, is not written again.
            let in_sync = std::mem::take(&mut st.store_in_sync);
            if !events.is_empty()
                && !in_sync
                && let Some(link) = st.store.clone()
            {
                st.persist_seq += 1;
                let task = PersistTask {
                    link,
                    seq: st.persist_seq,
                    credentials: st.session.credentials().cloned(),
                };
                let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                *pending = Some(task);
                // Set under the `pending` lock, as `take_persist` clears it.
                self.has_pending.store(true, Ordering::Release);
            }
            (result, (after != before).then_some(after), events)
        };
        if let Some(g) = generation {
            (self.waker)(g);
        }
        self.dispatch(&events);
        result
    }

    /// The newest session change to write, if one waits: adapters run it after each
    /// step (the blocking adapter inline, the async one off the runtime), and not
    /// while they hold the store's lock for a coordinated renewal.
    pub fn take_persist(&self) -> Option<PersistTask> {
        if !self.has_pending.load(Ordering::Acquire) {
            return None;
        }
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        // Cleared under the lock, so a task stored after this take is seen next time.
        self.has_pending.store(false, Ordering::Release);
        pending.take()
    }

    /// A reader of auth events through a bounded queue
    /// ([`crate::events::DEFAULT_CAPACITY`]): `INITIAL_SESSION` first, then every
    /// change; a reader that falls behind is told how many it missed.
    pub fn auth_events(&self) -> crate::events::EventReader {
        let queue = crate::events::EventQueue::new(crate::events::DEFAULT_CAPACITY);
        let listener = queue.clone();
        self.subscribe_while(move |event| listener.push(event));
        crate::events::EventReader::new(queue)
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
    /// The operation's span, entered while the driver decides each step (never
    /// across an adapter's await).
    span: tracing::Span,
}

impl<O: Operation> ActiveCall<'_, O> {
    /// Advances the call at `now`.
    pub fn poll(&mut self, now: SystemTime) -> Step<O::Output> {
        let _entered = self.span.enter();
        // Outside the lock: decoding an answer needs no client state.
        self.call.read_outside_lock(now);
        if let Some(done) = self.call.finished_outside_lock() {
            return done;
        }
        loop {
            let call = &mut self.call;
            let step = match self.shared.with_state(|st| call.poll_until_send(st, now)) {
                Ok(step) => step,
                // Built outside the lock: the request needs nothing more of the state.
                Err(outgoing) => match self.call.send_with(outgoing) {
                    Ok(step) => step,
                    Err(e) => {
                        let call = &mut self.call;
                        self.shared.with_state(|st| call.fail_send(st, now, e))
                    }
                },
            };
            if let Step::Done(Err(e)) = &step {
                self.span.record("error.type", error_type(e));
            }
            // A captcha solver is app code: it runs here, outside the lock.
            if !self.call.solve_pending() {
                return step;
            }
        }
    }

    /// See [`Call::on_response`].
    pub fn on_response(&mut self, now: SystemTime, response: HttpResponse) {
        self.call.on_response(now, response);
    }

    /// See [`Call::on_store`].
    pub fn on_store(&mut self, reply: crate::persistence::StoreReply) {
        self.call.on_store(reply);
    }

    /// See [`Call::on_failure`].
    pub fn on_failure(&mut self, failure: TransportError) {
        self.call.on_failure(failure);
    }
}

/// `error.type` of a failed operation: the layer, and the server's code if any.
fn error_type(e: &Error) -> String {
    match e {
        Error::Server(s) => s.code.to_string(),
        Error::Transport(t) => t.kind.to_string(),
        Error::Build(_) => "build".into(),
        Error::Session(_) => "session".into(),
        Error::Decode(_) => "decode".into(),
        Error::Store(_) => "store".into(),
        Error::Captcha(_) => "captcha".into(),
        Error::File { .. } => "file".into(),
        Error::Token(_) => "token".into(),
        Error::Internal(_) => "internal".into(),
    }
}

impl<O: Operation> Drop for ActiveCall<'_, O> {
    fn drop(&mut self) {
        if let Some(ticket) = self.call.renewal_ticket() {
            self.shared.with_state(|st| st.refresh.finish(ticket));
        }
    }
}
