//! Category encoders for record stages: [`OneHotEncoderParams`] and
//! [`OrdinalEncoderParams`], and what they share (category sets grown in order of first
//! appearance, the unknown-category policy).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, ensure, same_len};
use tidewater_core::record::{Cell, ColumnKind, FeatureBuf, RecordSchema};
use tidewater_core::spec::Params;
use tidewater_core::{Error, Location, Result};

use crate::common::MAX_CAPACITY;

/// What an encoder does with a category it does not know.
///
/// A category is *unknown* when it is met in `transform_one` (or `predict_one`) before any
/// learning call has seen it, or when it is learned after the encoder's `max_categories` are
/// all taken. On the stream path every new category is first met at prediction time
/// (predict, then learn), which is why the default is `ignore`, River's behaviour, and not
/// scikit-learn's `error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum HandleUnknown {
    /// An error naming the column and the category.
    Error,
    /// One-hot: all zeros. Ordinal: `unknown_value`.
    Ignore,
    /// A reserved slot: one-hot's first column of each block (`col=<unknown>`), ordinal code
    /// 0 (known categories are numbered from 1, River's convention).
    Reserve,
}

tidewater_core::param_choices!(HandleUnknown {
    Error => "error",
    Ignore => "ignore",
    Reserve => "reserve",
});

/// The text key of a cell: its text, or a number's shortest form (`1`, `2.5`).
pub(crate) fn key(c: &Cell) -> Option<Cow<'_, str>> {
    match c {
        Cell::Text(s) => Some(Cow::Borrowed(s.as_str())),
        Cell::Num(v) => Some(Cow::Owned(format!("{v}"))),
        Cell::Missing => None,
    }
}

/// Categories in order of first appearance, with an index for lookups (rebuilt on load, so
/// the saved form is just the list and is deterministic).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(from = "Vec<String>", into = "Vec<String>")]
pub(crate) struct CategorySet {
    list: Vec<String>,
    index: HashMap<String, usize>,
}

impl From<Vec<String>> for CategorySet {
    fn from(list: Vec<String>) -> Self {
        let index = list
            .iter()
            .enumerate()
            .map(|(i, s)| (s.clone(), i))
            .collect();
        CategorySet { list, index }
    }
}

impl From<CategorySet> for Vec<String> {
    fn from(c: CategorySet) -> Self {
        c.list
    }
}

impl PartialEq for CategorySet {
    fn eq(&self, o: &Self) -> bool {
        self.list == o.list
    }
}

impl CategorySet {
    pub(crate) fn get(&self, k: &str) -> Option<usize> {
        self.index.get(k).copied()
    }
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
    pub(crate) fn list(&self) -> &[String] {
        &self.list
    }
    /// Adds `k` if new and there is room (`cap`); returns its index, if it has one.
    pub(crate) fn insert(&mut self, k: &str, cap: Option<usize>) -> Option<usize> {
        if let Some(i) = self.get(k) {
            return Some(i);
        }
        if cap.is_some_and(|c| self.list.len() >= c) {
            return None;
        }
        let i = self.list.len();
        self.list.push(k.to_owned());
        self.index.insert(k.to_owned(), i);
        Some(i)
    }
    /// Each category once, and the lookup index agreeing with the list (it is rebuilt from
    /// the list on load, so a repeated category is where they disagree): a repeat would
    /// take an output slot that no value ever reaches.
    pub(crate) fn check(&self) -> StateResult {
        for (i, k) in self.list.iter().enumerate() {
            match self.index.get(k) {
                Some(&j) if j == i => {}
                Some(&j) => return Err(format!("`{k}` appears twice (at {i} and {j})")),
                None => return Err(format!("`{k}` (at {i}) is not in the index")),
            }
        }
        same_len("index", self.index.len(), self.list.len())
    }

    /// [`check`](Self::check), and at most `cap` categories when there is a limit (learning
    /// adds none past it; the output has room for no more).
    pub(crate) fn check_capped(&self, cap: Option<usize>) -> StateResult {
        if let Some(c) = cap {
            ensure(self.list.len() <= c, || {
                format!("{} where the most is {c}", self.list.len())
            })?;
        }
        self.check()
    }

