//! `/v1/aibot/…`: agents. The built-in agent `echo-bot` answers classic bodies
//! (`msg`) with text records and AG-UI bodies (`messages`) with AG-UI events, word
//! by word; agents a test registers answer their script. Management routes keep
//! agents and conversations in memory (their answer shapes beyond the list and
//! conversation creation are unconfirmed, docs/protocol/ai.md §9).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Value, json};

use super::ai::{Frame, echo_script, event, sse_response, words};
use super::{authorize_gateway, gateway_error, json_response};
use crate::ai_script::{ModelScript, ScriptStep};
use crate::{Shared, lock};

/// The built-in agent's id.
pub(crate) const ECHO_BOT: &str = "echo-bot";

/// An agent the emulator knows.
#[derive(Clone)]
pub(crate) struct Agent {
    pub info: Value,
    pub script: Option<ModelScript>,
}

fn echo_bot_info() -> Value {
    json!({
        "botId": ECHO_BOT, "name": "Echo", "introduction": "Answers your message back.",
        "welcomeMessage": "Say something.", "avatar": "", "background": "",
        "isNeedRecommend": false, "type": "text", "searchEnable": false,
    })
}

fn agent(shared: &Shared, bot_id: &str) -> Option<Agent> {
    if bot_id == ECHO_BOT {
        return Some(Agent {
            info: echo_bot_info(),
            script: None,
        });
    }
    lock(&shared.ai).agents.get(bot_id).cloned()
}

fn not_found(bot_id: &str, headers: &HeaderMap) -> Response {
    gateway_error(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        &format!("agent {bot_id} does not exist"),
        headers,
    )
}

fn body_json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| json!({}))
}

/// `GET|POST /v1/aibot/bots`.
pub(crate) async fn bots(
    State(shared): State<Arc<Shared>>,
    method: Method,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    if method == Method::POST {
        let mut info = body_json(&body);
        let id = format!("bot-{}", crate::ids::random_hex(6));
        if let Some(map) = info.as_object_mut() {
            map.insert("botId".into(), id.clone().into());
        }
        lock(&shared.ai)
            .agents
            .insert(id.clone(), Agent { info, script: None });
        return json_response(StatusCode::OK, &json!({ "botId": id }));
    }
    let params: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let size = get("pageSize")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let number = get("pageNumber")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let name = get("name");
    let mut all = vec![echo_bot_info()];
    all.extend(lock(&shared.ai).agents.values().map(|a| a.info.clone()));
    all.retain(|b| {
        name.as_deref()
            .is_none_or(|n| b["name"].as_str().unwrap_or("").contains(n))
    });
    let total = all.len();
    let page: Vec<Value> = all
        .into_iter()
        .skip(size.saturating_mul(number - 1))
        .take(size)
        .collect();
    json_response(StatusCode::OK, &json!({ "botList": page, "total": total }))
}

/// `GET|PATCH|DELETE /v1/aibot/bots/{botId}`.
pub(crate) async fn bot(
    State(shared): State<Arc<Shared>>,
    Path(bot_id): Path<String>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let Some(found) = agent(&shared, &bot_id) else {
        return not_found(&bot_id, &headers);
    };
    match method {
        Method::GET => json_response(StatusCode::OK, &found.info),
        Method::PATCH if bot_id != ECHO_BOT => {
            let mut ai = lock(&shared.ai);
            let Some(a) = ai.agents.get_mut(&bot_id) else {
                return not_found(&bot_id, &headers);
            };
            if let (Some(info), Value::Object(patch)) = (a.info.as_object_mut(), body_json(&body)) {
                for (k, v) in patch {
                    if k != "botId" {
                        info.insert(k, v);
                    }
                }
            }
            json_response(StatusCode::OK, &a.info)
        }
        Method::DELETE if bot_id != ECHO_BOT => {
            lock(&shared.ai).agents.remove(&bot_id);
            json_response(StatusCode::OK, &json!({ "botId": bot_id }))
        }
        _ => gateway_error(
            StatusCode::FORBIDDEN,
            "OPERATION_FORBIDDEN",
            "the built-in agent cannot be changed",
            &headers,
        ),
    }
}

/// `POST /v1/aibot/bots/{botId}/send-message` and `…/recommend-questions`.
pub(crate) async fn send_message(
    State(shared): State<Arc<Shared>>,
    Path((bot_id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    if action != "send-message" && action != "recommend-questions" {
        return gateway_error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "no such agent route",
            &headers,
        );
    }
    let Some(found) = agent(&shared, &bot_id) else {
        return not_found(&bot_id, &headers);
    };
    let body = body_json(&body);
    let ag_ui = body.get("messages").is_some_and(Value::is_array);
    let text = if ag_ui {
        super::ai::last_user_text(&body)
    } else {
        body["msg"].as_str().unwrap_or("").to_owned()
    };
    let text = if action == "recommend-questions" {
        format!("What else about {text}?")
    } else {
        text
    };
    let script = found.script.unwrap_or_else(|| echo_script(&text));
    if let Some(e) = &script.error {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::BAD_REQUEST);
        return gateway_error(status, &e.code, &e.message, &headers);
    }
    let frames = if ag_ui {
        ag_ui_frames(&body, &script)
    } else {
        classic_frames(&shared, &script, &text)
    };
    sse_response(frames, &headers)
}

