//! `/v1/ai/{provider}/…`: a deterministic fake model provider (docs/protocol/ai.md
//! §2–§4). The built-in model `echo` answers the last user message back, streamed
//! word by word in separate writes with the real framing (`data: {chunk}`, a blank
//! line, `data: [DONE]`); other models are scripts a test registered. Usage is
//! counted in words.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::{authorize_gateway, gateway_error, json_response};
use crate::ai_script::{ModelScript, ScriptStep};
use crate::{Shared, lock};

/// What the body of a streamed answer is made of.
pub(crate) enum Frame {
    Bytes(Vec<u8>),
    Stall(Duration),
    Break,
}

/// A streamed `text/event-stream` answer of `frames`, each its own write.
pub(crate) fn sse_response(frames: Vec<Frame>, headers: &HeaderMap) -> Response {
    let frames: VecDeque<Frame> = frames.into();
    let body = futures_util::stream::unfold(frames, |mut frames| async move {
        loop {
            match frames.pop_front()? {
                Frame::Stall(d) => tokio::time::sleep(d).await,
                Frame::Break => {
                    return Some((
                        Err(std::io::Error::new(
                            std::io::ErrorKind::ConnectionAborted,
                            "scripted break",
                        )),
                        VecDeque::new(),
                    ));
                }
                Frame::Bytes(b) => {
                    // A moment between events, so each leaves in its own TCP write.
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    return Some((Ok::<_, std::io::Error>(Bytes::from(b)), frames));
                }
            }
        }
    });
    let mut response = Response::new(Body::from_stream(body));
    let h = response.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream; charset=utf-8"),
    );
    h.insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    if let Some(id) = headers.get("x-request-id") {
        h.insert("x-request-id", id.clone());
    }
    response
}

/// `data: {json}\n\n`.
pub(crate) fn event(value: &Value) -> Frame {
    Frame::Bytes(format!("data: {value}\n\n").into_bytes())
}

pub(crate) fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// The echo script: the last user message, word by word (the pieces join back to
/// the message exactly).
pub(crate) fn echo_script(text: &str) -> ModelScript {
    ModelScript::steps(text.split_inclusive(' ').map(ScriptStep::text))
}

pub(crate) fn last_user_text(body: &Value) -> String {
    body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_owned()
}

fn prompt_words(body: &Value) -> u64 {
    body["messages"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| words(m["content"].as_str().unwrap_or("")))
                .sum()
        })
        .unwrap_or(0)
}

/// `finish_reason` → `FinishReason`, recursively (hunyuan's TitleCase).
fn title_case(value: Value) -> Value {
    fn key(k: &str) -> String {
        k.split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                    .unwrap_or_default()
            })
            .collect()
    }
    match value {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (key(&k), title_case(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(title_case).collect()),
        other => other,
    }
}

/// The body of a model call as JSON, and its `model`: the documented errors when it
/// is not JSON (`AI_MODEL_PARAM_INVALID`) or names no model (`AI_MODEL_PARAM_REQUIRED`).
fn model_body(body: &[u8], headers: &HeaderMap) -> Result<(Value, String), Response> {
    let body: Value = serde_json::from_slice(body).map_err(|_| {
        gateway_error(
            StatusCode::BAD_REQUEST,
            "AI_MODEL_PARAM_INVALID",
            "the body is not JSON",
            headers,
        )
    })?;
    let model = body["model"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            gateway_error(
                StatusCode::BAD_REQUEST,
                "AI_MODEL_PARAM_REQUIRED",
                "model is required",
                headers,
            )
        })?;
    Ok((body, model))
}

/// The script model `model` answers `prompt` with: `echo`'s, or a registered one.
/// An unknown model, or a script's error before the stream, is the answer instead.
fn script_for(
    shared: &Shared,
    model: &str,
    prompt: &str,
    headers: &HeaderMap,
) -> Result<ModelScript, Response> {
    let script = if model == "echo" {
        echo_script(prompt)
    } else {
        lock(&shared.ai).models.get(model).cloned().ok_or_else(|| {
            gateway_error(
                StatusCode::NOT_FOUND,
                "AI_MODEL_NOT_FOUND",
                &format!("model {model} is not registered (the built-in one is echo)"),
                headers,
            )
        })?
    };
    if let Some(e) = &script.error {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        return Err(gateway_error(status, &e.code, &e.message, headers));
    }
    Ok(script)
}

