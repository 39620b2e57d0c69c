//! Text columns: a [`Tokenizer`], and bag-of-words counts and TF-IDF weights with online
//! document frequencies, for record stages.

use serde::{Deserialize, Serialize};
use tidewater_core::check::{CheckState, StateResult, all_at_least_zero, ensure, same_len, within};
use tidewater_core::record::{Cell, ColumnKind, FeatureBuf, RecordSchema};
use tidewater_core::spec::Params;
use tidewater_core::{Error, Location, Result};

use crate::common::{MAX_CAPACITY, at_least_zero};
use crate::encode::{CategorySet, bind_columns, check_bound_columns, check_category_sets};

/// Splits text into tokens as scikit-learn's and River's default pattern `(?u)\b\w\w+\b`
/// does: maximal runs of word characters (Unicode letters, digits and `_`) of at least two
/// characters, lowercased first when asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokenizer {
    /// Lowercase the text before splitting (default true).
    pub lowercase: bool,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Tokenizer { lowercase: true }
    }
}

impl Tokenizer {
    /// Calls `f` with each token of `text`, in order.
    pub fn for_each_token(&self, text: &str, mut f: impl FnMut(&str)) {
        let lowered;
        let text = if self.lowercase && text.chars().any(char::is_uppercase) {
            lowered = text.to_lowercase();
            lowered.as_str()
        } else {
            text
        };
        let is_word = |c: char| c.is_alphanumeric() || c == '_';
        let mut start: Option<usize> = None;
        let mut chars = 0usize;
        for (i, c) in text.char_indices() {
            if is_word(c) {
                if start.is_none() {
                    start = Some(i);
                    chars = 0;
                }
                chars += 1;
            } else if let Some(s) = start.take()
                && chars >= 2
            {
                f(&text[s..i]);
            }
        }
        if let Some(s) = start
            && chars >= 2
        {
            f(&text[s..]);
        }
    }

    /// The tokens of `text`.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        let mut v = Vec::new();
        self.for_each_token(text, |t| v.push(t.to_owned()));
        v
    }
}

/// What a [`TextVectorizer`] is bound with: the parameters of [`BagOfWordsParams`] and
/// [`TfIdfParams`] (River's names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextParams {
    /// The text columns, by name (default: every nominal column).
    pub columns: Option<Vec<String>>,
    /// Lowercase before tokenizing.
    pub lowercase: bool,
    /// The most tokens per column (default: no limit).
    pub max_vocabulary: Option<usize>,
    /// TF-IDF only: divide each column's weights by their Euclidean norm.
    pub normalize: bool,
}

/// Hyper-parameters of the bag-of-words vectorizer of a record stage (River's names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "bag_of_words",
    summary = "record stage: token counts of text columns, vocabulary grown in order of first appearance"
)]
pub struct BagOfWordsParams {
    /// Text columns, by name (none: every nominal column).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
    /// Lowercase before tokenizing.
    #[param(default = true)]
    pub lowercase: bool,
    /// Most tokens per column (none: no limit); a limit fixes the output size online, later new tokens are ignored.
    #[param(default = None, le = MAX_CAPACITY)]
    pub max_vocabulary: Option<usize>,
    /// Unused by a bag of words (kept so its saved form is TF-IDF's).
    #[param(default = true, hidden)]
    pub normalize: bool,
}

/// Hyper-parameters of the TF-IDF vectorizer of a record stage (River's names).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Params)]
#[params(
    name = "tfidf",
    summary = "record stage: TF-IDF weights of text columns with online document frequencies (scikit-learn's smooth idf, River's TFIDF)"
)]
pub struct TfIdfParams {
    /// Text columns, by name (none: every nominal column).
    #[param(default = None, skip_setter)]
    pub columns: Option<Vec<String>>,
    /// Lowercase before tokenizing.
    #[param(default = true)]
    pub lowercase: bool,
    /// Most tokens per column (none: no limit); a limit fixes the output size online, later new tokens are ignored.
    #[param(default = None, le = MAX_CAPACITY)]
    pub max_vocabulary: Option<usize>,
    /// Divide each column's weights by their Euclidean norm.
    #[param(default = true)]
    pub normalize: bool,
}

macro_rules! text_params {
    ($t:ty) => {
        impl $t {
            /// Sets `columns`.
            pub fn columns<S: Into<String>>(mut self, c: impl IntoIterator<Item = S>) -> Self {
                self.columns = Some(c.into_iter().map(Into::into).collect());
                self
            }

            /// The parameters the vectorizer is bound with.
            pub fn text(&self) -> TextParams {
                TextParams {
                    columns: self.columns.clone(),
                    lowercase: self.lowercase,
                    max_vocabulary: self.max_vocabulary,
                    normalize: self.normalize,
                }
            }
        }
    };
}
text_params!(BagOfWordsParams);
text_params!(TfIdfParams);

