//! The two classes of a binary linear classifier and which one its score speaks for.
//!
//! A binary model keeps one score (a logit or a margin) for the *positive* class, the larger of
//! the two labels (`1` against `0`, `1` against `-1`, `true` against `false`), as CLI.md's
//! binary metrics do. While only one class has been seen its role is provisional: a numeric
//! label above 0 is taken as positive, any other label as negative (so `0`/`false`/`-1` first
//! behave exactly as in River, where `False` is the negative class). When the second class
//! arrives and shows the provisional role was wrong, the model negates its state: every
//! optimizer here is odd in the weights, so the negated model is exactly the one that would have
//! learned with the roles right from the start.

use serde::{Deserialize, Serialize};
use tidewater_core::{ClassSet, Error, Label, Result, Row};

/// The classes of a binary model (at most two, sorted) and the provisional role of a lone one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct BinaryClasses {
    classes: ClassSet,
    /// While one class is known: whether it is treated as positive.
    lone_positive: bool,
}

/// What learning a label means for the model.
#[derive(Debug)]
pub(crate) struct Target {
    /// The label is the positive class.
    pub positive: bool,
    /// The model must negate its state before learning (a provisional role was wrong).
    pub flip: bool,
}

fn looks_positive(y: &Label) -> bool {
    matches!(y, Label::Num(v) if *v > 0.0)
}

impl BinaryClasses {
    /// The classes from a whole data set's labels: one or two, else an error naming the third.
    pub fn from_labels(model: &str, labels: &[Label]) -> Result<Self> {
        let mut c = BinaryClasses::default();
        for y in labels {
            y.check()?;
            c.resolve(model, y)?;
            c.commit(y);
        }
        Ok(c)
    }

    /// The known classes, sorted.
    pub fn classes(&self) -> &ClassSet {
        &self.classes
    }

    /// What learning `y` means, without changing anything: an error for a third class.
    #[inline]
    pub fn resolve(&self, model: &str, y: &Label) -> Result<Target> {
        match self.classes.len() {
            0 => Ok(Target {
                positive: looks_positive(y),
                flip: false,
            }),
            1 => {
                let first = &self.classes.labels()[0];
                if crate::glm::same_label(first, y) {
                    return Ok(Target {
                        positive: self.lone_positive,
                        flip: false,
                    });
                }
                let y_positive = y > first;
                // The lone class's final role is the opposite of y's.
                Ok(Target {
                    positive: y_positive,
                    flip: self.lone_positive == y_positive,
                })
            }
            _ => {
                let labels = self.classes.labels();
                // Both comparisons, then one test that is never taken in a stream of known
                // labels: no branch on which of the two classes the row holds.
                let (is_neg, is_pos) = (
                    crate::glm::same_label(&labels[0], y),
                    crate::glm::same_label(&labels[1], y),
                );
                if is_neg | is_pos {
                    Ok(Target {
                        positive: is_pos,
                        flip: false,
                    })
                } else {
                    Err(Error::BadLabel {
                        label: y.to_string(),
                        reason: format!(
                            "`{model}` is a binary classifier and already knows the classes {} and \
                             {}; use softmax_regression for more than two classes",
                            labels[0], labels[1]
                        ),
                    })
                }
            }
        }
    }

    /// Records `y` once it has been learned.
    #[inline]
    pub fn commit(&mut self, y: &Label) {
        if self.classes.len() == 2 {
            // `resolve` accepted y: it is one of the two.
            return;
        }
        let (_, inserted) = self.classes.insert(y);
        if inserted && self.classes.len() == 1 {
            self.lone_positive = looks_positive(y);
        }
    }

    /// Class probabilities from the positive class's probability `p`, in class order.
    #[inline]
    pub fn proba_into(&self, p: f64, out: &mut [f64]) {
        match out {
            [only] => *only = 1.0,
            [neg, pos] => {
                *neg = 1.0 - p;
                *pos = p;
            }
            _ => {}
        }
    }

    /// The predicted label given whether the score says positive.
    #[inline]
    pub fn predict(&self, positive: bool) -> Option<Label> {
        match self.classes.len() {
            0 => None,
            1 => self.classes.label(0).cloned(),
            _ => self.classes.label(usize::from(positive)).cloned(),
        }
    }

    /// The checks of a learning step, in order: the row against `dim`, the sample weight, the
    /// label and, for a prequential step, the length `out_len` of the probability buffer;
    /// then what learning `y` means. Changes nothing; returns the target and the sample weight.
    #[inline(always)]
    pub fn admit(
        &self,
        model: &str,
        x: Row<'_>,
        dim: Option<usize>,
        y: &Label,
        weight: Option<f64>,
        out_len: Option<usize>,
    ) -> Result<(Target, f64)> {
        crate::glm::check_row(x, dim)?;
        let w = crate::glm::weight(weight)?;
        crate::glm::check_label(y)?;
        if let Some(n) = out_len {
            crate::glm::check_out(self.classes.len(), n)?;
        }
        Ok((self.resolve(model, y)?, w))
    }

    /// The prediction half of a prequential step, from the positive class's probability `p`
    /// under the state before learning: the probabilities into `out` and the predicted label
    /// (nothing while no class is known).
    #[inline(always)]
    pub fn predict_before(&self, p: f64, out: &mut [f64]) -> Option<Label> {
        if self.classes.is_empty() {
            None
        } else {
            self.proba_into(p, out);
            self.predict(p > 0.5)
        }
    }
}

impl BinaryClasses {
    /// At most two classes, in order.
    pub(crate) fn check(&self) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        self.classes.check_state()?;
        ensure(self.classes.len() <= 2, || {
            format!("classes: {} in a binary model", self.classes.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_order_of_the_labels() {
        let mut c = BinaryClasses::default();
        let t = c.resolve("m", &Label::Num(1.0)).unwrap();
        assert!(t.positive && !t.flip);
        c.commit(&Label::Num(1.0));
        // 2 > 1: 1 becomes the negative class, the model must flip.
        let t = c.resolve("m", &Label::Num(2.0)).unwrap();
        assert!(t.positive && t.flip);
        c.commit(&Label::Num(2.0));
        let e = c.resolve("m", &Label::Num(3.0)).unwrap_err().to_string();
        assert!(e.contains("softmax_regression") && e.contains('3'), "{e}");

        let mut c = BinaryClasses::default();
        c.commit(&Label::Num(0.0));
        let t = c.resolve("m", &Label::Num(1.0)).unwrap();
        assert!(t.positive && !t.flip);
        let mut c = BinaryClasses::default();
        c.commit(&Label::from("b"));
        let t = c.resolve("m", &Label::from("a")).unwrap();
        assert!(!t.positive && t.flip);
    }
}
