//! Connections: the accept loop (a cap on connections served at once, backoff on
//! accept errors), hyper per connection with the header/idle timeout, and the
//! timeouts slow clients meet.

use std::sync::Arc;
use std::time::Duration;

/// How long the emulator waits on a client before it closes the connection
/// ([`EmulatorBuilder::timeouts`](crate::EmulatorBuilder::timeouts)). Slow or silent clients cannot hold sockets forever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// A request's headers must be complete within this of the connection opening or
    /// the previous answer; also how long an idle keep-alive connection stays open.
    pub headers: Duration,
    /// A request body (every route but file uploads) must be complete within this of
    /// its headers.
    pub body: Duration,
    /// A file upload closes when no byte arrives for this long.
    pub upload_idle: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            headers: Duration::from_secs(5),
            body: Duration::from_secs(5),
            upload_idle: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// Sets [`Timeouts::headers`].
    pub fn headers(mut self, d: Duration) -> Self {
        self.headers = d;
        self
    }
    /// Sets [`Timeouts::body`].
    pub fn body(mut self, d: Duration) -> Self {
        self.body = d;
        self
    }
    /// Sets [`Timeouts::upload_idle`].
    pub fn upload_idle(mut self, d: Duration) -> Self {
        self.upload_idle = d;
        self
    }
}

/// Connections served at once by default ([`EmulatorBuilder::max_connections`](crate::EmulatorBuilder::max_connections)).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;

/// Marks a request's connection so a fault can close it without an answer.
#[derive(Clone)]
pub(crate) struct ConnectionKill(pub Arc<tokio::sync::Notify>);

/// What the accept loop enforces per connection.
pub(crate) struct ServeLimits {
    pub headers: Duration,
    pub max_connections: usize,
}

/// The accept loop: hyper per connection, so a `Drop` fault can end the connection
/// after the request arrived (axum's own `serve` offers no such handle). At most
/// `max_connections` are served at once (the rest wait in the listen queue); accept
/// errors (out of file descriptors) back off instead of spinning, and service resumes
/// when descriptors free up.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    app: axum::Router,
    limits: ServeLimits,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    use tower::ServiceExt;
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("emulator listener failed: {e}");
            return;
        }
    };
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let mut backoff = ACCEPT_BACKOFF_MIN;
    loop {
        let permit = tokio::select! {
            _ = &mut stop => return,
            permit = slots.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    backoff = ACCEPT_BACKOFF_MIN;
                    stream
                }
                Err(e) => {
                    tracing::warn!("accept failed ({e}); retrying in {backoff:?}");
                    tokio::select! {
                        _ = &mut stop => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            },
        };
        let kill = Arc::new(tokio::sync::Notify::new());
        let app = app.clone();
        let marker = ConnectionKill(kill.clone());
        let service =
            hyper::service::service_fn(move |mut req: http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(marker.clone());
                app.clone().oneshot(req)
            });
        let headers = limits.headers;
        tokio::spawn(async move {
            let _slot = permit;
            // The header timeout runs from the connection's start and again after
            // each answer, so it also closes idle keep-alive connections.
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(headers)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            tokio::select! {
                _ = conn => {}
                _ = kill.notified() => {}
            }
        });
    }
}

const ACCEPT_BACKOFF_MIN: Duration = Duration::from_millis(5);
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