/// A text vectorizer bound to its columns: a vocabulary per column (tokens numbered in order
/// of first appearance), and for TF-IDF the (weighted) number of documents holding each
/// token and of documents. Output blocks, one per column, are sparse and named
/// `col:token`; tokens not in the vocabulary are ignored.
///
/// Bag of words writes each token's count. TF-IDF writes `count * idf` with
/// `idf = ln((1 + n) / (1 + df)) + 1` (scikit-learn's `smooth_idf`, River's `TFIDF`), `n`
/// the documents learned and `df` those holding the token, then divides the block by its
/// Euclidean norm (`normalize`). Both paths learn the same counts, so a TF-IDF fitted in
/// batch and one learned record by record transform alike.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TextVectorizer {
    params: TextParams,
    tfidf: bool,
    cols: Vec<usize>,
    names: Vec<String>,
    vocab: Vec<CategorySet>,
    df: Vec<Vec<f64>>,
    n_docs: f64,
}

impl TextVectorizer {
    /// Binds the parameters to a record schema (`tfidf` chooses the weights).
    pub fn bind(params: &TextParams, tfidf: bool, schema: &RecordSchema) -> Result<Self> {
        let component = if tfidf { "tfidf" } else { "bag_of_words" };
        crate::common::check_capacity("max_vocabulary", params.max_vocabulary)?;
        let (cols, names) = bind_columns(schema, &params.columns, component, true)?;
        for (&j, n) in cols.iter().zip(&names) {
            if schema.kinds()[j] != ColumnKind::Nominal {
                return Err(Error::BadValue {
                    location: Location::Column(n.clone()),
                    reason: format!("`{component}` takes text columns, but this one is numeric"),
                });
            }
        }
        let k = cols.len();
        Ok(TextVectorizer {
            params: params.clone(),
            tfidf,
            cols,
            names,
            vocab: vec![CategorySet::default(); k],
            df: vec![Vec::new(); k],
            n_docs: 0.0,
        })
    }