    /// Sorts the categories: numerically when every one is a number, else lexically.
    pub(crate) fn sort(&mut self) {
        let nums: Option<Vec<f64>> = self.list.iter().map(|s| s.parse::<f64>().ok()).collect();
        match nums {
            Some(_) => self.list.sort_by(|a, b| {
                let (x, y) = (
                    a.parse::<f64>().unwrap_or(0.0),
                    b.parse::<f64>().unwrap_or(0.0),
                );
                x.total_cmp(&y)
            }),
            None => self.list.sort(),
        }
        *self = CategorySet::from(std::mem::take(&mut self.list));
    }
}

/// The category columns an encoder takes: the named ones (checked against the schema), or
/// by default every nominal column.
pub(crate) fn bind_columns(
    schema: &RecordSchema,
    columns: &Option<Vec<String>>,
    component: &str,
    default_nominal: bool,
) -> Result<(Vec<usize>, Vec<String>)> {
    let idx: Vec<usize> = match columns {
        Some(names) => names
            .iter()
            .map(|n| {
                schema.require(n).map_err(|_| Error::BadValue {
                    location: Location::Column(n.clone()),
                    reason: format!(
                        "`{component}` names a column the data does not have (columns: {})",
                        schema.names().join(", ")
                    ),
                })
            })
            .collect::<Result<_>>()?,
        None => (0..schema.len())
            .filter(|&i| !default_nominal || schema.kinds()[i] == ColumnKind::Nominal)
            .collect(),
    };
    let names = idx.iter().map(|&i| schema.names()[i].clone()).collect();
    Ok((idx, names))
}

/// The columns a bound step takes against the record schema: a name per column, each
/// column in the schema and named as the schema names it (steps index records by these
/// columns, and their errors name them).
pub(crate) fn check_bound_columns(
    cols: &[usize],
    names: &[String],
    schema: &RecordSchema,
) -> StateResult {
    same_len("column names", names.len(), cols.len())?;
    let n = schema.len();
    for (&j, name) in cols.iter().zip(names) {
        ensure(j < n, || format!("column {j} out of range (0..{n})"))?;
        let want = &schema.names()[j];
        ensure(name == want, || {
            format!("column {j} is `{want}` in the schema, `{name}` here")
        })?;
    }
    Ok(())
}

/// One category set per column (named by `names`), each checked, none past `cap`: errors
/// read ``column `c`: <what>: ...``.
pub(crate) fn check_category_sets(
    what: &str,
    names: &[String],
    sets: &[CategorySet],
    cap: Option<usize>,
) -> StateResult {
    same_len(what, sets.len(), names.len())?;
    for (n, c) in names.iter().zip(sets) {
        c.check_capped(cap)
            .map_err(|e| format!("column `{n}`: {what}: {e}"))?;
    }
    Ok(())
}

fn missing(column: &str) -> Error {
    Error::BadValue {
        location: Location::Column(column.to_owned()),
        reason: "missing value (no imputer in this pipeline)".into(),
    }
}

fn unknown(column: &str, k: &str, full: Option<usize>) -> Error {
    Error::BadValue {
        location: Location::Column(column.to_owned()),
        reason: match full {
            Some(cap) => format!(
                "category `{k}` does not fit: max_categories={cap} are taken (handle_unknown=error)"
            ),
            None => format!("unknown category `{k}` (handle_unknown=error)"),
        },
    }
}

