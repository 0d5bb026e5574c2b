//! The reading seam: every question of [`crate::query`] is asked of a [`Db`], a read-only SQLite
//! connection or a PostgreSQL reader (team mode), in one SQL text. The Trends rollups
//! (`store::rollup`) are kept through it too, by each store's projector: SQLite's on its
//! connection, PostgreSQL's in its transaction ([`PgWriter`]).
//!
//! Contract: the query modules write their SQL once, with `?`/`?N` placeholders and values bound as
//! [`Value`]s, and read rows through [`Row::get`] with rusqlite's `FromSql` on both stores. Whatever
//! the two SQL dialects spell differently is said in [`Dialect`], and nowhere else: full-text
//! search, JSON, case-insensitive comparison, SQLite's index hints and the tables only one store
//! has. On PostgreSQL,
//! placeholders become `$N` with the cast their bound value calls for (`$1::int8`, a `NULL` value
//! becomes the literal), and each cell is read back as the SQLite value it mirrors (`bigint` and
//! `boolean` as integers, `double precision` and `numeric` as reals or integers, `text`, `bytea`).
//! Every statement runs under the deadline of [`Db::with_deadline`]: SQLite is interrupted by its
//! progress handler, PostgreSQL by `statement_timeout` set to the time left; both give
//! [`QueryError::Timeout`]. Outside a deadline, a PostgreSQL statement may run
//! [`UNBOUNDED_STATEMENT_MS`]; the projector's (through a [`PgWriter`]) run as long as they need.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::{Duration, Instant};

use postgres::error::SqlState;
use postgres::types::{FromSql as PgFromSql, ToSql as PgToSql, Type};
use rusqlite::types::{FromSql, FromSqlError, Value, ValueRef};
use rusqlite::{Connection, params_from_iter};

use super::QueryError;
use super::parse::Query;
use crate::store::StoreError;

/// The longest a PostgreSQL statement may run outside [`Db::with_deadline`]: the longest any
/// reading command waits (an exact count).
pub const UNBOUNDED_STATEMENT_MS: u64 = super::count::EXACT_COUNT_DEADLINE_MS;

/// Where a question is asked.
#[derive(Clone, Copy)]
pub enum Db<'a> {
    Sqlite(&'a Connection),
    Postgres(&'a PgReader),
    /// The PostgreSQL projector's transaction, which reads the rows it has written (the rollups'
    /// facts) and writes the rollups.
    PostgresTx(&'a PgWriter<'a>),
}

impl<'a> From<&'a Connection> for Db<'a> {
    fn from(conn: &'a Connection) -> Self {
        Db::Sqlite(conn)
    }
}

impl<'a> From<&'a PgReader> for Db<'a> {
    fn from(reader: &'a PgReader) -> Self {
        Db::Postgres(reader)
    }
}

impl<'a> From<&'a PgWriter<'a>> for Db<'a> {
    fn from(writer: &'a PgWriter<'a>) -> Self {
        Db::PostgresTx(writer)
    }
}

/// An open reader of either store, held by a command or by a thread that answers requests.
pub enum Reader {
    Sqlite(Connection),
    Postgres(PgReader),
}

impl Reader {
    pub fn db(&self) -> Db<'_> {
        match self {
            Reader::Sqlite(conn) => Db::Sqlite(conn),
            Reader::Postgres(reader) => Db::Postgres(reader),
        }
    }
}

/// A connection to a PostgreSQL store for reading (`store::postgres::reader`), with the deadline
/// its statements run under and the statements it has prepared.
pub struct PgReader {
    client: RefCell<postgres::Client>,
    deadline: Cell<Option<Instant>>,
    statements: RefCell<HashMap<String, postgres::Statement>>,
}

