//! The tool loop: registered Rust functions answer the model's tool calls — every
//! call of an answer, not only the first (ai.md §8) — until the model answers
//! without tools or `max_steps` answers were read.

use std::sync::Arc;

use super::chat::{ChatCompletion, ChatRequest, Message, Tool, Usage};

/// A function the model may call: its JSON arguments in, a JSON result (or the
/// error text the model is told) out.
pub type ToolFn =
    Arc<dyn Fn(&serde_json::Value) -> Result<serde_json::Value, String> + Send + Sync>;

/// Tools and the Rust functions behind them.
///
/// ```
/// use cloudbase_core::ai::ToolBox;
/// use serde_json::json;
///
/// let tools = ToolBox::new().register(
///     "add",
///     "Adds two numbers",
///     json!({"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}),
///     |args| Ok(json!(args["a"].as_f64().unwrap_or(0.0) + args["b"].as_f64().unwrap_or(0.0))),
/// );
/// assert_eq!(tools.len(), 1);
/// ```
#[derive(Clone, Default)]
pub struct ToolBox {
    tools: Vec<(Tool, ToolFn)>,
}

impl std::fmt::Debug for ToolBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.tools.iter().map(|(t, _)| t.name()))
            .finish()
    }
}

impl ToolBox {
    /// No tools.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a tool (a later one of the same name replaces it).
    pub fn register(
        mut self,
        name: &str,
        description: &str,
        parameters: serde_json::Value,
        function: impl Fn(&serde_json::Value) -> Result<serde_json::Value, String>
        + Send
        + Sync
        + 'static,
    ) -> Self {
        self.tools.retain(|(t, _)| t.name() != name);
        self.tools.push((
            Tool::function(name, description, parameters),
            Arc::new(function),
        ));
        self
    }

    /// How many tools there are.
    pub fn len(&self) -> usize {
        self.tools.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.tools.is_empty()
    }

    /// Runs tool `name` with JSON-text `arguments`: the text sent back to the model.
    fn run(&self, name: &str, arguments: &str) -> String {
        let Some((_, f)) = self.tools.iter().find(|(t, _)| t.name() == name) else {
            return serde_json::json!({"error": format!("no tool named {name}")}).to_string();
        };
        let args = if arguments.trim().is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            match serde_json::from_str(arguments) {
                Ok(v) => v,
                Err(e) => {
                    return serde_json::json!({"error": format!("arguments are not JSON: {e}")})
                        .to_string();
                }
            }
        };
        match f(&args) {
            Ok(v) => v.to_string(),
            Err(e) => serde_json::json!({ "error": e }).to_string(),
        }
    }
}

/// What the loop does next.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoopStep {
    /// Send [`ToolLoop::request`] again.
    Continue,
    /// The model answered without tools (or `max_steps` was reached).
    Done(Box<ToolLoopResult>),
}

/// The loop's outcome.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ToolLoopResult {
    /// The last answer.
    pub completion: ChatCompletion,
    /// Answers read (requests sent).
    pub steps: u32,
    /// Tokens of all steps together.
    pub usage: Usage,
    /// The conversation, with every tool call and result.
    pub messages: Vec<Message>,
    /// Whether the loop stopped at `max_steps` with tool calls unanswered.
    pub stopped_at_max_steps: bool,
}

/// A chat that runs tools until the model is done. Drive it: send
/// [`ToolLoop::request`], hand the answer to [`ToolLoop::on_completion`], repeat while
/// it says [`LoopStep::Continue`] (the adapters' `run_tools` do this).
#[derive(Clone, Debug)]
#[must_use]
pub struct ToolLoop {
    request: ChatRequest,
    tools: ToolBox,
    max_steps: u32,
    steps: u32,
    usage: Usage,
}

impl ToolLoop {
    /// `request` with `tools` offered; at most 10 answers by default (the official
    /// SDK's `maxSteps`).
    pub fn new(request: ChatRequest, tools: ToolBox) -> Self {
        let request = tools
            .tools
            .iter()
            .fold(request, |r, (tool, _)| r.tool(tool.clone()));
        Self {
            request,
            tools,
            max_steps: 10,
            steps: 0,
            usage: Usage::default(),
        }
    }

    /// At most `steps` answers (at least 1).
    pub fn max_steps(mut self, steps: u32) -> Self {
        self.max_steps = steps.max(1);
        self
    }

    /// The next request to send.
    pub fn request(&self) -> ChatRequest {
        self.request.clone()
    }

    /// Reads an answer: runs every tool call it makes and says whether to continue.
    pub fn on_completion(&mut self, completion: ChatCompletion) -> LoopStep {
        self.steps = self.steps.saturating_add(1);
        if let Some(u) = completion.usage {
            self.usage.prompt_tokens = self.usage.prompt_tokens.saturating_add(u.prompt_tokens);
            self.usage.completion_tokens = self
                .usage
                .completion_tokens
                .saturating_add(u.completion_tokens);
            self.usage.total_tokens = self.usage.total_tokens.saturating_add(u.total_tokens);
        }
        let calls = completion.tool_calls().to_vec();
        let at_max = self.steps >= self.max_steps;
        if calls.is_empty() || at_max {
            let mut messages = self.request.messages().to_vec();
            messages.push(completion.message.clone());
            return LoopStep::Done(Box::new(ToolLoopResult {
                stopped_at_max_steps: !calls.is_empty(),
                completion,
                steps: self.steps,
                usage: self.usage,
                messages,
            }));
        }
        let mut request = std::mem::replace(&mut self.request, ChatRequest::new("", ""))
            .message(completion.message);
        for call in &calls {
            let result = self
                .tools
                .run(&call.function.name, &call.function.arguments);
            request = request.message(Message::tool_result(call.id.clone(), result));
        }
        self.request = request;
        LoopStep::Continue
    }
}
