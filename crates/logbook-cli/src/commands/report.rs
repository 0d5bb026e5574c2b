//! `logbook report`: the Trends view's figures for a query, as a table, JSON or CSV.

use anyhow::Result;

use logbook_core::query::trends::{self, Bucket, Compare, TrendsRequest};

use super::{query_error, reader};
use crate::args::{ReportArgs, ReportBucket, ReportFormat};
use crate::render::{report, rows::print_json};

pub fn run(args: ReportArgs) -> Result<()> {
    let reader = reader(&args.store)?;
    let conn = reader.db();
    let request = TrendsRequest {
        query: args.query.clone(),
        bucket: args.by.map(|b| match b {
            ReportBucket::Minute => Bucket::Minute,
            ReportBucket::Hour => Bucket::Hour,
            ReportBucket::Day => Bucket::Day,
        }),
        compare: args.compare.as_deref().map(Compare::parse).transpose()?,
        custom_key: args.custom.clone(),
    };
    let figures = trends::trends(conn, &request, chrono::Utc::now())
        .map_err(|e| query_error(e, &args.query))?;
    match args.format {
        ReportFormat::Table => Ok(report::table(&mut std::io::stdout().lock(), &figures)?),
        ReportFormat::Json => print_json(&figures),
        ReportFormat::Csv => report::csv(&mut std::io::stdout().lock(), &figures),
    }
}
