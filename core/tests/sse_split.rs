//! Any split of a byte stream into chunks yields the same events as the whole stream.
#![allow(clippy::unwrap_used, missing_docs)]

use cloudbase_core::sse::{SseDecoder, SseEvent};
use proptest::prelude::*;

fn events(chunks: &[&[u8]]) -> Vec<SseEvent> {
    let mut d = SseDecoder::new();
    let mut out = Vec::new();
    for c in chunks {
        d.feed(c).unwrap();
        out.extend(std::iter::from_fn(|| d.next_event()));
    }
    out
}

/// Stream-shaped bytes: fields, comments, every line ending, multi-byte text.
fn stream_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"data: ".to_vec()),
        Just(b"data:".to_vec()),
        Just(b"event: delta".to_vec()),
        Just(b"id: 1".to_vec()),
        Just(b"retry: 30".to_vec()),
        Just(b": comment".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just("世界".as_bytes().to_vec()),
        Just("😀".as_bytes().to_vec()),
        Just(b"\xEF\xBB\xBF".to_vec()),
        Just(br#"{"choices":[{"delta":{"content":"hi"}}]}"#.to_vec()),
        Just(b"[DONE]".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn any_split_gives_the_same_events(bytes in stream_bytes(), cuts in proptest::collection::vec(any::<usize>(), 0..12)) {
        let whole = events(&[&bytes]);
        let mut at: Vec<usize> = cuts.iter().map(|c| if bytes.is_empty() { 0 } else { c % (bytes.len() + 1) }).collect();
        at.sort_unstable();
        let mut chunks = Vec::new();
        let mut start = 0;
        for cut in at {
            chunks.push(&bytes[start..cut]);
            start = cut;
        }
        chunks.push(&bytes[start..]);
        prop_assert_eq!(events(&chunks), whole.clone());
        // Byte by byte, too.
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        prop_assert_eq!(events(&singles), whole);
    }
}
