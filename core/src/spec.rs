//! Component specifications as the command line writes them: `name(p=1e-3,flag=true,mode=down)`,
//! composed into pipelines with `a|b|c`.

use std::fmt;

use crate::error::{Error, Result};

/// `#[derive(Params)]`: writes a params type's `Default`, setters and [`Params`] from one
/// declaration per field (see the `tidewater-derive` crate).
pub use tidewater_derive::Params;

/// A parameter value in a spec.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// A number (`1`, `1e-3`, `-2.5`).
    Num(f64),
    /// `true` or `false`.
    Bool(bool),
    /// `none`.
    None,
    /// A bare word (`down`) or a quoted string (`"first"`).
    Text(String),
    /// A list `[1,2,3]`.
    List(Vec<Value>),
    /// A nested spec `stream=agrawal(classification_function=0)`.
    Spec(Spec),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Exponent form for very large and very small magnitudes (`1e-9`, `1e12`), as
            // people write them; both read back to the same number.
            Value::Num(v) => f.write_str(&crate::error::show_number(*v)),
            Value::Bool(b) => write!(f, "{b}"),
            Value::None => f.write_str("none"),
            Value::Text(s) if is_bare_word(s) => f.write_str(s),
            // Quoted as the parser reads quotes: no escapes, so with the quote the text does
            // not hold (found by the spec fuzz target: `{:?}` escaped a NUL as `\0`, which
            // read back as two characters). Text holding both quotes cannot come from a spec.
            Value::Text(s) if !s.contains('"') => write!(f, "\"{s}\""),
            Value::Text(s) => write!(f, "'{s}'"),
            Value::List(v) => {
                f.write_str("[")?;
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str("]")
            }
            // `name()`, not `name`: a bare name reads back as text.
            Value::Spec(s) if s.params.is_empty() => write!(f, "{}()", s.name),
            Value::Spec(s) => write!(f, "{s}"),
        }
    }
}

impl Value {
    /// The value as a number, or an error naming the parameter.
    pub fn as_f64(&self, param: &str) -> Result<f64> {
        match self {
            Value::Num(v) => Ok(*v),
            other => Err(Error::param(
                param,
                format!("expected a number, got {other}"),
            )),
        }
    }

    /// The value as a non-negative integer, or an error naming the parameter.
    pub fn as_usize(&self, param: &str) -> Result<usize> {
        let v = self.as_f64(param)?;
        if v >= 0.0 && v.fract() == 0.0 && v <= u32::MAX as f64 * 4096.0 {
            Ok(v as usize)
        } else {
            Err(Error::param(
                param,
                format!("expected a non-negative integer, got {v}"),
            ))
        }
    }

    /// The value as `true`/`false`, or an error naming the parameter.
    pub fn as_bool(&self, param: &str) -> Result<bool> {
        match self {
            Value::Bool(b) => Ok(*b),
            other => Err(Error::param(
                param,
                format!("expected true or false, got {other}"),
            )),
        }
    }

    /// The value as a word or string, or an error naming the parameter.
    pub fn as_text(&self, param: &str) -> Result<&str> {
        match self {
            Value::Text(s) => Ok(s),
            other => Err(Error::param(param, format!("expected a word, got {other}"))),
        }
    }
}

/// Whether `s` reads back as the same word without quotes: a name, not a number or a
/// keyword.
fn is_bare_word(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+'))
        && !matches!(s, "true" | "false" | "none")
}

