//! Free-text hits: for each row a free-text search found, a short snippet of the text it matched
//! with the matched words marked, as segments (`{text, hit}`) that the UI renders as text.
//!
//! Contract: the snippet is cut and marked by FTS5's own `snippet()` with the full-text index's
//! tokenizer ([`FTS_TOKENIZE`]), over the same text the projector indexed (derived again from the
//! stored body), so what is marked is exactly what matched: case and diacritics folded as the search
//! folds them. The index itself is contentless (it keeps no text), so the page's texts go through a
//! temporary FTS5 table on the reading connection, or, when reading PostgreSQL, on a connection to
//! a database in memory: the snippets of both stores are cut and marked by the same code. Payload
//! text can never forge a mark: the marker characters are escaped before FTS5 sees the text and
//! unescaped after.

use std::collections::HashMap;

use rusqlite::types::Value;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::QueryError;
use super::db::Db;
use super::filter::{self, Subject};
use super::parse::Query;

/// The tokenizer of `event_fts` in `store/derived.sql` (a test checks they agree).
pub const FTS_TOKENIZE: &str = "unicode61 remove_diacritics 2";

/// The most words a snippet holds (FTS5 picks the window with the most matches).
const SNIPPET_TOKENS: i64 = 12;
/// The most characters kept before the first marked word: a list cell shows the snippet's start,
/// and the match should be in it.
const LEAD_CHARS: usize = 24;

/// A piece of a snippet: text, and whether it is a matched word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Segment {
    pub text: String,
    pub hit: bool,
}

/// Where a row's free text matched: the snippet, and for a message, the event and turn it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Hit {
    pub segments: Vec<Segment>,
    /// The event whose text matched (for a conversation, its first matching turn).
    pub event_id: i64,
    /// That turn's number in its conversation (`turn_count`), which the conversation view opens at.
    pub turn: Option<i64>,
}

// Marks FTS5 puts around a matched word, and the escape that keeps payload characters equal to
// them plain text. All three are control characters: unicode61 separates tokens at them, so a
// mark never lands between the escape and the character it escapes.
const OPEN: char = '\u{1}';
const CLOSE: char = '\u{2}';
const ESCAPE: char = '\u{3}';
const ELLIPSIS: &str = "…";

/// The hits of events `ids` for `query`'s free text, by event id; empty when the query has none.
pub(crate) fn hits(
    db: Db<'_>,
    query: &Query,
    ids: &[i64],
) -> Result<HashMap<i64, Hit>, QueryError> {
    // FTS5's text, whichever store found the rows: the snippet is FTS5's.
    let Some(fts) = query.fts_match() else {
        return Ok(HashMap::new());
    };
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ids_json = serde_json::to_string(ids).expect("ids serialise");
    let texts = db.rows(
        &format!(
            "SELECT e.id, m.turn_count, {} FROM events e LEFT JOIN messages m ON m.event_id = e.id
             WHERE e.id IN ({})",
            db.dialect().body("e"),
            db.dialect().integers()
        ),
        &[Value::Text(ids_json)],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                crate::store::stored_body::unpack(r.get_ref(2)?, r.get(3)?, 2)?,
                r.get::<_, Option<i64>>(1)?,
            ))
        },
    )?;
    let memory;
    let conn = match db.sqlite() {
        Some(conn) => conn,
        None => {
            memory = Connection::open_in_memory()?;
            &memory
        }
    };
    conn.execute_batch(&format!(
        "CREATE VIRTUAL TABLE IF NOT EXISTS temp.hit_text USING fts5 (
             user_text, assistant_text, meta, tokenize = '{FTS_TOKENIZE}');
         DELETE FROM temp.hit_text;"
    ))?;
    let mut turns = HashMap::new();
    {
        let mut insert = conn.prepare_cached(
            "INSERT INTO temp.hit_text (rowid, user_text, assistant_text, meta) VALUES (?, ?, ?, ?)",
        )?;
        for (id, body, turn) in texts {
            turns.insert(id, turn);
            let text = crate::store::projection::derive_body(&body).fts;
            insert.execute(params![
                id,
                escape(&text.user_text),
                escape(&text.assistant_text),
                escape(&text.meta)
            ])?;
        }
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT rowid, snippet(hit_text, -1, '{OPEN}', '{CLOSE}', '{ELLIPSIS}', {SNIPPET_TOKENS})
         FROM temp.hit_text WHERE hit_text MATCH ?"
    ))?;
    let found = stmt
        .query_map([&fts], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    conn.execute("DELETE FROM temp.hit_text", [])?;
    Ok(found
        .into_iter()
        .map(|(id, snippet)| {
            let hit = Hit {
                segments: shorten_lead(segments(&snippet)),
                event_id: id,
                turn: turns.get(&id).copied().flatten(),
            };
            (id, hit)
        })
        .collect())
}

