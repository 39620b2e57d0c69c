//! Law 5 of ARCHITECTURE.md ("Laws") for every exact transformer of the preprocessing family, as property
//! tests: a pipeline fitted in batch and the same pipeline learned row by row give the same
//! transforms (within `1e-9` relative, plus a small absolute floor for values that cancel),
//! and chunking the batch path does not matter.
//!
//! Exact transformers: the scalers but the robust one (StandardScaler, MinMaxScaler,
//! MaxAbsScaler, Normalizer, AdaptiveStandardScaler), the discretizer with uniform or fixed
//! edges, PCA; and in a record stage the encoders (one-hot, ordinal), hashing, bag of words
//! and TF-IDF, and the imputers but median and previous (mean, most frequent, constant).

use proptest::prelude::*;
use tidewater::bayes::GaussianNB;
use tidewater::core::record::{
    Cell, ColumnKind, RecordSchema, RecordTransform, RecordTransformer, Table,
};
use tidewater::prelude::*;
use tidewater::preprocessing::{
    AdaptiveStandardScalerParams, BagOfWordsParams, BinStrategy, ColumnTransformer,
    FeatureHasherParams, KBinsDiscretizerParams, MaxAbsScalerParams, MinMaxScalerParams,
    NormalizerParams, OneHotEncoderParams, OrdinalEncoderParams, Passthrough, PcaParams,
    RecordStepParams, StandardScalerParams, StatImputerParams, Strategy as Impute, TfIdfParams,
};

mod common;
use common::laws::{Data, cuts};

fn data() -> impl Strategy<Value = Data> {
    common::laws::data(3)
}

fn same(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| (x - y).abs() <= 1e-9 * (x.abs() + y.abs()) + 1e-9)
}

