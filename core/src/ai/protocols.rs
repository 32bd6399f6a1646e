//! The other model protocols on the same base (ai.md §2): Anthropic Messages and
//! OpenAI Responses. Their paths under `/v1/ai/cloudbase` are **unconfirmed** in the
//! notes; this SDK follows the closest documented behaviour — the base the docs give
//! for the vendors' SDKs, plus the path those SDKs append (`/v1/messages`,
//! `/responses`) — and lets the caller choose another (docs/protocol/ai.md §1).
//! Bodies and answers are the vendors' own JSON, passed through; streams are their
//! native server-sent events (`event:` names kept).

use http::Method;

use super::provider::check_path_part;
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};
use crate::sse::SseEvent;

/// Which protocol a [`ProtocolRequest`] speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Protocol {
    /// Anthropic Messages (`{model, max_tokens, messages, stream}`).
    AnthropicMessages,
    /// OpenAI Responses (`{model, input, previous_response_id, stream}`).
    Responses,
}

/// A request in one of the other protocols: the vendor's JSON body as given.
///
/// ```
/// use cloudbase_core::ai::ProtocolRequest;
///
/// let request = ProtocolRequest::anthropic_messages(serde_json::json!({
///     "model": "claude-sonnet", "max_tokens": 256,
///     "messages": [{"role": "user", "content": "Hi"}],
/// }));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct ProtocolRequest {
    protocol: Protocol,
    provider: String,
    path: String,
    body: serde_json::Value,
}

impl ProtocolRequest {
    /// Anthropic Messages, sent to `/v1/ai/cloudbase/v1/messages`.
    pub fn anthropic_messages(body: serde_json::Value) -> Self {
        Self {
            protocol: Protocol::AnthropicMessages,
            provider: "cloudbase".into(),
            path: "v1/messages".into(),
            body,
        }
    }

    /// OpenAI Responses, sent to `/v1/ai/cloudbase/responses`.
    pub fn responses(body: serde_json::Value) -> Self {
        Self {
            protocol: Protocol::Responses,
            provider: "cloudbase".into(),
            path: "responses".into(),
            body,
        }
    }

    /// Sends to `/v1/ai/{provider}/{path}` instead (the paths are unconfirmed).
    pub fn at(mut self, provider: impl Into<String>, path: impl Into<String>) -> Self {
        self.provider = provider.into();
        self.path = path.into();
        self
    }

    /// The protocol.
    pub fn protocol(&self) -> Protocol {
        self.protocol
    }

    fn spec(&self, stream: bool) -> Result<RequestSpec, Error> {
        check_path_part("provider", &self.provider, false)?;
        check_path_part("path", &self.path, true)?;
        let mut body = self.body.clone();
        let Some(map) = body.as_object_mut() else {
            return Err(BuildError::InvalidInput {
                field: "body",
                reason: "must be a JSON object".into(),
            }
            .into());
        };
        map.insert("stream".into(), stream.into());
        let mut spec = RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("ai")
            .segment(&self.provider)
            .path(&self.path)
            .json(&body)?
            .request_id(RequestIdStyle::None);
        if stream {
            spec = spec.event_stream();
        }
        Ok(spec)
    }
}

/// Sends a [`ProtocolRequest`] for its whole answer (`stream: false`): the vendor's
/// JSON, after the error checks every AI answer gets.
#[derive(Clone, Debug)]
#[must_use]
pub struct SendProtocol(ProtocolRequest);

impl SendProtocol {
    /// Sends `request`.
    pub fn new(request: ProtocolRequest) -> Self {
        Self(request)
    }
}

impl OneShot for SendProtocol {
    type Output = serde_json::Value;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        self.0.spec(false)
    }

    fn parse(
        &self,
        response: HttpResponse,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<serde_json::Value, Error> {
        // Anthropic reports errors as `{type: "error", error: {type, message}}`.
        crate::stream::json_answer(&response)
    }
}

/// Opens a [`ProtocolRequest`]'s native event stream (`stream: true`); read it with
/// [`SseEventDecoder`](crate::stream::SseEventDecoder) and [`text_delta`].
#[derive(Clone, Debug)]
#[must_use]
pub struct OpenProtocolStream(ProtocolRequest);

impl OpenProtocolStream {
    /// Streams `request`.
    pub fn new(request: ProtocolRequest) -> Self {
        Self(request)
    }
}

crate::stream::opens_event_stream!(OpenProtocolStream, |op, _cx| op.0.spec(true));

/// The text an event of either protocol adds: Anthropic `content_block_delta` with a
/// `text_delta`, Responses `response.output_text.delta`.
pub fn text_delta(event: &SseEvent) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(&event.data).ok()?;
    let kind = value["type"].as_str().unwrap_or(event.event.as_str());
    match kind {
        "content_block_delta" => value["delta"]["text"].as_str().map(str::to_owned),
        "response.output_text.delta" => value["delta"].as_str().map(str::to_owned),
        _ => None,
    }
}
