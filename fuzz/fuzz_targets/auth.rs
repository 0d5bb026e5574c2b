//! An Authorization header: checking it must never panic, and nothing but a token signed with the
//! secret may verify; redaction must never keep the value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logbook_core::auth::{Auth, Secret, check, decode_unverified, redacted_headers, token_of};

fuzz_target!(|data: &[u8]| {
    let Ok(value) = std::str::from_utf8(data) else { return };
    let secret = Secret::new("purple unicorn").unwrap();
    assert!(check(&Auth::Jwt(secret), Some(value)).is_err(), "an unsigned value verified");
    let _ = check(&Auth::Header(Secret::new("Basic x").unwrap()), Some(value));
    let _ = decode_unverified(token_of(value));
    // What is stored is "[redacted, N characters]", after the scheme when there is one, and nothing
    // of the value itself.
    let json = redacted_headers([("Authorization", value)].into_iter());
    let stored: Vec<(String, String)> = serde_json::from_str(&json).unwrap();
    let note = format!("[redacted, {} characters]", value.chars().count());
    let kept = stored[0].1.strip_suffix(&note).expect("the redaction note");
    assert!(kept.is_empty() || value.trim_start().starts_with(kept.trim_end()), "kept {kept:?}");
    assert!(kept.len() <= "digest ".len(), "kept more than a scheme: {kept:?}");
});
