//! A 50 MB upload and download through each adapter, with progress events, while a
//! counting allocator watches the heap: the file must never be held in memory.
//!
//! Its own test binary (one test), because the allocator counts the whole process:
//! the emulator (in process, streaming to disk too) and the client together. The
//! peak figures are printed; run with `--nocapture` to see them.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use std::sync::{Arc, Mutex};

use cloudbase_core::transfer::{Direction, ProgressFn, TransferProgress, UploadSource};
use common::{AsyncClient, PUBLISHABLE_KEY, TestClient, config_for, emulator};
use peak_alloc::PeakAlloc;

/// Counts live heap bytes and their peak (the workspace forbids `unsafe`, so the
/// allocator wrapper comes from `peak_alloc`).
#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

const SIZE: u64 = 50 * 1024 * 1024;

/// Runs `f` and returns how far the heap rose above where it started.
fn peak_during(f: impl FnOnce()) -> usize {
    let base = HEAP.current_usage();
    HEAP.reset_peak_usage();
    f();
    HEAP.peak_usage().saturating_sub(base)
}

fn recorder() -> (ProgressFn, Arc<Mutex<Vec<TransferProgress>>>) {
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = log.clone();
    (Arc::new(move |p| sink.lock().unwrap().push(p)), log)
}

fn check_progress(events: &[TransferProgress], direction: Direction) {
    assert!(
        events.len() > 100,
        "progress in chunks, got {}",
        events.len()
    );
    assert!(events.iter().all(|e| e.direction == direction));
    assert!(
        events
            .windows(2)
            .all(|w| w[0].transferred < w[1].transferred)
    );
    assert_eq!(events.last().unwrap().transferred, SIZE);
    assert_eq!(events.last().unwrap().total, Some(SIZE));
}

fn round_trip<C: TestClient>(label: &str, dir: &std::path::Path, source: &std::path::Path) {
    let emu = emulator();
    let c = C::connect(config_for(emu.base_url()).publishable_key(PUBLISHABLE_KEY));
    c.sign_in_anonymously().unwrap();
    let (up_progress, up_events) = recorder();
    let mut file_id = String::new();
    let up_peak = peak_during(|| {
        file_id = c
            .upload_file(
                "big/movie.bin",
                UploadSource::file(source),
                None,
                Some(up_progress),
            )
            .unwrap()
            .file_id;
    });
    check_progress(&up_events.lock().unwrap(), Direction::Upload);
    let stored = emu.storage_dir().join("big/movie.bin");
    assert_eq!(std::fs::metadata(&stored).unwrap().len(), SIZE);

    let target = dir.join(format!("{label}.bin"));
    let (down_progress, down_events) = recorder();
    let down_peak = peak_during(|| {
        let n = c
            .download_file(&file_id, &target, Some(down_progress))
            .unwrap();
        assert_eq!(n, SIZE);
    });
    check_progress(&down_events.lock().unwrap(), Direction::Download);
    assert!(
        same_contents(source, &target),
        "the download equals the upload"
    );
    println!(
        "{label}: 50 MiB upload peak heap +{:.2} MiB, download peak heap +{:.2} MiB",
        up_peak as f64 / 1048576.0,
        down_peak as f64 / 1048576.0
    );
    // Well under the file size: the file is streamed, never held (emulator included).
    assert!(up_peak < 8 * 1024 * 1024, "upload peak {up_peak}");
    assert!(down_peak < 8 * 1024 * 1024, "download peak {down_peak}");
}

fn same_contents(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 16], vec![0u8; 1 << 16]);
    loop {
        let na = fa.read(&mut ba).unwrap();
        let mut filled = 0;
        while filled < na {
            let n = fb.read(&mut bb[filled..na]).unwrap();
            if n == 0 {
                return false;
            }
            filled += n;
        }
        if na == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if ba[..na] != bb[..na] {
            return false;
        }
    }
}

#[test]
fn fifty_megabytes_stream_through_both_adapters() {
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("source.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&source).unwrap());
        let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i * 31 % 251) as u8).collect();
        for i in 0..50u8 {
            let mut c = chunk.clone();
            c[0] = i;
            f.write_all(&c).unwrap();
        }
    }
    round_trip::<cloudbase_blocking::Client>("blocking", dir.path(), &source);
    round_trip::<AsyncClient>("async", dir.path(), &source);
}
