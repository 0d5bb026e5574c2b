//! The tunnel helper: Watson only calls `https` URLs, so the receiver on `127.0.0.1:PORT` is exposed
//! through `cloudflared` (a free quick tunnel, no account) or `ngrok`, whichever is installed.
//!
//! Contract: the tool runs as a child process of the app with its output read line by line until it
//! announces its public https URL (cloudflared prints `https://….trycloudflare.com` on stderr; ngrok,
//! with `--log stdout --log-format json`, logs `"url":"https://…"` in its `started tunnel` line).
//! Its output keeps being drained after that, so the tool never blocks on a full pipe. The child is
//! killed when the tunnel is stopped or dropped, and so when the app quits.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How long a tool may take to announce its URL (cloudflared takes a few seconds).
pub const URL_TIMEOUT_MS: u64 = 30_000;
/// Lines of the tool's output kept to explain a failure.
const OUTPUT_TAIL_LINES: usize = 8;
/// Directories searched after `PATH`: a desktop app started from a menu often gets a short `PATH`.
const EXTRA_DIRS: &[&str] = &["/usr/local/bin", "/opt/homebrew/bin", "/snap/bin"];

/// What to do when no tool is installed.
pub const INSTALL_HINT: &str = "Neither cloudflared nor ngrok is installed. Install cloudflared \
(free, no account needed: Cloudflare's package for your system, e.g. `brew install cloudflared` or \
the .deb from its releases) or ngrok (needs a free account and `ngrok config add-authtoken …`), \
then try again. Any other tunnel to the receiver's local URL works too.";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "snake_case")]
pub enum TunnelTool {
    Cloudflared,
    Ngrok,
}

#[derive(Debug, thiserror::Error)]
pub enum TunnelError {
    #[error("{}", INSTALL_HINT)]
    NotInstalled,
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{tool} stopped before giving a public URL{}", tail(.output))]
    Exited { tool: String, output: Vec<String> },
    #[error("{tool} gave no public URL within {seconds} s{}", tail(.output))]
    Timeout {
        tool: String,
        seconds: u64,
        output: Vec<String>,
    },
}

fn tail(output: &[String]) -> String {
    if output.is_empty() {
        String::new()
    } else {
        format!(":\n{}", output.join("\n"))
    }
}

impl TunnelTool {
    /// In order of preference: cloudflared needs no account.
    pub const ALL: [Self; 2] = [Self::Cloudflared, Self::Ngrok];

    pub fn program(self) -> &'static str {
        match self {
            Self::Cloudflared => "cloudflared",
            Self::Ngrok => "ngrok",
        }
    }

    /// The arguments that tunnel to the receiver on loopback `port`.
    pub fn args(self, port: u16) -> Vec<String> {
        match self {
            Self::Cloudflared => vec![
                "tunnel".into(),
                "--url".into(),
                format!("http://127.0.0.1:{port}"),
            ],
            Self::Ngrok => vec![
                "http".into(),
                format!("127.0.0.1:{port}"),
                "--log".into(),
                "stdout".into(),
                "--log-format".into(),
                "json".into(),
            ],
        }
    }

    /// The public https URL one line of the tool's output announces, if it announces one.
    pub fn url_in(self, line: &str) -> Option<String> {
        match self {
            // The banner's `|  https://words-words.trycloudflare.com  |`; other https links in the
            // output (the terms of service) are not the tunnel.
            Self::Cloudflared => line.match_indices("https://").find_map(|(at, _)| {
                let url: String = line[at..]
                    .chars()
                    .take_while(|c| !c.is_whitespace() && *c != '|' && *c != '"')
                    .collect();
                let host = url["https://".len()..].split('/').next().unwrap_or("");
                (host.ends_with(".trycloudflare.com") && host.len() > ".trycloudflare.com".len())
                    .then(|| url.trim_end_matches('/').to_owned())
            }),
            Self::Ngrok => {
                let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
                if value.get("msg")?.as_str()? != "started tunnel" {
                    return None;
                }
                let url = value.get("url")?.as_str()?;
                url.starts_with("https://").then(|| url.to_owned())
            }
        }
    }
}

impl std::fmt::Display for TunnelTool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.program())
    }
}

/// The tools installed, each with where it is, searching `path_var` (a `PATH` value) and then a few
/// usual directories.
pub fn installed(path_var: Option<&OsStr>) -> Vec<(TunnelTool, PathBuf)> {
    TunnelTool::ALL
        .into_iter()
        .filter_map(|tool| find_program(tool.program(), path_var).map(|p| (tool, p)))
        .collect()
}

