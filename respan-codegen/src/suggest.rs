//! "Did you mean ...?": the closest candidate by edit distance.

/// The edit distance between two strings, counted in chars: insertions,
/// deletions, substitutions and swaps of two adjacent chars (`modle` -> `model`
/// is one edit), each costing 1: `strsim`'s optimal string alignment distance.
///
/// ```
/// use respan_codegen::suggest::edit_distance;
/// assert_eq!(edit_distance("biling", "billing"), 1);
/// assert_eq!(edit_distance("modle", "model"), 1);
/// assert_eq!(edit_distance("", "abc"), 3);
/// ```
pub fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

/// The candidate closest to `name`, if it is close enough to be a plausible typo:
/// at most a third of the longer word's length (at least 1) edits away, or equal
/// ignoring case. Ties go to the earlier candidate, so file order decides.
///
/// ```
/// use respan_codegen::suggest::did_you_mean;
/// assert_eq!(did_you_mean("biling", ["triage", "billing", "technical"]), Some("billing"));
/// assert_eq!(did_you_mean("zzz", ["triage", "billing"]), None);
/// ```
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        if candidate == name {
            continue;
        }
        let distance = if candidate.to_lowercase() == lower {
            0
        } else {
            edit_distance(name, candidate)
        };
        let limit = (name.chars().count().max(candidate.chars().count()) / 3).max(1);
        // An abbreviation (`customer_id` for `customer_identifier`) is a typo too.
        let abbreviation = name.len() >= 3 && candidate.starts_with(name);
        let distance = if abbreviation {
            distance.min(limit)
        } else {
            distance
        };
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
        assert_eq!(edit_distance("héllo", "hello"), 1);
        assert_eq!(edit_distance("ab", "ba"), 1);
        assert_eq!(edit_distance("ca", "abc"), 3);
    }

    #[test]
    fn suggestions_need_to_be_close() {
        assert_eq!(
            did_you_mean("temprature", ["temperature", "top_p"]),
            Some("temperature")
        );
        assert_eq!(did_you_mean("Billing", ["billing"]), Some("billing"));
        assert_eq!(did_you_mean("x", ["model", "tools"]), None);
        assert_eq!(
            did_you_mean("customer_id", ["metadata", "customer_identifier"]),
            Some("customer_identifier")
        );
    }
}
