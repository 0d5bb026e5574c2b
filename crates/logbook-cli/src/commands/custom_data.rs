//! `logbook custom-data`: the keys injected into calls, one key's values, or the calls with
//! KEY=VALUE.

use anyhow::Result;

use logbook_core::query::custom;

use super::reader;
use crate::args::CustomDataArgs;
use crate::render::lists;

pub fn run(args: CustomDataArgs) -> Result<()> {
    let reader = reader(&args.store)?;
    let conn = reader.db();
    match (&args.key, &args.value) {
        (None, _) => lists::custom_keys(args.format, &custom::keys(conn)?),
        (Some(key), None) => {
            lists::custom_values(args.format, &custom::values(conn, key, args.limit)?)
        }
        (Some(key), Some(value)) => lists::custom_calls(
            args.format,
            &custom::calls_with(conn, key, Some(value), args.limit, None)?,
        ),
    }
}
