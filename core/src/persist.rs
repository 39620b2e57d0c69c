//! Checkpoints: a small header (magic, format version, codec, model kind, crate version,
//! payload length, CRC32) and a postcard payload, written atomically (temporary file, fsync,
//! rename) so that a crash leaves either the old file or the new one, never half of one.
//!
//! Layout (little-endian): `b"TIDEWATR"`, `u16` format version, `u8` codec (0 = postcard),
//! `u16` kind length + kind (UTF-8), `u8` version length + crate version (UTF-8), `u64`
//! payload length, `u32` CRC32 of the payload, payload.

use std::fs;
use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"TIDEWATR";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;

/// The payload codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// postcard: a specified, stable wire format (the default and only codec for now).
    Postcard,
}

/// What a checkpoint says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The format version it was written with.
    pub format_version: u16,
    /// The payload codec.
    pub codec: Codec,
    /// The model kind (for example `"gaussian_nb"` or `"pipeline"`).
    pub kind: String,
    /// The version of tidewater-core that wrote it.
    pub crate_version: String,
}

/// Serialises `value` as a checkpoint of the given kind.
pub fn to_bytes<T: Serialize>(kind: &str, value: &T) -> Result<Vec<u8>> {
    let payload = postcard::to_stdvec(value).map_err(|e| Error::Checkpoint {
        path: "<memory>".into(),
        reason: format!("cannot encode: {e}"),
    })?;
    Ok(frame(kind, &payload))
}

/// The size in bytes of `value`'s checkpoint payload (postcard), counted without writing it:
/// the model-size figure of `tidewater bench` and `inspect`. It measures what the model has to
/// remember, not its heap (capacity kept for growth and allocator overhead are not counted);
/// the checkpoint file adds its header to it.
pub fn encoded_size<T: Serialize>(value: &T) -> Result<usize> {
    postcard::experimental::serialized_size(value).map_err(|e| Error::Checkpoint {
        path: "<memory>".into(),
        reason: format!("cannot encode: {e}"),
    })
}

/// A checkpoint of the given kind around an already encoded postcard `payload`: the header
/// with its length and CRC, then the payload. What [`to_bytes`] writes; tests and the fuzz
/// targets use it to hand the decoder payloads that pass the CRC.
pub fn frame(kind: &str, payload: &[u8]) -> Vec<u8> {
    let version = env!("CARGO_PKG_VERSION");
    let mut out = Vec::with_capacity(payload.len() + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.push(0);
    out.extend_from_slice(&(kind.len() as u16).to_le_bytes());
    out.extend_from_slice(kind.as_bytes());
    out.push(version.len() as u8);
    out.extend_from_slice(version.as_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
    out.extend_from_slice(payload);
    out
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    name: &'a str,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if self.bytes.len() - self.pos < n {
            return Err(Error::Checkpoint {
                path: self.name.into(),
                reason: format!("truncated: the file ends inside the {what}"),
            });
        }
        let s = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn text(&mut self, n: usize, what: &str) -> Result<String> {
        let b = self.take(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| Error::Checkpoint {
            path: self.name.into(),
            reason: format!("corrupted: the {what} is not UTF-8"),
        })
    }
}

/// Reads the header only (cheap), checking the magic and the format version.
pub fn read_header(bytes: &[u8], name: &str) -> Result<Header> {
    read_header_at(bytes, name).map(|(h, _)| h)
}

fn read_header_at<'a>(bytes: &'a [u8], name: &'a str) -> Result<(Header, Cursor<'a>)> {
    let mut c = Cursor {
        bytes,
        pos: 0,
        name,
    };
    let bad = |reason: String| Error::Checkpoint {
        path: name.into(),
        reason,
    };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        if bytes.is_empty() {
            return Err(bad("the file is empty, not a tidewater model".into()));
        }
        if MAGIC.starts_with(bytes) {
            return Err(bad("truncated: the file ends inside the header".into()));
        }
        return Err(bad("not a tidewater model file (wrong magic bytes)".into()));
    }
    c.pos = MAGIC.len();
    let v = u16::from_le_bytes(c.take(2, "header")?.try_into().expect("2 bytes"));
    if v != FORMAT_VERSION {
        return Err(bad(format!(
            "format version {v} is not supported (this build reads {FORMAT_VERSION})"
        )));
    }
    let codec = match c.take(1, "header")?[0] {
        0 => Codec::Postcard,
        k => return Err(bad(format!("corrupted: unknown codec {k}"))),
    };
    let kl = u16::from_le_bytes(c.take(2, "header")?.try_into().expect("2 bytes")) as usize;
    let kind = c.text(kl, "model kind")?;
    let vl = c.take(1, "header")?[0] as usize;
    let crate_version = c.text(vl, "crate version")?;
    Ok((
        Header {
            format_version: v,
            codec,
            kind,
            crate_version,
        },
        c,
    ))
}

