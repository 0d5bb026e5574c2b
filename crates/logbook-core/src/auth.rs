//! Checking a request's `Authorization` header, and keeping it out of everything stored or shown.
//!
//! Watson signs each log webhook call with an HMAC JWT whose key is the Secret's UTF-8 text. IBM's
//! receivers pass the raw header to `jsonwebtoken`, so the token is expected bare; a `Bearer ` prefix
//! (any case) is accepted too. Only HS256/384/512 verify; `exp` and `nbf` are checked when present.

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde_json::Value;

use crate::config::AuthMode;

/// Seconds of clock difference tolerated on `exp` and `nbf`.
pub const JWT_LEEWAY_SECS: u64 = 60;
/// Watson's limit on the Secret field.
pub const MAX_SECRET_CHARS: usize = 1_024;

/// A secret that never prints itself.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// A secret of 1 to 1,024 characters, as Watson's Secret field allows.
    pub fn new(text: impl Into<String>) -> Result<Self, AuthError> {
        let text = text.into();
        let chars = text.chars().count();
        if chars == 0 {
            return Err(AuthError::BadSecret("the secret is empty".into()));
        }
        if chars > MAX_SECRET_CHARS {
            return Err(AuthError::BadSecret(format!(
                "the secret has {chars} characters; Watson allows at most {MAX_SECRET_CHARS}"
            )));
        }
        Ok(Self(text))
    }

    /// Reads a secret file; one trailing line break (as editors and `echo` leave) is not part of it.
    pub fn from_file_text(text: &str) -> Result<Self, AuthError> {
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        Self::new(text)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What looks accidental in the secret's text: a byte-order mark, or white space (a space, a tab,
    /// a second line break) before or after it, as editors and copy-paste leave. Watson's Secret
    /// field is typed by a person, so such a secret almost never matches what Watson signs with.
    pub fn padding(&self) -> Option<&'static str> {
        let text = self.0.as_str();
        if text.starts_with('\u{feff}') {
            Some("starts with a byte-order mark")
        } else if text.ends_with(['\n', '\r']) {
            Some("ends with a line break")
        } else if text.ends_with(char::is_whitespace) {
            Some("ends with white space")
        } else if text.starts_with(char::is_whitespace) {
            Some("starts with white space")
        } else {
            None
        }
    }

    /// The secret without what [`Secret::padding`] names.
    fn unpadded(&self) -> &str {
        self.0.trim_start_matches('\u{feff}').trim()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

/// How one endpoint checks its requests.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Watson's default: an HMAC-signed JWT in `Authorization`.
    Jwt(Secret),
    /// The user set their own `Authorization` header in Watson; it must equal this value.
    Header(Secret),
    /// Accept everything, marked unverified.
    None,
}

impl Auth {
    /// The secret the mode checks against, if it has one.
    pub fn secret(&self) -> Option<&Secret> {
        match self {
            Self::Jwt(secret) | Self::Header(secret) => Some(secret),
            Self::None => None,
        }
    }

    /// The mode this check is made in.
    pub fn auth_mode(&self) -> AuthMode {
        match self {
            Self::Jwt(_) => AuthMode::Jwt,
            Self::Header(_) => AuthMode::Header,
            Self::None => AuthMode::None,
        }
    }

    /// The mode's name, as stored with each event: `jwt`, `header` or `none`.
    pub fn mode(&self) -> &'static str {
        self.auth_mode().as_str()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("{0}")]
    BadSecret(String),
    #[error("missing Authorization header")]
    Missing,
    #[error("Authorization header is not a JWT: {0}")]
    Malformed(String),
    #[error("JWT algorithm {0} is not accepted; only HS256, HS384 and HS512 are")]
    Algorithm(String),
    #[error("JWT signature does not match the secret")]
    Signature,
    /// The signature matches the secret without its padding: the likely cause, named.
    #[error(
        "JWT signature does not match the secret, but matches it without its padding: the configured secret {0}; remove that from the secret file"
    )]
    PaddedSecret(&'static str),
    #[error("JWT has expired")]
    Expired,
    #[error("JWT is not valid yet (nbf is in the future)")]
    NotYetValid,
    #[error("JWT rejected: {0}")]
    Invalid(String),
    #[error("Authorization header does not match the configured value")]
    HeaderMismatch,
}

/// What a successful check learned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verified {
    pub verified: bool,
    pub token: Option<DecodedToken>,
}

/// A JWT's header and claims, decoded without trusting them, for display.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    pub header: Value,
    pub claims: Value,
}