/// `POST /v1/ai/{provider}/…/chat/completions` (and `/v1/ai/hunyuan`). A
/// conversation that ends with tool results is answered `results: …` by any model.
pub(crate) async fn chat(
    State(shared): State<Arc<Shared>>,
    Path(rest): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    if rest.ends_with("images/generations") || rest.ends_with("images/ar/generations") {
        return images(&shared, &body, &headers);
    }
    if rest.ends_with("v1/messages") || rest.ends_with("responses") {
        return other_protocol(&shared, rest.ends_with("responses"), &body, &headers);
    }
    let hunyuan = rest == "hunyuan";
    if !hunyuan && !rest.ends_with("chat/completions") {
        return gateway_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            &format!("/v1/ai/{rest} is not a chat endpoint of cloudbase-emulator"),
            &headers,
        );
    }
    let (body, model) = match model_body(&body, &headers) {
        Ok(parsed) => parsed,
        Err(r) => return r,
    };
    let model = model.as_str();
    // After tool results, any model answers with them (so a tool loop ends):
    // "results: {r1}; {r2}".
    let tool_results: Vec<&str> = body["messages"]
        .as_array()
        .map(|m| {
            let trailing = m.iter().rev().take_while(|m| m["role"] == "tool").count();
            m[m.len() - trailing..]
                .iter()
                .filter_map(|m| m["content"].as_str())
                .collect()
        })
        .unwrap_or_default();
    let script = if !tool_results.is_empty() {
        echo_script(&format!("results: {}", tool_results.join("; ")))
    } else {
        match script_for(&shared, model, &last_user_text(&body), &headers) {
            Ok(s) => s,
            Err(r) => return r,
        }
    };
    let id = format!("chatcmpl-{}", crate::ids::random_hex(8));
    let created = shared.now();
    let prompt = prompt_words(&body);
    let shape = |v: Value| if hunyuan { title_case(v) } else { v };
    if body["stream"] != json!(true) {
        let mut text = String::new();
        let mut calls = Vec::new();
        for step in &script.steps {
            match step {
                ScriptStep::Text { text: t } => text.push_str(t),
                ScriptStep::ToolCall { id, name, arguments } => calls.push(json!({
                    "id": id, "type": "function", "function": {"name": name, "arguments": arguments},
                })),
                ScriptStep::ErrorEvent { code, message } => {
                    return gateway_error(StatusCode::OK, code, message, &headers);
                }
                _ => {}
            }
        }
        let finish = if calls.is_empty() {
            "stop"
        } else {
            "tool_calls"
        };
        let mut message = json!({"role": "assistant", "content": text});
        if !calls.is_empty() {
            message["tool_calls"] = Value::Array(calls);
        }
        let completion = words(&text);
        let answer = json!({
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        });
        let answer = if hunyuan {
            json!({"Response": title_case(answer)})
        } else {
            answer
        };
        return json_response(StatusCode::OK, &answer);
    }
    let chunk = |delta: Value, finish: Value| {
        shape(json!({
            "id": id, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }))
    };
    let mut frames = Vec::new();
    let mut completion = 0;
    let mut tool_index = 0u32;
    let mut broke = false;
    for step in &script.steps {
        match step {
            ScriptStep::Text { text } => {
                completion += words(text);
                frames.push(event(&chunk(
                    json!({"role": "assistant", "content": text}),
                    Value::Null,
                )));
            }
            ScriptStep::ToolCall {
                id,
                name,
                arguments,
            } => {
                let cut = (0..=arguments.len() / 2)
                    .rev()
                    .find(|i| arguments.is_char_boundary(*i))
                    .unwrap_or(0);
                let (first, second) = arguments.split_at(cut);
                frames.push(event(&chunk(
                    json!({"role": "assistant", "content": null, "tool_calls": [{
                        "index": tool_index, "id": id, "type": "function",
                        "function": {"name": name, "arguments": first},
                    }]}),
                    Value::Null,
                )));
                frames.push(event(&chunk(
                    json!({"tool_calls": [{"index": tool_index, "function": {"arguments": second}}]}),
                    Value::Null,
                )));
                tool_index += 1;
            }
            ScriptStep::ErrorEvent { code, message } => {
                frames.push(event(&json!({"code": code, "message": message})));
            }
            ScriptStep::Raw { data } => frames.push(Frame::Bytes(data.clone().into_bytes())),
            ScriptStep::RawBytes { bytes } => frames.push(Frame::Bytes(bytes.clone())),
            ScriptStep::Stall { ms } => frames.push(Frame::Stall(Duration::from_millis(*ms))),
            ScriptStep::Break => {
                frames.push(Frame::Break);
                broke = true;
                break;
            }
        }
    }
    if !broke {
        let finish = if tool_index > 0 { "tool_calls" } else { "stop" };
        let mut last = chunk(json!({}), json!(finish));
        let usage = json!({"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion});
        last[if hunyuan { "Usage" } else { "usage" }] = shape(usage);
        frames.push(event(&last));
        frames.push(Frame::Bytes(b"data: [DONE]\n\n".to_vec()));
    }
    sse_response(frames, &headers)
}

/// `…/images/generations` and `…/images/ar/generations`: `n` (default 1) images of
/// the prompt, as URLs under the emulator (`/__ai/images/{id}.png`, a 1×1 PNG).
fn images(shared: &Shared, body: &[u8], headers: &HeaderMap) -> Response {
    let body = match model_body(body, headers) {
        Ok((body, _)) => body,
        Err(r) => return r,
    };
    let Some(prompt) = body["prompt"].as_str().filter(|p| !p.is_empty()) else {
        return gateway_error(
            StatusCode::BAD_REQUEST,
            "AI_MODEL_PARAM_INVALID",
            "prompt is required",
            headers,
        );
    };
    let n = body["n"].as_u64().unwrap_or(1).clamp(1, 4);
    let data: Vec<Value> = (0..n)
        .map(|_| {
            json!({
                "url": format!("{}/__ai/images/{}.png", shared.site.base_url, crate::ids::random_hex(8)),
                "revised_prompt": prompt,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"id": format!("img-{}", crate::ids::random_hex(6)), "created": shared.now(), "data": data}),
    )
}

/// A 1×1 transparent PNG.
const PIXEL: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

/// `GET /__ai/images/{name}`: the generated images' bytes.
pub(crate) async fn image_file() -> Response {
    let mut r = Response::new(Body::from(PIXEL));
    r.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("image/png"),
    );
    r
}

/// The text of a message's `content`: a string, or text blocks.
fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// Anthropic Messages (`…/v1/messages`) and OpenAI Responses (`…/responses`): the
/// same models, answered in the vendor's shapes and native stream events.
fn other_protocol(shared: &Shared, responses: bool, body: &[u8], headers: &HeaderMap) -> Response {
    let (body, model) = match model_body(body, headers) {
        Ok(parsed) => parsed,
        Err(r) => return r,
    };
    let model = model.as_str();
    let prompt = if responses {
        match &body["input"] {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .rev()
                .find(|m| m["role"] == "user")
                .map(|m| content_text(&m["content"]))
                .unwrap_or_default(),
            _ => String::new(),
        }
    } else {
        body["messages"]
            .as_array()
            .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
            .map(|m| content_text(&m["content"]))
            .unwrap_or_default()
    };
    let script = match script_for(shared, model, &prompt, headers) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let pieces: Vec<String> = script
        .steps
        .iter()
        .filter_map(|s| match s {
            ScriptStep::Text { text } => Some(text.clone()),
            _ => None,
        })
        .collect();
    let text: String = pieces.concat();
    let (input, output) = (words(&prompt), words(&text));
    let id = crate::ids::random_hex(8);
    let named = |name: &str, data: Value| {
        Frame::Bytes(format!("event: {name}\ndata: {data}\n\n").into_bytes())
    };
    let stream = body["stream"] == json!(true);
    if responses {
        let response = json!({
            "id": format!("resp_{id}"), "object": "response", "model": model, "status": "completed",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}],
            "usage": {"input_tokens": input, "output_tokens": output, "total_tokens": input + output},
        });
        if !stream {
            return json_response(StatusCode::OK, &response);
        }
        let mut frames = vec![named(
            "response.created",
            json!({"type": "response.created", "response": {"id": format!("resp_{id}"), "model": model, "status": "in_progress"}}),
        )];
        for p in &pieces {
            frames.push(named(
                "response.output_text.delta",
                json!({"type": "response.output_text.delta", "delta": p}),
            ));
        }
        frames.push(named(
            "response.output_text.done",
            json!({"type": "response.output_text.done", "text": text}),
        ));
        frames.push(named(
            "response.completed",
            json!({"type": "response.completed", "response": response}),
        ));
        return sse_response(frames, headers);
    }
    if !stream {
        return json_response(
            StatusCode::OK,
            &json!({
                "id": format!("msg_{id}"), "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                "usage": {"input_tokens": input, "output_tokens": output},
            }),
        );
    }
    let mut frames = vec![
        named(
            "message_start",
            json!({"type": "message_start", "message": {"id": format!("msg_{id}"), "type": "message", "role": "assistant", "model": model, "content": [], "usage": {"input_tokens": input, "output_tokens": 0}}}),
        ),
        named(
            "content_block_start",
            json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
        ),
    ];
    for p in &pieces {
        frames.push(named("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}})));
    }
    frames.push(named(
        "content_block_stop",
        json!({"type": "content_block_stop", "index": 0}),
    ));
    frames.push(named("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": output}})));
    frames.push(named("message_stop", json!({"type": "message_stop"})));
    sse_response(frames, headers)
}
