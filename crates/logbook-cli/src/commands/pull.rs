//! `logbook pull`: past conversation logs from Watson's v2 logs API, as if the webhook had
//! delivered them.

use anyhow::{Context, Result, bail};

use logbook_core::query::parse::parse_when;
use logbook_core::store::StoreOptions;
use logbook_pull::{self as pull, Credentials, PullOptions, PullProgress, Range};

use crate::args::PullArgs;

pub fn run(args: PullArgs) -> Result<()> {
    let credentials = match (&args.apikey_file, &args.bearer_file) {
        (Some(file), _) => Credentials::ApiKey {
            key: read_credential(file, "API key")?,
            iam_url: args.iam_url.clone(),
        },
        (None, Some(file)) => Credentials::Bearer(read_credential(file, "bearer token")?),
        (None, None) => bail!("give --apikey-file or --bearer-file"),
    };
    let now = chrono::Utc::now();
    let when = |flag: &str, value: &str| {
        parse_when(value, now).with_context(|| {
            format!(
                "bad {flag} {value:?}: expected an age like 30m, 12h, 7d, 4w or a date like 2026-03-10 or 2026-03-10T15:00:00Z"
            )
        })
    };
    let range = if args.since_last {
        Range::SinceLastPull
    } else if let Some(since) = &args.since {
        Range::Since(when("--since", since)?)
    } else if args.after.is_some() || args.before.is_some() {
        Range::Between {
            after: args
                .after
                .as_deref()
                .map(|a| when("--after", a))
                .transpose()?,
            before: args
                .before
                .as_deref()
                .map(|b| when("--before", b))
                .transpose()?,
        }
    } else {
        Range::All
    };
    let options = PullOptions {
        url: args.url.clone(),
        environment: args.environment.clone(),
        credentials,
        range,
        filter: args.filter.clone(),
        restart: args.restart,
    };
    let db = args.db.path();
    let store = super::open_store(&db, StoreOptions::default())?;
    let spinner =
        indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::stderr());
    spinner.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .expect("valid template"),
    );
    let mut announced = false;
    let result = pull::pull(&store, &options, &mut |p: &PullProgress| {
        if !announced {
            announced = true;
            if p.resumed {
                // Not `println`: a hidden bar (standard error not a terminal) would drop it.
                spinner.suspend(|| {
                    eprintln!(
                        "resuming pull #{} after page {} ({} logs so far)",
                        p.pull_id, p.pages, p.logs
                    )
                });
            }
        }
        if let Some(wait) = &p.waiting {
            // Also when standard error is not a terminal: a wait is worth a line in a log.
            spinner.suspend(|| {
                eprintln!(
                    "the API answered {}: waiting {:.1} s before try {}",
                    wait.reason,
                    wait.wait_ms as f64 / 1_000.0,
                    wait.attempt
                )
            });
        }
        spinner.set_message(progress_line(p));
        spinner.tick();
    });
    spinner.finish_and_clear();
    let closed = store.close();
    let report = result?;
    closed?;
    let p = &report.progress;
    let range = match (&report.after, &report.before) {
        (None, None) => "everything the API keeps".to_owned(),
        (Some(a), None) => format!("from {a}"),
        (None, Some(b)) => format!("before {b}"),
        (Some(a), Some(b)) => format!("from {a} to {b}"),
    };
    println!(
        "pulled {} logs in {} page{} ({range}) from environment {}: {} new, {} already stored{}; {:.1} s, {:.0} logs/s; pull #{} in {}",
        p.logs,
        p.pages,
        if p.pages == 1 { "" } else { "s" },
        args.environment.trim(),
        p.stored,
        p.duplicates,
        if p.skipped > 0 {
            format!(", {} skipped (not a log)", p.skipped)
        } else {
            String::new()
        },
        report.elapsed_ms as f64 / 1_000.0,
        p.rate,
        p.pull_id,
        db.display()
    );
    super::say_if_not_derived(report.projected, "the pulled logs");
    Ok(())
}

/// One line of progress: pages, logs (of those matched, when the API says), new, rate.
fn progress_line(p: &PullProgress) -> String {
    let matched = p.matched.map(|m| format!(" of {m}")).unwrap_or_default();
    format!(
        "page {} · {} logs{matched} · {} new · {} already stored · {:.0} logs/s",
        p.pages, p.logs, p.stored, p.duplicates, p.rate
    )
}

/// A key or token from its file: surrounding white space (a trailing line break) is not part of it.
fn read_credential(path: &std::path::Path, what: &str) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the {what} file {}", path.display()))?;
    let text = text.trim();
    if text.is_empty() {
        bail!("the {what} file {} is empty", path.display());
    }
    Ok(text.to_owned())
}
