//! The laws of ARCHITECTURE.md ("Laws") as property tests, for every exact algorithm so far
//! (StandardScaler, GaussianNB, the baselines):
//!
//! 1. batch equals stream: `fit(D)` equals `learn_one` over D;
//! 2. chunking does not matter: `learn_many` over any split equals one `learn_many(D)`;
//! 3. warm start: `fit(D1)` then `learn_many(D2)` equals `fit(D1 ++ D2)`;
//! 4. round trip: a model saved and loaded mid-stream predicts and keeps learning
//!    bit-identically;
//! 5. pipelines: a pipeline fitted in batch and learned row by row transform alike;
//! 6. no poisoning: a rejected observation leaves the model bit-identical.
//!
//! "Equal" is `|a - b| <= 1e-9 * (|a| + |b|) + 1e-12 * S`, S the scale of the data.

use proptest::prelude::*;
use tidewater::bayes::{GaussianNB, GaussianNBParams};
use tidewater::dummy::{MeanRegressorParams, PriorClassifierParams};
use tidewater::persist;
use tidewater::prelude::*;
use tidewater::preprocessing::{StandardScaler, StandardScalerParams};

mod common;
use common::laws::{Data, cuts};

fn data() -> impl Strategy<Value = Data> {
    common::laws::data(2)
}

fn equal(a: f64, b: f64, scale: f64) -> bool {
    (a - b).abs() <= 1e-9 * (a.abs() + b.abs()) + 1e-12 * scale
}

fn all_equal(a: &[f64], b: &[f64], scale: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(*x, *y, scale))
}

fn same_scaler(a: &StandardScaler, b: &StandardScaler, d: &Data) -> Result<(), TestCaseError> {
    let (sm, sv) = d.scales();
    prop_assert!(
        all_equal(a.mean(), b.mean(), sm),
        "{:?} vs {:?}",
        a.mean(),
        b.mean()
    );
    prop_assert!(
        all_equal(&a.var(), &b.var(), sv),
        "{:?} vs {:?}",
        a.var(),
        b.var()
    );
    Ok(())
}

fn same_nb(a: &GaussianNB, b: &GaussianNB, d: &Data) -> Result<(), TestCaseError> {
    let (sm, sv) = d.scales();
    prop_assert_eq!(a.classes(), b.classes());
    prop_assert!(all_equal(&a.class_prior(), &b.class_prior(), 1.0));
    for (ta, tb) in a.theta().iter().zip(&b.theta()) {
        prop_assert!(all_equal(ta, tb, sm), "{:?} vs {:?}", ta, tb);
    }
    for (va, vb) in a.var().iter().zip(&b.var()) {
        prop_assert!(all_equal(va, vb, sv), "{:?} vs {:?}", va, vb);
    }
    Ok(())
}

fn stream_scaler(d: &Data, rows: std::ops::Range<usize>, m: &mut StandardScaler) {
    for i in rows {
        m.learn_one(Row::Dense(d.x.row(i).as_slice().unwrap()), d.weight(i))
            .unwrap();
    }
}

fn stream_nb(d: &Data, rows: std::ops::Range<usize>, m: &mut GaussianNB) {
    for i in rows {
        m.learn_one(
            Row::Dense(d.x.row(i).as_slice().unwrap()),
            &d.y[i],
            d.weight(i),
        )
        .unwrap();
    }
}

fn learn_many_nb(d: &Data, rows: std::ops::Range<usize>, m: &mut GaussianNB) {
    let ds = d.dataset(rows);
    let y = ds.target().unwrap().to_labels().unwrap();
    m.learn_many(ds.batch(), &y, ds.weights.as_deref()).unwrap();
}

