//! Optimizers of the stream path (River's `optim`): plain SGD with a learning-rate schedule,
//! AdaGrad, Adam and FTRL-Proximal, each as a description (part of a model's params) and a
//! per-weight state kept by the model.
//!
//! On the command line an optimizer is a nested spec: `optimizer=sgd(lr=0.05)`,
//! `optimizer=adam`, `optimizer=ftrl(alpha=0.1,l2=0)`.

use serde::{Deserialize, Serialize};
use tidewater_core::spec::{ParamValue, Spec, Value, parse_spec, unknown_param};
use tidewater_core::{Error, Result, Row};

/// How the learning rate of [`Optimizer::Sgd`] changes with the step number `t` (0-based), as
/// River's `optim.schedulers`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Schedule {
    /// `lr` at every step.
    Constant,
    /// `lr / (t + 1)^power`.
    InverseScaling {
        /// The exponent (River's default 0.5).
        power: f64,
    },
    /// Bottou's schedule `1 / (alpha * (t0 + t))` with `t0 = 1 / (alpha * sqrt(1 / sqrt(alpha)))`
    /// (River's `Optimal` for the log and squared losses); `lr` is not used.
    Optimal {
        /// The regularisation-like constant (River's default 1e-4).
        alpha: f64,
    },
}

impl Schedule {
    fn rate(&self, lr: f64, t: u64) -> f64 {
        match *self {
            Schedule::Constant => lr,
            Schedule::InverseScaling { power } => lr / ((t + 1) as f64).powf(power),
            Schedule::Optimal { alpha } => {
                let typw = (1.0 / alpha.sqrt()).sqrt();
                let t0 = 1.0 / (typw * alpha);
                1.0 / (alpha * (t0 + t as f64))
            }
        }
    }
}

/// An optimizer of the stream path and its hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Optimizer {
    /// Plain stochastic gradient descent: `w -= rate(t) * g` (River's `optim.SGD`).
    Sgd {
        /// The base learning rate.
        lr: f64,
        /// How the rate changes with the step number.
        schedule: Schedule,
    },
    /// AdaGrad: `G += g^2; w -= lr / sqrt(G + eps) * g` per weight (River's `optim.AdaGrad`).
    AdaGrad {
        /// The learning rate (River's default 0.1).
        lr: f64,
        /// Added under the square root (default 1e-8).
        eps: f64,
    },
    /// Adam with bias correction (River's `optim.Adam`).
    Adam {
        /// The learning rate (River's default 0.1).
        lr: f64,
        /// Decay of the first moment (0.9).
        beta_1: f64,
        /// Decay of the second moment (0.999).
        beta_2: f64,
        /// Added to the root of the second moment (1e-8).
        eps: f64,
    },
    /// FTRL-Proximal as River's `optim.FTRLProximal`: before each step, every weight of the
    /// row's features is set from its `z` and `n`, then `z` and `n` absorb the gradient. (The
    /// standalone [`Ftrl`](crate::Ftrl) learner is McMahan et al.'s algorithm proper.)
    Ftrl {
        /// Per-coordinate learning rate scale (River's default 0.05).
        alpha: f64,
        /// Smoothing of the per-coordinate rate (1).
        beta: f64,
        /// L1 strength inside FTRL (0).
        l1: f64,
        /// L2 strength inside FTRL (1).
        l2: f64,
    },
}

impl Optimizer {
    /// River's default for its linear models: `SGD(0.01)`.
    pub const fn sgd(lr: f64) -> Self {
        Optimizer::Sgd {
            lr,
            schedule: Schedule::Constant,
        }
    }

    /// The learning rate at step `t` (River's `optimizer.learning_rate`; `alpha` for FTRL).
    pub fn learning_rate(&self, t: u64) -> f64 {
        match *self {
            Optimizer::Sgd { lr, schedule } => schedule.rate(lr, t),
            Optimizer::AdaGrad { lr, .. } | Optimizer::Adam { lr, .. } => lr,
            Optimizer::Ftrl { alpha, .. } => alpha,
        }
    }

