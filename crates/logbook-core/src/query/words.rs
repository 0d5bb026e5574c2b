//! The words of the full-text index, cut as SQLite's FTS5 cuts them (`unicode61 remove_diacritics
//! 2`, [`super::hits::FTS_TOKENIZE`]): runs of letters and digits (FTS5's default token characters,
//! Unicode's L* and N* categories and private use), lower-cased, their diacritics removed.
//!
//! Contract: PostgreSQL's index (`event_fts.document`) is given its text already cut this way, words
//! joined by single spaces, and so is every word and phrase searched for in it
//! ([`super::parse::Query::tsquery_match`]); PostgreSQL's own parser, given nothing but such words,
//! keeps each whole. So a word matches on both stores alike: `cafe` finds "Café", `18885550146`
//! finds "+18885550146", `338` finds "$338.80", and "👋" (not a word) finds nothing.

use unicode_normalization::char::{decompose_canonical, is_combining_mark};

/// `text`'s words, lower-cased and without diacritics, joined by single spaces.
pub fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        if c.is_alphanumeric() || is_private_use(c) {
            if !in_word && !out.is_empty() {
                out.push(' ');
            }
            in_word = true;
            decompose_canonical(c, |d| {
                if !is_combining_mark(d) {
                    out.extend(d.to_lowercase());
                }
            });
        } else {
            in_word = false;
        }
    }
    out
}

fn is_private_use(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_cut_folded_and_joined_as_the_index_takes_them() {
        assert_eq!(
            words("Café CRÈME, s'il vous plaît!"),
            "cafe creme s il vous plait"
        );
        assert_eq!(
            words("+18885550146 $338.80 pay_bill"),
            "18885550146 338 80 pay bill"
        );
        assert_eq!(words("mail@example.com 👋 ..."), "mail example com");
        assert_eq!(words("Ærøskøbing straße"), "ærøskøbing straße");
        assert_eq!(words("日本語 テキスト"), "日本語 テキスト");
        assert_eq!(words("  "), "");
    }
}
