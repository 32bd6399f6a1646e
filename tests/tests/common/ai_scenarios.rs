//! AI against the emulator's fake provider: chat whole and streamed, tool calls,
//! errors before and inside streams, broken streams, agents (classic and AG-UI).

use cloudbase_core::ai::{
    AgUiMessage, AgUiRun, AgentEvent, AgentReply, BotCall, ChatCollector, ChatRequest,
    FinishReason, Message, SendMessage, Tool,
};
use cloudbase_core::{GatewayErrorCode, TransportErrorKind};
use cloudbase_emulator::{ModelScript, ScriptStep};
use serde_json::json;

use super::*;

fn signed_in<C: TestClient>(emu: &cloudbase_emulator::Emulator) -> C {
    let c = C::connect(config_for(emu.base_url()));
    c.sign_in_anonymously().unwrap();
    c
}

fn echo(text: &str) -> ChatRequest {
    ChatRequest::new("cloudbase", "echo").message(Message::user(text))
}

pub fn chat_whole_and_streamed_echo_the_message<C: TestClient>() {
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    let whole = c.ai_chat(echo("hello there, 世界 world")).unwrap();
    assert_eq!(whole.text(), "hello there, 世界 world");
    assert_eq!(whole.finish_reason, Some(FinishReason::Stop));
    assert_eq!(whole.usage.unwrap().completion_tokens, 4);

    let items = c.ai_stream(echo("hello there, 世界 world")).unwrap();
    let mut collector = ChatCollector::new();
    let mut pieces = 0;
    for item in &items {
        let d = item.as_ref().unwrap();
        pieces += usize::from(d.content.is_some());
        collector.push(d);
    }
    assert_eq!(pieces, 4, "word by word");
    let done = collector.finish();
    assert_eq!(done.text(), "hello there, 世界 world");
    assert_eq!(done.finish_reason, Some(FinishReason::Stop));
    assert_eq!(done.usage.unwrap().completion_tokens, 4);

    let r = &emu.requests_to("/v1/ai/cloudbase/chat/completions")[1];
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["stream"], true);
    assert_eq!(body["model"], "echo");
    assert!(
        r.header("authorization")
            .is_some_and(|a| a.starts_with("Bearer "))
    );
}

