//! Decodes the streams benchmark's body in-process, for instruction-count profiles
//! (`valgrind --tool=callgrind target/release/stream-decode ours|hand [repeats]`), or
//! compares the two in alternation (`stream-decode compare [rounds]`: medians and
//! minimums of one pass each, in µs).

#[path = "../streams_body.rs"]
mod streams_body;

use std::time::Instant;

fn main() {
    let which = std::env::args().nth(1).unwrap_or_else(|| "ours".into());
    let repeats: usize = std::env::args()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let body = streams_body::body();
    if which == "compare" {
        let (mut ours, mut hand) = (Vec::new(), Vec::new());
        for _ in 0..repeats {
            let start = Instant::now();
            std::hint::black_box(streams_body::ours(&body));
            ours.push(start.elapsed().as_secs_f64() * 1e6);
            let start = Instant::now();
            std::hint::black_box(streams_body::hand(&body));
            hand.push(start.elapsed().as_secs_f64() * 1e6);
        }
        ours.sort_by(f64::total_cmp);
        hand.sort_by(f64::total_cmp);
        let (om, hm) = (ours[ours.len() / 2], hand[hand.len() / 2]);
        println!(
            "median ours {om:.0} µs hand {hm:.0} µs (hand/ours {:.3}); min ours {:.0} hand {:.0} ({:.3})",
            hm / om,
            ours[0],
            hand[0],
            hand[0] / ours[0]
        );
        return;
    }
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
