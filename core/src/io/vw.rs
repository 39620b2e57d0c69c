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

use super::bytes::{Lines, leading_digits, parse_finite, skip_while, utf8, value_after_colon};
use super::libsvm::{next_sparse_record, take_fast};
use super::{SparseRecord, finish_entries, open_file, parse_error, quote};
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
    lines: Lines<R>,
    name: String,
    parser: VwParser,
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
            lines: Lines::new(reader),
            name: name.to_owned(),
            parser: VwParser::new(DEFAULT_BITS)?,
        })
    }

    /// Sets the number of hash bits (1 to [`MAX_BITS`]); indices are masked to them.
    pub fn with_bits(mut self, bits: u32) -> Result<Self> {
        self.parser = VwParser::new(bits)?;
        Ok(self)
    }

    /// The number of hash bits.
    pub fn bits(&self) -> u32 {
        self.parser.bits
    }

    /// The dimension of the rows: `2^bits`.
    pub fn dim(&self) -> usize {
        1usize.checked_shl(self.parser.bits).unwrap_or(usize::MAX)
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
        next_sparse_record(
            &mut self.lines,
            &self.name,
            record,
            |name, line, text, record| self.parser.parse_line(name, line, text, record),
        )
    }
}

/// Reads one VW line at a time: the reader's parser, and the one a program that reads the
/// lines itself (the command line's parser thread) calls.
///
/// Lines of the common form (`label |ns feature[:value] ...`: a plain label, namespaces
/// without a scale, all-digit or hashed names) take a byte-level path; every other line (tags,
/// importance weights, scales, malformed tokens) is read token by token, and that path alone
/// reports errors. Both give the same record for every line the first one takes (a test
/// holds them to it).
#[derive(Debug)]
pub struct VwParser {
    bits: u32,
    /// `(index << 32 | position, value)` of the fast path.
    fast: Vec<(u64, f64)>,
    entries: Vec<(u32, u32, f64)>,
}

impl VwParser {
    /// A parser masking indices to `bits` bits (1 to [`MAX_BITS`]).
    pub fn new(bits: u32) -> Result<Self> {
        check_bits(bits, MAX_BITS)?;
        Ok(VwParser {
            bits,
            fast: Vec::new(),
            entries: Vec::new(),
        })
    }

    /// The number of hash bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// Parses line `line` of `name` (without its line ending) into `record`; `Ok(false)` for
    /// a blank line.
    pub fn parse_line(
        &mut self,
        name: &str,
        line: u64,
        text: &[u8],
        record: &mut SparseRecord,
    ) -> Result<bool> {
        // The fast path hashes names as bytes: a line that is not UTF-8 goes to the general
        // path, which refuses it (found by the `vw` fuzz target).
        let label = if text.is_ascii() || std::str::from_utf8(text).is_ok() {
            self.fast_path(text)
        } else {
            None
        };
        if take_fast(label, &mut self.fast, line, record)? {
            return Ok(true);
        }
        self.general(name, line, utf8(name, line, text)?, record)
    }

    /// The token-by-token path alone, for any line: the reference the byte-level path is
    /// held to (by proptests and the fuzz targets), slower but simpler.
    pub fn parse_line_reference(
        &mut self,
        name: &str,
        line: u64,
        text: &[u8],
        record: &mut SparseRecord,
    ) -> Result<bool> {
        self.general(name, line, utf8(name, line, text)?, record)
    }

    /// `label |ns feature[:value] ...` with a plain label, namespaces without scale and
    /// all-digit or hashed names; `None` for anything else. Not inlined into the reading
    /// loop, so its scanning state stays in registers.
    #[inline(never)]
    fn fast_path(&mut self, text: &[u8]) -> Option<f64> {
        self.fast.clear();
        let bar = text.iter().position(|&b| b == b'|')?;
        let label = {
            let head = text[..bar].trim_ascii();
            if head.is_empty() || head.iter().any(|b| b.is_ascii_whitespace()) {
                return None;
            }
            match head {
                b"1" => 1.0,
                b"-1" => -1.0,
                b"0" => 0.0,
                _ => parse_finite(head)?,
            }
        };
        let mask = u64::from(mask(self.bits));
        // One pass over the bytes after the first `|`: a namespace name where a segment starts
        // with a non-blank, then tokens `name[:value]` separated by blanks; a `|` anywhere ends
        // the token and starts a segment. The name's number is accumulated as it is scanned.
        let body = &text[bar + 1..];
        let n = body.len();
        let ends_token = |b: u8| b == b'|' || b == b':' || b.is_ascii_whitespace();
        let ends_word = |b: u8| b == b'|' || b.is_ascii_whitespace();
        let mut i = 0;
        let mut pos = 0u64;
        let mut ns: &[u8] = &[];
        // The namespace's hash seeds hashed names only: computed when one appears.
        let mut ns_hash: Option<u32> = None;
        let mut segment_start = true;
        loop {
            if segment_start {
                segment_start = false;
                ns_hash = None;
                let start = i;
                i = skip_while(body, i, |b| !ends_word(b));
                ns = &body[start..i];
                if ns.contains(&b':') {
                    return None;
                }
            }
            i = skip_while(body, i, |b| b.is_ascii_whitespace());
            if i == n {
                break;
            }
            if body[i] == b'|' {
                i += 1;
                segment_start = true;
                continue;
            }
            // The name: its leading digits in one step, the rest of a hashed name after.
            let start = i;
            let (len, number) = leading_digits(&body[i..]);
            i += len;
            let digits = i == n || ends_token(body[i]);
            i = skip_while(body, i, |b| !ends_token(b));
            let feature = &body[start..i];
            if feature.is_empty() {
                return None;
            }
            let value = if i < n && body[i] == b':' {
                value_after_colon(body, &mut i, ends_word)?
            } else {
                1.0
            };
            let index = if digits {
                // As the general path: the number modulo 2^32, then masked.
                ((number as u32) as u64 & mask) as u32
            } else {
                let name = std::str::from_utf8(feature).ok()?;
                let seed = match ns_hash {
                    Some(h) => h,
                    None => {
                        let h = namespace_hash(std::str::from_utf8(ns).ok()?);
                        ns_hash = Some(h);
                        h
                    }
                };
                feature_index(name, seed, self.bits)
            };
            self.fast.push((u64::from(index) << 32 | pos, value));
            pos += 1;
        }
        Some(label)
    }

