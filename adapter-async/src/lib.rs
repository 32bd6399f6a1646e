//! Async client for Tencent CloudBase, on [reqwest](https://docs.rs/reqwest) and tokio.
//!
//! All protocol knowledge (paths, headers, credentials, retries, error mapping) lives
//! in [`cloudbase_core`]; this crate only sends requests, sleeps and reads the clock,
//! so it behaves exactly like the blocking client in `cloudbase-blocking`.
//!
//! ```no_run
//! use cloudbase_async::{Client, Config};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::new(Config::builder("my-env-1a2b").publishable_key("pk_...").build()?)?;
//! client.sign_in_anonymously().await?;
//! let result = client.call_function("echo", &serde_json::json!({"hello": "world"})).await?;
//! println!("{}", result.text()?);
//! # Ok(()) }
//! ```

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
/// `next()` and the other stream adapters for [`Records`] and [`AuthEvents`] (the
/// `futures-util` trait, so no other crate is needed).
pub use futures_util::StreamExt;
/// The HTTP library this client sends with, at the version it uses (for
/// [`Client::with_http_client`]).
pub use reqwest;

pub mod ai;
mod data;
mod event_stream;
mod in_flight;
mod reqwest_request;
mod services;
mod streaming;
use cloudbase_core::persistence::StoreReply;
use cloudbase_core::request::{StreamedBody, StreamedResponse};
use cloudbase_core::stream::{
    EventStreamBody, EventStreamResponse, StreamDecoder, is_event_stream,
};
use cloudbase_core::transfer::{Transfer, UploadSource};
use cloudbase_core::{ActiveCall, ClientState, HttpRequest, HttpResponse, SharedState, Step};
pub use data::{Models, Mysql, Records};
pub use event_stream::EventStream;
pub use services::{
    Apis, BucketHandle, Container, CopyFileRequest, DownloadFileRequest, ServiceRequest, Storage,
    UploadFileRequest,
};

/// An async CloudBase client. Cheap to clone (an `Arc` inside: clones share the
/// session, the connection pool and the refresh), so move a clone into each task;
/// the lock on the shared state is held only while the core decides the next step,
/// never across an `.await`. Handles such as `models()` and `storage()` own a clone,
/// so they are `'static`.
#[derive(Clone)]
pub struct Client {
    state: std::sync::Arc<SharedState>,
    /// The last refresh generation the waker announced, for calls in `Step::Wait`.
    refresh: std::sync::Arc<tokio::sync::watch::Sender<u64>>,
    http: reqwest::Client,
    /// Whether `http` is the SDK's (built with redirects off) or the caller's.
    own_http: bool,
    /// Timeouts and size limits, from the config.
    transport: cloudbase_core::TransportOptions,
    /// Requests on the wire at once, at most `transport.max_concurrent_requests`:
    /// beyond it a call waits for a permit, so connections, sockets and buffers stay
    /// bounded however many tasks call.
    in_flight: std::sync::Arc<in_flight::InFlight>,
    /// The gateway's origin, parsed once: its requests' URLs are built from it.
    origin: Option<std::sync::Arc<reqwest_request::Origin>>,
    /// Exchanges completed, counted until `warming`.
    exchanges: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// The exchanges after which the connection pool counts as filled: four per
    /// request that may be in flight at once.
    warming: usize,
}

/// Auth events of a client, from [`Client::auth_events`]: a `Stream` (never ending
/// while the client lives). `Unpin`, `'static`, no runtime type in its signature.
#[derive(Debug)]
pub struct AuthEvents {
    reader: cloudbase_core::events::EventReader,
}

impl futures_util::Stream for AuthEvents {
    type Item = AuthEventItem;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<AuthEventItem>> {
        match self.reader.poll_next(cx.waker()) {
            Some(item) => std::task::Poll::Ready(Some(item)),
            None => std::task::Poll::Pending,
        }
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
    /// A client for `config`, with an OS-seeded random source. Fails only if the TLS
    /// backend cannot be initialised.
    ///
    /// ```
    /// let config = cloudbase_async::Config::builder("demo-env").build()?;
    /// let client = cloudbase_async::Client::new(config)?;
    /// assert!(client.session().credentials().is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(config: Config) -> Result<Self, Error> {
        Self::build(config, None)
    }

