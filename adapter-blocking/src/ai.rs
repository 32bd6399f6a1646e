//! AI: chat with models and message agents (`client.ai()`).

use cloudbase_core::Error;

use crate::{Client, EventStream};

pub use cloudbase_core::ai::*;

/// A streamed chat answer: [`ChatDelta`]s as they arrive.
pub type ChatStream = EventStream<ChatStreamDecoder>;
/// An agent's streamed reply: [`AgentEvent`]s.
pub type AgentStream = EventStream<AgentDecoder>;

/// AI calls of a client (`client.ai()`): models under `/v1/ai/…`, agents under
/// `/v1/aibot/…`, with the client's session or key.
#[derive(Clone, Debug)]
pub struct Ai {
    pub(crate) client: Client,
}

impl Ai {
    /// Sends a chat and waits for the whole answer.
    ///
    /// ```no_run
    /// use cloudbase_blocking::ai::{ChatRequest, Message};
    /// # let client = cloudbase_blocking::Client::new(cloudbase_blocking::Config::builder("e").api_key("k").build()?)?;
    /// let answer = client.ai().chat(ChatRequest::new("cloudbase", "hunyuan-lite").message(Message::user("hi")))?;
    /// println!("{}", answer.text());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn chat(&self, request: ChatRequest) -> Result<ChatCompletion, Error> {
        self.client.execute(Chat::new(request))
    }

    /// Sends a chat and streams the answer: iterate for deltas as they arrive, or
    /// collect them with [`collect_chat`].
    ///
    /// ```no_run
    /// use cloudbase_blocking::ai::{ChatRequest, Message};
    /// # let client = cloudbase_blocking::Client::new(cloudbase_blocking::Config::builder("e").api_key("k").build()?)?;
    /// for delta in client.ai().stream_chat(ChatRequest::new("cloudbase", "hunyuan-lite").message(Message::user("hi")))? {
    ///     print!("{}", delta?.content.unwrap_or_default());
    /// }
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, Error> {
        let op = OpenChatStream::new(request);
        let decoder = op.decoder();
        self.client.open_stream(op, decoder)
    }

    /// Runs a chat with tools: every tool call of each answer is run by its
    /// registered function and the results sent back, until the model answers
    /// without tools or the loop's `max_steps` is reached.
    ///
    /// The loop's decisions are core's ([`ToolLoop`]); it is driven here because the
    /// tools are the caller's functions, which must run outside the client's state
    /// lock (a tool may call the client itself).
    pub fn run_tools(&self, mut tool_loop: ToolLoop) -> Result<ToolLoopResult, Error> {
        loop {
            let completion = self.chat(tool_loop.request())?;
            if let LoopStep::Done(result) = tool_loop.on_completion(completion) {
                return Ok(*result);
            }
        }
    }

    /// Generates images (`images/generations` or `images/ar/generations`, by the
    /// provider and model, as the official SDK chooses).
    pub fn generate_image(&self, request: ImageRequest) -> Result<ImageResult, Error> {
        self.client.execute(GenerateImage::new(request))
    }

    /// Sends an Anthropic Messages or Responses request for its whole answer (the
    /// vendor's JSON).
    pub fn send_protocol(
        &self,
        request: ProtocolRequest,
    ) -> Result<cloudbase_core::serde_json::Value, Error> {
        self.client.execute(SendProtocol::new(request))
    }

    /// Streams an Anthropic Messages or Responses request: the vendor's native
    /// events (`event:` names kept); [`text_delta`] reads their text.
    pub fn stream_protocol(
        &self,
        request: ProtocolRequest,
    ) -> Result<EventStream<cloudbase_core::stream::SseEventDecoder>, Error> {
        self.client.open_stream(
            OpenProtocolStream::new(request),
            cloudbase_core::stream::SseEventDecoder::default(),
        )
    }

    /// Sends a message to an agent and streams its reply.
    pub fn send_message(&self, message: SendMessage) -> Result<AgentStream, Error> {
        let op = OpenAgentStream::send_message(message);
        let decoder = op.decoder();
        self.client.open_stream(op, decoder)
    }

    /// The questions an agent suggests next, streamed.
    pub fn recommend_questions(&self, message: SendMessage) -> Result<AgentStream, Error> {
        let op = OpenAgentStream::recommend_questions(message);
        let decoder = op.decoder();
        self.client.open_stream(op, decoder)
    }

    /// A page of agents.
    pub fn list_bots(&self, page_size: u32, page_number: u32) -> Result<BotList, Error> {
        self.client.execute(ListBots::new(page_size, page_number)?)
    }

    /// Any agent-management call ([`BotCall`]): get, create, update, delete,
    /// conversations, records, feedback, files.
    pub fn bot(&self, call: BotCall) -> Result<cloudbase_core::serde_json::Value, Error> {
        self.client.execute(call)
    }
}

/// Reads a chat stream to its end and assembles the answer (text, every tool call,
/// finish reason, usage).
pub fn collect_chat(stream: ChatStream) -> Result<ChatCompletion, Error> {
    let mut collector = ChatCollector::new();
    for delta in stream {
        collector.push(&delta?);
    }
    Ok(collector.finish())
}

/// Reads an agent's stream to its end and assembles the reply.
pub fn collect_reply(stream: AgentStream) -> Result<AgentReply, Error> {
    let mut reply = AgentReply::default();
    for event in stream {
        reply.push(&event?);
    }
    Ok(reply)
}
