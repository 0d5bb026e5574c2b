//! A throwaway PostgreSQL for the tests: one cluster per run of this test binary, made with `initdb`
//! in a temporary directory, run as the unprivileged `postgres` user when the tests run as root
//! (PostgreSQL refuses to run as root). It listens on a Unix socket inside that directory (mode 0700,
//! trusted: only this user reaches it) and on a free port of 127.0.0.1, where a password is asked
//! (SCRAM) and TLS is offered with a self-signed certificate, as a server of a team would. Each test
//! gets a fresh database of its own.
//!
//! The cluster is stopped and its directory removed when this test binary exits, however it exits
//! (passing, failing, panicking, killed): a watcher process started with the cluster waits for this
//! process to end, then stops the server and removes the directory.
//!
//! A test that needs PostgreSQL fails, with the reason, when the server cannot be started: it never
//! skips silently. `scripts/setup.sh` installs Debian's `postgresql` package.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The superuser's password over TCP (the socket needs none).
pub const PASSWORD: &str = "team-test-password";
/// Where Debian installs the server's programs, one directory per major version.
const SERVER_DIRS: &str = "/usr/lib/postgresql";

pub struct Cluster {
    socket_dir: PathBuf,
    /// The TCP port on 127.0.0.1; it also names the socket file in `socket_dir`.
    port: u16,
    /// Where the server's programs are, and who runs them (for [`Cluster::replica`]).
    bin: PathBuf,
    owner: Option<&'static str>,
    replica: OnceLock<Result<Replica, String>>,
}

/// A hot standby of the test cluster, streaming its changes (started by the first test that asks).
pub struct Replica {
    port: u16,
    socket_dir: PathBuf,
}

impl Replica {
    /// The URL of database `name` on the standby, over its Unix socket.
    pub fn url(&self, name: &str) -> String {
        format!(
            "postgres://postgres@/{name}?host={}&port={}",
            self.socket_dir.display(),
            self.port
        )
    }
}

/// A fresh, empty database in the test cluster.
pub struct Database {
    pub name: String,
    /// `postgres://…` for `logbook serve --store`.
    pub url: String,
}

impl Database {
    /// A new connection, as the cluster's superuser.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url, postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test database {}: {e}", self.name))
    }
}

/// The cluster of this test run, started by the first test that asks.
pub fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Result<Cluster, String>> = OnceLock::new();
    match CLUSTER.get_or_init(start) {
        Ok(cluster) => cluster,
        Err(why) => panic!(
            "these tests need a PostgreSQL server and could not start one: {why}\n\
             (scripts/setup.sh installs Debian's postgresql package)"
        ),
    }
}

impl Cluster {
    /// A new empty database, named after `label` and unique in this run.
    pub fn database(&self, label: &str) -> Database {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!("{label}_{}", NEXT.fetch_add(1, Ordering::Relaxed));
        let mut admin = postgres::Client::connect(&self.url("postgres"), postgres::NoTls)
            .unwrap_or_else(|e| panic!("cannot connect to the test cluster: {e}"));
        admin
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        Database {
            url: self.url(&name),
            name,
        }
    }

    /// A read-only hot standby of this cluster (`pg_basebackup -R`, streaming replication over
    /// the socket), stopped and removed with the cluster.
    pub fn replica(&self) -> &Replica {
        match self.replica.get_or_init(|| self.start_replica()) {
            Ok(replica) => replica,
            Err(why) => panic!("cannot start a standby of the test cluster: {why}"),
        }
    }

    fn start_replica(&self) -> Result<Replica, String> {
        let data = self.socket_dir.join("standby");
        let path = |p: &Path| p.to_str().expect("a UTF-8 temporary path").to_owned();
        run_as(
            self.owner,
            &self.bin.join("pg_basebackup"),
            &[
                "-h",
                &path(&self.socket_dir),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-D",
                &path(&data),
                "-R",
                "-X",
                "stream",
                // At once, rather than after a spread checkpoint (minutes).
                "--checkpoint=fast",
                "--no-sync",
            ],
        )?;
        let pg_ctl = self.bin.join("pg_ctl");
        // Stopped by a watcher of its own when this test binary exits (the cluster's removes the
        // directory).
        watch(&pg_ctl, &data, &data, self.owner)?;
        let port = free_port()?;
        let log = self.socket_dir.join("standby.log");
        let options = format!(
            "-c listen_addresses='' -k {} -p {port} -c fsync=off -c max_connections=200 -c ssl=off",
            path(&self.socket_dir)
        );
        pg_ctl_start(self.owner, &pg_ctl, &data, &log, &options)?;
        Ok(Replica {
            port,
            socket_dir: self.socket_dir.clone(),
        })
    }

    /// The URL of database `name`, over the cluster's Unix socket.
    pub fn url(&self, name: &str) -> String {
        self.url_as("postgres", name)
    }

    /// The URL of database `name` as `user`, over the cluster's Unix socket (trusted: no password).
    pub fn url_as(&self, user: &str, name: &str) -> String {
        format!(
            "postgres://{user}@/{name}?host={}&port={}",
            self.socket_dir.display(),
            self.port
        )
    }

    /// The URL of database `name` over TCP on 127.0.0.1, with `password` and `sslmode`.
    pub fn tcp_url(&self, name: &str, password: &str, sslmode: &str) -> String {
        format!(
            "postgres://postgres:{password}@127.0.0.1:{}/{name}?sslmode={sslmode}",
            self.port
        )
    }
}

