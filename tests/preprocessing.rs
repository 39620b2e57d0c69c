//! The preprocessing family against scikit-learn: the reference fixtures
//! (`tests/fixtures/reference/batch/scaler_wine.json`, `pca_iris.json`) and the figures of
//! `tests/fixtures/preprocessing/sklearn.json` (measured once with scikit-learn 1.9.1 by the
//! script beside it), on every path that can produce them; and the documented behaviour of
//! record stages for unknown categories, missing values and missing columns.

use ndarray::Array2;
use serde_json::Value;
use tidewater::core::record::{Cell, ColumnKind, RecordSchema, RecordTransformer, Table};
use tidewater::prelude::*;
use tidewater::preprocessing::{
    ColumnTransformer, FeatureHasherParams, HandleUnknown, IncrementalPca, IncrementalPcaParams,
    MinMaxScaler, MinMaxScalerParams, OneHotEncoderParams, OrdinalEncoderParams, Pca, PcaParams,
    RecordStepParams, StatImputerParams, Strategy, TfIdfParams,
};

mod common;
use common::{array, close, fixture, fixture_file, floats, three_paths, unsupervised};

/// Rows equal up to the sign of each whole row.
fn close_up_to_sign(got: &[Vec<f64>], want: &Array2<f64>, tol: f64, what: &str) {
    assert_eq!(got.len(), want.nrows(), "{what}: rows");
    for (i, g) in got.iter().enumerate() {
        let w = want.row(i).to_vec();
        let sign = if g.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() < 0.0 {
            -1.0
        } else {
            1.0
        };
        let g: Vec<f64> = g.iter().map(|v| v * sign).collect();
        close(&g, &w, tol, &format!("{what} row {i}"));
    }
}