    /// A client whose session is restored from `store` and saved there on every
    /// change; listeners then start from the restored session (`INITIAL_SESSION`).
    ///
    /// ```no_run
    /// use cloudbase_async::{Client, Config, FileStore};
    ///
    /// let config = Config::builder("my-env").build()?;
    /// let client = Client::with_store(config, FileStore::new("session.json"))?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_store(config: Config, store: impl SessionStore + 'static) -> Result<Self, Error> {
        Self::build(config, Some(std::sync::Arc::new(store)))
    }

    /// A client that sends through your own `reqwest::Client` (your proxies, root
    /// certificates, middleware-free settings). The SDK's rules still hold: every
    /// attempt gets the configured request timeout, and a redirect your client
    /// followed is refused (a transport error naming it) rather than taken; build
    /// yours with `redirect::Policy::none()` to get the usual
    /// `DecodeError::Redirect`. The connect timeout is your client's.
    ///
    /// ```
    /// let http = cloudbase_async::reqwest::Client::builder().build()?;
    /// let config = cloudbase_async::Config::builder("demo-env").build()?;
    /// let client = cloudbase_async::Client::with_http_client(config, http)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_http_client(config: Config, http: reqwest::Client) -> Result<Self, Error> {
        Self::build_with(config, None, Some(http))
    }

    fn build(
        config: Config,
        store: Option<std::sync::Arc<dyn SessionStore>>,
    ) -> Result<Self, Error> {
        Self::build_with(config, store, None)
    }

    fn build_with(
        config: Config,
        store: Option<std::sync::Arc<dyn SessionStore>>,
        http: Option<reqwest::Client>,
    ) -> Result<Self, Error> {
        let t = config.transport().clone();
        let origin = reqwest_request::Origin::new(config.gateway_origin()).map(std::sync::Arc::new);
        let warming = t.max_concurrent_requests.saturating_mul(4);
        // The SDK's own client never follows a redirect; a caller's might.
        let own_http = http.is_none();
        let http = match http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none()) // a redirect is reported, never followed
                .connect_timeout(t.connect_timeout)
                .timeout(t.request_timeout)
                .pool_max_idle_per_host(t.max_idle_connections_per_host)
                .pool_idle_timeout(t.idle_connection_timeout)
                .user_agent(cloudbase_core::request::SDK_VERSION)
                .build()
                .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?,
        };
        let rng = rand::rngs::StdRng::from_os_rng();
        let (refresh, _) = tokio::sync::watch::channel(0u64);
        let notify = refresh.clone();
        let waker = move |generation: u64| {
            notify.send_if_modified(|seen| {
                let moved = generation > *seen;
                *seen = (*seen).max(generation);
                moved
            });
        };
        let mut state = SharedState::new(ClientState::new(config, Box::new(rng)), waker);
        if let Some(store) = store {
            state = state.with_store(store)?;
        }
        Ok(Self {
            refresh: std::sync::Arc::new(refresh),
            state: std::sync::Arc::new(state),
            http,
            own_http,
            in_flight: std::sync::Arc::new(in_flight::InFlight::new(t.max_concurrent_requests)),
            transport: t,
            origin,
            exchanges: Default::default(),
            warming,
        })
    }

    /// Runs any core operation to completion: sends, retries and sleeps as the core
    /// decides.
    ///
    /// ```no_run
    /// use cloudbase_async::{CallFunction, Client, Config};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::new(Config::builder("my-env").api_key("key").build()?)?;
    /// // Safe to repeat, so it may be retried after a 503 or a timeout.
    /// let call = CallFunction::new("get-prices")?.data(&["BTC"])?.idempotent();
    /// let prices: Vec<f64> = client.execute(call).await?.json()?;
    /// # Ok(()) }
    /// ```
    pub fn execute<O: Operation>(&self, op: O) -> impl Future<Output = Result<O::Output, Error>> {
        self.drive(self.start(op), None, None)
    }

    /// Runs a core operation whose body or answer is streamed: requests it marks
    /// with [`StreamedBody`] send
    /// `transfer.source` (read in chunks; a path is reopened for every attempt), and a
    /// successful answer to one marked
    /// [`StreamedResponse`] is written to
    /// `transfer.sink` (as `<name>.part`, renamed when complete). Progress goes to
    /// `transfer.progress`. Streamed downloads have no overall time limit (the connect
    /// timeout and the wait for the response head still apply); one ends with a
    /// timeout when no byte arrives for `download_idle_timeout`, and is held to its
    /// `Content-Length` and to `max_download_bytes` ([`TransportOptions`]).
    /// Streamed uploads are bounded by a 24-hour ceiling. Drop the future to cancel.
    ///
    /// ```no_run
    /// use cloudbase_async::{Client, Config};
    /// use cloudbase_async::storage::UploadFile;
    /// use cloudbase_async::transfer::{Transfer, UploadSource};
    ///
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = Client::new(Config::builder("my-env").api_key("key").build()?)?;
    /// let source = UploadSource::file("movie.mp4");
    /// let len = client.source_len(&source).await?;
    /// let op = UploadFile::new("videos/movie.mp4", len)?.content_type("video/mp4")?;
    /// let uploaded = client.execute_transfer(op, &Transfer::new().source(source)).await?;
    /// # Ok(()) }
    /// ```
    pub fn execute_transfer<O: Operation>(
        &self,
        op: O,
        transfer: &Transfer,
    ) -> impl Future<Output = Result<O::Output, Error>> {
        self.drive(self.start(op), Some(transfer), None)
    }

    /// Runs an operation whose answer may be an event stream
    /// ([`EventStreamResponse`]), then
    /// reads the stream through `decoder`: items come as the `Stream` is polled, and
    /// no byte is read before it is (backpressure). Each chunk must arrive within
    /// `download_idle_timeout`; dropping the stream closes the connection.
    pub async fn open_stream<O, D>(&self, op: O, decoder: D) -> Result<EventStream<D>, Error>
    where
        O: Operation<Output = ()>,
        D: StreamDecoder,
    {
        let mut body = None;
        self.drive(self.start(op), None, Some(&mut body)).await?;
        let body = body.ok_or(Error::Internal("a stream was opened without its body"))?;
        Ok(EventStream::new(
            body,
            decoder,
            self.transport.download_idle_timeout,
        ))
    }

    /// Starts `op`, on the heap: the call's state (792 bytes for a function call, 952
    /// for a MySQL REST query) then sits in an allocation of its own that glibc serves
    /// from its per-thread cache, and the future a caller awaits, spawns or boxes
    /// stays small. Inline, each async layer also kept its own copy of the operation:
    /// `call_function`'s future was 2,848 bytes, so every spawned or boxed call took
    /// an allocation too large for that cache, served under the arena's lock — which
    /// the other runtime worker, freeing what a stolen task allocated, contended for
    /// (bench/: 2.7× the futex calls of raw reqwest).
    fn start<O: Operation>(&self, op: O) -> Box<ActiveCall<'_, O>> {
        Box::new(self.state.start(op))
    }

    /// Drives a started call to its end. `stream_body` receives an event stream's
    /// body (`open_stream`).
    async fn drive<O: Operation>(
        &self,
        mut call: Box<ActiveCall<'_, O>>,
        transfer: Option<&Transfer>,
        mut stream_body: Option<&mut Option<reqwest::Response>>,
    ) -> Result<O::Output, Error> {
        let transfer = transfer.unwrap_or(&NO_TRANSFER);
        // The shared store's lock, while a coordinated renewal holds it.
        let mut store_lock = None;
        loop {
            let step = call.poll(SystemTime::now());
            // Written before the step is acted on, but awaited only once the step's
            // own values have moved into their futures (or are small), so none of
            // them is kept in this future across the write.
            let persist = if store_lock.is_none() {
                self.state.take_persist()
            } else {
                None
            };
            match step {
                // Boxed: the exchange's state is much of a call's (`call_function`'s
                // future was 4,544 bytes with it inline, 2,976 without).
                Step::Send(request) => {
                    let exchange =
                        Box::pin(self.send(request, transfer, stream_body.as_deref_mut()));
                    Self::write(persist).await;
                    match exchange.await {
                        Ok(response) => call.on_response(SystemTime::now(), response),
                        Err(failure) => call.on_failure(failure),
                    }
                }
                // The rarer steps' futures boxed too, so they do not widen every call's.
                Step::Sleep(until) => {
                    Self::write(persist).await;
                    if let Ok(wait) = until.duration_since(SystemTime::now()) {
                        Box::pin(tokio::time::sleep(wait)).await;
                    }
                }
                Step::Wait { generation, until } => {
                    Self::write(persist).await;
                    let wait = until.duration_since(SystemTime::now()).unwrap_or_default();
                    let mut seen = self.refresh.subscribe();
                    let woken = seen.wait_for(|g| *g > generation);
                    let _ = Box::pin(tokio::time::timeout(wait, woken)).await;
                }
                Step::Store(task) => {
                    // File locks and writes block: off the runtime's workers.
                    let mut held = store_lock.take();
                    let stored = Box::pin(tokio::task::spawn_blocking(move || {
                        let reply = task.run(&mut held);
                        (reply, held)
                    }));
                    Self::write(persist).await;
                    let reply = match stored.await {
                        Ok((reply, held)) => {
                            store_lock = held;
                            reply
                        }
                        Err(_) => StoreReply::interrupted(),
                    };
                    call.on_store(reply);
                }
                Step::Done(result) => {
                    drop(store_lock);
                    // Most calls change no session: the result is then returned
                    // without being kept across an await.
                    let Some(first) = persist.or_else(|| self.state.take_persist()) else {
                        return result;
                    };
                    let result = Box::new(result);
                    Self::write(Some(first)).await;
                    return *result;
                }
            }
        }
    }

    /// The time now: the adapter reads the clock (core never does).
    #[cfg_attr(not(feature = "backend"), allow(dead_code))]
    fn clock(&self) -> SystemTime {
        SystemTime::now()
    }

    /// Writes a session change taken from the state, if there is one: off the
    /// runtime's workers (the store does blocking file I/O), outside the state lock.
    /// The task moves into the blocking pool before anything is awaited, so the
    /// awaiting future keeps only its handle.
    fn write(task: Option<cloudbase_core::persistence::PersistTask>) -> impl Future<Output = ()> {
        let written = task.map(|task| tokio::task::spawn_blocking(move || task.run()));
        async move {
            if let Some(written) = written {
                // A failure is logged by the task; the session in memory stays.
                let _ = written.await;
            }
        }
    }

    /// The length of an upload source (a file's size), read before uploading because
    /// the size is signed into the upload.
    ///
    /// ```
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use cloudbase_async::transfer::UploadSource;
    /// let client = cloudbase_async::Client::new(cloudbase_async::Config::builder("e").build()?)?;
    /// assert_eq!(client.source_len(&UploadSource::bytes(vec![0u8; 3])).await?, 3);
    /// # Ok(()) }
    /// ```
    pub async fn source_len(&self, source: &UploadSource) -> Result<u64, Error> {
        match source {
            UploadSource::Bytes(b) => Ok(b.len() as u64),
            UploadSource::File(path) => {
                tokio::fs::metadata(path)
                    .await
                    .map(|m| m.len())
                    .map_err(|source| Error::File {
                        path: path.clone(),
                        source,
                    })
            }
            _ => Err(Error::Internal("unknown upload source")),
        }
    }

    cloudbase_core::client_methods!(async, .await);

    /// Auth events as a `Stream`: `INITIAL_SESSION` first, then every change, in
    /// order. At most
    /// [`DEFAULT_CAPACITY`](cloudbase_core::events::DEFAULT_CAPACITY) unread events
    /// are kept: a reader that falls further behind gets
    /// [`AuthEventItem::Lagged`] with the number it missed, so memory does not grow.
    /// Dropping the stream ends the subscription.
    ///
    /// ```
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use cloudbase_async::{AuthEventItem, AuthEventKind};
    /// use cloudbase_async::StreamExt;
    /// let client = cloudbase_async::Client::new(cloudbase_async::Config::builder("demo-env").build()?)?;
    /// let mut events = client.auth_events();
    /// match events.next().await {
    ///     Some(AuthEventItem::Event(e)) => assert_eq!(e.kind, AuthEventKind::InitialSession),
    ///     other => panic!("{other:?}"),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn auth_events(&self) -> AuthEvents {
        AuthEvents {
            reader: self.state.auth_events(),
        }
    }

    /// One exchange. What can be done without waiting — reading the request's
    /// marks, converting it — is done before the future is built, which then keeps
    /// the converted request once and changes it in place (the future is boxed per
    /// exchange, and glibc serves allocations above 1,032 bytes from its arena,
    /// under a lock the runtime's workers contend for; it was 1,336 bytes).
    fn send<'a>(
        &'a self,
        request: HttpRequest,
        transfer: &'a Transfer,
        stream_body: Option<&'a mut Option<reqwest::Response>>,
    ) -> impl Future<Output = Result<HttpResponse, TransportError>> + 'a {
        let event_stream = request.extensions().get::<EventStreamResponse>().is_some();
        let stream_response =
            event_stream || request.extensions().get::<StreamedResponse>().is_some();
        let streamed_body = request.extensions().get::<StreamedBody>().copied();
        // One slot for the request or the failure (an `Option` taken when sent).
        let mut converted = Some(
            reqwest_request::convert(self.origin.as_deref(), request)
                .map_err(|e| TransportError::new(TransportErrorKind::Other, e)),
        );
        // Held for the exchange (an event stream's, until its head is in).
        let slot = self.in_flight.enter();
        async move {
            let _slot = slot.await;
            // Changed in place, and moved out only into reqwest's own (boxed) future.
            let Some(Ok(request)) = converted.as_mut() else {
                return Err(not_converted(converted.take()));
            };
            // An empty body is no body: hyper otherwise treats the request as carrying
            // one (`content-length: 0`, a separate write), which cost a third of the
            // throughput of body-less GETs (bench/, MySQL REST queries).
            if request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .is_some_and(<[u8]>::is_empty)
            {
                *request.body_mut() = None;
            }
            if let Some(StreamedBody { len }) = streamed_body {
                // The streamed paths' futures are boxed: most exchanges take neither.
                *request.body_mut() = Some(Box::pin(streaming::source_body(transfer, len)).await?);
            }
            let t = &self.transport;
            // Kept only to catch a caller's client following a redirect (a copy per call
            // otherwise).
            let sent_url = (!self.own_http).then(|| Box::new(request.url().clone()));
            let Some(Ok(mut request)) = converted.take() else {
                return Err(not_converted(None));
            };
            let mut response = if streamed_body.is_some() {
                *request.timeout_mut() = Some(streaming::STREAMED_CEILING);
                self.http.execute(request).await.map_err(classify)?
            } else if stream_response {
                // As the blocking adapter: the head within connect + request timeout, then
                // no deadline on the body but the idle timeout between its chunks.
                *request.timeout_mut() = Some(streaming::STREAMED_CEILING);
                let head = t.connect_timeout.saturating_add(t.request_timeout);
                Box::pin(tokio::time::timeout(head, self.http.execute(request)))
                    .await
                    .map_err(|_| {
                        TransportError::new(TransportErrorKind::Timeout, "no answer in time")
                    })?
                    .map_err(classify)?
            } else {
                // Also set per request, for a client the SDK did not build.
                *request.timeout_mut() = Some(t.request_timeout);
                self.http.execute(request).await.map_err(classify)?
            };
            if sent_url.is_some_and(|sent| response.url() != &*sent) {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    "the HTTP client followed a redirect; redirects are never taken",
                ));
            }
            if event_stream {
                if is_event_stream(response.status(), response.headers()) {
                    let mut head = http::Response::builder()
                        .status(response.status())
                        .version(response.version());
                    if let Some(headers) = head.headers_mut() {
                        headers.clone_from(response.headers());
                    }
                    let mut head = head
                        .body(Vec::new())
                        .map_err(|e| TransportError::new(TransportErrorKind::Other, e))?;
                    head.extensions_mut().insert(EventStreamBody);
                    // Kept for `open_stream`; any other caller has no use for it.
                    if let Some(slot) = stream_body {
                        *slot = Some(response);
                    }
                    return Ok(head);
                }
            } else if stream_response && response.status().is_success() {
                return Box::pin(streaming::receive(response, transfer, t)).await;
            }
            let limit = self.transport.max_response_bytes;
            let too_large =
                || TransportError::without_source(TransportErrorKind::ResponseTooLarge { limit });
            if response.content_length().is_some_and(|len| len > limit) {
                return Err(too_large());
            }
            // Room for the declared length up front (no regrowth as chunks come), but never
            // more than a small bound on a server's word alone.
            let declared = response.content_length().unwrap_or(0).min(64 * 1024);
            let mut body = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
            while let Some(chunk) = response.chunk().await.map_err(classify)? {
                if body.len() as u64 + chunk.len() as u64 > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            // The answer assembled after the body, from the response's own head (an
            // `http::response::Builder` kept across the reads widened the future).
            let (status, version) = (response.status(), response.version());
            let headers = std::mem::take(response.headers_mut());
            drop(response);
            // hyper's pool takes the connection back from a task of its own once the body
            // has ended; a caller's next call that checks out before that task ran finds
            // no idle connection and opens one (kept, but a handshake spent). A pool
            // filling from cold — 64 tasks started together — opened 67–111 connections
            // that way instead of 64 (bench/). Yielding twice lets the connection's task
            // (which sees the body end) and then the pool's run first: 64 in 4 of 4
            // runs (once: 64–65). Only while the pool fills: once it has spares the race
            // costs nothing, and yielding on every call cost 6–20% of the throughput.
            // Read before counting: once warm, calls only read the shared counter.
            use std::sync::atomic::Ordering::Relaxed;
            if self.exchanges.load(Relaxed) < self.warming {
                self.exchanges.fetch_add(1, Relaxed);
                tokio::task::yield_now().await;
                tokio::task::yield_now().await;
            }
            let mut answer = http::Response::new(body);
            *answer.status_mut() = status;
            *answer.version_mut() = version;
            *answer.headers_mut() = headers;
            Ok(answer)
        }
    }
}

