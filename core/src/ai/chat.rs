//! Chat completions (`POST /v1/ai/{provider}/…`, ai.md §2–§3): the request, its typed
//! answer, and the two operations (whole answer, or an event stream).

use http::{HeaderName, HeaderValue, Method};
use serde::{Deserialize, Serialize};

use super::provider::{chat_path, check_path_part, from_title_case, is_title_case};
use crate::error::{BuildError, DecodeError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};

/// Who wrote a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Role {
    /// Instructions.
    System,
    /// The user.
    User,
    /// The model.
    Assistant,
    /// A tool's result.
    Tool,
}

/// One message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Who wrote it.
    pub role: Role,
    /// The text (`None` for an assistant message that only calls tools).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// The tools an assistant message calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<ToolCall>,
    /// The call a tool message answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl Message {
    fn text(role: Role, content: impl Into<String>) -> Self {
        Self {
            role,
            content: Some(content.into()),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        Self::text(Role::System, content)
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        Self::text(Role::User, content)
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        Self::text(Role::Assistant, content)
    }

    /// A tool's result for the call `tool_call_id`.
    pub fn tool_result(tool_call_id: impl Into<String>, content: impl Into<String>) -> Self {
        Self {
            tool_call_id: Some(tool_call_id.into()),
            ..Self::text(Role::Tool, content)
        }
    }
}

/// A call of a tool the model asks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// The call's id (a tool message answers it).
    #[serde(default)]
    pub id: String,
    /// `function`.
    #[serde(rename = "type", default = "function_kind")]
    pub kind: String,
    /// What to call.
    pub function: FunctionCall,
}

fn function_kind() -> String {
    "function".to_owned()
}

/// The function a tool call names, and its arguments as the model wrote them (JSON
/// text, possibly invalid: parse with care).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCall {
    /// The function's name.
    #[serde(default)]
    pub name: String,
    /// The arguments, JSON text.
    #[serde(default)]
    pub arguments: String,
}

/// A tool the model may call: a function with JSON-schema parameters.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tool {
    #[serde(rename = "type")]
    kind: &'static str,
    function: ToolFunction,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
struct ToolFunction {
    name: String,
    description: String,
    parameters: serde_json::Value,
}

impl Tool {
    /// A function tool; `parameters` is a JSON schema of its arguments.
    pub fn function(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: serde_json::Value,
    ) -> Self {
        Self {
            kind: "function",
            function: ToolFunction {
                name: name.into(),
                description: description.into(),
                parameters,
            },
        }
    }

    /// The function's name.
    pub fn name(&self) -> &str {
        &self.function.name
    }
}

/// Why the model stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum FinishReason {
    /// A natural end.
    Stop,
    /// The token limit.
    Length,
    /// The model calls tools (run them, then send their results).
    ToolCalls,
    /// Filtered content.
    ContentFilter,
    /// Any other reason, as sent.
    Other(String),
}

impl From<String> for FinishReason {
    fn from(s: String) -> Self {
        match s.as_str() {
            "stop" => FinishReason::Stop,
            "length" => FinishReason::Length,
            "tool_calls" => FinishReason::ToolCalls,
            "content_filter" => FinishReason::ContentFilter,
            _ => FinishReason::Other(s),
        }
    }
}

impl From<FinishReason> for String {
    fn from(r: FinishReason) -> Self {
        match r {
            FinishReason::Stop => "stop".into(),
            FinishReason::Length => "length".into(),
            FinishReason::ToolCalls => "tool_calls".into(),
            FinishReason::ContentFilter => "content_filter".into(),
            FinishReason::Other(s) => s,
        }
    }
}

/// Tokens used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Tokens of the input (`prompt_tokens`; agents send `promptTokens`).
    #[serde(default, alias = "promptTokens")]
    pub prompt_tokens: u64,
    /// Tokens of the answer (`completion_tokens`, `completionTokens`).
    #[serde(default, alias = "completionTokens")]
    pub completion_tokens: u64,
    /// Both (`total_tokens`, `totalTokens`).
    #[serde(default, alias = "totalTokens")]
    pub total_tokens: u64,
}

/// A whole answer: the assistant's message (with every tool call), why it stopped,
/// and the tokens used.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ChatCompletion {
    /// The answer's id, when sent.
    pub id: Option<String>,
    /// The model that answered, when sent.
    pub model: Option<String>,
    /// The assistant's message.
    pub message: Message,
    /// Reasoning text of deep-reasoning models (`reasoning_content`), when sent.
    pub reasoning: Option<String>,
    /// Why it stopped.
    pub finish_reason: Option<FinishReason>,
    /// Tokens used, when sent.
    pub usage: Option<Usage>,
}

