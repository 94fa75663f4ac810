//! The words of a message that say what it is about: what the offline gateway
//! matches against handoff targets and tools.

/// Words that say nothing about which agent should answer.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "agent",
    "an",
    "and",
    "any",
    "are",
    "can",
    "for",
    "from",
    "handle",
    "handles",
    "have",
    "having",
    "help",
    "how",
    "i",
    "i'm",
    "im",
    "in",
    "is",
    "it",
    "me",
    "my",
    "of",
    "on",
    "or",
    "please",
    "question",
    "questions",
    "request",
    "requests",
    "support",
    "the",
    "this",
    "to",
    "what",
    "with",
    "you",
    "your",
];

/// Words that say nothing about which tool fits: the verbs every tool
/// description uses and the filler of a question.
const TOOL_STOPWORDS: &[&str] = &[
    "call", "check", "current", "did", "does", "fetch", "find", "get", "give", "given", "just",
    "know", "like", "list", "look", "lookup", "need", "now", "return", "returns", "run", "set",
    "show", "some", "tell", "that", "there", "tool", "use", "want", "was", "were", "what's",
    "when", "where", "which", "who", "why", "will", "would",
];

/// The lower-cased words of `text` (3 letters or more) that are not stopwords.
pub(crate) fn keywords(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'')
        .map(|w| w.trim_matches('\'').to_lowercase())
        .filter(|w| w.chars().count() >= 3 && !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// [`keywords`] without the words that every tool description shares.
pub(crate) fn tool_keywords(text: &str) -> Vec<String> {
    keywords(text)
        .into_iter()
        .filter(|w| !TOOL_STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// The same word, or two forms of one: one a prefix of the other ("invoice",
/// "invoices"), or a shared stem of 4 letters or more that leaves at most three
/// letters of the shorter word ("billed", "billing").
pub(crate) fn similar(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let shared = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = a.chars().count().min(b.chars().count());
    shared >= 4 && shared + 3 >= shorter
}

/// How many of the words `said` are similar to one of the words `known`.
pub(crate) fn overlap(said: &[String], known: &[String]) -> usize {
    said.iter()
        .filter(|w| known.iter().any(|k| similar(w, k)))
        .count()
}

/// The words of an identifier: `invoice_id`, `invoiceId` and `invoice-id`
/// all give `["invoice", "id"]`.
pub(crate) fn identifier_words(name: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_stopwords_and_short_words() {
        assert_eq!(
            keywords("I'm having trouble connecting to the API."),
            ["trouble", "connecting", "api"]
        );
        assert_eq!(
            tool_keywords("Get the current weather for a city."),
            ["weather", "city"]
        );
    }

    #[test]
    fn similar_words_share_a_prefix() {
        assert!(similar("invoice", "invoices"));
        assert!(similar("api", "api"));
        assert!(!similar("api", "apis"), "too short to be a prefix");
        assert!(!similar("bill", "invoice"));
        assert!(similar("billed", "billing"), "two forms of one stem");
        assert!(similar("connect", "connecting"));
        assert!(!similar("process", "protest"));
        assert!(
            !similar("payment", "paying"),
            "a 3-letter stem is too short"
        );
    }

    #[test]
    fn identifier_words_split_snake_and_camel_case() {
        assert_eq!(identifier_words("invoice_id"), ["invoice", "id"]);
        assert_eq!(identifier_words("invoiceId"), ["invoice", "id"]);
        assert_eq!(identifier_words("HTTPCode"), ["httpcode"]);
        assert_eq!(identifier_words("get-weather2"), ["get", "weather2"]);
        assert!(identifier_words("__").is_empty());
    }
}
