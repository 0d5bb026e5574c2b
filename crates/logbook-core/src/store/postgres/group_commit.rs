//! The PostgreSQL writer thread: takes submissions from a bounded queue, commits whatever has queued
//! up in one transaction, and only then answers each submitter.
//!
//! Several processes write the same tables at once. Within a transaction the events are inserted in
//! the order of their dedup keys, so two receivers' transactions take the keys' locks in one order
//! and cannot deadlock over the same deliveries; a deadlock or serialization failure anyway is
//! retried. A write the database refuses (bad data) fails alone: the group is committed again
//! without it, one write per transaction.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use postgres::error::SqlState;
use postgres::{Client, Config, Statement, Transaction};

use super::super::rejection::{self, Class};
use super::super::{NewEvent, NewRejection, Outcome, StoreError};
use super::{Partitions, connect, describe, text};

/// Writes waiting beyond this many block their submitters: back-pressure instead of unbounded memory.
const QUEUE_CAPACITY: usize = 4_096;
/// The most writes one transaction takes; bounds how long the oldest one waits.
const MAX_BATCH: usize = 512;
/// Tries of a group that met a deadlock or a serialization failure.
const RETRIES: usize = 3;

pub(super) enum Write {
    Event(Box<NewEvent>),
    Rejection(Box<NewRejection>),
}

type Job = crate::store::writer::Job<Write>;

pub(super) struct Writer {
    queue: Option<SyncSender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    pub(super) fn start(
        config: Config,
        client: Client,
        partitions: Partitions,
        rejections_kept: i64,
    ) -> Result<Self, StoreError> {
        let conn = Conn::new(client).map_err(|err| {
            StoreError::Postgres(format!("cannot prepare statements: {}", describe(&err)))
        })?;
        let (queue, jobs) = mpsc::sync_channel(QUEUE_CAPACITY);
        let mut state = State {
            config,
            conn: Some(conn),
            partitions,
            rejections_kept,
        };
        let thread = std::thread::Builder::new()
            .name("logbook-pg-writer".into())
            .spawn(move || state.run(jobs))
            .map_err(|err| StoreError::Unavailable(format!("cannot start the writer: {err}")))?;
        Ok(Self {
            queue: Some(queue),
            thread: Some(thread),
        })
    }

    pub(super) fn submit(&self, write: Write) -> Result<Outcome, StoreError> {
        crate::store::writer::submit_one(self.queue.as_ref(), None, write)
    }

    /// Submits every write at once and waits for each answer (in their order): the writer takes
    /// them as they queue, up to [`MAX_BATCH`] a transaction, as it takes concurrent submissions.
    pub(super) fn submit_many(&self, writes: Vec<Write>) -> Vec<Result<Outcome, StoreError>> {
        crate::store::writer::submit_many(self.queue.as_ref(), None, writes)
    }

    /// Commits what is queued, then ends the thread.
    pub(super) fn stop(mut self) -> Result<(), StoreError> {
        self.shut();
        Ok(())
    }

    fn shut(&mut self) {
        self.queue.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.shut();
    }
}

/// A connection and its prepared statements.
struct Conn {
    client: Client,
    insert_key: Statement,
    insert_event: Statement,
    count_duplicate: Statement,
    insert_rejection: Statement,
    trim_rejections: Statement,
}

impl Conn {
    fn new(mut client: Client) -> Result<Self, postgres::Error> {
        Ok(Self {
            // The unique key decides: a row comes back only when this delivery is the first.
            insert_key: client.prepare(
                "INSERT INTO event_keys (dedup_key, event_id, received_at)
                 VALUES ($1, nextval('events_id_seq'), $2)
                 ON CONFLICT (dedup_key) DO NOTHING
                 RETURNING event_id",
            )?,
            insert_event: client.prepare(
                "INSERT INTO events (id, received_at, endpoint, path, remote_addr, kind, auth,
                     verified, jwt_header, jwt_claims, headers, body, dedup_key, replay_of)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
            )?,
            // After ON CONFLICT DO NOTHING waited for the first delivery's transaction, the key is
            // committed (or ours): this statement's fresh snapshot sees it.
            count_duplicate: client.prepare(
                "UPDATE event_keys SET duplicates = duplicates + 1 WHERE dedup_key = $1
                 RETURNING event_id",
            )?,
            insert_rejection: client.prepare(
                "INSERT INTO rejections (received_at, endpoint, path, method, remote_addr, status,
                     reason, headers, jwt_header, jwt_claims, body, body_bytes, class)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 RETURNING id",
            )?,
            trim_rejections: client.prepare(
                "DELETE FROM rejections WHERE class = $1 AND id <= (
                     SELECT id FROM rejections WHERE class = $1 ORDER BY id DESC OFFSET $2 LIMIT 1)",
            )?,
            client,
        })
    }
}

