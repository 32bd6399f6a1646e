//! A streamed chat answer: server-sent `chat.completion.chunk` events → typed
//! deltas, the end marker, errors inside the stream; and the collector that
//! assembles the final message with every tool call.

use std::collections::VecDeque;

use serde::Deserialize;

use super::chat::{ChatCompletion, FinishReason, FunctionCall, Message, Role, ToolCall, Usage};
use super::provider::from_title_case;
use crate::error::{DecodeError, Error};
use crate::sse::SseDecoder;
use crate::stream::{StreamDecoder, error_in};

/// A piece of a tool call as one chunk carries it (`index` says which call).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ToolCallDelta {
    /// Which call of the answer this piece belongs to.
    #[serde(default)]
    pub index: u32,
    /// The call's id, when this piece carries it.
    #[serde(default)]
    pub id: Option<String>,
    /// The function, when this piece carries part of it.
    #[serde(default)]
    pub function: Option<FunctionDelta>,
}

/// Part of a function call: its name, and a fragment of its arguments.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct FunctionDelta {
    /// The name, when carried.
    #[serde(default)]
    pub name: Option<String>,
    /// The next fragment of the arguments' JSON text.
    #[serde(default)]
    pub arguments: Option<String>,
}

/// One chunk of a streamed answer.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ChatDelta {
    /// The next text.
    pub content: Option<String>,
    /// The next reasoning text (deep-reasoning models).
    pub reasoning: Option<String>,
    /// Pieces of tool calls.
    pub tool_calls: Vec<ToolCallDelta>,
    /// Why the model stopped, on the last chunk.
    pub finish_reason: Option<FinishReason>,
    /// Tokens used, when this chunk says.
    pub usage: Option<Usage>,
    /// The answer's id and model, on the first delta (boxed: the other deltas carry
    /// none, and a smaller delta moves faster through the stream).
    pub names: Option<Box<AnswerNames>>,
}

/// The answer's id and model, as its first chunk names them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct AnswerNames {
    /// The answer's id, when sent.
    #[serde(default)]
    pub id: Option<String>,
    /// The model, when sent.
    #[serde(default)]
    pub model: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    // An error envelope in the stream (`{code, message}` or `{error}`); read in the
    // same pass as a chunk, so a normal chunk is parsed once, straight into its type.
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    error: Option<serde_json::Value>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<Usage>,
}

/// A chunk's choice: its delta (or `message`, which some providers send instead; a
/// `delta` wins), and why the model stopped. Read into one delta by hand: the derived
/// form held both candidates and moved each through the choice list, a measurable
/// share of a stream's decode.
#[derive(Default)]
struct ChunkChoice {
    delta: ChunkDelta,
    finish_reason: Option<FinishReason>,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum ChoiceKey {
    Delta,
    Message,
    FinishReason,
    #[serde(other)]
    Other,
}

impl<'de> Deserialize<'de> for ChunkChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Choice;
        impl<'de> serde::de::Visitor<'de> for Choice {
            type Value = ChunkChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a chat chunk's choice")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<ChunkChoice, A::Error> {
                let mut choice = ChunkChoice::default();
                let mut has_delta = false;
                while let Some(key) = map.next_key::<ChoiceKey>()? {
                    match key {
                        ChoiceKey::Delta => {
                            if let Some(d) = map.next_value::<Option<ChunkDelta>>()? {
                                choice.delta = d;
                                has_delta = true;
                            }
                        }
                        ChoiceKey::Message => {
                            let m = map.next_value::<Option<ChunkDelta>>()?;
                            if let (Some(m), false) = (m, has_delta) {
                                choice.delta = m;
                            }
                        }
                        ChoiceKey::FinishReason => choice.finish_reason = map.next_value()?,
                        ChoiceKey::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(choice)
            }
        }
        deserializer.deserialize_map(Choice)
    }
}

