//! Token usage, in total and per agent.

use serde::{Deserialize, Serialize};

/// Requests and tokens, summed over whatever it describes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Model requests made.
    pub requests: u32,
    /// Prompt tokens (`usage.prompt_tokens`).
    pub input_tokens: u64,
    /// Completion tokens (`usage.completion_tokens`).
    pub output_tokens: u64,
    /// Total tokens (`usage.total_tokens`).
    pub total_tokens: u64,
}

impl Usage {
    /// Adds another usage to this one.
    pub fn add(&mut self, other: &Usage) {
        self.requests += other.requests;
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.total_tokens += other.total_tokens;
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.add(&other);
    }
}

/// Usage per agent, in the order the agents first ran (serialized as a list of
/// `[agent, usage]` pairs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct UsageByAgent<K> {
    entries: Vec<(K, Usage)>,
}

impl<K> Default for UsageByAgent<K> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
        }
    }
}

impl<K: PartialEq> UsageByAgent<K> {
    /// The usage of one agent (`None` if it never made a request).
    pub fn get(&self, agent: &K) -> Option<&Usage> {
        self.entries
            .iter()
            .find(|(k, _)| k == agent)
            .map(|(_, u)| u)
    }

    /// `(agent, usage)` pairs, in the order the agents first ran.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &Usage)> {
        self.entries.iter().map(|(k, u)| (k, u))
    }

    /// How many agents made requests.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no agent made a request.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn add(&mut self, agent: &K, usage: &Usage)
    where
        K: Clone,
    {
        match self.entries.iter_mut().find(|(k, _)| k == agent) {
            Some((_, total)) => total.add(usage),
            None => self.entries.push((agent.clone(), *usage)),
        }
    }
}
