//! Moving streamed bodies between files and ureq, with progress reports.

use std::fs::File;
use std::io::{Read, Write};

use cloudbase_core::request::StreamedBytes;
use cloudbase_core::transfer::{
    Direction, DownloadGuard, Transfer, UploadSource, download_stalled,
};
use cloudbase_core::{HttpResponse, TransportError, TransportErrorKind};

/// Chunk size for reading and writing files.
const CHUNK: usize = 64 * 1024;

/// A local file problem met while sending: not the network's fault, not retried.
fn local(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> TransportError {
    TransportError::new(TransportErrorKind::Other, error)
}

/// A reader that reports how much of the body has been read.
pub(crate) struct Counting {
    inner: Box<dyn Read + Send + Sync>,
    read: u64,
    total: u64,
    transfer: Transfer,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            self.read += n as u64;
            self.transfer
                .report(Direction::Upload, self.read, Some(self.total));
        }
        Ok(n)
    }
}

/// The upload source as a fresh reader (a file is reopened for every attempt).
pub(crate) fn open_source(transfer: &Transfer, len: u64) -> Result<Counting, TransportError> {
    let inner: Box<dyn Read + Send + Sync> = match &transfer.source {
        Some(UploadSource::File(path)) => Box::new(File::open(path).map_err(local)?),
        Some(UploadSource::Bytes(bytes)) => Box::new(std::io::Cursor::new(bytes.clone())),
        _ => return Err(local("a streamed request needs an upload source")),
    };
    let mut transfer = transfer.clone();
    transfer.sink = None;
    Ok(Counting {
        // Never send more than the signed length, even if the file grew.
        inner: Box::new(inner.take(len)),
        read: 0,
        total: len,
        transfer,
    })
}

/// Writes a successful streamed answer to the sink (via `<name>.part`) and hands the
/// core an empty body with [`StreamedBytes`].
pub(crate) fn receive(
    parts: http::response::Parts,
    body: ureq::Body,
    transfer: &Transfer,
    limits: &cloudbase_core::TransportOptions,
) -> Result<HttpResponse, TransportError> {
    let Some(sink) = &transfer.sink else {
        return Err(local("a streamed answer needs a download sink"));
    };
    let total = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut guard = DownloadGuard::start(total, limits.max_download_bytes)?;
    let idle = limits.download_idle_timeout;
    let part = Transfer::part_path(sink);
    let result = (|| {
        let mut file = File::create(&part).map_err(local)?;
        let mut reader = body.into_with_config().limit(u64::MAX).reader();
        let mut buf = vec![0u8; CHUNK];
        loop {
            // The request's per-read timeout is the idle timeout between chunks.
            let n = reader.read(&mut buf).map_err(|e| {
                // ureq reports its per-read timeout as an io::Error wrapping its own.
                let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                    || e.get_ref()
                        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
                        .is_some_and(|inner| matches!(inner, ureq::Error::Timeout(_)));
                if timed_out {
                    download_stalled(idle)
                } else {
                    TransportError::new(TransportErrorKind::ConnectionLost, e)
                }
            })?;
            if n == 0 {
                break;
            }
            let written = guard.on_chunk(n)?;
            file.write_all(&buf[..n]).map_err(local)?;
            transfer.report(Direction::Download, written, total);
        }
        let written = guard.on_end()?;
        file.flush().map_err(local)?;
        std::fs::rename(&part, sink).map_err(local)?;
        Ok(written)
    })();
    match result {
        Ok(written) => {
            let mut response = http::Response::from_parts(parts, Vec::new());
            response.extensions_mut().insert(StreamedBytes(written));
            Ok(response)
        }
        Err(e) => {
            // Nothing half-written is left behind under the final name.
            let _ = std::fs::remove_file(&part);
            Err(e)
        }
    }
}
