//! The TLS record layer over one direction's byte stream: splits the stream
//! into records incrementally, checking each header before buffering a body.

use alloc::vec::Vec;

use super::error::TlsError;

/// Largest record body accepted: 2^14 plus the 2048 bytes of expansion TLS
/// 1.2 allows (TLS 1.3 allows only 256, so this bound covers both).
pub const MAX_RECORD_LEN: usize = (1 << 14) + 2048;
/// Size of a record header: type, version, length.
pub const RECORD_HEADER_LEN: usize = 5;

/// `change_cipher_spec`.
pub const CONTENT_CHANGE_CIPHER_SPEC: u8 = 20;
/// `alert`.
pub const CONTENT_ALERT: u8 = 21;
/// `handshake`.
pub const CONTENT_HANDSHAKE: u8 = 22;
/// `application_data`.
pub const CONTENT_APPLICATION_DATA: u8 = 23;
/// `heartbeat`.
pub const CONTENT_HEARTBEAT: u8 = 24;

/// True when `first_bytes` (the start of a TCP stream, possibly only a few
/// bytes of it) can be the start of a TLS ClientHello record: lets a decoder
/// pick the connections to hand to [`super::TlsConnection`] whatever the port.
pub fn looks_like_client_hello(first_bytes: &[u8]) -> bool {
    let ok = |i: usize, b: u8| match i {
        0 => b == CONTENT_HANDSHAKE,
        1 => b == 3,
        2 => b <= 4,
        3 => usize::from(b) << 8 <= MAX_RECORD_LEN,
        5 => b == 1,
        _ => true,
    };
    !first_bytes.is_empty()
        && first_bytes
            .iter()
            .take(6)
            .enumerate()
            .all(|(i, &b)| ok(i, b))
}

/// One record, as read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Offset of the header in the direction's stream.
    pub(crate) offset: u64,
    pub(crate) content_type: u8,
    pub(crate) version: u16,
    pub(crate) payload: Vec<u8>,
    /// Set on the first record found after a gap: how many stream bytes were
    /// lost or skipped just before it.
    pub(crate) lost_before: Option<u64>,
}

/// Bytes kept while looking for records after a gap: two records' worth, so a
/// candidate header can be confirmed by the header that follows it.
const RESYNC_WINDOW: usize = 2 * (RECORD_HEADER_LEN + MAX_RECORD_LEN) + RECORD_HEADER_LEN;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Mode {
    #[default]
    Normal,
    /// After a gap: looking for a record header, `lost` bytes so far.
    Resync { lost: u64 },
    /// After a bad header: the stream is not TLS (or not ours); skip it all.
    Failed,
}

/// Splits one direction's stream into records.
#[derive(Debug, Default)]
pub(crate) struct RecordReader {
    /// Bytes of an incomplete record (at most header + [`MAX_RECORD_LEN`]),
    /// or the search window after a gap (at most `RESYNC_WINDOW`).
    partial: Vec<u8>,
    /// Stream offset of `partial[0]` (the first byte not yet returned).
    offset: u64,
    mode: Mode,
    /// Record version of the last good record (to recognise headers after a gap).
    last_version: Option<u16>,
    /// Lost bytes to report on the next record.
    lost_before: Option<u64>,
}

impl RecordReader {
    /// The next complete record, taking bytes from the front of `input`.
    /// `None` means every byte of `input` has been consumed (and buffered if
    /// part of an incomplete record). After a header error, later calls
    /// consume the input and return `None`.
    pub(crate) fn next_record(&mut self, input: &mut &[u8]) -> Option<Result<Record, TlsError>> {
        loop {
            match self.mode {
                Mode::Failed => {
                    self.offset += input.len() as u64;
                    *input = &[];
                    return None;
                }
                Mode::Resync { lost } => {
                    if !self.resync(input, lost) {
                        return None;
                    }
                }
                Mode::Normal => return self.next_in_sync(input),
            }
        }
    }

    fn next_in_sync(&mut self, input: &mut &[u8]) -> Option<Result<Record, TlsError>> {
        // Fast path: a whole record at the front of `input`, nothing buffered.
        if self.partial.is_empty() && input.len() >= RECORD_HEADER_LEN {
            let header: [u8; RECORD_HEADER_LEN] = input[..RECORD_HEADER_LEN].try_into().ok()?;
            let len = match self.check_header(&header) {
                Ok(len) => len,
                Err(e) => return Some(Err(self.fail(e, input))),
            };
            if input.len() >= RECORD_HEADER_LEN + len {
                let payload = input[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len].to_vec();
                *input = &input[RECORD_HEADER_LEN + len..];
                return Some(Ok(self.emit(header, payload)));
            }
        }
        // Slow path: top up the partial record.
        let have = self.partial.len();
        if have < RECORD_HEADER_LEN {
            let take = (RECORD_HEADER_LEN - have).min(input.len());
            self.partial.extend_from_slice(&input[..take]);
            *input = &input[take..];
            if self.partial.len() < RECORD_HEADER_LEN {
                return None;
            }
        }
        let header: [u8; RECORD_HEADER_LEN] = self.partial[..RECORD_HEADER_LEN].try_into().ok()?;
        let len = match self.check_header(&header) {
            Ok(len) => len,
            Err(e) => return Some(Err(self.fail(e, input))),
        };
        let need = (RECORD_HEADER_LEN + len).saturating_sub(self.partial.len());
        let take = need.min(input.len());
        self.partial.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if take < need {
            return None;
        }
        let payload = self.partial[RECORD_HEADER_LEN..RECORD_HEADER_LEN + len].to_vec();
        // After a resync the window may hold bytes past this record.
        self.partial.drain(..RECORD_HEADER_LEN + len);
        Some(Ok(self.emit(header, payload)))
    }

