//! Values a user's message gives unambiguously: its numbers, quoted words,
//! proper nouns, e-mail addresses, URLs and dates. Each number, quoted word and
//! proper noun fills at most one property, in the order the properties come.

use super::words::{identifier_words, similar};

/// One word of the message, without the punctuation around it.
struct Token {
    text: String,
    /// The word starts a sentence (its capital says nothing).
    starts_sentence: bool,
    /// Its value, when it is a number (`42`, `#42`, `$19.99`, `15%`).
    number: Option<f64>,
}

/// What the message offers to fill a schema's values.
pub(crate) struct Hints {
    text: String,
    tokens: Vec<Token>,
    quoted: Vec<String>,
    /// Indexes into `tokens`.
    proper: Vec<usize>,
    used_tokens: Vec<bool>,
    used_quoted: Vec<bool>,
}

const QUOTES: &[(char, char)] = &[('"', '"'), ('“', '”'), ('‘', '’'), ('`', '`'), ('\'', '\'')];

fn is_id_word(word: &str) -> bool {
    matches!(
        word,
        "id" | "ids" | "identifier" | "number" | "no" | "num" | "ref" | "reference" | "code"
    )
}

impl Hints {
    /// Reads `text` (the user's message).
    pub(crate) fn new(text: &str) -> Self {
        let (quoted, rest) = quoted_parts(text);
        let mut tokens = Vec::new();
        let mut sentence_start = true;
        for raw in rest.split_whitespace() {
            let trimmed = raw.trim_matches(|c: char| {
                !c.is_alphanumeric() && !matches!(c, '#' | '$' | '%' | '@' | '/' | '-' | '_' | '.')
            });
            let word = trimmed.trim_end_matches(['.', '-']);
            if !word.is_empty() {
                tokens.push(Token {
                    text: word.to_string(),
                    starts_sentence: sentence_start,
                    number: number_of(word),
                });
            }
            sentence_start = raw.ends_with(['.', '!', '?', ':', ';']);
        }
        let proper = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                !t.starts_sentence
                    && t.text.chars().next().is_some_and(char::is_uppercase)
                    && t.text.chars().all(|c| c.is_alphabetic() || c == '-')
                    && !matches!(t.text.as_str(), "I" | "I'm" | "I'd" | "I'll" | "I've")
            })
            .map(|(i, _)| i)
            .collect();
        Self {
            text: text.trim().to_string(),
            used_tokens: vec![false; tokens.len()],
            used_quoted: vec![false; quoted.len()],
            tokens,
            quoted,
            proper,
        }
    }

    /// The whole message.
    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// A number for the property `name` that `accept`s: the one next to a word of
    /// the name (`invoice 42`, `3 days`), else (when `anywhere`) the next unused number.
    pub(crate) fn number_for(
        &mut self,
        name: &str,
        anywhere: bool,
        accept: impl Fn(f64) -> bool,
    ) -> Option<f64> {
        let i = self
            .number_next_to(name, &accept)
            .or_else(|| anywhere.then(|| self.unused_number(&accept)).flatten())?;
        self.used_tokens[i] = true;
        self.tokens[i].number
    }

    fn number_next_to(&self, name: &str, accept: &impl Fn(f64) -> bool) -> Option<usize> {
        let words = identifier_words(name);
        let names_it = |t: &Token| {
            let lower = t.text.to_lowercase();
            words.iter().any(|w| similar(w, &lower))
        };
        let usable = |i: usize| !self.used_tokens[i] && self.tokens[i].number.is_some_and(accept);
        (0..self.tokens.len()).find(|&i| {
            usable(i)
                && ((i > 0 && names_it(&self.tokens[i - 1]))
                    || self.tokens.get(i + 1).is_some_and(names_it))
        })
    }

    fn unused_number(&self, accept: &impl Fn(f64) -> bool) -> Option<usize> {
        (0..self.tokens.len())
            .find(|&i| !self.used_tokens[i] && self.tokens[i].number.is_some_and(accept))
    }

    /// Text for the string property `name`: the next quoted word; for an id,
    /// the word with digits after a word of its name (else the next one with
    /// digits); otherwise the next proper noun.
    pub(crate) fn string_for(&mut self, name: &str) -> Option<String> {
        if let Some(i) = self.used_quoted.iter().position(|used| !used) {
            self.used_quoted[i] = true;
            return Some(self.quoted[i].clone());
        }
        let words = identifier_words(name);
        if words.iter().any(|w| is_id_word(w)) {
            let has_digit = |t: &Token| {
                t.text.chars().any(|c| c.is_ascii_digit())
                    && !is_date(&t.text)
                    && !is_email(&t.text)
                    && !is_url(&t.text)
            };
            let after_name = (1..self.tokens.len()).find(|&i| {
                let previous = self.tokens[i - 1].text.to_lowercase();
                !self.used_tokens[i]
                    && has_digit(&self.tokens[i])
                    && (words.iter().any(|w| similar(w, &previous)) || is_id_word(&previous))
            });
            let any = || {
                (0..self.tokens.len()).find(|&i| !self.used_tokens[i] && has_digit(&self.tokens[i]))
            };
            if let Some(i) = after_name.or_else(any) {
                self.used_tokens[i] = true;
                return Some(self.tokens[i].text.trim_start_matches('#').to_string());
            }
        }
        let i = *self.proper.iter().find(|&&i| !self.used_tokens[i])?;
        self.used_tokens[i] = true;
        Some(self.tokens[i].text.clone())
    }

    /// The first word `is` accepts (an e-mail address, a URL, a date...).
    pub(crate) fn word(&self, is: impl Fn(&str) -> bool) -> Option<String> {
        self.tokens
            .iter()
            .map(|t| t.text.as_str())
            .chain(self.quoted.iter().map(String::as_str))
            .find(|w| is(w))
            .map(str::to_string)
    }

    /// The first of `options` the message says as a word (`eur` in "billed in
    /// EUR"); that word then fills nothing else.
    pub(crate) fn option(&mut self, options: &[&str]) -> Option<usize> {
        let text = self.text.to_lowercase();
        for (i, option) in options.iter().enumerate() {
            let option = option.to_lowercase();
            if option.is_empty() {
                continue;
            }
            if let Some(t) = self
                .tokens
                .iter()
                .position(|t| t.text.to_lowercase() == option)
            {
                self.used_tokens[t] = true;
                return Some(i);
            }
            if let Some(q) = self.quoted.iter().position(|q| q.to_lowercase() == option) {
                self.used_quoted[q] = true;
                return Some(i);
            }
            if option.contains(['_', ' ']) && text.contains(&option.replace('_', " ")) {
                return Some(i);
            }
        }
        None
    }
}