/// The methods an encoder bound to its columns (`params`, `cols`, `names`, `cats`) shares:
/// `bind`, `categories` (documented by the given doc comment), `columns`, and the `check`
/// and `learn` of a record against the categories of those columns.
macro_rules! bound_encoder {
    ($params:ident, $(#[$categories_doc:meta])*) => {
        /// Binds the parameters to a record schema.
        pub fn bind(params: &$params, schema: &RecordSchema) -> Result<Self> {
            params.validate()?;
            let (cols, names) = bind_columns(schema, &params.columns, $params::NAME, true)?;
            let cats = vec![CategorySet::default(); cols.len()];
            Ok(Self {
                params: params.clone(),
                cols,
                names,
                cats,
            })
        }

        $(#[$categories_doc])*
        pub fn categories(&self) -> Vec<Vec<String>> {
            self.cats.iter().map(|c| c.list().to_vec()).collect()
        }

        pub(crate) fn columns(&self) -> &[usize] {
            &self.cols
        }

        pub(crate) fn check(&self, x: &[Cell], learning: bool) -> Result<()> {
            for (k, &j) in self.cols.iter().enumerate() {
                let Some(key) = key(&x[j]) else {
                    return Err(missing(&self.names[k]));
                };
                let c = &self.cats[k];
                if c.get(&key).is_some() || self.params.handle_unknown != HandleUnknown::Error {
                    continue;
                }
                match self.params.max_categories {
                    Some(cap) if c.len() >= cap => {
                        return Err(unknown(&self.names[k], &key, Some(cap)));
                    }
                    _ if learning => {}
                    _ => return Err(unknown(&self.names[k], &key, None)),
                }
            }
            Ok(())
        }

        pub(crate) fn learn(&mut self, x: &[Cell]) {
            for (k, &j) in self.cols.iter().enumerate() {
                if let Some(key) = key(&x[j]) {
                    self.cats[k].insert(&key, self.params.max_categories);
                }
            }
        }

        /// Its columns against the record stage's schema (see [`check_bound_columns`]).
        pub(crate) fn check_columns(&self, schema: &RecordSchema) -> StateResult {
            check_bound_columns(&self.cols, &self.names, schema)
        }
    };
}

/// [`CheckState`] for an encoder of [`bound_encoder!`]: its params, a name and a category
/// set per column, each set without repeats and within `max_categories`. (Its columns are
/// checked against the schema by the record stage, which holds the schema.)
macro_rules! check_bound_encoder {
    ($encoder:ty) => {
        impl CheckState for $encoder {
            fn check_state(&self) -> StateResult {
                self.params.check_state()?;
                same_len("column names", self.names.len(), self.cols.len())?;
                check_category_sets(
                    "categories",
                    &self.names,
                    &self.cats,
                    self.params.max_categories,
                )
            }
        }
    };
}

/// Hyper-parameters of the one-hot encoder of a record stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "one_hot_encoder",
    summary = "record stage: one 0/1 column per category, categories numbered by first appearance on both paths"
)]
pub struct OneHotEncoderParams {
    /// Columns to encode, by name (none: every nominal column).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
    /// An unknown category: error, ignore (River's, the default) or reserve (a slot of its own).
    #[param(default = HandleUnknown::Ignore)]
    pub handle_unknown: HandleUnknown,
    /// Fit only: number the categories of `fit` in sorted order (numbers numerically, text lexically), scikit-learn's order, instead of by first appearance; categories met later are appended.
    #[param(default = false, batch_only)]
    pub sorted: bool,
    /// Most categories per column (none: no limit); a limit fixes the output size online, later new categories are unknown.
    #[param(default = None, le = MAX_CAPACITY)]
    pub max_categories: Option<usize>,
}

impl OneHotEncoderParams {
    /// Sets `columns`.
    pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(c.into_iter().map(Into::into).collect());
        self
    }
}

/// Hyper-parameters of the ordinal encoder of a record stage.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "ordinal_encoder",
    summary = "record stage: each category column becomes the number of its category (first appearance order on both paths)"
)]
pub struct OrdinalEncoderParams {
    /// Columns to encode, by name (none: every nominal column).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
    /// An unknown category: error, ignore (River's, the default) or reserve (a slot of its own).
    #[param(default = HandleUnknown::Ignore)]
    pub handle_unknown: HandleUnknown,
    /// Fit only: number the categories of `fit` in sorted order (numbers numerically, text lexically), scikit-learn's order, instead of by first appearance; categories met later are appended.
    #[param(default = false, batch_only)]
    pub sorted: bool,
    /// Most categories per column (none: no limit); a limit fixes the output size online, later new categories are unknown.
    #[param(default = None, le = MAX_CAPACITY)]
    pub max_categories: Option<usize>,
    /// The code of an unknown category with handle_unknown=ignore.
    #[param(default = -1.0)]
    pub unknown_value: f64,
}

impl OrdinalEncoderParams {
    /// Sets `columns`.
    pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
        self.columns = Some(c.into_iter().map(Into::into).collect());
        self
    }
}

/// A one-hot encoder bound to its columns: one block of columns per input column, holding
/// (with `handle_unknown=reserve`) a first slot for unknown categories, then one 0/1 column
/// per category in order of first appearance (or sorted, in batch), then (with
/// `max_categories`) empty slots up to the limit. Named `col=value`, `col=<unknown>`,
/// `col=<slot k>`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OneHotEncoder {
    params: OneHotEncoderParams,
    cols: Vec<usize>,
    names: Vec<String>,
    cats: Vec<CategorySet>,
}

