//! Where each model provider's chat endpoint lives under `/v1/ai/` (ai.md §3.2), and
//! the hunyuan provider's TitleCase answers.

use crate::error::BuildError;

/// The path after `/v1/ai/` of `provider`'s chat endpoint: the official SDK's table,
/// `{provider}/chat/completions` for any other provider (e.g. `cloudbase`), or
/// `{provider}{sub_path}` when a sub-path is given.
pub(crate) fn chat_path(provider: &str, sub_path: Option<&str>) -> String {
    if let Some(sub) = sub_path {
        return format!("{provider}/{}", sub.trim_start_matches('/'));
    }
    let tail = match provider {
        "hunyuan" => return "hunyuan".to_owned(),
        "hunyuan-beta" => "openapi/v1/chat/completions",
        "hunyuan-exp" => "chat/completions",
        "hunyuan-open" => "v1/chat/completions",
        "deepseek" => "chat/completions",
        "ark" => "api/v3/chat/completions",
        "dashscope" => "compatible-mode/v1/chat/completions",
        "01-ai" => "v1/chat/completions",
        "moonshot" => "v1/chat/completions",
        "zhipu" => "api/paas/v4/chat/completions",
        _ => "chat/completions",
    };
    format!("{provider}/{tail}")
}

/// Whether answers come in Tencent Cloud's TitleCase (`{Response: {Choices…}}`).
pub(crate) fn is_title_case(provider: &str) -> bool {
    provider == "hunyuan"
}

/// A provider name or sub-path that is safe in a URL path: letters, digits, `-`,
/// `_`, `.` (and `/` between segments of a sub-path), no `..`.
pub(crate) fn check_path_part(
    field: &'static str,
    value: &str,
    slashes: bool,
) -> Result<(), BuildError> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c) || (slashes && c == '/');
    let segments_ok = value
        .split('/')
        .filter(|s| !s.is_empty())
        .all(|s| s != "." && s != "..");
    if value.trim_matches('/').is_empty() || !value.chars().all(ok_char) || !segments_ok {
        return Err(BuildError::InvalidInput {
            field,
            reason: format!("{value:?} must be letters, digits, '-', '_' or '.'"),
        });
    }
    Ok(())
}

/// `FinishReason` → `finish_reason`, `PromptTokens` → `prompt_tokens`; keys only.
fn snake(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    for (i, c) in key.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// Rewrites every object key to snake_case, and unwraps `{Response: …}`, as the
/// official SDK does for hunyuan (ai.md §2).
pub(crate) fn from_title_case(value: serde_json::Value) -> serde_json::Value {
    fn convert(value: serde_json::Value, depth: u32) -> serde_json::Value {
        match value {
            // Depth-bounded: serde_json's own parser limits nesting to 128 anyway.
            serde_json::Value::Object(map) if depth < 128 => serde_json::Value::Object(
                map.into_iter()
                    .map(|(k, v)| (snake(&k), convert(v, depth + 1)))
                    .collect(),
            ),
            serde_json::Value::Array(items) if depth < 128 => {
                serde_json::Value::Array(items.into_iter().map(|v| convert(v, depth + 1)).collect())
            }
            other => other,
        }
    }
    let mut converted = convert(value, 0);
    if let Some(inner) = converted.get_mut("response").map(serde_json::Value::take) {
        converted = inner;
    }
    converted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_paths_follow_the_official_table() {
        assert_eq!(chat_path("cloudbase", None), "cloudbase/chat/completions");
        assert_eq!(chat_path("hunyuan", None), "hunyuan");
        assert_eq!(
            chat_path("zhipu", None),
            "zhipu/api/paas/v4/chat/completions"
        );
        assert_eq!(
            chat_path("x", Some("/v1/chat/completions")),
            "x/v1/chat/completions"
        );
        assert!(check_path_part("provider", "../admin", false).is_err());
        assert!(check_path_part("sub_path", "/v1/../x", true).is_err());
        assert!(check_path_part("provider", "hunyuan-exp", false).is_ok());
    }

    #[test]
    fn title_case_answers_become_snake_case() {
        let v = serde_json::json!({"Response": {"Choices": [{"Message": {"Role": "assistant", "Content": "hi"}, "FinishReason": "stop"}], "Usage": {"PromptTokens": 1}}});
        let out = from_title_case(v);
        assert_eq!(out["choices"][0]["message"]["content"], "hi");
        assert_eq!(out["choices"][0]["finish_reason"], "stop");
        assert_eq!(out["usage"]["prompt_tokens"], 1);
    }
}
