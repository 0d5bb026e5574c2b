//! The `logbook` command: the receiver (`serve`), a signing client (`send`), `import`, `export`,
//! the read commands and the benchmarks, over the core library.
//!
//! [`args`] holds the flags, [`commands`] one file per subcommand, [`render`] what is printed.

mod args;
mod commands;
mod render;

use clap::Parser;

use args::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => commands::serve::run(args),
        Command::Send(args) => commands::send::run(args),
        Command::Import(args) => commands::import::run(args),
        Command::Pull(args) => commands::pull::run(args),
        Command::Search(args) => commands::search::run(args),
        Command::Show(args) => commands::show::run(args),
        Command::Replay(args) => commands::replay::run(args),
        Command::Diff(args) => commands::diff::run(args),
        Command::CustomData(args) => commands::custom_data::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Stats(args) => commands::stats::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Url(args) => commands::url::run(args),
        Command::Reindex(args) => commands::reindex::run(args),
        Command::Generate(args) => commands::generate::run(args),
        Command::Team { what } => commands::team::run(what),
        Command::Bench { what } => commands::bench::run(what),
    };
    if let Err(err) = result {
        if is_broken_pipe(&err) {
            std::process::exit(0);
        }
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

/// A reader that went away (`logbook search … | head`) is not an error. A JSON writer's error
/// hides the I/O error it wraps from the chain, so it is asked for its kind.
fn is_broken_pipe(err: &anyhow::Error) -> bool {
    use std::io::ErrorKind::BrokenPipe;
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == BrokenPipe)
            || e.downcast_ref::<serde_json::Error>()
                .is_some_and(|e| e.io_error_kind() == Some(BrokenPipe))
    })
}