/// The number a word is: `42`, `-3`, `2.5`, `#42`, `$19.99`, `15%`.
fn number_of(word: &str) -> Option<f64> {
    let digits = word.strip_prefix(['#', '$']).unwrap_or(word);
    let digits = digits.strip_suffix('%').unwrap_or(digits);
    if !digits.chars().any(|c| c.is_ascii_digit())
        || !digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
    {
        return None;
    }
    digits.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// The quoted parts of `text` and the text without them. A quote opens at the
/// start or after a space or bracket, so the apostrophe of "I'm" is not one.
fn quoted_parts(text: &str) -> (Vec<String>, String) {
    let mut quoted = Vec::new();
    let mut rest = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let opens = i == 0 || chars[i - 1].is_whitespace() || "([{".contains(chars[i - 1]);
        let close = QUOTES
            .iter()
            .find(|(open, _)| *open == c)
            .map(|(_, close)| *close);
        if let (true, Some(close)) = (opens, close) {
            let end = (i + 1..chars.len()).find(|&j| {
                chars[j] == close && chars.get(j + 1).is_none_or(|next| !next.is_alphanumeric())
            });
            if let Some(end) = end {
                let inside: String = chars[i + 1..end].iter().collect();
                let inside = inside.trim();
                if !inside.is_empty() {
                    quoted.push(inside.to_string());
                }
                rest.push(' ');
                i = end + 1;
                continue;
            }
        }
        rest.push(c);
        i += 1;
    }
    (quoted, rest)
}

