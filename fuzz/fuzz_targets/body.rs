//! A webhook body: the envelope check and everything derived from it must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok((kind, value)) = logbook_core::watson::parse_envelope(data) {
        let _ = logbook_core::watson::derive::derive(&kind, &value);
        for kind in ["message_logged", "cdr_logged"] {
            let _ = logbook_core::watson::derive::derive(kind, &value);
        }
    }
});