    /// Marks `missing` bytes lost at the current position. The reader then
    /// looks for the next record: a plausible header (type, the version of
    /// the records before, length) followed, one record later, by another.
    pub(crate) fn gap(&mut self, missing: u64) -> Option<TlsError> {
        let offset = self.position();
        match self.mode {
            Mode::Failed => {
                self.offset += missing;
                None
            }
            Mode::Resync { lost } => {
                // Bytes before the gap can no longer confirm anything.
                let dropped = self.partial.len() as u64;
                self.offset = offset + missing;
                self.partial.clear();
                self.mode = Mode::Resync {
                    lost: lost + dropped + missing,
                };
                None
            }
            Mode::Normal => {
                let dropped = self.partial.len() as u64;
                self.offset = offset + missing;
                self.partial.clear();
                self.mode = Mode::Resync {
                    lost: dropped + missing,
                };
                Some(TlsError::StreamGap { offset, missing })
            }
        }
    }

    /// Moves input into the search window and looks for a record start.
    /// True when found (the reader is back in sync).
    fn resync(&mut self, input: &mut &[u8], mut lost: u64) -> bool {
        loop {
            let take = (RESYNC_WINDOW - self.partial.len()).min(input.len());
            self.partial.extend_from_slice(&input[..take]);
            *input = &input[take..];
            let (found, mut decided) = self.find_record_start();
            if found.is_none() && decided == 0 && self.partial.len() == RESYNC_WINDOW {
                // Cannot happen (a full window decides its first position);
                // move on rather than stall.
                decided = 1;
            }
            self.partial.drain(..decided);
            self.offset += decided as u64;
            lost += decided as u64;
            if found.is_some() {
                self.mode = Mode::Normal;
                self.lost_before = Some(lost);
                return true;
            }
            self.mode = Mode::Resync { lost };
            if input.is_empty() {
                return false;
            }
        }
    }

    /// Earliest confirmed record start in the window, and how many leading
    /// positions are known not to be one.
    fn find_record_start(&self) -> (Option<usize>, usize) {
        let w = &self.partial;
        for p in 0..w.len() {
            let Some(len) = self.plausible(&w[p..]) else {
                match w.len() - p {
                    n if n >= RECORD_HEADER_LEN => continue,
                    _ => return (None, p),
                }
            };
            let next = p + RECORD_HEADER_LEN + len;
            if w.len() < next + RECORD_HEADER_LEN {
                return (None, p);
            }
            if self.plausible(&w[next..]).is_some() {
                return (Some(p), p);
            }
        }
        (None, w.len())
    }

    /// The length field if `bytes` starts with a header that could follow the
    /// records seen so far.
    fn plausible(&self, bytes: &[u8]) -> Option<usize> {
        let h = bytes.get(..RECORD_HEADER_LEN)?;
        let version = u16::from_be_bytes([h[1], h[2]]);
        let len = usize::from(u16::from_be_bytes([h[3], h[4]]));
        let type_ok = (CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_APPLICATION_DATA).contains(&h[0]);
        let version_ok = match self.last_version {
            Some(v) => v == version,
            None => h[1] == 3 && h[2] <= 4,
        };
        (type_ok && version_ok && (1..=MAX_RECORD_LEN).contains(&len)).then_some(len)
    }

    /// An incomplete record left at the end of the stream, if any.
    pub(crate) fn truncated(&self) -> Option<TlsError> {
        (self.mode == Mode::Normal && !self.partial.is_empty()).then_some(TlsError::Truncated {
            offset: self.offset,
            buffered: self.partial.len(),
        })
    }

    /// Stream offset just past the last byte consumed.
    pub(crate) fn position(&self) -> u64 {
        self.offset + self.partial.len() as u64
    }

    fn check_header(&self, header: &[u8; RECORD_HEADER_LEN]) -> Result<usize, TlsError> {
        let offset = self.offset;
        let content_type = header[0];
        if !(CONTENT_CHANGE_CIPHER_SPEC..=CONTENT_HEARTBEAT).contains(&content_type) {
            return Err(TlsError::BadContentType {
                offset,
                content_type,
            });
        }
        let version = u16::from_be_bytes([header[1], header[2]]);
        if header[1] != 3 {
            return Err(TlsError::BadRecordVersion { offset, version });
        }
        let length = usize::from(u16::from_be_bytes([header[3], header[4]]));
        if length > MAX_RECORD_LEN {
            return Err(TlsError::RecordTooLong {
                offset,
                length,
                limit: MAX_RECORD_LEN,
            });
        }
        Ok(length)
    }

