//! The stream reader's decisions: it asks for bytes only when nothing decoded is
//! waiting (backpressure), holds at most an unfinished event beyond what is ready
//! (flat memory over any stream length), and reports a break with how far it got.
#![allow(clippy::unwrap_used, missing_docs)]

use cloudbase_core::ai::ChatStreamDecoder;
use cloudbase_core::sse::SseDecoder;
use cloudbase_core::stream::{Pull, StreamReader};
use cloudbase_core::{Error, TransportError, TransportErrorKind};

fn chunk(text: &str) -> String {
    format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{text}\"}}}}]}}\n\n")
}

#[test]
fn bytes_are_asked_for_only_when_nothing_is_ready() {
    let mut reader = StreamReader::new(ChatStreamDecoder::new(false));
    assert!(matches!(reader.pull(), Pull::NeedBytes));
    reader.on_chunk(format!("{}{}{}", chunk("a"), chunk("b"), chunk("c")).as_bytes());
    for expected in ["a", "b", "c"] {
        match reader.pull() {
            Pull::Item(Ok(d)) => assert_eq!(d.content.as_deref(), Some(expected)),
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(reader.pull(), Pull::NeedBytes), "only now");
    reader.on_chunk(b"data: [DONE]\n\n");
    assert!(matches!(reader.pull(), Pull::End));
    assert!(matches!(reader.pull(), Pull::End));
}

#[test]
fn memory_stays_flat_over_a_long_stream() {
    // 100 MB of events in 16 KiB chunks: the decoder never holds more than one event
    // beyond the chunk it is given.
    let one = chunk("0123456789abcdef0123456789abcdef");
    let block = one.repeat(16 * 1024 / one.len() + 1);
    let mut sse = SseDecoder::new();
    let mut events = 0u64;
    let mut max_held = 0;
    let mut fed = 0usize;
    let mut at = 0usize;
    while fed < 100 * 1024 * 1024 {
        // Chunks cut at shifting offsets, so events straddle them.
        let cut = (at % 977) + 15_000;
        let piece = &block.as_bytes()[..cut.min(block.len())];
        sse.feed(piece).unwrap();
        fed += piece.len();
        at += 1;
        while sse.next_event().is_some() {
            events += 1;
        }
        max_held = max_held.max(sse.buffered_bytes());
    }
    assert!(events > 1_000_000, "{events}");
    assert!(max_held <= one.len(), "held {max_held} bytes");
}

#[test]
fn a_break_says_how_far_the_stream_got() {
    let mut reader = StreamReader::new(ChatStreamDecoder::new(false));
    let _ = reader.pull();
    reader.on_chunk(chunk("a").as_bytes());
    assert!(matches!(reader.pull(), Pull::Item(Ok(_))));
    assert!(matches!(reader.pull(), Pull::NeedBytes));
    let e = reader.on_failure(TransportError::without_source(
        TransportErrorKind::ConnectionLost,
    ));
    match e {
        Error::Transport(t) => assert_eq!(
            t.kind,
            TransportErrorKind::StreamBroken {
                received_bytes: chunk("a").len() as u64,
                received_items: 1
            }
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(reader.pull(), Pull::End));
}

/// The deltas a whole stream decodes to.
fn deltas(stream: &str) -> Vec<cloudbase_core::ai::ChatDelta> {
    let mut reader = StreamReader::new(ChatStreamDecoder::new(false));
    reader.on_chunk(stream.as_bytes());
    reader.on_eof();
    let mut out = Vec::new();
    loop {
        match reader.pull() {
            Pull::Item(item) => out.push(item.unwrap()),
            Pull::End => return out,
            Pull::NeedBytes => panic!("the whole stream was given"),
        }
    }
}

#[test]
fn a_choice_may_carry_message_instead_of_delta_and_a_delta_wins() {
    use cloudbase_core::ai::FinishReason;
    let got = deltas(concat!(
        "data: {\"choices\":[{\"message\":{\"content\":\"m\"},\"x\":[1,{}]}]}\n\n",
        "data: {\"choices\":[{\"delta\":null,\"message\":{\"content\":\"m2\"}}]}\n\n",
        "data: {\"choices\":[{\"message\":{\"content\":\"no\"},\"delta\":{\"content\":\"d\"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"d2\"},\"message\":{\"content\":\"no\"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{},\"finish_reason\":\"length\"},{\"delta\":{\"content\":\"second\"}}]}\n\n",
        "data: [DONE]\n\n",
    ));
    let texts: Vec<Option<&str>> = got.iter().map(|d| d.content.as_deref()).collect();
    assert_eq!(
        texts,
        [Some("m"), Some("m2"), Some("d"), Some("d2"), None],
        "the first choice only"
    );
    assert_eq!(got[4].finish_reason, Some(FinishReason::Length));
}

#[test]
fn a_choice_that_is_not_an_object_is_a_typed_error() {
    let mut reader = StreamReader::new(ChatStreamDecoder::new(false));
    reader.on_chunk(b"data: {\"choices\":[7]}\n\n");
    match reader.pull() {
        Pull::Item(Err(Error::Decode(_))) => {}
        other => panic!("{other:?}"),
    }
}
