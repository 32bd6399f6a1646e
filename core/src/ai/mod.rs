//! AI (`/v1/ai/…` models, `/v1/aibot/…` agents; docs/protocol/ai.md): chat with a
//! model — whole or streamed — and agents' streamed messages, through the same
//! session machine as every call.

mod agent;
mod bots;
mod chat;
mod chat_stream;
mod images;
mod protocols;
mod provider;
mod tools;

pub use agent::{
    AgUiEvent, AgUiMessage, AgUiRun, AgentDecoder, AgentEvent, AgentRecord, AgentReply, AgentUsage,
    OpenAgentStream, RecordKind, SendMessage,
};
pub use bots::{BotCall, BotList, BotSummary, ListBots};
pub use chat::{
    Chat, ChatCompletion, ChatRequest, FinishReason, FunctionCall, Message, OpenChatStream, Role,
    Tool, ToolCall, Usage,
};
pub use chat_stream::{
    AnswerNames, ChatCollector, ChatDelta, ChatStreamDecoder, FunctionDelta, ToolCallDelta,
};
pub use images::{GenerateImage, GeneratedImage, ImageRequest, ImageResult};
pub use protocols::{OpenProtocolStream, Protocol, ProtocolRequest, SendProtocol, text_delta};
pub use tools::{LoopStep, ToolBox, ToolFn, ToolLoop, ToolLoopResult};
