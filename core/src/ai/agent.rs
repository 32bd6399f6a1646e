//! Agents' messages (`POST /v1/aibot/bots/{botId}/send-message`, ai.md §3.3, §4):
//! classic bodies (`msg`, `history`, `files`, `conversationId`) and AG-UI runs, both
//! answered with an event stream of records or AG-UI events.

use std::collections::VecDeque;

use http::Method;

use super::chat::Role;
use super::provider::check_path_part;
use crate::codes::GatewayErrorCode;
use crate::error::{BuildError, DecodeError, Error, ServerCode, ServerError};
use crate::request::{Access, Api, RequestIdStyle, RequestSpec};
use crate::sse::SseDecoder;
use crate::stream::{StreamDecoder, error_in};

/// One message of an AG-UI run.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[non_exhaustive]
pub struct AgUiMessage {
    /// The message's id.
    pub id: String,
    /// `user`, `assistant`, `system` or `tool`.
    pub role: Role,
    /// The text.
    pub content: String,
    /// For tool messages: the call answered.
    #[serde(rename = "toolCallId", skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl AgUiMessage {
    /// A user message.
    pub fn user(id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: Role::User,
            content: content.into(),
            tool_call_id: None,
        }
    }
}

/// An AG-UI run input (`threadId`, `runId`, `messages`, `tools`, `context`, `state`,
/// `forwardedProps`).
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct AgUiRun {
    body: serde_json::Map<String, serde_json::Value>,
    messages: Vec<AgUiMessage>,
}

impl AgUiRun {
    /// A run `run_id` in thread `thread_id`.
    pub fn new(thread_id: impl Into<String>, run_id: impl Into<String>) -> Self {
        let mut body = serde_json::Map::new();
        body.insert("threadId".into(), thread_id.into().into());
        body.insert("runId".into(), run_id.into().into());
        Self {
            body,
            messages: Vec::new(),
        }
    }

    /// Appends a message.
    pub fn message(mut self, message: AgUiMessage) -> Self {
        self.messages.push(message);
        self
    }

    /// Any other field (`tools`, `context`, `state`, `forwardedProps`), as given.
    pub fn field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.body.insert(name.into(), value);
        self
    }
}

/// A message to an agent: a classic body, or an AG-UI run.
///
/// ```
/// use cloudbase_core::ai::SendMessage;
///
/// let message = SendMessage::new("bot-123", "What can you do?")?
///     .conversation_id("conv-1")
///     .enable_search();
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct SendMessage {
    bot_id: String,
    body: serde_json::Map<String, serde_json::Value>,
}

impl SendMessage {
    /// A classic message `msg` to agent `bot_id`.
    pub fn new(bot_id: &str, msg: impl Into<String>) -> Result<Self, BuildError> {
        check_path_part("bot_id", bot_id, false)?;
        let mut body = serde_json::Map::new();
        // The official SDK passes its argument object through, `botId` included.
        body.insert("botId".into(), bot_id.into());
        body.insert("msg".into(), msg.into().into());
        Ok(Self {
            bot_id: bot_id.to_owned(),
            body,
        })
    }

    /// An AG-UI run for agent `bot_id`.
    pub fn ag_ui(bot_id: &str, run: AgUiRun) -> Result<Self, BuildError> {
        check_path_part("bot_id", bot_id, false)?;
        let mut body = run.body;
        body.insert("botId".into(), bot_id.into());
        body.insert(
            "messages".into(),
            serde_json::to_value(&run.messages)
                .map_err(|e| BuildError::Serialize(e.to_string()))?,
        );
        Ok(Self {
            bot_id: bot_id.to_owned(),
            body,
        })
    }

    /// Earlier turns (`history`).
    pub fn history(mut self, turns: impl IntoIterator<Item = (Role, String)>) -> Self {
        let turns: Vec<serde_json::Value> = turns
            .into_iter()
            .map(|(role, content)| serde_json::json!({"role": role, "content": content}))
            .collect();
        self.body.insert("history".into(), turns.into());
        self
    }

    /// Files the agent may read (`cloud://…` or `https://…` links).
    pub fn files(mut self, links: impl IntoIterator<Item = String>) -> Self {
        let links: Vec<serde_json::Value> = links.into_iter().map(Into::into).collect();
        self.body.insert("files".into(), links.into());
        self
    }