/// One component: a name and its parameters in the order given.
#[derive(Clone, Debug, PartialEq)]
pub struct Spec {
    /// The snake_case name (`gaussian_nb`).
    pub name: String,
    /// `(name, value)` pairs.
    pub params: Vec<(String, Value)>,
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        if !self.params.is_empty() {
            f.write_str("(")?;
            for (i, (k, v)) in self.params.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{k}={v}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// Parses a pipeline `a|b(c=1)|d` into its stages.
pub fn parse_pipeline(text: &str) -> Result<Vec<Spec>> {
    let mut p = Parser {
        src: text,
        pos: 0,
        depth: 0,
    };
    let mut stages = vec![p.spec()?];
    loop {
        p.skip_ws();
        match p.peek() {
            None => break,
            Some('|') => {
                p.pos += 1;
                stages.push(p.spec()?);
            }
            Some(c) => return Err(p.error(format!("unexpected `{c}`"))),
        }
    }
    Ok(stages)
}

/// Parses a single spec (no `|`).
pub fn parse_spec(text: &str) -> Result<Spec> {
    let mut stages = parse_pipeline(text)?;
    if stages.len() != 1 {
        return Err(Error::Spec {
            spec: text.into(),
            reason: "expected one component, not a pipeline".into(),
        });
    }
    Ok(stages.remove(0))
}

/// How deep lists and nested specs may go (`[[...]]`, `a(p=b(q=...))`): far past any real
/// spec, and short of the stack the recursive parser needs (30,000 nested lists overflowed
/// the stack of the program's main thread).
pub const MAX_SPEC_NESTING: usize = 64;

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Lists and specs open around the current position.
    depth: usize,
}

impl Parser<'_> {
    fn error(&self, reason: String) -> Error {
        Error::Spec {
            spec: self.src.into(),
            reason: format!("{reason} at character {}", self.pos + 1),
        }
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn skip_ws(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_whitespace() {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
    }

    fn ident(&mut self) -> Result<String> {
        self.skip_ws();
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_alphanumeric() || c == '_' {
                self.pos += 1;
            } else {
                break;
            }
        }
        if start == self.pos {
            return Err(self.error("expected a name".into()));
        }
        Ok(self.src[start..self.pos].to_owned())
    }

    fn expect(&mut self, ch: char) -> Result<()> {
        self.skip_ws();
        if self.peek() == Some(ch) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected `{ch}`")))
        }
    }

    /// Enters a list or a nested spec, refusing one deeper than [`MAX_SPEC_NESTING`].
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_SPEC_NESTING {
            return Err(self.error(format!(
                "lists and specs nested deeper than {MAX_SPEC_NESTING} levels"
            )));
        }
        Ok(())
    }

    fn spec(&mut self) -> Result<Spec> {
        self.enter()?;
        let spec = self.spec_inner();
        self.depth -= 1;
        spec
    }

    fn spec_inner(&mut self) -> Result<Spec> {
        let name = self.ident()?;
        let mut params = Vec::new();
        self.skip_ws();
        if self.peek() == Some('(') {
            self.pos += 1;
            self.skip_ws();
            if self.peek() == Some(')') {
                self.pos += 1;
            } else {
                loop {
                    let key = self.ident()?;
                    if params.iter().any(|(k, _): &(String, Value)| *k == key) {
                        return Err(self.error(format!("parameter `{key}` given twice")));
                    }
                    self.expect('=')?;
                    let v = self.value()?;
                    params.push((key, v));
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some(')') => {
                            self.pos += 1;
                            break;
                        }
                        _ => return Err(self.error("expected `,` or `)`".into())),
                    }
                }
            }
        }
        Ok(Spec { name, params })
    }

    fn value(&mut self) -> Result<Value> {
        self.skip_ws();
        if self.peek() == Some('[') {
            self.enter()?;
            let list = self.value_inner();
            self.depth -= 1;
            return list;
        }
        self.value_inner()
    }

    fn value_inner(&mut self) -> Result<Value> {
        self.skip_ws();
        match self.peek() {
            Some('[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(']') {
                    self.pos += 1;
                    return Ok(Value::List(items));
                }
                loop {
                    items.push(self.value()?);
                    self.skip_ws();
                    match self.peek() {
                        Some(',') => self.pos += 1,
                        Some(']') => {
                            self.pos += 1;
                            return Ok(Value::List(items));
                        }
                        _ => return Err(self.error("expected `,` or `]`".into())),
                    }
                }
            }
            Some(q @ ('"' | '\'')) => {
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c == q {
                        let s = self.src[start..self.pos].to_owned();
                        self.pos += 1;
                        return Ok(Value::Text(s));
                    }
                    self.pos += c.len_utf8();
                }
                Err(self.error("unterminated string".into()))
            }
            Some(_) => {
                let start = self.pos;
                while let Some(c) = self.peek() {
                    if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                let word = &self.src[start..self.pos];
                if word.is_empty() {
                    return Err(self.error("expected a value".into()));
                }
                self.skip_ws();
                if self.peek() == Some('(') {
                    self.pos = start;
                    return Ok(Value::Spec(self.spec()?));
                }
                Ok(match word {
                    "true" => Value::Bool(true),
                    "false" => Value::Bool(false),
                    "none" => Value::None,
                    _ => match word.parse::<f64>() {
                        Ok(v)
                            if word.starts_with(|c: char| {
                                c.is_ascii_digit() || matches!(c, '-' | '+' | '.')
                            }) =>
                        {
                            if !v.is_finite() {
                                // `1e400`: no parameter takes an infinity, and it would print
                                // as `inf`, which reads back as text.
                                self.pos = start;
                                return Err(self.error(format!(
                                    "number `{word}` is out of range (beyond ±1.8e308)"
                                )));
                            }
                            Value::Num(v)
                        }
                        _ => Value::Text(word.to_owned()),
                    },
                })
            }
            None => Err(self.error("expected a value".into())),
        }
    }
}