pub fn every_tool_call_is_assembled_from_any_chunk<C: TestClient>() {
    let emu = emulator();
    emu.register_model(
        "tools",
        ModelScript::steps([
            ScriptStep::text("Let me check. "),
            ScriptStep::tool_call("call-1", "weather", r#"{"city":"上海"}"#),
            ScriptStep::tool_call("call-2", "time", r#"{"zone":"UTC"}"#),
        ]),
    );
    let c = signed_in::<C>(&emu);
    let request = ChatRequest::new("cloudbase", "tools")
        .message(Message::user("weather and time?"))
        .tool(Tool::function(
            "weather",
            "Weather of a city",
            json!({"type": "object"}),
        ))
        .tool(Tool::function(
            "time",
            "Time in a zone",
            json!({"type": "object"}),
        ));
    let mut collector = ChatCollector::new();
    for item in c.ai_stream(request.clone()).unwrap() {
        collector.push(&item.unwrap());
    }
    let done = collector.finish();
    assert_eq!(done.finish_reason, Some(FinishReason::ToolCalls));
    let calls = done.tool_calls();
    assert_eq!(calls.len(), 2, "both calls, not only the first");
    assert_eq!(calls[0].id, "call-1");
    assert_eq!(calls[0].function.name, "weather");
    assert_eq!(calls[0].function.arguments, r#"{"city":"上海"}"#);
    assert_eq!(calls[1].function.arguments, r#"{"zone":"UTC"}"#);
    let whole = c.ai_chat(request).unwrap();
    assert_eq!(whole.tool_calls().len(), 2);
    let sent: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/v1/ai/cloudbase/chat/completions")[0].body)
            .unwrap();
    assert_eq!(sent["tools"][0]["type"], "function");
    assert_eq!(sent["tools"][1]["function"]["name"], "time");
}

pub fn errors_before_and_inside_streams_are_typed<C: TestClient>() {
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    // Unknown model: the documented code, before any stream.
    let e = c
        .ai_stream(ChatRequest::new("cloudbase", "nope").message(Message::user("x")))
        .unwrap_err();
    assert_eq!(
        e.gateway_code(),
        Some(&GatewayErrorCode::AiModelNotFound),
        "{e:?}"
    );
    // A 200 whose body is an error.
    emu.register_model(
        "quota",
        ModelScript::error(200, "EXCEED_TOKEN_QUOTA_LIMIT", "no tokens left"),
    );
    let e = c
        .ai_chat(ChatRequest::new("cloudbase", "quota").message(Message::user("x")))
        .unwrap_err();
    assert_eq!(
        e.gateway_code(),
        Some(&GatewayErrorCode::ExceedTokenQuotaLimit),
        "{e:?}"
    );
    let e = c
        .ai_stream(ChatRequest::new("cloudbase", "quota").message(Message::user("x")))
        .unwrap_err();
    assert_eq!(
        e.gateway_code(),
        Some(&GatewayErrorCode::ExceedTokenQuotaLimit),
        "{e:?}"
    );
    // An error event inside the stream ends it with a typed error, after the text.
    emu.register_model(
        "mid",
        ModelScript::steps([
            ScriptStep::text("partial "),
            ScriptStep::ErrorEvent {
                code: "AI_MODEL_REQUEST_FAILED".into(),
                message: "upstream".into(),
            },
            ScriptStep::text("never"),
        ]),
    );
    let items = c
        .ai_stream(ChatRequest::new("cloudbase", "mid").message(Message::user("x")))
        .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap().content.as_deref(),
        Some("partial ")
    );
    let e = items[1].as_ref().unwrap_err();
    assert_eq!(
        e.gateway_code(),
        Some(&GatewayErrorCode::AiModelRequestFailed)
    );
    // A broken stream: typed, says how far it got, and is not replayed.
    // (The stall lets "two" leave before the break: an abort may discard unsent bytes.)
    emu.register_model(
        "broken",
        ModelScript::steps([
            ScriptStep::text("one "),
            ScriptStep::text("two "),
            ScriptStep::stall(std::time::Duration::from_millis(100)),
            ScriptStep::Break,
        ]),
    );
    emu.clear_requests();
    let items = c
        .ai_stream(ChatRequest::new("cloudbase", "broken").message(Message::user("x")))
        .unwrap();
    let last = items.last().unwrap().as_ref().unwrap_err();
    match last {
        Error::Transport(t) => match t.kind {
            TransportErrorKind::StreamBroken {
                received_items,
                received_bytes,
            } => {
                assert_eq!(received_items, 2);
                assert!(received_bytes > 0);
            }
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
    assert_eq!(
        emu.requests_to("/v1/ai/cloudbase/chat/completions").len(),
        1,
        "not replayed"
    );
}

pub fn framing_cut_anywhere_and_mixed_line_endings_parse<C: TestClient>() {
    let emu = emulator();
    let chunk = |t: &str| format!(r#"{{"choices":[{{"index":0,"delta":{{"content":"{t}"}}}}]}}"#);
    // One event cut inside the JSON and inside the 3-byte "世", then a comment, LF,
    // a lone CR, a CR and its LF in separate writes, CRLF — the official SDK loses
    // events after such a mix in one read (ai.md §8).
    let first = format!("data: {}\r\n\r\n", chunk("世"));
    let cut = first.find('世').unwrap() + 1;
    let bytes = first.as_bytes();
    emu.register_model(
        "framing",
        ModelScript::steps([
            ScriptStep::RawBytes {
                bytes: bytes[..12].to_vec(),
            },
            ScriptStep::RawBytes {
                bytes: bytes[12..cut].to_vec(),
            },
            ScriptStep::RawBytes {
                bytes: bytes[cut..].to_vec(),
            },
            ScriptStep::Raw {
                data: format!(
                    ": keep-alive\ndata: {}\n\ndata: {}\r",
                    chunk("界"),
                    chunk("!")
                ),
            },
            ScriptStep::Raw {
                data: "\n\r\ndata: [DONE]\r\n\r\n".into(),
            },
        ]),
    );
    let c = signed_in::<C>(&emu);
    let items = c
        .ai_stream(ChatRequest::new("cloudbase", "framing").message(Message::user("x")))
        .unwrap();
    let text: Vec<String> = items
        .iter()
        .filter_map(|i| i.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(text, ["世", "界", "!"]);
}

pub fn an_expired_token_is_refreshed_and_the_stream_replayed<C: TestClient>() {
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    emu.set_clock_offset(7300);
    let items = c.ai_stream(echo("still here")).unwrap();
    let text: String = items
        .iter()
        .filter_map(|i| i.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(text, "still here");
    assert_eq!(emu.requests_to("/auth/v1/token").len(), 1);
    emu.set_clock_offset(0);
}

pub fn agents_stream_classic_records_and_ag_ui_events<C: TestClient>() {
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    let items = c
        .agent_stream(SendMessage::new("echo-bot", "hi agent").unwrap())
        .unwrap();
    let mut reply = AgentReply::default();
    for i in &items {
        reply.push(i.as_ref().unwrap());
    }
    assert_eq!(reply.text, "hi agent");
    assert_eq!(reply.finish_reason.as_deref(), Some("stop"));
    assert_eq!(reply.usage.unwrap().completion_tokens, 2);
    let sent: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/v1/aibot/bots/echo-bot/send-message")[0].body)
            .unwrap();
    assert_eq!(sent["msg"], "hi agent");
    assert_eq!(sent["botId"], "echo-bot");

    let run = AgUiRun::new("thread-1", "run-1").message(AgUiMessage::user("m1", "ag ui works"));
    let items = c
        .agent_stream(SendMessage::ag_ui("echo-bot", run).unwrap())
        .unwrap();
    let kinds: Vec<String> = items
        .iter()
        .map(|i| match i.as_ref().unwrap() {
            AgentEvent::AgUi(e) => e.kind.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(kinds.first().map(String::as_str), Some("RUN_STARTED"));
    assert_eq!(kinds.last().map(String::as_str), Some("RUN_FINISHED"));
    let text: String = items
        .iter()
        .filter_map(|i| i.as_ref().unwrap().text().map(str::to_owned))
        .collect();
    assert_eq!(text, "ag ui works");

    // RUN_ERROR is a typed error.
    emu.register_agent(
        "failing",
        ModelScript::steps([
            ScriptStep::text("a "),
            ScriptStep::ErrorEvent {
                code: "AGENT_FAILED".into(),
                message: "boom".into(),
            },
        ]),
    );
    let run = AgUiRun::new("t", "r").message(AgUiMessage::user("m", "x"));
    let items = c
        .agent_stream(SendMessage::ag_ui("failing", run).unwrap())
        .unwrap();
    let e = items.last().unwrap().as_ref().unwrap_err();
    assert_eq!(e.gateway_code().map(|c| c.as_str()), Some("AGENT_FAILED"));
}

pub fn agent_management_round_trip<C: TestClient>() {
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    let list = c.ai_list_bots().unwrap();
    assert!(list.bot_list.iter().any(|b| b.bot_id == "echo-bot"));
    let created = c
        .ai_bot(BotCall::create(
            json!({"name": "Helper", "introduction": "helps"}),
        ))
        .unwrap();
    let id = created["botId"].as_str().unwrap().to_owned();
    c.ai_bot(BotCall::update(&id, json!({"name": "Helper 2"})).unwrap())
        .unwrap();
    assert_eq!(
        c.ai_bot(BotCall::get(&id).unwrap()).unwrap()["name"],
        "Helper 2"
    );
    let conv = c
        .ai_bot(
            BotCall::create_conversation(&id)
                .unwrap()
                .field("title", json!("first")),
        )
        .unwrap();
    let conv_id = conv["conversationId"].as_str().unwrap().to_owned();
    c.ai_bot(BotCall::list_conversations(&id, 10, 1).unwrap())
        .unwrap();
    c.ai_bot(BotCall::delete_conversation(&id, &conv_id).unwrap())
        .unwrap();
    c.ai_bot(BotCall::delete(&id).unwrap()).unwrap();
    assert!(c.ai_bot(BotCall::get(&id).unwrap()).is_err());
    // A reset forgets agents made through the API and keeps scripted ones.
    let kept = c.ai_bot(BotCall::create(json!({"name": "Temp"}))).unwrap();
    emu.register_agent("scripted", ModelScript::steps([ScriptStep::text("hi")]));
    emu.reset();
    let c = signed_in::<C>(&emu);
    assert!(
        c.ai_bot(BotCall::get(kept["botId"].as_str().unwrap()).unwrap())
            .is_err()
    );
    assert!(c.ai_bot(BotCall::get("scripted").unwrap()).is_ok());
    // Queries are percent-encoded (the official SDK sends them raw).
    let _ = c.ai_bot(BotCall::list(10, 1).unwrap().filter("name", "a&b=c"));
    let r = emu
        .requests_to("/v1/aibot/bots")
        .into_iter()
        .find(|r| r.query.as_deref().is_some_and(|q| q.contains("name=")))
        .unwrap();
    assert!(
        r.query.as_deref().unwrap().contains("name=a%26b%3Dc"),
        "{:?}",
        r.query
    );
    assert!(BotCall::list(0, 1).is_err());
    assert!(BotCall::get("../admin").is_err());
}

pub fn the_tool_loop_runs_every_call_then_answers<C: TestClient>() {
    use cloudbase_core::ai::{ToolBox, ToolLoop};
    let emu = emulator();
    emu.register_model(
        "planner",
        ModelScript::steps([
            ScriptStep::tool_call("c1", "add", r#"{"a":2,"b":3}"#),
            ScriptStep::tool_call("c2", "add", r#"{"a":10,"b":-4}"#),
        ]),
    );
    let c = signed_in::<C>(&emu);
    let tools = ToolBox::new().register("add", "adds", json!({"type": "object"}), |args| {
        Ok(json!(
            args["a"].as_i64().unwrap_or(0) + args["b"].as_i64().unwrap_or(0)
        ))
    });
    let request = ChatRequest::new("cloudbase", "planner").message(Message::user("sums?"));
    let result = c
        .ai_run_tools(ToolLoop::new(request.clone(), tools.clone()))
        .unwrap();
    assert_eq!(result.completion.text(), "results: 5; 6", "both calls ran");
    assert_eq!(result.steps, 2);
    assert!(!result.stopped_at_max_steps);
    let second: serde_json::Value =
        serde_json::from_slice(&emu.requests_to("/v1/ai/cloudbase/chat/completions")[1].body)
            .unwrap();
    let roles: Vec<&str> = second["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "tool", "tool"]);
    assert_eq!(second["messages"][2]["tool_call_id"], "c1");
    let capped = c
        .ai_run_tools(ToolLoop::new(request, tools).max_steps(1))
        .unwrap();
    assert!(capped.stopped_at_max_steps);
    assert_eq!(capped.completion.tool_calls().len(), 2);
}

pub fn a_cloud_run_service_streams_events<C: TestClient>() {
    let emu = emulator();
    emu.register_container("ticker", |_req| {
        cloudbase_emulator::FunctionResponse::bytes(
            "text/event-stream",
            b"event: tick\ndata: 1\n\n: comment\ndata: 2\r\nid: 7\r\n\r\n".to_vec(),
        )
    });
    emu.register_container("plain", |_req| {
        cloudbase_emulator::FunctionResponse::json(&json!({"ok": true}))
    });
    let c = signed_in::<C>(&emu);
    let events: Vec<_> = c
        .service_stream("ticker", "/events")
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0].event.as_str(), events[0].data.as_str()),
        ("tick", "1")
    );
    assert_eq!(
        (events[1].data.as_str(), events[1].id.as_deref()),
        ("2", Some("7"))
    );
    let r = &emu.requests_to("/v1/cloudrun/ticker/events")[0];
    assert_eq!(r.header("accept"), Some("text/event-stream"));
    let e = c.service_stream("plain", "/").unwrap_err();
    assert!(
        matches!(
            e,
            Error::Decode(cloudbase_core::DecodeError::NotAnEventStream { .. })
        ),
        "{e:?}"
    );
}

pub fn images_are_generated_on_the_official_paths<C: TestClient>() {
    use cloudbase_core::ai::{GenerateImage, ImageRequest};
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    let classic = c
        .execute(GenerateImage::new(
            ImageRequest::new("hunyuan-image", "hunyuan-image-v2.1", "a cat").field("n", json!(2)),
        ))
        .unwrap();
    assert_eq!(classic.images.len(), 2);
    assert_eq!(classic.images[0].revised_prompt.as_deref(), Some("a cat"));
    assert_eq!(
        emu.requests_to("/v1/ai/hunyuan-image/images/generations")
            .len(),
        1
    );
    c.execute(GenerateImage::new(ImageRequest::new(
        "hunyuan-image",
        "HY-Image-v3.0",
        "a dog",
    )))
    .unwrap();
    assert_eq!(
        emu.requests_to("/v1/ai/hunyuan-image/images/ar/generations")
            .len(),
        1
    );
    let refused = GenerateImage::new(
        ImageRequest::new("hunyuan-image", "HY-Image-v3.0-I2I-ToB-v1.0.1", "x")
            .field("image_urls", json!(["a", "b"])),
    );
    assert!(matches!(c.execute(refused), Err(Error::Build(_))));
    assert!(matches!(
        c.execute(GenerateImage::new(ImageRequest::new(
            "p",
            "m",
            "x".repeat(8193)
        ))),
        Err(Error::Build(_))
    ));
}

pub fn anthropic_messages_and_responses_on_the_same_base<C: TestClient>() {
    use cloudbase_core::ai::{OpenProtocolStream, ProtocolRequest, SendProtocol, text_delta};
    use cloudbase_core::stream::SseEventDecoder;
    let emu = emulator();
    let c = signed_in::<C>(&emu);
    let anthropic = || {
        ProtocolRequest::anthropic_messages(json!({
            "model": "echo", "max_tokens": 64,
            "messages": [{"role": "user", "content": [{"type": "text", "text": "hi claude"}]}],
        }))
    };
    let whole = c.execute(SendProtocol::new(anthropic())).unwrap();
    assert_eq!(whole["content"][0]["text"], "hi claude");
    assert_eq!(emu.requests_to("/v1/ai/cloudbase/v1/messages").len(), 1);
    let events = c
        .execute_stream(
            OpenProtocolStream::new(anthropic()),
            SseEventDecoder::default(),
        )
        .unwrap();
    let names: Vec<String> = events
        .iter()
        .map(|e| e.as_ref().unwrap().event.clone())
        .collect();
    assert_eq!(names.first().map(String::as_str), Some("message_start"));
    assert_eq!(names.last().map(String::as_str), Some("message_stop"));
    let text: String = events
        .iter()
        .filter_map(|e| text_delta(e.as_ref().unwrap()))
        .collect();
    assert_eq!(text, "hi claude");

    let responses =
        || ProtocolRequest::responses(json!({"model": "echo", "input": "hi responses"}));
    let whole = c.execute(SendProtocol::new(responses())).unwrap();
    assert_eq!(whole["output"][0]["content"][0]["text"], "hi responses");
    let events = c
        .execute_stream(
            OpenProtocolStream::new(responses()),
            SseEventDecoder::default(),
        )
        .unwrap();
    let text: String = events
        .iter()
        .filter_map(|e| text_delta(e.as_ref().unwrap()))
        .collect();
    assert_eq!(text, "hi responses");
    assert_eq!(emu.requests_to("/v1/ai/cloudbase/responses").len(), 2);
    // Errors in the vendor's shape are typed.
    let e = c
        .execute(SendProtocol::new(ProtocolRequest::responses(
            json!({"model": "nope", "input": "x"}),
        )))
        .unwrap_err();
    assert_eq!(e.gateway_code(), Some(&GatewayErrorCode::AiModelNotFound));
}

/// A stream whose next chunk does not come within the idle timeout ends with a typed
/// timeout (after what came); pauses shorter than it, one after another, do not —
/// the wait is per chunk, not for the whole stream.
pub fn the_idle_timeout_is_per_chunk_and_honoured<C: TestClient>() {
    use std::time::Duration;
    let emu = emulator();
    let mut transport = cloudbase_core::TransportOptions::default();
    transport.download_idle_timeout = Duration::from_millis(1000);
    let c = C::connect(config_for(emu.base_url()).transport(transport));
    c.sign_in_anonymously().unwrap();
    // Five pauses of a quarter of the idle timeout: longer than it in all.
    let mut steps = Vec::new();
    for word in ["a ", "b ", "c ", "d ", "e "] {
        steps.push(ScriptStep::stall(Duration::from_millis(250)));
        steps.push(ScriptStep::text(word));
    }
    emu.register_model("slow", ModelScript::steps(steps));
    let items = c
        .ai_stream(ChatRequest::new("cloudbase", "slow").message(Message::user("x")))
        .unwrap();
    let text: String = items
        .iter()
        .map(|d| d.as_ref().unwrap().content.clone().unwrap_or_default())
        .collect();
    assert_eq!(text, "a b c d e ");

    emu.register_model(
        "stuck",
        ModelScript::steps([
            ScriptStep::text("first "),
            ScriptStep::stall(Duration::from_secs(30)),
            ScriptStep::text("never"),
        ]),
    );
    let items = c
        .ai_stream(ChatRequest::new("cloudbase", "stuck").message(Message::user("x")))
        .unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert_eq!(
        items[0].as_ref().unwrap().content.as_deref(),
        Some("first ")
    );
    match items[1].as_ref().unwrap_err() {
        Error::Transport(t) => assert!(
            matches!(t.kind, TransportErrorKind::Timeout),
            "{:?}",
            t.kind
        ),
        other => panic!("{other:?}"),
    }
}
