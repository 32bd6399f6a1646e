//! Streamed uploads and downloads: what the adapters need to move large bodies
//! between files and the network without holding them in memory.
//!
//! An operation marks a request whose body is the caller's data with
//! [`StreamedBody`](crate::request::StreamedBody), and one whose successful answer
//! should go to a file with [`StreamedResponse`](crate::request::StreamedResponse).
//! The adapter's `execute_transfer` attaches the [`Transfer`]'s source or sink to
//! those requests and reports progress; everything else (steps, retries, refresh,
//! errors) is the ordinary call driver. Sources are replayable (a path is reopened,
//! bytes are shared), so a retried or replayed request sends the same body again.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// Where an upload's bytes come from.
#[derive(Clone)]
#[non_exhaustive]
pub enum UploadSource {
    /// A local file, read in chunks while sending (never loaded whole).
    File(PathBuf),
    /// Bytes in memory (shared, not copied, between attempts).
    Bytes(bytes::Bytes),
}

impl UploadSource {
    /// A local file.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Self::File(path.into())
    }

    /// Bytes in memory.
    pub fn bytes(bytes: impl Into<bytes::Bytes>) -> Self {
        Self::Bytes(bytes.into())
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(p) => f.debug_tuple("File").field(p).finish(),
            // File contents are user data: show the size only.
            Self::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
        }
    }
}

/// Which way bytes move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// From the caller to the service.
    Upload,
    /// From the service to the caller.
    Download,
}

/// One progress report: bytes moved so far of the request or response body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransferProgress {
    /// Upload or download.
    pub direction: Direction,
    /// Bytes moved so far in this attempt (starts again at 0 when a request is retried).
    pub transferred: u64,
    /// The body's length, when known.
    pub total: Option<u64>,
}

impl TransferProgress {
    /// A report (adapters build these).
    pub fn new(direction: Direction, transferred: u64, total: Option<u64>) -> Self {
        Self {
            direction,
            transferred,
            total,
        }
    }
}

/// A progress callback; called from the thread or task doing the transfer, at most
/// once per chunk.
pub type ProgressFn = Arc<dyn Fn(TransferProgress) + Send + Sync>;

/// The local ends of one streamed operation.
#[derive(Clone, Default)]
#[must_use]
pub struct Transfer {
    /// The body of requests marked [`StreamedBody`](crate::request::StreamedBody).
    pub source: Option<UploadSource>,
    /// Where a successful body of a request marked
    /// [`StreamedResponse`](crate::request::StreamedResponse) is written: a file,
    /// written as `<name>.part` and renamed when complete.
    pub sink: Option<PathBuf>,
    /// Progress reports for both directions.
    pub progress: Option<ProgressFn>,
}

impl fmt::Debug for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transfer")
            .field("source", &self.source)
            .field("sink", &self.sink)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Transfer {
    /// Nothing streamed. `const`, so a driver can keep one in a `static`.
    pub const fn new() -> Self {
        Self {
            source: None,
            sink: None,
            progress: None,
        }
    }

    /// Sends `source` as the streamed body.
    pub fn source(mut self, source: UploadSource) -> Self {
        self.source = Some(source);
        self
    }

    /// Writes a streamed answer to `path`.
    pub fn sink(mut self, path: impl Into<PathBuf>) -> Self {
        self.sink = Some(path.into());
        self
    }

    /// Reports progress to `progress`.
    pub fn progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Reports progress (a helper for adapters).
    pub fn report(&self, direction: Direction, transferred: u64, total: Option<u64>) {
        if let Some(p) = &self.progress {
            p(TransferProgress::new(direction, transferred, total));
        }
    }

    /// The partial file a download is written to before it is complete.
    pub fn part_path(sink: &std::path::Path) -> PathBuf {
        let mut name = sink
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".part");
        sink.with_file_name(name)
    }
}