/// For each conversation of `sessions`, its first turn (by request time) that matches `query`, and
/// that turn's hit; empty when the query has no free text.
pub(crate) fn conversation_hits(
    db: Db<'_>,
    query: &Query,
    sessions: &[&str],
) -> Result<HashMap<String, Hit>, QueryError> {
    if query.fts_match().is_none() || sessions.is_empty() {
        return Ok(HashMap::new());
    }
    let cond = filter::compile(query, Subject::Conversations, db.dialect());
    let sql = format!(
        "SELECT m.event_id FROM messages m JOIN events e ON e.id = m.event_id
         WHERE m.session_id = ? AND ({}) ORDER BY m.request_at, m.event_id LIMIT 1",
        cond.text
    );
    let mut first = Vec::new();
    for session in sessions {
        let params: Vec<Value> = std::iter::once(Value::Text((*session).to_owned()))
            .chain(cond.params.clone())
            .collect();
        if let Some(id) = db.optional(&sql, &params, |r| r.get::<_, i64>(0))? {
            first.push(((*session).to_owned(), id));
        }
    }
    let ids: Vec<i64> = first.iter().map(|(_, id)| *id).collect();
    let mut by_id = hits(db, query, &ids)?;
    Ok(first
        .into_iter()
        .filter_map(|(session, id)| by_id.remove(&id).map(|hit| (session, hit)))
        .collect())
}

/// Cuts the text before the first marked word to its last [`LEAD_CHARS`] characters, from a word
/// start, after an ellipsis.
fn shorten_lead(mut segments: Vec<Segment>) -> Vec<Segment> {
    if let Some(first) = segments.first_mut().filter(|s| !s.hit) {
        let chars: Vec<char> = first.text.chars().collect();
        if chars.len() > LEAD_CHARS {
            let tail = &chars[chars.len() - LEAD_CHARS..];
            // From the first word that starts inside the tail (the whole tail if none does).
            let start = tail
                .iter()
                .position(|c| c.is_whitespace())
                .map_or(0, |i| i + 1);
            let kept: String = tail[start..].iter().collect();
            first.text = format!("{ELLIPSIS}{kept}");
        }
    }
    segments
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, OPEN | CLOSE | ESCAPE) {
            out.push(ESCAPE);
        }
        out.push(c);
    }
    out
}

