//! Agent management (ai.md §2, §6): list, get, create, update, delete, conversations,
//! records, feedback, files. Only the list's shape is documented, so the others
//! answer the JSON as sent.

use http::Method;
use serde::Deserialize;

use super::provider::check_path_part;
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};

/// One agent of the list.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BotSummary {
    /// The agent's id.
    pub bot_id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its introduction.
    #[serde(default)]
    pub introduction: String,
    /// Its welcome message.
    #[serde(default)]
    pub welcome_message: String,
    /// `text` or `image`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Whether it may search the web.
    #[serde(default)]
    pub search_enable: Option<bool>,
}

/// A page of agents (`{botList, total}`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BotList {
    /// The agents.
    #[serde(default)]
    pub bot_list: Vec<BotSummary>,
    /// How many match.
    #[serde(default)]
    pub total: u64,
}

/// One agent-management request; the answer is the JSON as sent (the list's
/// documented shape deserializes into [`BotList`]).
///
/// Wire: `/v1/aibot/…` with the user's token or the configured key; GET queries are
/// percent-encoded (the official SDK sends them raw, ai.md §8); DELETE sends no body.
///
/// ```
/// use cloudbase_core::ai::BotCall;
///
/// let get = BotCall::get("bot-123")?;
/// let page = BotCall::list_conversations("bot-123", 10, 1)?;
/// # Ok::<(), cloudbase_core::BuildError>(())
/// ```
#[derive(Clone, Debug)]
#[must_use]
pub struct BotCall {
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    body: Option<serde_json::Value>,
    idempotent: bool,
}

fn bot_path(bot_id: &str, tail: &str) -> Result<String, BuildError> {
    check_path_part("bot_id", bot_id, false)?;
    Ok(if tail.is_empty() {
        format!("aibot/bots/{bot_id}")
    } else {
        format!("aibot/bots/{bot_id}/{tail}")
    })
}

fn page(page_size: u32, page_number: u32) -> Result<(u32, u32), BuildError> {
    if page_size == 0 || page_number == 0 {
        return Err(BuildError::InvalidInput {
            field: "page",
            reason: "page size and page number start at 1".into(),
        });
    }
    Ok((page_size, page_number))
}

impl BotCall {
    fn new(method: Method, path: String) -> Self {
        let idempotent = matches!(method, Method::GET | Method::DELETE | Method::PATCH);
        Self {
            method,
            path,
            query: Vec::new(),
            body: None,
            idempotent,
        }
    }

    fn with_body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// `GET /v1/aibot/bots?pageSize&pageNumber` (a [`BotList`] as JSON).
    pub fn list(page_size: u32, page_number: u32) -> Result<Self, BuildError> {
        let (size, number) = page(page_size, page_number)?;
        let mut call = Self::new(Method::GET, "aibot/bots".into());
        call.query = vec![
            ("pageSize".into(), size.to_string()),
            ("pageNumber".into(), number.to_string()),
        ];
        Ok(call)
    }