/// The failure of a request that could not be converted (`None`: never, as the
/// request is only taken once).
fn not_converted(converted: Option<Result<reqwest::Request, TransportError>>) -> TransportError {
    match converted {
        Some(Err(failure)) => failure,
        _ => TransportError::without_source(TransportErrorKind::Other),
    }
}

/// What an operation without streamed ends drives with (shared: a `Transfer` of its
/// own would sit in every call's future).
static NO_TRANSFER: Transfer = Transfer::new();

/// Maps reqwest's error to the core's kinds: only a failure to connect counts as
/// [`TransportErrorKind::Connect`] (nothing was sent).
pub(crate) fn classify(error: reqwest::Error) -> TransportError {
    let kind = if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_request() || error.is_body() {
        TransportErrorKind::ConnectionLost
    } else {
        TransportErrorKind::Other
    };
    TransportError::new(kind, error)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// glibc serves allocations up to this many bytes from a per-thread cache, and
    /// larger ones from an arena under a lock.
    const CACHED_ALLOCATION: usize = 1032;

    fn client() -> Client {
        let config = Config::builder("demo-env")
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build()
            .expect("config");
        Client::new(config).expect("client")
    }

    // What a caller spawns or boxes per call, and what the driver allocates per call
    // (the call's state, the exchange), each within the cache: every call otherwise
    // took the arena's lock, which the runtime's workers contended for (bench/:
    // `call_function`'s future was 2,848 bytes, the exchange's 1,336).
    #[test]
    fn a_calls_futures_and_allocations_fit_the_allocators_cache() {
        let client = client();
        let data = serde_json::json!({"a": 1});
        let call = client.call_function("echo", &data);
        assert!(
            std::mem::size_of_val(&call) <= CACHED_ALLOCATION,
            "call_function's future: {} bytes",
            std::mem::size_of_val(&call)
        );
        let op = cloudbase_core::functions::CallFunction::new("echo").expect("name");
        let started = client.start(op);
        assert!(
            std::mem::size_of_val(&*started) <= CACHED_ALLOCATION,
            "a call's state: {} bytes",
            std::mem::size_of_val(&*started)
        );
        // A larger operation (a MySQL REST query's is 384 bytes): 1,072 before the
        // read result moved into the call's phase.
        let query = cloudbase_core::rdb::from("course")
            .select("id")
            .eq("grade", 3)
            .fetch::<serde_json::Value>();
        let started = client.start(query);
        assert!(
            std::mem::size_of_val(&*started) <= CACHED_ALLOCATION,
            "a query's state: {} bytes",
            std::mem::size_of_val(&*started)
        );
        let request = http::Request::new(b"{}".to_vec());
        let exchange = client.send(request, &NO_TRANSFER, None);
        assert!(
            std::mem::size_of_val(&exchange) <= CACHED_ALLOCATION,
            "an exchange's future: {} bytes",
            std::mem::size_of_val(&exchange)
        );
    }
}
