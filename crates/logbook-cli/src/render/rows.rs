//! Rows in the format asked for: a table for reading, or JSON, NDJSON and CSV written by the core's
//! export writer ([`export::Sink`]), whose cell formatter defuses spreadsheet formulas.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use logbook_core::export::{self, Sink};

use crate::args::OutputFormat;

/// Prints rows in `format`; the table shows the given columns, the other formats every field
/// (JSON as one indented document, CSV with a column for every field any row has).
pub fn print<T: Serialize>(
    format: OutputFormat,
    rows: &[T],
    header: &[&str],
    cells: impl Fn(&T) -> Vec<String>,
) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format.rows() {
        None => {
            let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
            out.write_all(super::table(header, &body, 80).as_bytes())?;
            out.flush()?;
        }
        Some(format) => {
            write(format, rows, &mut out)?;
        }
    }
    Ok(())
}

/// Writes rows with the core's writer: JSON indented as `serde_json::to_writer_pretty` would.
pub fn write<T: Serialize>(format: export::Format, rows: &[T], out: &mut dyn Write) -> Result<u64> {
    let columns = if format == export::Format::Csv {
        let values = rows
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()?;
        export::columns_of(&values)
    } else {
        Vec::new()
    };
    let mut sink = Sink::new(format, out, columns)?.pretty();
    for row in rows {
        sink.write(row)?;
    }
    Ok(sink.finish()?)
}

/// One value as an indented JSON document.
pub fn print_json<T: Serialize>(value: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        id: i64,
        text: &'static str,
        custom_data: serde_json::Map<String, serde_json::Value>,
    }

    fn rows() -> Vec<Row> {
        let custom = |k: &str, v: &str| {
            let mut m = serde_json::Map::new();
            m.insert(k.into(), v.into());
            m
        };
        vec![
            Row {
                id: 1,
                text: "=HYPERLINK(\"x\")",
                custom_data: custom("reason", "billing"),
            },
            Row {
                id: 2,
                text: "a, \"b\"",
                custom_data: custom("account", "-42"),
            },
        ]
    }

    fn written(format: export::Format, rows: &[Row]) -> String {
        let mut out = Vec::new();
        assert_eq!(write(format, rows, &mut out).unwrap(), rows.len() as u64);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn json_is_the_document_serde_json_pretty_prints() {
        for rows in [&rows()[..], &rows()[..1], &[]] {
            assert_eq!(
                written(export::Format::Json, rows),
                serde_json::to_string_pretty(rows).unwrap() + "\n"
            );
        }
    }

    #[test]
    fn ndjson_is_one_compact_object_per_line() {
        let text = written(export::Format::Ndjson, &rows());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0], serde_json::to_string(&rows()[0]).unwrap());
    }

    #[test]
    fn csv_has_every_rows_columns_and_defuses_formulas() {
        assert_eq!(
            written(export::Format::Csv, &rows()),
            "id,text,custom_data.reason,custom_data.account\n\
             1,\"'=HYPERLINK(\"\"x\"\")\",billing,\n\
             2,\"a, \"\"b\"\"\",,'-42\n"
        );
    }
}
