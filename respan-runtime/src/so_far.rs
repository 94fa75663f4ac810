//! What a run has produced so far: kept by the run's steps, saved in a
//! [`RunState`](crate::RunState) when it stops for approval, and turned into
//! its [`RunResult`](crate::RunResult) when it completes.

use crate::items::{InputItem, ModelResponse, RunItem};
use crate::usage::{Usage, UsageByAgent};

/// What a run has produced so far.
#[derive(Debug)]
pub(crate) struct RunSoFar<K> {
    /// Model requests made.
    pub(crate) turns: u32,
    /// The input followed by every message of the run.
    pub(crate) history: Vec<InputItem>,
    /// What the model is sent instead of `history` once a handoff's input
    /// filter changed it: the filter's result, then every later message.
    pub(crate) view: Option<Vec<InputItem>>,
    /// How many of the first messages the model is sent were the run's input
    /// (or a filter's result), for the next filter.
    pub(crate) view_input: usize,
    pub(crate) new_items: Vec<RunItem<K>>,
    pub(crate) raw_responses: Vec<ModelResponse>,
    pub(crate) usage: Usage,
    pub(crate) usage_by_agent: UsageByAgent<K>,
}

impl<K> RunSoFar<K> {
    pub(crate) fn new(history: Vec<InputItem>) -> Self {
        Self {
            turns: 0,
            view: None,
            view_input: history.len(),
            history,
            new_items: Vec::new(),
            raw_responses: Vec::new(),
            usage: Usage::default(),
            usage_by_agent: UsageByAgent::default(),
        }
    }
}

impl<K> RunSoFar<K> {
    /// Adds a message to the conversation (and to what the model is sent).
    pub(crate) fn push(&mut self, item: InputItem) {
        if let Some(view) = &mut self.view {
            view.push(item.clone());
        }
        self.history.push(item);
    }

    /// The conversation as the model is sent it.
    pub(crate) fn model_history(&self) -> &[InputItem] {
        self.view.as_deref().unwrap_or(&self.history)
    }

    /// From now on the model is sent `view` (a filter's result) and what follows.
    pub(crate) fn replace_view(&mut self, view: Vec<InputItem>) {
        self.view_input = view.len();
        self.view = Some(view);
    }
}

impl<K> Default for RunSoFar<K> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}
