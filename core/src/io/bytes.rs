//! Byte-level routines every reader shares: lines without their endings, numbers read by
//! `fast-float2` (the same values as `str::parse`, without a UTF-8 pass), and runs of digits
//! eight bytes at a time.

use std::io::{BufRead, BufReader, Read};

use crate::error::{Error, Result};

/// Reads lines into a reused buffer, counting physical lines (1-based), without their `\n` or
/// `\r\n` and, on the first line, without a UTF-8 byte-order mark. The lines are bytes: each
/// format decides where text must be UTF-8.
pub struct Lines<R> {
    inner: BufReader<R>,
    buf: Vec<u8>,
    line: u64,
    failed: bool,
    /// The line ending the last line had: `\r\n`, `\n`, or none (the end of the input).
    ending: &'static [u8],
    /// Bytes of the input consumed so far.
    consumed: u64,
    /// The length of the line lent from the reader's buffer last, consumed at the next call.
    lent: usize,
}

impl<R: Read> Lines<R> {
    /// Lines of `inner`, read through a buffer of the default size.
    pub fn new(inner: R) -> Self {
        Self::with_capacity(8 * 1024, inner)
    }

    /// Lines of `inner`, read through a buffer of `capacity` bytes.
    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        Lines {
            inner: BufReader::with_capacity(capacity, inner),
            buf: Vec::new(),
            line: 0,
            failed: false,
            ending: b"",
            consumed: 0,
            lent: 0,
        }
    }

    /// The line ending [`next_line`](Self::next_line) took off the last line: `\r\n`, `\n`,
    /// or nothing at the end of the input.
    pub fn ending(&self) -> &'static [u8] {
        self.ending
    }

    /// The bytes of the input the lines given so far took (for progress reports).
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// The number of the line [`next_line`](Self::next_line) gave last (0 before the first).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The next line and its 1-based number; `None` at the end. A read error ends the
    /// stream (an error naming `name`, then `None`), so a caller skipping bad rows cannot
    /// loop on it.
    pub fn next_line(&mut self, name: &str) -> Result<Option<(u64, &[u8])>> {
        if self.lent > 0 {
            self.inner.consume(self.lent);
            self.lent = 0;
        }
        self.buf.clear();
        if self.failed {
            return Ok(None);
        }
        // The common case: the whole line is in the reader's buffer, lent without a copy.
        // Otherwise (a line across the buffer's end, the last line without an ending, a read
        // error) `read_until` gathers it.
        let in_buffer = match self.inner.fill_buf() {
            Ok(available) => memchr::memchr(b'\n', available),
            Err(_) => None,
        };
        let lent = match in_buffer {
            Some(i) => {
                self.lent = i + 1;
                self.consumed += (i + 1) as u64;
                true
            }
            None => {
                match self.inner.read_until(b'\n', &mut self.buf) {
                    Ok(0) => return Ok(None),
                    Ok(n) => self.consumed += n as u64,
                    Err(source) => {
                        self.failed = true;
                        return Err(Error::Io {
                            path: name.to_owned(),
                            source,
                        });
                    }
                }
                false
            }
        };
        self.line += 1;
        let mut bytes = if lent {
            &self.inner.buffer()[..self.lent]
        } else {
            &self.buf[..]
        };
        self.ending = b"";
        if let Some(b) = bytes.strip_suffix(b"\n") {
            bytes = b;
            self.ending = b"\n";
            if let Some(b) = bytes.strip_suffix(b"\r") {
                bytes = b;
                self.ending = b"\r\n";
            }
        }
        if self.line == 1
            && let Some(b) = bytes.strip_prefix("\u{feff}".as_bytes())
        {
            bytes = b;
        }
        Ok(Some((self.line, bytes)))
    }
}

/// The line as UTF-8 text, or an error naming its first bad byte.
pub(crate) fn utf8<'a>(name: &str, line: u64, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| {
        super::parse_error(
            name,
            line,
            "-",
            format!("invalid UTF-8 at byte {}", e.valid_up_to() + 1),
        )
    })
}

/// The number `bytes` spell, as `str::parse::<f64>` reads it (signs, exponents, `inf`,
/// `nan`), by `fast-float2`; `None` when the bytes are not one number.
#[inline]
pub fn parse_number(bytes: &[u8]) -> Option<f64> {
    fast_float2::parse::<f64, _>(bytes).ok()
}

/// [`parse_number`] for finite numbers only.
#[inline]
pub fn parse_finite(bytes: &[u8]) -> Option<f64> {
    parse_number(bytes).filter(|v| v.is_finite())
}

/// The first index from `i` on whose byte `keep` refuses (`b.len()` when there is none).
#[inline(always)]
pub(crate) fn skip_while(b: &[u8], mut i: usize, keep: impl Fn(u8) -> bool) -> usize {
    while i < b.len() && keep(b[i]) {
        i += 1;
    }
    i
}

