//! Pareto/NBD over its whole parameter range: `r, α, s, β` anywhere in 1e-3..1e8, customers with
//! `x` up to 1e5, `T` up to 1e7 and `t_x` in {0, tiny, uniform, T}, against references computed
//! by direct quadrature in mpmath at two precisions (`scripts/pareto_nbd_extreme_vectors.py`);
//! plus the structural properties (bounds, monotonicity, rescaling) and hostile small fits.

use clv::{Customer, FitOptions, Objective, ParetoNbd, RfmData, TransactionModel};

/// Relative tolerance against mpmath for every quantity.
const TOL: f64 = 1e-10;
/// Tolerance of the gradient in the measure of [`grad_err`]: components formed from terms that
/// cancel to many digits (`∂ℓ/∂α` with `r ~ 1e4`, `α ~ 1e-3`; `∂ℓ/∂β` at recency ~1e-9 T)
/// are exact to about 1e-7 on the scale of `∂ℓ/∂ln θ`; everything else to 1e-10.
const TOL_GRAD: f64 = 1e-7;

/// Error of a gradient component `∂ℓ/∂θ`: relative, or, for a component that is small because
/// its terms (each of size about `1/θ`) cancel, absolute in `∂ℓ/∂ln θ` (nats per unit of
/// `ln θ`), the scale on which the fit uses it.
fn grad_err(got: f64, want: f64, theta: f64) -> f64 {
    (got - want).abs() * theta / (want.abs() * theta).max(1.0)
}

fn read(name: &str) -> (Vec<String>, Vec<Vec<f64>>) {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(|v| v.parse().unwrap()).collect())
        .collect();
    (header, rows)
}

/// Relative error; references that underflow double precision must give (near) zero.
fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < 1e-290 {
        if got.abs() < 1e-280 {
            0.0
        } else {
            f64::INFINITY
        }
    } else {
        ((got - want) / want).abs()
    }
}