/// The rules every streamed download follows, in both adapters: a size cap checked
/// against `Content-Length` before anything is written and against the bytes as they
/// arrive, and the announced `Content-Length` enforced at the end (a body that stops
/// short is a broken connection, not a complete file). The adapter feeds it chunk
/// sizes; the idle timeout between chunks comes from
/// [`TransportOptions::download_idle_timeout`](crate::TransportOptions::download_idle_timeout).
#[derive(Clone, Debug)]
pub struct DownloadGuard {
    expected: Option<u64>,
    max_bytes: Option<u64>,
    written: u64,
}

impl DownloadGuard {
    /// Starts a download that announced `content_length`, under `max_bytes`; a body
    /// announced larger than the cap is refused before any byte is read.
    pub fn start(
        content_length: Option<u64>,
        max_bytes: Option<u64>,
    ) -> Result<Self, crate::TransportError> {
        if let (Some(len), Some(limit)) = (content_length, max_bytes)
            && len > limit
        {
            return Err(too_large(limit));
        }
        Ok(Self {
            expected: content_length,
            max_bytes,
            written: 0,
        })
    }

    /// Counts a chunk of `n` bytes about to be written; returns the total so far.
    pub fn on_chunk(&mut self, n: usize) -> Result<u64, crate::TransportError> {
        let written = self.written.saturating_add(n as u64);
        if let Some(limit) = self.max_bytes
            && written > limit
        {
            return Err(too_large(limit));
        }
        if let Some(expected) = self.expected
            && written > expected
        {
            return Err(broken(format!(
                "the body ran past its Content-Length of {expected} bytes"
            )));
        }
        self.written = written;
        Ok(written)
    }

    /// The body ended: its length must be the announced one. Returns the total.
    pub fn on_end(&self) -> Result<u64, crate::TransportError> {
        match self.expected {
            Some(expected) if self.written != expected => Err(broken(format!(
                "the body ended after {} of its {expected} bytes",
                self.written
            ))),
            _ => Ok(self.written),
        }
    }

    /// Bytes counted so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The announced length, if any.
    pub fn expected(&self) -> Option<u64> {
        self.expected
    }
}

fn too_large(limit: u64) -> crate::TransportError {
    crate::TransportError::without_source(crate::TransportErrorKind::ResponseTooLarge { limit })
}

fn broken(message: String) -> crate::TransportError {
    crate::TransportError::new(crate::TransportErrorKind::ConnectionLost, message)
}

/// The error for a download whose next bytes did not come within the idle timeout.
pub fn download_stalled(idle: std::time::Duration) -> crate::TransportError {
    crate::TransportError::new(
        crate::TransportErrorKind::Timeout,
        format!(
            "no bytes of the download arrived for {} s",
            idle.as_secs_f64()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TransportErrorKind as K;

    #[test]
    fn downloads_are_capped_and_held_to_their_length() {
        let kind = |r: Result<u64, crate::TransportError>| r.map_err(|e| e.kind);
        assert!(matches!(
            DownloadGuard::start(Some(11), Some(10)).map_err(|e| e.kind),
            Err(K::ResponseTooLarge { limit: 10 })
        ));
        let mut g = DownloadGuard::start(None, Some(10)).unwrap();
        assert_eq!(kind(g.on_chunk(6)), Ok(6));
        assert_eq!(kind(g.on_chunk(5)), Err(K::ResponseTooLarge { limit: 10 }));
        let mut g = DownloadGuard::start(Some(8), None).unwrap();
        assert_eq!(kind(g.on_chunk(5)), Ok(5));
        assert_eq!(kind(g.on_end()), Err(K::ConnectionLost));
        assert_eq!(kind(g.on_chunk(4)), Err(K::ConnectionLost));
        assert_eq!(kind(g.on_chunk(3)), Ok(8));
        assert_eq!(kind(g.on_end()), Ok(8));
        let g = DownloadGuard::start(None, None).unwrap();
        assert_eq!(kind(g.on_end()), Ok(0));
    }
}