/// The newest server version's `bin` directory.
fn server_bin() -> Result<PathBuf, String> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(SERVER_DIRS)
        .map_err(|e| format!("{SERVER_DIRS}: {e}"))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            let version = path.file_name()?.to_str()?.parse().ok()?;
            path.join("bin/initdb")
                .exists()
                .then(|| (version, path.join("bin")))
        })
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| format!("no PostgreSQL server (bin/initdb) under {SERVER_DIRS}"))
}

/// Runs a server program as the user the cluster belongs to; its output goes into the error.
fn run_as(owner: Option<&str>, program: &Path, args: &[&str]) -> Result<(), String> {
    let mut command = match owner {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    let output = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{} {} failed ({}): {}{}",
            program.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// The uid and gid of `user`, from `id`.
fn ids_of(user: &str) -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = Command::new("id")
            .args([flag, user])
            .output()
            .map_err(|e| format!("cannot run id: {e}"))?;
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .map_err(|_| format!("no user {user:?} (id {flag} {user} failed)"))
    };
    Ok((id("-u")?, id("-g")?))
}

fn start() -> Result<Cluster, String> {
    let bin = server_bin()?;
    let root = tempfile::Builder::new()
        .prefix("logbook-pg-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary directory: {e}"))?
        // Removed by the watcher below, after the server stops.
        .keep();
    let is_root = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false);
    let owner = is_root.then_some("postgres");
    if let Some(user) = owner {
        let (uid, gid) = ids_of(user)?;
        std::os::unix::fs::chown(&root, Some(uid), Some(gid))
            .map_err(|e| format!("cannot give {} to {user}: {e}", root.display()))?;
    }
    std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| format!("cannot restrict {}: {e}", root.display()))?;
    let data = root.join("data");
    let socket_dir = root.clone();
    let log = root.join("server.log");
    let pg_ctl = bin.join("pg_ctl");
    watch(&pg_ctl, &data, &root, owner)?;
    let path = |p: &Path| p.to_str().expect("a UTF-8 temporary path").to_owned();
    let pwfile = root.join("password");
    std::fs::write(&pwfile, PASSWORD)
        .map_err(|e| format!("cannot write the password file: {e}"))?;
    run_as(
        owner,
        &bin.join("initdb"),
        &[
            "-D",
            &path(&data),
            "-U",
            "postgres",
            // The socket is in the cluster's own directory (mode 0700): trust is safe there.
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            &format!("--pwfile={}", path(&pwfile)),
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ],
    )?;
    // A self-signed certificate: no system trusts it, so a client that verifies must refuse it.
    run_as(
        owner,
        Path::new("openssl"),
        &[
            "req",
            "-new",
            "-x509",
            "-days",
            "2",
            "-nodes",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            &path(&data.join("server.key")),
            "-out",
            &path(&data.join("server.crt")),
        ],
    )?;
    let port = free_port()?;
    // The tests kill receivers, never this server, so it need not sync its files to disk.
    let options = format!(
        "-c listen_addresses=127.0.0.1 -k {} -p {port} -c ssl=on -c fsync=off -c max_connections=200",
        path(&socket_dir)
    );
    pg_ctl_start(owner, &pg_ctl, &data, &log, &options)?;
    Ok(Cluster {
        socket_dir,
        port,
        bin,
        owner,
        replica: OnceLock::new(),
    })
}

/// Starts the server of `data` with `options`, waiting until it accepts connections; a failure
/// comes with the server's log.
fn pg_ctl_start(
    owner: Option<&str>,
    pg_ctl: &Path,
    data: &Path,
    log: &Path,
    options: &str,
) -> Result<(), String> {
    let path = |p: &Path| p.to_str().expect("a UTF-8 temporary path").to_owned();
    run_as(
        owner,
        pg_ctl,
        &[
            "start",
            "-w",
            "-t",
            "60",
            "-D",
            &path(data),
            "-l",
            &path(log),
            "-o",
            options,
        ],
    )
    .map_err(|why| {
        let log = std::fs::read_to_string(log).unwrap_or_default();
        format!("{why}\nserver log:\n{log}")
    })
}

/// A port of 127.0.0.1 free a moment ago.
fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on 127.0.0.1: {e}"))
}

/// Starts the watcher: in a session of its own (a Ctrl-C of the tests does not stop it early), it
/// waits for this process to end, then stops the server at once and removes the directory.
fn watch(pg_ctl: &Path, data: &Path, root: &Path, owner: Option<&str>) -> Result<(), String> {
    let script = r#"
        while kill -0 "$1" 2>/dev/null; do sleep 0.5; done
        if [ -n "$5" ]; then runuser -u "$5" -- "$2" stop -D "$3" -m immediate -w
        else "$2" stop -D "$3" -m immediate -w; fi
        rm -rf "$4"
    "#;
    Command::new("setsid")
        .args(["sh", "-c", script, "logbook-pg-watcher"])
        .arg(std::process::id().to_string())
        .arg(pg_ctl)
        .arg(data)
        .arg(root)
        .arg(owner.unwrap_or(""))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
        .map_err(|e| format!("cannot start the watcher that stops the server: {e}"))
}
