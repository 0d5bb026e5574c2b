//! A webhook body: the envelope check and everything derived from it must never panic, and the
//! acknowledgement path's envelope reader accepts exactly what the full parse accepts, with its name.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let envelope = logbook_core::watson::read_envelope(data);
    match logbook_core::watson::parse_envelope(data) {
        Ok((kind, value)) => {
            assert_eq!(envelope.map(|e| e.kind).as_deref(), Ok(kind.as_str()));
            let _ = logbook_core::watson::derive::derive(&kind, &value);
            for kind in ["message_logged", "cdr_logged"] {
                let _ = logbook_core::watson::derive::derive(kind, &value);
            }
        }
        Err(reason) => assert_eq!(envelope.map(|e| e.kind), Err(reason)),
    }
});
