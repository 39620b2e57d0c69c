//! Hostile model files: checkpoints whose header and CRC are valid but whose payload was
//! written by someone else. Each is refused with an error naming the file and the part at
//! fault, or, when it describes a model the library can use, used without a panic; decoding
//! never allocates more than a small multiple of the file's size and never overflows the
//! stack. The files are crafted here, from models of every role fitted on shipped data:
//! bytes of the encoded payload changed (plus one, minus one, 0, 0xFF: lengths, tags,
//! indices and numbers live in them), and, on the model's JSON form, arrays shortened,
//! lengthened, emptied and reversed and numbers negated, blown up, turned into NaN or into a
//! huge index; plus hand-built payloads (huge declared lengths, nesting a hundred thousand
//! levels deep). See `docs/reliability.md` (trust model).

#[path = "../fuzz/src/checks.rs"]
#[allow(dead_code)]
mod checks;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use serde_json::Value;
use tidewater::core::io::csv::{TargetSpec, read_csv_dataset};
use tidewater::persist::frame;
use tidewater::registry::{self, SAVED_MODEL_KIND, SavedModel};

// ---- allocation accounting (per thread: tests run side by side) ----

struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(l) };
        if !p.is_null() {
            let _ = LIVE.try_with(|c| {
                let now = c.get() + l.size();
                c.set(now);
                let _ = PEAK.try_with(|p| p.set(p.get().max(now)));
            });
        }
        p
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        unsafe { System.dealloc(p, l) };
        let _ = LIVE.try_with(|c| c.set(c.get().saturating_sub(l.size())));
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// The most bytes live at once (above what was live before) while `f` runs on this thread.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(base));
    let r = f();
    (r, PEAK.with(Cell::get) - base)
}

/// Decoding may hold this multiple of the file's size, plus a constant.
const ALLOC_FACTOR: usize = 64;
const ALLOC_SLACK: usize = 64 << 10;

/// Loads `bytes`, checking the allocation bound.
fn load(bytes: &[u8], what: &str) -> tidewater::core::Result<SavedModel> {
    let (r, peak) = peak_during(|| SavedModel::from_bytes(bytes, "hostile.tw"));
    assert!(
        peak <= ALLOC_FACTOR * bytes.len() + ALLOC_SLACK,
        "{what}: loading {} bytes allocated {peak} bytes at once",
        bytes.len()
    );
    r
}

// ---- the models crafted files start from ----

fn data(name: &str, rows: usize) -> tidewater::core::Dataset {
    let text = tidewater::datasets::csv_text(name).unwrap();
    let head: Vec<u8> = text
        .split_inclusive(|&b| b == b'\n')
        .take(rows + 1)
        .flatten()
        .copied()
        .collect();
    read_csv_dataset(&head[..], name, TargetSpec::Last).unwrap()
}

const BASES: &[(&str, &str)] = &[
    ("iris", "gaussian_nb"),
    ("iris", "prior_classifier"),
    ("iris", "no_change_classifier"),
    ("iris", "softmax_regression"),
    ("iris", "standard_scaler|hoeffding_tree(grace_period=20)"),
    ("iris", "decision_tree"),
    ("iris", "random_forest(n_estimators=2)"),
    ("iris", "hoeffding_adaptive_tree(grace_period=20)"),
    ("iris", "adaptive_random_forest(n_models=2,grace_period=20)"),
    ("iris", "efdt(grace_period=20)"),
    (
        "iris",
        "union(parts=[standard_scaler,pca(n_components=2)])|gaussian_nb",
    ),
    ("phishing", "logistic_regression"),
    ("phishing", "logistic_regression(optimizer=adam,l2=0.01)"),
    ("phishing", "ftrl"),
    ("phishing", "pa_classifier"),
    ("phishing", "perceptron"),
    ("phishing", "multinomial_nb"),
    ("phishing", "bernoulli_nb"),
    ("diabetes", "mean_regressor"),
    (
        "diabetes",
        "standard_scaler|linear_regression(optimizer=adagrad)",
    ),
    ("diabetes", "ridge"),
    ("diabetes", "pa_regressor"),
    ("diabetes", "decision_tree_regressor"),
    ("diabetes", "random_forest_regressor(n_estimators=2)"),
    ("diabetes", "hoeffding_tree_regressor(grace_period=20)"),
    (
        "diabetes",
        "hoeffding_adaptive_tree_regressor(grace_period=20)",
    ),
    (
        "diabetes",
        "adaptive_random_forest_regressor(n_models=2,grace_period=20)",
    ),
    ("wine", "min_max_scaler|max_abs_scaler|robust_scaler"),
    ("wine", "normalizer|adaptive_standard_scaler"),
    ("wine", "k_bins_discretizer|incremental_pca(n_components=3)"),
    ("wine", "kmeans(n_clusters=3)"),
    ("wine", "minibatch_kmeans(n_clusters=3,batch_size=16)"),
    (
        "wine",
        "clustream(n_macro_clusters=3,max_micro_clusters=10)",
    ),
    ("wine", "dbstream"),
];