#[test]
fn min_max_scaler_matches_scikit_learn_on_wine_on_every_path() {
    let f = fixture("batch/scaler_wine.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = array(&f["X"]);
    let (lo, hi) = (floats(&f["min"]), floats(&f["max"]));
    let fitted = MinMaxScalerParams::default()
        .fit(&unsupervised(&x))
        .unwrap();
    let [fitted, rows, batches] = three_paths(fitted, MinMaxScaler::new, &x, 13);
    for (path, m) in [
        ("fit", &fitted),
        ("learn_one", &rows),
        ("learn_many", &batches),
    ] {
        close(m.data_min(), &lo, tol, &format!("{path} min"));
        close(m.data_max(), &hi, tol, &format!("{path} max"));
        let t = m.transform_many(Batch::Dense(x.view())).unwrap();
        for (i, r) in x.rows().into_iter().enumerate() {
            let want: Vec<f64> = (0..x.ncols())
                .map(|j| (r[j] - lo[j]) / (hi[j] - lo[j]))
                .collect();
            close(
                t.row(i).as_slice().unwrap(),
                &want,
                1e-9,
                &format!("{path} transform[{i}]"),
            );
        }
    }
}

#[test]
fn pca_matches_scikit_learn_on_iris_up_to_sign_on_every_path() {
    let f = fixture("batch/pca_iris.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let k = f["params"]["n_components"].as_u64().unwrap() as usize;
    let x = array(&f["X"]);
    let params = PcaParams::default().n_components(k);
    let fitted = params.fit(&unsupervised(&x)).unwrap();
    let [fitted, rows, batches] = three_paths(fitted, || params.build().unwrap(), &x, 11);
    let want_abs = array(&f["components_abs"]);
    for (path, m) in [
        ("fit", &fitted),
        ("learn_one", &rows),
        ("learn_many", &batches),
    ] {
        close(
            m.explained_variance(),
            &floats(&f["explained_variance"]),
            tol,
            path,
        );
        close(m.mean(), &floats(&f["mean"]), tol, path);
        for (i, c) in m.components().iter().enumerate() {
            let abs: Vec<f64> = c.iter().map(|v| v.abs()).collect();
            close(
                &abs,
                want_abs.row(i).as_slice().unwrap(),
                tol,
                &format!("{path} |component {i}|"),
            );
        }
        // The projection of the mean is 0, and of a row its centred dot with each component.
        let mut out = vec![0.0; k];
        m.transform_one(Row::Dense(m.mean()), &mut out).unwrap();
        close(&out, &[0.0, 0.0], 1e-9, &format!("{path} transform(mean)"));
    }
}

fn check_ipca_state(m: &IncrementalPca, s: &Value, x: &Array2<f64>, tol: f64, what: &str) {
    assert_eq!(
        m.n_samples_seen(),
        s["n_samples_seen"].as_u64().unwrap(),
        "{what}"
    );
    close(
        m.singular_values(),
        &floats(&s["singular_values"]),
        tol,
        &format!("{what} singular values"),
    );
    close(
        m.explained_variance(),
        &floats(&s["explained_variance"]),
        tol,
        &format!("{what} explained variance"),
    );
    close(
        m.explained_variance_ratio(),
        &floats(&s["explained_variance_ratio"]),
        tol,
        &format!("{what} ratio"),
    );
    close(
        &[m.noise_variance()],
        &[s["noise_variance"].as_f64().unwrap()],
        tol,
        &format!("{what} noise"),
    );
    close(m.mean(), &floats(&s["mean"]), tol, &format!("{what} mean"));
    close(m.var(), &floats(&s["var"]), tol, &format!("{what} var"));
    close_up_to_sign(
        &m.components(),
        &array(&s["components"]),
        tol,
        &format!("{what} components"),
    );
    // Transforms: each output column up to the sign of its component.
    let want = array(&s["transform_first_rows"]);
    let k = want.ncols();
    let mut got = Array2::zeros((want.nrows(), k));
    for i in 0..want.nrows() {
        let mut out = vec![0.0; k];
        m.transform_one(Row::Dense(x.row(i).as_slice().unwrap()), &mut out)
            .unwrap();
        got.row_mut(i).assign(&ndarray::ArrayView1::from(&out));
    }
    let cols: Vec<Vec<f64>> = (0..k).map(|c| got.column(c).to_vec()).collect();
    close_up_to_sign(
        &cols,
        &want.t().to_owned(),
        tol,
        &format!("{what} transform"),
    );
}

#[test]
fn incremental_pca_matches_scikit_learn_fed_the_same_batches() {
    let f = fixture_file("preprocessing/sklearn.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let wine = array(&fixture("batch/scaler_wine.json")["X"]);
    let case = &f["partial_fit_wine"];
    let bs = case["batch_size"].as_u64().unwrap() as usize;
    let d = wine.ncols();
    let params = IncrementalPcaParams::default().n_components(3);
    let mut m = params.build().unwrap();
    let steps = case["after_each_batch"].as_array().unwrap();
    for (b, start) in (0..wine.nrows()).step_by(bs).enumerate() {
        let end = (start + bs).min(wine.nrows());
        let rows: Vec<f64> = wine
            .slice(ndarray::s![start..end, ..])
            .iter()
            .copied()
            .collect();
        m.partial_fit(&rows, d).unwrap();
        check_ipca_state(&m, &steps[b], &wine, tol, &format!("after batch {b}"));
    }
    // The stream path buffers rows into the same batches.
    let mut s = params.batch_size(bs).build().unwrap();
    for r in wine.rows() {
        s.learn_one(Row::Dense(r.as_slice().unwrap()), None)
            .unwrap();
    }
    check_ipca_state(
        &s,
        &steps[steps.len() - 2],
        &wine,
        tol,
        "learn_one (18 rows still buffered)",
    );

    let iris = array(&fixture("batch/pca_iris.json")["X"]);
    let fit = &f["fit_iris"];
    let fitted = IncrementalPcaParams::default()
        .n_components(3)
        .batch_size(37)
        .fit(&unsupervised(&iris))
        .unwrap();
    check_ipca_state(&fitted, &fit["state"], &iris, tol, "fit(iris)");
}

fn schema(cols: &[(&str, ColumnKind)]) -> RecordSchema {
    RecordSchema::new(
        cols.iter().map(|c| c.0.to_string()).collect(),
        cols.iter().map(|c| c.1).collect(),
    )
    .unwrap()
}

fn text(s: &str) -> Cell {
    Cell::Text(s.into())
}

fn sparse_entries(ct: &ColumnTransformer, x: &[Cell]) -> Vec<(usize, f64)> {
    let mut buf = tidewater::core::record::FeatureBuf::new();
    ct.transform_one(x, &mut buf).unwrap();
    let mut out = vec![0.0; buf.dim()];
    buf.write_dense(&mut out).unwrap();
    out.iter()
        .enumerate()
        .filter(|(_, v)| **v != 0.0)
        .map(|(i, v)| (i, *v))
        .collect()
}

#[test]
fn the_feature_hasher_matches_scikit_learn() {
    let f = fixture_file("preprocessing/sklearn.json");
    let case = &f["feature_hasher"];
    let s = schema(&[
        ("color", ColumnKind::Nominal),
        ("size", ColumnKind::Numeric),
        ("city", ColumnKind::Nominal),
    ]);
    let ct = ColumnTransformer::new(
        s,
        &[RecordStepParams::Hasher(
            FeatureHasherParams::default()
                .n_features(1024)
                .columns(["color", "size", "city"]),
        )],
    )
    .unwrap();
    for (rec, want) in case["records"]
        .as_array()
        .unwrap()
        .iter()
        .zip(case["rows"].as_array().unwrap())
    {
        let x = vec![
            text(rec["color"].as_str().unwrap()),
            Cell::Num(rec["size"].as_f64().unwrap()),
            text(rec["city"].as_str().unwrap()),
        ];
        let got = sparse_entries(&ct, &x);
        let idx: Vec<usize> = want["indices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        let vals = floats(&want["values"]);
        let want: Vec<(usize, f64)> = idx
            .into_iter()
            .zip(vals)
            .filter(|(_, v)| *v != 0.0)
            .collect();
        assert_eq!(got, want, "{rec}");
    }
}

#[test]
fn tfidf_matches_scikit_learn_in_batch_and_when_learned_record_by_record() {
    let f = fixture_file("preprocessing/sklearn.json");
    let case = &f["tfidf"];
    let docs: Vec<&str> = case["documents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let s = schema(&[("doc", ColumnKind::Nominal)]);
    let steps = [RecordStepParams::TfIdf(TfIdfParams::default())];
    let mut table = Table::new(s.clone());
    for d in &docs {
        table.push(&[text(d)]).unwrap();
    }
    let mut batch = ColumnTransformer::new(s.clone(), &steps).unwrap();
    batch.fit_table(&table, None).unwrap();
    let mut stream = ColumnTransformer::new(s, &steps).unwrap();
    for d in &docs {
        stream.learn_one(&[text(d)], None).unwrap();
    }
    for (path, ct) in [("fit", &batch), ("learn_one", &stream)] {
        let names = ct.feature_names_out();
        for (d, want) in docs.iter().zip(case["weights"].as_array().unwrap()) {
            let got = sparse_entries(ct, &[text(d)]);
            let want = want.as_object().unwrap();
            assert_eq!(got.len(), want.len(), "{path} {d}");
            for (i, v) in got {
                let token = names[i].trim_start_matches("doc:");
                let w = want[token].as_f64().unwrap();
                assert!((v - w).abs() <= 1e-12, "{path} {d} {token}: {v} vs {w}");
            }
        }
    }
}

#[test]
fn unknown_categories_follow_the_documented_policy() {
    let s = schema(&[("color", ColumnKind::Nominal), ("x", ColumnKind::Numeric)]);
    let learn = |p: OneHotEncoderParams| {
        let mut ct = ColumnTransformer::new(s.clone(), &[RecordStepParams::OneHot(p)]).unwrap();
        for c in ["red", "blue"] {
            ct.learn_one(&[text(c), Cell::Num(1.0)], None).unwrap();
        }
        ct
    };
    let teal = [text("teal"), Cell::Num(2.0)];
    // ignore (the default): zeros in the block.
    let ct = learn(OneHotEncoderParams::default());
    assert_eq!(sparse_entries(&ct, &teal), vec![(0, 2.0)]);
    // reserve: the block's first slot.
    let ct = learn(OneHotEncoderParams::default().handle_unknown(HandleUnknown::Reserve));
    assert_eq!(
        ct.feature_names_out(),
        ["x", "color=<unknown>", "color=red", "color=blue"]
    );
    assert_eq!(sparse_entries(&ct, &teal), vec![(0, 2.0), (1, 1.0)]);
    // error: names the column and the category, at transform time...
    let ct = learn(OneHotEncoderParams::default().handle_unknown(HandleUnknown::Error));
    let mut buf = tidewater::core::record::FeatureBuf::new();
    let e = ct.transform_one(&teal, &mut buf).unwrap_err().to_string();
    assert!(e.contains("`color`") && e.contains("teal"), "{e}");
    // ... and when learning a category beyond max_categories; the refused record leaves the
    // stage as it was.
    let mut ct = learn(
        OneHotEncoderParams::default()
            .handle_unknown(HandleUnknown::Error)
            .max_categories(2),
    );
    let before = ct.clone();
    let e = ct.learn_one(&teal, None).unwrap_err().to_string();
    assert!(
        e.contains("`color`") && e.contains("max_categories=2"),
        "{e}"
    );
    assert_eq!(ct, before);
    // Ordinal: reserve numbers known categories from 1, unknown is 0; ignore uses -1.
    let mut ord = ColumnTransformer::new(
        s.clone(),
        &[RecordStepParams::Ordinal(
            OrdinalEncoderParams::default().handle_unknown(HandleUnknown::Reserve),
        )],
    )
    .unwrap();
    ord.learn_one(&[text("red"), Cell::Num(0.0)], None).unwrap();
    let mut out = [0.0; 2];
    let mut fb = tidewater::core::record::FeatureBuf::new();
    ord.transform_one(&teal, &mut fb).unwrap();
    fb.write_dense(&mut out).unwrap();
    assert_eq!(out, [2.0, 0.0]);
}

#[test]
fn missing_values_nan_and_missing_columns_give_the_documented_errors() {
    let s = schema(&[("color", ColumnKind::Nominal), ("x", ColumnKind::Numeric)]);
    let mut plain = ColumnTransformer::new(
        s.clone(),
        &[RecordStepParams::OneHot(OneHotEncoderParams::default())],
    )
    .unwrap();
    // A missing value with no imputer: an error naming the column; nothing learned.
    let e = plain
        .learn_one(&[text("red"), Cell::Missing], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`x`") && e.contains("no imputer"), "{e}");
    assert_eq!(plain.n_features_out(), 1);
    // NaN is not a missing value: write Cell::Missing.
    let e = plain
        .learn_one(&[text("red"), Cell::Num(f64::NAN)], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`x`") && e.contains("Missing"), "{e}");
    // A record with a column missing names it.
    let e = plain
        .learn_one(&[text("red")], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`x`"), "{e}");
    // Keyed records: an absent column is missing, which an imputer fills.
    let mut imputed = ColumnTransformer::new(
        s.clone(),
        &[
            RecordStepParams::StatImputer(StatImputerParams::default()),
            RecordStepParams::StatImputer(
                StatImputerParams::default()
                    .strategy(Strategy::MostFrequent)
                    .columns(["color"]),
            ),
            RecordStepParams::OneHot(OneHotEncoderParams::default()),
        ],
    )
    .unwrap();
    let mut r = Vec::new();
    s.arrange(&[("color", text("red"))], &mut r).unwrap();
    // Nothing seen yet for `x`: an error naming the column, not a silent value.
    let e = imputed.learn_one(&r, None).unwrap_err().to_string();
    assert!(e.contains("`x`") && e.contains("seen no value"), "{e}");
    imputed
        .learn_one(&[text("red"), Cell::Num(4.0)], None)
        .unwrap();
    imputed
        .learn_one(&[text("blue"), Cell::Num(2.0)], None)
        .unwrap();
    imputed
        .learn_one(&[text("red"), Cell::Missing], None)
        .unwrap();
    assert_eq!(
        imputed.impute(&[Cell::Missing, Cell::Missing]).unwrap(),
        vec![text("red"), Cell::Num(3.0)]
    );
    // Text in a numeric column, and an unknown column in a keyed record.
    let e = imputed
        .learn_one(&[text("red"), text("oops")], None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("`x`"), "{e}");
    assert!(s.arrange(&[("nope", Cell::Num(1.0))], &mut r).is_err());
    // A text column no encoder takes is refused when the stage is built.
    let e = ColumnTransformer::new(s, &[]).unwrap_err().to_string();
    assert!(e.contains("`color`") && e.contains("no encoder"), "{e}");
}

#[test]
fn a_pipeline_with_a_record_stage_learns_in_rivers_order_and_refuses_growth_under_a_sized_stage() {
    use tidewater::bayes::GaussianNB;
    use tidewater::core::record::RecordClassifier;
    let s = schema(&[("color", ColumnKind::Nominal), ("x", ColumnKind::Numeric)]);
    let grow = ColumnTransformer::new(
        s.clone(),
        &[RecordStepParams::OneHot(OneHotEncoderParams::default())],
    )
    .unwrap();
    let mut p = Pipeline::with_record_stage(
        Some(grow),
        Vec::<tidewater::preprocessing::StandardScaler>::new(),
        GaussianNB::new(),
    );
    p.learn_record(&[text("red"), Cell::Num(1.0)], &Label::from("a"), None)
        .unwrap();
    let before = persist_bytes(&p);
    let e = p
        .learn_record(&[text("blue"), Cell::Num(1.0)], &Label::from("b"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("max_categories"), "{e}");
    assert_eq!(
        before,
        persist_bytes(&p),
        "a refused record changes nothing"
    );
    // With a capacity the output keeps its size and the stream goes on.
    let capped = ColumnTransformer::new(
        s,
        &[RecordStepParams::OneHot(
            OneHotEncoderParams::default().max_categories(4),
        )],
    )
    .unwrap();
    let mut p = Pipeline::with_record_stage(
        Some(capped),
        Vec::<tidewater::preprocessing::StandardScaler>::new(),
        GaussianNB::new(),
    );
    for (c, y) in [("red", "a"), ("blue", "b"), ("green", "a"), ("blue", "b")] {
        p.learn_record(&[text(c), Cell::Num(1.0)], &Label::from(y), None)
            .unwrap();
    }
    assert_eq!(
        p.predict_record(&[text("blue"), Cell::Num(1.0)]).unwrap(),
        Some(Label::from("b"))
    );
}

fn persist_bytes<T: serde::Serialize>(m: &T) -> Vec<u8> {
    tidewater::persist::to_bytes("test", m).unwrap()
}

#[test]
fn pca_and_incremental_pca_round_trip() {
    let x = array(&fixture("batch/pca_iris.json")["X"]);
    let p: Pca = PcaParams::default()
        .n_components(2)
        .fit(&unsupervised(&x))
        .unwrap();
    let (_, q): (_, Pca) = tidewater::persist::from_bytes(&persist_bytes(&p), "m").unwrap();
    assert_eq!(p, q);
}
