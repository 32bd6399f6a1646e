//! AI: chat with models and message agents (`client.ai()`).

use cloudbase_core::Error;
use futures_util::StreamExt;

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
    /// use cloudbase_async::ai::{ChatRequest, Message};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// # let client = cloudbase_async::Client::new(cloudbase_async::Config::builder("e").api_key("k").build()?)?;
    /// let answer = client.ai().chat(ChatRequest::new("cloudbase", "hunyuan-lite").message(Message::user("hi"))).await?;
    /// println!("{}", answer.text());
    /// # Ok(()) }
    /// ```
    pub async fn chat(&self, request: ChatRequest) -> Result<ChatCompletion, Error> {
        self.client.execute(Chat::new(request)).await
    }

    /// Sends a chat and streams the answer: poll for deltas as they arrive, or
    /// collect them with [`collect_chat`].
    ///
    /// ```no_run
    /// use cloudbase_async::StreamExt;
    /// use cloudbase_async::ai::{ChatRequest, Message};
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// # let client = cloudbase_async::Client::new(cloudbase_async::Config::builder("e").api_key("k").build()?)?;
    /// let mut stream = client.ai().stream_chat(ChatRequest::new("cloudbase", "hunyuan-lite").message(Message::user("hi"))).await?;
    /// while let Some(delta) = stream.next().await {
    ///     print!("{}", delta?.content.unwrap_or_default());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn stream_chat(&self, request: ChatRequest) -> Result<ChatStream, Error> {
        let op = OpenChatStream::new(request);
        let decoder = op.decoder();
        self.client.open_stream(op, decoder).await
    }

    /// Runs a chat with tools: every tool call of each answer is run by its
    /// registered function and the results sent back, until the model answers
    /// without tools or the loop's `max_steps` is reached.
    ///
    /// The loop's decisions are core's ([`ToolLoop`]); it is driven here because the
    /// tools are the caller's functions, which must run outside the client's state
    /// lock (a tool may call the client itself).
    pub async fn run_tools(&self, mut tool_loop: ToolLoop) -> Result<ToolLoopResult, Error> {
        loop {
            let completion = self.chat(tool_loop.request()).await?;
            if let LoopStep::Done(result) = tool_loop.on_completion(completion) {
                return Ok(*result);
            }
        }
    }

    /// Generates images (`images/generations` or `images/ar/generations`, by the
    /// provider and model, as the official SDK chooses).
    pub async fn generate_image(&self, request: ImageRequest) -> Result<ImageResult, Error> {
        self.client.execute(GenerateImage::new(request)).await
    }

    /// Sends an Anthropic Messages or Responses request for its whole answer (the
    /// vendor's JSON).
    pub async fn send_protocol(
        &self,
        request: ProtocolRequest,
    ) -> Result<cloudbase_core::serde_json::Value, Error> {
        self.client.execute(SendProtocol::new(request)).await
    }

    /// Streams an Anthropic Messages or Responses request: the vendor's native
    /// events (`event:` names kept); [`text_delta`] reads their text.
    pub async fn stream_protocol(
        &self,
        request: ProtocolRequest,
    ) -> Result<EventStream<cloudbase_core::stream::SseEventDecoder>, Error> {
        self.client
            .open_stream(
                OpenProtocolStream::new(request),
                cloudbase_core::stream::SseEventDecoder::default(),
            )
            .await
    }

    /// Sends a message to an agent and streams its reply.
    pub async fn send_message(&self, message: SendMessage) -> Result<AgentStream, Error> {
        let op = OpenAgentStream::send_message(message);
        let decoder = op.decoder();
        self.client.open_stream(op, decoder).await
    }

    /// The questions an agent suggests next, streamed.
    pub async fn recommend_questions(&self, message: SendMessage) -> Result<AgentStream, Error> {
        let op = OpenAgentStream::recommend_questions(message);
        let decoder = op.decoder();
        self.client.open_stream(op, decoder).await
    }

    /// A page of agents.
    pub async fn list_bots(&self, page_size: u32, page_number: u32) -> Result<BotList, Error> {
        self.client
            .execute(ListBots::new(page_size, page_number)?)
            .await
    }

    /// Any agent-management call ([`BotCall`]): get, create, update, delete,
    /// conversations, records, feedback, files.
    pub async fn bot(&self, call: BotCall) -> Result<cloudbase_core::serde_json::Value, Error> {
        self.client.execute(call).await
    }
}

/// Reads a chat stream to its end and assembles the answer (text, every tool call,
/// finish reason, usage).
pub async fn collect_chat(mut stream: ChatStream) -> Result<ChatCompletion, Error> {
    let mut collector = ChatCollector::new();
    while let Some(delta) = stream.next().await {
        collector.push(&delta?);
    }
    Ok(collector.finish())
}

/// Reads an agent's stream to its end and assembles the reply.
pub async fn collect_reply(mut stream: AgentStream) -> Result<AgentReply, Error> {
    let mut reply = AgentReply::default();
    while let Some(event) = stream.next().await {
        reply.push(&event?);
    }
    Ok(reply)
}