    /// The conversation this message belongs to (agents with several conversations).
    pub fn conversation_id(mut self, id: impl Into<String>) -> Self {
        self.body.insert("conversationId".into(), id.into().into());
        self
    }

    /// Lets the agent search the web (effective only if the agent enables search).
    pub fn enable_search(mut self) -> Self {
        self.body.insert("searchEnable".into(), true.into());
        self
    }
}

/// Opens an agent's event stream: `send-message`, or `recommend-questions`.
#[derive(Clone, Debug)]
#[must_use]
pub struct OpenAgentStream {
    path: String,
    body: serde_json::Map<String, serde_json::Value>,
}

impl OpenAgentStream {
    /// `POST /v1/aibot/bots/{botId}/send-message`.
    pub fn send_message(message: SendMessage) -> Self {
        Self {
            path: format!("aibot/bots/{}/send-message", message.bot_id),
            body: message.body,
        }
    }

    /// `POST /v1/aibot/bots/{botId}/recommend-questions` with `{msg, history, …}`.
    pub fn recommend_questions(message: SendMessage) -> Self {
        Self {
            path: format!("aibot/bots/{}/recommend-questions", message.bot_id),
            body: message.body,
        }
    }

    /// `POST /v1/aibot/generate-bot` (a bot draft from a description, streamed;
    /// undocumented, the official SDK's `bot.generateBot`).
    pub fn generate_bot(draft: serde_json::Map<String, serde_json::Value>) -> Self {
        Self {
            path: "aibot/generate-bot".into(),
            body: draft,
        }
    }

    /// `POST /v1/aibot/preview` (a draft bot answering `msg`, streamed; undocumented,
    /// the official SDK's `bot.getPreview`).
    pub fn preview(draft: serde_json::Map<String, serde_json::Value>) -> Self {
        Self {
            path: "aibot/preview".into(),
            body: draft,
        }
    }

    /// The decoder for the body.
    pub fn decoder(&self) -> AgentDecoder {
        AgentDecoder::new()
    }
}

crate::stream::opens_event_stream!(OpenAgentStream, |op, _cx| {
    Ok(RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
        .path(&op.path)
        .json(&op.body)?
        .request_id(RequestIdStyle::None)
        .event_stream())
});

/// What a classic record is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordKind {
    /// Answer text.
    Text,
    /// Reasoning.
    Thinking,
    /// Web search results.
    Search,
    /// Knowledge-base results.
    Knowledge,
    /// Anything else, as sent.
    Other(String),
}

/// Tokens an agent used: [`Usage`](super::Usage), read from `promptTokens`,
/// `completionTokens`, `totalTokens`.
pub type AgentUsage = super::chat::Usage;

/// A classic agent's record.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AgentRecord {
    /// What it is.
    pub kind: RecordKind,
    /// Its text (`content`).
    pub content: String,
    /// `reasoning_content` of deep-reasoning models.
    pub reasoning: Option<String>,
    /// `continue` or `stop`.
    pub finish_reason: Option<String>,
    /// Tokens so far.
    pub usage: Option<AgentUsage>,
    /// The record's id.
    pub record_id: Option<String>,
    /// The whole event, as sent (search results, knowledge base, …).
    pub raw: serde_json::Value,
}

/// An AG-UI event (`RUN_STARTED`, `TEXT_MESSAGE_CONTENT`, tool-call events, …).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AgUiEvent {
    /// The event type.
    pub kind: String,
    /// The text of `TEXT_MESSAGE_CONTENT` (and other events' `delta`).
    pub delta: Option<String>,
    /// The message the event belongs to.
    pub message_id: Option<String>,
    /// The whole event.
    pub raw: serde_json::Value,
}

/// One item of an agent's stream.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum AgentEvent {
    /// A classic record.
    Record(AgentRecord),
    /// An AG-UI event.
    AgUi(AgUiEvent),
}

impl AgentEvent {
    /// The answer text this event adds: a text record's content, or an AG-UI text
    /// delta.
    pub fn text(&self) -> Option<&str> {
        match self {
            AgentEvent::Record(r) if r.kind == RecordKind::Text => Some(&r.content),
            AgentEvent::AgUi(e) if e.kind == "TEXT_MESSAGE_CONTENT" => e.delta.as_deref(),
            _ => None,
        }
    }
}

fn is_ag_ui_kind(kind: &str) -> bool {
    !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
}