struct State {
    config: Config,
    /// `None` after the connection broke, until a reconnect succeeds.
    conn: Option<Conn>,
    partitions: Partitions,
    rejections_kept: i64,
}

/// How a group's transaction failed.
enum Failure {
    /// Deadlock or serialization failure: the same group may succeed when tried again.
    Retry(postgres::Error),
    /// The connection or the server cannot write now: every write of the group is answered 503.
    Unavailable(String),
    /// The database refused something in the group.
    Refused(postgres::Error),
}

impl State {
    fn run(&mut self, jobs: Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut group = vec![first];
            while group.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => group.push(job),
                    Err(_) => break,
                }
            }
            let writes: Vec<&Write> = group.iter().map(|j| &j.write).collect();
            let results = self.commit_group(&writes);
            for (job, result) in group.into_iter().zip(results) {
                let _ = job.reply.send(result);
            }
        }
    }

    /// Commits `writes` together, or each alone when the group is refused; one result per write.
    fn commit_group(&mut self, writes: &[&Write]) -> Vec<Result<Outcome, StoreError>> {
        match self.commit_retrying(writes) {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(Failure::Unavailable(why)) => writes
                .iter()
                .map(|_| Err(StoreError::Unavailable(why.clone())))
                .collect(),
            Err(Failure::Refused(err)) if writes.len() == 1 => {
                vec![Err(StoreError::Rejected(describe(&err)))]
            }
            Err(Failure::Refused(_)) => writes
                .iter()
                .map(|write| match self.commit_retrying(&[write]) {
                    Ok(mut outcomes) => Ok(outcomes.remove(0)),
                    Err(Failure::Unavailable(why)) => Err(StoreError::Unavailable(why)),
                    Err(Failure::Refused(err) | Failure::Retry(err)) => {
                        Err(StoreError::Rejected(describe(&err)))
                    }
                })
                .collect(),
            Err(Failure::Retry(err)) => writes
                .iter()
                .map(|_| Err(StoreError::Unavailable(describe(&err))))
                .collect(),
        }
    }

    fn commit_retrying(&mut self, writes: &[&Write]) -> Result<Vec<Outcome>, Failure> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.commit_once(writes) {
                Err(Failure::Retry(_)) if tries < RETRIES => continue,
                other => return other,
            }
        }
    }

    /// One transaction for all of `writes`: events in dedup-key order, then rejections.
    fn commit_once(&mut self, writes: &[&Write]) -> Result<Vec<Outcome>, Failure> {
        let conn = connection(&mut self.conn, &self.config)?;
        for write in writes {
            if let Write::Event(e) = write {
                self.partitions
                    .ensure(&mut conn.client, e.received_at)
                    .map_err(classify)?;
            }
        }
        let mut order: Vec<usize> = (0..writes.len()).collect();
        order.sort_by(|&a, &b| match (writes[a], writes[b]) {
            (Write::Event(x), Write::Event(y)) => x.dedup_key.cmp(&y.dedup_key),
            (Write::Event(_), Write::Rejection(_)) => std::cmp::Ordering::Less,
            (Write::Rejection(_), Write::Event(_)) => std::cmp::Ordering::Greater,
            (Write::Rejection(_), Write::Rejection(_)) => a.cmp(&b),
        });
        let mut outcomes = vec![Outcome::Recorded; writes.len()];
        let result = (|| {
            let mut tx = conn.client.transaction()?;
            let mut trim: Vec<Class> = Vec::new();
            for &i in &order {
                outcomes[i] = match writes[i] {
                    Write::Event(e) => insert_event(
                        &mut tx,
                        (&conn.insert_key, &conn.insert_event, &conn.count_duplicate),
                        e,
                    )?,
                    Write::Rejection(r) => {
                        let class = Class::of(r);
                        if !trim.contains(&class) {
                            trim.push(class);
                        }
                        insert_rejection(&mut tx, &conn.insert_rejection, r)?
                    }
                };
            }
            for class in trim {
                tx.execute(
                    &conn.trim_rejections,
                    &[&class.name(), &self.rejections_kept],
                )?;
            }
            // Live views of every process wake when this commits (`notify`).
            tx.batch_execute(&format!("NOTIFY {}", super::notify::CHANNEL))?;
            tx.commit()
        })();
        match result {
            Ok(()) => Ok(outcomes),
            Err(err) => {
                let failure = classify(err);
                if matches!(failure, Failure::Unavailable(_)) {
                    self.conn = None;
                }
                Err(failure)
            }
        }
    }
}