    /// The optimizer as spec text, e.g. `sgd(lr=0.01)`.
    pub fn to_spec(&self) -> String {
        match *self {
            Optimizer::Sgd { lr, schedule } => match schedule {
                Schedule::Constant => format!("sgd(lr={lr})"),
                Schedule::InverseScaling { power } => {
                    format!("sgd(lr={lr},schedule=inverse_scaling,power={power})")
                }
                Schedule::Optimal { alpha } => format!("sgd(schedule=optimal,alpha={alpha})"),
            },
            Optimizer::AdaGrad { lr, eps } => format!("adagrad(lr={lr},eps={eps})"),
            Optimizer::Adam {
                lr,
                beta_1,
                beta_2,
                eps,
            } => format!("adam(lr={lr},beta_1={beta_1},beta_2={beta_2},eps={eps})"),
            Optimizer::Ftrl {
                alpha,
                beta,
                l1,
                l2,
            } => format!("ftrl(alpha={alpha},beta={beta},l1={l1},l2={l2})"),
        }
    }

    /// An optimizer from a spec value: a bare name (`adam`, defaults) or a nested spec
    /// (`sgd(lr=0.1)`). `param` names the parameter in errors.
    pub fn from_value(param: &str, value: &Value) -> Result<Self> {
        let spec = match value {
            Value::Text(name) => Spec {
                name: name.clone(),
                params: Vec::new(),
            },
            Value::Spec(s) => s.clone(),
            other => {
                return Err(Error::param(
                    param,
                    format!("expected an optimizer such as sgd(lr=0.01), got {other}"),
                ));
            }
        };
        let mut opt = match spec.name.as_str() {
            "sgd" => Optimizer::sgd(0.01),
            "adagrad" => Optimizer::AdaGrad { lr: 0.1, eps: 1e-8 },
            "adam" => Optimizer::Adam {
                lr: 0.1,
                beta_1: 0.9,
                beta_2: 0.999,
                eps: 1e-8,
            },
            "ftrl" => Optimizer::Ftrl {
                alpha: 0.05,
                beta: 1.0,
                l1: 0.0,
                l2: 1.0,
            },
            other => {
                return Err(Error::param(
                    param,
                    format!("unknown optimizer `{other}` (known: sgd, adagrad, adam, ftrl)"),
                ));
            }
        };
        let mut schedule_name: Option<String> = None;
        let mut power = 0.5;
        let mut sched_alpha = 1e-4;
        for (k, v) in &spec.params {
            let name = format!("{param}.{k}");
            let num = || v.as_f64(&name);
            match (&mut opt, k.as_str()) {
                (Optimizer::Sgd { lr, .. }, "lr") => *lr = num()?,
                (Optimizer::Sgd { .. }, "schedule") => {
                    schedule_name = Some(v.as_text(&name)?.to_owned())
                }
                (Optimizer::Sgd { .. }, "power") => power = num()?,
                (Optimizer::Sgd { .. }, "alpha") => sched_alpha = num()?,
                (Optimizer::AdaGrad { lr, .. }, "lr") => *lr = num()?,
                (Optimizer::AdaGrad { eps, .. }, "eps") => *eps = num()?,
                (Optimizer::Adam { lr, .. }, "lr") => *lr = num()?,
                (Optimizer::Adam { beta_1, .. }, "beta_1") => *beta_1 = num()?,
                (Optimizer::Adam { beta_2, .. }, "beta_2") => *beta_2 = num()?,
                (Optimizer::Adam { eps, .. }, "eps") => *eps = num()?,
                (Optimizer::Ftrl { alpha, .. }, "alpha") => *alpha = num()?,
                (Optimizer::Ftrl { beta, .. }, "beta") => *beta = num()?,
                (Optimizer::Ftrl { l1, .. }, "l1") => *l1 = num()?,
                (Optimizer::Ftrl { l2, .. }, "l2") => *l2 = num()?,
                (opt, _) => {
                    let known: &[&str] = match opt {
                        Optimizer::Sgd { .. } => &["lr", "schedule", "power", "alpha"],
                        Optimizer::AdaGrad { .. } => &["lr", "eps"],
                        Optimizer::Adam { .. } => &["lr", "beta_1", "beta_2", "eps"],
                        Optimizer::Ftrl { .. } => &["alpha", "beta", "l1", "l2"],
                    };
                    return Err(unknown_param(&format!("{param}={}", spec.name), k, known));
                }
            }
        }
        if let Optimizer::Sgd { schedule, .. } = &mut opt {
            *schedule = match schedule_name.as_deref() {
                None | Some("constant") => Schedule::Constant,
                Some("inverse_scaling") => Schedule::InverseScaling { power },
                Some("optimal") => Schedule::Optimal { alpha: sched_alpha },
                Some(other) => {
                    return Err(Error::param(
                        format!("{param}.schedule"),
                        format!(
                            "unknown schedule `{other}` (known: constant, inverse_scaling, optimal)"
                        ),
                    ));
                }
            };
        }
        opt.validate(param)?;
        Ok(opt)
    }