fn base(data_name: &str, spec: &str) -> SavedModel {
    let d = data(data_name, 150);
    let model = registry::fit(spec, &d).unwrap_or_else(|e| panic!("{spec}: {e}"));
    SavedModel {
        spec: spec.into(),
        features: d.schema.features.clone(),
        target: d.schema.targets.first().cloned(),
        target_numeric: true,
        rows_seen: d.n_rows() as u64,
        model,
        bits: None,
    }
}

/// The checkpoint around a model, without the check a save makes (a hostile writer's file).
fn raw_file(m: &SavedModel) -> Vec<u8> {
    frame(SAVED_MODEL_KIND, &postcard::to_stdvec(m).unwrap())
}

// ---- mutations ----

/// A step in a JSON value: an object key or an array index.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn at<'a>(v: &'a mut Value, path: &[Step]) -> &'a mut Value {
    path.iter().fold(v, |v, s| match s {
        Step::Key(k) => v.get_mut(k).unwrap(),
        Step::Index(i) => v.get_mut(*i).unwrap(),
    })
}

/// Paths to every array and every number in `v`.
fn paths(
    v: &Value,
    here: &mut Vec<Step>,
    arrays: &mut Vec<Vec<Step>>,
    numbers: &mut Vec<Vec<Step>>,
) {
    match v {
        Value::Array(a) => {
            arrays.push(here.clone());
            for (i, x) in a.iter().enumerate() {
                here.push(Step::Index(i));
                paths(x, here, arrays, numbers);
                here.pop();
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                here.push(Step::Key(k.clone()));
                paths(x, here, arrays, numbers);
                here.pop();
            }
        }
        Value::Number(_) => numbers.push(here.clone()),
        _ => {}
    }
}

/// An edit of a JSON array.
type ArrayEdit = Box<dyn Fn(&mut Vec<Value>)>;

/// A number the NaN mutation writes first, then replaces by NaN in the encoded payload.
const NAN_MARK: f64 = 1.234_567_890_123_456_7e-300;

enum Outcome {
    /// The crafted value does not even decode into the model's type (not a file).
    NotAModel,
    Refused(String),
    Used,
}

