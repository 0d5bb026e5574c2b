//! The HTTP side of a pull: IBM Cloud IAM's token endpoint and Watson's v2 "List log events for an
//! assistant" (`GET {url}/v2/assistants/{assistant_id}/logs`), with the retries a long pull needs.
//!
//! Contract: a `429` or a `5xx` is tried again after its `Retry-After` (or a doubling backoff), up
//! to [`MAX_ATTEMPTS`] times; so is a network failure once the service has answered at least once (a
//! blip mid-pull), while a service never reached fails at once. An IAM token is renewed at 80% of
//! its lifetime (as IBM's SDKs do) and once more when the API answers `401`. Only `https` URLs, and
//! `http` on loopback (for tests and local proxies), are accepted. Text from the services is
//! untrusted: it is shown with control characters removed and cut short.

use std::io::Read;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::PullError;

/// IBM Cloud's IAM token endpoint.
pub const IBM_IAM_URL: &str = "https://iam.cloud.ibm.com/identity/token";
/// The v2 API version date sent with every request.
pub const API_VERSION: &str = "2021-11-27";
/// Tries of one request before giving up on `429`, `5xx` or a dropped network.
pub const MAX_ATTEMPTS: u32 = 6;
/// The first wait of the doubling backoff when no `Retry-After` is given.
const FIRST_BACKOFF_MS: u64 = 1_000;
const MAX_BACKOFF_MS: u64 = 30_000;
/// The longest `Retry-After` honoured as given.
const MAX_RETRY_AFTER_MS: u64 = 300_000;
/// One request's deadline.
const REQUEST_TIMEOUT_MS: u64 = 60_000;
/// The largest answer read (a page of 100 logs with 100 KB contexts is about 20 MB).
const MAX_ANSWER_BYTES: u64 = 256 * 1024 * 1024;
/// The most of a service's error text shown.
const MESSAGE_CHARS: usize = 500;

/// How requests to the logs API are authorised.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// An IBM Cloud API key, exchanged at `iam_url` for an access token.
    ApiKey { key: String, iam_url: String },
    /// A bearer token used as it is (Cloud Pak for Data, or a token made elsewhere).
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    /// Never the key or the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ApiKey { iam_url, .. } => write!(f, "ApiKey {{ iam_url: {iam_url:?} }}"),
            Self::Bearer(_) => f.write_str("Bearer"),
        }
    }
}

/// A wait before trying a request again, as told to the progress callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    /// What was answered: `429`, `503`, or the network error.
    pub reason: String,
    pub wait_ms: u64,
    /// The try about to be made (2 for the first retry).
    pub attempt: u32,
}

/// Accepts `https` URLs, and `http` ones whose host is a loopback address or `localhost`.
pub fn check_url(what: &str, text: &str) -> Result<url::Url, PullError> {
    let bad = |reason: &str| PullError::BadUrl {
        what: what.to_owned(),
        url: text.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = url::Url::parse(text).map_err(|e| bad(&e.to_string()))?;
    match parsed.scheme() {
        "https" => {}
        "http" => {
            let loopback = match parsed.host() {
                Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => false,
            };
            if !loopback {
                return Err(bad("only https is accepted (http only on loopback)"));
            }
        }
        _ => return Err(bad("only https is accepted (http only on loopback)")),
    }
    if parsed.host().is_none() {
        return Err(bad("no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad(
            "give the URL without ?… or #… (the service URL ends with /instances/ID)",
        ));
    }
    Ok(parsed)
}

/// The text of a service's error answer: IBM's `error`, `errorMessage` (IAM) or `errors[].message`,
/// else the text itself; control characters removed, cut short.
pub fn service_message(text: &str) -> String {
    #[derive(Deserialize)]
    struct Item {
        message: Option<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        error: Option<serde_json::Value>,
        #[serde(rename = "errorMessage")]
        error_message: Option<String>,
        errors: Option<Vec<Item>>,
    }
    let from_json = serde_json::from_str::<Answer>(text).ok().and_then(|a| {
        a.error_message
            .or(match a.error {
                Some(serde_json::Value::String(s)) => Some(s),
                Some(other @ serde_json::Value::Object(_)) => Some(other.to_string()),
                _ => None,
            })
            .or_else(|| a.errors.and_then(|e| e.into_iter().find_map(|i| i.message)))
    });
    let text = from_json.unwrap_or_else(|| text.trim().to_owned());
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MESSAGE_CHARS)
        .collect();
    if clean.is_empty() {
        "(no message)".to_owned()
    } else {
        clean
    }
}

