//! The clusterers through the `tidewater` program: scikit-learn's Lloyd run on standardised
//! iris by `fit` then `predict` and `transform`, `eval`'s inertia, ARI and silhouette against
//! the library's own prequential loop, a scaler in front of k-means, the stream clusterers
//! (CluStream, DBSTREAM) through every command, and errors that name what is wrong.

use serde_json::Value;
use tidewater::core::metrics::ClusteringMetrics;
use tidewater::registry::{self, AnyModel};
use tidewater::{Clusterer, Label, Row};

mod common;
use common::cli::{TempDir, tw};
use common::{close_one, csv_text, fixture, floats, matrix};

/// Blobs around (0, 0), (5, 5) and (0, 6), labelled a, b, c, in an interleaved order.
fn blobs() -> (Vec<Vec<f64>>, Vec<&'static str>) {
    let centers = [(0.0, 0.0, "a"), (5.0, 5.0, "b"), (0.0, 6.0, "c")];
    let mut x = Vec::new();
    let mut y = Vec::new();
    for i in 0..60 {
        let (cx, cy, l) = centers[i % 3];
        let t = i as f64;
        x.push(vec![cx + (t * 0.7).sin() * 0.5, cy + (t * 1.3).cos() * 0.5]);
        y.push(l);
    }
    (x, y)
}

/// `command`'s output (`predict` or `transform` on `data`) from a model learned on `data` then
/// resumed with `learn --load` on it again, and from one learned on both copies in one call
/// (model files named after `tag` in `dir`).
fn resumed_and_whole(
    dir: &TempDir,
    tag: &str,
    spec: &str,
    data: &str,
    command: &str,
) -> (String, String) {
    let path = |k: &str| dir.path(&format!("{tag}-{k}.tw"));
    let (first, resumed, whole) = (path("first"), path("resumed"), path("whole"));
    tw(&["learn", "--model", spec, "--data", data, "--save", &first]).ok();
    tw(&[
        "learn", "--load", &first, "--data", data, "--save", &resumed,
    ])
    .ok();
    tw(&[
        "learn", "--model", spec, "--data", data, data, "--save", &whole,
    ])
    .ok();
    let out = |model: &str| {
        tw(&[command, "--load", model, "--data", data])
            .ok()
            .to_owned()
    };
    (out(&resumed), out(&whole))
}

fn write_blobs(dir: &TempDir, name: &str, with_label: bool) -> String {
    let (x, y) = blobs();
    let mut header = vec!["a".to_owned(), "b".to_owned()];
    if with_label {
        header.push("label".into());
    }
    let rows: Vec<Vec<String>> = x
        .iter()
        .zip(&y)
        .map(|(r, l)| {
            let mut v: Vec<String> = r.iter().map(f64::to_string).collect();
            if with_label {
                v.push((*l).to_owned());
            }
            v
        })
        .collect();
    dir.write(name, &csv_text(&header, &rows))
}

