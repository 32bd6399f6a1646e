//! AI on both adapters against the in-process emulator.
#![allow(clippy::unwrap_used, missing_docs)]

mod common;

macro_rules! for_both_adapters {
    ($($name:ident),* $(,)?) => {
        mod blocking {
            $(#[test] fn $name() { super::common::ai_scenarios::$name::<cloudbase_blocking::Client>() })*
        }
        mod async_reqwest {
            $(#[test] fn $name() { super::common::ai_scenarios::$name::<super::common::AsyncClient>() })*
        }
    };
}

for_both_adapters!(
    chat_whole_and_streamed_echo_the_message,
    every_tool_call_is_assembled_from_any_chunk,
    errors_before_and_inside_streams_are_typed,
    framing_cut_anywhere_and_mixed_line_endings_parse,
    an_expired_token_is_refreshed_and_the_stream_replayed,
    agents_stream_classic_records_and_ag_ui_events,
    agent_management_round_trip,
    the_tool_loop_runs_every_call_then_answers,
    a_cloud_run_service_streams_events,
    images_are_generated_on_the_official_paths,
    anthropic_messages_and_responses_on_the_same_base,
    the_idle_timeout_is_per_chunk_and_honoured,
);
