//! Moving streamed bodies between files and reqwest, with progress reports.

use std::time::Duration;

use bytes::Bytes;
use cloudbase_core::request::StreamedBytes;
use cloudbase_core::transfer::{
    Direction, DownloadGuard, Transfer, UploadSource, download_stalled,
};
use cloudbase_core::{HttpResponse, TransportError, TransportErrorKind};
use futures_util::stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Chunk size for reading and writing files.
const CHUNK: usize = 64 * 1024;

/// The time limit of a streamed upload (instead of the request timeout); downloads
/// are bounded by their idle timeout instead, and carry this only to lift the
/// client-wide request timeout.
pub(crate) const STREAMED_CEILING: Duration = Duration::from_secs(24 * 60 * 60);

/// A local file problem met while sending: not the network's fault, not retried.
fn local(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> TransportError {
    TransportError::new(TransportErrorKind::Other, error)
}

/// Where the next chunk of an upload comes from.
enum Reader {
    File(tokio::fs::File),
    Bytes(Bytes),
}

/// The upload source as a fresh streamed body (a file is reopened for every
/// attempt), reporting progress as chunks are taken and never sending more than
/// `len` bytes.
pub(crate) async fn source_body(
    transfer: &Transfer,
    len: u64,
) -> Result<reqwest::Body, TransportError> {
    let reader = match &transfer.source {
        Some(UploadSource::File(path)) => {
            Reader::File(tokio::fs::File::open(path).await.map_err(local)?)
        }
        Some(UploadSource::Bytes(bytes)) => Reader::Bytes(bytes.clone()),
        _ => return Err(local("a streamed request needs an upload source")),
    };
    let progress = transfer.progress.clone();
    let chunks = stream::unfold((reader, 0u64), move |(mut reader, sent)| {
        let progress = progress.clone();
        async move {
            let want = CHUNK.min(usize::try_from(len - sent).unwrap_or(CHUNK));
            if want == 0 {
                return None;
            }
            let chunk = match &mut reader {
                Reader::Bytes(bytes) => Ok(bytes.split_to(want.min(bytes.len()))),
                Reader::File(file) => {
                    let mut buf = vec![0u8; want];
                    match file.read(&mut buf).await {
                        Ok(n) => {
                            buf.truncate(n);
                            Ok(Bytes::from(buf))
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            match chunk {
                // The source ended early: stop, and let the server see a short body.
                Ok(c) if c.is_empty() => None,
                Ok(c) => {
                    let sent = sent + c.len() as u64;
                    if let Some(p) = &progress {
                        p(cloudbase_core::transfer::TransferProgress::new(
                            Direction::Upload,
                            sent,
                            Some(len),
                        ));
                    }
                    Some((Ok::<_, std::io::Error>(c), (reader, sent)))
                }
                Err(e) => Some((Err(e), (reader, len))),
            }
        }
    });
    Ok(reqwest::Body::wrap_stream(chunks))
}

/// Writes a successful streamed answer to the sink (via `<name>.part`) and hands the
/// core an empty body with [`StreamedBytes`].
pub(crate) async fn receive(
    mut response: reqwest::Response,
    transfer: &Transfer,
    limits: &cloudbase_core::TransportOptions,
) -> Result<HttpResponse, TransportError> {
    let Some(sink) = &transfer.sink else {
        return Err(local("a streamed answer needs a download sink"));
    };
    let total = response.content_length();
    let mut guard = DownloadGuard::start(total, limits.max_download_bytes)?;
    let idle = limits.download_idle_timeout;
    let part = Transfer::part_path(sink);
    let mut builder = http::Response::builder()
        .status(response.status())
        .version(response.version());
    if let Some(headers) = builder.headers_mut() {
        *headers = std::mem::take(response.headers_mut());
    }
    let result = async {
        let mut file = tokio::fs::File::create(&part).await.map_err(local)?;
        loop {
            let next = tokio::time::timeout(idle, response.chunk())
                .await
                .map_err(|_| download_stalled(idle))?;
            // Whatever breaks a body after its head is a lost connection.
            let chunk =
                next.map_err(|e| TransportError::new(TransportErrorKind::ConnectionLost, e))?;
            let Some(chunk) = chunk else {
                break;
            };
            let written = guard.on_chunk(chunk.len())?;
            file.write_all(&chunk).await.map_err(local)?;
            transfer.report(Direction::Download, written, total);
        }
        let written = guard.on_end()?;
        file.flush().await.map_err(local)?;
        tokio::fs::rename(&part, sink).await.map_err(local)?;
        Ok::<_, TransportError>(written)
    }
    .await;
    match result {
        Ok(written) => builder
            .extension(StreamedBytes(written))
            .body(Vec::new())
            .map_err(local),
        Err(e) => {
            // Nothing half-written is left behind under the final name.
            let _ = tokio::fs::remove_file(&part).await;
            Err(e)
        }
    }
}