/// Splits a marked snippet into segments, undoing [`escape`]; adjacent pieces of the same kind are
/// one segment.
fn segments(marked: &str) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    let mut text = String::new();
    let mut hit = false;
    let mut flush = |text: &mut String, hit: bool| {
        if text.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(text),
            _ => out.push(Segment {
                text: text.clone(),
                hit,
            }),
        }
        text.clear();
    };
    let mut chars = marked.chars();
    while let Some(c) = chars.next() {
        match c {
            ESCAPE => text.extend(chars.next()),
            OPEN | CLOSE => {
                flush(&mut text, hit);
                hit = c == OPEN;
            }
            c => text.push(c),
        }
    }
    flush(&mut text, hit);
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::query::conversation::tests::store_with;
    use crate::query::search::{self, Search};

    const SESSION: &str = "9d0f3b1e-hits-0000-0000-000000000001";

    /// A text message of [`SESSION`], turn `turn`, in which the user said `text`.
    fn said(turn: i64, text: &str) -> Value {
        json!({
            "event": {"name": "message_logged"},
            "payload": {
                "log_id": format!("hits-{turn}"),
                "session_id": SESSION,
                "request": {"input": {"message_type": "text", "text": text}},
                "response": {"output": {"generic": [{"response_type": "text", "text": "All right."}]},
                             "context": {"global": {"session_id": SESSION, "system": {"turn_count": turn}}}},
                "request_timestamp": format!("2026-03-11T10:00:0{turn}.000Z"),
                "response_timestamp": format!("2026-03-11T10:00:0{turn}.250Z")
            }
        })
    }

    fn seg(text: &str, hit: bool) -> Segment {
        Segment {
            text: text.to_owned(),
            hit,
        }
    }

    const HOSTILE: &str = "<script>x</script> \u{1}refund\u{2} my CAFÉ order \u{3}<mark>x</mark>";

    fn fixture() -> crate::query::conversation::tests::Fixture {
        store_with(&[
            said(1, "hello there"),
            said(2, HOSTILE),
            said(3, "and the café again"),
        ])
    }

    fn event_hit(conn: &Connection, q: &str) -> Hit {
        let page = search::events(conn, &Search::new(q)).unwrap();
        let row = page
            .items
            .iter()
            .find(|r| r.session_id.as_deref() == Some(SESSION));
        row.and_then(|r| r.hit.clone()).expect("a hit")
    }

    #[test]
    fn the_matched_word_is_marked_and_payload_text_stays_text() {
        let (_dir, _store, conn) = fixture();
        let hit = event_hit(&conn, "refund");
        assert_eq!(
            hit.segments,
            vec![
                seg("<script>x</script> \u{1}", false),
                seg("refund", true),
                seg("\u{2} my CAFÉ order \u{3}<mark>x</mark>", false),
            ]
        );
        assert_eq!(hit.turn, Some(2));
        // The segments put back together are the payload text, character for character.
        let joined: String = hit.segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(joined, HOSTILE);
    }

    #[test]
    fn words_match_as_the_search_folds_them() {
        let (_dir, _store, conn) = fixture();
        // Case and diacritics folded: `cafe` found "CAFÉ", and two words are both marked.
        let hit = event_hit(&conn, "cafe refund");
        let marked: Vec<&str> = hit
            .segments
            .iter()
            .filter(|s| s.hit)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(marked, ["refund", "CAFÉ"]);
        // Markup-like words are words like any other: `script` and `mark` are marked as text.
        let hit = event_hit(&conn, "mark");
        let marked: Vec<&str> = hit
            .segments
            .iter()
            .filter(|s| s.hit)
            .map(|s| s.text.as_str())
            .collect();
        assert_eq!(marked, ["mark", "mark"]);
    }

    #[test]
    fn a_long_text_is_cut_around_the_match() {
        let long = format!("{} needle {}", "word ".repeat(60), "tail ".repeat(60));
        let (_dir, _store, conn) = store_with(&[said(1, &long)]);
        let hit = event_hit(&conn, "needle");
        let text: String = hit.segments.iter().map(|s| s.text.as_str()).collect();
        assert!(
            text.starts_with(ELLIPSIS) && text.ends_with(ELLIPSIS),
            "{text}"
        );
        assert!(
            text.split_whitespace().count() <= SNIPPET_TOKENS as usize + 2,
            "{text}"
        );
        assert!(hit.segments.contains(&seg("needle", true)));
        // The match is near the start: a short lead-in, from a word start.
        let lead = &hit.segments[0];
        assert!(
            !lead.hit && lead.text.chars().count() <= LEAD_CHARS + 1,
            "{lead:?}"
        );
        assert!(lead.text.starts_with("…word "), "{lead:?}");
    }

    #[test]
    fn a_conversation_opens_at_its_first_matching_turn() {
        let (_dir, _store, conn) = fixture();
        let page = search::conversations(&conn, &Search::new("café")).unwrap();
        let row = page
            .items
            .iter()
            .find(|c| c.session_id == SESSION)
            .expect("the conversation");
        let hit = row.hit.as_ref().expect("a hit");
        assert_eq!(hit.turn, Some(2));
        assert!(hit.segments.contains(&seg("CAFÉ", true)));
        // A turn matched by a later word only.
        let page = search::conversations(&conn, &Search::new("again")).unwrap();
        assert_eq!(page.items[0].hit.as_ref().unwrap().turn, Some(3));
        // Without free text there is no hit to show.
        let page = search::conversations(&conn, &Search::new("channel:web")).unwrap();
        assert!(page.items.iter().all(|c| c.hit.is_none()));
    }

    #[test]
    fn a_call_shows_where_its_text_matched() {
        let (_dir, _store, conn) = store_with(&[]);
        let page = search::calls(&conn, &Search::new("refer rejected"), false).unwrap();
        assert!(!page.items.is_empty());
        for call in &page.items {
            let hit = call.hit.as_ref().expect("a hit");
            assert!(
                hit.segments.iter().any(|s| s.hit && s.text == "REFER"),
                "{hit:?}"
            );
        }
    }

    #[test]
    fn the_snippet_uses_the_index_tokenizer() {
        let derived = include_str!("../store/derived.sql");
        assert!(derived.contains(&format!("tokenize = '{FTS_TOKENIZE}'")));
    }
}
