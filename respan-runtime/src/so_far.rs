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
    pub(crate) new_items: Vec<RunItem<K>>,
    pub(crate) raw_responses: Vec<ModelResponse>,
    pub(crate) usage: Usage,
    pub(crate) usage_by_agent: UsageByAgent<K>,
}

impl<K> RunSoFar<K> {
    pub(crate) fn new(history: Vec<InputItem>) -> Self {
        Self {
            turns: 0,
            history,
            new_items: Vec::new(),
            raw_responses: Vec::new(),
            usage: Usage::default(),
            usage_by_agent: UsageByAgent::default(),
        }
    }
}

impl<K> Default for RunSoFar<K> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}
