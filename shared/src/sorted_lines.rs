//! A sorted text of one entry per line, searched in place: the shape of the big lists
//! Edgeref consults (throwaway-mail domains, the Public Suffix List), which stay plain
//! text instead of becoming a table of pointers (eight bytes an entry) or code.

use core::cmp::Ordering;

/// Whether `sorted` (lines in byte order, each once) has the line `needle`: a binary
/// search that reads the line around the middle of the part still in question.
pub fn contains(sorted: &str, needle: &str) -> bool {
    let bytes = sorted.as_bytes();
    // Both bounds are always at the start of a line (or the end of the text).
    let (mut lo, mut hi) = (0, bytes.len());
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let start = bytes[lo..mid].iter().rposition(|&b| b == b'\n').map_or(lo, |i| lo + i + 1);
        let end = bytes[start..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |i| start + i);
        match sorted[start..end].cmp(needle) {
            Ordering::Equal => return true,
            Ordering::Less => lo = end + 1,
            Ordering::Greater => hi = start,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_exactly_the_lines_of_any_sorted_text(mut words in proptest::collection::vec("[a-c.!*]{1,4}", 0..40), probe in "[a-c.!*]{0,4}") {
            words.sort();
            words.dedup();
            let text: String = words.iter().map(|w| format!("{w}\n")).collect();
            for w in &words {
                prop_assert!(contains(&text, w), "{w:?} in {text:?}");
            }
            prop_assert_eq!(contains(&text, &probe), words.contains(&probe));
            prop_assert_eq!(contains(text.trim_end(), &probe), words.contains(&probe), "without the last newline");
        }
    }

    #[test]
    fn an_empty_text_has_no_lines() {
        assert!(!contains("", "a"));
        assert!(!contains("", ""));
        assert!(!contains("\n", "a"));
    }
}