#[derive(Deserialize, Default)]
struct ChunkDelta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

/// Decodes a streamed chat answer ([`StreamDecoder`]): `data: {chunk}` events become
/// [`ChatDelta`]s, `data: [DONE]` ends the stream, an event carrying an error (`{code,
/// message}` or `{error}`) ends it with a typed [`Error::Server`]. Data that is not
/// JSON is skipped, as the official SDK does.
#[derive(Debug)]
pub struct ChatStreamDecoder {
    sse: SseDecoder,
    title_case: bool,
    ready: VecDeque<Result<ChatDelta, Error>>,
    finished: bool,
    saw_done: bool,
    named: bool,
}

impl ChatStreamDecoder {
    /// A decoder; `title_case` for hunyuan's TitleCase chunks.
    pub fn new(title_case: bool) -> Self {
        Self {
            sse: SseDecoder::new(),
            title_case,
            ready: VecDeque::new(),
            finished: false,
            saw_done: false,
            named: false,
        }
    }

    /// Whether the stream ended with `[DONE]` (rather than just ending).
    pub fn saw_done(&self) -> bool {
        self.saw_done
    }

    fn on_data(&mut self, data: &str) {
        if data.trim() == "[DONE]" {
            self.finished = true;
            self.saw_done = true;
            return;
        }
        let chunk = if self.title_case {
            None
        } else {
            serde_json::from_str::<Chunk>(data).ok()
        };
        let chunk = match chunk {
            Some(c) if c.code.is_none() && c.error.is_none() => c,
            // TitleCase, an error envelope, or not a chunk: the general path.
            _ => match self.read_value(data) {
                Some(c) => c,
                None => return,
            },
        };
        let mut delta = ChatDelta {
            usage: chunk.usage,
            ..ChatDelta::default()
        };
        if !self.named {
            self.named = true;
            // Read from the first chunk only: they repeat on every chunk, and reading
            // them once keeps a chunk to one typed parse.
            let names: Option<AnswerNames> = if self.title_case {
                serde_json::from_str::<serde_json::Value>(data)
                    .ok()
                    .and_then(|v| serde_json::from_value(from_title_case(v)).ok())
            } else {
                serde_json::from_str(data).ok()
            };
            delta.names = names.map(Box::new);
        }
        if let Some(choice) = chunk.choices.into_iter().next() {
            let d = choice.delta;
            delta.content = d.content;
            delta.reasoning = d.reasoning_content;
            delta.tool_calls = d.tool_calls.unwrap_or_default();
            delta.finish_reason = choice.finish_reason;
        }
        self.ready.push_back(Ok(delta));
    }
}

impl ChatStreamDecoder {
    /// Reads `data` as any JSON: an error it carries ends the stream; a chunk is
    /// returned; anything else is skipped (not JSON) or a decode error (JSON, but no
    /// chunk).
    fn read_value(&mut self, data: &str) -> Option<Chunk> {
        let Ok(mut value) = serde_json::from_str::<serde_json::Value>(data) else {
            tracing::warn!(len = data.len(), "skipping a stream event that is not JSON");
            return None;
        };
        if self.title_case {
            value = from_title_case(value);
        }
        if let Some(e) = error_in(&value, http::StatusCode::OK, None) {
            self.ready.push_back(Err(e));
            self.finished = true;
            return None;
        }
        match serde_json::from_value::<Chunk>(value) {
            Ok(c) => Some(c),
            Err(e) => {
                self.ready.push_back(Err(DecodeError::Json {
                    status: http::StatusCode::OK,
                    path: ".".into(),
                    message: format!("not a chat chunk: {e}"),
                    snippet: String::new(),
                    source: Some(e.into()),
                }
                .into()));
                self.finished = true;
                None
            }
        }
    }
}

impl StreamDecoder for ChatStreamDecoder {
    type Item = ChatDelta;

