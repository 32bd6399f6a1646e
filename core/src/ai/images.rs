//! Image generation (`POST /v1/ai/{provider}/images/generations` or
//! `…/images/ar/generations`, ai.md §2, §3.2).

use http::Method;
use serde::Deserialize;

use super::provider::check_path_part;
use crate::error::{BuildError, Error};
use crate::operation::{OneShot, RequestContext, ResponseContext};
use crate::request::{Access, Api, HttpResponse, RequestIdStyle, RequestSpec};

/// The prompt limit the official SDK's types state.
const MAX_PROMPT_CHARS: usize = 8192;

/// An image request: provider, model, prompt, and the documented or extra fields.
///
/// ```
/// use cloudbase_core::ai::ImageRequest;
///
/// let request = ImageRequest::new("hunyuan-image", "hunyuan-image", "a red panda")
///     .field("size", serde_json::json!("1024x1024"));
/// ```
#[derive(Clone, Debug, PartialEq)]
#[must_use]
pub struct ImageRequest {
    provider: String,
    body: serde_json::Map<String, serde_json::Value>,
}

impl ImageRequest {
    /// `prompt` for `model` of `provider`.
    pub fn new(
        provider: impl Into<String>,
        model: impl Into<String>,
        prompt: impl Into<String>,
    ) -> Self {
        let mut body = serde_json::Map::new();
        body.insert("model".into(), model.into().into());
        body.insert("prompt".into(), prompt.into().into());
        Self {
            provider: provider.into(),
            body,
        }
    }

    /// Any field (`size`, `n`, `seed`, `negative_prompt`, `style`, `revise`,
    /// `footnote`, `image_urls`, …), as given.
    pub fn field(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.body.insert(name.into(), value);
        self
    }

    /// `hunyuan-image` with a `hunyuan-image[-v1|-v2[.…]]` model uses
    /// `images/generations`; everything else `images/ar/generations` (the SDK's rule).
    fn path(&self) -> &'static str {
        let model = self
            .body
            .get("model")
            .and_then(|m| m.as_str())
            .unwrap_or("");
        let classic = model.strip_prefix("hunyuan-image").is_some_and(|rest| {
            rest.is_empty()
                || ["-v1", "-v2"].iter().any(|v| {
                    rest.strip_prefix(v)
                        .is_some_and(|tail| tail.is_empty() || tail.starts_with('.'))
                })
        });
        if self.provider == "hunyuan-image" && classic {
            "images/generations"
        } else {
            "images/ar/generations"
        }
    }
}

/// One generated image.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct GeneratedImage {
    /// Where it is (valid 24 hours).
    pub url: String,
    /// The prompt as the model rewrote it, when it did.
    #[serde(default)]
    pub revised_prompt: Option<String>,
}

/// The answer: `{id, created, data: [{url, revised_prompt}]}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ImageResult {
    /// The answer's id.
    #[serde(default)]
    pub id: Option<String>,
    /// When it was made (Unix seconds).
    #[serde(default)]
    pub created: Option<u64>,
    /// The images.
    #[serde(default, rename = "data")]
    pub images: Vec<GeneratedImage>,
}

/// Generates images. Not idempotent (each call costs); a prompt over 8192
/// characters, or more than one reference image for `HY-Image-v3.0-I2I-ToB-v1.0.1`,
/// is refused unsent (the official SDK's limits).
#[derive(Clone, Debug)]
#[must_use]
pub struct GenerateImage {
    request: ImageRequest,
}

impl GenerateImage {
    /// Sends `request`.
    pub fn new(request: ImageRequest) -> Self {
        Self { request }
    }
}

impl OneShot for GenerateImage {
    type Output = ImageResult;

    fn request(&self, _cx: &RequestContext<'_>) -> Result<RequestSpec, Error> {
        let r = &self.request;
        check_path_part("provider", &r.provider, false)?;
        let prompt = r.body.get("prompt").and_then(|p| p.as_str()).unwrap_or("");
        if prompt.is_empty() || prompt.chars().count() > MAX_PROMPT_CHARS {
            return Err(BuildError::InvalidInput {
                field: "prompt",
                reason: format!("must be 1 to {MAX_PROMPT_CHARS} characters"),
            }
            .into());
        }
        if r.body.get("model").and_then(|m| m.as_str()) == Some("HY-Image-v3.0-I2I-ToB-v1.0.1") {
            let many = |k: &str| {
                r.body
                    .get(k)
                    .and_then(|v| v.as_array())
                    .is_some_and(|a| a.len() > 1)
            };
            if many("image_urls") || many("images") {
                return Err(BuildError::InvalidInput {
                    field: "image_urls",
                    reason: "this model takes at most one reference image".into(),
                }
                .into());
            }
        }
        Ok(RequestSpec::new(Api::Gateway, Method::POST, Access::Bearer)
            .path("ai")
            .segment(&r.provider)
            .path(r.path())
            .json(&r.body)?
            .request_id(RequestIdStyle::None))
    }

    fn parse(
        &self,
        response: HttpResponse,
        _cx: &mut ResponseContext<'_>,
    ) -> Result<ImageResult, Error> {
        let status = response.status();
        let value = crate::stream::json_answer(&response)?;
        Ok(crate::response::decode_value(status, value)?)
    }
}
