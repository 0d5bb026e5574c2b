//! The one name normaliser: the form in which Logbook stores and queries Watson's enumerated values
//! whose spelling IBM's documents disagree on (`end_reason`: `callerHangup` in the 2021 example,
//! `caller_hangup` in the current table).
//!
//! The ingest side ([`super::derive`], into `calls.end_reason`), the query side
//! (`end_reason:` in `query/parse.rs`) and the migration that re-normalised old databases
//! (`store/mod.rs`) all call [`normalise_name`], so a value and the query for it always meet.

/// `callerHangup`, `CallerHangup`, `caller_hangup`, `caller-hangup`, `CALLER_HANGUP` → `caller_hangup`.
///
/// Rules, in order:
/// 1. Surrounding whitespace is dropped; `-`, `.`, spaces and `_` all separate words.
/// 2. A word also starts at an uppercase letter that follows a lowercase letter or a digit
///    (`callerHangup`, `transfer2Agent`), and at the last uppercase letter of a run of capitals
///    that a lowercase letter follows (`SIPTimeout` → `SIP` + `Timeout`). A run of capitals is
///    one word: an acronym (`HTTPError` → `http_error`, `SIP_TIMEOUT` → `sip_timeout`). A capital
///    alone at the end stays a word of its own (`RTPTimeoutX` → `rtp_timeout_x`).
/// 3. Words are lowercased and joined by one `_`; empty words vanish (`a__b`, `_a_` → `a_b`, `a`).
///
/// It is idempotent: a normalised name normalises to itself.
pub fn normalise_name(raw: &str) -> String {
    let chars: Vec<char> = raw.trim().chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == '.' || c.is_whitespace() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_uppercase() && !word.is_empty() {
            let prev = chars[i - 1];
            let next = chars.get(i + 1).copied();
            let starts_word = prev.is_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_uppercase() && next.is_some_and(char::is_lowercase));
            if starts_word {
                words.push(std::mem::take(&mut word));
            }
        }
        word.extend(c.to_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words.join("_")
}

#[cfg(test)]
pub(crate) mod tests {
    use proptest::prelude::*;

    use super::normalise_name;

    /// Every spelling on a line normalises to the line's first column. The values of IBM's CDR
    /// reference (`end_reason` table and its 2021 example, `request.type`, `response[].type`),
    /// then invented acronym-bearing ones.
    pub(crate) const TABLE: &[(&str, &[&str])] = &[
        // `call.end_reason`, the current table.
        (
            "assistant_transfer",
            &[
                "assistant_transfer",
                "assistantTransfer",
                "AssistantTransfer",
                "ASSISTANT_TRANSFER",
            ],
        ),
        (
            "assistant_hangup",
            &["assistant_hangup", "assistantHangup", "Assistant-Hangup"],
        ),
        (
            "caller_hangup",
            &[
                "caller_hangup",
                "callerHangup",
                "CallerHangup",
                "caller-hangup",
                "CALLER_HANGUP",
                " callerHangup ",
            ],
        ),
        ("failed", &["failed", "Failed", "FAILED"]),
        // `request.type` and `response[].type` values, already snake: unchanged.
        (
            "speech_to_text_result_filtered",
            &[
                "speech_to_text_result_filtered",
                "speechToTextResultFiltered",
            ],
        ),
        (
            "mrcp_recognition_unsuccessful",
            &[
                "mrcp_recognition_unsuccessful",
                "MRCPRecognitionUnsuccessful",
                "mrcpRecognitionUnsuccessful",
            ],
        ),
        (
            "enable_dtmf_barge_in",
            &[
                "enable_dtmf_barge_in",
                "enableDTMFBargeIn",
                "EnableDtmfBargeIn",
            ],
        ),
        (
            "text_to_speech",
            &["text_to_speech", "textToSpeech", "TEXT_TO_SPEECH"],
        ),
        // Invented, acronym-bearing.
        (
            "sip_timeout",
            &[
                "SIPTimeout",
                "sip_timeout",
                "SIP_TIMEOUT",
                "sipTimeout",
                "SipTimeout",
                "sip-timeout",
            ],
        ),
        (
            "http_error",
            &["HTTPError", "http_error", "HTTP_ERROR", "httpError"],
        ),
        (
            "rtp_timeout_x",
            &["RTPTimeoutX", "rtp_timeout_x", "RTP_TIMEOUT_X"],
        ),
        ("sip_404_error", &["SIP_404_Error", "sip_404_error"]),
        (
            "sip404_error",
            &["SIP404Error", "sip404Error", "sip404_error"],
        ),
        (
            "caller_hangup_sip",
            &["callerHangupSIP", "caller_hangup_SIP"],
        ),
        (
            "tls_handshake_failed",
            &["TLSHandshakeFailed", "tls.handshake.failed"],
        ),
        ("transfer2_agent", &["transfer2Agent", "transfer2_agent"]),
        ("a", &["A", "a", "_a_"]),
        ("", &["", "  ", "_", "--"]),
    ];

    #[test]
    fn every_spelling_in_the_table_normalises_to_its_name() {
        for (name, spellings) in TABLE {
            assert_eq!(normalise_name(name), *name, "{name} is already normal");
            for spelling in *spellings {
                assert_eq!(normalise_name(spelling), *name, "{spelling:?}");
            }
        }
    }

    #[test]
    fn the_old_ingest_split_is_gone() {
        // Before, ingest stored `SIPTimeout` as `s_i_p_timeout` and `SIP_TIMEOUT` as
        // `s_i_p_t_i_m_e_o_u_t`, while the query looked for `sip_timeout`.
        assert_eq!(normalise_name("SIPTimeout"), "sip_timeout");
        assert_eq!(normalise_name("SIP_TIMEOUT"), "sip_timeout");
        assert_ne!(
            normalise_name("s_i_p_timeout"),
            "sip_timeout",
            "old stored values are not a spelling"
        );
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(raw in "[a-zA-Z0-9_ .-]{0,24}") {
            let once = normalise_name(&raw);
            prop_assert_eq!(normalise_name(&once), once.clone());
            prop_assert!(!once.contains("__") && !once.starts_with('_') && !once.ends_with('_'));
            prop_assert!(!once.chars().any(char::is_uppercase));
        }

        #[test]
        fn never_panics(raw in any::<String>()) {
            let _ = normalise_name(&raw);
        }
    }
}