/// Documentation of one hyper-parameter, for `list` and error messages.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamDoc {
    /// The parameter's name.
    pub name: &'static str,
    /// Its default, as a typed value (spec text by `Display`, a typed JSON value in
    /// `list --json`).
    pub default: Value,
    /// What it does.
    pub doc: &'static str,
    /// What values it takes, in words (`a number > 0`, `one of l1, l2, max`).
    pub allowed: String,
    /// Whether only the batch path (`fit`) takes it.
    pub batch_only: bool,
}

/// What a component declares of itself, for `list` and the common estimator checks
/// (`#[params(row_loop_fit, batch_only, alloc_free, chunking = "...")]` on its params type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Properties {
    /// `fit` is a batch algorithm of its own (`false`: it is the stream path's row loop).
    pub batch_path: bool,
    /// It learns row by row (`learn_one`, `learn_many`). `false` for a batch-only model (a
    /// CART tree, a random forest): it learns only by `fit`, refuses `learn_one` and
    /// `learn_many` with an error pointing to `fit` (leaving the model unchanged), and the
    /// program's `learn` and `eval` refuse it up front.
    pub stream_path: bool,
    /// `learn_one` and `predict_one` (and the other per-row calls) allocate nothing once the
    /// model has seen its classes and dimension.
    pub alloc_free: bool,
    /// How `learn_many` over a split of the rows relates to the row loop.
    pub chunking: Chunking,
    /// It takes rows of any width (the identity after a growing record stage), so a row of
    /// another width than the last is not an error.
    pub any_width: bool,
}

impl Properties {
    /// A batch path of its own and a stream path, no promise on allocation, `learn_many` the
    /// row loop.
    pub const DEFAULT: Properties = Properties {
        batch_path: true,
        stream_path: true,
        alloc_free: false,
        chunking: Chunking::Exact,
        any_width: false,
    };
}

/// How `learn_many` over any split of the rows relates to learning them one by one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// The same model, bit for bit.
    Exact,
    /// The same model within the laws' tolerance (sums taken in another order).
    Tolerance,
    /// A mini-batch algorithm of its own: no promise.
    Own,
}

/// Hyper-parameters that can be set by name from a spec and listed with their defaults.
///
/// Written by `#[derive(Params)]` (the `tidewater-derive` crate) from one declaration per
/// field: its default, its doc comment and its valid range.
pub trait Params: Default {
    /// The component's snake_case name on the command line.
    const NAME: &'static str;
    /// One line on what it is.
    const SUMMARY: &'static str;
    /// What the component declares of itself.
    const PROPERTIES: Properties = Properties::DEFAULT;
    /// Every parameter with its default and meaning.
    fn docs() -> Vec<ParamDoc> {
        Self::default().docs_with()
    }
    /// Every parameter with its meaning and, as its default, its value in `self` (how a
    /// component that embeds another's parameters with other defaults lists them).
    fn docs_with(&self) -> Vec<ParamDoc>;
    /// Sets one parameter from a spec value; an unknown name or a wrong type is an error that
    /// names it.
    fn set(&mut self, name: &str, value: &Value) -> Result<()>;
    /// Checks every parameter's range; an error names the bad one and what it allows.
    fn validate(&self) -> Result<()>;