/// The run of ASCII digits at the start of `b`: its length and its value modulo 2^64. Eight
/// bytes at a time (SWAR): a lane is a digit when its byte minus `'0'` is below 10; a borrow
/// from a non-digit lane only spoils the lanes above it, which are not used. The lanes before
/// the first non-digit are combined in three multiplications.
#[inline(always)]
pub fn leading_digits(b: &[u8]) -> (usize, u64) {
    let mut len = 0;
    let mut value = 0u64;
    while let Some(chunk) = b.get(len..len + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_le_bytes(word).wrapping_sub(0x3030_3030_3030_3030);
        let non_digit = (v.wrapping_add(0x7676_7676_7676_7676) | v) & 0x8080_8080_8080_8080;
        let k = (non_digit.trailing_zeros() / 8) as usize;
        if k == 0 {
            return (len, value);
        }
        // The first `k` digits in the top lanes, zeros (leading zeros of the number) below.
        let mut x = v << (8 * (8 - k));
        x = (x & 0x0F0F_0F0F_0F0F_0F0F).wrapping_mul(2561) >> 8;
        x = (x & 0x00FF_00FF_00FF_00FF).wrapping_mul(6_553_601) >> 16;
        x = (x & 0x0000_FFFF_0000_FFFF).wrapping_mul(42_949_672_960_001) >> 32;
        // After a run of eight (the only way here with `len > 0`): shift by this run's length.
        const POW10: [u64; 9] = [
            1,
            10,
            100,
            1_000,
            10_000,
            100_000,
            1_000_000,
            10_000_000,
            100_000_000,
        ];
        value = if len == 0 {
            x
        } else {
            value.wrapping_mul(POW10[k]).wrapping_add(x)
        };
        len += k;
        if k < 8 {
            return (len, value);
        }
    }
    while let Some(d) = b.get(len).map(|c| c.wrapping_sub(b'0'))
        && d < 10
    {
        value = value.wrapping_mul(10).wrapping_add(u64::from(d));
        len += 1;
    }
    (len, value)
}

/// The value of a feature written `name:value`, with `*i` on the `:`: up to the first byte
/// `ends` accepts (or the end of the line), where `*i` is left. `1` (a binary feature, the
/// common case) is taken without a parse; anything else must be a finite number.
#[inline(always)]
pub(crate) fn value_after_colon(b: &[u8], i: &mut usize, ends: impl Fn(u8) -> bool) -> Option<f64> {
    let start = *i + 1;
    if b.get(start) == Some(&b'1') && b.get(start + 1).is_none_or(|&c| ends(c)) {
        *i = start + 1;
        return Some(1.0);
    }
    *i = skip_while(b, start, |c| !ends(c));
    parse_finite(&b[start..*i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Number-like text: digits, signs, points, exponents, the words of infinities and NaN.
    fn numberish() -> impl Strategy<Value = String> {
        prop_oneof![
            "[-+]?[0-9]{0,25}(\\.[0-9]{0,25})?([eE][-+]?[0-9]{0,4})?",
            "[-+]?(inf|INF|Infinity|infinity|nan|NaN|iNf)",
            "[-+.eE0-9 a-z]{0,12}",
            any::<String>(),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// fast-float2 accepts exactly what `str::parse::<f64>` accepts, with the same bits.
        #[test]
        fn parse_number_is_str_parse(s in numberish()) {
            // Every NaN is one value here (their sign bits may differ).
            let key = |v: Option<f64>| v.map(|x| if x.is_nan() { u64::MAX } else { x.to_bits() });
            prop_assert_eq!(key(parse_number(s.as_bytes())), key(s.parse::<f64>().ok()), "{:?}", s);
        }

        /// Plain decimals of every length read as `str::parse::<f64>` reads them, bit for
        /// bit.
        #[test]
        fn plain_decimals_are_str_parse(s in "[-+]?[0-9]{0,21}(\\.[0-9]{0,21})?") {
            let key = |v: Option<f64>| v.map(f64::to_bits);
            prop_assert_eq!(key(parse_number(s.as_bytes())), key(s.parse::<f64>().ok()), "{:?}", s);
        }

        /// Eight digits at a time give what a digit-by-digit loop gives, on any bytes.
        #[test]
        fn leading_digits_equals_the_scalar_loop(bytes in prop::collection::vec(prop_oneof![4 => 48u8..58, 1 => any::<u8>()], 0..40)) {
            let len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            let value = bytes[..len].iter().fold(0u64, |acc, &b| acc.wrapping_mul(10).wrapping_add(u64::from(b - b'0')));
            prop_assert_eq!(leading_digits(&bytes), (len, value));
        }
    }

    #[test]
    fn short_and_long_decimals_read_as_str_parse_reads_them() {
        let mut s = 88172645463325252u64;
        for _ in 0..100_000 {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let text = format!(
                "{}.{:09}e-{}",
                s % 100_000,
                (s >> 20) % 1_000_000_000,
                (s >> 50) % 40
            );
            let want: f64 = text.parse().unwrap();
            assert_eq!(
                parse_number(text.as_bytes()).map(f64::to_bits),
                Some(want.to_bits()),
                "{text}"
            );
        }
        for c in [
            "0",
            "-0.0",
            "+2.5",
            ".5",
            "5.",
            "1e5",
            "1E-5",
            "0.30000000000000004",
            "9007199254740993",
        ] {
            assert_eq!(parse_number(c.as_bytes()), c.parse().ok(), "{c}");
        }
        for bad in ["", "-", "e5", "1e", "1,2", "\"1\"", "abc", " 1", "1 "] {
            assert!(parse_number(bad.as_bytes()).is_none(), "{bad}");
        }
        assert_eq!(parse_finite(b"1e400"), None);
        assert_eq!(parse_finite(b"inf"), None);
    }
}