impl ChatCompletion {
    /// The answer's text (empty when it only calls tools).
    pub fn text(&self) -> &str {
        self.message.content.as_deref().unwrap_or("")
    }

    /// The tool calls the answer asks for (all of them, not only the first).
    pub fn tool_calls(&self) -> &[ToolCall] {
        &self.message.tool_calls
    }
}

/// A chat request: provider, model, messages, parameters, tools and any extra
/// fields, which pass through as given.
///
/// ```
/// use cloudbase_core::ai::{ChatRequest, Message};
///
/// let request = ChatRequest::new("cloudbase", "hunyuan-lite")
///     .message(Message::system("Answer briefly."))
///     .message(Message::user("What is CloudBase?"))
///     .temperature(0.2)
///     .extra("stream_options", serde_json::json!({"include_usage": true}));
/// assert_eq!(request.provider(), "cloudbase");
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct ChatRequest {
    provider: String,
    sub_path: Option<String>,
    model: String,
    messages: Vec<Message>,
    temperature: Option<f64>,
    top_p: Option<f64>,
    max_tokens: Option<u64>,
    tools: Vec<Tool>,
    tool_choice: Option<serde_json::Value>,
    extra: serde_json::Map<String, serde_json::Value>,
}

impl ChatRequest {
    /// A request to `model` of `provider` (`cloudbase`, `hunyuan-exp`, `deepseek`, …).
    pub fn new(provider: impl Into<String>, model: impl Into<String>) -> Self {
        Self {
            provider: provider.into(),
            sub_path: None,
            model: model.into(),
            messages: Vec::new(),
            temperature: None,
            top_p: None,
            max_tokens: None,
            tools: Vec::new(),
            tool_choice: None,
            extra: serde_json::Map::new(),
        }
    }

    /// The provider.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The messages so far.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The tools offered.
    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    /// Sends to `/v1/ai/{provider}{sub_path}` instead of the provider's default path
    /// (the official SDK's `defaultModelSubUrl`).
    pub fn sub_path(mut self, sub_path: impl Into<String>) -> Self {
        self.sub_path = Some(sub_path.into());
        self
    }

    /// Appends a message.
    pub fn message(mut self, message: Message) -> Self {
        self.messages.push(message);
        self
    }

    /// Appends messages.
    pub fn messages_from(mut self, messages: impl IntoIterator<Item = Message>) -> Self {
        self.messages.extend(messages);
        self
    }

    /// `temperature`.
    pub fn temperature(mut self, value: f64) -> Self {
        self.temperature = Some(value);
        self
    }

    /// `top_p`.
    pub fn top_p(mut self, value: f64) -> Self {
        self.top_p = Some(value);
        self
    }

    /// `max_tokens`.
    pub fn max_tokens(mut self, value: u64) -> Self {
        self.max_tokens = Some(value);
        self
    }

    /// Offers a tool.
    pub fn tool(mut self, tool: Tool) -> Self {
        self.tools.push(tool);
        self
    }

    /// `tool_choice` (`"auto"`, `"none"`, or an object naming a function).
    pub fn tool_choice(mut self, choice: serde_json::Value) -> Self {
        self.tool_choice = Some(choice);
        self
    }

    /// Any other field, sent as given (a field this builder also sets is overridden
    /// by the builder's value).
    pub fn extra(mut self, key: impl Into<String>, value: serde_json::Value) -> Self {
        self.extra.insert(key.into(), value);
        self
    }

    fn body(&self, stream: bool) -> Result<Vec<u8>, Error> {
        check_path_part("provider", &self.provider, false)?;
        if let Some(sub) = &self.sub_path {
            check_path_part("sub_path", sub, true)?;
        }
        if self.model.is_empty() {
            return Err(BuildError::InvalidInput {
                field: "model",
                reason: "empty".into(),
            }
            .into());
        }
        if self.messages.is_empty() {
            return Err(BuildError::InvalidInput {
                field: "messages",
                reason: "a chat needs at least one message".into(),
            }
            .into());
        }
        let mut body = self.extra.clone();
        body.insert("model".into(), self.model.clone().into());
        body.insert("messages".into(), to_value(&self.messages)?);
        if let Some(t) = self.temperature {
            body.insert("temperature".into(), t.into());
        }
        if let Some(p) = self.top_p {
            body.insert("top_p".into(), p.into());
        }
        if let Some(m) = self.max_tokens {
            body.insert("max_tokens".into(), m.into());
        }
        if !self.tools.is_empty() {
            body.insert("tools".into(), to_value(&self.tools)?);
        }
        if let Some(c) = &self.tool_choice {
            body.insert("tool_choice".into(), c.clone());
        }
        body.insert("stream".into(), stream.into());
        Ok(crate::request::to_json(&body)?)
    }

