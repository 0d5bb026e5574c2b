//! The words of the full-text index, cut as SQLite's FTS5 cuts them (`unicode61 remove_diacritics
//! 2`, [`super::hits::FTS_TOKENIZE`]): runs of word characters, each folded (lower-cased, its
//! diacritics removed) as that tokenizer folds it.
//!
//! Contract: PostgreSQL's index (`event_fts.document`) is given its text already cut this way, words
//! joined by single spaces, and so is every word and phrase searched for in it
//! ([`super::parse::Query::tsquery_match`]); PostgreSQL's own parser, given nothing but such words,
//! keeps each whole. So a word matches on both stores alike: `cafe` finds "Café", `18885550146`
//! finds "+18885550146", `338` finds "$338.80", and "👋" (not a word) finds nothing.
//!
//! The tokenizer decides each code point on its own (a word character or not, and what it folds
//! to), from tables of the Unicode version SQLite was built with. Rather than a second copy of
//! those tables, the linked SQLite is asked: the first time a code point of a block of
//! [`BLOCK`] is cut, every code point of that block is tokenized between two letters in a scratch
//! FTS5 table in memory, and what it made of each is kept for the process (about 10 ms a block;
//! a text in one script touches one or two).

use std::sync::OnceLock;

use rusqlite::Connection;

/// `text`'s words, folded as SQLite's tokenizer folds them, joined by single spaces.
pub fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_word = false;
    for c in text.chars() {
        match fold(c) {
            Fold::Separator => in_word = false,
            fold => {
                if !in_word && !out.is_empty() {
                    out.push(' ');
                }
                in_word = true;
                if let Fold::To(folded) = fold {
                    out.push(folded);
                }
            }
        }
    }
    out
}

/// What the tokenizer makes of one code point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fold {
    /// Not part of a word: it ends one.
    Separator,
    /// Part of a word, folded to this character.
    To(char),
    /// Part of a word, folded to nothing (a combining diacritic).
    Dropped,
}

/// Code points asked of SQLite at once.
const BLOCK: usize = 4096;
const BLOCKS: usize = (char::MAX as usize + 1).div_ceil(BLOCK);
/// In a block's table: the folded code point, or one of these.
const SEPARATOR: u32 = u32::MAX;
const DROPPED: u32 = u32::MAX - 1;

fn fold(c: char) -> Fold {
    static TABLES: [OnceLock<Box<[u32]>>; BLOCKS] = [const { OnceLock::new() }; BLOCKS];
    let code = c as usize;
    let block = TABLES[code / BLOCK].get_or_init(|| {
        ask_sqlite(code / BLOCK * BLOCK).unwrap_or_else(|err| {
            // The bundled SQLite always has FTS5 (the store is built on it): this cannot fail
            // unless the library itself is broken.
            panic!("SQLite's FTS5 tokenizer could not be asked how it cuts words: {err}")
        })
    });
    match block[code % BLOCK] {
        SEPARATOR => Fold::Separator,
        DROPPED => Fold::Dropped,
        folded => char::from_u32(folded).map_or(Fold::Dropped, Fold::To),
    }
}

/// The folds of the [`BLOCK`] code points from `start`: each is tokenized between `a` and `b`
/// (`a<c>b`, space-separated, in one document) and the tokens read back in order: two tokens `a`,
/// `b` for a separator, one `a<folded>b` for a word character. (A surrogate, not a character, is
/// left a separator.)
fn ask_sqlite(start: usize) -> rusqlite::Result<Box<[u32]>> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE probe USING fts5(x, tokenize = '{}');
         CREATE VIRTUAL TABLE probe_terms USING fts5vocab(probe, 'instance');",
        super::hits::FTS_TOKENIZE
    ))?;
    let chars: Vec<(usize, char)> = (0..BLOCK)
        .filter_map(|i| char::from_u32((start + i) as u32).map(|c| (i, c)))
        .collect();
    let mut doc = String::with_capacity(chars.len() * 8);
    for (_, c) in &chars {
        doc.push('a');
        doc.push(*c);
        doc.push_str("b ");
    }
    conn.execute("INSERT INTO probe (rowid, x) VALUES (1, ?1)", [&doc])?;
    let mut stmt = conn.prepare("SELECT term FROM probe_terms ORDER BY offset")?;
    let tokens: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut tokens = tokens.iter().map(String::as_str);
    let mut folds = vec![SEPARATOR; BLOCK].into_boxed_slice();
    for (i, _) in chars {
        let first = tokens.next().unwrap_or_default();
        folds[i] = if first == "a" {
            tokens.next(); // the `b` after the separator
            SEPARATOR
        } else {
            let inner = first
                .strip_prefix('a')
                .and_then(|t| t.strip_suffix('b'))
                .unwrap_or_default();
            let mut inner = inner.chars();
            match (inner.next(), inner.next()) {
                (Some(folded), None) => folded as u32,
                _ => DROPPED,
            }
        };
    }
    Ok(folds)
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
        assert_eq!(words("Ærøskøbing straße Łódź"), "ærøskøbing straße łodz");
        assert_eq!(words("日本語 テキスト"), "日本語 テキスト");
        assert_eq!(words("  "), "");
    }

    /// Texts in many scripts, with marks, digits and separators: the words FTS5 finds in each are
    /// the words this gives.
    #[test]
    fn texts_in_many_scripts_are_cut_as_fts5_cuts_them() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE t USING fts5(x, tokenize = '{}');
             CREATE VIRTUAL TABLE v USING fts5vocab(t, 'instance');",
            crate::query::hits::FTS_TOKENIZE
        ))
        .unwrap();
        let texts = [
            "Ça va? Não, obrigado. Ελληνικά ΣΊΣΥΦΟΣ",
            "أهلاً وسهلاً — مرحبا بكم",
            "हिन्दी में नमस्ते, ১২৩ ๑๒๓",
            "Ǡǡ Ǣ ǽ ǿ ſ µ ﬁ ᾈ ǅ ﬀ",
            "a\u{0300}b c\u{0345}d e\u{0903}f g\u{FE0F}h 1\u{20E3}",
            "Straße İstanbul ıi ЁЖИК Ꙁ",
            "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐐀𐐨 🏳️‍🌈 \u{E000}\u{F0000}",
        ];
        for (i, text) in texts.iter().enumerate() {
            conn.execute(
                "INSERT INTO t (rowid, x) VALUES (?1, ?2)",
                rusqlite::params![i as i64, text],
            )
            .unwrap();
            let mut stmt = conn
                .prepare("SELECT term FROM v WHERE doc = ?1 ORDER BY offset")
                .unwrap();
            let theirs: Vec<String> = stmt
                .query_map([i as i64], |r| r.get(0))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(words(text), theirs.join(" "), "{text}");
        }
    }
}
