//! Vowpal Wabbit text: `label [importance] ['tag]|namespace feature[:value] ... |namespace2 ...`.
//!
//! A feature name made of digits only is the index itself (its namespace does not change it).
//! Other names are hashed as VW hashes them: MurmurHash3 (x86, 32 bits) of the name, seeded with
//! the namespace's hash, itself MurmurHash3 of the namespace name with seed 0 (0 for the default
//! namespace, that is a `|` followed by a space). Every index is masked to the low `bits` bits
//! (default 18, as VW). A value defaults to 1 and is multiplied by the namespace's scale
//! (`|ns:0.5`); a feature repeated in one row is summed and the output indices are sorted.
//!
//! Before the first `|`: the label (a number), then an optional importance weight, then an
//! optional initial prediction (ignored), and a tag, written `'tag` or as a word that touches the
//! `|` (VW's rule; a number touching the `|` is still read as a number here). Rows without a
//! label cannot be read (they are an error naming the line); blank lines are skipped.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::{LineReader, SparseRecord, finish_entries, open_file, parse_error};
use crate::dataset::{CsrMatrix, Dataset, FeatureMatrix, Schema, Targets};
use crate::error::{Error, Result};
use crate::label::Label;

/// The default number of hash bits, as VW's `-b`.
pub const DEFAULT_BITS: u32 = 18;

/// The most hash bits a reader accepts (indices are `u32`).
pub const MAX_BITS: u32 = 32;

/// The most hash bits [`load_vw`] accepts: a loaded data set names each of its `2^bits` columns.
pub const MAX_LOAD_BITS: u32 = 24;

/// MurmurHash3 x86 32-bit of `bytes` with `seed`.
fn murmur3_32(bytes: &[u8], seed: u32) -> u32 {
    let mut source = bytes;
    // Reading from a byte slice cannot fail.
    murmur3::murmur3_32(&mut source, seed).unwrap_or(0)
}

/// The value of an all-digit name (modulo 2^64, which keeps every bit an index can use), or
/// `None` when the name is empty or holds anything but ASCII digits.
fn digits_value(name: &str) -> Option<u64> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(name.bytes().fold(0u64, |acc, b| {
        acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
    }))
}

fn mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// The hash of a namespace, the seed of its features' hashes: 0 for the default namespace
/// (an empty name), the number itself for an all-digit name (as VW), else MurmurHash3 x86_32 of
/// the name with seed 0.
pub fn namespace_hash(name: &str) -> u32 {
    if name.is_empty() {
        0
    } else if let Some(n) = digits_value(name) {
        n as u32
    } else {
        murmur3_32(name.as_bytes(), 0)
    }
}

/// The 0-based index of a feature: the number itself for an all-digit name, else MurmurHash3
/// x86_32 of the name seeded with `namespace_hash` (see [`namespace_hash`]); either masked to
/// the low `bits` bits.
pub fn feature_index(name: &str, namespace_hash: u32, bits: u32) -> u32 {
    let h = match digits_value(name) {
        Some(n) => n as u32,
        None => murmur3_32(name.as_bytes(), namespace_hash),
    };
    h & mask(bits)
}

fn check_bits(bits: u32, max: u32) -> Result<usize> {
    if !(1..=max).contains(&bits) {
        return Err(Error::param(
            "bits",
            format!("{bits} hash bits: expected 1 to {max}"),
        ));
    }
    1usize.checked_shl(bits).ok_or_else(|| {
        Error::param(
            "bits",
            format!("2^{bits} features do not fit this platform's address space"),
        )
    })
}

/// A streaming VW text reader: one [`SparseRecord`] per call, buffers reused.
pub struct VwReader<R: Read> {
    lines: LineReader<R>,
    name: String,
    bits: u32,
    entries: Vec<(u32, u32, f64)>,
}

impl VwReader<File> {
    /// Opens a VW file with [`DEFAULT_BITS`] hash bits; its path is the name used in error
    /// messages.
    pub fn open(path: &Path) -> Result<Self> {
        let file = open_file(path)?;
        VwReader::from_reader(file, &path.display().to_string())
    }
}

impl<R: Read> VwReader<R> {
    /// A reader over any byte source with [`DEFAULT_BITS`] hash bits; `name` (the file name) is
    /// used in error messages.
    ///
    /// Nothing is read yet, so this does not fail today; it returns a `Result` like the other
    /// readers' constructors.
    pub fn from_reader(reader: R, name: &str) -> Result<Self> {
        Ok(VwReader {
            lines: LineReader::new(reader),
            name: name.to_owned(),
            bits: DEFAULT_BITS,
            entries: Vec::new(),
        })
    }

    /// Sets the number of hash bits (1 to [`MAX_BITS`]); indices are masked to them.
    pub fn with_bits(mut self, bits: u32) -> Result<Self> {
        check_bits(bits, MAX_BITS)?;
        self.bits = bits;
        Ok(self)
    }

    /// The number of hash bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// The dimension of the rows: `2^bits`.
    pub fn dim(&self) -> usize {
        1usize.checked_shl(self.bits).unwrap_or(usize::MAX)
    }