    /// Adds a query filter to a GET (`name`, `introduction`, `information`, `enable`).
    pub fn filter(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// `GET /v1/aibot/bots/{botId}`.
    pub fn get(bot_id: &str) -> Result<Self, BuildError> {
        Ok(Self::new(Method::GET, bot_path(bot_id, "")?))
    }

    /// `POST /v1/aibot/bots` with the agent's fields.
    pub fn create(info: serde_json::Value) -> Self {
        Self::new(Method::POST, "aibot/bots".into()).with_body(info)
    }

    /// `PATCH /v1/aibot/bots/{botId}` with the fields to change.
    pub fn update(bot_id: &str, info: serde_json::Value) -> Result<Self, BuildError> {
        Ok(Self::new(Method::PATCH, bot_path(bot_id, "")?).with_body(info))
    }

    /// `DELETE /v1/aibot/bots/{botId}`.
    pub fn delete(bot_id: &str) -> Result<Self, BuildError> {
        Ok(Self::new(Method::DELETE, bot_path(bot_id, "")?))
    }

    /// `GET …/records?pageSize&pageNumber` (`sort` with [`BotCall::filter`]).
    pub fn records(bot_id: &str, page_size: u32, page_number: u32) -> Result<Self, BuildError> {
        let (size, number) = page(page_size, page_number)?;
        let mut call = Self::new(Method::GET, bot_path(bot_id, "records")?);
        call.query = vec![
            ("pageSize".into(), size.to_string()),
            ("pageNumber".into(), number.to_string()),
        ];
        Ok(call)
    }

    /// `POST …/feedback` with the feedback (`recordId`, `type`, `comment`, `rating`, …).
    pub fn send_feedback(bot_id: &str, feedback: serde_json::Value) -> Result<Self, BuildError> {
        Ok(Self::new(Method::POST, bot_path(bot_id, "feedback")?).with_body(feedback))
    }

    /// `GET …/feedback` (filters with [`BotCall::filter`]).
    pub fn get_feedback(bot_id: &str) -> Result<Self, BuildError> {
        Ok(Self::new(Method::GET, bot_path(bot_id, "feedback")?))
    }

    /// `POST …/files` with `{fileList: [{fileId, fileName, type}]}`.
    pub fn upload_files(bot_id: &str, file_list: serde_json::Value) -> Result<Self, BuildError> {
        Ok(Self::new(Method::POST, bot_path(bot_id, "files")?)
            .with_body(serde_json::json!({ "fileList": file_list })))
    }

    /// `POST …/conversation` (`{title}` with [`BotCall::field`]).
    pub fn create_conversation(bot_id: &str) -> Result<Self, BuildError> {
        Ok(Self::new(Method::POST, bot_path(bot_id, "conversation")?)
            .with_body(serde_json::json!({})))
    }

    /// `GET …/conversation?offset&limit`, page `page_number` of `page_size`.
    pub fn list_conversations(
        bot_id: &str,
        page_size: u32,
        page_number: u32,
    ) -> Result<Self, BuildError> {
        let (size, number) = page(page_size, page_number)?;
        let offset = u64::from(size) * u64::from(number - 1);
        let mut call = Self::new(Method::GET, bot_path(bot_id, "conversation")?);
        call.query = vec![
            ("offset".into(), offset.to_string()),
            ("limit".into(), size.to_string()),
        ];
        Ok(call)
    }

    /// `DELETE …/conversation/{conversationId}`.
    pub fn delete_conversation(bot_id: &str, conversation_id: &str) -> Result<Self, BuildError> {
        check_path_part("conversation_id", conversation_id, false)?;
        Ok(Self::new(
            Method::DELETE,
            bot_path(bot_id, &format!("conversation/{conversation_id}"))?,
        ))
    }

    /// `POST …/speech-to-text` with `{engSerViceType, voiceFormat, url}`.
    pub fn speech_to_text(bot_id: &str, request: serde_json::Value) -> Result<Self, BuildError> {
        Ok(Self::new(Method::POST, bot_path(bot_id, "speech-to-text")?).with_body(request))
    }

    /// `POST …/text-to-speech` with `{voiceType, text}`: a task.
    pub fn text_to_speech(bot_id: &str, request: serde_json::Value) -> Result<Self, BuildError> {
        Ok(Self::new(Method::POST, bot_path(bot_id, "text-to-speech")?).with_body(request))
    }

    /// `GET …/text-to-speech?taskId=`: the task's result.
    pub fn text_to_speech_result(bot_id: &str, task_id: &str) -> Result<Self, BuildError> {
        let mut call = Self::new(Method::GET, bot_path(bot_id, "text-to-speech")?);
        call.query = vec![("taskId".into(), task_id.to_owned())];
        Ok(call)
    }

    /// `POST /v1/aibot/generate-image` with `{prompt, …}` (undocumented; the official
    /// SDK's `bot.generateImage`).
    pub fn generate_image(request: serde_json::Value) -> Self {
        Self::new(Method::POST, "aibot/generate-image".into()).with_body(request)
    }

    /// Sets a body field (on calls with a body).
    pub fn field(mut self, name: &str, value: serde_json::Value) -> Self {
        if let Some(serde_json::Value::Object(map)) = &mut self.body {
            map.insert(name.to_owned(), value);
        }
        self
    }
}

impl OneShot for BotCall {
    type Output = serde_json::Value;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let mut spec = RequestSpec::new(Api::Gateway, self.method.clone(), Access::Bearer)
            .path(&self.path)
            .request_id(RequestIdStyle::None);
        for (k, v) in &self.query {
            spec = spec.query(k, v);
        }
        if let Some(body) = &self.body {
            spec = spec.json(body)?;
        }
        Ok(spec)
    }

    fn is_idempotent(&self) -> bool {
        self.idempotent
    }

    fn parse(
        &self,
        response: HttpResponse,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<serde_json::Value, Error> {
        if response.body().is_empty() {
            return Ok(serde_json::Value::Null);
        }
        crate::stream::json_answer(&response)
    }
}

/// `GET /v1/aibot/bots`, read as the documented [`BotList`].
#[derive(Clone, Debug)]
#[must_use]
pub struct ListBots(BotCall);

impl ListBots {
    /// Page `page_number` (from 1) of `page_size` agents.
    pub fn new(page_size: u32, page_number: u32) -> Result<Self, BuildError> {
        Ok(Self(BotCall::list(page_size, page_number)?))
    }

    /// Adds a query filter (`name`, `introduction`, `information`, `enable`).
    pub fn filter(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        Self(self.0.filter(name, value))
    }
}

impl OneShot for ListBots {
    type Output = BotList;

    fn request(&self, cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        self.0.request(cx)
    }

    fn is_idempotent(&self) -> bool {
        true
    }

    fn parse(
        &self,
        response: HttpResponse,
        cx: &mut ResponseContext<'_>,
    ) -> Result<BotList, Error> {
        let status = response.status();
        let value = self.0.parse(response, cx)?;
        Ok(crate::response::decode_value(status, value)?)
    }
}
