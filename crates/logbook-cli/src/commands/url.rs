//! `logbook url`: the browser UI's address, with this launch's token, printed again for the
//! `logbook serve` running on a database (its start-up print scrolled away, the terminal was closed).
//!
//! `serve` writes the address to `<db>.ui-url`, readable only by the user (the token opens what the
//! database holds, and so does the database file beside it), and removes it when it stops. The
//! address is printed only if it answers with its token now: a file left by a killed `serve` is
//! reported as such, never printed as if it worked.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::args::UrlArgs;

/// How long the running UI has to answer before it is reported as not answering.
const CHECK_TIMEOUT_MS: u64 = 3_000;

/// `<db>.ui-url`, beside the database's real path (as its writer lock is), so two paths to one
/// database find one file.
fn url_file(db: &Path) -> PathBuf {
    let real = std::fs::canonicalize(db).unwrap_or_else(|_| db.to_owned());
    let mut name = real.into_os_string();
    name.push(".ui-url");
    PathBuf::from(name)
}

/// The address of a running `serve`'s UI, on disk while it runs; removed when dropped.
pub struct PublishedUrl(PathBuf);

impl PublishedUrl {
    /// Writes `url` to `<db>.ui-url`, mode 0600. Called once the database is open, so that `serve`
    /// is its only writer and no other `serve` owns the file.
    pub fn write(db: &Path, url: &str) -> Result<Self> {
        let path = url_file(db);
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
        Ok(Self(path))
    }
}

impl Drop for PublishedUrl {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

pub fn run(args: UrlArgs) -> Result<()> {
    let db = args.db.path();
    let path = url_file(&db);
    let url = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => bail!(
            "no `logbook serve` with the browser UI is running on {} (start one with `logbook serve`; \
             it prints the address to open)",
            db.display()
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