    /// The name used in error messages (the file name).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Reads the next row into `record`, reusing its buffers; `Ok(false)` at end of file.
    ///
    /// The importance weight, when given, is `record.weight`. A malformed token is an
    /// [`Error::Parse`] naming the line and the token (`label`, `importance`, or the feature as
    /// written). After an error the reader can go on with the next line.
    pub fn next_record(&mut self, record: &mut SparseRecord) -> Result<bool> {
        loop {
            let Some((line, text)) = self.lines.next_line(&self.name)? else {
                return Ok(false);
            };
            if text.trim_ascii().is_empty() {
                continue;
            }
            let name = self.name.as_str();
            let (head, body) = match text.find('|') {
                Some(i) => (&text[..i], Some(&text[i + 1..])),
                None => (text, None),
            };

            let mut label = None;
            let mut weight = None;
            let mut numbers = 0;
            for token in head.split_ascii_whitespace() {
                if token.starts_with('\'') {
                    continue;
                }
                let end = token.as_ptr() as usize - head.as_ptr() as usize + token.len();
                let touches_bar = body.is_some() && end == head.len();
                match token.parse::<f64>() {
                    Ok(v) if v.is_finite() => {
                        numbers += 1;
                        match numbers {
                            1 => label = Some(v),
                            2 => weight = Some(v),
                            3 => {} // VW's initial prediction: not used.
                            _ => {
                                return Err(parse_error(
                                    name,
                                    line,
                                    "-",
                                    format!(
                                        "`{token}`: at most a label, an importance weight and an \
                                         initial prediction come before the first `|`"
                                    ),
                                ));
                            }
                        }
                    }
                    _ if touches_bar => {} // a tag without the quote, as in VW
                    _ => {
                        return Err(parse_error(
                            name,
                            line,
                            if numbers == 0 { "label" } else { "importance" },
                            format!("`{token}` is not a finite number"),
                        ));
                    }
                }
            }
            let Some(label) = label else {
                return Err(parse_error(
                    name,
                    line,
                    "label",
                    "no label (a word touching the `|` is a tag; unlabeled rows cannot be read)",
                ));
            };
            if let Some(w) = weight
                && w < 0.0
            {
                return Err(parse_error(
                    name,
                    line,
                    "importance",
                    format!("importance weight {w} is negative"),
                ));
            }
            record.line = line;
            record.label = Label::num(label)?;
            record.weight = weight;

            self.entries.clear();
            let mut pos = 0u32;
            for segment in body.into_iter().flat_map(|b| b.split('|')) {
                let (ns_hash, scale, features) =
                    if segment.starts_with(|c: char| !c.is_ascii_whitespace()) {
                        let end = segment
                            .find(|c: char| c.is_ascii_whitespace())
                            .unwrap_or(segment.len());
                        let ns = &segment[..end];
                        let (ns_name, scale) = match ns.split_once(':') {
                            None => (ns, 1.0),
                            Some((n, s)) => match s.parse::<f64>() {
                                Ok(v) if v.is_finite() => (n, v),
                                _ => {
                                    return Err(parse_error(
                                        name,
                                        line,
                                        ns,
                                        format!("the namespace scale `{s}` is not a finite number"),
                                    ));
                                }
                            },
                        };
                        (namespace_hash(ns_name), scale, &segment[end..])
                    } else {
                        (0, 1.0, segment)
                    };
                for token in features.split_ascii_whitespace() {
                    let (feature, value) = match token.split_once(':') {
                        None => (token, 1.0),
                        Some((f, v)) => match v.parse::<f64>() {
                            Ok(v) if v.is_finite() => (f, v),
                            _ => {
                                return Err(parse_error(
                                    name,
                                    line,
                                    token,
                                    format!("the value `{v}` is not a finite number"),
                                ));
                            }
                        },
                    };
                    if feature.is_empty() {
                        return Err(parse_error(name, line, token, "a feature needs a name"));
                    }
                    let index = feature_index(feature, ns_hash, self.bits);
                    self.entries.push((index, pos, value * scale));
                    pos = pos.saturating_add(1);
                }
            }
            if let Err(i) =
                finish_entries(&mut self.entries, &mut record.indices, &mut record.values)
            {
                return Err(parse_error(
                    name,
                    line,
                    "-",
                    format!(
                        "the value of feature index {i} is not finite (after summing repeats or scaling)"
                    ),
                ));
            }
            return Ok(true);
        }
    }
}

/// Loads a whole VW file into a sparse [`Dataset`] of dimension `2^bits` (`bits` from 1 to
/// [`MAX_LOAD_BITS`]).
///
/// Feature names are `f0` .. `f{d-1}`, the target is `y` (numbers, as [`Targets::Values`]);
/// importance weights, when any row has one, become the sample weights (1 for rows without).
/// A file without rows is [`Error::Empty`].
pub fn load_vw(path: &Path, bits: u32) -> Result<Dataset> {
    let dim = check_bits(bits, MAX_LOAD_BITS)?;
    let name = path.display().to_string();
    let mut reader = VwReader::open(path)?.with_bits(bits)?;
    let mut record = SparseRecord::new();
    let mut matrix = CsrMatrix::new(dim);
    let mut y: Vec<f64> = Vec::new();
    let mut weights: Vec<f64> = Vec::new();
    let mut weighted = false;
    while reader.next_record(&mut record)? {
        matrix.push_row(&record.indices, &record.values)?;
        y.push(record.label.as_f64().unwrap_or(0.0));
        weighted |= record.weight.is_some();
        weights.push(record.weight.unwrap_or(1.0));
    }
    if y.is_empty() {
        return Err(Error::Empty(format!("{name}: no data rows")));
    }
    let schema = Schema::numeric(
        (0..dim).map(|i| format!("f{i}")).collect(),
        vec!["y".to_owned()],
    );
    let ds = Dataset::new(
        FeatureMatrix::Sparse(matrix),
        vec![Targets::Values(y)],
        schema,
    )?;
    if weighted {
        ds.with_weights(weights)
    } else {
        Ok(ds)
    }
}
