//! Where each byte of a decoded TOML string came from in the file, so template
//! errors inside `instructions` point at the right line and column.

/// Maps byte offsets in a decoded string value to byte offsets in the file.
#[derive(Clone, Debug)]
pub(crate) struct StringMap {
    /// `offsets[i]`: file offset of decoded byte `i`; one extra entry for the end.
    offsets: Vec<usize>,
}

impl StringMap {
    /// Builds the map for the string token `raw` (quotes included) found at file
    /// offset `base`, whose decoded value is `decoded`. When the token cannot be
    /// replayed exactly (an escape this code does not know), every offset maps to
    /// the token start: a coarse but never wrong-line answer for basic strings.
    pub(crate) fn new(raw: &str, base: usize, decoded: &str) -> Self {
        match decode(raw) {
            Some((text, offsets)) if text == decoded => Self {
                offsets: offsets.into_iter().map(|o| base + o).collect(),
            },
            _ => Self {
                offsets: vec![base; decoded.len() + 1],
            },
        }
    }

    /// The file offset of decoded byte `offset` (clamped to the end).
    pub(crate) fn file_offset(&self, offset: usize) -> usize {
        let last = self.offsets.len() - 1;
        self.offsets[offset.min(last)]
    }
}

/// Decodes a TOML string token, recording the raw offset each decoded byte came from.
fn decode(raw: &str) -> Option<(String, Vec<usize>)> {
    let (quote, multiline) = if raw.starts_with("\"\"\"") {
        ('"', true)
    } else if raw.starts_with("'''") {
        ('\'', true)
    } else if raw.starts_with('"') {
        ('"', false)
    } else if raw.starts_with('\'') {
        ('\'', false)
    } else {
        return None;
    };
    let delimiter = if multiline { 3 } else { 1 };
    if raw.len() < 2 * delimiter {
        return None;
    }
    let body_end = raw.len() - delimiter;
    let mut i = delimiter;
    if multiline {
        // A newline right after the opening delimiter is trimmed.
        if raw[i..].starts_with("\r\n") {
            i += 2;
        } else if raw[i..].starts_with('\n') {
            i += 1;
        }
    }
    let mut text = String::new();
    let mut offsets = Vec::new();
    let push = |text: &mut String, offsets: &mut Vec<usize>, c: char, at: usize| {
        text.push(c);
        offsets.extend(std::iter::repeat_n(at, c.len_utf8()));
    };
    while i < body_end {
        let c = raw[i..].chars().next()?;
        if c != '\\' || quote == '\'' {
            push(&mut text, &mut offsets, c, i);
            i += c.len_utf8();
            continue;
        }
        let escape_start = i;
        let kind = raw[i + 1..].chars().next()?;
        i += 1 + kind.len_utf8();
        let decoded = match kind {
            'b' => '\u{8}',
            't' => '\t',
            'n' => '\n',
            'f' => '\u{c}',
            'r' => '\r',
            'e' => '\u{1b}',
            '"' => '"',
            '\\' => '\\',
            'x' | 'u' | 'U' => {
                let len = match kind {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex = raw.get(i..i + len)?;
                i += len;
                char::from_u32(u32::from_str_radix(hex, 16).ok()?)?
            }
            ' ' | '\t' | '\r' | '\n' if multiline => {
                // Line-ending backslash: skip all whitespace and newlines.
                i = escape_start + 1;
                while i < body_end && matches!(raw.as_bytes()[i], b' ' | b'\t' | b'\r' | b'\n') {
                    i += 1;
                }
                continue;
            }
            _ => return None,
        };
        push(&mut text, &mut offsets, decoded, escape_start);
    }
    offsets.push(body_end);
    Some((text, offsets))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(raw: &str, decoded: &str) -> StringMap {
        StringMap::new(raw, 100, decoded)
    }

    #[test]
    fn basic_strings_account_for_escapes() {
        let m = map(r#""a\tb{{""#, "a\tb{{");
        assert_eq!(m.file_offset(0), 101);
        assert_eq!(m.file_offset(1), 102);
        assert_eq!(m.file_offset(2), 104);
        assert_eq!(m.file_offset(3), 105);
    }

    #[test]
    fn multiline_strings_trim_the_first_newline() {
        let m = map("\"\"\"\nab\\\n   cd\"\"\"", "abcd");
        assert_eq!(m.file_offset(0), 104);
        assert_eq!(m.file_offset(2), 111);
    }

    #[test]
    fn literal_strings_have_no_escapes() {
        let m = map(r"'a\n'", r"a\n");
        assert_eq!(m.file_offset(2), 103);
    }

    #[test]
    fn unknown_tokens_fall_back_to_the_start() {
        let m = map("bare", "other");
        assert_eq!(m.file_offset(3), 100);
    }
}
