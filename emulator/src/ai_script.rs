//! Scripted models and agents: what a test registers to make the emulator's AI
//! routes answer exactly so (text chunks, tool calls, errors before and inside the
//! stream, a stall, a broken stream).

use std::time::Duration;

use serde::Deserialize;

/// One step of a scripted answer, in order.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ScriptStep {
    /// A chunk of answer text (one event).
    Text {
        /// The text.
        text: String,
    },
    /// A tool call (streamed as two events: id and name with the first half of the
    /// arguments, then the rest).
    ToolCall {
        /// The call's id.
        id: String,
        /// The function's name.
        name: String,
        /// The arguments' JSON text.
        arguments: String,
    },
    /// An error event inside the stream (`data: {"code", "message"}`).
    ErrorEvent {
        /// The code.
        code: String,
        /// The message.
        message: String,
    },
    /// Bytes written as they are (framing tests: cut inside JSON, inside a character).
    Raw {
        /// The bytes, as text.
        data: String,
    },
    /// Bytes written as they are, which need not be UTF-8 on their own (a write that
    /// ends inside a character).
    RawBytes {
        /// The bytes.
        bytes: Vec<u8>,
    },
    /// Waits this long before the next step.
    Stall {
        /// Milliseconds.
        ms: u64,
    },
    /// Breaks the connection here (no end marker, the body ends in error).
    Break,
}

/// A scripted model or agent: an optional error answered before any stream, else
/// the steps.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ModelScript {
    /// Answer `{code, message}` with this status instead of streaming (a 200 status
    /// gives the "error in a 200 body" some models send).
    #[serde(default)]
    pub error: Option<ScriptError>,
    /// The steps.
    #[serde(default)]
    pub steps: Vec<ScriptStep>,
}

/// An error answered before any stream.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ScriptError {
    /// HTTP status.
    pub status: u16,
    /// The code.
    pub code: String,
    /// The message.
    pub message: String,
}

impl ModelScript {
    /// A script of these steps.
    pub fn steps(steps: impl IntoIterator<Item = ScriptStep>) -> Self {
        Self {
            error: None,
            steps: steps.into_iter().collect(),
        }
    }

    /// A script that answers an error before any stream.
    pub fn error(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: Some(ScriptError {
                status,
                code: code.into(),
                message: message.into(),
            }),
            steps: Vec::new(),
        }
    }
}

impl ScriptStep {
    /// A text chunk.
    pub fn text(text: impl Into<String>) -> Self {
        ScriptStep::Text { text: text.into() }
    }

    /// A tool call.
    pub fn tool_call(
        id: impl Into<String>,
        name: impl Into<String>,
        arguments: impl Into<String>,
    ) -> Self {
        ScriptStep::ToolCall {
            id: id.into(),
            name: name.into(),
            arguments: arguments.into(),
        }
    }

    /// A stall.
    pub fn stall(d: Duration) -> Self {
        ScriptStep::Stall {
            ms: u64::try_from(d.as_millis()).unwrap_or(u64::MAX),
        }
    }
}
