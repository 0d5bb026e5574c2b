//! `logbook import`: loads webhook bodies from files into the store without HTTP. A file holds one
//! JSON body, a JSON array of bodies, or one body per line (NDJSON, as `logbook export --kind raw`
//! writes). Each body is stored byte for byte, derived like a received one, and deduplicated the same way.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

use crate::store::{EventLog, NewEvent, Outcome, Store, StoreError};
use crate::watson::read_envelope;

/// An import waits for its events to be projected, unless projection makes no progress this long.
const PROJECTION_STALL: std::time::Duration = std::time::Duration::from_secs(30);
/// Bodies handed to the writer at once.
const IMPORT_BATCH: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Format { path: PathBuf, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub stored: u64,
    pub duplicates: u64,
    /// Bodies that are not webhook events, with where they were and why.
    pub skipped: Vec<String>,
    /// Whether everything imported was also projected (derived) before the import returned: it is
    /// unless projection stalled (a full disk, say), and it then goes on in the next `serve`.
    pub projected: bool,
}

/// Imports every file; `progress` is told the bytes read so far.
pub fn import_files(
    store: &Store,
    paths: &[PathBuf],
    progress: &dyn Fn(u64),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut read_total = 0u64;
    for path in paths {
        let origin = path.display().to_string();
        let mut batch = Batch {
            log: store,
            origin: &origin,
            events: Vec::new(),
            report: &mut report,
        };
        read_file(path, &mut |location, bytes| {
            read_total += bytes.len() as u64 + 1;
            progress(read_total);
            batch.add(location, bytes)
        })?;
        batch.flush()?;
    }
    report.projected = store.wait_projected(PROJECTION_STALL)?;
    Ok(report)
}

/// Imports bodies from any source (the generator, say) into a SQLite store, and waits for their
/// projection; `origin` is recorded as their path and `progress` is told the count so far.
pub fn import_bodies(
    store: &Store,
    origin: &str,
    bodies: impl Iterator<Item = Vec<u8>>,
    progress: &dyn Fn(u64),
) -> Result<ImportReport, ImportError> {
    let mut report = store_bodies(store, origin, bodies, progress)?;
    report.projected = store.wait_projected(PROJECTION_STALL)?;
    Ok(report)
}

/// Stores bodies from any source into either store, as [`import_bodies`] does, without waiting
/// for their projection (`projected` is false): the caller waits as its store allows.
pub fn store_bodies(
    log: &dyn EventLog,
    origin: &str,
    bodies: impl Iterator<Item = Vec<u8>>,
    progress: &dyn Fn(u64),
) -> Result<ImportReport, ImportError> {
    let mut report = ImportReport::default();
    let mut batch = Batch {
        log,
        origin,
        events: Vec::new(),
        report: &mut report,
    };
    for (i, body) in bodies.enumerate() {
        batch.add(format!("{origin}[{i}]"), &body)?;
        if i % IMPORT_BATCH == 0 {
            progress(i as u64);
        }
    }
    batch.flush()?;
    Ok(report)
}

struct Batch<'a> {
    log: &'a dyn EventLog,
    origin: &'a str,
    events: Vec<NewEvent>,
    report: &'a mut ImportReport,
}

impl Batch<'_> {
    fn add(&mut self, location: String, bytes: &[u8]) -> Result<(), ImportError> {
        match read_envelope(bytes) {
            Ok(envelope) => {
                self.events.push(NewEvent {
                    received_at: chrono::Utc::now().timestamp_millis(),
                    endpoint: "import".to_owned(),
                    path: self.origin.to_owned(),
                    remote_addr: None,
                    dedup_key: envelope.dedup_key,
                    authorization: None,
                    kind: envelope.kind,
                    auth: "import".to_owned(),
                    verified: false,
                    jwt_header: None,
                    jwt_claims: None,
                    headers: "[]".to_owned(),
                    body: bytes.to_vec(),
                    replay_of: None,
                });
                if self.events.len() >= IMPORT_BATCH {
                    self.flush()?;
                }
            }
            Err(reason) => self.report.skipped.push(format!("{location}: {reason}")),
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), ImportError> {
        for result in self.log.submit_events(std::mem::take(&mut self.events)) {
            match result? {
                Outcome::Stored(_) => self.report.stored += 1,
                Outcome::Duplicate(_) => self.report.duplicates += 1,
                Outcome::Kept(_)
                | Outcome::Recorded
                | Outcome::Replayed(_)
                | Outcome::Pulled(_) => {}
            }
        }
        Ok(())
    }
}

type OnBody<'a> = dyn FnMut(String, &[u8]) -> Result<(), ImportError> + 'a;

/// Calls `each` with every body in the file and where it was (`file:line` or `file[index]`).
fn read_file(path: &Path, each: &mut OnBody<'_>) -> Result<(), ImportError> {
    let read_err = |source| ImportError::Read {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let first = reader
        .fill_buf()
        .map_err(read_err)?
        .iter()
        .copied()
        .find(|b| !b.is_ascii_whitespace());
    match first {
        None => Ok(()),
        Some(b'[') => {
            let mut text = Vec::new();
            reader.read_to_end(&mut text).map_err(read_err)?;
            let items: Vec<&RawValue> =
                serde_json::from_slice(&text).map_err(|e| ImportError::Format {
                    path: path.to_owned(),
                    reason: format!("not a JSON array of bodies: {e}"),
                })?;
            for (i, item) in items.iter().enumerate() {
                each(format!("{}[{i}]", path.display()), item.get().as_bytes())?;
            }
            Ok(())
        }
        Some(_) => {
            // One body per line, unless the first line is not a whole body: then the file is one body.
            let mut line = Vec::new();
            let mut number = 0usize;
            let mut seen_first = false;
            while reader.read_until(b'\n', &mut line).map_err(read_err)? > 0 {
                number += 1;
                let trimmed = line.trim_ascii();
                if !trimmed.is_empty() {
                    if !seen_first && serde_json::from_slice::<&RawValue>(trimmed).is_err() {
                        let mut whole = line.clone();
                        reader.read_to_end(&mut whole).map_err(read_err)?;
                        return each(path.display().to_string(), whole.trim_ascii());
                    }
                    seen_first = true;
                    each(format!("{}:{number}", path.display()), trimmed)?;
                }
                line.clear();
            }
            Ok(())
        }
    }
}