    /// Checks every hyper-parameter's range; errors name `param.field`.
    pub fn validate(&self, param: &str) -> Result<()> {
        let check = |field: &str, v: f64, ok: bool, what: &str| -> Result<()> {
            if v.is_finite() && ok {
                Ok(())
            } else {
                Err(Error::param(
                    format!("{param}.{field}"),
                    format!("must be finite and {what}, got {v}"),
                ))
            }
        };
        match *self {
            Optimizer::Sgd { lr, schedule } => {
                check("lr", lr, lr > 0.0, "> 0")?;
                match schedule {
                    Schedule::Constant => Ok(()),
                    Schedule::InverseScaling { power } => {
                        check("power", power, power >= 0.0, ">= 0")
                    }
                    Schedule::Optimal { alpha } => check("alpha", alpha, alpha > 0.0, "> 0"),
                }
            }
            Optimizer::AdaGrad { lr, eps } => {
                check("lr", lr, lr > 0.0, "> 0")?;
                check("eps", eps, eps > 0.0, "> 0")
            }
            Optimizer::Adam {
                lr,
                beta_1,
                beta_2,
                eps,
            } => {
                check("lr", lr, lr > 0.0, "> 0")?;
                check("beta_1", beta_1, (0.0..1.0).contains(&beta_1), "in [0, 1)")?;
                check("beta_2", beta_2, (0.0..1.0).contains(&beta_2), "in [0, 1)")?;
                check("eps", eps, eps > 0.0, "> 0")
            }
            Optimizer::Ftrl {
                alpha,
                beta,
                l1,
                l2,
            } => {
                check("alpha", alpha, alpha > 0.0, "> 0")?;
                check("beta", beta, beta >= 0.0, ">= 0")?;
                check("l1", l1, l1 >= 0.0, ">= 0")?;
                check("l2", l2, l2 >= 0.0, ">= 0")
            }
        }
    }
}

/// The per-weight state of an optimizer over `d` weights, and its step counter.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct OptState {
    /// River's `n_iterations`: steps taken so far.
    pub t: u64,
    /// AdaGrad: sum of squared gradients; Adam: first moment; FTRL: `z`.
    a: Vec<f64>,
    /// Adam: second moment; FTRL: `n`.
    b: Vec<f64>,
}

impl OptState {
    /// Sizes the state for `d` weights (zeros).
    pub fn init(&mut self, opt: &Optimizer, d: usize) {
        let (na, nb) = match opt {
            Optimizer::Sgd { .. } => (0, 0),
            Optimizer::AdaGrad { .. } => (d, 0),
            Optimizer::Adam { .. } | Optimizer::Ftrl { .. } => (d, d),
        };
        self.a = vec![0.0; na];
        self.b = vec![0.0; nb];
    }