fn indices(v: &Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn kmeans_fit_then_predict_and_transform_reproduce_scikit_learn_on_iris() {
    let dir = TempDir::new("kmeans-iris");
    let f = fixture("batch/kmeans_iris.json");
    let tol = f["tolerance"].as_f64().unwrap();
    let x = matrix(&f["X"]);
    let header: Vec<String> = (0..x[0].len()).map(|j| format!("f{j}")).collect();
    let data = dir.write("iris.csv", &csv_text(&header, &x));
    let model = dir.path("m.tw");
    // The fixture starts from the first 3 rows and runs until the labels stop changing.
    let spec = "kmeans(n_clusters=3,init=first_rows,tol=0)";
    tw(&["fit", "--model", spec, "--data", &data, "--save", &model]).ok();
    let out = tw(&["predict", "--load", &model, "--data", &data, "--json"]).json();
    let want: Vec<usize> = floats(&f["labels"]).iter().map(|&l| l as usize).collect();
    assert_eq!(indices(&out["predictions"]), want);
    // The library gives the same.
    let lib = registry::fit(spec, &dataset(&x)).unwrap();
    let AnyModel::Clusterer(m) = &lib else {
        panic!("a clusterer pipeline")
    };
    let lib_preds: Vec<usize> = x
        .iter()
        .map(|r| m.predict_one(Row::Dense(r)).unwrap().unwrap())
        .collect();
    assert_eq!(lib_preds, want);
    // transform: one distance column per cluster; the squared distance to the assigned
    // center summed over the rows is the fixture's inertia.
    let t = tw(&["transform", "--load", &model, "--data", &data, "--json"]).json();
    assert_eq!(t["columns"], serde_json::json!(["d0", "d1", "d2"]));
    let values = matrix(&t["values"]);
    assert_eq!(values.len(), x.len());
    let inertia: f64 = values.iter().zip(&want).map(|(d, &c)| d[c] * d[c]).sum();
    close_one(inertia, f["inertia"].as_f64().unwrap(), tol, "inertia");
    // CSV output: a header and one line per row.
    let csv = tw(&["transform", "--load", &model, "--data", &data])
        .ok()
        .to_owned();
    assert_eq!(csv.lines().next(), Some("d0,d1,d2"));
    assert_eq!(csv.lines().count(), x.len() + 1);
}

fn dataset(x: &[Vec<f64>]) -> tidewater::Dataset {
    let d = x[0].len();
    let a = ndarray::Array2::from_shape_vec((x.len(), d), x.concat()).unwrap();
    let names = (0..d).map(|j| format!("f{j}")).collect();
    tidewater::Dataset::new(
        tidewater::FeatureMatrix::Dense(a),
        Vec::new(),
        tidewater::Schema::numeric(names, Vec::new()),
    )
    .unwrap()
}

/// The library's prequential loop: predict, score, then learn each row; the inertia, the
/// ARI and the silhouette.
fn prequential(spec: &str, with_labels: bool) -> (f64, Option<f64>, Option<f64>) {
    let (x, y) = blobs();
    let AnyModel::Clusterer(mut m) = registry::build(spec).unwrap() else {
        panic!("a clusterer pipeline")
    };
    let mut metrics = ClusteringMetrics::new();
    for (r, l) in x.iter().zip(&y) {
        let row = Row::Dense(r);
        let p = m.predict_one(row).unwrap();
        let mut d = vec![0.0; m.n_clusters()];
        m.distances_into(row, &mut d).unwrap();
        let sq = p.map_or(0.0, |c| d[c] * d[c]);
        m.learn_one(row, None).unwrap();
        let truth = Label::from(*l);
        metrics.update(row, p, sq, with_labels.then_some(&truth));
    }
    (metrics.inertia(), metrics.ari(), metrics.silhouette())
}

#[test]
fn eval_reports_inertia_ari_and_silhouette_as_the_library_scores_them() {
    let dir = TempDir::new("kmeans-eval");
    let data = write_blobs(&dir, "blobs.csv", true);
    for spec in [
        "kmeans(n_clusters=3)",
        "standard_scaler|kmeans(n_clusters=3)",
        "minibatch_kmeans(n_clusters=3,batch_size=5,seed=3)",
        "clustream(n_macro_clusters=3,max_micro_clusters=10,time_gap=10,seed=4)",
        "dbstream",
    ] {
        let out = tw(&[
            "eval", "--model", spec, "--data", &data, "--target", "label", "--json",
        ])
        .json();
        for k in [
            "model",
            "dataset",
            "rows",
            "seconds",
            "rows_per_sec",
            "metrics",
        ] {
            assert!(out.get(k).is_some(), "{spec}: no `{k}` in {out}");
        }
        assert_eq!(out["rows"], 60);
        let (inertia, ari, silhouette) = prequential(spec, true);
        close_one(
            out["metrics"]["inertia"].as_f64().unwrap(),
            inertia,
            1e-12,
            spec,
        );
        close_one(
            out["metrics"]["ari"].as_f64().unwrap(),
            ari.unwrap(),
            1e-12,
            spec,
        );
        close_one(
            out["metrics"]["silhouette"].as_f64().unwrap(),
            silhouette.unwrap(),
            1e-12,
            spec,
        );
    }
    // Sequential k-means on well-separated blobs: the clusters are the labels.
    let out = tw(&[
        "eval",
        "--model",
        "kmeans(n_clusters=3)",
        "--data",
        &data,
        "--target",
        "label",
        "--json",
    ])
    .json();
    assert!(out["metrics"]["ari"].as_f64().unwrap() > 0.9, "{out}");
    // Text output names both metrics.
    let text = tw(&[
        "eval",
        "--model",
        "kmeans(n_clusters=3)",
        "--data",
        &data,
        "--target",
        "label",
    ])
    .ok()
    .to_owned();
    assert!(
        text.contains("inertia") && text.contains("ari") && text.contains("silhouette"),
        "{text}"
    );
    // Without a target, every column is a feature and there is no ARI.
    let plain = write_blobs(&dir, "plain.csv", false);
    let out = tw(&[
        "eval",
        "--model",
        "kmeans(n_clusters=3)",
        "--data",
        &plain,
        "--json",
    ])
    .json();
    assert_eq!(out["metrics"]["ari"], Value::Null);
    let (inertia, _, silhouette) = prequential("kmeans(n_clusters=3)", false);
    close_one(
        out["metrics"]["inertia"].as_f64().unwrap(),
        inertia,
        1e-12,
        "inertia without labels",
    );
    // The silhouette needs no labels; well-separated blobs score high.
    let s = out["metrics"]["silhouette"].as_f64().unwrap();
    close_one(s, silhouette.unwrap(), 1e-12, "silhouette without labels");
    assert!(s > 0.7, "{out}");
}

#[test]
fn the_target_only_scores_and_a_scaler_pipeline_predicts_as_the_library() {
    let dir = TempDir::new("kmeans-target");
    let labelled = write_blobs(&dir, "labelled.csv", true);
    let plain = write_blobs(&dir, "plain.csv", false);
    let spec = "standard_scaler|kmeans(n_clusters=3,seed=5)";
    let (a, b) = (dir.path("a.tw"), dir.path("b.tw"));
    tw(&[
        "fit", "--model", spec, "--data", &labelled, "--target", "label", "--save", &a,
    ])
    .ok();
    tw(&["fit", "--model", spec, "--data", &plain, "--save", &b]).ok();
    let pa = tw(&["predict", "--load", &a, "--data", &plain, "--json"]).json();
    let pb = tw(&["predict", "--load", &b, "--data", &labelled, "--json"]).json();
    assert_eq!(
        pa["predictions"], pb["predictions"],
        "the label is no feature"
    );
    let (x, _) = blobs();
    let lib = registry::fit(spec, &dataset(&x)).unwrap();
    let AnyModel::Clusterer(m) = &lib else {
        panic!("a clusterer pipeline")
    };
    let want: Vec<usize> = x
        .iter()
        .map(|r| m.predict_one(Row::Dense(r)).unwrap().unwrap())
        .collect();
    assert_eq!(indices(&pa["predictions"]), want);
    // learn, then learn --load keeps going: the same as one learn over both files.
    let spec = "minibatch_kmeans(n_clusters=3,batch_size=7,seed=1)";
    let (pd, pe) = resumed_and_whole(&dir, "mb", spec, &plain, "predict");
    assert_eq!(pd, pe);
    assert_eq!(pd.lines().next(), Some("prediction"));
}

#[test]
fn bad_input_to_a_clusterer_is_a_one_line_error_naming_it() {
    let dir = TempDir::new("kmeans-errors");
    let data = write_blobs(&dir, "blobs.csv", true);
    let nan = dir.write("nan.csv", "a,b\n1,2\n3,NaN\n4,5\n");
    let save = dir.path("m.tw");
    tw(&[
        "fit",
        "--model",
        "kmeans(n_clustrs=2)",
        "--data",
        &data,
        "--save",
        &save,
    ])
    .input_error(&["n_clustrs"]);
    tw(&[
        "eval",
        "--model",
        "kmeans(n_clusters=2)",
        "--data",
        &nan,
        "--json",
    ])
    .input_error(&["nan.csv:3", "b"]);
    tw(&[
        "fit",
        "--model",
        "kmeans(n_clusters=2)",
        "--data",
        &nan,
        "--save",
        &save,
    ])
    .input_error(&["nan.csv:3", "b"]);
    // More clusters than rows.
    let tiny = dir.write("tiny.csv", "a,b\n1,2\n3,4\n");
    tw(&[
        "fit",
        "--model",
        "kmeans(n_clusters=3)",
        "--data",
        &tiny,
        "--save",
        &save,
    ])
    .input_error(&["n_clusters"]);
    // A text column is not a feature: name it, and --target.
    tw(&["eval", "--model", "kmeans(n_clusters=2)", "--data", &data]).input_error(&["label"]);
    // A record stage before a clusterer, probabilities and drift retraining are refused.
    tw(&[
        "eval",
        "--model",
        "one_hot_encoder|kmeans",
        "--data",
        &data,
        "--target",
        "label",
    ])
    .input_error(&["clusterer"]);
    tw(&[
        "eval",
        "--model",
        "kmeans",
        "--data",
        &data,
        "--target",
        "label",
        "--retrain",
        "adwin",
    ])
    .input_error(&["--retrain", "clusterer"]);
    tw(&[
        "fit",
        "--model",
        "kmeans(n_clusters=2)",
        "--data",
        &data,
        "--target",
        "label",
        "--save",
        &save,
    ])
    .ok();
    tw(&["predict", "--load", &save, "--data", &data, "--proba"])
        .input_error(&["--proba", "not a classifier"]);
    let inspect = tw(&["inspect", "--load", &save, "--json"]).json();
    assert_eq!(inspect["role"], "clusterer");
}

/// CluStream and DBSTREAM through every command: `fit` is the library's row loop, `predict`
/// and `transform` give the library's clusters and distances to the macro centers, `learn`
/// then `learn --load` equals one `learn` over both files, `inspect` says clusterer, and
/// bad parameters are one-line errors naming them.
#[test]
fn the_stream_clusterers_work_through_every_command() {
    let dir = TempDir::new("stream-clusterers");
    let plain = write_blobs(&dir, "plain.csv", false);
    let (x, _) = blobs();
    for (name, spec) in [
        (
            "clustream",
            "clustream(n_macro_clusters=3,max_micro_clusters=10,time_gap=10,seed=4)",
        ),
        ("dbstream", "dbstream"),
        (
            "clustream_lloyd",
            "clustream(n_macro_clusters=3,max_micro_clusters=10,time_gap=10,seed=4,offline=lloyd)",
        ),
    ] {
        let model = dir.path(&format!("{name}.tw"));
        tw(&["fit", "--model", spec, "--data", &plain, "--save", &model]).ok();
        let lib = registry::fit(spec, &dataset(&x)).unwrap();
        let AnyModel::Clusterer(m) = &lib else {
            panic!("a clusterer pipeline")
        };
        let k = m.n_clusters();
        assert!(k > 0, "{spec}: no macro clusters after 60 rows");
        let out = tw(&["predict", "--load", &model, "--data", &plain, "--json"]).json();
        let want: Vec<usize> = x
            .iter()
            .map(|r| m.predict_one(Row::Dense(r)).unwrap().unwrap())
            .collect();
        assert_eq!(indices(&out["predictions"]), want, "{spec}");
        // Three well-separated blobs: the macro clusters find them.
        let mut seen = want.clone();
        seen.sort_unstable();
        seen.dedup();
        assert!(seen.len() >= 3, "{spec}: clusters {seen:?}");
        let t = tw(&["transform", "--load", &model, "--data", &plain, "--json"]).json();
        let columns: Vec<String> = (0..k).map(|j| format!("d{j}")).collect();
        assert_eq!(t["columns"], serde_json::json!(columns), "{spec}");
        let values = matrix(&t["values"]);
        for (r, got) in x.iter().zip(&values) {
            let mut d = vec![0.0; k];
            m.distances_into(Row::Dense(r), &mut d).unwrap();
            assert_eq!(got, &d, "{spec}");
        }
        let inspect = tw(&["inspect", "--load", &model, "--json"]).json();
        assert_eq!(inspect["role"], "clusterer", "{spec}");
        // learn, then learn --load, is one learn over both files.
        let (pb, pc) = resumed_and_whole(&dir, name, spec, &plain, "transform");
        assert_eq!(pb, pc, "{spec}");
    }
    let save = dir.path("bad.tw");
    tw(&[
        "fit",
        "--model",
        "dbstream(fading_factor=0)",
        "--data",
        &plain,
        "--save",
        &save,
    ])
    .input_error(&["fading_factor"]);
    tw(&[
        "fit",
        "--model",
        "clustream(offline=lloyd,n_macro_clusters=20,max_micro_clusters=10)",
        "--data",
        &plain,
        "--save",
        &save,
    ])
    .input_error(&["n_macro_clusters", "max_micro_clusters"]);
    tw(&[
        "fit",
        "--model",
        "clustream(offline=batch)",
        "--data",
        &plain,
        "--save",
        &save,
    ])
    .input_error(&["offline", "incremental", "lloyd"]);
}