impl PgReader {
    /// Connects to the store at `url` (which must hold this Logbook's schema).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        Ok(Self::new(crate::store::postgres::reader(url)?))
    }

    pub fn new(client: postgres::Client) -> Self {
        Self {
            client: RefCell::new(client),
            deadline: Cell::new(None),
            statements: RefCell::new(HashMap::new()),
        }
    }

    /// The store's counts (`logbook stats --store`'s), in one snapshot.
    pub fn stats(&self) -> Result<crate::store::postgres::PgStats, QueryError> {
        let mut client = self.client.borrow_mut();
        client
            .batch_execute(&format!("SET statement_timeout = {UNBOUNDED_STATEMENT_MS}"))
            .map_err(pg_error)?;
        crate::store::postgres::read_stats(&mut client, String::new()).map_err(pg_error)
    }

    fn rows(
        &self,
        sql: &str,
        params: &[Value],
        each: impl FnMut(&Row<'_>) -> Result<(), QueryError>,
        first_only: bool,
    ) -> Result<(), QueryError> {
        let timeout_ms = match self.deadline.get() {
            Some(deadline) => {
                let left = deadline
                    .saturating_duration_since(Instant::now())
                    .as_millis() as u64;
                if left == 0 {
                    return Err(QueryError::Timeout(0));
                }
                left
            }
            None => UNBOUNDED_STATEMENT_MS,
        };
        let mut client = self.client.borrow_mut();
        client
            .batch_execute(&format!("SET statement_timeout = {timeout_ms}"))
            .map_err(pg_error)?;
        pg_rows(
            &mut *client,
            &self.statements,
            sql,
            params,
            each,
            first_only,
        )
    }
}

/// What [`pg_rows`] asks of a PostgreSQL connection or transaction (`postgres::GenericClient`,
/// whose generic methods cannot be called through a `dyn`).
pub trait PgSession {
    fn prepare_statement(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error>;
    fn query_statement<'s>(
        &'s mut self,
        statement: &postgres::Statement,
        params: &[&(dyn PgToSql + Sync)],
    ) -> Result<postgres::RowIter<'s>, postgres::Error>;
}

impl<C: postgres::GenericClient> PgSession for C {
    fn prepare_statement(&mut self, sql: &str) -> Result<postgres::Statement, postgres::Error> {
        self.prepare(sql)
    }

    fn query_statement<'s>(
        &'s mut self,
        statement: &postgres::Statement,
        params: &[&(dyn PgToSql + Sync)],
    ) -> Result<postgres::RowIter<'s>, postgres::Error> {
        self.query_raw(statement, params.iter().copied())
    }
}

/// A transaction of the PostgreSQL projector, asked questions through [`Db::PostgresTx`] (no
/// deadline: the projector's statements run as long as they need), with the statements it has
/// prepared on its connection (kept by the caller, across transactions).
pub struct PgWriter<'t> {
    session: RefCell<&'t mut (dyn PgSession + 't)>,
    statements: &'t RefCell<HashMap<String, postgres::Statement>>,
}

impl<'t> PgWriter<'t> {
    pub fn new(
        session: &'t mut (dyn PgSession + 't),
        statements: &'t RefCell<HashMap<String, postgres::Statement>>,
    ) -> Self {
        Self {
            session: RefCell::new(session),
            statements,
        }
    }
}

