//! Component specifications as the command line writes them: `name(p=1e-3,flag=true,mode=down)`,
//! composed into pipelines with `a|b|c`.

use std::fmt;

use crate::error::{Error, Result};

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
            Value::Num(v) => write!(f, "{v}"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::None => f.write_str("none"),
            Value::Text(s) => write!(f, "{s:?}"),
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
    let mut p = Parser { src: text, pos: 0 };
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

struct Parser<'a> {
    src: &'a str,
    pos: usize,
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

    fn spec(&mut self) -> Result<Spec> {
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
    /// Its default, as spec text.
    pub default: String,
    /// What it does.
    pub doc: &'static str,
}

/// Hyper-parameters that can be set by name from a spec and listed with their defaults.
pub trait Params: Default {
    /// The component's snake_case name on the command line.
    const NAME: &'static str;
    /// One line on what it is.
    const SUMMARY: &'static str;
    /// Every parameter with its default and meaning.
    fn docs() -> Vec<ParamDoc>;
    /// Sets one parameter from a spec value; an unknown name or a wrong type is an error that
    /// names it.
    fn set(&mut self, name: &str, value: &Value) -> Result<()>;
    /// Checks every parameter's range; an error names the bad one.
    fn validate(&self) -> Result<()>;

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

/// The error for a parameter name a component does not have.
pub fn unknown_param(component: &str, name: &str) -> Error {
    Error::UnknownParam {
        component: component.into(),
        name: name.into(),
    }
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
}