/// Law 5 and chunking for one numeric transformer: a pipeline `[t] | gaussian_nb` fitted in
/// batch, the same learned row by row, the transformer's own batch path (`fit`) and
/// `learn_many` over chunks all transform every row alike.
fn numeric_law<P, M>(params: &P, d: &Data, raw: &[usize]) -> Result<(), TestCaseError>
where
    P: Fit<Model = M> + Build<Model = M>,
    M: Transformer + Clone + std::fmt::Debug,
{
    let ds = d.dataset(0..d.n());
    let mut batch = Pipeline::new(vec![params.build().unwrap()], GaussianNB::new());
    batch.fit_batch(&ds).unwrap();
    let mut stream = Pipeline::new(vec![params.build().unwrap()], GaussianNB::new());
    for i in 0..d.n() {
        stream.learn_one(d.row(i), &d.y[i], d.weight(i)).unwrap();
    }
    let fitted = params.fit(&ds).unwrap();
    let mut chunked = params.build().unwrap();
    for w in cuts(d.n(), raw).windows(2) {
        let part = d.dataset(w[0]..w[1]);
        chunked
            .learn_many(part.batch(), part.weights.as_deref())
            .unwrap();
    }
    let k = fitted.n_features_out().unwrap();
    let models = [&batch.steps()[0], &stream.steps()[0], &fitted, &chunked];
    let mut outs = vec![vec![0.0; k]; models.len()];
    for i in 0..d.n() {
        for (m, o) in models.iter().zip(outs.iter_mut()) {
            m.transform_one(d.row(i), o).unwrap();
        }
        for (j, o) in outs.iter().enumerate().skip(1) {
            prop_assert!(
                same(&outs[0], o),
                "path {} row {}: {:?} vs {:?}",
                j,
                i,
                outs[0],
                o
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn law5_scalers(d in data(), raw in prop::collection::vec(0usize..64, 0..4)) {
        numeric_law(&StandardScalerParams::default(), &d, &raw)?;
        numeric_law(&MinMaxScalerParams::default().feature_range(-2.0, 3.0), &d, &raw)?;
        numeric_law(&MaxAbsScalerParams::default(), &d, &raw)?;
        numeric_law(&NormalizerParams::default(), &d, &raw)?;
        numeric_law(&AdaptiveStandardScalerParams::default(), &d, &raw)?;
    }

    #[test]
    fn law5_discretizers_with_uniform_or_fixed_edges(
        d in data(), raw in prop::collection::vec(0usize..64, 0..4), bins in 2usize..7,
    ) {
        numeric_law(
            &KBinsDiscretizerParams::default().strategy(BinStrategy::Uniform).n_bins(bins),
            &d, &raw,
        )?;
        numeric_law(&KBinsDiscretizerParams::default().edges(vec![-100.0, 0.0, 250.0]), &d, &raw)?;
    }

    #[test]
    fn law5_pca(d in data(), raw in prop::collection::vec(0usize..64, 0..4)) {
        let k = d.x.ncols().min(2);
        numeric_law(&PcaParams::default().n_components(k), &d, &raw)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Record stages

#[derive(Clone, Debug)]
struct Records {
    rows: Vec<Vec<Cell>>,
    w: Option<Vec<f64>>,
}

const WORDS: [&str; 6] = ["tide", "wave", "Moon", "sea", "salt", "wind"];

fn schema() -> RecordSchema {
    RecordSchema::new(
        vec![
            "a".into(),
            "b".into(),
            "color".into(),
            "shape".into(),
            "text".into(),
        ],
        vec![
            ColumnKind::Numeric,
            ColumnKind::Numeric,
            ColumnKind::Nominal,
            ColumnKind::Nominal,
            ColumnKind::Nominal,
        ],
    )
    .unwrap()
}

/// Records whose numeric columns have missing values after the first row (so the stream
/// path always has a value to impute with), and whose category and text columns do not.
fn records() -> impl Strategy<Value = Records> {
    (2usize..30).prop_flat_map(|n| {
        (
            prop::collection::vec(
                (
                    prop::option::weighted(0.8, -1e3f64..1e3),
                    prop::option::weighted(0.8, -5.0f64..5.0),
                    0usize..5,
                    0usize..3,
                    prop::collection::vec(0usize..6, 0..5),
                ),
                n,
            ),
            prop::option::of(prop::collection::vec(0.1f64..5.0, n)),
        )
            .prop_map(|(raw, w)| {
                let rows = raw
                    .into_iter()
                    .enumerate()
                    .map(|(i, (a, b, c, s, t))| {
                        let num = |v: Option<f64>| match v {
                            Some(v) => Cell::Num(v),
                            None if i == 0 => Cell::Num(1.0),
                            None => Cell::Missing,
                        };
                        let words: Vec<&str> = t.iter().map(|&k| WORDS[k]).collect();
                        vec![
                            num(a),
                            num(b),
                            Cell::Text(["red", "blue", "green", "7", "teal"][c].into()),
                            Cell::Text(["sq", "ci", "tri"][s].into()),
                            Cell::Text(format!("{} x", words.join(" "))),
                        ]
                    })
                    .collect();
                Records { rows, w }
            })
    })
}

fn table(r: &Records, rows: std::ops::Range<usize>) -> Table {
    let mut t = Table::new(schema());
    for x in &r.rows[rows] {
        t.push(x).unwrap();
    }
    t
}

type RecordPipe =
    Pipeline<tidewater::preprocessing::StandardScaler, Passthrough, ColumnTransformer>;

fn record_pipe(steps: &[RecordStepParams]) -> RecordPipe {
    let front = ColumnTransformer::new(schema(), steps).unwrap();
    Pipeline::with_record_stage(Some(front), Vec::new(), Passthrough::default())
}

/// Law 5 for a record stage: fitted in batch on the table, learned record by record, and
/// fitted chunk by chunk (warm), the three transform every record alike.
fn record_law(steps: &[RecordStepParams], r: &Records, raw: &[usize]) -> Result<(), TestCaseError> {
    let n = r.rows.len();
    let mut batch = record_pipe(steps);
    batch
        .fit_table_transformer(&table(r, 0..n), r.w.clone())
        .unwrap();
    let mut stream = record_pipe(steps);
    for (i, x) in r.rows.iter().enumerate() {
        stream.learn_record(x, r.w.as_ref().map(|w| w[i])).unwrap();
    }
    let mut chunked = ColumnTransformer::new(schema(), steps).unwrap();
    for c in cuts(n, raw).windows(2) {
        let w = r.w.as_ref().map(|w| w[c[0]..c[1]].to_vec());
        chunked
            .fit_table(&table(r, c[0]..c[1]), w.as_deref())
            .unwrap();
    }
    let names = batch.record_stage().unwrap().feature_names_out();
    prop_assert_eq!(&names, &stream.record_stage().unwrap().feature_names_out());
    prop_assert_eq!(&names, &chunked.feature_names_out());
    let k = names.len();
    let (mut a, mut b) = (vec![0.0; k], vec![0.0; k]);
    let mut fb = tidewater::core::record::FeatureBuf::new();
    let mut c = vec![0.0; k];
    for x in &r.rows {
        batch.transform_record(x, &mut a).unwrap();
        stream.transform_record(x, &mut b).unwrap();
        chunked.transform_one(x, &mut fb).unwrap();
        fb.write_dense(&mut c).unwrap();
        prop_assert!(same(&a, &b), "{:?}: batch {:?} vs stream {:?}", x, a, b);
        prop_assert!(same(&a, &c), "{:?}: batch {:?} vs chunked {:?}", x, a, c);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn law5_encoders_hashing_and_imputers(r in records(), raw in prop::collection::vec(0usize..64, 0..4)) {
        let mean = RecordStepParams::StatImputer(StatImputerParams::default());
        record_law(&[
            mean.clone(),
            RecordStepParams::OneHot(OneHotEncoderParams::default().columns(["color", "shape"])),
            RecordStepParams::Ordinal(OrdinalEncoderParams::default().columns(["color"])),
            RecordStepParams::Hasher(FeatureHasherParams::default().n_features(64).columns(["shape", "b"])),
            RecordStepParams::TfIdf(TfIdfParams::default().columns(["text"])),
        ], &r, &raw)?;
        record_law(&[
            RecordStepParams::StatImputer(StatImputerParams::default().strategy(Impute::MostFrequent).columns(["a"])),
            RecordStepParams::StatImputer(StatImputerParams::default().fill_value(Cell::Num(-1.5)).columns(["b"])),
            RecordStepParams::OneHot(OneHotEncoderParams::default().columns(["color", "shape"]).max_categories(3)),
            RecordStepParams::BagOfWords(BagOfWordsParams::default().columns(["text"])),
        ], &r, &raw)?;
    }
}

fn any_cell() -> impl Strategy<Value = Cell> {
    prop_oneof![
        Just(Cell::Missing),
        prop::num::f64::ANY.prop_map(Cell::Num),
        (-10.0f64..10.0).prop_map(Cell::Num),
        "[a-z ]{0,6}".prop_map(Cell::Text),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Law 6 for record stages, and no panic on any input: a refused record leaves the stage
    /// as it was (bit for bit); transforming never panics.
    #[test]
    fn refused_records_change_nothing_and_nothing_panics(
        r in records(),
        bad in prop::collection::vec(prop::collection::vec(any_cell(), 0..7), 1..12),
    ) {
        let steps = [
            RecordStepParams::StatImputer(StatImputerParams::default().strategy(Impute::Median)),
            RecordStepParams::StatImputer(StatImputerParams::default().strategy(Impute::MostFrequent).columns(["color"])),
            RecordStepParams::OneHot(OneHotEncoderParams::default().columns(["color"]).max_categories(4)
                .handle_unknown(tidewater::preprocessing::HandleUnknown::Error)),
            RecordStepParams::Ordinal(OrdinalEncoderParams::default().columns(["shape"])),
            RecordStepParams::Hasher(FeatureHasherParams::default().n_features(32).columns(["shape", "a"])),
            RecordStepParams::TfIdf(TfIdfParams::default().columns(["text"]).max_vocabulary(8)),
        ];
        let mut ct = ColumnTransformer::new(schema(), &steps).unwrap();
        for x in r.rows.iter().take(3) {
            let _ = ct.learn_one(x, None);
        }
        let mut fb = tidewater::core::record::FeatureBuf::new();
        for x in &bad {
            let before = ct.clone();
            let _ = ct.transform_one(x, &mut fb);
            if ct.learn_one(x, Some(1.0)).is_err() {
                prop_assert_eq!(&ct, &before);
            }
            let _ = ct.n_features_out_after(x);
        }
    }
}
