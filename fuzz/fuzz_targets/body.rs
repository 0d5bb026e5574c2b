//! A webhook body: the envelope check and everything derived from it must never panic; the
//! acknowledgement path's envelope reader accepts exactly what the full parse accepts, with its name;
//! and the deriver's borrowing tree derives exactly the rows serde_json's tree does.
#![no_main]

use libfuzzer_sys::fuzz_target;
use logbook_core::watson::derive::derive;
use logbook_core::watson::json::Borrowed;
use logbook_core::watson::parse_envelope;

fuzz_target!(|data: &[u8]| {
    let envelope = logbook_core::watson::read_envelope(data);
    let borrowed = parse_envelope::<Borrowed>(data);
    match parse_envelope::<serde_json::Value>(data) {
        Ok((kind, value)) => {
            assert_eq!(envelope.map(|e| e.kind).as_deref(), Ok(kind.as_str()));
            let (borrowed_kind, borrowed) = borrowed.expect("both trees accept the same bodies");
            assert_eq!(borrowed_kind, kind);
            for kind in [kind.as_str(), "message_logged", "cdr_logged"] {
                assert_eq!(derive(kind, &value), derive(kind, &borrowed));
            }
        }
        Err(reason) => {
            assert_eq!(borrowed.err().as_ref(), Some(&reason));
            assert_eq!(envelope.map(|e| e.kind), Err(reason));
        }
    }
});