    /// Negates the state that changes sign with the weights (see the binary label mapping).
    pub fn negate(&mut self, opt: &Optimizer) {
        match opt {
            Optimizer::Adam { .. } | Optimizer::Ftrl { .. } => {
                self.a.iter_mut().for_each(|v| *v = -*v)
            }
            Optimizer::Sgd { .. } | Optimizer::AdaGrad { .. } => {}
        }
    }

    /// One step over the features of `x`: the gradient of weight `i` is `g * x_i + l2 * w_i`
    /// (River's masked gradient: only the row's features, every feature of a dense row).
    /// Advances the step counter.
    #[inline]
    pub fn step(&mut self, opt: &Optimizer, w: &mut [f64], x: Row<'_>, g: f64, l2: f64) {
        let t = self.t;
        match *opt {
            Optimizer::Sgd { lr, schedule } => {
                let rate = schedule.rate(lr, t);
                if l2 == 0.0 {
                    match x {
                        Row::Dense(v) if v.len() < crate::glm::SMALL_DENSE => {
                            crate::glm::axpy_short(-rate * g, v, w)
                        }
                        Row::Dense(v) => tidewater_core::kernels::axpy(-rate * g, v, w),
                        Row::Sparse(s) => tidewater_core::kernels::sparse_axpy(
                            -rate * g,
                            s.indices(),
                            s.values(),
                            w,
                        ),
                    }
                } else {
                    for_each(x, |i, xi| {
                        let gi = g * xi + l2 * w[i];
                        w[i] -= rate * gi;
                    });
                }
            }
            Optimizer::AdaGrad { lr, eps } => {
                let g2 = &mut self.a;
                for_each(x, |i, xi| {
                    let gi = g * xi + l2 * w[i];
                    g2[i] += gi * gi;
                    w[i] -= lr / (g2[i] + eps).sqrt() * gi;
                });
            }
            Optimizer::Adam {
                lr,
                beta_1,
                beta_2,
                eps,
            } => {
                let k = (t + 1) as i32;
                let rate = lr * (1.0 - beta_2.powi(k)).sqrt() / (1.0 - beta_1.powi(k));
                let (m, v) = (&mut self.a, &mut self.b);
                for_each(x, |i, xi| {
                    let gi = g * xi + l2 * w[i];
                    m[i] = beta_1 * m[i] + (1.0 - beta_1) * gi;
                    v[i] = beta_2 * v[i] + (1.0 - beta_2) * gi * gi;
                    w[i] -= rate * m[i] / (v[i].sqrt() + eps);
                });
            }
            Optimizer::Ftrl {
                alpha,
                beta,
                l1,
                l2: fl2,
            } => {
                let (z, n) = (&mut self.a, &mut self.b);
                for_each(x, |i, xi| {
                    // The gradient with the weight as the prediction saw it.
                    let gi = g * xi + l2 * w[i];
                    let zi = z[i];
                    w[i] = if zi.abs() > l1 {
                        -(zi - zi.signum() * l1) / ((beta + n[i].sqrt()) / alpha + fl2)
                    } else {
                        0.0
                    };
                    let s = ((n[i] + gi * gi).sqrt() - n[i].sqrt()) / alpha;
                    z[i] += gi - s * w[i];
                    n[i] += gi * gi;
                });
            }
        }
        self.t = self.t.saturating_add(1);
    }
}

/// Calls `f(index, value)` for every entry of a row (every feature of a dense row).
#[inline(always)]
pub(crate) fn for_each(x: Row<'_>, mut f: impl FnMut(usize, f64)) {
    match x {
        Row::Dense(v) => {
            for (i, &xi) in v.iter().enumerate() {
                f(i, xi)
            }
        }
        Row::Sparse(s) => {
            for (&i, &xi) in s.indices().iter().zip(s.values()) {
                f(i as usize, xi)
            }
        }
    }
}