    /// The parameters that only the batch path (`fit`) takes.
    fn batch_only() -> Vec<&'static str> {
        Self::docs()
            .into_iter()
            .filter(|d| d.batch_only)
            .map(|d| d.name)
            .collect()
    }

    /// Params from a spec: defaults, each given parameter set, then validated.
    fn from_spec(spec: &Spec) -> Result<Self> {
        let mut p = Self::default();
        for (k, v) in &spec.params {
            p.set(k, v)?;
        }
        p.validate()?;
        Ok(p)
    }
}

/// The error for a parameter name a component does not have, listing the ones it has.
pub fn unknown_param(component: &str, name: &str, known: &[&str]) -> Error {
    Error::UnknownParam {
        component: component.into(),
        name: name.into(),
        known: known.iter().map(|k| (*k).to_owned()).collect(),
    }
}

/// A type a spec value can set and `list` can show: numbers, flags, words, lists, nested
/// specs, and the choice enums of the algorithm crates.
pub trait ParamValue: Sized {
    /// The value from a spec, or an error naming `param` and what it takes.
    fn from_value(value: &Value, param: &str) -> Result<Self>;
    /// The value as a spec value (for `list` and error messages).
    fn to_value(&self) -> Value;
    /// What values the type takes, in words (`a number`, `true or false`, `one of a, b`).
    fn kind() -> String;
    /// The number the value holds, for range checks (none for a non-number or `None`).
    fn as_number(&self) -> Option<f64> {
        None
    }
    /// The smallest value the type can hold, when it is a number type with one (0 for the
    /// unsigned integers), stated in `list` unless a bound says more.
    fn least() -> Option<f64> {
        None
    }
}

/// One bound of a numeric parameter.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// Greater than.
    Gt(f64),
    /// Greater than or equal to.
    Ge(f64),
    /// Less than.
    Lt(f64),
    /// Less than or equal to.
    Le(f64),
}

impl Bound {
    fn holds(self, v: f64) -> bool {
        match self {
            Bound::Gt(b) => v > b,
            Bound::Ge(b) => v >= b,
            Bound::Lt(b) => v < b,
            Bound::Le(b) => v <= b,
        }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Bound::Gt(b) => write!(f, "> {b}"),
            Bound::Ge(b) => write!(f, ">= {b}"),
            Bound::Lt(b) => write!(f, "< {b}"),
            Bound::Le(b) => write!(f, "<= {b}"),
        }
    }
}

/// What one parameter of type `T` allows: its type's values, within bounds, or one of a
/// few numbers. The derive writes one per field; `check` is its validation and
/// `describe` the words `list` and error messages use.
pub struct Rule<'a, T> {
    bounds: &'a [Bound],
    one_of: Option<&'a [f64]>,
    ty: std::marker::PhantomData<fn() -> T>,
}

impl<'a, T: ParamValue> Rule<'a, T> {
    /// The rule of a parameter with these bounds (all must hold) or these allowed numbers.
    pub fn new(bounds: &'a [Bound], one_of: Option<&'a [f64]>) -> Self {
        Rule {
            bounds,
            one_of,
            ty: std::marker::PhantomData,
        }
    }

    /// The allowed values in words: `a number > 0 and <= 1`, `one of 0, 1, 2`.
    pub fn describe(&self) -> String {
        if let Some(set) = self.one_of {
            let items: Vec<String> = set.iter().map(|v| v.to_string()).collect();
            return format!("one of {}", items.join(", "));
        }
        let mut s = T::kind();
        let lower = |b: &Bound| matches!(b, Bound::Gt(_) | Bound::Ge(_));
        let least = T::least()
            .filter(|_| !self.bounds.iter().any(lower))
            .map(Bound::Ge);
        for (i, b) in least.iter().chain(self.bounds).enumerate() {
            s.push_str(if i == 0 { " " } else { " and " });
            s.push_str(&b.to_string());
        }
        s
    }

    /// Checks a value, naming the parameter and what it allows when it is out of range.
    pub fn check(&self, name: &str, value: &T) -> Result<()> {
        let Some(v) = value.as_number() else {
            return Ok(());
        };
        let ok = v.is_finite()
            && self.bounds.iter().all(|b| b.holds(v))
            && self.one_of.is_none_or(|set| set.contains(&v));
        if ok {
            Ok(())
        } else {
            Err(Error::param(
                name,
                format!("must be {}, got {}", self.describe(), value.to_value()),
            ))
        }
    }
}

