//! Compression on a constrained link: a 10,000-row model list over a shaped loopback
//! server (20 ms before each answer, then 10 Mbit/s), gzip vs identity, through each
//! adapter. The ratio is how many times faster the gzip answer arrives.

use std::io::Write;
use std::time::{Duration, Instant};

use cloudbase_core::models::{Model, Query};

use crate::common::{Todo, todo_body};
use crate::{Row, median, server};

const ROWS: usize = 10_000;

fn link(compress: bool) -> server::Link {
    server::Link {
        latency: Duration::from_millis(20),
        bytes_per_second: 10_000_000 / 8,
        compress,
    }
}

fn config(url: &str) -> cloudbase_core::Config {
    cloudbase_core::Config::builder("bench-env")
        .base_url(url)
        .api_key("bench-api-key")
        .build()
        .expect("config")
}

pub(crate) fn link_rows(samples: usize) -> Vec<Row> {
    let identity = todo_body(ROWS);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&identity).expect("gzip");
    let gzipped = gz.finish().expect("gzip");
    let plain_url = server::start_shaped(link(false), identity.clone(), gzipped.clone());
    let gzip_url = server::start_shaped(link(true), identity.clone(), gzipped.clone());
    let sizes = format!(
        "{:.0} KiB → {:.0} KiB",
        identity.len() as f64 / 1024.0,
        gzipped.len() as f64 / 1024.0
    );
    let list = || Model::new("todo").expect("model");

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let async_time = |url: &str| {
        let client = cloudbase_async::Client::new(config(url)).expect("client");
        let mut times = Vec::new();
        for _ in 0..=samples {
            let start = Instant::now();
            let page = rt
                .block_on(client.execute(list().list::<Todo>(&Query::new()).expect("op")))
                .expect("list");
            assert_eq!(page.records.len(), ROWS);
            times.push(start.elapsed().as_secs_f64());
        }
        times.remove(0); // the first also connects
        median(times)
    };
    let blocking_time = |url: &str| {
        let client = cloudbase_blocking::Client::new(config(url)).expect("client");
        let mut times = Vec::new();
        for _ in 0..=samples {
            let start = Instant::now();
            let page = client
                .execute(list().list::<Todo>(&Query::new()).expect("op"))
                .expect("list");
            assert_eq!(page.records.len(), ROWS);
            times.push(start.elapsed().as_secs_f64());
        }
        times.remove(0);
        median(times)
    };
    let row = |what: &'static str, plain: f64, gzip: f64| Row {
        what,
        ours: format!("{:.0} ms gzip", gzip * 1000.0),
        baseline: format!("{:.0} ms identity ({sizes})", plain * 1000.0),
        ratio: plain / gzip,
        goal: "gzip faster",
        met: plain > gzip,
    };
    let (plain, gzip) = (async_time(&plain_url), async_time(&gzip_url));
    let mut rows = vec![row(
        "10,000-row list, 10 Mbit/s + 20 ms: async, gzip speed-up",
        plain,
        gzip,
    )];
    let (plain, gzip) = (blocking_time(&plain_url), blocking_time(&gzip_url));
    rows.push(row(
        "10,000-row list, 10 Mbit/s + 20 ms: blocking, gzip speed-up",
        plain,
        gzip,
    ));
    rows
}