impl OneHotEncoder {
    bound_encoder!(
        OneHotEncoderParams,
        /// The categories of each column, in output order.
    );

    fn reserve(&self) -> usize {
        usize::from(self.params.handle_unknown == HandleUnknown::Reserve)
    }

    fn col_width(&self, c: &CategorySet) -> usize {
        self.reserve() + self.params.max_categories.unwrap_or(c.len())
    }

    pub(crate) fn width(&self) -> usize {
        self.cats.iter().map(|c| self.col_width(c)).sum()
    }

    pub(crate) fn width_after(&self, x: &[Cell]) -> usize {
        if self.params.max_categories.is_some() {
            return self.width();
        }
        let mut w = self.width();
        for (k, &j) in self.cols.iter().enumerate() {
            if let Some(key) = key(&x[j])
                && self.cats[k].get(&key).is_none()
            {
                w += 1;
            }
        }
        w
    }

    pub(crate) fn encode(&self, x: &[Cell], mut offset: usize, out: &mut FeatureBuf) -> Result<()> {
        let r = self.reserve();
        for (k, &j) in self.cols.iter().enumerate() {
            let c = &self.cats[k];
            let key = key(&x[j]).ok_or_else(|| missing(&self.names[k]))?;
            match (c.get(&key), self.params.handle_unknown) {
                (Some(i), _) => out.add(offset + r + i, 1.0)?,
                (None, HandleUnknown::Reserve) => out.add(offset, 1.0)?,
                (None, HandleUnknown::Ignore) => {}
                (None, HandleUnknown::Error) => return Err(unknown(&self.names[k], &key, None)),
            }
            offset += self.col_width(c);
        }
        Ok(())
    }

    pub(crate) fn feature_names(&self, out: &mut Vec<String>) {
        for (k, c) in self.cats.iter().enumerate() {
            let n = &self.names[k];
            if self.reserve() == 1 {
                out.push(format!("{n}=<unknown>"));
            }
            out.extend(c.list().iter().map(|v| format!("{n}={v}")));
            for s in c.len()..self.params.max_categories.unwrap_or(c.len()) {
                out.push(format!("{n}=<slot {s}>"));
            }
        }
    }

    pub(crate) fn finish_batch(&mut self) {
        if self.params.sorted {
            self.cats.iter_mut().for_each(CategorySet::sort);
        }
    }
}

check_bound_encoder!(OneHotEncoder);

/// An ordinal encoder bound to its columns: one output per column, the category's number in
/// order of first appearance (or sorted, in batch); from 1 with `handle_unknown=reserve`
/// (0 is the unknown code), else from 0 (unknown categories get `unknown_value` with
/// `ignore`). Output columns keep the input names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OrdinalEncoder {
    params: OrdinalEncoderParams,
    cols: Vec<usize>,
    names: Vec<String>,
    cats: Vec<CategorySet>,
}

impl OrdinalEncoder {
    bound_encoder!(
        OrdinalEncoderParams,
        /// The categories of each column, in code order.
    );

    pub(crate) fn width(&self) -> usize {
        self.cols.len()
    }

    pub(crate) fn encode(&self, x: &[Cell], offset: usize, out: &mut FeatureBuf) -> Result<()> {
        let reserve = self.params.handle_unknown == HandleUnknown::Reserve;
        for (k, &j) in self.cols.iter().enumerate() {
            let key = key(&x[j]).ok_or_else(|| missing(&self.names[k]))?;
            let code = match (self.cats[k].get(&key), self.params.handle_unknown) {
                (Some(i), _) => i as f64 + f64::from(u8::from(reserve)),
                (None, HandleUnknown::Reserve) => 0.0,
                (None, HandleUnknown::Ignore) => self.params.unknown_value,
                (None, HandleUnknown::Error) => return Err(unknown(&self.names[k], &key, None)),
            };
            out.add(offset + k, code)?;
        }
        Ok(())
    }

    pub(crate) fn feature_names(&self, out: &mut Vec<String>) {
        out.extend(self.names.iter().cloned());
    }

    pub(crate) fn finish_batch(&mut self) {
        if self.params.sorted {
            self.cats.iter_mut().for_each(CategorySet::sort);
        }
    }
}

check_bound_encoder!(OrdinalEncoder);