    /// The component's name: `tfidf` or `bag_of_words`.
    pub(crate) fn kind(&self) -> &'static str {
        if self.tfidf { "tfidf" } else { "bag_of_words" }
    }

    fn tokenizer(&self) -> Tokenizer {
        Tokenizer {
            lowercase: self.params.lowercase,
        }
    }

    pub(crate) fn columns(&self) -> &[usize] {
        &self.cols
    }

    fn col_width(&self, v: &CategorySet) -> usize {
        self.params.max_vocabulary.unwrap_or(v.len())
    }

    pub(crate) fn width(&self) -> usize {
        self.vocab.iter().map(|v| self.col_width(v)).sum()
    }

    pub(crate) fn width_after(&self, x: &[Cell]) -> usize {
        if self.params.max_vocabulary.is_some() {
            return self.width();
        }
        let mut w = self.width();
        for (k, &j) in self.cols.iter().enumerate() {
            if let Cell::Text(t) = &x[j] {
                let mut fresh: Vec<String> = Vec::new();
                self.tokenizer().for_each_token(t, |tok| {
                    if self.vocab[k].get(tok).is_none() && !fresh.iter().any(|f| f == tok) {
                        fresh.push(tok.to_owned());
                    }
                });
                w += fresh.len();
            }
        }
        w
    }

    pub(crate) fn check(&self, x: &[Cell]) -> Result<()> {
        for (k, &j) in self.cols.iter().enumerate() {
            if !matches!(x[j], Cell::Text(_)) {
                return Err(Error::BadValue {
                    location: Location::Column(self.names[k].clone()),
                    reason: "missing value (no imputer in this pipeline)".into(),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn learn(&mut self, x: &[Cell], w: f64) {
        let tok = self.tokenizer();
        let cap = self.params.max_vocabulary;
        let mut seen: Vec<usize> = Vec::new();
        for (k, &j) in self.cols.iter().enumerate() {
            let Cell::Text(t) = &x[j] else { continue };
            seen.clear();
            let vocab = &mut self.vocab[k];
            let df = &mut self.df[k];
            tok.for_each_token(t, |token| {
                if let Some(i) = vocab.insert(token, cap) {
                    if df.len() <= i {
                        df.resize(i + 1, 0.0);
                    }
                    if !seen.contains(&i) {
                        seen.push(i);
                        df[i] += w;
                    }
                }
            });
        }
        self.n_docs += w;
    }

    pub(crate) fn encode(&self, x: &[Cell], mut offset: usize, out: &mut FeatureBuf) -> Result<()> {
        let tok = self.tokenizer();
        let mut ids: Vec<usize> = Vec::new();
        for (k, &j) in self.cols.iter().enumerate() {
            let Cell::Text(t) = &x[j] else {
                return Err(Error::BadValue {
                    location: Location::Column(self.names[k].clone()),
                    reason: "missing value (no imputer in this pipeline)".into(),
                });
            };
            ids.clear();
            tok.for_each_token(t, |token| {
                if let Some(i) = self.vocab[k].get(token) {
                    ids.push(i);
                }
            });
            ids.sort_unstable();
            let mut counts: Vec<(usize, f64)> = Vec::new();
            for &i in &ids {
                match counts.last_mut() {
                    Some((last, c)) if *last == i => *c += 1.0,
                    _ => counts.push((i, 1.0)),
                }
            }
            if self.tfidf {
                let n = self.n_docs;
                for (i, c) in counts.iter_mut() {
                    let df = self.df[k].get(*i).copied().unwrap_or(0.0);
                    *c *= ((1.0 + n) / (1.0 + df)).ln() + 1.0;
                }
                if self.params.normalize {
                    let norm = counts.iter().map(|(_, c)| c * c).sum::<f64>().sqrt();
                    if norm > 0.0 {
                        counts.iter_mut().for_each(|(_, c)| *c /= norm);
                    }
                }
            }
            for (i, c) in counts {
                out.add(offset + i, c)?;
            }
            offset += self.col_width(&self.vocab[k]);
        }
        Ok(())
    }

    pub(crate) fn feature_names(&self, out: &mut Vec<String>) {
        for (k, v) in self.vocab.iter().enumerate() {
            let n = &self.names[k];
            out.extend(v.list().iter().map(|t| format!("{n}:{t}")));
            for s in v.len()..self.col_width(v) {
                out.push(format!("{n}:<slot {s}>"));
            }
        }
    }

    /// The vocabulary of each column, in output order.
    pub fn vocabulary(&self) -> Vec<Vec<String>> {
        self.vocab.iter().map(|v| v.list().to_vec()).collect()
    }

    /// The document frequency of each token of each column (weighted).
    pub fn document_frequencies(&self) -> &[Vec<f64>] {
        &self.df
    }

    /// Its columns against the record stage's schema (see [`check_bound_columns`]), each a
    /// text column (binding refuses numeric ones).
    pub(crate) fn check_columns(&self, schema: &RecordSchema) -> StateResult {
        check_bound_columns(&self.cols, &self.names, schema)?;
        for (&j, n) in self.cols.iter().zip(&self.names) {
            ensure(schema.kinds()[j] == ColumnKind::Nominal, || {
                format!("column `{n}` is numeric, not text")
            })?;
        }
        Ok(())
    }
}

impl CheckState for TextVectorizer {
    /// `max_vocabulary` within the capacity; a name, a vocabulary and document frequencies
    /// per column; each vocabulary without repeats and within `max_vocabulary`, with one
    /// frequency per token (learning adds both together); frequencies and the document
    /// count not negative nor NaN (weighted sums may overflow to infinity). (Its columns
    /// are checked against the schema by the record stage, which holds it.)
    fn check_state(&self) -> StateResult {
        crate::common::check_capacity("max_vocabulary", self.params.max_vocabulary)
            .map_err(|e| format!("params: {e}"))?;
        same_len("column names", self.names.len(), self.cols.len())?;
        check_category_sets(
            "vocabulary",
            &self.names,
            &self.vocab,
            self.params.max_vocabulary,
        )?;
        same_len("document frequencies", self.df.len(), self.cols.len())?;
        for ((n, v), df) in self.names.iter().zip(&self.vocab).zip(&self.df) {
            within(
                format_args!("column `{n}`"),
                same_len("document frequencies", df.len(), v.len())
                    .and_then(|()| all_at_least_zero("document frequencies", df)),
            )?;
        }
        at_least_zero("documents", self.n_docs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_runs_of_two_or_more_word_characters() {
        let t = Tokenizer::default();
        assert_eq!(
            t.tokens("Hello, World! a bb_c x1 é"),
            vec!["hello", "world", "bb_c", "x1"]
        );
    }
}
