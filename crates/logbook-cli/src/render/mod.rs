//! What the terminal shows: aligned tables and one-line summaries ([`lists`], [`detail`]), rows for
//! scripts through the core's export writer ([`rows`]), progress on standard error. Payload text is
//! printed as text; control characters are replaced so a payload cannot drive the terminal.

pub mod detail;
pub mod lists;
pub mod report;
pub mod rows;

/// An optional value as text, empty when absent.
pub fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A progress bar on standard error, hidden when it is not a terminal.
pub fn progress_bar(total: u64, unit: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {unit} {{elapsed}}"
        ))
        .expect("valid template"),
    );
    bar
}

/// A running count of rows written, with their rate, on standard error.
pub fn row_counter() -> indicatif::ProgressBar {
    let bar =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} rows {elapsed} {per_sec}")
            .expect("valid template"),
    );
    bar
}

/// Replaces control characters (escape sequences, carriage returns, tabs) with visible stand-ins and
/// newlines with `⏎`, so one value stays on one line and cannot move the cursor.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\n' => '⏎',
            c if c.is_control() => '�',
            c => c,
        })
        .collect()
}

/// Like [`one_line`], keeping line breaks.
pub fn safe_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && c != '\n' {
                '�'
            } else {
                c
            }
        })
        .collect()
}

/// Cuts `text` to `max` characters, marking the cut.
pub fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((i, _)) if text[i..].chars().count() > 1 => format!("{}…", &text[..i]),
        _ => text.to_owned(),
    }
}

/// An aligned table with a header row; cells are made safe and clipped to `max_width` characters.
pub fn table(header: &[&str], rows: &[Vec<String>], max_width: usize) -> String {
    let cells: Vec<Vec<String>> = std::iter::once(header.iter().map(|h| h.to_string()).collect())
        .chain(
            rows.iter()
                .map(|r| r.iter().map(|c| clip(&one_line(c), max_width)).collect()),
        )
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            cells
                .iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i + 1 == row.len() {
                    c.clone()
                } else {
                    format!("{c}{}", " ".repeat(widths[i] - c.chars().count()))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `2026-03-10 15:30:12.930` (UTC) from Unix milliseconds.
pub fn time_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| ms.to_string())
}

/// `27.5 s`, `850 ms`.
pub fn duration_ms(ms: Option<i64>) -> String {
    match ms {
        None => String::new(),
        Some(ms) if ms.abs() >= 1_000 => format!("{:.1} s", ms as f64 / 1000.0),
        Some(ms) => format!("{ms} ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_text_cannot_drive_the_terminal() {
        assert_eq!(one_line("a\u{1b}[2Jb\nc\r"), "a�[2Jb⏎c�");
        assert_eq!(safe_text("a\u{7}\nb"), "a�\nb");
    }

    #[test]
    fn tables_align_and_clip() {
        let t = table(
            &["id", "text"],
            &[vec!["1".into(), "hello world".into()]],
            5,
        );
        assert_eq!(t, "id  text\n1   hell…\n");
        assert_eq!(clip("abc", 3), "abc");
    }
}
