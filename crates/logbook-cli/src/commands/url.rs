//! `logbook url`: the browser UI's address, with this launch's token, printed again for the
//! `logbook serve` running on a database (its start-up print scrolled away, the terminal was closed).
//!
//! `serve` writes the address to a file readable only by the user (the token opens what the store
//! holds), and removes it when it stops: `<db>.ui-url` beside a SQLite database, or, for a team's
//! PostgreSQL store (`serve --store`), `team-<digest of the store's target>.ui-url` in the data
//! directory, one per store on this machine (the name is made from `user@host:port/database`, never
//! the password). The address is printed only if it answers with its token now: a file left by a
//! killed `serve` is reported as such, never printed as if it worked.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::args::UrlArgs;

/// How long the running UI has to answer before it is reported as not answering.
const CHECK_TIMEOUT_MS: u64 = 3_000;

/// The store a `serve` runs on, as `logbook url` finds its address.
pub enum Served {
    /// A SQLite database file.
    Db(PathBuf),
    /// A team's PostgreSQL store, by its target (`user@host:port/database`).
    Store(String),
}

impl Served {
    /// What `--db`/`--store` name (the store's URL checked as the reading commands check it).
    pub fn of(args: &crate::args::StoreArg) -> Result<Self> {
        Ok(match &args.url {
            Some(url) => {
                super::team_store(url, &args.db)?;
                Served::Store(logbook_core::store::postgres::target(url)?)
            }
            None => Served::Db(args.db.path()),
        })
    }

    /// The file that holds the running UI's address: `<db>.ui-url` beside the database's real path
    /// (as its writer lock is), so two paths to one database find one file; for a store, a file
    /// named after its target in the data directory.
    fn url_file(&self) -> PathBuf {
        match self {
            Served::Db(db) => {
                let real = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
                let mut name = real.into_os_string();
                name.push(".ui-url");
                PathBuf::from(name)
            }
            Served::Store(target) => {
                use sha2::Digest;
                let digest = sha2::Sha256::digest(target.as_bytes());
                let hex: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
                let db = logbook_core::store::default_db_path();
                db.parent()
                    .unwrap_or(Path::new("."))
                    .join(format!("team-{hex}.ui-url"))
            }
        }
    }

    /// How messages name it.
    fn describe(&self) -> String {
        match self {
            Served::Db(db) => db.display().to_string(),
            Served::Store(target) => format!("the PostgreSQL store {target}"),
        }
    }
}

/// The address of a running `serve`'s UI, on disk while it runs; removed when dropped, if it
/// still holds this launch's address (another `serve` of the same store on this machine may have
/// written its own since).
pub struct PublishedUrl {
    path: PathBuf,
    url: String,
}

impl PublishedUrl {
    /// Writes `url` to the file of `served`, mode 0600. Called once the store is open.
    pub fn write(served: &Served, url: &str) -> Result<Self> {
        let path = served.url_file();
        if let Some(dir) = path.parent() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
                .create(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut options = std::fs::File::options();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&path)
            .with_context(|| format!("cannot write the UI's address to {}", path.display()))?;
        // A file left by an older launch keeps its mode: make sure it is the user's only.
        #[cfg(unix)]
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        writeln!(file, "{url}")?;
        Ok(Self {
            path,
            url: url.to_owned(),
        })
    }
}

impl Drop for PublishedUrl {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.path).is_ok_and(|text| text.trim() == self.url);
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

pub fn run(args: UrlArgs) -> Result<()> {
    let served = Served::of(&args.store)?;
    let path = served.url_file();
    let url = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
            "no `logbook serve` with the browser UI is running on {} on this machine (start one \
             with `logbook serve`; it prints the address to open)",
            served.describe()
        ),
        Err(err) => {
            return Err(err).with_context(|| format!("cannot read {}", path.display()));
        }
    };
    if let Err(reason) = answers(&url) {
        bail!(
            "the UI address in {} does not answer ({reason}): its `logbook serve` has stopped; start \
             `logbook serve` again, it prints a new address",
            path.display()
        );
    }
    println!("{url}");
    Ok(())
}

/// Whether the UI at `url` (`http://HOST:PORT/?token=…`) answers its status with that token.
fn answers(url: &str) -> Result<(), String> {
    let (base, token) = url
        .split_once("/?token=")
        .ok_or_else(|| "not an address `serve` wrote".to_owned())?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_millis(CHECK_TIMEOUT_MS))
        .build();
    match agent
        .get(&format!("{base}/api/status"))
        .set("Authorization", &format!("Bearer {token}"))
        .call()
    {
        Ok(_) => Ok(()),
        Err(ureq::Error::Status(status, _)) => Err(format!("it answered {status}")),
        Err(err) => Err(err.to_string()),
    }
}