/// Encodes the mutated value as a checkpoint, loads it, and uses it when it loads.
fn try_mutant(v: &Value, nan: bool, what: &str) -> Outcome {
    let Ok(m) = serde_json::from_value::<SavedModel>(v.clone()) else {
        return Outcome::NotAModel;
    };
    let mut payload = postcard::to_stdvec(&m).unwrap();
    if nan {
        let mark = NAN_MARK.to_le_bytes();
        let Some(i) = payload.windows(8).position(|w| w == mark) else {
            return Outcome::NotAModel;
        };
        payload[i..i + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    }
    let file = frame(SAVED_MODEL_KIND, &payload);
    match load(&file, what) {
        Err(e) => {
            let msg = e.to_string();
            assert!(
                msg.contains("hostile.tw"),
                "{what}: error without the file: {msg}"
            );
            Outcome::Refused(msg)
        }
        Ok(saved) => {
            let r = std::panic::catch_unwind(|| checks::exercise(saved, &payload));
            assert!(r.is_ok(), "{what}: a model that loaded panicked in use");
            Outcome::Used
        }
    }
}

/// Every mutant of one base model: (refused, used) counts and the refusals' messages. A
/// model whose JSON form does not round-trip (infinities become `null` in JSON) gets the
/// byte-level mutations only.
fn mutate(label: &str, saved: &SavedModel) -> (usize, usize, Vec<String>) {
    let (mut refused, mut used, mut messages) = mutate_bytes(label, saved);
    if let Some((r, u, m)) = mutate_json(label, saved) {
        refused += r;
        used += u;
        messages.extend(m);
    }
    (refused, used, messages)
}

/// Byte-level mutants of the payload: at up to 200 positions spread over it, the byte plus
/// one, minus one, 0 and 0xFF (lengths, tags, indices and numbers all live in such bytes).
fn mutate_bytes(label: &str, saved: &SavedModel) -> (usize, usize, Vec<String>) {
    let payload = postcard::to_stdvec(saved).unwrap();
    let stride = payload.len().div_ceil(200).max(1);
    let (mut refused, mut used, mut messages) = (0, 0, Vec::new());
    for i in (0..payload.len()).step_by(stride) {
        let b = payload[i];
        for nb in [b.wrapping_add(1), b.wrapping_sub(1), 0, 0xFF] {
            if nb == b {
                continue;
            }
            let mut p = payload.clone();
            p[i] = nb;
            let what = format!("{label} byte {i}: {b} -> {nb}");
            match load(&frame(SAVED_MODEL_KIND, &p), &what) {
                Err(e) => {
                    let msg = e.to_string();
                    assert!(
                        msg.contains("hostile.tw"),
                        "{what}: error without the file: {msg}"
                    );
                    refused += 1;
                    messages.push(msg);
                }
                Ok(m) => {
                    let r = std::panic::catch_unwind(|| checks::exercise(m, &p));
                    assert!(r.is_ok(), "{what}: a model that loaded panicked in use");
                    used += 1;
                }
            }
        }
    }
    (refused, used, messages)
}

/// Mutants made on the model's JSON form (see the module docs); `None` when the JSON form
/// does not round-trip.
fn mutate_json(label: &str, saved: &SavedModel) -> Option<(usize, usize, Vec<String>)> {
    let v = serde_json::to_value(saved).unwrap();
    if serde_json::from_value::<SavedModel>(v.clone())
        .ok()
        .as_ref()
        != Some(saved)
    {
        return None;
    }
    let (mut arrays, mut numbers) = (Vec::new(), Vec::new());
    paths(&v, &mut Vec::new(), &mut arrays, &mut numbers);
    // Up to 150 arrays and 150 numbers spread over the model (forests hold thousands).
    let stride = numbers.len().div_ceil(150).max(1);
    let array_stride = arrays.len().div_ceil(150).max(1);
    let (mut refused, mut used, mut messages) = (0, 0, Vec::new());
    let mut tally = |o: Outcome| match o {
        Outcome::Refused(m) => {
            refused += 1;
            messages.push(m);
        }
        Outcome::Used => used += 1,
        Outcome::NotAModel => {}
    };
    for p in arrays.iter().step_by(array_stride) {
        let len = at(&mut v.clone(), p).as_array().unwrap().len();
        let mut edits: Vec<(&str, ArrayEdit)> = vec![(
            "longer",
            Box::new(|a: &mut Vec<Value>| a.push(a.last().cloned().unwrap_or(Value::from(0)))),
        )];
        if len > 0 {
            edits.push(("shorter", Box::new(|a: &mut Vec<Value>| drop(a.pop()))));
            edits.push(("emptied", Box::new(|a: &mut Vec<Value>| a.clear())));
        }
        if len > 1 {
            edits.push(("reversed", Box::new(|a: &mut Vec<Value>| a.reverse())));
        }
        for (name, edit) in edits {
            let mut w = v.clone();
            edit(at(&mut w, p).as_array_mut().unwrap());
            tally(try_mutant(&w, false, &format!("{label} {p:?} {name}")));
        }
    }
    for p in numbers.iter().step_by(stride) {
        let n = at(&mut v.clone(), p).clone();
        let x = n.as_f64().unwrap_or(0.0);
        let mut edits = vec![
            (
                "negated",
                Value::from(if x == 0.0 { -1.0 } else { -x }),
                false,
            ),
            ("huge", Value::from(1e300), false),
            ("nan", Value::from(NAN_MARK), true),
        ];
        if n.is_u64() {
            edits.push(("huge index", Value::from(1u64 << 40), false));
            edits.push((
                "plus one",
                Value::from(n.as_u64().unwrap().wrapping_add(1)),
                false,
            ));
        }
        for (name, value, nan) in edits {
            let mut w = v.clone();
            *at(&mut w, p) = value;
            tally(try_mutant(&w, nan, &format!("{label} {p:?} {name}")));
        }
    }
    Some((refused, used, messages))
}

#[test]
fn every_base_model_passes_its_check_and_survives_a_save() {
    for (d, spec) in BASES {
        let saved = base(d, spec);
        let file = raw_file(&saved);
        let loaded =
            load(&file, spec).unwrap_or_else(|e| panic!("{spec}: a fitted model is refused: {e}"));
        assert_eq!(loaded, saved, "{spec}");
        checks::exercise(loaded, &file);
    }
}

#[test]
fn crafted_files_are_refused_or_used_without_a_panic() {
    let (mut refused, mut used) = (0, 0);
    let mut per_model = Vec::new();
    for (d, spec) in BASES {
        let (r, u, _) = mutate(spec, &base(d, spec));
        per_model.push(format!("{spec}: {r} refused, {u} used"));
        refused += r;
        used += u;
    }
    eprintln!("{}", per_model.join("\n"));
    eprintln!("crafted files: {refused} refused, {used} loaded and used");
    assert!(refused >= 50, "only {refused} crafted files were refused");
}

/// Loads a mutant of `spec` made by `edit` and returns the refusal message.
fn refusal(d: &str, spec: &str, nan: bool, edit: impl FnOnce(&mut Value)) -> String {
    let mut v = serde_json::to_value(base(d, spec)).unwrap();
    edit(&mut v);
    match try_mutant(&v, nan, spec) {
        Outcome::Refused(m) => m,
        Outcome::Used => panic!("{spec}: the crafted file was accepted"),
        Outcome::NotAModel => panic!("{spec}: the crafted value is not a model"),
    }
}

/// The final stage of a saved model's pipeline, as JSON.
fn final_stage(v: &mut Value) -> &mut Value {
    let role = v["model"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap();
    role["model"]
        .as_object_mut()
        .unwrap()
        .values_mut()
        .next()
        .unwrap()
}

#[test]
fn named_corruptions_are_refused_naming_the_part() {
    let m = refusal("phishing", "logistic_regression", false, |v| {
        final_stage(v)["state"]["glm"]["weights"]
            .as_array_mut()
            .unwrap()
            .pop();
    });
    assert!(
        m.contains("inconsistent model") && m.contains("weights"),
        "{m}"
    );

    let m = refusal("iris", "gaussian_nb", false, |v| {
        final_stage(v)["classes"]["labels"]
            .as_array_mut()
            .unwrap()
            .reverse();
    });
    assert!(m.contains("classes") && m.contains("increasing"), "{m}");

    let m = refusal("iris", "prior_classifier", false, |v| {
        final_stage(v)["counts"][0] = Value::from(-3.0);
    });
    assert!(m.contains("counts"), "{m}");

    let m = refusal("iris", "gaussian_nb", true, |v| {
        final_stage(v)["stats"][1]["mean"][2] = Value::from(NAN_MARK);
    });
    assert!(m.contains("means") && m.contains("NaN"), "{m}");

    let m = refusal("wine", "kmeans(n_clusters=3)", false, |v| {
        final_stage(v)["labels"][0] = Value::from(7);
    });
    assert!(m.contains("labels"), "{m}");
}

/// A payload that declares a length far beyond the file: refused, with no allocation of
/// that length.
#[test]
fn huge_declared_lengths_are_refused_without_allocating_them() {
    let saved = base("iris", "gaussian_nb");
    let payload = postcard::to_stdvec(&saved).unwrap();
    // The payload starts with the spec's length (a varint) and text, then the features'
    // count: declare 2^62 instead of each.
    let huge = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40];
    let spec_len = payload[0] as usize;
    let cases = [
        [&huge[..], &payload[1..]].concat(),
        [
            &payload[..1 + spec_len],
            &huge[..],
            &payload[2 + spec_len..],
        ]
        .concat(),
    ];
    for (i, p) in cases.iter().enumerate() {
        let e = load(&frame(SAVED_MODEL_KIND, p), "huge length").unwrap_err();
        assert!(e.to_string().contains("hostile.tw"), "case {i}: {e}");
    }
}

/// A union of unions a hundred thousand levels deep: refused while decoding, before the
/// stack could overflow.
#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let saved = base("wine", "passthrough");
    let mut payload = postcard::to_stdvec(&saved).unwrap();
    // The model is the last part before `bits` (one byte, `None`): a transformer pipeline
    // (front `None`, no steps) whose final stage is `Passthrough` (tag 9) of width 13
    // (`Some(13)`). Replace that final stage by 100,000 unions (tag 10) of one part each
    // around it.
    let tail = [9, 1, 13, 0];
    assert_eq!(
        &payload[payload.len() - 4..],
        &tail,
        "the layout this test relies on"
    );
    payload.truncate(payload.len() - 4);
    for _ in 0..100_000 {
        payload.extend_from_slice(&[10, 1]);
    }
    payload.extend_from_slice(&tail);
    let e = load(&frame(SAVED_MODEL_KIND, &payload), "deep nesting").unwrap_err();
    assert!(e.to_string().contains("nested more than"), "{e}");
}
