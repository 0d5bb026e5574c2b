use std::io::Result as IoResult;
use std::io::{Error as IoError, ErrorKind, Read};
use std::sync::Arc;

use super::BodyState;

/// A `Reader` that reads exactly the number of bytes from a sub-reader.
///
/// If the limit is reached, it returns EOF.
///
/// Patched for Assistant Logbook: if the limit is not reached when the reader is dropped, the rest is
/// NOT read and thrown away any more (that drain had no deadline: a client trickling one byte every few
/// seconds after its 413 or 408 held a worker forever, and 32 of them held every worker). The shared
/// `BodyState` records whether the body was read to its end; if not, the answer says
/// `Connection: close` and the connection is closed. An early end of the stream is an error
/// (`UnexpectedEof`), not a short body.
pub struct EqualReader<R>
where
    R: Read,
{
    reader: R,
    size: usize,
    state: Arc<BodyState>,
}

impl<R> EqualReader<R>
where
    R: Read,
{
    pub fn new(reader: R, size: usize, state: Arc<BodyState>) -> EqualReader<R> {
        if size == 0 {
            state.set_complete();
        }
        EqualReader {
            reader,
            size,
            state,
        }
    }
}

impl<R> Read for EqualReader<R>
where
    R: Read,
{
    fn read(&mut self, buf: &mut [u8]) -> IoResult<usize> {
        if self.size == 0 || buf.is_empty() {
            return Ok(0);
        }

        let buf = if buf.len() < self.size {
            buf
        } else {
            &mut buf[..self.size]
        };

        match self.reader.read(buf) {
            Ok(0) => {
                self.state.set_malformed();
                Err(IoError::new(
                    ErrorKind::UnexpectedEof,
                    "the connection ended before the whole Content-Length body",
                ))
            }
            Ok(len) => {
                self.size -= len;
                if self.size == 0 {
                    self.state.set_complete();
                }
                Ok(len)
            }
            err @ Err(_) => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyState, EqualReader};
    use std::io::Read;

    #[test]
    fn test_limit() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());
        let state = BodyState::new(false);

        {
            let mut equal_reader = EqualReader::new(org_reader.by_ref(), 5, state.clone());

            let mut string = String::new();
            equal_reader.read_to_string(&mut string).unwrap();
            assert_eq!(string, "hello");
        }
        assert!(state.is_complete());

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, " world");
    }

    #[test]
    fn test_not_enough_is_not_drained() {
        use std::io::Cursor;

        let mut org_reader = Cursor::new("hello world".to_string().into_bytes());
        let state = BodyState::new(false);

        {
            let mut equal_reader = EqualReader::new(org_reader.by_ref(), 5, state.clone());

            let mut vec = [0];
            equal_reader.read_exact(&mut vec).unwrap();
            assert_eq!(vec[0], b'h');
        }
        assert!(!state.is_complete());
        assert!(state.must_close());

        let mut string = String::new();
        org_reader.read_to_string(&mut string).unwrap();
        assert_eq!(string, "ello world");
    }
}
