//! The limits every adapter applies to its HTTP library (timeouts, sizes, the
//! shared store's lock wait), so both behave the same.

use std::time::Duration;

/// Limits every adapter applies to its HTTP library, so both behave the same.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportOptions {
    /// Time allowed to open a connection.
    pub connect_timeout: Duration,
    /// Time allowed for one attempt, from connecting to the last byte of the body.
    /// The blocking adapter applies it to each phase of an attempt instead (sending
    /// the request, sending the body, waiting for the answer's head, reading the
    /// body), because its HTTP library keeps no pooled connection under an overall
    /// deadline; a stalled server is caught either way.
    pub request_timeout: Duration,
    /// Largest response body accepted; a larger one is a
    /// [`TransportErrorKind::ResponseTooLarge`](crate::TransportErrorKind::ResponseTooLarge).
    pub max_response_bytes: u64,
    /// Longest wait for the next bytes of a streamed download (file downloads): a
    /// server that stops sending mid-body ends the attempt with
    /// [`TransportErrorKind::Timeout`](crate::TransportErrorKind::Timeout). Streamed
    /// bodies have no overall deadline (large files take as long as they take); the
    /// wait for the answer's head is still bounded by `request_timeout`.
    pub download_idle_timeout: Duration,
    /// Largest streamed download accepted, if any: a larger `Content-Length`, or a
    /// body that grows past it, is a
    /// [`TransportErrorKind::ResponseTooLarge`](crate::TransportErrorKind::ResponseTooLarge)
    /// and nothing is kept.
    pub max_download_bytes: Option<u64>,
    /// Longest wait for a shared session store's lock (another process refreshing
    /// the same session): past it the renewal fails with
    /// [`StoreError::LockTimeout`](crate::store::StoreError::LockTimeout).
    pub store_lock_timeout: Duration,
    /// Idle connections kept per host for reuse. Each connection not kept costs the
    /// next call a new TCP (and TLS) handshake; the blocking adapter's HTTP library
    /// keeps 3 by default, so 8 threads kept reconnecting (57–62 connections per 160,000
    /// calls in bench/, 8 with this).
    pub max_idle_connections_per_host: usize,
    /// How long an idle connection is kept for reuse.
    pub idle_connection_timeout: Duration,
    /// The most requests a client has on the wire at once (at least 1); beyond it a
    /// call waits for one to finish. Without a bound, 10,000 calls started together
    /// opened 8,008 connections and peaked at 271 MB, and some failed (bench/). An
    /// event stream holds its place until its answer's head is in; a streamed
    /// download, until it ends.
    pub max_concurrent_requests: usize,
}

impl Default for TransportOptions {
    /// 10 s to connect, 60 s per attempt (cloud functions may run long; the JS SDK's
    /// 15 s browser default is too short for them), 32 MiB per response; downloads:
    /// 60 s without a byte ends them, no size cap; 30 s for a shared store's lock;
    /// up to 64 idle connections per host, each kept 90 s; 128 requests in flight.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_response_bytes: 32 * 1024 * 1024,
            download_idle_timeout: Duration::from_secs(60),
            max_download_bytes: None,
            store_lock_timeout: Duration::from_secs(30),
            max_idle_connections_per_host: 64,
            idle_connection_timeout: Duration::from_secs(90),
            max_concurrent_requests: 128,
        }
    }
}

impl TransportOptions {
    /// The defaults (see [`Default`]); change them with the setters below.
    ///
    /// ```
    /// use std::time::Duration;
    /// use cloudbase_core::TransportOptions;
    /// let transport = TransportOptions::new()
    ///     .connect_timeout(Duration::from_secs(3))
    ///     .request_timeout(Duration::from_secs(20))
    ///     .max_response_bytes(4 * 1024 * 1024);
    /// assert_eq!(transport.request_timeout, Duration::from_secs(20));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Largest response body accepted (default 32 MiB).
    pub fn max_response_bytes(mut self, bytes: u64) -> Self {
        self.max_response_bytes = bytes;
        self
    }

    /// Longest wait for the next bytes of a streamed download (default 60 s).
    pub fn download_idle_timeout(mut self, timeout: Duration) -> Self {
        self.download_idle_timeout = timeout;
        self
    }

    /// Largest streamed download accepted (default: no cap).
    pub fn max_download_bytes(mut self, bytes: u64) -> Self {
        self.max_download_bytes = Some(bytes);
        self
    }

    /// Longest wait for a shared session store's lock (default 30 s).
    pub fn store_lock_timeout(mut self, timeout: Duration) -> Self {
        self.store_lock_timeout = timeout;
        self
    }

    /// Idle connections kept per host for reuse (default 64; 0 keeps none).
    pub fn max_idle_connections_per_host(mut self, connections: usize) -> Self {
        self.max_idle_connections_per_host = connections;
        self
    }

    /// How long an idle connection is kept for reuse (default 90 s).
    pub fn idle_connection_timeout(mut self, timeout: Duration) -> Self {
        self.idle_connection_timeout = timeout;
        self
    }

    /// The most requests on the wire at once (default 128; 0 counts as 1).
    pub fn max_concurrent_requests(mut self, requests: usize) -> Self {
        self.max_concurrent_requests = requests;
        self
    }
}
