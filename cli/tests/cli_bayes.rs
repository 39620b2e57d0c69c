//! The discrete naive Bayes models through the program: `fit` on scikit-learn's digits
//! fixtures, then `predict --proba`, against the fixtures' probabilities.

mod common;
use common::cli::{TempDir, tw};
use common::{assert_close_matrix, csv_text, fixture, floats, matrix, num};

/// Writes the fixture's rows as CSV (`f0..f63`, then `y`); returns its path.
fn write_digits(dir: &TempDir, f: &serde_json::Value) -> String {
    let x = matrix(&f["X"]);
    let y = floats(&f["y"]);
    let mut header: Vec<String> = (0..x[0].len()).map(|j| format!("f{j}")).collect();
    header.push("y".into());
    let rows: Vec<Vec<f64>> = x
        .iter()
        .zip(&y)
        .map(|(r, l)| r.iter().copied().chain([*l]).collect())
        .collect();
    dir.write("digits.csv", &csv_text(&header, &rows))
}

/// `fit --model SPEC` then `predict --proba --json` on the fixture named `name`.
fn fit_then_predict(name: &str, spec: &str) {
    let f = fixture(&format!("batch/{name}.json"));
    let dir = TempDir::new(name);
    let data = write_digits(&dir, &f);
    let model = dir.path("m.tw");
    tw(&["fit", "--model", spec, "--data", &data, "--save", &model]).ok();
    let out = tw(&[
        "predict", "--load", &model, "--data", &data, "--proba", "--json",
    ])
    .json();
    assert_eq!(
        out["classes"],
        serde_json::json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    );
    assert_close_matrix(
        &format!("{name}: predict_proba"),
        &matrix(&out["proba"]),
        &matrix(&f["predict_proba"]),
        num(&f["tolerance"]),
    );
    // Learned row by row, the same probabilities.
    let learned = dir.path("l.tw");
    tw(&[
        "learn", "--model", spec, "--data", &data, "--save", &learned,
    ])
    .ok();
    let again = tw(&[
        "predict", "--load", &learned, "--data", &data, "--proba", "--json",
    ])
    .json();
    assert_eq!(again["proba"], out["proba"]);
}

#[test]
fn multinomial_nb_fit_then_predict_proba_reproduces_scikit_learn() {
    fit_then_predict("mnb_digits", "multinomial_nb(alpha=1)");
}

#[test]
fn bernoulli_nb_fit_then_predict_proba_reproduces_scikit_learn() {
    fit_then_predict("bnb_digits", "bernoulli_nb(alpha=1,binarize=4)");
}
