//! A search query: parsing must never panic; whatever parses compiles to SQL whose placeholders match
//! its parameters, and its full-text part is always valid FTS5.
#![no_main]

use std::sync::OnceLock;
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use logbook_core::query::db::Dialect;
use logbook_core::query::filter::{Subject, compile};
use logbook_core::query::parse::parse;

fn fts() -> &'static Mutex<rusqlite::Connection> {
    static CONN: OnceLock<Mutex<rusqlite::Connection>> = OnceLock::new();
    CONN.get_or_init(|| {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(a, b, c, content='', contentless_delete=1);
             INSERT INTO t (rowid, a, b, c) VALUES (1, 'pay my bill', 'sure', 'pay_bill');",
        )
        .unwrap();
        Mutex::new(conn)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let now = chrono::DateTime::from_timestamp(1_773_000_000, 0).unwrap();
    let Ok(query) = parse(text, now) else { return };
    for subject in [Subject::Events, Subject::Messages, Subject::Calls, Subject::Conversations] {
        for dialect in [Dialect::Sqlite, Dialect::Postgres] {
            let sql = compile(&query, subject, dialect);
            assert_eq!(
                sql.text.matches('?').count(),
                sql.params.len(),
                "{text:?} ({dialect:?}): {}",
                sql.text
            );
        }
    }
    let conn = fts().lock().unwrap();
    for expr in [query.fts_match(), query.fts_exclude()].into_iter().flatten() {
        conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&expr], |r| r.get::<_, i64>(0))
            .unwrap_or_else(|e| panic!("{text:?} gave FTS5 {expr:?}: {e}"));
    }
});
