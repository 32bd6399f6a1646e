//! Blocking client for Tencent CloudBase, on [ureq](https://docs.rs/ureq) 3.
//!
//! All protocol knowledge (paths, headers, credentials, retries, error mapping) lives
//! in [`cloudbase_core`]; this crate only sends requests, sleeps and reads the clock,
//! so it behaves exactly like the async client in `cloudbase-async`.
//!
//! ```no_run
//! use cloudbase_blocking::{Client, Config};
//!
//! let client = Client::new(Config::builder("my-env-1a2b").publishable_key("pk_...").build()?)?;
//! client.sign_in_anonymously()?;
//! let result = client.call_function("echo", &serde_json::json!({"hello": "world"}))?;
//! println!("{}", result.text()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Arc, Condvar, Mutex};
use std::time::SystemTime;

use rand::SeedableRng;

pub use cloudbase_core;
/// Custom-login tickets and access-token verification (the `backend` feature).
#[cfg(feature = "backend")]
pub use cloudbase_core::backend;
pub use cloudbase_core::prelude::*;
pub use cloudbase_core::store::{MemoryStore, SessionStore};
/// The operations and types of each area, at the paths users import them from (the
/// same modules as `cloudbase_core`'s, so one crate is all a user depends on).
pub use cloudbase_core::{auth, functions, models, rdb, sse, storage, stream, transfer};
/// The session file, shared safely between processes (the `cloudbase-store` crate).
pub use cloudbase_store::FileStore;
/// The HTTP library this client sends with, at the version it uses (for
/// [`Client::with_http_client`]).
pub use ureq;

pub mod ai;
mod data;
mod event_stream;
mod in_flight;
mod streaming;
use cloudbase_core::request::{StreamedBody, StreamedResponse};
use cloudbase_core::stream::{
    EventStreamBody, EventStreamResponse, StreamDecoder, is_event_stream,
};
use cloudbase_core::transfer::{Transfer, UploadSource};
use cloudbase_core::{ClientState, HttpRequest, HttpResponse, SharedState, Step};
pub use data::{Models, Mysql, Records};
pub use event_stream::EventStream;
pub use services::{
    Apis, BucketHandle, Container, CopyFileRequest, DownloadFileRequest, ServiceRequest, Storage,
    UploadFileRequest,
};
mod services;

/// A blocking CloudBase client. Cheap to clone (an `Arc` inside: clones share the
/// session, the connection pool and the refresh), and to share across threads: calls
/// run concurrently, and the lock on the shared state is held only while the core
/// decides the next step, never while a request is on the wire. Handles such as
/// `models()` and `storage()` own a clone, so they live as long as they are needed.
#[derive(Clone)]
pub struct Client {
    state: Arc<SharedState>,
    /// The last refresh generation the waker announced, for calls in `Step::Wait`.
    refresh: Arc<(Mutex<u64>, Condvar)>,
    agent: ureq::Agent,
    /// Whether `agent` is the SDK's (configured with its rules) or the caller's
    /// (configured per request).
    own_agent: bool,
    /// Timeouts and size limits, from the config.
    transport: cloudbase_core::TransportOptions,
    /// Requests on the wire at once, at most `transport.max_concurrent_requests`.
    in_flight: Arc<in_flight::InFlight>,
}

/// Auth events of a client, from [`Client::auth_events`]: an iterator that waits
/// for each event.
#[derive(Debug)]
pub struct AuthEvents {
    reader: cloudbase_core::events::EventReader,
}

impl Iterator for AuthEvents {
    type Item = AuthEventItem;

    fn next(&mut self) -> Option<AuthEventItem> {
        Some(self.reader.wait_next())
    }
}

impl AuthEvents {
    /// The next item if one is waiting, without waiting.
    pub fn try_next(&mut self) -> Option<AuthEventItem> {
        self.reader.try_next()
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client for `config`, with an OS-seeded random source. Returns a `Result`
    /// like the async client's `new` (whose TLS backend may fail to start), so code
    /// moves between the two unchanged; this one does not fail today.
    ///
    /// ```
    /// let config = cloudbase_blocking::Config::builder("demo-env").build()?;
    /// let client = cloudbase_blocking::Client::new(config)?;
    /// assert!(client.session().credentials().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::build(config, None)
    }