fn bytes<T: serde::Serialize>(m: &T) -> Vec<u8> {
    persist::to_bytes("law", m).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn law1_batch_equals_stream(d in data()) {
        let fitted = StandardScalerParams::default().fit(&d.dataset(0..d.n())).unwrap();
        let mut streamed = StandardScaler::new();
        stream_scaler(&d, 0..d.n(), &mut streamed);
        same_scaler(&fitted, &streamed, &d)?;

        let fitted = GaussianNBParams::default().fit(&d.dataset(0..d.n())).unwrap();
        let mut streamed = GaussianNB::new();
        stream_nb(&d, 0..d.n(), &mut streamed);
        same_nb(&fitted, &streamed, &d)?;
        for i in 0..d.n() {
            let x = Row::Dense(d.x.row(i).to_slice().unwrap());
            let (pa, pb) = (fitted.predict_proba_one(x).unwrap(), streamed.predict_proba_one(x).unwrap());
            prop_assert!(all_equal(&pa, &pb, 1.0), "{:?} vs {:?}", pa, pb);
        }

        let prior = PriorClassifierParams::default().fit(&d.dataset(0..d.n())).unwrap();
        let mut p2 = PriorClassifierParams::default().build().unwrap();
        for i in 0..d.n() {
            p2.learn_one(Row::Dense(d.x.row(i).to_slice().unwrap()), &d.y[i], d.weight(i)).unwrap();
        }
        prop_assert_eq!(prior, p2);
    }

    #[test]
    fn law2_chunking_does_not_matter(d in data(), raw in prop::collection::vec(0usize..64, 0..4)) {
        let c = cuts(d.n(), &raw);
        let mut whole = GaussianNB::new();
        learn_many_nb(&d, 0..d.n(), &mut whole);
        let mut chunked = GaussianNB::new();
        let mut sc_whole = StandardScaler::new();
        let ds = d.dataset(0..d.n());
        sc_whole.learn_many(ds.batch(), ds.weights.as_deref()).unwrap();
        let mut sc_chunked = StandardScaler::new();
        for w in c.windows(2) {
            learn_many_nb(&d, w[0]..w[1], &mut chunked);
            let part = d.dataset(w[0]..w[1]);
            sc_chunked.learn_many(part.batch(), part.weights.as_deref()).unwrap();
        }
        same_nb(&whole, &chunked, &d)?;
        same_scaler(&sc_whole, &sc_chunked, &d)?;
    }

    #[test]
    fn law3_warm_start(d in data(), cut in 0usize..64) {
        let k = cut % (d.n() + 1);
        let all = d.dataset(0..d.n());
        if k > 0 {
            let mut warm = GaussianNBParams::default().fit(&d.dataset(0..k)).unwrap();
            learn_many_nb(&d, k..d.n(), &mut warm);
            let cold = GaussianNBParams::default().fit(&all).unwrap();
            same_nb(&warm, &cold, &d)?;

            let mut warm = StandardScalerParams::default().fit(&d.dataset(0..k)).unwrap();
            let rest = d.dataset(k..d.n());
            warm.learn_many(rest.batch(), rest.weights.as_deref()).unwrap();
            let cold = StandardScalerParams::default().fit(&all).unwrap();
            same_scaler(&warm, &cold, &d)?;

            let rv: Vec<f64> = d.y.iter().map(|l| l.as_f64().unwrap()).collect();
            let mut mr = MeanRegressorParams::default().build().unwrap();
            let mut mr_all = MeanRegressorParams::default().build().unwrap();
            let b = all.batch();
            mr.learn_many(b, &rv, d.w.as_deref()).unwrap();
            for (i, &v) in rv.iter().enumerate() {
                mr_all.learn_one(b.row(i).unwrap(), v, d.weight(i)).unwrap();
            }
            prop_assert_eq!(bytes(&mr), bytes(&mr_all));
        }
    }

    #[test]
    fn law4_round_trip_mid_stream(d in data(), cut in 0usize..64) {
        let k = cut % (d.n() + 1);
        let mut a = GaussianNB::new();
        stream_nb(&d, 0..k, &mut a);
        let (_, mut b): (_, GaussianNB) = persist::from_bytes(&bytes(&a), "m").unwrap();
        let mut sa = StandardScaler::new();
        stream_scaler(&d, 0..k, &mut sa);
        let (_, mut sb): (_, StandardScaler) = persist::from_bytes(&bytes(&sa), "m").unwrap();
        for i in 0..d.n() {
            let x = Row::Dense(d.x.row(i).to_slice().unwrap());
            if !a.classes().is_empty() {
                let (pa, pb) = (a.predict_proba_one(x).unwrap(), b.predict_proba_one(x).unwrap());
                prop_assert_eq!(
                    pa.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    pb.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
                );
            }
            if i >= k {
                a.learn_one(x, &d.y[i], d.weight(i)).unwrap();
                b.learn_one(x, &d.y[i], d.weight(i)).unwrap();
                sa.learn_one(x, d.weight(i)).unwrap();
                sb.learn_one(x, d.weight(i)).unwrap();
            }
        }
        prop_assert_eq!(bytes(&a), bytes(&b));
        prop_assert_eq!(bytes(&sa), bytes(&sb));
    }

    #[test]
    fn law5_pipeline_batch_and_stream_transform_alike(d in data()) {
        let ds = d.dataset(0..d.n());
        let mut batch = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
        batch.fit_batch(&ds).unwrap();
        let mut stream = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
        for i in 0..d.n() {
            let x = Row::Dense(d.x.row(i).to_slice().unwrap());
            stream.learn_one(x, &d.y[i], d.weight(i)).unwrap();
        }
        let (ta, tb) = (&batch.steps()[0], &stream.steps()[0]);
        let (mut oa, mut ob) = (vec![0.0; d.x.ncols()], vec![0.0; d.x.ncols()]);
        for i in 0..d.n() {
            let x = Row::Dense(d.x.row(i).to_slice().unwrap());
            ta.transform_one(x, &mut oa).unwrap();
            tb.transform_one(x, &mut ob).unwrap();
            // Standardised values are O(1) up to sqrt(n); compare with the absolute floor 1e-9.
            prop_assert!(oa.iter().zip(&ob).all(|(a, b)| (a - b).abs() <= 1e-9 * (a.abs() + b.abs()) + 1e-9),
                "{:?} vs {:?}", oa, ob);
        }
        // Chunking the batch path does not matter either.
        let mut chunked = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
        chunked.fit_batch(&d.dataset(0..d.n() / 2 + 1)).unwrap();
        let first = chunked.steps()[0].clone();
        let mut again = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
        again.fit_batch(&d.dataset(0..d.n() / 2 + 1)).unwrap();
        prop_assert_eq!(&first, &again.steps()[0]);
    }

    #[test]
    fn law6_rejected_rows_leave_models_bit_identical(
        d in data(), cut in 0usize..64, pos in 0usize..8, which in 0u8..5,
    ) {
        let k = cut % (d.n() + 1);
        let mut nb = GaussianNB::new();
        stream_nb(&d, 0..k.max(1), &mut nb);
        let mut sc = StandardScaler::new();
        stream_scaler(&d, 0..k.max(1), &mut sc);
        let mut pipe = Pipeline::new(vec![StandardScaler::new()], GaussianNB::new());
        for i in 0..k.max(1) {
            pipe.learn_one(Row::Dense(d.x.row(i).to_slice().unwrap()), &d.y[i], None).unwrap();
        }
        let (nb0, sc0, p0) = (bytes(&nb), bytes(&sc), bytes(&pipe));
        let dim = d.x.ncols();
        let mut x: Vec<f64> = d.x.row(0).to_vec();
        let mut w = None;
        let mut y = d.y[0].clone();
        match which {
            0 => x[pos % dim] = f64::NAN,
            1 => x[pos % dim] = f64::INFINITY,
            2 => x.push(1.0),
            3 => w = Some(-1.0),
            _ => y = Label::Num(f64::NAN),
        }
        let r = Row::Dense(&x);
        if which != 4 {
            prop_assert!(sc.learn_one(r, w).is_err());
        }
        prop_assert!(nb.learn_one(r, &y, w).is_err());
        prop_assert!(pipe.learn_one(r, &y, w).is_err());
        // A batch with one bad row in it is refused whole.
        let mut xs = d.x.clone();
        if which < 2 {
            xs[[d.n() - 1, pos % dim]] = f64::NAN;
            let ys: Vec<Label> = d.y.clone();
            prop_assert!(nb.learn_many(Batch::Dense(xs.view()), &ys, None).is_err());
            prop_assert!(sc.learn_many(Batch::Dense(xs.view()), None).is_err());
        }
        prop_assert_eq!(nb0, bytes(&nb));
        prop_assert_eq!(sc0, bytes(&sc));
        prop_assert_eq!(p0, bytes(&pipe));
    }
}