fn parse_event(value: serde_json::Value) -> Result<AgentEvent, Error> {
    let text =
        |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_owned);
    let kind = text(&value, "type").unwrap_or_default();
    if is_ag_ui_kind(&kind) {
        if kind == "RUN_ERROR" {
            return Err(Error::Server(ServerError {
                status: http::StatusCode::OK,
                code: ServerCode::Gateway(GatewayErrorCode::from(
                    text(&value, "code")
                        .unwrap_or_else(|| "RUN_ERROR".into())
                        .as_str(),
                )),
                message: text(&value, "message").unwrap_or_default(),
                request_id: None,
                numeric_code: None,
                retry_after: None,
                postgrest: None,
            }));
        }
        return Ok(AgentEvent::AgUi(AgUiEvent {
            delta: text(&value, "delta"),
            message_id: text(&value, "messageId"),
            kind,
            raw: value,
        }));
    }
    let record_kind = match kind.as_str() {
        "text" | "" => RecordKind::Text,
        "thinking" => RecordKind::Thinking,
        "search" => RecordKind::Search,
        "knowledge" => RecordKind::Knowledge,
        other => RecordKind::Other(other.to_owned()),
    };
    Ok(AgentEvent::Record(AgentRecord {
        kind: record_kind,
        content: text(&value, "content").unwrap_or_default(),
        reasoning: text(&value, "reasoning_content"),
        finish_reason: text(&value, "finish_reason"),
        usage: value
            .get("usage")
            .and_then(|u| serde_json::from_value(u.clone()).ok()),
        record_id: text(&value, "record_id"),
        raw: value,
    }))
}

/// Decodes an agent's event stream ([`StreamDecoder`]) into [`AgentEvent`]s;
/// `data: [DONE]` ends it; an error event (`{code, message}`, `{error}`, AG-UI
/// `RUN_ERROR`) ends it with a typed error.
#[derive(Debug, Default)]
pub struct AgentDecoder {
    sse: SseDecoder,
    ready: VecDeque<Result<AgentEvent, Error>>,
    finished: bool,
}

impl AgentDecoder {
    /// A decoder.
    pub fn new() -> Self {
        Self::default()
    }
}

impl StreamDecoder for AgentDecoder {
    type Item = AgentEvent;

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        self.sse
            .feed(chunk)
            .map_err(|e| DecodeError::EventStream(e.to_string()))?;
        while !self.finished {
            let Some(event) = self.sse.next_event() else {
                break;
            };
            if event.data.trim() == "[DONE]" {
                self.finished = true;
                break;
            }
            let Ok(value) = serde_json::from_str::<serde_json::Value>(&event.data) else {
                tracing::warn!(
                    len = event.data.len(),
                    "skipping an agent event that is not JSON"
                );
                continue;
            };
            if let Some(e) = error_in(&value, http::StatusCode::OK, None) {
                self.ready.push_back(Err(e));
                self.finished = true;
                break;
            }
            let item = parse_event(value);
            self.finished = item.is_err();
            self.ready.push_back(item);
        }
        Ok(())
    }

    fn next_item(&mut self) -> Option<Result<AgentEvent, Error>> {
        self.ready.pop_front()
    }

    fn is_finished(&self) -> bool {
        self.finished && self.ready.is_empty()
    }
}

/// Assembles an agent's reply from its events: the answer text, the reasoning, the
/// last finish reason and usage.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AgentReply {
    /// The answer text.
    pub text: String,
    /// Reasoning text (thinking records, `reasoning_content`).
    pub thinking: String,
    /// The last finish reason.
    pub finish_reason: Option<String>,
    /// The last usage.
    pub usage: Option<AgentUsage>,
    /// Search and knowledge records, as sent.
    pub references: Vec<serde_json::Value>,
}

impl AgentReply {
    /// Adds an event.
    pub fn push(&mut self, event: &AgentEvent) {
        if let Some(t) = event.text() {
            self.text.push_str(t);
        }
        if let AgentEvent::Record(r) = event {
            match r.kind {
                RecordKind::Thinking => self.thinking.push_str(&r.content),
                RecordKind::Search | RecordKind::Knowledge => self.references.push(r.raw.clone()),
                _ => {}
            }
            if let Some(reasoning) = &r.reasoning {
                self.thinking.push_str(reasoning);
            }
            if r.finish_reason.is_some() {
                self.finish_reason.clone_from(&r.finish_reason);
            }
            if r.usage.is_some() {
                self.usage = r.usage;
            }
        }
    }
}