/// Decodes a token's header and claims, signature unchecked. `None` if it is not three base64url
/// JSON parts.
pub fn decode_unverified(token: &str) -> Option<DecodedToken> {
    let mut parts = token.split('.');
    let (header, claims, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let part = |s: &str| -> Option<Value> {
        let bytes = URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()?;
        serde_json::from_slice(&bytes).ok()
    };
    Some(DecodedToken {
        header: part(header)?,
        claims: part(claims)?,
    })
}

/// The token in an `Authorization` value: trimmed, with an optional case-insensitive `Bearer `.
pub fn token_of(authorization: &str) -> &str {
    let value = authorization.trim();
    if value.eq_ignore_ascii_case("bearer") {
        return "";
    }
    match value.get(..7) {
        Some(prefix) if prefix.eq_ignore_ascii_case("bearer ") => value[7..].trim_start(),
        _ => value,
    }
}

/// Checks one request's `Authorization` value (if any) against `auth`. On failure, the decoded token
/// (if any) is returned beside the error so the rejection can show it.
pub fn check(
    auth: &Auth,
    authorization: Option<&str>,
) -> Result<Verified, (AuthError, Option<Box<DecodedToken>>)> {
    match auth {
        Auth::None => Ok(Verified {
            verified: false,
            token: authorization.and_then(|a| decode_unverified(token_of(a))),
        }),
        Auth::Header(expected) => {
            let value = authorization.ok_or((AuthError::Missing, None))?;
            // HTTP cannot carry white space around a header value, so a padded secret is
            // compared without it (and `serve` warns about it at start-up).
            if constant_time_eq::constant_time_eq(
                value.trim().as_bytes(),
                expected.unpadded().as_bytes(),
            ) {
                Ok(Verified {
                    verified: true,
                    token: None,
                })
            } else {
                Err((AuthError::HeaderMismatch, None))
            }
        }
        Auth::Jwt(secret) => {
            let value = authorization.ok_or((AuthError::Missing, None))?;
            let token = token_of(value);
            let decoded = decode_unverified(token);
            match verify_jwt(secret, token) {
                Ok(()) => Ok(Verified {
                    verified: true,
                    token: decoded,
                }),
                Err(AuthError::Signature) => {
                    // Name the likely cause, but still refuse: the secret is what the user set.
                    let err = match secret.padding() {
                        Some(padding)
                            if Secret::new(secret.unpadded())
                                .is_ok_and(|bare| verify_jwt(&bare, token).is_ok()) =>
                        {
                            AuthError::PaddedSecret(padding)
                        }
                        _ => AuthError::Signature,
                    };
                    Err((err, decoded.map(Box::new)))
                }
                Err(err) => Err((err, decoded.map(Box::new))),
            }
        }
    }
}

fn verify_jwt(secret: &Secret, token: &str) -> Result<(), AuthError> {
    if token.is_empty() {
        return Err(AuthError::Missing);
    }
    let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
        // An unknown or absent algorithm ("none", "HS1024") fails header parsing.
        ErrorKind::Json(_) => match decode_unverified(token).and_then(|t| {
            t.header
                .get("alg")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }) {
            Some(alg) => AuthError::Algorithm(alg),
            None => AuthError::Malformed(e.to_string()),
        },
        _ => AuthError::Malformed(e.to_string()),
    })?;
    if !matches!(
        header.alg,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    ) {
        return Err(AuthError::Algorithm(format!("{:?}", header.alg)));
    }
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.validate_aud = false;
    validation.leeway = JWT_LEEWAY_SECS;
    let key = DecodingKey::from_secret(secret.expose().as_bytes());
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map(|_| ())
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => AuthError::Signature,
            ErrorKind::ExpiredSignature => AuthError::Expired,
            ErrorKind::ImmatureSignature => AuthError::NotYetValid,
            ErrorKind::InvalidToken
            | ErrorKind::Base64(_)
            | ErrorKind::Json(_)
            | ErrorKind::Utf8(_) => AuthError::Malformed(e.to_string()),
            _ => AuthError::Invalid(e.to_string()),
        })
}

/// Signs a body the way Watson does: HS256 with the secret's UTF-8 bytes, `iat` now, `exp` in 5 minutes.
pub fn sign(secret: &Secret, now_secs: i64) -> String {
    let claims = serde_json::json!({ "iat": now_secs, "exp": now_secs + 300 });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.expose().as_bytes()),
    )
    .expect("HS256 signing cannot fail")
}

/// Header names whose values are credentials: stored and shown as `[redacted]`.
const REDACTED_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
];

/// `[[name, value], ...]` as JSON, credential values replaced by a note of their shape and length.
pub fn redacted_headers<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let list: Vec<(String, String)> = headers
        .map(|(name, value)| {
            let value = if REDACTED_HEADERS
                .iter()
                .any(|h| name.eq_ignore_ascii_case(h))
            {
                redact(value)
            } else {
                value.to_owned()
            };
            (name.to_owned(), value)
        })
        .collect();
    serde_json::to_string(&list).expect("headers serialise")
}

