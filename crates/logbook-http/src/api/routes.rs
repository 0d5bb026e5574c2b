//! The `/api/*` endpoints: each decodes its parameters, calls the same core function as the CLI,
//! and answers JSON (or, for exports and the live stream, hands the request to a thread of its own).

use std::sync::Arc;

use rusqlite::Connection;
use tiny_http::{Request, Response, StatusCode};

use super::server::{Params, Shared, error_response, header, json_body_response, secure};
use super::{live, pipe};
use logbook_core::export::{self, Format, Kind};
use logbook_core::query::search::{self, Search};
use logbook_core::query::{call, conversation, custom, event};
use logbook_service::types::ApiError;

/// Rows per list page unless `limit` says otherwise.
pub const DEFAULT_LIMIT: usize = 50;

/// What an endpoint answers.
enum Answer {
    /// A serialised JSON value.
    Json(Vec<u8>),
    Export {
        kind: Kind,
        format: Format,
        query: String,
    },
    Live(live::Resume),
}

pub(super) fn handle(
    shared: &Arc<Shared>,
    reader: &mut Option<Connection>,
    request: Request,
    path: &str,
    params: &Params,
) {
    let result = shared
        .reader(reader)
        .and_then(|conn| route(shared, conn, &request, path, params));
    if let Err(err) = &result
        && err.kind == "internal"
    {
        // A broken connection is reopened by the next request rather than kept.
        *reader = None;
    }
    match result {
        Ok(Answer::Json(body)) => {
            let _ = request.respond(json_body_response(200, body));
        }
        Ok(Answer::Export {
            kind,
            format,
            query,
        }) => start_export(shared, request, kind, format, query),
        Ok(Answer::Live(resume)) => {
            let shared_for_stream = shared.clone();
            shared.spawn_stream(request, "live", move |request| {
                live::stream(&shared_for_stream, request, resume)
            });
        }
        Err(err) => {
            let _ = request.respond(error_response(&err));
        }
    }
}

fn json<T: serde::Serialize>(value: T) -> Result<Answer, ApiError> {
    serde_json::to_vec(&value)
        .map(Answer::Json)
        .map_err(|e| ApiError::new("internal", e.to_string()))
}

fn route(
    shared: &Shared,
    conn: &Connection,
    request: &Request,
    path: &str,
    params: &Params,
) -> Result<Answer, ApiError> {
    let rest = path.strip_prefix("/api/").unwrap_or_default();
    let (head, id) = match rest.split_once('/') {
        Some((head, id)) => (head, Some(decode_segment(id)?)),
        None => (rest, None),
    };
    match (head, id.as_deref()) {
        ("status", None) => json(logbook_service::status(
            conn,
            shared.store.path(),
            &shared.receiver,
        )?),
        ("qualifiers", None) => json(logbook_service::qualifiers()),
        ("events", None) => json(search::events(conn, &list_request(params)?)?),
        ("events", Some(id)) => json(event::event(conn, id)?),
        ("messages", None) => json(search::messages(conn, &list_request(params)?, false)?),
        ("conversations", None) => json(search::conversations(conn, &list_request(params)?)?),
        ("conversations", Some(id)) => json(conversation::conversation(conn, id)?),
        ("calls", None) => json(search::calls(conn, &list_request(params)?, false)?),
        ("calls", Some(id)) => json(call::call(conn, id)?),
        ("custom-data", Some("keys")) => json(custom::keys(conn)?),
        ("custom-data", Some("values")) => json(custom::values(
            conn,
            required(params, "key")?,
            limit(params)?,
        )?),
        ("custom-data", Some("calls")) => json(custom::calls_with(
            conn,
            required(params, "key")?,
            params.get("value"),
            limit(params)?,
            None,
        )?),
        ("export", None) => export_request(params),
        ("live", None) => live::Resume::from_request(conn, request, params).map(Answer::Live),
        _ => Err(ApiError::new(
            "not_found",
            format!("no such API endpoint: {path}"),
        )),
    }
}