/// Runs `sql` (SQLite's text, see [`to_postgres`]) on a PostgreSQL session, each row as SQLite's
/// values; the statement prepared once per connection.
fn pg_rows(
    session: &mut dyn PgSession,
    statements: &RefCell<HashMap<String, postgres::Statement>>,
    sql: &str,
    params: &[Value],
    mut each: impl FnMut(&Row<'_>) -> Result<(), QueryError>,
    first_only: bool,
) -> Result<(), QueryError> {
    let (text, bound) = to_postgres(sql, params);
    let statement = {
        let mut statements = statements.borrow_mut();
        match statements.get(&text) {
            Some(statement) => statement.clone(),
            None => {
                let statement = session.prepare_statement(&text).map_err(pg_error)?;
                statements.insert(text, statement.clone());
                statement
            }
        }
    };
    let refs: Vec<&(dyn PgToSql + Sync)> = bound.iter().map(|b| b.as_sql()).collect();
    let mut rows = session
        .query_statement(&statement, &refs)
        .map_err(pg_error)?;
    let mut cells = Vec::new();
    while let Some(row) = fallible_next(&mut rows)? {
        cells.clear();
        for i in 0..row.len() {
            cells.push(row.try_get::<_, PgCell>(i).map_err(pg_error)?.0);
        }
        each(&Row::Values(&cells))?;
        if first_only {
            break;
        }
    }
    Ok(())
}

fn fallible_next(rows: &mut postgres::RowIter<'_>) -> Result<Option<postgres::Row>, QueryError> {
    use postgres::fallible_iterator::FallibleIterator;
    rows.next().map_err(pg_error)
}

/// A PostgreSQL error as a query error: a statement cancelled by `statement_timeout` is a timeout.
fn pg_error(err: postgres::Error) -> QueryError {
    match err.code() {
        Some(code) if *code == SqlState::QUERY_CANCELED => QueryError::Timeout(0),
        _ => QueryError::Postgres(err),
    }
}

impl<'a> Db<'a> {
    pub fn dialect(self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) | Db::PostgresTx(_) => Dialect::Postgres,
        }
    }

    /// The SQLite connection, for what only the SQLite store keeps (forwarding, replays, pulls).
    pub fn sqlite(self) -> Option<&'a Connection> {
        match self {
            Db::Sqlite(conn) => Some(conn),
            Db::Postgres(_) | Db::PostgresTx(_) => None,
        }
    }

    /// Every row of `sql`, each mapped by `map`.
    pub fn rows<T>(
        self,
        sql: &str,
        params: &[Value],
        mut map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, QueryError> {
        let mut out = Vec::new();
        self.each(sql, params, false, |r| {
            out.push(map(r)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql`, if it has one.
    pub fn optional<T>(
        self,
        sql: &str,
        params: &[Value],
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, QueryError> {
        let mut map = Some(map);
        let mut out = None;
        self.each(sql, params, true, |r| {
            if let Some(map) = map.take() {
                out = Some(map(r)?);
            }
            Ok(())
        })?;
        Ok(out)
    }

    /// The first row of `sql`, which must have one (an aggregate's).
    pub fn row<T>(
        self,
        sql: &str,
        params: &[Value],
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<T, QueryError> {
        self.optional(sql, params, map)?
            .ok_or(QueryError::Sqlite(rusqlite::Error::QueryReturnedNoRows))
    }

    fn each(
        self,
        sql: &str,
        params: &[Value],
        first_only: bool,
        mut each: impl FnMut(&Row<'_>) -> Result<(), QueryError>,
    ) -> Result<(), QueryError> {
        match self {
            Db::Sqlite(conn) => {
                let mut stmt = conn.prepare_cached(sql)?;
                let mut rows = stmt.query(params_from_iter(params))?;
                while let Some(r) = rows.next()? {
                    each(&Row::Sqlite(r))?;
                    if first_only {
                        break;
                    }
                }
                Ok(())
            }
            Db::Postgres(reader) => reader.rows(sql, params, each, first_only),
            Db::PostgresTx(writer) => pg_rows(
                &mut **writer.session.borrow_mut(),
                writer.statements,
                sql,
                params,
                each,
                first_only,
            ),
        }
    }

    /// Calls `each` with every row of `sql`, as it is read.
    pub fn for_each(
        self,
        sql: &str,
        params: &[Value],
        mut each: impl FnMut(&Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), QueryError> {
        self.each(sql, params, false, |r| Ok(each(r)?))
    }

    /// Runs `sql`, a statement that writes (the projector's rollups), ignoring any rows it returns.
    pub fn execute(self, sql: &str, params: &[Value]) -> Result<(), QueryError> {
        self.each(sql, params, false, |_| Ok(()))
    }

    /// Runs `f` with every statement reading one snapshot of the store (while the projector writes),
    /// unless the connection is in a transaction already.
    pub fn snapshot<T>(self, f: impl FnOnce() -> Result<T, QueryError>) -> Result<T, QueryError> {
        match self {
            Db::Sqlite(conn) => {
                let _snapshot = match conn.is_autocommit() {
                    true => Some(conn.unchecked_transaction()?),
                    false => None,
                };
                f()
            }
            Db::Postgres(reader) => {
                let begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";
                reader
                    .client
                    .borrow_mut()
                    .batch_execute(begin)
                    .map_err(pg_error)?;
                let result = f();
                // Read-only: ending it either way is the same, and a failed statement leaves
                // nothing to commit.
                reader
                    .client
                    .borrow_mut()
                    .batch_execute("ROLLBACK")
                    .map_err(pg_error)?;
                result
            }
            // One transaction already.
            Db::PostgresTx(_) => f(),
        }
    }

    /// Runs `f` with every statement of this connection stopped once `limit` has passed (an inner
    /// deadline ends where it ends; the outer one does not come back after it).
    pub fn with_deadline<T>(
        self,
        limit: Duration,
        f: impl FnOnce() -> Result<T, QueryError>,
    ) -> Result<T, QueryError> {
        let result = match self {
            Db::Sqlite(conn) => {
                let started = Instant::now();
                conn.progress_handler(1_000, Some(move || started.elapsed() > limit))?;
                let result = f();
                conn.progress_handler(0, None::<fn() -> bool>)?;
                result
            }
            Db::Postgres(reader) => {
                let outer = reader.deadline.replace(Some(Instant::now() + limit));
                let result = f();
                reader.deadline.set(outer);
                result
            }
            // The projector's statements have no deadline.
            Db::PostgresTx(_) => f(),
        };
        match result {
            Err(QueryError::Timeout(_)) => Err(QueryError::Timeout(limit.as_millis() as u64)),
            other => other,
        }
    }
}

/// A row of a result, read as rusqlite reads one, whichever store it came from.
pub enum Row<'r> {
    Sqlite(&'r rusqlite::Row<'r>),
    /// A PostgreSQL row, its cells as the SQLite values they mirror.
    Values(&'r [Value]),
}

/// A column's position in a row.
pub trait ColumnIndex {
    fn index(self) -> usize;
}

impl ColumnIndex for usize {
    fn index(self) -> usize {
        self
    }
}

impl Row<'_> {
    pub fn get<I: ColumnIndex, T: FromSql>(&self, idx: I) -> rusqlite::Result<T> {
        let idx = idx.index();
        match self {
            Row::Sqlite(r) => r.get(idx),
            Row::Values(cells) => {
                let value = self.get_ref(idx)?;
                T::column_result(value).map_err(|err| match err {
                    FromSqlError::InvalidType => rusqlite::Error::InvalidColumnType(
                        idx,
                        String::new(),
                        cells[idx].data_type(),
                    ),
                    FromSqlError::OutOfRange(n) => rusqlite::Error::IntegralValueOutOfRange(idx, n),
                    FromSqlError::Utf8Error(err) => rusqlite::Error::Utf8Error(idx, err),
                    other => rusqlite::Error::FromSqlConversionFailure(
                        idx,
                        cells[idx].data_type(),
                        Box::new(other),
                    ),
                })
            }
        }
    }

    pub fn get_ref(&self, idx: usize) -> rusqlite::Result<ValueRef<'_>> {
        match self {
            Row::Sqlite(r) => r.get_ref(idx),
            Row::Values(cells) => cells
                .get(idx)
                .map(ValueRef::from)
                .ok_or(rusqlite::Error::InvalidColumnIndex(idx)),
        }
    }

    pub fn column_count(&self) -> usize {
        match self {
            Row::Sqlite(r) => r.as_ref().column_count(),
            Row::Values(cells) => cells.len(),
        }
    }
}

/// One PostgreSQL cell as the SQLite value it mirrors.
struct PgCell(Value);

impl<'a> PgFromSql<'a> for PgCell {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgCell(match *ty {
            Type::BOOL => Value::Integer(bool::from_sql(ty, raw)? as i64),
            Type::INT2 => Value::Integer(i16::from_sql(ty, raw)?.into()),
            Type::INT4 => Value::Integer(i32::from_sql(ty, raw)?.into()),
            Type::INT8 => Value::Integer(i64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::NUMERIC => numeric(raw)?,
            Type::BYTEA => Value::Blob(raw.to_vec()),
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
                Value::Text(String::from_sql(ty, raw)?)
            }
            _ => return Err(format!("a column of type {ty} cannot be read as SQLite's").into()),
        }))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgCell(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// A `numeric` in PostgreSQL's binary form (what `sum(bigint)` gives) as an integer when it has
/// no fractional digits and fits, else a real.
fn numeric(raw: &[u8]) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |i: usize| -> Result<i16, Box<dyn std::error::Error + Sync + Send>> {
        raw.get(i * 2..i * 2 + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "a numeric value is cut short".into())
    };
    let (ndigits, weight, sign, scale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign == 0xC000 {
        return Ok(Value::Real(f64::NAN));
    }
    let mut int: Option<i128> = Some(0);
    let mut real = 0f64;
    for i in 0..ndigits.max(0) as usize {
        let digit = word(4 + i)?;
        let power = weight as i32 - i as i32;
        real += digit as f64 * 10_000f64.powi(power);
        int = match (int, power >= 0) {
            (Some(n), true) => 10_000i128
                .checked_pow(power as u32)
                .and_then(|p| p.checked_mul(digit as i128))
                .and_then(|d| n.checked_add(d)),
            (n, false) if digit == 0 => n,
            _ => None,
        };
    }
    let negative = sign == 0x4000;
    Ok(match int.and_then(|n| i64::try_from(n).ok()) {
        Some(n) if scale == 0 => Value::Integer(if negative { -n } else { n }),
        _ => Value::Real(if negative { -real } else { real }),
    })
}

/// A bound value for PostgreSQL, its type fixed by the cast in the statement's text.
enum Bound {
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Bound {
    fn as_sql(&self) -> &(dyn PgToSql + Sync) {
        match self {
            Bound::Integer(v) => v,
            Bound::Real(v) => v,
            Bound::Text(v) => v,
            Bound::Blob(v) => v,
        }
    }
}

/// `sql` with its `?` and `?N` placeholders (outside quotes) as PostgreSQL's `$N`, each cast to the
/// type of its value (a `NULL` value written as the literal), and the values left to bind.
fn to_postgres(sql: &str, params: &[Value]) -> (String, Vec<Bound>) {
    let mut out = String::with_capacity(sql.len() + 16);
    // For each SQLite parameter (1-based), its PostgreSQL number once given.
    let mut numbers: Vec<Option<usize>> = vec![None; params.len()];
    let mut bound = Vec::new();
    let mut next = 0usize;
    let mut quote: Option<char> = None;
    let mut chars = sql.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        match quote {
            Some(q) => {
                out.push(c);
                if c == q {
                    quote = None;
                }
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' => {
                let mut digits = String::new();
                while let Some((_, d)) = chars.peek().filter(|(_, d)| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = match digits.parse::<usize>() {
                    Ok(n) => n,
                    Err(_) => next + 1,
                };
                next = next.max(n);
                let Some(value) = params.get(n - 1) else {
                    // Left for PostgreSQL to refuse, as SQLite would.
                    out.push_str(&format!("${n}"));
                    continue;
                };
                let (cast, value) = match value {
                    Value::Null => {
                        out.push_str("NULL");
                        continue;
                    }
                    Value::Integer(v) => ("int8", Bound::Integer(*v)),
                    Value::Real(v) => ("float8", Bound::Real(*v)),
                    Value::Text(v) => ("text", Bound::Text(v.clone())),
                    Value::Blob(v) => ("bytea", Bound::Blob(v.clone())),
                };
                let number = *numbers[n - 1].get_or_insert_with(|| {
                    bound.push(value);
                    bound.len()
                });
                out.push_str(&format!("${number}::{cast}"));
            }
            None => out.push(c),
        }
    }
    (out, bound)
}

/// What the two stores spell differently, in one place. Everything else in the query modules is SQL
/// both understand (`true`/`false` for flags, which SQLite reads as 1 and 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    /// The full-text index joined to a list's rows as `f`, on the column holding their event id.
    pub fn fts_join(self, id: &str) -> String {
        match self {
            Dialect::Sqlite => format!("JOIN event_fts f ON f.rowid = {id}"),
            Dialect::Postgres => format!("JOIN event_fts f ON f.event_id = {id}"),
        }
    }

    /// The keyset bound of a list read in `key` order past a cursor (`key < ?` newest first, `>`
    /// oldest first), over rows joined to `events e` on that key; the text and its number of `?`,
    /// each bound to the cursor. PostgreSQL carries equalities across a join, not ranges: a merge
    /// join with the month partitions of `events` walked them from the first event on every page
    /// (an export of 1,000,000 messages: a second a page, 300,000 index entries read for 1,000
    /// rows), so there the bound is said of `e.id` too.
    pub fn keyset_bound(self, key: &str, cmp: &str) -> (String, usize) {
        match self {
            Dialect::Postgres if key != "e.id" => (format!("{key} {cmp} ? AND e.id {cmp} ?"), 2),
            _ => (format!("{key} {cmp} ?"), 1),
        }
    }

    /// The event id of the full-text index joined as `f` (the key a list driven by it is read in).
    pub fn fts_key(self) -> &'static str {
        match self {
            Dialect::Sqlite => "f.rowid",
            Dialect::Postgres => "f.event_id",
        }
    }

    /// The condition on `f` (one parameter: [`Dialect::fts_match`]'s text).
    pub fn fts_matches(self) -> &'static str {
        match self {
            Dialect::Sqlite => "f.event_fts MATCH ?",
            Dialect::Postgres => "f.document @@ to_tsquery('simple', ?)",
        }
    }

    /// The event ids whose text matches (one parameter: a [`Dialect::fts_match`] or
    /// [`Dialect::fts_exclude`] text).
    pub fn fts_ids(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT rowid FROM event_fts WHERE event_fts MATCH ?",
            Dialect::Postgres => {
                "SELECT event_id FROM event_fts WHERE document @@ to_tsquery('simple', ?)"
            }
        }
    }

    /// The text every free word and phrase of `query` must match, as the index's query syntax
    /// says it: FTS5's (`"a" "b c"`) or PostgreSQL's `tsquery` (`'a' & 'b c'`, a quoted operand of
    /// several words being a phrase).
    pub fn fts_match(self, query: &Query) -> Option<String> {
        match self {
            Dialect::Sqlite => query.fts_match(),
            Dialect::Postgres => query.tsquery_match(),
        }
    }

    /// The text any excluded word or phrase of `query` matches.
    pub fn fts_exclude(self, query: &Query) -> Option<String> {
        match self {
            Dialect::Sqlite => query.fts_exclude(),
            Dialect::Postgres => query.tsquery_exclude(),
        }
    }

    /// An event's body as two columns, of `events` named `table`: what [`crate::store::stored_body::unpack`]
    /// reads the exact bytes from (SQLite keeps them compressed; PostgreSQL as they came).
    pub fn body(self, table: &str) -> String {
        format!("{table}.body, {}", self.body_zstd(table))
    }

    /// The second of [`Dialect::body`]'s columns: the body's length when it is kept compressed.
    pub fn body_zstd(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{table}.body_zstd"),
            Dialect::Postgres => "NULL::bigint".to_owned(),
        }
    }

    /// The length of an event's body as received, of `events` named `table`.
    pub fn body_bytes(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => format!("coalesce({table}.body_zstd, length({table}.body))"),
            Dialect::Postgres => format!("length({table}.body)"),
        }
    }

    /// The integers of a JSON array (one parameter, its text), as a subquery's rows.
    pub fn integers(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT value FROM json_each(?)",
            Dialect::Postgres => "SELECT jsonb_array_elements_text(?::jsonb)::bigint",
        }
    }

    /// The strings of a JSON array (one parameter, its text), as a subquery's rows.
    pub fn strings(self) -> &'static str {
        match self {
            Dialect::Sqlite => "SELECT value FROM json_each(?)",
            Dialect::Postgres => "SELECT jsonb_array_elements_text(?::jsonb)",
        }
    }

    /// `expr` compared and sorted by its bytes, as SQLite compares text, whatever the PostgreSQL
    /// database's collation (text that ties in a list's order comes in the same order on both).
    pub fn text_key(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => expr.to_owned(),
            Dialect::Postgres => format!("{expr} COLLATE \"C\""),
        }
    }

    /// After a table's name: the index SQLite is to read it by (PostgreSQL's planner is not told).
    pub fn indexed_by(self, index: &str) -> String {
        match self {
            Dialect::Sqlite => format!("INDEXED BY {index}"),
            Dialect::Postgres => String::new(),
        }
    }

    /// `expr` in a condition that is not to pick the index SQLite reads (SQLite's unary `+`, which
    /// PostgreSQL has no use for, nor for text).
    pub fn unindexed(self, expr: &str) -> String {
        match self {
            Dialect::Sqlite => format!("+{expr}"),
            Dialect::Postgres => expr.to_owned(),
        }
    }

    /// `LIKE` without regard to ASCII case (SQLite's `LIKE` is).
    pub fn like(self) -> &'static str {
        match self {
            Dialect::Sqlite => "LIKE",
            Dialect::Postgres => "ILIKE",
        }
    }

    /// `column` equal to a parameter without regard to ASCII case, through the column's index.
    pub fn equals_any_case(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} = ? COLLATE NOCASE"),
            Dialect::Postgres => format!("lower({column}) = lower(?)"),
        }
    }

    /// `column` as a key that groups values without regard to ASCII case.
    pub fn any_case(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!("{column} COLLATE NOCASE"),
            Dialect::Postgres => format!("lower({column})"),
        }
    }

    /// A text parameter as a JSON string's text (`pay_bill` → `"pay_bill"`).
    pub fn json_quote(self) -> &'static str {
        match self {
            Dialect::Sqlite => "json_quote(?)",
            Dialect::Postgres => "to_json(?::text)::text",
        }
    }

    /// Whether the JSON object text in `column` has the key given as a parameter.
    pub fn json_has_key(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "{column} IS NOT NULL AND json_valid({column}) AND json_type({column}, '$.' || json_quote(?)) IS NOT NULL"
            ),
            Dialect::Postgres => format!(
                "{column} IS NOT NULL AND jsonb_typeof({column}::jsonb) = 'object' AND jsonb_exists({column}::jsonb, ?)"
            ),
        }
    }

    /// The compact JSON text of the value at a key (a parameter) of the JSON object text in
    /// `column`.
    pub fn json_value_at(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "CASE WHEN {column} IS NOT NULL AND json_valid({column}) THEN {column} -> ('$.' || json_quote(?)) END"
            ),
            Dialect::Postgres => format!(
                "CASE WHEN jsonb_typeof({column}::jsonb) = 'object' THEN ({column}::jsonb -> ?)::text END"
            ),
        }
    }

    /// The JSON text in `column` as a person reads it: a string without its quotes, anything else
    /// as written.
    pub fn json_unquoted(self, column: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "CASE WHEN json_valid({column}) AND json_type({column}) = 'text' THEN {column} ->> '$' ELSE {column} END"
            ),
            Dialect::Postgres => format!(
                "CASE WHEN jsonb_typeof({column}::jsonb) = 'string' THEN {column}::jsonb #>> '{{}}' ELSE {column} END"
            ),
        }
    }

    /// The live stream's rows of `table` (as `alias`) after the one whose id is `?1` (0: from the
    /// first), at most `?2`, in the order a client is sent them: `SELECT {columns} FROM {from}`
    /// with the condition and the order this dialect needs.
    ///
    /// SQLite has one writer, so ids commit in order: after the id, by id. On PostgreSQL ids are
    /// taken before commit, so id 7 can become visible after id 8, and a stream past 8 would never
    /// send 7. There, rows come in the order their transactions settled (`tx`, then id), each once
    /// every transaction begun before its own has ended (`tx` below the snapshot's xmin), as the
    /// projector reads events (`store::postgres`); the client's id stands for that row's place in
    /// the order, and an id no longer stored (retention or the rejections' cap took it) resumes
    /// after it by id.
    pub fn live_rows(self, columns: &str, from: &str, table: &str, alias: &str) -> String {
        match self {
            Dialect::Sqlite => format!(
                "SELECT {columns} FROM {from} WHERE {alias}.id > ?1 ORDER BY {alias}.id LIMIT ?2"
            ),
            Dialect::Postgres => format!(
                "WITH after AS (
                     SELECT k.tx, k.id FROM {table} k WHERE k.id = ?1
                     UNION ALL
                     SELECT '0'::xid8, 0 WHERE NOT EXISTS (SELECT 1 FROM {table} k WHERE k.id = ?1))
                 SELECT {columns} FROM {from} CROSS JOIN after a
                 WHERE {alias}.tx < pg_snapshot_xmin(pg_current_snapshot())
                   AND ({alias}.tx, {alias}.id) > (a.tx, a.id) AND (a.id <> 0 OR {alias}.id > ?1)
                 ORDER BY {alias}.tx, {alias}.id LIMIT ?2"
            ),
        }
    }

    /// The id a live view that starts "from now on" is past in `table`: on SQLite the highest; on
    /// PostgreSQL the last row of the order [`Dialect::live_rows`] sends, so that a row whose
    /// older transaction is still open is sent once it commits (the highest id may come after it
    /// in that order). With no such row yet (a transaction open since before every row), the
    /// highest id. 0 for an empty table.
    pub fn live_now(self, table: &str) -> String {
        match self {
            Dialect::Sqlite => format!("SELECT coalesce(max(id), 0) FROM {table}"),
            Dialect::Postgres => format!(
                "SELECT coalesce(
                     (SELECT k.id FROM {table} k
                      WHERE k.tx < pg_snapshot_xmin(pg_current_snapshot())
                      ORDER BY k.tx DESC, k.id DESC LIMIT 1),
                     (SELECT max(id) FROM {table}), 0)"
            ),
        }
    }

    /// How many later deliveries of the event `e` were answered with its id (SQLite keeps the
    /// count on the event, PostgreSQL on its dedup key).
    pub fn duplicates(self) -> &'static str {
        match self {
            Dialect::Sqlite => "e.duplicates",
            Dialect::Postgres => {
                "coalesce((SELECT k.duplicates FROM event_keys k
                           WHERE k.dedup_key = e.dedup_key AND k.event_id = e.id), 0)"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_and_cast_outside_quotes() {
        let (text, bound) = to_postgres(
            "SELECT '?', \"a?\", 'it''s ?' FROM t WHERE a = ? AND b = ?3 AND c = ? AND d = ?1 AND e = ?2 AND f LIKE ?3 ESCAPE '\\'",
            &[
                Value::Integer(1),
                Value::Null,
                Value::Text("x".into()),
                Value::Real(0.5),
            ],
        );
        assert_eq!(
            text,
            "SELECT '?', \"a?\", 'it''s ?' FROM t WHERE a = $1::int8 AND b = $2::text AND c = $3::float8 AND d = $1::int8 AND e = NULL AND f LIKE $2::text ESCAPE '\\'"
        );
        assert_eq!(bound.len(), 3);
    }

    #[test]
    fn numerics_read_as_integers_or_reals() {
        // 12345678 (weight 1: 1234 5678), scale 0; -1.5 (weight 0: 1 . 5000), scale 1.
        let int = [0, 2, 0, 1, 0, 0, 0, 0, 0x04, 0xD2, 0x16, 0x2E];
        assert_eq!(numeric(&int).unwrap(), Value::Integer(12_345_678));
        let real = [0, 2, 0, 0, 0x40, 0, 0, 1, 0, 1, 0x13, 0x88];
        assert_eq!(numeric(&real).unwrap(), Value::Real(-1.5));
        let zero = [0, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(numeric(&zero).unwrap(), Value::Integer(0));
    }
}
