//! Headers are kept in one BLOB: for each header, a little-endian u32 name length, the name
//! bytes, a u32 value length, the value bytes. Exact bytes and order survive the round trip.

use crate::capture::HeaderPair;

pub fn encode_headers(headers: &[HeaderPair]) -> Vec<u8> {
    let size = headers.iter().map(|(n, v)| 8 + n.len() + v.len()).sum();
    let mut out = Vec::with_capacity(size);
    for (name, value) in headers {
        for part in [name, value] {
            out.extend_from_slice(&(part.len() as u32).to_le_bytes());
            out.extend_from_slice(part);
        }
    }
    out
}

/// `None` when the blob is not a valid encoding (a damaged row).
pub fn decode_headers(mut blob: &[u8]) -> Option<Vec<HeaderPair>> {
    let take = |blob: &mut &[u8]| -> Option<Vec<u8>> {
        let (len, rest) = blob.split_first_chunk::<4>()?;
        let len = u32::from_le_bytes(*len) as usize;
        if rest.len() < len {
            return None;
        }
        let (part, rest) = rest.split_at(len);
        *blob = rest;
        Some(part.to_vec())
    };
    let mut out = Vec::new();
    while !blob.is_empty() {
        let name = take(&mut blob)?;
        let value = take(&mut blob)?;
        out.push((name, value));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_bytes_and_order() {
        let h = vec![
            (b"Host".to_vec(), b"x".to_vec()),
            (b"X-Bin".to_vec(), b"\xff\x00\x80".to_vec()),
            (b"host".to_vec(), Vec::new()),
        ];
        assert_eq!(decode_headers(&encode_headers(&h)).unwrap(), h);
        assert_eq!(decode_headers(&[]).unwrap(), Vec::<HeaderPair>::new());
    }

    #[test]
    fn damaged_blob_is_rejected_not_panicking() {
        assert_eq!(decode_headers(&[1, 0, 0]), None);
        assert_eq!(decode_headers(&[9, 0, 0, 0, b'a']), None);
        assert_eq!(decode_headers(&[1, 0, 0, 0, b'a']), None);
    }
}