/// The open connection, or a new one when the last one broke.
fn connection<'a>(conn: &'a mut Option<Conn>, config: &Config) -> Result<&'a mut Conn, Failure> {
    if conn.as_ref().is_some_and(|c| c.client.is_closed()) {
        *conn = None;
    }
    if conn.is_none() {
        let client = connect(config).map_err(Failure::Unavailable)?;
        *conn = Some(Conn::new(client).map_err(|err| Failure::Unavailable(describe(&err)))?);
    }
    Ok(conn.as_mut().expect("connected above"))
}

fn insert_event(
    tx: &mut Transaction<'_>,
    (insert_key, insert_event, count_duplicate): (&Statement, &Statement, &Statement),
    e: &NewEvent,
) -> Result<Outcome, postgres::Error> {
    let key = text(&e.dedup_key);
    if let Some(row) = tx.query_opt(insert_key, &[&key.as_ref(), &e.received_at])? {
        let id: i64 = row.get(0);
        tx.execute(
            insert_event,
            &[
                &id,
                &e.received_at,
                &text(&e.endpoint).as_ref(),
                &text(&e.path).as_ref(),
                &e.remote_addr.as_deref().map(text).as_deref(),
                &text(&e.kind).as_ref(),
                &text(&e.auth).as_ref(),
                &e.verified,
                &e.jwt_header.as_deref().map(text).as_deref(),
                &e.jwt_claims.as_deref().map(text).as_deref(),
                &text(&e.headers).as_ref(),
                &e.body,
                &key.as_ref(),
                &e.replay_of,
            ],
        )?;
        return Ok(Outcome::Stored(id));
    }
    let row = tx.query_one(count_duplicate, &[&key.as_ref()])?;
    Ok(Outcome::Duplicate(row.get(0)))
}

fn insert_rejection(
    tx: &mut Transaction<'_>,
    insert: &Statement,
    r: &NewRejection,
) -> Result<Outcome, postgres::Error> {
    let c = rejection::cap(r);
    let row = tx.query_one(
        insert,
        &[
            &r.received_at,
            &c.endpoint.as_deref().map(text).as_deref(),
            &text(&c.path).as_ref(),
            &text(&c.method).as_ref(),
            &c.remote_addr.as_deref().map(text).as_deref(),
            &i32::from(r.status),
            &text(&c.reason).as_ref(),
            &text(&c.headers).as_ref(),
            &c.jwt_header.as_deref().map(text).as_deref(),
            &c.jwt_claims.as_deref().map(text).as_deref(),
            &c.body,
            &c.body_bytes,
            &Class::of(r).name(),
        ],
    )?;
    Ok(Outcome::Kept(row.get(0)))
}

/// Sorts a failure: retry (deadlock, serialization), unavailable (connection, resources, server
/// shutting down, read-only), or refused (the data).
fn classify(err: postgres::Error) -> Failure {
    let Some(code) = err.code() else {
        return Failure::Unavailable(describe(&err));
    };
    if *code == SqlState::T_R_DEADLOCK_DETECTED || *code == SqlState::T_R_SERIALIZATION_FAILURE {
        return Failure::Retry(err);
    }
    let class = &code.code()[..2];
    if err.is_closed()
        || matches!(class, "08" | "53" | "57" | "58")
        || *code == SqlState::READ_ONLY_SQL_TRANSACTION
    {
        Failure::Unavailable(describe(&err))
    } else {
        Failure::Refused(err)
    }
}
