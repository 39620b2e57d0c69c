//! The promise of `check_state`, tested by mutation: a model file the check lets through is
//! one the model can use. Each model's serialised form is corrupted at random (numbers,
//! lengths, order, flags, names), decoded, and when the check passes, the model learns,
//! transforms, names its outputs and is saved again on valid input, which must not panic.
//! (What the check refuses, and with which message, is tested next to each type.)

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tidewater_core::check::CheckState;
use tidewater_core::record::{
    Cell, ColumnKind, FeatureBuf, RecordSchema, RecordTransformer, Table,
};
use tidewater_core::{Build, Row, Transformer};

use crate::*;

/// xorshift64: deterministic and dependency-free.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Every node of `v` (by path), the root included.
fn paths(v: &Value, path: &mut Vec<Value>, out: &mut Vec<Vec<Value>>) {
    out.push(path.clone());
    let children: Vec<(Value, &Value)> = match v {
        Value::Array(a) => a.iter().enumerate().map(|(i, x)| (json!(i), x)).collect(),
        Value::Object(o) => o.iter().map(|(k, x)| (json!(k), x)).collect(),
        _ => Vec::new(),
    };
    for (k, x) in children {
        path.push(k);
        paths(x, path, out);
        path.pop();
    }
}

fn node<'a>(mut v: &'a mut Value, path: &[Value]) -> &'a mut Value {
    for k in path {
        v = match k {
            Value::Number(i) => &mut v[i.as_u64().unwrap_or(0) as usize],
            Value::String(s) => &mut v[s.as_str()],
            _ => unreachable!("paths are indices and keys"),
        };
    }
    v
}

/// One to three random edits: a number or null replaced by a small, large, negative or
/// fractional one (or null), a list shortened, grown by a copy, reordered or emptied, a flag
/// flipped, a string replaced by a category, column name or variant name.
fn mutate(v: &mut Value, rng: &mut Rng) {
    const NUMBERS: [f64; 9] = [0.0, 1.0, 2.0, 3.0, -1.0, 0.5, 100.0, 1e308, -1e308];
    const STRINGS: [&str; 14] = [
        "a", "b", "x", "z", "red", "", "Numeric", "Nominal", "Ignore", "Reserve", "Error",
        "Uniform", "Quantile", "Fixed",
    ];
    for _ in 0..1 + rng.below(3) {
        let mut all = Vec::new();
        paths(v, &mut Vec::new(), &mut all);
        let at = node(v, &all[rng.below(all.len())]);
        match at {
            Value::Array(a) => match rng.below(4) {
                0 => drop(a.pop()),
                1 if !a.is_empty() => a.push(a[rng.below(a.len())].clone()),
                2 if !a.is_empty() => {
                    let (i, j) = (rng.below(a.len()), rng.below(a.len()));
                    a.swap(i, j);
                }
                _ => a.clear(),
            },
            Value::Number(_) | Value::Null => {
                *at = match rng.below(NUMBERS.len() + 3) {
                    i if i < NUMBERS.len() => json!(NUMBERS[i]),
                    i if i == NUMBERS.len() => json!(5_000_000_000u64),
                    i if i == NUMBERS.len() + 1 => json!(u64::MAX),
                    _ => Value::Null,
                }
            }
            Value::Bool(b) => *b = !*b,
            Value::String(s) => *s = STRINGS[rng.below(STRINGS.len())].into(),
            Value::Object(_) => {}
        }
    }
}

fn rows(d: usize, rng: &mut Rng) -> Vec<Vec<f64>> {
    (0..6)
        .map(|_| {
            (0..d)
                .map(|_| (rng.below(2001) as f64 - 1000.0) / 7.0)
                .collect()
        })
        .collect()
}

/// Corrupted copies of `model` that pass the check survive use on rows of their width.
fn survives<T>(name: &str, model: T, tries: usize)
where
    T: Transformer + CheckState + Serialize + DeserializeOwned,
{
    let base = serde_json::to_value(&model).unwrap();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut passed = 0;
    for i in 0..tries {
        let mut v = base.clone();
        mutate(&mut v, &mut rng);
        let Ok(mut m) = serde_json::from_value::<T>(v.clone()) else {
            continue;
        };
        if m.check_state().is_err() {
            continue;
        }
        passed += 1;
        let d = m.n_features_in().unwrap_or(3);
        let input = rows(d, &mut rng);
        let names: Vec<String> = (0..d).map(|j| format!("f{j}")).collect();
        let used = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut out = Vec::new();
            // Transform before learning too: learning may rebuild what was corrupted.
            for (j, r) in input.iter().enumerate() {
                if j % 2 == 1 {
                    let _ = m.learn_one(Row::Dense(r), None);
                }
                if let Some(k) = m.n_features_out() {
                    assert!(k <= 1 << 16, "{k} output features");
                    out.resize(k, 0.0);
                    let _ = m.transform_one(Row::Dense(r), &mut out);
                }
                let _ = m.feature_names_out(&names);
            }
            serde_json::to_value(&m).unwrap();
        }));
        assert!(
            used.is_ok(),
            "{name}, try {i}: a model that passed panicked: {v}"
        );
    }
    assert!(
        passed > tries / 10,
        "{name}: only {passed} of {tries} passed"
    );
}

fn learned<T: Transformer>(mut t: T) -> T {
    let mut rng = Rng(7);
    for r in rows(3, &mut rng).iter().chain(&rows(3, &mut rng)) {
        t.learn_one(Row::Dense(r), None).unwrap();
    }
    t
}