fn other_frame(step: &ScriptStep) -> Option<Frame> {
    match step {
        ScriptStep::Raw { data } => Some(Frame::Bytes(data.clone().into_bytes())),
        ScriptStep::RawBytes { bytes } => Some(Frame::Bytes(bytes.clone())),
        ScriptStep::Stall { ms } => Some(Frame::Stall(std::time::Duration::from_millis(*ms))),
        ScriptStep::Break => Some(Frame::Break),
        _ => None,
    }
}

fn classic_frames(shared: &Shared, script: &ModelScript, prompt: &str) -> Vec<Frame> {
    let record_id = format!("record-{}", crate::ids::random_hex(6));
    let created = shared.now();
    let prompt_tokens = words(prompt);
    let mut completion = 0;
    let mut frames = Vec::new();
    let texts = script
        .steps
        .iter()
        .filter(|s| matches!(s, ScriptStep::Text { .. }))
        .count();
    let mut seen = 0;
    for step in &script.steps {
        match step {
            ScriptStep::Text { text } => {
                seen += 1;
                completion += words(text);
                let finish = if seen == texts { "stop" } else { "continue" };
                frames.push(event(&json!({
                    "created": created, "record_id": record_id, "model": "echo", "version": "1",
                    "type": "text", "role": "assistant", "content": text, "finish_reason": finish,
                    "usage": {"promptTokens": prompt_tokens, "completionTokens": completion, "totalTokens": prompt_tokens + completion},
                })));
            }
            ScriptStep::ErrorEvent { code, message } => {
                frames.push(event(&json!({"code": code, "message": message})));
            }
            ScriptStep::Break => {
                frames.push(Frame::Break);
                return frames;
            }
            other => frames.extend(other_frame(other)),
        }
    }
    frames.push(Frame::Bytes(b"data: [DONE]\n\n".to_vec()));
    frames
}

fn ag_ui_frames(body: &Value, script: &ModelScript) -> Vec<Frame> {
    let thread = body["threadId"].as_str().unwrap_or("thread").to_owned();
    let run = body["runId"].as_str().unwrap_or("run").to_owned();
    let message_id = format!("msg-{}", crate::ids::random_hex(6));
    let mut frames = vec![
        event(&json!({"type": "RUN_STARTED", "threadId": thread, "runId": run})),
        event(&json!({"type": "TEXT_MESSAGE_START", "messageId": message_id, "role": "assistant"})),
    ];
    for step in &script.steps {
        match step {
            ScriptStep::Text { text } => frames.push(event(
                &json!({"type": "TEXT_MESSAGE_CONTENT", "messageId": message_id, "delta": text}),
            )),
            ScriptStep::ErrorEvent { code, message } => {
                frames.push(event(
                    &json!({"type": "RUN_ERROR", "code": code, "message": message}),
                ));
                return frames;
            }
            ScriptStep::Break => {
                frames.push(Frame::Break);
                return frames;
            }
            other => frames.extend(other_frame(other)),
        }
    }
    frames.push(event(
        &json!({"type": "TEXT_MESSAGE_END", "messageId": message_id}),
    ));
    frames.push(event(
        &json!({"type": "RUN_FINISHED", "threadId": thread, "runId": run}),
    ));
    frames
}

/// `POST|GET /v1/aibot/bots/{botId}/conversation`, `DELETE …/conversation/{id}`.
pub(crate) async fn conversations(
    State(shared): State<Arc<Shared>>,
    Path(params): Path<Vec<(String, String)>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorize_gateway(&shared, &headers) {
        return r;
    }
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let bot_id = get("bot_id").unwrap_or_default();
    if agent(&shared, &bot_id).is_none() {
        return not_found(&bot_id, &headers);
    }
    let now = shared.now();
    let mut ai = lock(&shared.ai);
    let list = ai.conversations.entry(bot_id.clone()).or_default();
    match (method, get("conversation_id")) {
        (Method::POST, None) => {
            let c = json!({
                "conversationId": format!("conv-{}", crate::ids::random_hex(6)),
                "title": body_json(&body)["title"].as_str().unwrap_or("New conversation"),
                "createTime": now, "updateTime": now,
            });
            list.push(c.clone());
            json_response(StatusCode::OK, &c)
        }
        (Method::GET, None) => json_response(
            StatusCode::OK,
            &json!({"data": list.clone(), "total": list.len()}),
        ),
        (Method::DELETE, Some(id)) => {
            let before = list.len();
            list.retain(|c| c["conversationId"] != id.as_str());
            if list.len() == before {
                return gateway_error(
                    StatusCode::NOT_FOUND,
                    "RESOURCE_NOT_FOUND",
                    "no such conversation",
                    &headers,
                );
            }
            json_response(StatusCode::OK, &json!({}))
        }
        _ => gateway_error(
            StatusCode::METHOD_NOT_ALLOWED,
            "INVALID_REQUEST",
            "method not allowed",
            &headers,
        ),
    }
}