fn redact(value: &str) -> String {
    let scheme = value.trim().split_once(' ').map(|(s, _)| s).filter(|s| {
        ["bearer", "basic", "digest", "apikey"]
            .iter()
            .any(|k| s.eq_ignore_ascii_case(k))
    });
    let n = value.chars().count();
    match scheme {
        Some(scheme) => format!("{scheme} [redacted, {n} characters]"),
        None => format!("[redacted, {n} characters]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> Secret {
        Secret::new("purple unicorn").unwrap()
    }

    fn token(alg: Algorithm, key: &str, claims: Value) -> String {
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(alg),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(key.as_bytes()),
        )
        .unwrap()
    }

    fn now() -> i64 {
        chrono::Utc::now().timestamp()
    }

    #[test]
    fn a_padded_secret_is_named_as_the_likely_cause_and_still_refused() {
        let now = now();
        for (file_text, padding) in [
            ("purple unicorn \n", "ends with white space"),
            ("purple unicorn\n\n", "ends with a line break"),
            ("\u{feff}purple unicorn\n", "starts with a byte-order mark"),
            ("\tpurple unicorn", "starts with white space"),
        ] {
            let padded = Secret::from_file_text(file_text).unwrap();
            assert_eq!(padded.padding(), Some(padding), "{file_text:?}");
            // Watson signs with what the person typed: the secret without the padding.
            let token = sign(&secret(), now);
            let (err, _) = check(&Auth::Jwt(padded.clone()), Some(&token)).unwrap_err();
            assert_eq!(err, AuthError::PaddedSecret(padding));
            assert!(err.to_string().contains(padding), "{err}");
            // A token signed with another secret is not blamed on the padding.
            let other = sign(&Secret::new("another").unwrap(), now);
            let (err, _) = check(&Auth::Jwt(padded.clone()), Some(&other)).unwrap_err();
            assert_eq!(err, AuthError::Signature);
            // HTTP cannot carry the padding in a header value: header mode matches without it.
            assert!(check(&Auth::Header(padded), Some("purple unicorn")).is_ok());
        }
        assert_eq!(secret().padding(), None);
        assert_eq!(
            Secret::from_file_text("purple unicorn\r\n")
                .unwrap()
                .padding(),
            None
        );
    }

    #[test]
    fn accepts_every_hmac_algorithm_bare_or_bearer() {
        for alg in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
            let t = token(alg, "purple unicorn", serde_json::json!({"iat": now()}));
            for value in [
                t.clone(),
                format!("Bearer {t}"),
                format!("bEaReR   {t}"),
                format!(" {t} "),
            ] {
                let ok = check(&Auth::Jwt(secret()), Some(&value)).unwrap();
                assert!(ok.verified);
                assert_eq!(ok.token.unwrap().header["alg"], format!("{alg:?}"));
            }
        }
    }

    #[test]
    fn claims_are_optional_but_exp_and_nbf_are_checked() {
        let t = token(Algorithm::HS256, "purple unicorn", serde_json::json!({}));
        assert!(check(&Auth::Jwt(secret()), Some(&t)).is_ok());
        let expired = token(
            Algorithm::HS256,
            "purple unicorn",
            serde_json::json!({"exp": now() - 3600}),
        );
        assert_eq!(
            check(&Auth::Jwt(secret()), Some(&expired)).unwrap_err().0,
            AuthError::Expired
        );
        let within_leeway = token(
            Algorithm::HS256,
            "purple unicorn",
            serde_json::json!({"exp": now() - 10}),
        );
        assert!(check(&Auth::Jwt(secret()), Some(&within_leeway)).is_ok());
        let early = token(
            Algorithm::HS256,
            "purple unicorn",
            serde_json::json!({"nbf": now() + 3600}),
        );
        assert_eq!(
            check(&Auth::Jwt(secret()), Some(&early)).unwrap_err().0,
            AuthError::NotYetValid
        );
    }

    #[test]
    fn refuses_wrong_secret_none_algorithm_garbage_and_absence() {
        let other = token(
            Algorithm::HS256,
            "another secret",
            serde_json::json!({"iat": 1}),
        );
        let (err, decoded) = check(&Auth::Jwt(secret()), Some(&other)).unwrap_err();
        assert_eq!(err, AuthError::Signature);
        assert_eq!(decoded.unwrap().claims["iat"], 1);

        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(br#"{"iat":1}"#)
        );
        assert_eq!(
            check(&Auth::Jwt(secret()), Some(&none)).unwrap_err().0,
            AuthError::Algorithm("none".into())
        );

        let rs = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256"}"#),
            URL_SAFE_NO_PAD.encode(br#"{}"#)
        );
        assert!(matches!(
            check(&Auth::Jwt(secret()), Some(&rs)).unwrap_err().0,
            AuthError::Algorithm(_)
        ));
        assert!(matches!(
            check(&Auth::Jwt(secret()), Some("purple unicorn"))
                .unwrap_err()
                .0,
            AuthError::Malformed(_)
        ));
        assert_eq!(
            check(&Auth::Jwt(secret()), None).unwrap_err().0,
            AuthError::Missing
        );
        assert_eq!(
            check(&Auth::Jwt(secret()), Some("Bearer ")).unwrap_err().0,
            AuthError::Missing
        );
    }

    #[test]
    fn header_mode_compares_the_whole_value() {
        let auth = Auth::Header(Secret::new("Basic dXNlcjpwYXNz").unwrap());
        assert!(check(&auth, Some("Basic dXNlcjpwYXNz")).unwrap().verified);
        assert_eq!(
            check(&auth, Some("Basic dXNlcjpwYXN")).unwrap_err().0,
            AuthError::HeaderMismatch
        );
        assert_eq!(check(&auth, None).unwrap_err().0, AuthError::Missing);
    }

    #[test]
    fn none_mode_accepts_unverified() {
        assert!(!check(&Auth::None, None).unwrap().verified);
    }

    #[test]
    fn secrets_are_bounded_and_never_printed() {
        assert!(Secret::new("").is_err());
        assert!(Secret::new("x".repeat(1024)).is_ok());
        assert!(Secret::new("x".repeat(1025)).is_err());
        assert_eq!(Secret::from_file_text("abc\r\n").unwrap().expose(), "abc");
        assert!(!format!("{:?}", secret()).contains("unicorn"));
    }

    #[test]
    fn signed_tokens_verify() {
        let t = sign(&secret(), now());
        assert!(check(&Auth::Jwt(secret()), Some(&t)).unwrap().verified);
    }

    /// Found by the `auth` fuzz target (crash b1823471): a value that is itself a redacted header list.
    #[test]
    fn redacting_a_value_that_looks_like_its_own_redaction() {
        let value = r#"[["Authorization","[redacted, 47 characters]"]]"#;
        let json = redacted_headers([("Authorization", value)].into_iter());
        assert_eq!(json, r#"[["Authorization","[redacted, 47 characters]"]]"#);
        let stored: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
        assert_eq!(
            stored[0].1, "[redacted, 47 characters]",
            "only the note is kept, not the value"
        );
    }

    #[test]
    fn credentials_are_redacted() {
        let json = redacted_headers(
            [
                ("Authorization", "Bearer eyJabc.def.ghi"),
                ("X-Custom", "kept"),
                ("cookie", "a=b"),
            ]
            .into_iter(),
        );
        assert!(!json.contains("eyJ"), "{json}");
        assert!(!json.contains("a=b"), "{json}");
        assert!(json.contains("Bearer [redacted, 21 characters]"), "{json}");
        assert!(json.contains("kept"));
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn checking_any_header_never_panics_and_never_verifies_garbage(value in ".{0,300}") {
            let auth = Auth::Jwt(Secret::new("purple unicorn").unwrap());
            prop_assert!(check(&auth, Some(&value)).is_err());
            let _ = decode_unverified(&value);
            let _ = check(&Auth::Header(Secret::new("x").unwrap()), Some(&value));
        }

        #[test]
        fn tokens_made_of_base64_parts_never_panic(a in "[A-Za-z0-9_-]{0,60}", b in "[A-Za-z0-9_-]{0,60}", c in "[A-Za-z0-9_-]{0,60}") {
            let token = format!("{a}.{b}.{c}");
            let auth = Auth::Jwt(Secret::new("purple unicorn").unwrap());
            prop_assert!(check(&auth, Some(&token)).is_err());
        }

        #[test]
        fn a_signed_token_verifies_with_its_secret_only(secret in "[ -~]{1,64}", other in "[ -~]{1,64}") {
            let secret = Secret::new(secret).unwrap();
            let token = sign(&secret, chrono::Utc::now().timestamp());
            prop_assert!(check(&Auth::Jwt(secret.clone()), Some(&token)).is_ok());
            let other = Secret::new(other).unwrap();
            prop_assert_eq!(check(&Auth::Jwt(other.clone()), Some(&token)).is_ok(), other == secret);
        }

        #[test]
        fn redaction_never_keeps_the_value(value in "[!-~]{8,80}") {
            prop_assume!(!"[\"Authorization\",\"[redacted, 0123456789 characters]\"]".contains(&value));
            let json = redacted_headers([("Authorization", value.as_str())].into_iter());
            prop_assert!(!json.contains(&value));
        }
    }
}