    fn emit(&mut self, header: [u8; RECORD_HEADER_LEN], payload: Vec<u8>) -> Record {
        let offset = self.offset;
        self.offset += (RECORD_HEADER_LEN + payload.len()) as u64;
        let version = u16::from_be_bytes([header[1], header[2]]);
        self.last_version = Some(version);
        Record {
            offset,
            content_type: header[0],
            version,
            payload,
            lost_before: self.lost_before.take(),
        }
    }

    fn fail(&mut self, error: TlsError, input: &mut &[u8]) -> TlsError {
        self.mode = Mode::Failed;
        self.offset += (self.partial.len() + input.len()) as u64;
        self.partial = Vec::new();
        *input = &[];
        error
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn records(reader: &mut RecordReader, mut input: &[u8]) -> Vec<Result<Record, TlsError>> {
        let mut out = Vec::new();
        while let Some(r) = reader.next_record(&mut input) {
            out.push(r);
        }
        assert!(input.is_empty());
        out
    }

    #[test]
    fn splits_records_across_any_chunking() {
        let stream = [
            &[22, 3, 1, 0, 3, 1, 2, 3][..],
            &[23, 3, 3, 0, 0][..],
            &[21, 3, 3, 0, 2, 1, 0][..],
        ]
        .concat();
        for chunk in 1..stream.len() {
            let mut reader = RecordReader::default();
            let mut got = Vec::new();
            for piece in stream.chunks(chunk) {
                got.extend(records(&mut reader, piece).into_iter().map(Result::unwrap));
            }
            assert_eq!(got.len(), 3, "chunk {chunk}");
            assert_eq!(got[0].payload, [1, 2, 3]);
            assert_eq!((got[1].offset, got[1].content_type), (8, 23));
            assert_eq!((got[2].offset, got[2].payload.clone()), (13, vec![1, 0]));
            assert!(reader.truncated().is_none());
        }
    }

    #[test]
    fn client_hello_sniffing() {
        let start = [22, 3, 1, 2, 0, 1, 0, 1, 252];
        for n in 1..=start.len() {
            assert!(looks_like_client_hello(&start[..n]), "{n}");
        }
        assert!(!looks_like_client_hello(&[]));
        assert!(!looks_like_client_hello(b"GET / HTTP/1.1"));
        assert!(!looks_like_client_hello(&[22, 3, 3, 0, 40, 2]));
        assert!(!looks_like_client_hello(&[23, 3, 3]));
    }

    #[test]
    fn rejects_oversized_length_before_buffering() {
        let mut reader = RecordReader::default();
        let len = (MAX_RECORD_LEN + 1) as u16;
        let mut stream = vec![23, 3, 3];
        stream.extend_from_slice(&len.to_be_bytes());
        let got = records(&mut reader, &stream);
        assert!(matches!(
            got[..],
            [Err(TlsError::RecordTooLong { offset: 0, .. })]
        ));
        // Everything after is skipped silently.
        assert!(records(&mut reader, &[22, 3, 3, 0, 0]).is_empty());
        assert_eq!(reader.position(), 10);
    }

    #[test]
    fn rejects_non_tls_and_reports_truncation_and_gaps() {
        let mut reader = RecordReader::default();
        let got = records(&mut reader, b"GET / HTTP/1.1\r\n");
        assert!(matches!(
            got[..],
            [Err(TlsError::BadContentType {
                content_type: b'G',
                ..
            })]
        ));
        let mut reader = RecordReader::default();
        assert!(matches!(
            records(&mut reader, &[22, 2, 0, 0, 0])[..],
            [Err(TlsError::BadRecordVersion {
                version: 0x0200,
                ..
            })]
        ));
        let mut reader = RecordReader::default();
        assert!(records(&mut reader, &[22, 3, 3, 0, 9, 1]).is_empty());
        assert_eq!(
            reader.truncated(),
            Some(TlsError::Truncated {
                offset: 0,
                buffered: 6
            })
        );
        assert_eq!(
            reader.gap(10),
            Some(TlsError::StreamGap {
                offset: 6,
                missing: 10
            })
        );
        assert_eq!(reader.gap(1), None);
        assert_eq!(reader.position(), 17);
        // A lone plausible header is not enough after a gap...
        assert!(records(&mut reader, &[23, 3, 3, 0, 2, 9, 9]).is_empty());
        // ...the header after it confirms it.
        let got = records(&mut reader, &[23, 3, 3, 0, 2, 7]);
        let got: Vec<Record> = got.into_iter().map(Result::unwrap).collect();
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].offset, got[0].lost_before), (17, Some(17)));
        assert_eq!(got[0].payload, [9, 9]);
        assert!(
            reader.truncated().is_some(),
            "the second record is incomplete"
        );
    }
}