/// Whether `word` looks like an e-mail address.
pub(crate) fn is_email(word: &str) -> bool {
    word.split_once('@').is_some_and(|(user, domain)| {
        !user.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !word.contains(char::is_whitespace)
}

/// Whether `word` is an http(s) URL.
pub(crate) fn is_url(word: &str) -> bool {
    (word.starts_with("https://") || word.starts_with("http://"))
        && word.len() > "https://".len()
        && !word.contains(char::is_whitespace)
}

/// Whether `word` is a date `YYYY-MM-DD`.
pub(crate) fn is_date(word: &str) -> bool {
    let b = word.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&word[5..7].parse::<u8>().unwrap_or(0))
        && (1..=31).contains(&word[8..10].parse::<u8>().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_go_to_the_property_they_are_next_to() {
        let mut h = Hints::new("Refund 2 items of invoice #42, please.");
        assert_eq!(h.number_for("invoice_id", true, |_| true), Some(42.0));
        assert_eq!(h.number_for("quantity", true, |_| true), Some(2.0));
        assert_eq!(
            h.number_for("other", true, |_| true),
            None,
            "each number once"
        );

        let mut h = Hints::new("Weather for Paris in 3 days");
        assert_eq!(h.number_for("days", false, |_| true), Some(3.0));
        let mut h = Hints::new("Weather in 3 days");
        assert_eq!(
            h.number_for("limit", true, |n| n > 5.0),
            None,
            "a number the schema refuses is not used"
        );
        let mut h = Hints::new("costs $19.99 or 15%");
        assert_eq!(h.number_for("price", true, |_| true), Some(19.99));
        assert_eq!(h.number_for("rate", true, |_| true), Some(15.0));
    }

    #[test]
    fn strings_come_from_quotes_ids_and_proper_nouns() {
        let mut h = Hints::new("Book a flight from Paris to Rome for \"Ada Lovelace\".");
        assert_eq!(h.string_for("passenger").as_deref(), Some("Ada Lovelace"));
        assert_eq!(h.string_for("origin").as_deref(), Some("Paris"));
        assert_eq!(h.string_for("destination").as_deref(), Some("Rome"));
        assert_eq!(h.string_for("note"), None);

        let mut h = Hints::new("Where is order ORD-7781? I'm worried. Thanks");
        assert_eq!(h.string_for("order_id").as_deref(), Some("ORD-7781"));
        assert_eq!(h.string_for("name"), None, "sentence starts are not names");

        let mut h = Hints::new("I'm having trouble with the 'beta' API.");
        assert_eq!(h.string_for("channel").as_deref(), Some("beta"));
        assert_eq!(h.string_for("product").as_deref(), Some("API"));
    }

    #[test]
    fn options_emails_urls_and_dates() {
        let mut h =
            Hints::new("Bill it in EUR to ada@example.org by 2024-05-01, see https://x.io/a.");
        assert_eq!(h.option(&["usd", "eur"]), Some(1));
        assert_eq!(h.option(&["gbp"]), None);
        assert_eq!(h.string_for("currency"), None, "EUR is taken");
        assert_eq!(h.word(is_email).as_deref(), Some("ada@example.org"));
        assert_eq!(h.word(is_url).as_deref(), Some("https://x.io/a"));
        assert_eq!(h.word(is_date).as_deref(), Some("2024-05-01"));
        assert!(!is_date("2024-13-01"));
        assert!(!is_email("@x.org"));
        assert_eq!(
            Hints::new("a high priority one").option(&["high_priority"]),
            Some(0)
        );
    }

    #[test]
    fn odd_text_does_not_panic() {
        for text in [
            "",
            "\"",
            "'unclosed",
            "“”",
            "#",
            "$",
            "-",
            "...",
            "é'é",
            "1e999",
            "--5",
        ] {
            let mut h = Hints::new(text);
            let _ = h.number_for("x", true, |_| true);
            let _ = h.string_for("x_id");
            let _ = h.option(&[""]);
        }
    }
}
