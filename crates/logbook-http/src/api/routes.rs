//! The `/api/*` endpoints: the service's read commands, mapped from `GET <path>` + query parameters
//! in one generic place (`logbook_service::commands::run_by_path`), plus the two that HTTP serves
//! its own way: an export streamed as a download and the live stream (each on a thread of its own).

use std::sync::Arc;

use logbook_core::query::{Db, Reader};
use tiny_http::{Request, Response, StatusCode};

use super::server::{Params, Shared, error_response, json_body_response, secure};
use super::{live, pipe};
use crate::plumbing::header;
use logbook_core::export::{self, Format};
use logbook_service::commands::{self, Context, EXPORT_HTTP, ExportRequest, LIVE_HTTP, LiveCursor};
use logbook_service::params::from_pairs;
use logbook_service::store::UiStore;
use logbook_service::types::{ApiError, ApiErrorKind};

/// What an endpoint answers.
enum Answer {
    /// A serialised JSON value.
    Json(Vec<u8>),
    Export(ExportRequest),
    Live(LiveCursor),
}

pub(super) fn handle(
    shared: &Arc<Shared>,
    reader: &mut Option<Reader>,
    request: Request,
    path: &str,
    params: &Params,
) {
    let result = shared
        .reader(reader)
        .and_then(|reader| route(shared, reader.db(), &request, path, params));
    if let Err(err) = &result
        && err.kind == ApiErrorKind::Internal
    {
        // A broken connection is reopened by the next request rather than kept.
        *reader = None;
    }
    match result {
        Ok(Answer::Json(body)) => {
            let _ = request.respond(json_body_response(200, body));
        }
        Ok(Answer::Export(export)) => start_export(shared, request, export),
        Ok(Answer::Live(cursor)) => {
            let shared_for_stream = shared.clone();
            shared.spawn_stream(request, "live", move |request| {
                live::stream(&shared_for_stream, request, cursor)
            });
        }
        Err(err) => {
            let _ = request.respond(error_response(&err));
        }
    }
}

fn route(
    shared: &Shared,
    conn: Db<'_>,
    request: &Request,
    path: &str,
    params: &Params,
) -> Result<Answer, ApiError> {
    let ctx = Context {
        database: shared.store.database(),
        receiver: &shared.receiver,
        giving_way_since: shared.store.giving_way_since(),
    };
    if let Some(answer) = commands::run_by_path(conn, &ctx, path, params.pairs()) {
        return answer.map(Answer::Json);
    }
    match path {
        EXPORT_HTTP => {
            // Everything an export could refuse is checked before the first byte is sent.
            let export: ExportRequest = from_pairs(params.pairs())?;
            export.check()?;
            Ok(Answer::Export(export))
        }
        LIVE_HTTP => live::resume(conn, request, params).map(Answer::Live),
        _ => Err(ApiError::new(
            ApiErrorKind::NotFound,
            format!("no such API endpoint: {path}"),
        )),
    }
}

/// The most bytes a replay request may carry (an edited body and a few fields).
const MAX_REPLAY_REQUEST_BYTES: u64 = 16 * 1024 * 1024;

/// `POST /api/replay`: sends the replay the request describes and answers with what is kept.
pub(super) fn replay(shared: &Arc<Shared>, reader: &mut Option<Reader>, mut request: Request) {
    let json = crate::plumbing::header_value(&request, "Content-Type").is_some_and(|v| {
        v.trim()
            .to_ascii_lowercase()
            .starts_with("application/json")
    });
    let result = if !json {
        Err(ApiError::new(
            ApiErrorKind::BadRequest,
            "a replay request is JSON (Content-Type: application/json)",
        ))
    } else {
        let mut body = Vec::new();
        let read = std::io::Read::read_to_end(
            &mut std::io::Read::take(request.as_reader(), MAX_REPLAY_REQUEST_BYTES + 1),
            &mut body,
        );
        match read {
            Err(e) => Err(ApiError::new(ApiErrorKind::BadRequest, e.to_string())),
            Ok(_) if body.len() as u64 > MAX_REPLAY_REQUEST_BYTES => Err(ApiError::new(
                ApiErrorKind::BadRequest,
                "the replay request is too large",
            )),
            Ok(_) => serde_json::from_slice::<commands::ReplayRequest>(&body)
                .map_err(|e| {
                    ApiError::new(ApiErrorKind::BadRequest, format!("bad replay request: {e}"))
                })
                .and_then(|r| {
                    // Replays are kept beside the events of the SQLite store this process writes.
                    let UiStore::Sqlite(store) = &shared.store else {
                        return Err(ApiError::new(
                            ApiErrorKind::BadRequest,
                            logbook_service::store::NOT_ON_A_TEAM_STORE,
                        ));
                    };
                    let Reader::Sqlite(conn) = shared.reader(reader)? else {
                        unreachable!("a SQLite store's reader is SQLite's")
                    };
                    crate::replay::from_ui(store, conn, &shared.endpoints, r)
                }),
        }
    };
    let _ = match result {
        Ok(view) => request.respond(json_body_response(
            200,
            serde_json::to_vec(&view).expect("a replay serialises"),
        )),
        Err(err) => request.respond(error_response(&err)),
    };
}

/// Streams an export to the client from a thread of its own, through a bounded pipe: constant memory
/// whatever its size. A failure midway cuts the chunked body short, so the download fails visibly.
fn start_export(shared: &Arc<Shared>, request: Request, export: ExportRequest) {
    let format = export.format();
    let content_type = match format {
        Format::Csv => "text/csv; charset=utf-8",
        Format::Json => "application/json",
        Format::Ndjson => "application/x-ndjson",
    };
    let filename = export.file_name(chrono::Local::now());
    let store = shared.store.clone();
    let stopping = shared.stopping.clone();
    shared.spawn_stream(request, "export", move |request| {
        let (body, mut writer) = pipe::pipe(stopping);
        std::thread::scope(|scope| {
            scope.spawn(move || {
                let result = store
                    .reader()
                    .map_err(|e| e.to_string())
                    .and_then(|reader| {
                        export::export(
                            reader.db(),
                            export.kind,
                            &export.q,
                            format,
                            &mut writer,
                            &|_| {},
                        )
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

#[cfg(test)]
mod tests {
    use logbook_service::commands::{self, specs};

    /// Every command the list gives an HTTP path is routed here: by the generic read mapping, or by
    /// one of the two HTTP serves its own way.
    #[test]
    fn every_command_with_an_http_path_is_served() {
        for spec in specs() {
            let Some(path) = spec.http else { continue };
            let special =
                [super::EXPORT_HTTP, super::LIVE_HTTP, commands::REPLAY_HTTP].contains(&path);
            assert_eq!(
                spec.shape == logbook_service::commands::Shape::Read,
                !special,
                "{} ({path}) is neither a read command nor served by hand",
                spec.name
            );
        }
    }
}