/// Decodes a checkpoint, checking magic, version, length and checksum. `name` (the file
/// name) appears in errors.
pub fn from_bytes<T: DeserializeOwned>(bytes: &[u8], name: &str) -> Result<(Header, T)> {
    let (header, mut c) = read_header_at(bytes, name)?;
    let len = u64::from_le_bytes(c.take(8, "header")?.try_into().expect("8 bytes"));
    let crc = u32::from_le_bytes(c.take(4, "header")?.try_into().expect("4 bytes"));
    let remaining = (bytes.len() - c.pos) as u64;
    if remaining < len {
        return Err(Error::Checkpoint {
            path: name.into(),
            reason: format!("truncated: payload of {len} bytes, {remaining} present"),
        });
    }
    if remaining > len {
        return Err(Error::Checkpoint {
            path: name.into(),
            reason: format!("corrupted: {} bytes after the payload", remaining - len),
        });
    }
    let payload = &bytes[c.pos..];
    if crc32fast::hash(payload) != crc {
        return Err(Error::Checkpoint {
            path: name.into(),
            reason: "corrupted: checksum mismatch".into(),
        });
    }
    crate::check::take_refusal();
    let value = match header.codec {
        Codec::Postcard => postcard::from_bytes(payload).map_err(|e| {
            let why = crate::check::take_refusal().map_or(e.to_string(), |w| format!("{e}: {w}"));
            Error::Checkpoint {
                path: name.into(),
                reason: format!(
                    "corrupted: cannot decode the {} payload: {why}",
                    header.kind
                ),
            }
        })?,
    };
    Ok((header, value))
}

/// Writes a checkpoint atomically: a temporary file beside `path`, fsync, rename, fsync of
/// the directory.
pub fn save<T: Serialize>(path: &Path, kind: &str, value: &T) -> Result<()> {
    let bytes = to_bytes(kind, value)?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path
        .file_name()
        .ok_or_else(|| Error::Checkpoint {
            path: path.display().to_string(),
            reason: "not a file path".into(),
        })?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{file_name}.tmp{}", std::process::id()));
    write_atomic(path, &bytes, &tmp)
}

/// Writes `bytes` to `path` atomically by way of `tmp`, a path on the same file system:
/// write `tmp`, fsync it, rename it to `path`, fsync the directory. A reader of `path` sees
/// the old bytes or the new ones, never a part; a crash leaves at most `tmp` behind.
pub fn write_atomic(path: &Path, bytes: &[u8], tmp: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let write = || -> std::io::Result<()> {
        let mut f = fs::File::create(tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(tmp, path)?;
        if let Ok(d) = fs::File::open(&dir) {
            // Directory fsync makes the rename durable; not every platform allows it.
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().map_err(|source| {
        let _ = fs::remove_file(tmp);
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    })
}

/// Reads a checkpoint written by [`save`].
pub fn load<T: DeserializeOwned>(path: &Path) -> Result<(Header, T)> {
    let bytes = fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_bytes(&bytes, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_size_is_the_payload_length() {
        let v: Vec<(u32, f64, String)> = vec![(7, 1.5, "abc".into()), (300, -0.0, String::new())];
        let framed = to_bytes("test", &v).unwrap();
        let payload = postcard::to_stdvec(&v).unwrap();
        assert_eq!(encoded_size(&v).unwrap(), payload.len());
        assert!(framed.ends_with(&payload));
    }

    #[test]
    fn round_trip_and_every_kind_of_damage_is_a_named_error() {
        let v: Vec<f64> = vec![1.5, f64::NAN, -0.0, f64::INFINITY];
        let b = to_bytes("test", &v).unwrap();
        let (h, back): (Header, Vec<f64>) = from_bytes(&b, "m").unwrap();
        assert_eq!(h.kind, "test");
        assert_eq!(back.len(), 4);
        assert!(back[1].is_nan() && back[2].to_bits() == (-0.0f64).to_bits());
        for cut in [0, 3, 8, 12, b.len() - 1] {
            let e = from_bytes::<Vec<f64>>(&b[..cut], "m")
                .unwrap_err()
                .to_string();
            assert!(e.contains("model file m"), "{e}");
            assert!(
                e.contains("truncated") || e.contains("empty"),
                "cut {cut}: {e}"
            );
        }
        let mut flipped = b.clone();
        *flipped.last_mut().unwrap() ^= 0x40;
        let e = from_bytes::<Vec<f64>>(&flipped, "m")
            .unwrap_err()
            .to_string();
        assert!(e.contains("checksum"), "{e}");
        let e = from_bytes::<Vec<f64>>(b"hello world, not a model", "m")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a tidewater model"), "{e}");
    }
}