/// Why a request failed, once the retries are spent.
#[derive(Debug)]
pub(super) enum Failure {
    Status { status: u16, message: String },
    Network(String),
}

struct Token {
    value: String,
    renew_at: Instant,
}

/// A client of IAM and the logs API, holding the current token.
pub(super) struct Client {
    agent: ureq::Agent,
    credentials: Credentials,
    token: Option<Token>,
    /// Whether any service has answered: a network failure after that is a blip, tried again.
    answered: bool,
}

impl Client {
    pub(super) fn new(credentials: Credentials) -> Self {
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_millis(REQUEST_TIMEOUT_MS))
            .redirects(0)
            .user_agent(concat!("assistant-logbook/", env!("CARGO_PKG_VERSION")))
            .build();
        Self {
            agent,
            credentials,
            token: None,
            answered: false,
        }
    }

    /// GETs `url` with `query` and the current token; renews an IAM token once on `401`.
    pub(super) fn get(
        &mut self,
        url: &str,
        query: &[(&str, &str)],
        on_wait: &mut dyn FnMut(&Wait),
    ) -> Result<Vec<u8>, PullError> {
        let mut renewed = false;
        loop {
            let token = self.bearer(on_wait)?;
            let agent = self.agent.clone();
            let answer = self.exchange(
                || {
                    let mut request = agent
                        .get(url)
                        .set("Accept", "application/json")
                        .set("Authorization", &format!("Bearer {token}"));
                    for (name, value) in query {
                        request = request.query(name, value);
                    }
                    request.call().map_err(Box::new)
                },
                on_wait,
            );
            return match answer {
                Ok(body) => Ok(body),
                Err(Failure::Status { status: 401, .. })
                    if !renewed && matches!(self.credentials, Credentials::ApiKey { .. }) =>
                {
                    renewed = true;
                    self.token = None;
                    continue;
                }
                Err(Failure::Status { status, message }) => Err(PullError::from_api(
                    status,
                    message,
                    matches!(self.credentials, Credentials::Bearer(_)),
                )),
                Err(Failure::Network(reason)) => Err(PullError::Network {
                    url: url.to_owned(),
                    reason,
                }),
            };
        }
    }

    /// The token to send, asking IAM for a new one when there is none or it is due for renewal.
    fn bearer(&mut self, on_wait: &mut dyn FnMut(&Wait)) -> Result<String, PullError> {
        let (key, iam_url) = match &self.credentials {
            Credentials::Bearer(token) => return Ok(token.clone()),
            Credentials::ApiKey { key, iam_url } => (key.clone(), iam_url.clone()),
        };
        if let Some(token) = self.token.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        #[derive(Deserialize)]
        struct Answer {
            access_token: String,
            expires_in: Option<u64>,
        }
        let agent = self.agent.clone();
        let asked_at = Instant::now();
        let body = self
            .exchange(
                || {
                    agent
                        .post(&iam_url)
                        .set("Accept", "application/json")
                        .send_form(&[
                            ("grant_type", "urn:ibm:params:oauth:grant-type:apikey"),
                            ("apikey", &key),
                        ])
                        .map_err(Box::new)
                },
                on_wait,
            )
            .map_err(|failure| match failure {
                Failure::Status { status, message } => PullError::Iam {
                    url: iam_url.clone(),
                    status,
                    message,
                },
                Failure::Network(reason) => PullError::Network {
                    url: iam_url.clone(),
                    reason,
                },
            })?;
        let answer: Answer = serde_json::from_slice(&body).map_err(|e| PullError::BadAnswer {
            url: iam_url.clone(),
            reason: format!("not an IAM token answer: {e}"),
        })?;
        // IBM's SDKs renew at 80% of the lifetime; an answer without one is used for an hour.
        let lifetime_ms = answer.expires_in.unwrap_or(3_600) * 1_000;
        self.token = Some(Token {
            value: answer.access_token.clone(),
            renew_at: asked_at + Duration::from_millis(lifetime_ms * 8 / 10),
        });
        Ok(answer.access_token)
    }

    /// Sends a request (made again by `send` for each try), trying again after `429`, `5xx` and,
    /// once a service has answered, network failures; the answer's bytes, or why not.
    fn exchange(
        &mut self,
        send: impl Fn() -> Result<ureq::Response, Box<ureq::Error>>,
        on_wait: &mut dyn FnMut(&Wait),
    ) -> Result<Vec<u8>, Failure> {
        let mut attempt = 1;
        loop {
            let (reason, retry_after, failure) = match send().map_err(|e| *e) {
                Ok(response) => {
                    self.answered = true;
                    let mut body = Vec::new();
                    return match response
                        .into_reader()
                        .take(MAX_ANSWER_BYTES)
                        .read_to_end(&mut body)
                    {
                        Ok(_) => Ok(body),
                        Err(e) => Err(Failure::Network(format!("the answer was cut off: {e}"))),
                    };
                }
                Err(ureq::Error::Status(status, response)) => {
                    self.answered = true;
                    let retry_after = response
                        .header("Retry-After")
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(|s| (s * 1_000).min(MAX_RETRY_AFTER_MS));
                    let message = service_message(&response.into_string().unwrap_or_default());
                    let failure = Failure::Status { status, message };
                    if !(status == 429 || (500..=599).contains(&status)) {
                        return Err(failure);
                    }
                    (status.to_string(), retry_after, failure)
                }
                Err(ureq::Error::Transport(transport)) => {
                    let reason = transport.to_string();
                    if !self.answered {
                        return Err(Failure::Network(reason));
                    }
                    (reason.clone(), None, Failure::Network(reason))
                }
            };
            if attempt >= MAX_ATTEMPTS {
                return Err(failure);
            }
            let backoff = (FIRST_BACKOFF_MS << (attempt - 1)).min(MAX_BACKOFF_MS);
            let wait_ms = retry_after.unwrap_or(backoff);
            attempt += 1;
            on_wait(&Wait {
                reason,
                wait_ms,
                attempt,
            });
            std::thread::sleep(Duration::from_millis(wait_ms));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_and_loopback_http_are_accepted() {
        for good in [
            "https://api.us-south.assistant.watson.cloud.ibm.com/instances/abc",
            "http://127.0.0.1:8080/x",
            "http://[::1]:9/",
            "http://localhost:1/",
        ] {
            assert!(check_url("--url", good).is_ok(), "{good}");
        }
        for bad in [
            "http://api.example.com/",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "file:///etc/passwd",
            "https://user:pw@example.com/",
            "https://api.example.com/instances/x?version=2021-11-27",
            "not a url",
        ] {
            assert!(check_url("--url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn service_messages_are_read_from_ibm_error_shapes_and_cleaned() {
        assert_eq!(
            service_message(r#"{"error":"Resource not found","code":404}"#),
            "Resource not found"
        );
        assert_eq!(
            service_message(
                r#"{"errorCode":"BXNIM0415E","errorMessage":"Provided API key could not be found.","context":{}}"#
            ),
            "Provided API key could not be found."
        );
        assert_eq!(
            service_message(r#"{"errors":[{"code":"x","message":"Forbidden"}]}"#),
            "Forbidden"
        );
        assert_eq!(service_message("bad\u{1b}[31m\nthing"), "bad [31m thing");
        assert_eq!(service_message(""), "(no message)");
        assert_eq!(service_message(&"x".repeat(2_000)).len(), MESSAGE_CHARS);
    }
}