    pub(crate) fn spec(&self, stream: bool) -> Result<RequestSpec, Error> {
        let body = self.body(stream)?;
        let mut spec = RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("ai")
            .path(&chat_path(&self.provider, self.sub_path.as_deref()))
            .json_body(body, "application/json")
            // The official SDK sends no request id on AI calls (ai.md §1).
            .request_id(RequestIdStyle::None);
        if self.provider == "hunyuan" {
            spec = spec.header(
                HeaderName::from_static("x-tc-action"),
                HeaderValue::from_static("ChatCompletions"),
            );
        }
        if stream {
            spec = spec.event_stream();
        }
        Ok(spec)
    }
}

fn to_value<T: Serialize>(value: &T) -> Result<serde_json::Value, Error> {
    serde_json::to_value(value).map_err(|e| BuildError::Serialize(e.to_string()).into())
}

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<AnswerChoice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct AnswerChoice {
    message: AnswerMessage,
    #[serde(default)]
    finish_reason: Option<FinishReason>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    reasoning_content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCall>>,
}

/// Sends a chat request and reads the whole answer (`stream: false`).
///
/// Wire: `POST /v1/ai/{provider}/{path}` (ai.md §3.2) with the request's JSON and
/// `"stream": false`; a user's token, else the configured key. Not idempotent (each
/// call costs tokens): retried only when no connection could be made. An error
/// envelope in any status — also a 200 `{code}` or an OpenAI-style `{error}` — is a
/// typed [`Error::Server`].
///
/// ```
/// use cloudbase_core::ai::{Chat, ChatRequest, Message};
/// use cloudbase_core::{Config, Operation, RequestContext};
///
/// let config = Config::builder("demo-env").api_key("key").build()?;
/// let op = Chat::new(ChatRequest::new("cloudbase", "hunyuan-lite").message(Message::user("hi")));
/// op.request(&RequestContext::new(&config, &Default::default(), std::time::SystemTime::UNIX_EPOCH))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct Chat {
    request: ChatRequest,
}

impl Chat {
    /// Sends `request` for a whole answer.
    pub fn new(request: ChatRequest) -> Self {
        Self { request }
    }
}

impl OneShot for Chat {
    type Output = ChatCompletion;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        self.request.spec(false)
    }

    fn parse(
        &self,
        response: HttpResponse,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<ChatCompletion, Error> {
        let status = response.status();
        let mut value: serde_json::Value = crate::response::decode_json(status, response.body())?;
        if is_title_case(&self.request.provider) {
            value = from_title_case(value);
        }
        if let Some(e) = crate::stream::error_in(&value, status, None) {
            return Err(e);
        }
        let answer: Answer = crate::response::decode_value(status, value)?;
        let choice = answer
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| DecodeError::Json {
                status,
                path: ".choices".into(),
                message: "no choice in the answer".into(),
                snippet: String::new(),
                source: None,
            })?;
        Ok(ChatCompletion {
            id: answer.id,
            model: answer.model,
            message: Message {
                role: Role::Assistant,
                content: choice.message.content,
                tool_calls: choice.message.tool_calls.unwrap_or_default(),
                tool_call_id: None,
            },
            reasoning: choice.message.reasoning_content,
            finish_reason: choice.finish_reason,
            usage: answer.usage,
        })
    }
}

/// Opens a streamed chat (`stream: true`, `Accept: text/event-stream`); the adapter
/// then reads the body through a [`ChatStreamDecoder`](super::ChatStreamDecoder).
/// Retried only when no connection could be made; an error answer before the stream
/// (any status, also a 200 JSON `{code}`) is a typed error, and `ACCESS_TOKEN_EXPIRED`
/// refreshes and replays like any call.
#[derive(Clone, Debug)]
#[must_use]
pub struct OpenChatStream {
    request: ChatRequest,
}

impl OpenChatStream {
    /// Opens `request` as a stream.
    pub fn new(request: ChatRequest) -> Self {
        Self { request }
    }

    /// The decoder for the body.
    pub fn decoder(&self) -> super::ChatStreamDecoder {
        super::ChatStreamDecoder::new(is_title_case(&self.request.provider))
    }
}

crate::stream::opens_event_stream!(OpenChatStream, |op, _cx| op.request.spec(true));
