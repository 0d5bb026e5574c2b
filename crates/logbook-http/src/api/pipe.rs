//! A bounded in-memory pipe: an export writes into one end on its own thread while tiny_http sends
//! the other end to the client, so a download of any size holds a few chunks, never the file.

use std::io::{self, Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, sync_channel};
use std::time::Duration;

/// Bytes gathered before a chunk is handed over.
const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks in flight: with [`CHUNK_BYTES`], the most a download holds in memory.
const CHUNKS_IN_FLIGHT: usize = 4;

enum Piece {
    Data(Vec<u8>),
    /// The writer finished cleanly: the reader may end the body.
    Done,
    Failed(String),
}

/// The reading end ends with an error, never a clean end of file, when the writer failed, vanished
/// without [`PipeWriter::finish`], or `stopping` was set: a cut-off download must not look complete.
pub(super) fn pipe(stopping: Arc<AtomicBool>) -> (PipeReader, PipeWriter) {
    let (tx, rx) = sync_channel(CHUNKS_IN_FLIGHT);
    (
        PipeReader {
            rx,
            chunk: Vec::new(),
            pos: 0,
            done: false,
            stopping,
        },
        PipeWriter {
            tx,
            buf: Vec::with_capacity(CHUNK_BYTES),
        },
    )
}

pub(super) struct PipeWriter {
    tx: SyncSender<Piece>,
    buf: Vec<u8>,
}

impl PipeWriter {
    fn send_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES));
        self.tx
            .send(Piece::Data(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }

    /// Ends the body: cleanly after `Ok`, as a failed transfer after `Err`.
    pub fn finish(mut self, result: Result<(), String>) {
        let last = match result.and_then(|()| self.send_buf().map_err(|e| e.to_string())) {
            Ok(()) => Piece::Done,
            Err(message) => Piece::Failed(message),
        };
        let _ = self.tx.send(last);
    }
}

impl Write for PipeWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK_BYTES {
            self.send_buf()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_buf()
    }
}

pub(super) struct PipeReader {
    rx: Receiver<Piece>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
    stopping: Arc<AtomicBool>,
}

impl Read for PipeReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            if self.stopping.load(Ordering::Relaxed) {
                return Err(io::Error::other("the server is stopping"));
            }
            match self
                .rx
                .recv_timeout(Duration::from_millis(crate::plumbing::STOP_CHECK_MS))
            {
                Ok(Piece::Data(chunk)) => (self.chunk, self.pos) = (chunk, 0),
                Ok(Piece::Done) => self.done = true,
                Ok(Piece::Failed(message)) => return Err(io::Error::other(message)),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(io::Error::other("the export stopped unfinished"));
                }
            }
        }
        let n = out.len().min(self.chunk.len() - self.pos);
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_cross_in_order_and_end_cleanly() {
        let (mut reader, mut writer) = pipe(Arc::default());
        let producer = std::thread::spawn(move || {
            for i in 0..100_000u32 {
                writer.write_all(&i.to_le_bytes()).unwrap();
            }
            writer.finish(Ok(()));
        });
        let mut all = Vec::new();
        reader.read_to_end(&mut all).unwrap();
        producer.join().unwrap();
        assert_eq!(all.len(), 400_000);
        assert_eq!(&all[399_996..], &99_999u32.to_le_bytes());
    }

    #[test]
    fn a_failed_or_vanished_writer_is_an_error_not_an_end() {
        let (mut reader, mut writer) = pipe(Arc::default());
        writer.write_all(b"half").unwrap();
        writer.finish(Err("disk on fire".into()));
        let mut all = Vec::new();
        let err = reader.read_to_end(&mut all).unwrap_err();
        assert!(err.to_string().contains("disk on fire"));

        let (mut reader, writer) = pipe(Arc::default());
        drop(writer);
        assert!(reader.read_to_end(&mut Vec::new()).is_err());
    }

    #[test]
    fn a_gone_reader_stops_the_writer() {
        let (reader, mut writer) = pipe(Arc::default());
        drop(reader);
        let big = vec![0u8; CHUNK_BYTES];
        assert_eq!(
            writer.write_all(&big).unwrap_err().kind(),
            io::ErrorKind::BrokenPipe
        );
    }
}
