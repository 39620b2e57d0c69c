//! Agrawal: a loan-applicant database with the ten classification functions of the paper.

use tidewater_core::{Result, Schema};

use super::params::{check_range, generator_params};
use super::rng::SynthRng;
use super::{Generator, GeneratorParams, Sample, coded, schema};
use crate::Task;

generator_params! {
    /// Parameters of [`Agrawal`] (River's `Agrawal`).
    pub struct AgrawalParams ("agrawal", "Agrawal et al. (1993) loan applicants: 6 numeric and \
                                          3 nominal features, one of ten classification \
                                          functions") {
        classification_function: usize = 0 => "which of the paper's ten functions labels the \
                                               rows, 0 to 9",
        seed: Option<u64> = None => "random seed (none: from the operating system)",
        balance_classes: bool = false => "alternate the classes 1, 0, 1, ... (drawing rows \
                                          until the wanted class comes)",
        perturbation: f64 = 0.0 => "feature noise in [0, 1]: each numeric feature moves by up \
                                    to this fraction of its range (labels are computed before)",
    }
}

impl AgrawalParams {
    fn check(&self) -> Result<()> {
        check_range(
            "agrawal",
            "classification_function",
            self.classification_function,
            0,
            9,
        )?;
        check_range("agrawal", "perturbation", self.perturbation, 0.0, 1.0)
    }
}

impl GeneratorParams for AgrawalParams {
    type Generator = Agrawal;
    fn build(&self) -> Result<Agrawal> {
        self.check()?;
        let names = [
            "salary",
            "commission",
            "age",
            "elevel",
            "car",
            "zipcode",
            "hvalue",
            "hyears",
            "loan",
        ];
        let mut nominal = vec![None; 9];
        nominal[3] = coded(4);
        nominal[4] = coded(20);
        nominal[5] = coded(8);
        Ok(Agrawal {
            params: self.clone(),
            rng: SynthRng::new(self.seed),
            next_zero: false,
            schema: schema(names.iter().map(|s| (*s).to_owned()).collect(), nominal),
        })
    }
}

/// The Agrawal generator (Agrawal, Imielinski and Swami, 1993, "Database Mining: A
/// Performance Perspective"), River's `Agrawal`.
///
/// Nine features, in River's order and distributions: `salary` uniform in [20k, 150k);
/// `commission` 0 when the salary is at least 75k, else uniform in [10k, 85k) (River's
/// draw); `age` an integer from 20 to 80; `elevel` (education level) 0 to 4; `car` (maker)
/// 1 to 20; `zipcode` 0 to 8; `hvalue` (house value) `(8 - zipcode) * 100k * U[0.5, 1.5)`;
/// `hyears` (years owned) 1 to 30; `loan` uniform in [0, 500k). `elevel`, `car` and
/// `zipcode` are nominal, emitted as their integer codes (the [`Schema`] lists categories
/// `"0"`, `"1"`, … so that category `k` is code `k`; `car` has no code 0).
///
/// The class comes from one of the paper's ten predicates ("group A", see
/// [`Agrawal::group_a`]). The label follows River's convention, so class balances match
/// River's: for functions 0 to 5 the class is 1 in group A; for functions 6 to 9 (the
/// disposable-income functions) the class is 0 in group A, i.e. 1 when disposable income is
/// not positive.
///
/// With `perturbation` p > 0 the numeric features are moved after labelling (noise in the
/// features, not in the labels), each by `p * range * U[-1, 1)`, clamped to its range, and
/// `age` and `hyears` rounded (half to even, as River's `round`).
///
/// Departures from River 0.26.1, each to follow the paper:
/// - function 4 (the paper's function 5) compares `loan`, not `salary`, with the loan
///   brackets: River's version labels almost every row 0 (the paper's gives 40 % group A);
/// - functions 6 to 9 compare disposable income with 0, as the paper does, not with 1;
/// - a perturbed `hvalue` stays within its zip code's range `(8 - zipcode) * [50k, 150k]`
///   (River's clamp sets it to `(9 - zipcode) * 100k` or 0).
#[derive(Clone, Debug)]
pub struct Agrawal {
    params: AgrawalParams,
    rng: SynthRng,
    next_zero: bool,
    schema: Schema,
}

#[inline]
fn within(v: f64, lo: f64, hi: f64) -> bool {
    lo <= v && v <= hi
}

impl Agrawal {
    /// Whether a row `[salary, commission, age, elevel, car, zipcode, hvalue, hyears,
    /// loan]` is in group A under function `function` (0 to 9; the paper's functions 1 to
    /// 10). `None` for an unknown function or a short row.
    pub fn group_a(function: usize, x: &[f64]) -> Option<bool> {
        if x.len() < 9 {
            return None;
        }
        Self::group_a_unchecked(function, x)
    }

