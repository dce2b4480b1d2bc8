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

/// One record, as read from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Offset of the header in the direction's stream.
    pub(crate) offset: u64,
    pub(crate) content_type: u8,
    pub(crate) version: u16,
    pub(crate) payload: Vec<u8>,
}

/// Splits one direction's stream into records.
#[derive(Debug, Default)]
pub(crate) struct RecordReader {
    /// Bytes of an incomplete record (at most header + [`MAX_RECORD_LEN`]).
    partial: Vec<u8>,
    /// Stream offset of the first byte not yet returned in a record.
    offset: u64,
    /// Set after an error: the stream is out of sync, later bytes are skipped.
    failed: bool,
}

impl RecordReader {
    /// The next complete record, taking bytes from the front of `input`.
    /// `None` means every byte of `input` has been consumed (and buffered if
    /// part of an incomplete record). After an error, later calls consume the
    /// input and return `None`.
    pub(crate) fn next_record(&mut self, input: &mut &[u8]) -> Option<Result<Record, TlsError>> {
        if self.failed {
            self.offset += input.len() as u64;
            *input = &[];
            return None;
        }
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
        let need = RECORD_HEADER_LEN + len - self.partial.len();
        let take = need.min(input.len());
        self.partial.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if take < need {
            return None;
        }
        let payload = self.partial[RECORD_HEADER_LEN..].to_vec();
        self.partial.clear();
        Some(Ok(self.emit(header, payload)))
    }

    /// Marks `missing` bytes lost at the current position: the stream cannot
    /// be split into records any more.
    pub(crate) fn gap(&mut self, missing: u64) -> Option<TlsError> {
        let offset = self.offset + self.partial.len() as u64;
        let was_failed = self.failed;
        self.failed = true;
        self.offset = offset + missing;
        self.partial = Vec::new();
        (!was_failed).then_some(TlsError::StreamGap { offset, missing })
    }

    /// An incomplete record left at the end of the stream, if any.
    pub(crate) fn truncated(&self) -> Option<TlsError> {
        (!self.failed && !self.partial.is_empty()).then_some(TlsError::Truncated {
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
        Record {
            offset,
            content_type: header[0],
            version: u16::from_be_bytes([header[1], header[2]]),
            payload,
        }
    }

    fn fail(&mut self, error: TlsError, input: &mut &[u8]) -> TlsError {
        self.failed = true;
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
    }
}