/// The first executable file called `program` in the directories of `path_var`, then in
/// [`EXTRA_DIRS`].
pub fn find_program(program: &str, path_var: Option<&OsStr>) -> Option<PathBuf> {
    let dirs = path_var
        .map(|p| std::env::split_paths(p).collect::<Vec<_>>())
        .unwrap_or_default();
    dirs.into_iter()
        .chain(EXTRA_DIRS.iter().map(PathBuf::from))
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

/// A running tunnel; the child process is killed when this is stopped or dropped.
pub struct Tunnel {
    pub tool: TunnelTool,
    pub url: String,
    pub port: u16,
    child: Child,
}

enum Output {
    Line(String),
    Closed,
}

impl Tunnel {
    /// Starts `program` as `tool` towards loopback `port` and waits (at most `timeout`) for the
    /// public URL it announces.
    pub fn start(
        tool: TunnelTool,
        program: &Path,
        port: u16,
        timeout: Duration,
    ) -> Result<Self, TunnelError> {
        let mut child = Command::new(program)
            .args(tool.args(port))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| TunnelError::Spawn {
                program: program.display().to_string(),
                source,
            })?;
        let (tx, rx) = mpsc::channel();
        let pipes: [Box<dyn Read + Send>; 2] = [
            Box::new(child.stdout.take().expect("piped stdout")),
            Box::new(child.stderr.take().expect("piped stderr")),
        ];
        for pipe in pipes {
            let tx = tx.clone();
            std::thread::Builder::new()
                .name(format!("logbook-{tool}-output"))
                .spawn(move || {
                    // Reads to the end whether or not anyone listens any more.
                    for line in BufReader::new(pipe).lines() {
                        let Ok(line) = line else { break };
                        let _ = tx.send(Output::Line(line));
                    }
                    let _ = tx.send(Output::Closed);
                })
                .expect("spawn tunnel output reader");
        }
        drop(tx);
        let deadline = Instant::now() + timeout;
        let mut output: Vec<String> = Vec::new();
        let mut closed = 0;
        let fail = |child: &mut Child, err: TunnelError| {
            let _ = child.kill();
            let _ = child.wait();
            Err(err)
        };
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(Output::Line(line)) => {
                    if let Some(url) = tool.url_in(&line) {
                        return Ok(Self {
                            tool,
                            url,
                            port,
                            child,
                        });
                    }
                    output.push(line);
                    if output.len() > OUTPUT_TAIL_LINES {
                        output.remove(0);
                    }
                }
                Ok(Output::Closed) => {
                    closed += 1;
                    if closed == 2 {
                        return fail(
                            &mut child,
                            TunnelError::Exited {
                                tool: tool.to_string(),
                                output,
                            },
                        );
                    }
                }
                Err(_) => {
                    return fail(
                        &mut child,
                        TunnelError::Timeout {
                            tool: tool.to_string(),
                            seconds: timeout.as_secs(),
                            output,
                        },
                    );
                }
            }
        }
    }

    /// Whether the tool is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops the tool and waits for it to exit.
    pub fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Tunnel {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloudflared_banner_gives_the_url_and_the_terms_link_does_not() {
        let tool = TunnelTool::Cloudflared;
        assert_eq!(
            tool.url_in("2026-01-01T00:00:00Z INF |  https://sea-deck-organisms-sf.trycloudflare.com                  |"),
            Some("https://sea-deck-organisms-sf.trycloudflare.com".into())
        );
        assert_eq!(
            tool.url_in("INF Requesting new quick Tunnel on trycloudflare.com... see https://www.cloudflare.com/website-terms/"),
            None
        );
        assert_eq!(tool.url_in("https://trycloudflare.com"), None);
    }

    #[test]
    fn ngrok_json_log_gives_the_https_url_of_the_started_tunnel() {
        let tool = TunnelTool::Ngrok;
        assert_eq!(
            tool.url_in(r#"{"addr":"http://127.0.0.1:7420","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-01-01T00:00:00Z","url":"https://ab12-1-2-3-4.ngrok-free.app"}"#),
            Some("https://ab12-1-2-3-4.ngrok-free.app".into())
        );
        assert_eq!(
            tool.url_in(r#"{"lvl":"info","msg":"client session established","url":"https://x"}"#),
            None
        );
        assert_eq!(tool.url_in("not json"), None);
    }
}