/// The error of a spec value of the wrong type for `param`.
fn expected<T: ParamValue>(param: &str, got: &Value) -> Error {
    Error::param(param, format!("expected {}, got {got}", T::kind()))
}

impl ParamValue for f64 {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::Num(v) if v.is_finite() => Ok(*v),
            other => Err(expected::<Self>(param, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Num(*self)
    }
    fn kind() -> String {
        "a number".into()
    }
    fn as_number(&self) -> Option<f64> {
        Some(*self)
    }
}

macro_rules! integer_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn from_value(value: &Value, param: &str) -> Result<Self> {
                match value {
                    Value::Num(v) if v.fract() == 0.0 && *v >= 0.0 && *v <= <$t>::MAX as f64 => {
                        Ok(*v as $t)
                    }
                    other => Err(expected::<Self>(param, other)),
                }
            }
            fn to_value(&self) -> Value {
                Value::Num(*self as f64)
            }
            fn kind() -> String {
                "an integer".into()
            }
            fn as_number(&self) -> Option<f64> {
                Some(*self as f64)
            }
            fn least() -> Option<f64> {
                Some(0.0)
            }
        }
    )*};
}
integer_param!(u8, u32, u64, usize);

impl ParamValue for bool {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::Bool(b) => Ok(*b),
            other => Err(expected::<Self>(param, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn kind() -> String {
        "true or false".into()
    }
}

/// A word; a number is taken as its text (a column named `0`).
impl ParamValue for String {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::Text(s) => Ok(s.clone()),
            Value::Num(v) => Ok(v.to_string()),
            other => Err(expected::<Self>(param, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn kind() -> String {
        "a word".into()
    }
}

impl<T: ParamValue> ParamValue for Option<T> {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::None => Ok(None),
            v => T::from_value(v, param).map(Some),
        }
    }
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::None, T::to_value)
    }
    fn kind() -> String {
        let inner = T::kind();
        if inner.contains(" or ") {
            format!("none, {inner}")
        } else {
            format!("none or {inner}")
        }
    }
    fn as_number(&self) -> Option<f64> {
        self.as_ref().and_then(T::as_number)
    }
    fn least() -> Option<f64> {
        T::least()
    }
}

/// A list; a single item stands for a list of one (`columns=city`).
impl<T: ParamValue> ParamValue for Vec<T> {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::List(items) => items.iter().map(|v| T::from_value(v, param)).collect(),
            Value::None => Err(expected::<Self>(param, value)),
            one => T::from_value(one, param)
                .map(|v| vec![v])
                .map_err(|_| expected::<Self>(param, one)),
        }
    }
    fn to_value(&self) -> Value {
        Value::List(self.iter().map(T::to_value).collect())
    }
    fn kind() -> String {
        format!("a list [..] of {}", plural(&T::kind()))
    }
}

impl ParamValue for (f64, f64) {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::List(items) if items.len() == 2 => Ok((
                f64::from_value(&items[0], param)?,
                f64::from_value(&items[1], param)?,
            )),
            other => Err(expected::<Self>(param, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::List(vec![Value::Num(self.0), Value::Num(self.1)])
    }
    fn kind() -> String {
        "a pair [low,high] of numbers".into()
    }
}

/// A nested spec (`stream=agrawal(classification_function=0)`); a word or a quoted string is
/// read as a spec (`stream=sea`, `stream="sea(seed=1)"`).
impl ParamValue for Spec {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::Spec(s) => Ok(s.clone()),
            Value::Text(t) => parse_spec(t),
            other => Err(expected::<Self>(param, other)),
        }
    }
    fn to_value(&self) -> Value {
        Value::Spec(self.clone())
    }
    fn kind() -> String {
        "a spec such as name(p=1)".into()
    }
}