    /// A client whose session is restored from `store` and saved there on every
    /// change; listeners then start from the restored session (`INITIAL_SESSION`).
    /// A store that cannot be read is an error, and is left untouched.
    ///
    /// ```no_run
    /// use cloudbase_blocking::{Client, Config, FileStore};
    ///
    /// let config = Config::builder("my-env").build()?;
    /// let client = Client::with_store(config, FileStore::new("session.json"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_store(config: Config, store: impl SessionStore + 'static) -> Result<Self, Error> {
        Self::build(config, Some(Arc::new(store)))
    }

    /// A client that sends through your own `ureq::Agent` (your proxies, root
    /// certificates). The SDK's rules still hold: each request is configured to
    /// report error statuses as answers, follow no redirect and keep the configured
    /// timeouts, whatever the agent's own settings.
    ///
    /// ```
    /// let agent: cloudbase_blocking::ureq::Agent = cloudbase_blocking::ureq::Agent::config_builder()
    ///     .http_status_as_error(true) // overridden per request
    ///     .build()
    ///     .into();
    /// let config = cloudbase_blocking::Config::builder("demo-env").build()?;
    /// let client = cloudbase_blocking::Client::with_http_client(config, agent)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_http_client(config: Config, agent: ureq::Agent) -> Result<Self, Error> {
        Self::build_with(config, None, Some(agent))
    }

    fn build(config: Config, store: Option<Arc<dyn SessionStore>>) -> Result<Self, Error> {
        Self::build_with(config, store, None)
    }

    /// The SDK's own agent, with its rules built in (so no per-request configuration).
    fn sdk_agent(t: &TransportOptions) -> ureq::Agent {
        ureq::Agent::config_builder()
            .http_status_as_error(false) // error bodies carry the server's code
            .max_redirects(0) // a redirect is reported, never followed
            .timeout_connect(Some(t.connect_timeout))
            // Each phase is bounded rather than the whole attempt: ureq does not
            // return a connection to its pool when a global or per-call deadline is
            // set, and reconnecting every call cost 4-5x in throughput (bench/).
            .timeout_send_request(Some(t.request_timeout))
            .timeout_send_body(Some(t.request_timeout))
            .timeout_recv_response(Some(t.request_timeout))
            .timeout_recv_body(Some(t.request_timeout))
            .max_idle_connections_per_host(t.max_idle_connections_per_host)
            // A few hosts at most (the gateway, storage, Cloud Run): room for each.
            .max_idle_connections(t.max_idle_connections_per_host.saturating_mul(4))
            .max_idle_age(t.idle_connection_timeout)
            .user_agent(cloudbase_core::request::SDK_VERSION)
            .build()
            .into()
    }

    fn build_with(
        config: Config,
        store: Option<Arc<dyn SessionStore>>,
        agent: Option<ureq::Agent>,
    ) -> Result<Self, Error> {
        let t = config.transport().clone();
        let own_agent = agent.is_none();
        let agent = agent.unwrap_or_else(|| Self::sdk_agent(&t));
        let rng = rand::rngs::StdRng::from_os_rng();
        let refresh = Arc::new((Mutex::new(0u64), Condvar::new()));
        let notify = refresh.clone();
        let waker = move |generation: u64| {
            let (seen, moved) = &*notify;
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            *seen = (*seen).max(generation);
            moved.notify_all();
        };
        let shared = SharedState::new(ClientState::new(config, Box::new(rng)), waker);
        Ok(Self {
            refresh,
            state: Arc::new(match store {
                Some(store) => shared.with_store(store)?,
                None => shared,
            }),
            agent,
            own_agent,
            in_flight: Arc::new(in_flight::InFlight::new(t.max_concurrent_requests)),
            transport: t,
        })
    }

    /// Runs any core operation to completion: sends, retries and sleeps as the core
    /// decides.
    ///
    /// ```no_run
    /// use cloudbase_blocking::{CallFunction, Client, Config};
    ///
    /// let client = Client::new(Config::builder("my-env").api_key("key").build()?)?;
    /// // Safe to repeat, so it may be retried after a 503 or a timeout.
    /// let call = CallFunction::new("get-prices")?.data(&["BTC"])?.idempotent();
    /// let prices: Vec<f64> = client.execute(call)?.json()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute<O: Operation>(&self, op: O) -> Result<O::Output, Error> {
        self.execute_transfer(op, &Transfer::new())
    }

    /// Runs a core operation whose body or answer is streamed: requests it marks
    /// with [`StreamedBody`] send
    /// `transfer.source` (read in chunks; a path is reopened for every attempt), and a
    /// successful answer to one marked
    /// [`StreamedResponse`] is written to
    /// `transfer.sink` (as `<name>.part`, renamed when complete). Progress goes to
    /// `transfer.progress`. Streamed attempts have no overall time limit (the connect
    /// timeout and the wait for the response head still apply); a download ends with a
    /// timeout when no byte arrives for `download_idle_timeout`, and is held to its
    /// `Content-Length` and to `max_download_bytes` ([`TransportOptions`]).
    ///
    /// ```no_run
    /// use cloudbase_blocking::{Client, Config};
    /// use cloudbase_blocking::storage::UploadFile;
    /// use cloudbase_blocking::transfer::{Transfer, UploadSource};
    ///
    /// let client = Client::new(Config::builder("my-env").api_key("key").build()?)?;
    /// let source = UploadSource::file("movie.mp4");
    /// let len = client.source_len(&source)?;
    /// let op = UploadFile::new("videos/movie.mp4", len)?.content_type("video/mp4")?;
    /// let uploaded = client.execute_transfer(op, &Transfer::new().source(source))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_transfer<O: Operation>(
        &self,
        op: O,
        transfer: &Transfer,
    ) -> Result<O::Output, Error> {
        self.run(op, transfer, &mut None)
    }

    /// Runs an operation whose answer may be an event stream
    /// ([`EventStreamResponse`]), then
    /// reads the stream through `decoder`: items come as the iterator is advanced,
    /// and no byte is read before it asks (backpressure). Each read waits at most
    /// `download_idle_timeout`; dropping the iterator closes the connection.
    pub fn open_stream<O, D>(&self, op: O, decoder: D) -> Result<EventStream<D>, Error>
    where
        O: Operation<Output = ()>,
        D: StreamDecoder,
    {
        let mut body = None;
        self.run(op, &Transfer::new(), &mut body)?;
        let body = body.ok_or(Error::Internal("a stream was opened without its body"))?;
        Ok(EventStream::new(body, decoder))
    }

    fn run<O: Operation>(
        &self,
        op: O,
        transfer: &Transfer,
        stream_body: &mut Option<ureq::Body>,
    ) -> Result<O::Output, Error> {
        let mut call = self.state.start(op);
        // The shared store's lock, while a coordinated renewal holds it.
        let mut store_lock = None;
        loop {
            let step = call.poll(SystemTime::now());
            if store_lock.is_none() {
                self.persist();
            }
            match step {
                Step::Send(request) => match self.send(request, transfer, stream_body) {
                    Ok(response) => call.on_response(SystemTime::now(), response),
                    Err(failure) => call.on_failure(failure),
                },
                Step::Sleep(until) => {
                    if let Ok(wait) = until.duration_since(SystemTime::now()) {
                        std::thread::sleep(wait);
                    }
                }
                Step::Wait { generation, until } => {
                    let wait = until.duration_since(SystemTime::now()).unwrap_or_default();
                    let (seen, moved) = &*self.refresh;
                    let seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                    let _unused = moved.wait_timeout_while(seen, wait, |g| *g <= generation);
                }
                Step::Store(task) => call.on_store(task.run(&mut store_lock)),
                Step::Done(result) => {
                    drop(store_lock);
                    self.persist();
                    return result;
                }
            }
        }
    }

    /// The time now: the adapter reads the clock (core never does).
    #[cfg_attr(not(feature = "backend"), allow(dead_code))]
    fn clock(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Writes the newest session change, if one waits (outside the state lock).
    fn persist(&self) {
        if let Some(task) = self.state.take_persist() {
            // A failure is logged by the task; the session in memory stays.
            let _ = task.run();
        }
    }

    /// The length of an upload source (a file's size), read before uploading because
    /// the size is signed into the upload.
    ///
    /// ```
    /// use cloudbase_blocking::transfer::UploadSource;
    /// let client = cloudbase_blocking::Client::new(cloudbase_blocking::Config::builder("e").build()?)?;
    /// assert_eq!(client.source_len(&UploadSource::bytes(vec![0u8; 3]))?, 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn source_len(&self, source: &UploadSource) -> Result<u64, Error> {
        match source {
            UploadSource::Bytes(b) => Ok(b.len() as u64),
            UploadSource::File(path) => {
                std::fs::metadata(path)
                    .map(|m| m.len())
                    .map_err(|source| Error::File {
                        path: path.clone(),
                        source,
                    })
            }
            _ => Err(Error::Internal("unknown upload source")),
        }
    }

    cloudbase_core::client_methods!(,);

    /// Auth events as an iterator: `INITIAL_SESSION` first, then every change, in
    /// order; `next` waits for the next one. At most
    /// [`DEFAULT_CAPACITY`](cloudbase_core::events::DEFAULT_CAPACITY) unread events
    /// are kept: a reader that falls further behind gets
    /// [`AuthEventItem::Lagged`] with the number it missed. Dropping the iterator
    /// ends the subscription.
    ///
    /// ```
    /// use cloudbase_blocking::{AuthEventItem, AuthEventKind};
    /// let client = cloudbase_blocking::Client::new(cloudbase_blocking::Config::builder("demo-env").build()?)?;
    /// let mut events = client.auth_events();
    /// match events.next() {
    ///     Some(AuthEventItem::Event(e)) => assert_eq!(e.kind, AuthEventKind::InitialSession),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn auth_events(&self) -> AuthEvents {
        AuthEvents {
            reader: self.state.auth_events(),
        }
    }

    fn send(
        &self,
        request: HttpRequest,
        transfer: &Transfer,
        stream_body: &mut Option<ureq::Body>,
    ) -> Result<HttpResponse, TransportError> {
        // Held for the exchange (an event stream's, until its head is in).
        let _slot = self.in_flight.enter();
        let event_stream = request.extensions().get::<EventStreamResponse>().is_some();
        let stream_response =
            event_stream || request.extensions().get::<StreamedResponse>().is_some();
        // An answer to HEAD has no body, whatever its headers say (a Content-Encoding
        // there describes the GET body): nothing is read or decoded.
        let head = request.method() == http::Method::HEAD;
        let response = match request.extensions().get::<StreamedBody>().copied() {
            Some(StreamedBody { len }) => {
                let reader = streaming::open_source(transfer, len)?;
                let (parts, _) = request.into_parts();
                let request =
                    http::Request::from_parts(parts, ureq::SendBody::from_owned_reader(reader));
                self.agent.run(self.unbounded(request)).map_err(classify)?
            }
            None if stream_response => {
                // No deadline on the body, but each read waits at most the idle timeout.
                let request = self
                    .agent
                    .configure_request(request)
                    .http_status_as_error(false)
                    .max_redirects(0)
                    .timeout_recv_body(None)
                    .timeout_per_read(Some(self.transport.download_idle_timeout))
                    .build();
                self.agent.run(request).map_err(classify)?
            }
            None => self.agent.run(self.with_rules(request)).map_err(classify)?,
        };
        let (parts, body) = response.into_parts();
        if event_stream {
            if is_event_stream(parts.status, &parts.headers) {
                *stream_body = Some(body);
                let mut head = http::Response::from_parts(parts, Vec::new());
                head.extensions_mut().insert(EventStreamBody);
                return Ok(head);
            }
        } else if stream_response && parts.status.is_success() {
            return streaming::receive(parts, body, transfer, &self.transport);
        }
        if head {
            return Ok(http::Response::from_parts(parts, Vec::new()));
        }
        let bytes = body
            .into_with_config()
            .limit(self.transport.max_response_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(limit) => {
                    TransportError::new(TransportErrorKind::ResponseTooLarge { limit }, e)
                }
                other => classify(other),
            })?;
        Ok(http::Response::from_parts(parts, bytes))
    }
}