#[test]
fn extreme_parameters_match_mpmath_quadrature() {
    let (header, rows) = read("pareto_nbd_extreme.csv");
    assert!(rows.len() >= 200, "{} rows", rows.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let names = [
        "log_likelihood",
        "d_r",
        "d_alpha",
        "d_s",
        "d_beta",
        "p_alive",
        "cond_exp",
        "dert",
        "exp_x",
        "pmf",
        "cond_pmf",
    ];
    let mut worst = vec![(0.0f64, 0usize); names.len()];
    let mut failures = Vec::new();
    for (i, v) in rows.iter().enumerate() {
        let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let c = Customer::new(v[4], v[5], v[6]).unwrap();
        let (t, delta, n) = (v[7], v[8], v[9] as u32);
        let g = m.log_likelihood_gradient(&c);
        let got = [
            m.log_likelihood(&c),
            g[0],
            g[1],
            g[2],
            g[3],
            m.probability_alive(&c),
            m.conditional_expected_transactions(&c, t).unwrap(),
            m.discounted_expected_residual_transactions(&c, delta)
                .unwrap(),
            m.expected_transactions(t).unwrap(),
            m.probability_of_transactions(n, t).unwrap(),
            m.conditional_probability_of_transactions(&c, n, t).unwrap(),
        ];
        for (k, name) in names.iter().enumerate() {
            let want = v[col(name)];
            let e = if (1..=4).contains(&k) {
                grad_err(got[k], want, v[k - 1])
            } else {
                rel(got[k], want)
            };
            if e > worst[k].0 {
                worst[k] = (e, i);
            }
            let tol = if (1..=4).contains(&k) { TOL_GRAD } else { TOL };
            if e.is_nan() || e > tol {
                failures.push(format!(
                    "row {i} {name}: {} vs {want} (rel {e:.1e}) at {m} {c:?} t={t} δ={delta} n={n}",
                    got[k]
                ));
            }
        }
    }
    for (k, name) in names.iter().enumerate() {
        eprintln!(
            "{name:>15}: worst relative error {:.2e} (row {})",
            worst[k].0, worst[k].1
        );
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The fit's objective on each reference row alone (the per-evaluation series tables, the row
/// loop of the fit) against the same references: the log-likelihood to 1e-10 relative or, where
/// it is near 0, 1e-10 nats absolute (a sum's scale), and the gradient in the measure of
/// [`grad_err`]. Offsets far apart (`α/β` up to 1e10) once lost the smaller one's digits here.
#[test]
fn objective_rows_match_mpmath_quadrature() {
    let (_, mut rows) = read("pareto_nbd_extreme.csv");
    rows.extend(named_cases().into_iter().map(|(_, v)| v));
    let mut failures = Vec::new();
    for (i, v) in rows.iter().enumerate() {
        let theta = [v[0], v[1], v[2], v[3]];
        let data = RfmData::from_columns(vec![v[4]], vec![v[5]], vec![v[6]], None, None).unwrap();
        let objective = ParetoNbd::objective(&data);
        let mut g = [0.0; 4];
        let ll = objective.log_likelihood(&theta, Some(&mut g));
        let want = v[LL];
        let e = (ll - want).abs() / want.abs().max(1.0);
        if e.is_nan() || e > TOL {
            failures.push(format!("row {i} log-likelihood: {ll} vs {want} ({e:.1e})"));
        }
        for k in 0..4 {
            let e = grad_err(g[k], v[LL + 1 + k], theta[k]);
            if e.is_nan() || e > TOL_GRAD {
                failures.push(format!(
                    "row {i} gradient {k}: {} vs {} ({e:.1e}) at {theta:?}, {:?}",
                    g[k],
                    v[LL + 1 + k],
                    &v[4..7]
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Small hostile files: extreme weights, recency and ages. Every fit must end (quickly — timings
/// are printed, not asserted) with finite parameters and log-likelihood, or with an error. Data
/// beyond the documented input limits (e.g. a weight above 2^53 customers) is refused at the door.
fn hostile_files() -> Vec<(&'static str, clv::Result<RfmData>)> {
    let d = |x: &[f64], tx: &[f64], t: &[f64], w: Option<&[f64]>| {
        RfmData::from_columns(
            x.to_vec(),
            tx.to_vec(),
            t.to_vec(),
            None,
            w.map(<[f64]>::to_vec),
        )
    };
    vec![
        (
            "weight 1e-300",
            d(
                &[2.0, 0.0, 5.0, 1.0],
                &[30.0, 0.0, 35.0, 3.0],
                &[39.0, 39.0, 38.0, 37.0],
                Some(&[1.0, 1.0, 1.0, 1e-300]),
            ),
        ),
        (
            "weight 1e300",
            d(
                &[2.0, 0.0, 5.0, 1.0],
                &[30.0, 0.0, 35.0, 3.0],
                &[39.0, 39.0, 38.0, 37.0],
                Some(&[1.0, 1e300, 1.0, 1.0]),
            ),
        ),
        (
            "weights 1e-300 and 1e300",
            d(
                &[2.0, 0.0, 5.0, 1.0],
                &[30.0, 0.0, 35.0, 3.0],
                &[39.0, 39.0, 38.0, 37.0],
                Some(&[1e-300, 1e300, 1.0, 1e-300]),
            ),
        ),
        (
            "recency 1e-9",
            d(
                &[1.0, 2.0, 3.0, 1.0],
                &[1e-9, 1e-9, 1e-9, 1e-9],
                &[10.0, 20.0, 30.0, 40.0],
                None,
            ),
        ),
        (
            "recency 1e-9, one at T",
            d(
                &[1.0, 2.0, 3.0, 1.0],
                &[1e-9, 1e-9, 1e-9, 40.0],
                &[10.0, 20.0, 30.0, 40.0],
                None,
            ),
        ),
        (
            "T 1e-9",
            d(
                &[1.0, 2.0, 0.0, 1.0],
                &[5e-10, 1e-9, 0.0, 1e-10],
                &[1e-9, 1e-9, 1e-9, 1e-9],
                None,
            ),
        ),
        (
            "T 1e7",
            d(
                &[1.0, 20.0, 0.0, 3.0],
                &[5e6, 9e6, 0.0, 1e3],
                &[1e7, 1e7, 1e7, 1e7],
                None,
            ),
        ),
        (
            "all t_x = T",
            d(
                &[1.0, 2.0, 3.0, 4.0],
                &[10.0, 20.0, 30.0, 40.0],
                &[10.0, 20.0, 30.0, 40.0],
                None,
            ),
        ),
        (
            "all t_x = T, equal",
            d(&[1.0, 1.0, 1.0, 1.0], &[5.0; 4], &[5.0; 4], None),
        ),
        (
            "one repeat customer",
            d(
                &[3.0, 0.0, 0.0, 0.0],
                &[20.0, 0.0, 0.0, 0.0],
                &[30.0; 4],
                None,
            ),
        ),
        (
            "x 1e5",
            d(
                &[1e5, 0.0, 3.0, 7e4],
                &[99.0, 0.0, 50.0, 10.0],
                &[100.0, 100.0, 100.0, 100.0],
                None,
            ),
        ),
        (
            "seconds",
            d(
                &[2.0, 0.0, 5.0, 1.0, 7.0],
                &[2.6e6, 0.0, 3.0e6, 2.6e5, 3.3e6],
                &[3.4e6, 3.4e6, 3.3e6, 3.2e6, 3.4e6],
                None,
            ),
        ),
        (
            "mixed tiny and huge T",
            d(
                &[1.0, 1.0, 2.0, 0.0],
                &[1e-9, 5e6, 1e-3, 0.0],
                &[1e-9, 1e7, 1.0, 1e7],
                None,
            ),
        ),
    ]
}

#[test]
fn hostile_small_fits_end_with_a_verdict() {
    let mut slowest = (0.0f64, "");
    for (name, data) in hostile_files() {
        let data = match data {
            Ok(d) => d,
            Err(e) => {
                assert!(
                    matches!(&e, clv::Error::InvalidData { field, .. } if field == "weight"),
                    "{name}: {e}"
                );
                eprintln!("{name:>28}: refused at the door: {e}");
                continue;
            }
        };
        let start = std::time::Instant::now();
        let fit = ParetoNbd::fit(&data, &FitOptions::default());
        let secs = start.elapsed().as_secs_f64();
        if secs > slowest.0 {
            slowest = (secs, name);
        }
        match fit {
            Ok(f) => {
                let m = f.model();
                let p = [m.r(), m.alpha(), m.s(), m.beta()];
                assert!(p.iter().all(|v| v.is_finite() && *v > 0.0), "{name}: {m}");
                assert!(f.log_likelihood().is_finite(), "{name}");
                eprintln!(
                    "{name:>28}: {secs:.3} s, {} iterations, converged {}, ll {:.6}, {m}",
                    f.iterations(),
                    f.converged(),
                    f.log_likelihood()
                );
            }
            Err(e) => eprintln!("{name:>28}: {secs:.3} s, error: {e}"),
        }
    }
    eprintln!("slowest: {slowest:?}");
}

/// A seeded xorshift generator for the sweeps (reproducible without extra dependencies).
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Log-uniform on `[10^lo, 10^hi]`.
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        10f64.powf(lo + (hi - lo) * self.unit())
    }
    fn model(&mut self) -> ParetoNbd {
        ParetoNbd::new(
            self.log_uniform(-3.0, 8.0),
            self.log_uniform(-3.0, 8.0),
            self.log_uniform(-3.0, 8.0),
            self.log_uniform(-3.0, 8.0),
        )
        .unwrap()
    }
    /// x up to 1e5, T up to 1e7, t_x in {0 (x = 0), tiny, uniform, T}.
    fn customer(&mut self, kind: usize) -> Customer {
        let t = self.log_uniform(-2.0, 7.0);
        let x = (self.log_uniform(0.0, 5.0)).round();
        match kind % 4 {
            0 => Customer::new(0.0, 0.0, t),
            1 => Customer::new(x, t * 1e-9, t),
            2 => Customer::new(x, t * self.unit().max(1e-3), t),
            _ => Customer::new(x, t, t),
        }
        .unwrap()
    }
}

fn named_cases() -> Vec<(String, Vec<f64>)> {
    let path = format!(
        "{}/tests/data/pareto_nbd_extreme_cases.csv",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let name = r[0].to_string();
            (name, r.iter().skip(1).map(|v| v.parse().unwrap()).collect())
        })
        .collect()
}

/// The named case's model, customer, `(t, δ, n)` and reference row (columns as in the CSV).
fn case(name: &str) -> (ParetoNbd, Customer, f64, f64, u32, Vec<f64>) {
    let (_, v) = named_cases()
        .into_iter()
        .find(|(n, _)| n == name)
        .unwrap_or_else(|| panic!("no case {name}"));
    let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
    let c = Customer::new(v[4], v[5], v[6]).unwrap();
    (m, c, v[7], v[8], v[9] as u32, v)
}

/// Column offsets in a reference row after the 10 inputs.
const LL: usize = 10;
const P_ALIVE: usize = 15;
const COND_EXP: usize = 16;
const DERT: usize = 17;
const PMF: usize = 19;
const COND_PMF: usize = 20;

fn check_case(name: &str) {
    let (m, c, t, delta, n, v) = case(name);
    let checks = [
        ("log-likelihood", m.log_likelihood(&c), v[LL]),
        ("P(alive)", m.probability_alive(&c), v[P_ALIVE]),
        (
            "E[Y(t)]",
            m.conditional_expected_transactions(&c, t).unwrap(),
            v[COND_EXP],
        ),
        (
            "DERT",
            m.discounted_expected_residual_transactions(&c, delta)
                .unwrap(),
            v[DERT],
        ),
        (
            "P(X(t)=n)",
            m.probability_of_transactions(n, t).unwrap(),
            v[PMF],
        ),
        (
            "conditional P(X(t)=n)",
            m.conditional_probability_of_transactions(&c, n, t).unwrap(),
            v[COND_PMF],
        ),
    ];
    for (what, got, want) in checks {
        let e = rel(got, want);
        assert!(e <= TOL, "{name} {what}: {got} vs {want} (rel {e:.1e})");
    }
    let g = m.log_likelihood_gradient(&c);
    let th = [m.r(), m.alpha(), m.s(), m.beta()];
    for k in 0..4 {
        let e = grad_err(g[k], v[LL + 1 + k], th[k]);
        assert!(
            e <= TOL,
            "{name} gradient {k}: {} vs {} ({e:.1e})",
            g[k],
            v[LL + 1 + k]
        );
    }
}

#[test]
fn cdnow_in_seconds_is_exact_and_equals_weeks() {
    check_case("cdnow_seconds");
    check_case("cdnow_weeks");
    let (ms, cs, ts, ds, _, _) = case("cdnow_seconds");
    let (mw, cw, tw, dw, _, _) = case("cdnow_weeks");
    let pairs = [
        (ms.probability_alive(&cs), mw.probability_alive(&cw)),
        (
            ms.conditional_expected_transactions(&cs, ts).unwrap(),
            mw.conditional_expected_transactions(&cw, tw).unwrap(),
        ),
        (
            ms.discounted_expected_residual_transactions(&cs, ds)
                .unwrap(),
            mw.discounted_expected_residual_transactions(&cw, dw)
                .unwrap(),
        ),
    ];
    for (a, b) in pairs {
        assert!((a / b - 1.0).abs() < 1e-10, "{a} vs {b}");
    }
}

#[test]
fn p_alive_and_expectation_exact_at_parameters_near_1e8() {
    for name in ["large_s_beta", "all_large", "large_r_alpha"] {
        check_case(name);
    }
}

#[test]
fn dert_at_extreme_discount_rates_is_exact_bounded_and_fast() {
    for name in [
        "dert_delta_1e6",
        "dert_delta_1e-12",
        "dert_delta_1e-15",
        "dert_small_s_delta_1e6",
    ] {
        let (m, c, _, delta, _, _) = case(name);
        let start = std::time::Instant::now();
        let dert = m
            .discounted_expected_residual_transactions(&c, delta)
            .unwrap();
        eprintln!(
            "{name}: DERT {dert:e} in {:.3} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
        let bound =
            m.probability_alive(&c) * (m.r() + c.frequency()) / (m.alpha() + c.age()) / delta;
        assert!(dert <= bound, "{name}: {dert} > {bound}");
        check_case(name);
    }
}

#[test]
fn tiny_recency_and_large_frequency_are_exact() {
    check_case("recency_tiny");
    check_case("recency_at_T_large_x");
}

/// `α` and `β` ten orders apart, both orientations: every prediction and the gradient (the
/// smaller offset's `1/(β+u)` once came from `(α+u) − (α−β)`, 3e-6 relative off).
#[test]
fn offsets_ten_orders_apart_are_exact() {
    for name in [
        "far_offsets_no_purchase",
        "far_offsets_repeat",
        "far_offsets_swapped",
    ] {
        check_case(name);
    }
}

#[test]
fn pmf_partial_sums_never_exceed_one_and_reach_it() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut worst_excess = f64::NEG_INFINITY;
    let mut worst_gap = 0.0f64;
    let mut checked = 0;
    for i in 0..400 {
        let m = rng.model();
        let c = rng.customer(i);
        let t = rng.log_uniform(-2.0, 7.0);
        // Only where the count distribution is concentrated on a few hundred values can the
        // sum be completed (the tail of X(t) decays like n^−s): the partial sums are checked
        // everywhere, the total where the mean is small and s > 6.
        let mean = m.expected_transactions(t).unwrap();
        // Mean of the counts given alive (the conditional PMF mixes them with a point mass at 0).
        let cmean = m.conditional_expected_transactions(&c, t).unwrap() / m.probability_alive(&c);
        let (mut sum, mut csum) = (0.0, 0.0);
        for n in 0..400 {
            sum += m.probability_of_transactions(n, t).unwrap();
            csum += m.conditional_probability_of_transactions(&c, n, t).unwrap();
            assert!(
                sum <= 1.0 + 1e-12,
                "{m} t={t}: Σ P(X = n) up to {n} = {sum}"
            );
            assert!(csum <= 1.0 + 1e-12, "{m} {c:?} t={t}: Σ up to {n} = {csum}");
            worst_excess = worst_excess.max(sum - 1.0).max(csum - 1.0);
        }
        if mean < 2.0 && m.r() > 0.5 && m.s() > 6.0 {
            assert!((sum - 1.0).abs() < 1e-10, "{m} t={t}: Σ P(X = n) = {sum}");
            worst_gap = worst_gap.max((sum - 1.0).abs());
            checked += 1;
        }
        if cmean < 2.0 && m.r() + c.frequency() > 0.5 && m.s() > 6.0 {
            assert!((csum - 1.0).abs() < 1e-10, "{m} {c:?} t={t}: Σ = {csum}");
            worst_gap = worst_gap.max((csum - 1.0).abs());
        }
    }
    eprintln!(
        "largest partial sum − 1: {worst_excess:.1e}; worst |Σ − 1| {worst_gap:.1e} ({checked} complete sums)"
    );
    assert!(checked > 20);
}

#[test]
fn probabilities_bounded_and_expectations_non_decreasing() {
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    for i in 0..2000 {
        let m = rng.model();
        let c = rng.customer(i);
        let pa = m.probability_alive(&c);
        assert!((0.0..=1.0).contains(&pa), "{m} {c:?}: {pa}");
        let (mut last_x, mut last_y, mut last_alive) = (0.0, 0.0, pa);
        for k in -3..=8 {
            let t = 10f64.powi(k);
            let ex = m.expected_transactions(t).unwrap();
            let ey = m.conditional_expected_transactions(&c, t).unwrap();
            let alive = m.probability_alive_at(&c, t).unwrap();
            assert!(
                ex.is_finite() && ex >= last_x,
                "{m} t={t}: E[X] {ex} < {last_x}"
            );
            assert!(
                ey.is_finite() && ey >= last_y,
                "{m} {c:?} t={t}: E[Y] {ey} < {last_y}"
            );
            assert!(alive <= last_alive && alive >= 0.0, "{m} {c:?} t={t}");
            (last_x, last_y, last_alive) = (ex, ey, alive);
        }
        // A density in the purchase times: ℓ may be positive.
        let ll = m.log_likelihood(&c);
        assert!(ll.is_finite(), "{m} {c:?}: ℓ = {ll}");
        assert!(
            m.log_likelihood_gradient(&c).iter().all(|g| g.is_finite()),
            "{m} {c:?}"
        );
    }
}

#[test]
fn dert_is_bounded_and_consistent_with_expected_y() {
    let mut rng = Rng(0xfeed_beef_1357_9bdf);
    let mut worst = 0.0f64;
    for i in 0..300 {
        let m = rng.model();
        let c = rng.customer(i);
        let delta = rng.log_uniform(-6.0, 3.0);
        let Ok(dert) = m.discounted_expected_residual_transactions(&c, delta) else {
            continue;
        };
        let bound =
            m.probability_alive(&c) * (m.r() + c.frequency()) / (m.alpha() + c.age()) / delta;
        assert!(dert <= bound, "{m} {c:?} δ={delta}: {dert} > {bound}");
        // DERT = ∫ δ e^(−δt) E[Y(t)] dt = ∫_0^1 E[Y(−ln(v)/δ)] dv (v = e^(−δt)), by composite
        // Gauss–Legendre in w = ln(−ln v) where the integrand is smooth.
        let ey = |t: f64| m.conditional_expected_transactions(&c, t).unwrap();
        let integral = discounted_integral(ey, delta);
        if bound > 0.0 && dert > 1e-300 {
            let e = (integral / dert - 1.0).abs();
            worst = worst.max(e);
            assert!(e < 1e-8, "{m} {c:?} δ={delta}: DERT {dert} vs ∫ {integral}");
        }
    }
    eprintln!("worst |∫ δ e^(−δt) E[Y(t)] dt / DERT − 1| = {worst:.1e}");
}

/// `∫_0^∞ δ e^(−δt) f(t) dt` with `y = δt`, `y = e^w`: `∫ e^(w − e^w) f(e^w/δ) dw` over
/// `w ∈ [−40, 4]` (the weight is below 1e-17 outside), composite 20-point Gauss–Legendre.
fn discounted_integral(f: impl Fn(f64) -> f64, delta: f64) -> f64 {
    // 10-point Gauss–Legendre nodes and weights on [−1, 1] (positive half).
    const X: [f64; 5] = [
        0.148_874_338_981_631_2,
        0.433_395_394_129_247_2,
        0.679_409_568_299_024_4,
        0.865_063_366_688_984_5,
        0.973_906_528_517_171_7,
    ];
    const W: [f64; 5] = [
        0.295_524_224_714_752_9,
        0.269_266_719_309_996_3,
        0.219_086_362_515_982,
        0.149_451_349_150_580_6,
        0.066_671_344_308_688_1,
    ];
    let (lo, hi, panels) = (-40.0, 4.0, 440);
    let h = (hi - lo) / panels as f64;
    let g = |w: f64| (w - w.exp()).exp() * f(w.exp() / delta);
    let mut sum = 0.0;
    for p in 0..panels {
        let c = lo + (p as f64 + 0.5) * h;
        for k in 0..5 {
            let dx = 0.5 * h * X[k];
            sum += W[k] * (g(c - dx) + g(c + dx));
        }
    }
    0.5 * h * sum
}

#[test]
fn time_rescaling_leaves_predictions_unchanged() {
    let mut rng = Rng(0x5ca1_ab1e_2468_ace0);
    let mut worst = 0.0f64;
    for i in 0..1000 {
        let m = rng.model();
        let c = rng.customer(i);
        let k = rng.log_uniform(-3.0, 3.0);
        let Ok(mk) = ParetoNbd::new(m.r(), m.alpha() * k, m.s(), m.beta() * k) else {
            continue;
        };
        let Ok(ck) = Customer::new(c.frequency(), c.recency() * k, c.age() * k) else {
            continue;
        };
        if !(mk.alpha() < 1e300 && mk.beta() < 1e300 && ck.age() > 1e-300) {
            continue;
        }
        let t = rng.log_uniform(-2.0, 6.0);
        let pairs = [
            (m.probability_alive(&c), mk.probability_alive(&ck)),
            (
                m.conditional_expected_transactions(&c, t).unwrap(),
                mk.conditional_expected_transactions(&ck, t * k).unwrap(),
            ),
        ];
        for (a, b) in pairs {
            if a > 1e-290 {
                // The rescaled inputs are themselves rounded: allow their condition number.
                let e = (b / a - 1.0).abs();
                worst = worst.max(e);
                assert!(e < 1e-10, "{m} {c:?} ×{k}: {a} vs {b}");
            }
        }
    }
    eprintln!("worst relative change under rescaling {worst:.1e}");
}

/// Times in any unit, down to 1e-300 and up to 2^53: the fit is the same up to the unit (rates α,
/// β scale with it; the log-likelihood shifts by Σx·ln k, the density of the purchase times).
#[test]
fn fit_is_equivariant_in_the_time_unit_down_to_1e_minus_300() {
    let base = RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap();
    let reference = ParetoNbd::fit(&base, &FitOptions::default()).unwrap();
    let repeat: f64 = base.frequency().iter().sum();
    for k in [1e-300, 1e-12, 1e9] {
        let scaled = RfmData::new(
            base.frequency().to_vec(),
            base.recency().iter().map(|t| t * k).collect(),
            base.age().iter().map(|t| t * k).collect(),
        )
        .unwrap();
        let fit = ParetoNbd::fit(&scaled, &FitOptions::default()).unwrap();
        assert!(fit.converged(), "k = {k}: {}", fit.status());
        let (m, r) = (fit.model(), reference.model());
        for (got, want) in [
            (m.r(), r.r()),
            (m.alpha() / k, r.alpha()),
            (m.s(), r.s()),
            (m.beta() / k, r.beta()),
        ] {
            assert!((got / want - 1.0).abs() < 1e-6, "k = {k}: {got} vs {want}");
        }
        let ll = fit.log_likelihood() + repeat * k.ln();
        assert!(
            (ll - reference.log_likelihood()).abs() < 1e-6,
            "k = {k}: {ll} vs {}",
            reference.log_likelihood()
        );
    }
}

/// Where fits on data with a homogeneous dropout (or purchase) process end: one Gamma pair
/// diverging with its mean fixed (shape 1e5..1e14). Log-likelihood, gradient and P(alive)
/// against mpmath (`scripts/pareto_nbd_divergent_vectors.py`), and the cost per row bounded.
#[test]
fn divergent_pairs_match_mpmath_quadrature() {
    let (header, rows) = read("pareto_nbd_divergent.csv");
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let names = [
        "log_likelihood",
        "d_r",
        "d_alpha",
        "d_s",
        "d_beta",
        "p_alive",
    ];
    let mut worst = vec![(0.0f64, 0usize); names.len()];
    let mut failures = Vec::new();
    let start = std::time::Instant::now();
    for (i, v) in rows.iter().enumerate() {
        let m = ParetoNbd::new(v[0], v[1], v[2], v[3]).unwrap();
        let c = Customer::new(v[4], v[5], v[6]).unwrap();
        let g = m.log_likelihood_gradient(&c);
        let got = [
            m.log_likelihood(&c),
            g[0],
            g[1],
            g[2],
            g[3],
            m.probability_alive(&c),
        ];
        for (k, name) in names.iter().enumerate() {
            let want = v[col(name)];
            let e = if (1..=4).contains(&k) {
                grad_err(got[k], want, v[k - 1])
            } else {
                rel(got[k], want)
            };
            if e > worst[k].0 {
                worst[k] = (e, i);
            }
            let tol = if (1..=4).contains(&k) { TOL_GRAD } else { TOL };
            if e.is_nan() || e > tol {
                failures.push(format!(
                    "row {i} {name}: {} vs {want} (rel {e:.1e}) at {m} {c:?}",
                    got[k]
                ));
            }
        }
    }
    let per_row = start.elapsed().as_secs_f64() / rows.len() as f64;
    for (k, name) in names.iter().enumerate() {
        eprintln!(
            "{name:>15}: worst relative error {:.2e} (row {})",
            worst[k].0, worst[k].1
        );
    }
    eprintln!(
        "{:.1} µs per row (value, gradient, P(alive))",
        per_row * 1e6
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // Generous even for a debug build on a loaded machine (the release cost is a few µs).
    assert!(per_row < 5e-3, "{per_row} s per row");
}

/// The frequency is carried, not recovered as `(r + x) − r`: once `r` exceeds 2^53 that
/// difference loses `x` (the likelihood of (3, 20, 30) at r = 1e17 came out +108). In the limit
/// r → ∞ with r/α = 0.3 fixed the purchase rate is the same λ = 0.3 for everyone, and with
/// μ ~ Gamma(1, 10) the likelihood is ∫ [λ³e^(−(λ+μ)30) + λ³ μ/(λ+μ)(e^(−(λ+μ)20) −
/// e^(−(λ+μ)30))] 10e^(−10μ) dμ, whose log is −12.77495774264495530 (mpmath quad, 30 digits).
#[test]
fn huge_shape_keeps_the_frequency() {
    let c = Customer::new(3.0, 20.0, 30.0).unwrap();
    let limit = -12.774_957_742_644_955;
    for r in [1e12, 9e15, 1.1e16, 1e17, 1e30, 1e100, 1e200] {
        let m = ParetoNbd::new(r, r / 0.3, 1.0, 10.0).unwrap();
        let ll = m.log_likelihood(&c);
        // the model at finite r differs from the limit by O(1/r)
        assert!((ll - limit).abs() < 1e-9 + 10.0 / r, "r = {r:e}: {ll}");
    }
}