/// A cell value: a number, or text (a missing cell is `none` in an `Option<Cell>`).
impl ParamValue for crate::io::Cell {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        match value {
            Value::Num(v) if v.is_finite() => Ok(crate::io::Cell::Num(*v)),
            Value::Text(t) => Ok(crate::io::Cell::Text(t.clone())),
            other => Err(expected::<Self>(param, other)),
        }
    }
    fn to_value(&self) -> Value {
        match self {
            crate::io::Cell::Num(v) => Value::Num(*v),
            crate::io::Cell::Text(t) => Value::Text(t.clone()),
            crate::io::Cell::Missing => Value::None,
        }
    }
    fn kind() -> String {
        "a number or a word".into()
    }
}

/// `a number` as `numbers`, for list kinds.
fn plural(kind: &str) -> String {
    let k = kind
        .strip_prefix("an ")
        .or_else(|| kind.strip_prefix("a "))
        .unwrap_or(kind);
    let (head, tail) = k.split_once(' ').unwrap_or((k, ""));
    let sep = if tail.is_empty() { "" } else { " " };
    format!("{head}s{sep}{tail}")
}

/// Implements [`ParamValue`] for an enum of named choices: each variant and its spec word.
///
/// ```
/// # use tidewater_core::param_choices;
/// #[derive(Clone, Copy, Debug, PartialEq)]
/// enum Norm { L1, L2 }
/// param_choices!(Norm { L1 => "l1", L2 => "l2" });
/// ```
#[macro_export]
macro_rules! param_choices {
    ($t:ty { $($variant:ident => $word:literal),+ $(,)? }) => {
        impl $crate::spec::ParamValue for $t {
            fn from_value(
                value: &$crate::spec::Value,
                param: &str,
            ) -> $crate::Result<Self> {
                match value {
                    $( $crate::spec::Value::Text(w) if w == $word => Ok(<$t>::$variant), )+
                    other => Err($crate::Error::param(
                        param,
                        format!("expected {}, got {other}", <Self as $crate::spec::ParamValue>::kind()),
                    )),
                }
            }
            fn to_value(&self) -> $crate::spec::Value {
                $crate::spec::Value::Text(
                    match self { $( <$t>::$variant => $word, )+ }.to_owned(),
                )
            }
            fn kind() -> String {
                format!("one of {}", [$($word),+].join(", "))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pipelines_values_and_nested_specs() {
        let s = parse_pipeline(
            "standard_scaler | m(p=1e-3,flag=true,mode=down,init=\"first\",l=[1,2],n=none,\
             stream=agrawal(classification_function=0))",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "standard_scaler");
        let p = &s[1].params;
        assert_eq!(p[0], ("p".into(), Value::Num(1e-3)));
        assert_eq!(p[1].1, Value::Bool(true));
        assert_eq!(p[2].1, Value::Text("down".into()));
        assert_eq!(p[3].1, Value::Text("first".into()));
        assert_eq!(p[4].1, Value::List(vec![Value::Num(1.0), Value::Num(2.0)]));
        assert_eq!(p[5].1, Value::None);
        match &p[6].1 {
            Value::Spec(n) => assert_eq!(n.params[0].1, Value::Num(0.0)),
            v => panic!("expected a nested spec, got {v}"),
        }
    }

    #[test]
    fn malformed_specs_are_errors_naming_the_place() {
        for bad in ["", "a(", "a(b)", "a(b=1", "a(b=1,b=2)", "a b", "a(b=\"x)"] {
            let e = parse_pipeline(bad).unwrap_err().to_string();
            assert!(e.contains("spec"), "{bad}: {e}");
        }
    }

    /// Nesting past 64 levels is a named error, not a stack overflow (30,000 nested lists
    /// aborted the program); 64 levels still parse.
    #[test]
    fn deep_nesting_is_refused_before_the_stack_runs_out() {
        let deep = format!("a(p={}{})", "[".repeat(30_000), "]".repeat(30_000));
        let e = parse_spec(&deep).unwrap_err().to_string();
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        let specs = format!("{}b{}", "a(p=".repeat(30_000), ")".repeat(30_000));
        let e = parse_spec(&specs).unwrap_err().to_string();
        assert!(e.contains("nested deeper than 64 levels"), "{e}");
        let ok = format!("a(p={}{})", "[".repeat(63), "]".repeat(63));
        assert!(parse_spec(&ok).is_ok());
    }
}
