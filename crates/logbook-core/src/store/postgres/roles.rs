//! Least-privilege roles for team mode (`logbook team roles`): the `GRANT`s that let a receiver's
//! role store what it receives without reading it back, and a reader's role read everything and
//! change nothing. The roles themselves (and their passwords) are the administrator's to create;
//! this only grants, so no password ever passes through here.
//!
//! What a receiver's role is given, and why (each is what one statement of `group_commit` or
//! `retention` needs, found by trying with less):
//! - `INSERT` on `events`, and nothing else there: it never reads a stored body.
//! - `event_keys`: `INSERT`, and `SELECT` of `dedup_key` (the `ON CONFLICT (dedup_key)` arbiter
//!   reads it), `event_id` (`RETURNING` the first delivery's id) and `duplicates`, with `UPDATE` of
//!   `duplicates` (a second delivery is counted); not `received_at`.
//! - `rejections`: `INSERT`, `DELETE` and `SELECT` of `id`, `class` and `received_at` (the newest N
//!   of each class are kept; retention deletes by age), never of their bodies or headers.
//! - `USAGE` of the two sequences (`nextval`), `SELECT` on `logbook_schema` (the version check at
//!   start-up), and `EXECUTE` of the two functions that make and drop month partitions with the
//!   owner's rights (`schema_3.sql`). Dropping months past an age is retention's job: a receiver
//!   run with `--keep-days` does it, and the function refuses a cut-off in the future.
//!
//! A reader's role gets `SELECT` on every table of the schema (and, by default privileges, on those
//! made later: new month partitions, the projector's tables), and its sessions in this database are
//! read-only by default.

use std::fmt::Write as _;

use postgres::Client;

use super::{SCHEMA, connect, describe, describe_target, migrate, parse_url};
use crate::store::StoreError;

/// The roles to grant to; either may be left out.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    pub receiver: Option<String>,
    pub reader: Option<String>,
    /// The role a projecting `serve` connects as: it reads the events and writes the derived
    /// tables (give it the receiver's rights too: a `serve` also receives).
    pub projector: Option<String>,
}

/// Where the grants apply: the schema holding Logbook's tables, the role that owns them (and so
/// creates the month partitions), and the database.
#[derive(Debug, Clone)]
pub struct Place {
    pub schema: String,
    pub owner: String,
    pub database: String,
}

/// What [`grant`] did.
#[derive(Debug, Clone)]
pub struct Granted {
    /// Where the store is, without the password.
    pub target: String,
    /// The SQL, as printed or as run.
    pub sql: String,
    /// Whether it was run (otherwise only written).
    pub applied: bool,
    /// What could not be applied, and why (the grants themselves were).
    pub warnings: Vec<String>,
}

/// The SQL granting `roles` their rights at `place`. Names are quoted as identifiers: a role
/// name is never SQL.
pub fn grant_sql(place: &Place, roles: &Roles) -> String {
    let schema = ident(&place.schema);
    let owner = ident(&place.owner);
    let database = ident(&place.database);
    let mut sql = String::new();
    if let Some(receiver) = &roles.receiver {
        let r = ident(receiver);
        let _ = write!(
            sql,
            "-- The receiver's role {r}: stores events and refused requests, reads no body.
GRANT CONNECT ON DATABASE {database} TO {r};
GRANT USAGE ON SCHEMA {schema} TO {r};
GRANT SELECT ON {schema}.logbook_schema TO {r};
GRANT INSERT ON {schema}.events TO {r};
GRANT INSERT, SELECT (dedup_key, event_id, duplicates), UPDATE (duplicates) ON {schema}.event_keys TO {r};
GRANT INSERT, DELETE, SELECT (id, class, received_at) ON {schema}.rejections TO {r};
GRANT USAGE ON SEQUENCE {schema}.events_id_seq, {schema}.rejections_id_seq TO {r};
GRANT EXECUTE ON FUNCTION {schema}.logbook_month_partition(bigint), {schema}.logbook_drop_expired_month(bigint) TO {r};
"
        );
    }
    if let Some(projector) = &roles.projector {
        let r = ident(projector);
        let derived: Vec<String> = ["projection_state", "conversations"]
            .into_iter()
            .chain(super::projection::by_event())
            .chain(crate::store::rollup::TABLES)
            .map(|table| format!("{schema}.{table}"))
            .collect();
        let _ = write!(
            sql,
            "-- The projector's role {r}: reads the events, writes the derived tables.
GRANT CONNECT ON DATABASE {database} TO {r};
GRANT USAGE ON SCHEMA {schema} TO {r};
GRANT SELECT ON {schema}.logbook_schema, {schema}.events, {schema}.retention_log TO {r};
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON {} TO {r};
",
            derived.join(", ")
        );
    }
    if let Some(reader) = &roles.reader {
        let r = ident(reader);
        let _ = write!(
            sql,
            "-- The reader's role {r}: reads everything, changes nothing.
GRANT CONNECT ON DATABASE {database} TO {r};
GRANT USAGE ON SCHEMA {schema} TO {r};
GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {r};
ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} GRANT SELECT ON TABLES TO {r};
{}
",
            read_only_default(place, reader)
        );
    }
    sql
}

