//! Decodes the streams benchmark's body in-process, for instruction-count profiles
//! (`valgrind --tool=callgrind target/release/stream-decode ours|hand [repeats]`).

#[path = "../streams_body.rs"]
mod streams_body;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "ours".into());
    let repeats: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let body = streams_body::body();
    let mut total = 0usize;
    for _ in 0..repeats {
        total += if which == "hand" {
            streams_body::hand(&body)
        } else {
            streams_body::ours(&body)
        };
    }
    println!("{total}");
}
