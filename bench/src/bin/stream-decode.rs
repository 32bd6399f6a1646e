//! Decodes the streams benchmark's body in-process, for instruction-count profiles
//! (`valgrind --tool=callgrind target/release/stream-decode ours|hand`).

#[path = "../streams_body.rs"]
mod streams_body;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "ours".into());
    let body = streams_body::body();
    let mut total = 0usize;
    for _ in 0..5 {
        total += if which == "hand" {
            streams_body::hand(&body)
        } else {
            streams_body::ours(&body)
        };
    }
    println!("{total}");
}