#[test]
fn numeric_transformers_that_pass_their_check_are_usable() {
    let n = 400;
    survives("standard_scaler", learned(StandardScaler::new()), n);
    survives("min_max_scaler", learned(MinMaxScaler::new()), n);
    survives("max_abs_scaler", learned(MaxAbsScaler::new()), n);
    survives("normalizer", learned(Normalizer::default()), n);
    survives("adaptive", learned(AdaptiveStandardScaler::default()), n);
    survives("passthrough", learned(Passthrough::default()), n);
    let robust = RobustScalerParams::default().compression(10);
    survives("robust_scaler", learned(robust.build().unwrap()), n);
    let bins = KBinsDiscretizerParams::default().compression(10);
    for s in [BinStrategy::Uniform, BinStrategy::Quantile] {
        survives(
            "k_bins",
            learned(bins.clone().strategy(s).build().unwrap()),
            n,
        );
    }
    let fixed = KBinsDiscretizerParams::default().edges(vec![0.0, 1.0]);
    survives("k_bins fixed", learned(fixed.build().unwrap()), n);
    let pca = PcaParams::default();
    survives("pca", learned(pca.build().unwrap()), n);
    let pca = pca.n_components(2).whiten(true);
    survives("pca whitened", learned(pca.build().unwrap()), n);
    let ipca = IncrementalPcaParams::default().batch_size(4);
    survives("incremental_pca", learned(ipca.build().unwrap()), n);
    survives("incremental_pca unfitted", ipca.build().unwrap(), n);
    let ipca = ipca.n_components(2).whiten(true);
    survives(
        "incremental_pca whitened",
        learned(ipca.build().unwrap()),
        n,
    );
}

#[test]
fn record_stages_that_pass_their_check_are_usable() {
    let schema = RecordSchema::new(
        ["x", "y", "c", "t", "z"].map(String::from).to_vec(),
        vec![
            ColumnKind::Numeric,
            ColumnKind::Numeric,
            ColumnKind::Nominal,
            ColumnKind::Nominal,
            ColumnKind::Numeric,
        ],
    )
    .unwrap();
    let t = |s: &str| Cell::Text(s.into());
    let steps = [
        RecordStepParams::StatImputer(StatImputerParams::default().columns(["x"])),
        RecordStepParams::StatImputer(
            StatImputerParams::default()
                .columns(["y"])
                .strategy(Strategy::Median)
                .compression(10),
        ),
        RecordStepParams::StatImputer(
            StatImputerParams::default()
                .columns(["c"])
                .strategy(Strategy::MostFrequent),
        ),
        RecordStepParams::PreviousImputer(PreviousImputerParams::default().columns(["t"])),
        RecordStepParams::OneHot(
            OneHotEncoderParams::default()
                .columns(["c"])
                .handle_unknown(HandleUnknown::Reserve),
        ),
        RecordStepParams::Ordinal(
            OrdinalEncoderParams::default()
                .columns(["c"])
                .max_categories(Some(3)),
        ),
        RecordStepParams::Hasher(
            FeatureHasherParams::default()
                .columns(["c", "z"])
                .n_features(16),
        ),
        RecordStepParams::TfIdf(
            TfIdfParams::default()
                .columns(["t"])
                .max_vocabulary(Some(6)),
        ),
    ];
    let mut stage = ColumnTransformer::new(schema, &steps).unwrap();
    let records = [
        [
            Cell::Num(1.0),
            Cell::Num(2.0),
            t("a"),
            t("red fox"),
            Cell::Num(0.5),
        ],
        [
            Cell::Missing,
            Cell::Num(4.0),
            t("b"),
            t("lazy dog"),
            Cell::Num(1.0),
        ],
        [
            Cell::Num(3.0),
            Cell::Missing,
            Cell::Missing,
            Cell::Missing,
            Cell::Num(2.0),
        ],
        [
            Cell::Num(5.0),
            Cell::Num(1.0),
            t("x"),
            t("red dog z"),
            Cell::Num(0.0),
        ],
    ];
    for r in &records {
        stage.learn_one(r, None).unwrap();
    }
    let base = serde_json::to_value(&stage).unwrap();
    let mut rng = Rng(0xDEAD_BEEF);
    let (tries, mut passed) = (3000, 0);
    for i in 0..tries {
        let mut v = base.clone();
        mutate(&mut v, &mut rng);
        let Ok(mut m) = serde_json::from_value::<ColumnTransformer>(v.clone()) else {
            continue;
        };
        if m.check_state().is_err() {
            continue;
        }
        passed += 1;
        // The records, fitted to the (possibly corrupted, but checked) schema's kinds.
        let kinds = m.schema().kinds().to_vec();
        let input: Vec<Vec<Cell>> = records
            .iter()
            .map(|r| {
                kinds
                    .iter()
                    .enumerate()
                    .map(|(j, k)| match (r.get(j), k) {
                        (Some(Cell::Text(_)) | None, ColumnKind::Numeric) => Cell::Num(1.0),
                        (None, ColumnKind::Nominal) => t("q"),
                        (Some(c), _) => c.clone(),
                    })
                    .collect()
            })
            .collect();
        let used = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut buf = FeatureBuf::new();
            let mut table = Table::new(m.schema().clone());
            for (j, r) in input.iter().enumerate() {
                let _ = m.n_features_out_after(r);
                let _ = m.transform_one(r, &mut buf);
                if j % 2 == 1 {
                    let _ = m.learn_one(r, None);
                }
                let _ = m.feature_names_out();
                let _ = table.push(r);
            }
            let _ = m.fit_table(&table, None);
            let _ = m.transform_table(&table);
            serde_json::to_value(&m).unwrap();
        }));
        assert!(used.is_ok(), "try {i}: a stage that passed panicked: {v}");
    }
    assert!(passed > tries / 10, "only {passed} of {tries} passed");
}