impl Client {
    /// The SDK's rules on a request for a caller's agent (the SDK's own agent has
    /// them already, and per-request configuration would cost a config copy).
    fn with_rules<S: ureq::AsSendBody>(&self, request: http::Request<S>) -> http::Request<S> {
        if self.own_agent {
            return request;
        }
        let t = &self.transport;
        self.agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(t.connect_timeout))
            .timeout_send_request(Some(t.request_timeout))
            .timeout_send_body(Some(t.request_timeout))
            .timeout_recv_response(Some(t.request_timeout))
            .timeout_recv_body(Some(t.request_timeout))
            .build()
    }

    /// A streamed request: no limit on sending or reading the body, but a bounded
    /// wait for the response head.
    fn unbounded<S: ureq::AsSendBody>(&self, request: http::Request<S>) -> http::Request<S> {
        self.agent
            .configure_request(request)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_send_body(None)
            .timeout_recv_body(None)
            .build()
    }
}

/// Maps ureq's error to the core's kinds: only failures that happen before the
/// request could leave the machine count as [`TransportErrorKind::Connect`].
fn classify(error: ureq::Error) -> TransportError {
    use std::io::ErrorKind as Io;
    use ureq::Timeout as T;
    let kind = match &error {
        ureq::Error::HostNotFound | ureq::Error::ConnectionFailed => TransportErrorKind::Connect,
        ureq::Error::Timeout(T::Resolve | T::Connect) => TransportErrorKind::Connect,
        ureq::Error::Timeout(_) => TransportErrorKind::Timeout,
        ureq::Error::Io(e) if matches!(e.kind(), Io::ConnectionRefused | Io::AddrNotAvailable) => {
            TransportErrorKind::Connect
        }
        ureq::Error::Io(e) if e.kind() == Io::TimedOut => TransportErrorKind::Timeout,
        ureq::Error::Io(_) | ureq::Error::Protocol(_) => TransportErrorKind::ConnectionLost,
        ureq::Error::BodyExceedsLimit(limit) => {
            TransportErrorKind::ResponseTooLarge { limit: *limit }
        }
        _ => TransportErrorKind::Other,
    };
    TransportError::new(kind, error)
}

/// Every Rust block of the README, compiled as this crate's doctests, so that the
/// examples users copy build against the public paths.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
