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
    /// Nothing streamed.
    pub fn new() -> Self {
        Self::default()
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
    pub fn progress(mut self, progress: Option<ProgressFn>) -> Self {
        self.progress = progress;
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