impl ParamValue for Optimizer {
    fn from_value(value: &Value, param: &str) -> Result<Self> {
        Optimizer::from_value(param, value)
    }

    fn to_value(&self) -> Value {
        match parse_spec(&self.to_spec()) {
            Ok(spec) => Value::Spec(spec),
            Err(_) => Value::Text(self.to_spec()),
        }
    }

    fn kind() -> String {
        "an optimizer: sgd(lr,schedule,power,alpha), adagrad(lr,eps), adam(lr,beta_1,beta_2,eps) \
         or ftrl(alpha,beta,l1,l2)"
            .into()
    }
}

impl OptState {
    /// The optimizer's per-coordinate state for `d` features (empty before the first row,
    /// `d` = `None`), no NaN, the accumulated squares not negative.
    pub(crate) fn check(
        &self,
        opt: &Optimizer,
        d: Option<usize>,
    ) -> tidewater_core::check::StateResult {
        use tidewater_core::check::*;
        let (na, nb) = match (opt, d) {
            (_, None) | (Optimizer::Sgd { .. }, _) => (0, 0),
            (Optimizer::AdaGrad { .. }, Some(d)) => (d, 0),
            (Optimizer::Adam { .. } | Optimizer::Ftrl { .. }, Some(d)) => (d, d),
        };
        same_len("optimizer state", self.a.len(), na)?;
        same_len("optimizer state", self.b.len(), nb)?;
        all_not_nan("optimizer state", self.a.iter().chain(&self.b))?;
        match opt {
            Optimizer::AdaGrad { .. } => all_at_least_zero("squared gradients", &self.a),
            Optimizer::Adam { .. } | Optimizer::Ftrl { .. } => {
                all_at_least_zero("squared gradients", &self.b)
            }
            Optimizer::Sgd { .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tidewater_core::spec::parse_spec;

    fn value(text: &str) -> Value {
        let s = parse_spec(&format!("m(o={text})")).unwrap();
        s.params[0].1.clone()
    }

    #[test]
    fn optimizers_parse_from_names_and_nested_specs() {
        assert_eq!(
            Optimizer::from_value("optimizer", &value("sgd")).unwrap(),
            Optimizer::sgd(0.01)
        );
        assert_eq!(
            Optimizer::from_value("optimizer", &value("sgd(lr=0.5,schedule=inverse_scaling)"))
                .unwrap(),
            Optimizer::Sgd {
                lr: 0.5,
                schedule: Schedule::InverseScaling { power: 0.5 }
            }
        );
        let adam = Optimizer::from_value("optimizer", &value("adam(beta_1=0.8)")).unwrap();
        assert!(matches!(adam, Optimizer::Adam { beta_1, .. } if beta_1 == 0.8));
        for bad in [
            "sgd(lr=-1)",
            "nope",
            "adam(gamma=1)",
            "sgd(schedule=weird)",
            "3",
        ] {
            let e = Optimizer::from_value("optimizer", &value(bad)).unwrap_err();
            assert!(e.to_string().contains("optimizer"), "{bad}: {e}");
        }
        for o in [
            Optimizer::sgd(0.1),
            Optimizer::AdaGrad { lr: 0.2, eps: 1e-6 },
        ] {
            let back = Optimizer::from_value("o", &value(&o.to_spec())).unwrap();
            assert_eq!(back, o);
        }
    }

    #[test]
    fn schedules_follow_river() {
        let inv = Schedule::InverseScaling { power: 0.5 };
        assert_eq!(inv.rate(1.0, 3), 0.5);
        let opt = Schedule::Optimal { alpha: 1e-4 };
        // River: typw = sqrt(1/sqrt(1e-4)) = sqrt(100) = 10, t0 = 1/(10 * 1e-4) = 1000.
        assert!((opt.rate(0.0, 0) - 1.0 / (1e-4 * 1000.0)).abs() < 1e-9);
    }
}