    /// Any line, token by token, with errors naming the token.
    fn general(
        &mut self,
        name: &str,
        line: u64,
        text: &str,
        record: &mut SparseRecord,
    ) -> Result<bool> {
        if text.trim_ascii().is_empty() {
            return Ok(false);
        }
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
                        format!("{} is not a finite number", quote(token)),
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
            let (ns_hash, scale, features) = if segment
                .starts_with(|c: char| !c.is_ascii_whitespace())
            {
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
                                format!("the namespace scale {} is not a finite number", quote(s)),
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
                                format!("the value {} is not a finite number", quote(v)),
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
        if let Err(i) = finish_entries(&mut self.entries, &mut record.indices, &mut record.values) {
            return Err(parse_error(
                name,
                line,
                "-",
                format!(
                    "the value of feature index {i} is not finite (after summing repeats or scaling)"
                ),
            ));
        }
        Ok(true)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::libsvm::fast_entries;
    use proptest::prelude::*;

    /// What the byte-level path makes of a line, when it takes it.
    fn fast(p: &mut VwParser, line: &str) -> Option<(f64, Vec<u32>, Vec<f64>)> {
        let label = p.fast_path(line.as_bytes())?;
        let (mut idx, mut val) = (Vec::new(), Vec::new());
        fast_entries(&mut p.fast, &mut idx, &mut val).then_some((label, idx, val))
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u64..2_000_000).prop_map(|v| v.to_string()),
            1 => (0u64..u64::MAX).prop_map(|v| v.to_string()),
            1 => "[0-9]{1,22}",
            1 => "[a-z][a-z0-9_]{0,6}",
            1 => "[0-9]{1,9}[a-z]{1,3}",
        ]
    }

    fn token() -> impl Strategy<Value = String> {
        (
            name(),
            prop_oneof![
                3 => Just(String::new()),
                3 => Just(":1".to_owned()),
                1 => Just(":10".to_owned()),
                1 => Just(":1.5".to_owned()),
                1 => Just(":-0.25".to_owned()),
                1 => Just(":1e3".to_owned()),
                1 => Just(":1e308".to_owned()),
                1 => Just(":x".to_owned()),
                1 => Just(":".to_owned()),
            ],
        )
            .prop_map(|(n, v)| n + &v)
    }

    fn line() -> impl Strategy<Value = String> {
        (
            prop_oneof![
                Just("1"),
                Just("-1"),
                Just("0"),
                Just("0.5"),
                Just("-0"),
                Just("1 2")
            ],
            prop::collection::vec(
                (
                    prop_oneof![Just(""), Just("f"), Just("ns:2"), Just("a b"), Just("7")],
                    prop::collection::vec(token(), 0..12),
                    prop_oneof![Just(" "), Just("  "), Just("\t")],
                ),
                1..4,
            ),
        )
            .prop_map(|(label, segments)| {
                let mut s = label.to_owned();
                s.push(' ');
                for (ns, tokens, sep) in segments {
                    s.push('|');
                    s.push_str(ns);
                    for t in tokens {
                        s.push_str(sep);
                        s.push_str(&t);
                    }
                }
                s
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]

        /// Every line the byte-level path takes reads as the token-by-token path reads it,
        /// bit for bit, for any number of hash bits.
        #[test]
        fn the_fast_path_reads_lines_as_the_general_path_does(line in line(), bits in prop_oneof![Just(4u32), Just(18), Just(24), Just(32)]) {
            let mut p = VwParser::new(bits).unwrap();
            if let Some((l, idx, val)) = fast(&mut p, &line) {
                let mut rec = SparseRecord::new();
                let general = p.general("t", 1, &line, &mut rec);
                prop_assert!(matches!(general, Ok(true)), "{line}: fast path took it, general: {general:?}");
                prop_assert_eq!(rec.label.as_f64().map(f64::to_bits), Some(Label::num(l).unwrap().as_f64().unwrap().to_bits()));
                prop_assert_eq!(rec.weight, None);
                prop_assert_eq!(&rec.indices, &idx, "{}", line);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                prop_assert_eq!(bits(&rec.values), bits(&val), "{}", line);
            }
        }
    }

    #[test]
    fn common_lines_take_the_fast_path_and_others_do_not() {
        let mut p = VwParser::new(20).unwrap();
        for line in [
            "1 |f 66394:1 103171:1 137519:1",
            "-1 | 12 7:0.5 123456789:1",
            "0 |a x y:2 |b 3",
        ] {
            assert!(fast(&mut p, line).is_some(), "{line}");
        }
        for line in ["1 1 |f 1", "1 |f:2 3", "1 'tag|f 3", "1 |f a:x"] {
            assert!(fast(&mut p, line).is_none(), "{line}");
        }
    }
}
