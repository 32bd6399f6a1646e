//! The memory figure: peak heap while decoding a 100,000-row model list, ours vs
//! serde_json straight from the bytes. A separate binary because its counting
//! allocator would slow every allocation of the timing benchmarks. Prints one line:
//! `<ours bytes> <baseline bytes> <body bytes>`.

#[path = "../common.rs"]
mod common;

use cloudbase_core::models::{Model, Query};
use common::{Todo, drive, signed_in_state, todo_body};
use peak_alloc::PeakAlloc;
use serde::Deserialize;
use std::hint::black_box;

#[global_allocator]
static HEAP: PeakAlloc = PeakAlloc;

fn main() {
    let mut st = signed_in_state();
    let model = Model::new("todo").expect("model");
    let query = Query::new();
    let body = todo_body(100_000);
    let len = body.len();
    // Ours: the body moves into the driver, as the adapters hand it over.
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let page = drive(&mut st, model.list::<Todo>(&query).expect("op"), body);
    let ours = HEAP.peak_usage().saturating_sub(start) + len;
    assert_eq!(page.records.len(), 100_000);
    drop(page);
    // The hand-written reference: serde_json straight from the bytes.
    let body = todo_body(100_000);
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Envelope {
        data: PageRef,
    }
    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct PageRef {
        records: Vec<Todo>,
    }
    let start = HEAP.current_usage();
    HEAP.reset_peak_usage();
    let page: Envelope = serde_json::from_slice(&body).expect("page");
    let base = HEAP.peak_usage().saturating_sub(start) + len;
    black_box(page);
    println!("{ours} {base} {len}");
}