    #[inline]
    fn group_a_unchecked(function: usize, x: &[f64]) -> Option<bool> {
        let (salary, commission, age, elevel) = (x[0], x[1], x[2], x[3]);
        let (hvalue, hyears, loan) = (x[6], x[7], x[8]);
        // The three age brackets of functions 1 to 6.
        let bracket = if age < 40.0 {
            0
        } else if age < 60.0 {
            1
        } else {
            2
        };
        let salary_band = |s: f64| match bracket {
            0 => within(s, 50_000.0, 100_000.0),
            1 => within(s, 75_000.0, 125_000.0),
            _ => within(s, 25_000.0, 75_000.0),
        };
        let income = 2.0 * (salary + commission) / 3.0;
        Some(match function {
            0 => bracket != 1,
            1 => salary_band(salary),
            2 => match bracket {
                0 => elevel <= 1.0,
                1 => (1.0..=3.0).contains(&elevel),
                _ => elevel >= 2.0,
            },
            3 => match bracket {
                0 if elevel <= 1.0 => within(salary, 25_000.0, 75_000.0),
                0 => within(salary, 50_000.0, 100_000.0),
                1 if (1.0..=3.0).contains(&elevel) => within(salary, 50_000.0, 100_000.0),
                1 => within(salary, 75_000.0, 125_000.0),
                _ if elevel >= 2.0 => within(salary, 50_000.0, 100_000.0),
                _ => within(salary, 25_000.0, 75_000.0),
            },
            4 => match bracket {
                0 if within(salary, 50_000.0, 100_000.0) => within(loan, 100_000.0, 300_000.0),
                0 => within(loan, 200_000.0, 400_000.0),
                1 if within(salary, 75_000.0, 125_000.0) => within(loan, 200_000.0, 400_000.0),
                1 => within(loan, 300_000.0, 500_000.0),
                _ if within(salary, 25_000.0, 75_000.0) => within(loan, 300_000.0, 500_000.0),
                _ => within(loan, 100_000.0, 300_000.0),
            },
            5 => salary_band(salary + commission),
            6 => income - loan / 5.0 - 20_000.0 > 0.0,
            7 => income - 5000.0 * elevel - 20_000.0 > 0.0,
            8 => income - 5000.0 * elevel - loan / 5.0 - 10_000.0 > 0.0,
            9 => {
                let equity = if hyears >= 20.0 {
                    hvalue * (hyears - 20.0) / 10.0
                } else {
                    0.0
                };
                income - 5000.0 * elevel + equity / 5.0 - 10_000.0 > 0.0
            }
            _ => return None,
        })
    }

    /// The label of a row under function `function`, by River's convention: 1 for group A
    /// with functions 0 to 5, 1 for not group A with functions 6 to 9. `None` for an
    /// unknown function or a short row.
    pub fn label(function: usize, x: &[f64]) -> Option<f64> {
        let a = Self::group_a(function, x)?;
        Some(f64::from(u8::from(a == (function <= 5))))
    }

    /// The parameters it was built with.
    pub fn params(&self) -> &AgrawalParams {
        &self.params
    }

    fn perturb(&mut self, v: f64, lo: f64, hi: f64) -> f64 {
        let v = v + (hi - lo) * (2.0 * (self.rng.uniform() - 0.5)) * self.params.perturbation;
        v.clamp(lo, hi)
    }
}

impl Generator for Agrawal {
    fn name(&self) -> &'static str {
        "agrawal"
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn task(&self) -> Task {
        Task::BinaryClassification
    }
    fn n_classes(&self) -> Option<usize> {
        Some(2)
    }
    fn fill(&mut self, x: &mut [f64]) -> Sample {
        let f = self.params.classification_function;
        let y = loop {
            let r = &mut self.rng;
            let salary = 20_000.0 + 130_000.0 * r.uniform();
            x[0] = salary;
            x[1] = if salary >= 75_000.0 {
                0.0
            } else {
                10_000.0 + 75_000.0 * r.uniform()
            };
            x[2] = r.int_in(20, 80);
            x[3] = r.int_in(0, 4);
            x[4] = r.int_in(1, 20);
            let zipcode = r.int_in(0, 8);
            x[5] = zipcode;
            x[6] = (8.0 - zipcode) * 100_000.0 * (0.5 + r.uniform());
            x[7] = r.int_in(1, 30);
            x[8] = 500_000.0 * r.uniform();
            let a = Self::group_a_unchecked(f, x).unwrap_or(false);
            let y = a == (f <= 5);
            if !self.params.balance_classes || y != self.next_zero {
                self.next_zero = !self.next_zero;
                break y;
            }
        };
        if self.params.perturbation > 0.0 {
            x[0] = self.perturb(x[0], 20_000.0, 150_000.0);
            if x[1] > 0.0 {
                x[1] = self.perturb(x[1], 10_000.0, 75_000.0);
            }
            x[2] = self.perturb(x[2], 20.0, 80.0).round_ties_even();
            let k = 8.0 - x[5];
            x[6] = self.perturb(x[6], 50_000.0 * k, 150_000.0 * k);
            x[7] = self.perturb(x[7], 1.0, 30.0).round_ties_even();
            x[8] = self.perturb(x[8], 0.0, 500_000.0);
        }
        Sample::at(f64::from(u8::from(y)))
    }
}