    fn feed(&mut self, chunk: &[u8]) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        // Events are read in place as they complete (no copy of their data).
        let mut sse = std::mem::take(&mut self.sse);
        let result = sse.feed_with(chunk, &mut |event| {
            if !self.finished {
                self.on_data(event.data);
            }
        });
        self.sse = sse;
        result.map_err(|e| DecodeError::EventStream(e.to_string()).into())
    }

    fn next_item(&mut self) -> Option<Result<ChatDelta, Error>> {
        self.ready.pop_front()
    }

    fn is_finished(&self) -> bool {
        self.finished && self.ready.is_empty()
    }
}

/// Assembles a streamed answer: the text, the reasoning, every tool call (by index,
/// from any chunk: ids and names as last sent, argument fragments joined), the last
/// finish reason and the last usage.
///
/// ```
/// use cloudbase_core::ai::{ChatCollector, ChatDelta};
///
/// let mut collector = ChatCollector::new();
/// let mut delta = ChatDelta::default();
/// delta.content = Some("Hello".into());
/// collector.push(&delta);
/// assert_eq!(collector.finish().text(), "Hello");
/// ```
#[derive(Clone, Debug, Default)]
pub struct ChatCollector {
    text: String,
    reasoning: String,
    calls: Vec<ToolCall>,
    finish_reason: Option<FinishReason>,
    usage: Option<Usage>,
    id: Option<String>,
    model: Option<String>,
}

/// Tool calls an answer may assemble (far more than any model makes).
const MAX_TOOL_CALLS: u32 = 128;

impl ChatCollector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a delta.
    pub fn push(&mut self, delta: &ChatDelta) {
        if let Some(t) = &delta.content {
            self.text.push_str(t);
        }
        if let Some(r) = &delta.reasoning {
            self.reasoning.push_str(r);
        }
        for piece in &delta.tool_calls {
            if piece.index >= MAX_TOOL_CALLS {
                continue;
            }
            let at = piece.index as usize;
            while self.calls.len() <= at {
                self.calls.push(ToolCall {
                    id: String::new(),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: String::new(),
                        arguments: String::new(),
                    },
                });
            }
            let call = &mut self.calls[at];
            if let Some(id) = piece.id.as_ref().filter(|s| !s.is_empty()) {
                id.clone_into(&mut call.id);
            }
            if let Some(f) = &piece.function {
                if let Some(name) = f.name.as_ref().filter(|s| !s.is_empty()) {
                    name.clone_into(&mut call.function.name);
                }
                if let Some(args) = &f.arguments {
                    call.function.arguments.push_str(args);
                }
            }
        }
        if delta.finish_reason.is_some() {
            self.finish_reason.clone_from(&delta.finish_reason);
        }
        if let Some(u) = delta
            .usage
            .filter(|u| u.total_tokens > 0 || u.completion_tokens > 0)
        {
            self.usage = Some(u);
        }
        if let Some(names) = &delta.names {
            self.id.clone_from(&names.id);
            self.model.clone_from(&names.model);
        }
    }

    /// The text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The assembled answer.
    pub fn finish(self) -> ChatCompletion {
        let calls: Vec<ToolCall> = self
            .calls
            .into_iter()
            .filter(|c| !c.function.name.is_empty() || !c.id.is_empty())
            .collect();
        let finish_reason = match self.finish_reason {
            // A provider that labels a tool-calling stream `stop` still called tools.
            Some(FinishReason::Stop) | None if !calls.is_empty() => Some(FinishReason::ToolCalls),
            other => other,
        };
        ChatCompletion {
            id: self.id,
            model: self.model,
            message: Message {
                role: Role::Assistant,
                content: (!self.text.is_empty() || calls.is_empty()).then_some(self.text),
                tool_calls: calls,
                tool_call_id: None,
            },
            reasoning: (!self.reasoning.is_empty()).then_some(self.reasoning),
            finish_reason,
            usage: self.usage,
        }
    }
}