/// Makes the reader's sessions in the database read-only by default: a second guard beside the
/// grants, which needs the right to alter roles (CREATEROLE); an owner without it is told so.
fn read_only_default(place: &Place, reader: &str) -> String {
    format!(
        "ALTER ROLE {} IN DATABASE {} SET default_transaction_read_only = on;",
        ident(reader),
        ident(&place.database)
    )
}

/// Connects to `url` (as the owner of Logbook's tables, or a superuser), and either returns the
/// SQL that grants `roles` their rights there, or with `apply` first brings the schema to this
/// version, then runs that SQL in one transaction. Each role must exist already.
pub fn grant(url: &str, roles: &Roles, apply: bool) -> Result<Granted, StoreError> {
    if roles.receiver.is_none() && roles.reader.is_none() && roles.projector.is_none() {
        return Err(StoreError::Postgres(
            "name a role to grant to: a receiver's, a reader's, a projector's, or several".into(),
        ));
    }
    let config = parse_url(url)?;
    let target = describe_target(&config);
    let fail = |what: &str, err: postgres::Error| {
        StoreError::Postgres(format!("{what} at {target}: {}", describe(&err)))
    };
    let mut client = connect(&config).map_err(|why| {
        StoreError::Postgres(format!("cannot connect to PostgreSQL at {target}: {why}"))
    })?;
    for role in [&roles.receiver, &roles.reader, &roles.projector]
        .into_iter()
        .flatten()
    {
        if role.contains('\0') || role.is_empty() {
            return Err(StoreError::Postgres(format!("{role:?} is not a role name")));
        }
        let exists: bool = client
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)",
                &[role],
            )
            .map_err(|err| fail("cannot look up the roles", err))?
            .get(0);
        if !exists {
            return Err(StoreError::Postgres(format!(
                "there is no role {} at {target}: create it first, e.g. CREATE ROLE {} LOGIN \
                 PASSWORD '…' (its password is yours to choose and keep; Logbook never sees it here)",
                ident(role),
                ident(role)
            )));
        }
    }
    if apply {
        migrate(&mut client).map_err(|err| match err {
            super::MigrateError::Newer(found) => StoreError::Postgres(format!(
                "the database at {target} has Logbook schema version {found}, newer than this \
                 Logbook's ({}): upgrade Logbook",
                SCHEMA.len()
            )),
            super::MigrateError::Db(err) => fail("cannot prepare the database", err),
        })?;
    }
    let place = place(&mut client).map_err(|err| fail("cannot read the schema", err))?;
    let sql = grant_sql(&place, roles);
    let mut warnings = Vec::new();
    if apply {
        let mut tx = client
            .transaction()
            .map_err(|err| fail("cannot grant", err))?;
        // The role setting last, in a savepoint: without the right to alter roles, the grants
        // still go in, and the reader's sessions are left to its grants alone.
        let (grants, setting) = match &roles.reader {
            Some(reader) => {
                let setting = read_only_default(&place, reader);
                (sql.replacen(&setting, "", 1), Some(setting))
            }
            None => (sql.clone(), None),
        };
        tx.batch_execute(&grants)
            .map_err(|err| fail("cannot grant", err))?;
        if let Some(setting) = setting {
            let mut savepoint = tx.transaction().map_err(|err| fail("cannot grant", err))?;
            match savepoint.batch_execute(&setting) {
                Ok(()) => savepoint
                    .commit()
                    .map_err(|err| fail("cannot grant", err))?,
                Err(err) => {
                    drop(savepoint);
                    warnings.push(format!(
                        "the reader's sessions are not read-only by default ({}); its grants \
                         alone keep it from writing; to add the guard, run as a superuser: {setting}",
                        describe(&err)
                    ));
                }
            }
        }
        tx.commit().map_err(|err| fail("cannot grant", err))?;
    }
    Ok(Granted {
        target,
        sql,
        applied: apply,
        warnings,
    })
}

/// The schema of Logbook's tables (where `events` is, else where it would be made), their owner
/// (else this user) and the database.
fn place(client: &mut Client) -> Result<Place, postgres::Error> {
    let row = client.query_one(
        "SELECT coalesce(n.nspname, current_schema())::text,
                coalesce(pg_get_userbyid(c.relowner), current_user)::text,
                current_database()::text
         FROM (SELECT 1) one
         LEFT JOIN pg_class c ON c.oid = to_regclass('events')
         LEFT JOIN pg_namespace n ON n.oid = c.relnamespace",
        &[],
    )?;
    Ok(Place {
        schema: row.get(0),
        owner: row.get(1),
        database: row.get(2),
    })
}

/// `name` as a quoted SQL identifier.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_quoted_identifiers_never_sql() {
        let place = Place {
            schema: "public".into(),
            owner: "admin".into(),
            database: "team".into(),
        };
        let sql = grant_sql(
            &place,
            &Roles {
                receiver: Some("rx\"; DROP TABLE events; --".into()),
                reader: None,
                projector: None,
            },
        );
        assert!(
            sql.contains("TO \"rx\"\"; DROP TABLE events; --\";"),
            "{sql}"
        );
        assert!(!sql.contains("reader"), "{sql}");
    }
}
