//! The labelled data of the law tests, and how they cut it.

use ndarray::{Array2, s};
use proptest::prelude::*;
use tidewater::prelude::*;
use tidewater::{FeatureMatrix, Schema};

/// A labelled data set with optional weights.
#[derive(Clone, Debug)]
pub struct Data {
    pub x: Array2<f64>,
    pub y: Vec<Label>,
    pub w: Option<Vec<f64>>,
}

impl Data {
    pub fn n(&self) -> usize {
        self.x.nrows()
    }

    pub fn dataset(&self, rows: std::ops::Range<usize>) -> Dataset {
        let x = self.x.slice(s![rows.clone(), ..]).to_owned();
        let d = x.ncols();
        let schema = Schema::numeric((0..d).map(|j| format!("f{j}")).collect(), vec!["y".into()]);
        let ds = Dataset::new(
            FeatureMatrix::Dense(x),
            vec![Targets::Labels(self.y[rows.clone()].to_vec())],
            schema,
        )
        .unwrap();
        match &self.w {
            Some(w) => ds.with_weights(w[rows].to_vec()).unwrap(),
            None => ds,
        }
    }

    pub fn row(&self, i: usize) -> Row<'_> {
        Row::Dense(self.x.row(i).to_slice().unwrap())
    }

    pub fn weight(&self, i: usize) -> Option<f64> {
        self.w.as_ref().map(|w| w[i])
    }

    /// max |x| and max x², the scales of means and variances.
    pub fn scales(&self) -> (f64, f64) {
        let m = self.x.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        (m.max(1.0), (m * m).max(1.0))
    }
}

/// 1 to 4 features, `min_rows` to 39 rows, values in ±1e3, three classes, weights or none.
pub fn data(min_rows: usize) -> impl Strategy<Value = Data> {
    (1usize..5, min_rows..40).prop_flat_map(|(d, n)| {
        (
            prop::collection::vec(-1e3f64..1e3, n * d),
            prop::collection::vec(0u8..3, n),
            prop::option::of(prop::collection::vec(0.1f64..5.0, n)),
        )
            .prop_map(move |(xs, ys, w)| Data {
                x: Array2::from_shape_vec((n, d), xs).unwrap(),
                y: ys.into_iter().map(|c| Label::Num(c as f64)).collect(),
                w,
            })
    })
}

/// Cut points splitting 0..n into chunks.
pub fn cuts(n: usize, raw: &[usize]) -> Vec<usize> {
    let mut c: Vec<usize> = raw.iter().map(|r| r % (n + 1)).collect();
    c.push(0);
    c.push(n);
    c.sort_unstable();
    c.dedup();
    c
}