/// One path segment after the endpoint's name, percent-decoded (`+` stays a plus).
fn decode_segment(segment: &str) -> Result<String, ApiError> {
    if segment.is_empty() || segment.contains('/') {
        return Err(ApiError::new(
            "not_found",
            format!("no such API endpoint: {segment}"),
        ));
    }
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| ApiError::new("bad_request", "the id is not valid UTF-8"))
}

fn required<'a>(params: &'a Params, key: &str) -> Result<&'a str, ApiError> {
    params
        .get(key)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::new("bad_request", format!("the parameter `{key}` is required")))
}

fn limit(params: &Params) -> Result<usize, ApiError> {
    match params.get("limit").filter(|v| !v.is_empty()) {
        None => Ok(DEFAULT_LIMIT),
        Some(text) => text.parse().map_err(|_| {
            ApiError::new(
                "bad_request",
                format!("`limit` must be a positive number, not {text:?}"),
            )
        }),
    }
}

fn list_request(params: &Params) -> Result<Search, ApiError> {
    Ok(Search {
        query: params.get("q").unwrap_or_default().to_owned(),
        cursor: params
            .get("cursor")
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        limit: limit(params)?,
        facets: matches!(params.get("facets"), Some("1" | "true")),
    })
}

/// Checks everything an export could refuse before the first byte is sent.
fn export_request(params: &Params) -> Result<Answer, ApiError> {
    let kind_text = required(params, "kind")?;
    let kind: Kind = serde_json::from_value(serde_json::Value::String(kind_text.to_owned()))
        .map_err(|_| {
            ApiError::new(
                "bad_request",
                format!(
                    "unknown export kind {kind_text:?}: raw, events, messages, calls, call_turns or custom_data"
                ),
            )
        })?;
    let format = match params.get("format").filter(|f| !f.is_empty()) {
        None if kind == Kind::Raw => Format::Ndjson,
        None => Format::Csv,
        Some(text) => {
            serde_json::from_value(serde_json::Value::String(text.to_owned())).map_err(|_| {
                ApiError::new(
                    "bad_request",
                    format!("unknown export format {text:?}: csv, json or ndjson"),
                )
            })?
        }
    };
    let query = params.get("q").unwrap_or_default().to_owned();
    if kind == Kind::Raw && (!query.trim().is_empty() || format != Format::Ndjson) {
        return Err(export::ExportError::RawIsWhole.into());
    }
    logbook_core::query::parse::parse(&query, chrono::Utc::now())
        .map_err(|e| ApiError::from(logbook_core::query::QueryError::Parse(e)))?;
    Ok(Answer::Export {
        kind,
        format,
        query,
    })
}

/// Streams an export to the client from a thread of its own, through a bounded pipe: constant memory
/// whatever its size. A failure midway cuts the chunked body short, so the download fails visibly.
fn start_export(shared: &Arc<Shared>, request: Request, kind: Kind, format: Format, query: String) {
    let (content_type, extension) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Json => ("application/json", "json"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let kind_name = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "export".into());
    let filename = format!(
        "logbook-{kind_name}-{}.{extension}",
        chrono::Local::now().format("%Y%m%d-%H%M%S")
    );
    let store = shared.store.clone();
    let stopping = shared.stopping.clone();
    shared.spawn_stream(request, "export", move |request| {
        let (body, mut writer) = pipe::pipe(stopping);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let result = store.reader().map_err(|e| e.to_string()).and_then(|conn| {
                    export::export(&conn, kind, &query, format, &mut writer, &|_| {})
                        .map_err(|e| e.to_string())
                });
                writer.finish(result.map(|_| ()));
            });
            let response = secure(Response::new(
                StatusCode(200),
                vec![
                    header("Content-Type", content_type),
                    header(
                        "Content-Disposition",
                        &format!("attachment; filename=\"{filename}\""),
                    ),
                    header("Cache-Control", "no-store"),
                ],
                body,
                None,
                None,
            ));
            // The body ends when the export does; a client that leaves drops the pipe, which stops
            // the export at its next write.
            let _ = request.respond(response);
        });
    });
}
