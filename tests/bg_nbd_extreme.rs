//! The BG/NBD over its whole parameter space: mpmath references (40 digits, checked at 55) from
//! `scripts/bg_nbd_extreme_vectors.py` (`tests/data/bg_nbd_extreme*.csv`), the cases of issue 9
//! item 1 by name, and the structural properties (monotonicity, probabilities summing to 1,
//! DERT against E[Y], time rescaling) at extreme parameters.

use std::time::Instant;

use clv::{BgNbd, Customer, RfmData, TransactionModel};

mod common;
use common::{num, read_vectors as read_csv};

/// Relative tolerance against the references.
const TOL: f64 = 1e-10;

/// Relative error; absolute (in units of 1e-300) where the reference is below 1e-300, where
/// f64 has no relative precision left (subnormals) or the value underflows.
fn rel(got: f64, want: f64) -> f64 {
    if want.abs() < 1e-300 {
        (got - want).abs() / 1e-300
    } else {
        (got - want).abs() / want.abs()
    }
}

fn model(r: f64, alpha: f64, a: f64, b: f64) -> BgNbd {
    BgNbd::new(r, alpha, a, b).unwrap()
}

#[test]
fn issue_a7930_expected_transactions_is_not_zero() {
    let m = model(0.243, 4.414, 7930.0, 24260.0);
    let v = m.expected_transactions(39.0).unwrap();
    assert!(rel(v, 0.994_015_555_029_638_6) < TOL, "{v}");
}

#[test]
fn issue_a7930_conditional_expectation_is_not_zero() {
    let m = model(0.243, 4.414, 7930.0, 24260.0);
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let v = m.conditional_expected_transactions(&c, 39.0).unwrap();
    assert!(rel(v, 0.960_099_153_176_070_5) < TOL, "{v}");
}

#[test]
fn issue_a793_expected_transactions_is_not_tiny() {
    let m = model(0.243, 4.414, 793.0, 2426.0);
    let v = m.expected_transactions(39.0).unwrap();
    assert!(rel(v, 0.994_243_285_759_285_4) < TOL, "{v}");
}

#[test]
fn issue_a793_conditional_expectation_and_dert_are_consistent() {
    // DERT(δ) = ∫₀^∞ δ e^(−δt) E[Y(t)] dt: the direct DERT against a quadrature of E[Y].
    for m in [
        model(0.243, 4.414, 793.0, 2426.0),
        model(0.243, 4.414, 7930.0, 24260.0),
        model(0.243, 4.414, 3.7e6, 8.7e6),
    ] {
        let c = Customer::new(2.0, 30.43, 38.86).unwrap();
        let delta = 0.01;
        let d = m
            .discounted_expected_residual_transactions(&c, delta)
            .unwrap();
        let q = dert_by_quadrature(&m, &c, delta);
        assert!(rel(d, q) < 1e-9, "{m}: {d} vs {q}");
    }
}

/// `∫₀^∞ δ e^(−δt) E[Y(t)] dt = ∫₀¹ E[Y(−ln(u)/δ)] du` by composite Gauss–Legendre in
/// `u = w³` on a geometric mesh towards 0.
fn dert_by_quadrature(m: &BgNbd, c: &Customer, delta: f64) -> f64 {
    const X: [f64; 5] = [
        0.0,
        0.538_469_310_105_683,
        -0.538_469_310_105_683,
        0.906_179_845_938_664,
        -0.906_179_845_938_664,
    ];
    const W: [f64; 5] = [
        0.568_888_888_888_889,
        0.478_628_670_499_366,
        0.478_628_670_499_366,
        0.236_926_885_056_189,
        0.236_926_885_056_189,
    ];
    // w in (0, 1], panels [2^-(j+1), 2^-j] subdivided 16 times each.
    let mut total = 0.0;
    for j in 0..60 {
        let (lo, hi) = (0.5f64.powi(j + 1), 0.5f64.powi(j));
        let n = 16;
        for i in 0..n {
            let a = lo + (hi - lo) * i as f64 / n as f64;
            let b = lo + (hi - lo) * (i + 1) as f64 / n as f64;
            let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
            for k in 0..5 {
                let w = mid + half * X[k];
                let u = w * w * w;
                let t = -u.ln() / delta;
                let e = m.conditional_expected_transactions(c, t).unwrap();
                total += W[k] * half * 3.0 * w * w * e;
            }
        }
    }
    total
}

#[test]
fn fitted_boundary_parameters_predict_nonzero_counts() {
    // The 8-customer fit of the issue (a ≈ 3.7e6, b ≈ 8.7e6) and a simulated-file fit
    // (a ≈ 3e6): the geometric-dropout limit p = a/(a+b).
    for m in [
        model(0.243, 4.414, 3.7e6, 8.7e6),
        model(1.0, 10.0, 3e6, 7e6),
    ] {
        for (x, tx, t) in [(0.0, 0.0, 10.0), (1.0, 5.0, 10.0), (4.0, 9.0, 10.0)] {
            let c = Customer::new(x, tx, t).unwrap();
            let e = m.conditional_expected_transactions(&c, 52.0).unwrap();
            assert!(e > 0.1, "{m} {c:?}: {e}");
            let lim = geometric_limit(&m, &c, 52.0);
            assert!(rel(e, lim) < 1e-5, "{m} {c:?}: {e} vs limit {lim}");
        }
    }
}

/// E[Y(t) | x, t_x, T] at a fixed dropout probability p = a/(a+b):
/// P(alive) · (1 − (1 + p t/(α+T))^−(r+x)) / p.
fn geometric_limit(m: &BgNbd, c: &Customer, t: f64) -> f64 {
    let p = m.a() / (m.a() + m.b());
    let k = m.r() + c.frequency();
    let tau = t / (m.alpha() + c.age());
    m.probability_alive(c) * -(-k * (p * tau).ln_1p()).exp_m1() / p
}

/// A deterministic log-uniform stream.
struct Lcg(u64);

impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn log_uniform(&mut self, lo: f64, hi: f64) -> f64 {
        (lo.ln() + (hi.ln() - lo.ln()) * self.uniform()).exp()
    }
    fn customer(&mut self) -> Customer {
        let x = [0.0, 1.0, 2.0, 30.0, 1e3, 1e5][(self.uniform() * 6.0) as usize % 6];
        let t = self.log_uniform(1e-3, 1e7);
        let tx = if x == 0.0 {
            0.0
        } else {
            [1e-9 * t, self.uniform() * t, t][(self.uniform() * 3.0) as usize % 3]
        };
        Customer::new(x, tx, t).unwrap()
    }
}

#[test]
fn properties_hold_over_the_whole_parameter_space() {
    let mut g = Lcg(2026);
    let mut slowest = (0.0f64, String::new());
    // The fastest of three runs, against the noise of a shared machine.
    let mut time = |label: String, f: &mut dyn FnMut()| {
        let mut s = f64::INFINITY;
        for _ in 0..3 {
            let t0 = Instant::now();
            f();
            s = s.min(t0.elapsed().as_secs_f64());
            if s < 5e-3 {
                break;
            }
        }
        if s > slowest.0 {
            slowest = (s, label);
        }
    };
    for case in 0..150 {
        let p: Vec<f64> = (0..4).map(|_| g.log_uniform(1e-3, 1e8)).collect();
        let (r, alpha, mut a, mut b) = (p[0], p[1], p[2], p[3]);
        match case % 5 {
            0 => a = 1.0 + (g.uniform() - 0.5) * 1e-9,
            1 => {
                // a, b → ∞ at a fixed ratio
                let s = g.log_uniform(1e3, 1e8);
                a = s * g.uniform();
                b = s;
            }
            2 => b = (1.0 - a.min(0.999)) * g.uniform(),
            _ => {}
        }
        let (a, b) = (a.max(1e-3), b.max(1e-3));
        let m = model(r, alpha, a, b);
        let c = g.customer();
        let label = format!("{m} {c:?}");
        // Monotone, finite, non-negative expectations.
        let mut prev = (0.0, 0.0);
        for j in 0..12 {
            let t = 1e-3 * 10f64.powf(j as f64 * 10.0 / 11.0);
            let mut ex = 0.0;
            let mut ey = 0.0;
            time(format!("E[X]/E[Y] {label} t={t}"), &mut || {
                ex = m.expected_transactions(t).unwrap();
                ey = m.conditional_expected_transactions(&c, t).unwrap();
            });
            assert!(ex.is_finite() && ex > 0.0, "{label} t={t}: E[X] = {ex}");
            assert!(ey.is_finite() && ey >= 0.0, "{label} t={t}: E[Y] = {ey}");
            assert!(
                ex >= prev.0 * (1.0 - 1e-12),
                "{label} t={t}: E[X] decreases"
            );
            assert!(
                ey >= prev.1 * (1.0 - 1e-12),
                "{label} t={t}: E[Y] decreases"
            );
            prev = (ex, ey);
        }
        let pa = m.probability_alive(&c);
        assert!((0.0..=1.0).contains(&pa), "{label}: P(alive) = {pa}");
        // Time rescaling: times × k and α × k.
        let k = g.log_uniform(1e-3, 1e3);
        let mk = model(r, alpha * k, a, b);
        let ck = Customer::new(c.frequency(), c.recency() * k, c.age() * k).unwrap();
        let pak = mk.probability_alive(&ck);
        assert!(
            rel(pak, pa) < 1e-10 || (pa - pak).abs() < 1e-300,
            "{label}: {pa} vs {pak}"
        );
        let t = g.log_uniform(1e-2, 1e4);
        let (e1, e2) = (
            m.conditional_expected_transactions(&c, t).unwrap(),
            mk.conditional_expected_transactions(&ck, t * k).unwrap(),
        );
        assert!(
            rel(e2, e1) < 1e-10 || (e1 - e2).abs() < 1e-300,
            "{label}: {e1} vs {e2}"
        );
        // DERT: finite, within E[λ]/δ, consistent under rescaling.
        let delta = g.log_uniform(1e-4, 1.0);
        let mut d = 0.0;
        time(format!("DERT {label} delta={delta}"), &mut || {
            d = m
                .discounted_expected_residual_transactions(&c, delta)
                .unwrap_or_else(|e| panic!("{label}: {e}"));
        });
        let bound = pa * (r + c.frequency()) / (alpha + c.age()) / delta;
        assert!(
            d.is_finite() && d >= 0.0 && d <= bound * (1.0 + 1e-12),
            "{label}: {d} > {bound}"
        );
        let dk = mk
            .discounted_expected_residual_transactions(&ck, delta / k)
            .unwrap();
        assert!(
            rel(dk, d) < 1e-9 || (dk - d).abs() < 1e-300,
            "{label}: {d} vs {dk}"
        );
        // P(X(t) = n): in [0, 1], summing to 1 where the mean is small enough to sum.
        let t = g.log_uniform(1e-3, 1e3);
        let mean = m.expected_transactions(t).unwrap();
        if mean < 200.0 {
            let mut sum = 0.0;
            let mut n = 0u32;
            while n < 20_000 {
                let mut p = 0.0;
                time(format!("pmf {label} n={n} t={t}"), &mut || {
                    p = m.probability_of_transactions(n, t).unwrap();
                });
                assert!((0.0..=1.0).contains(&p), "{label}: P(X({t}) = {n}) = {p}");
                sum += p;
                n += 1;
                if n as f64 > 20.0 * mean + 50.0 && p < 1e-18 {
                    break;
                }
            }
            // The tail of a heavy-tailed mixture beyond n may still hold mass; never above 1.
            assert!(sum <= 1.0 + 1e-12, "{label} t={t}: Σ P = {sum}");
        }
    }
    println!("slowest call: {:.3} ms ({})", slowest.0 * 1e3, slowest.1);
    assert!(
        slowest.0 < 0.05,
        "slowest call {:.3} ms: {}",
        slowest.0 * 1e3,
        slowest.1
    );
}

/// Tracks the worst error of one quantity.
struct Worst {
    name: &'static str,
    err: f64,
    at: String,
    n: usize,
}

impl Worst {
    fn new(name: &'static str) -> Self {
        Worst {
            name,
            err: 0.0,
            at: String::new(),
            n: 0,
        }
    }
    fn add(&mut self, err: f64, at: impl FnOnce() -> String) {
        self.n += 1;
        if err.is_nan() || err > self.err {
            self.err = err;
            self.at = at();
        }
    }
    fn check(&self, tol: f64) -> bool {
        println!(
            "{}: {} points, worst relative error {:.3e} {}",
            self.name, self.n, self.err, self.at
        );
        self.err <= tol
    }
}

#[test]
fn predictions_match_mpmath_over_the_whole_parameter_space() {
    let rows = read_csv("bg_nbd_extreme.csv");
    assert!(rows.len() >= 150, "{} rows", rows.len());
    let mut w = [
        Worst::new("P(alive)"),
        Worst::new("E[Y(t) | x, t_x, T]"),
        Worst::new("E[X(t)]"),
        Worst::new("P(X(t) = n)"),
        Worst::new("log-likelihood"),
        Worst::new("gradient (relative to the sum of |terms|)"),
    ];
    for row in &rows {
        let v: Vec<f64> = row[1..].iter().map(|s| num(s)).collect();
        let (r, alpha, a, b, x, t_x, big_t, t, n) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]);
        let m = model(r, alpha, a, b);
        let c = Customer::new(x, t_x, big_t).unwrap();
        let at = || row.join(",");
        w[0].add(rel(m.probability_alive(&c), v[9]), at);
        let got = m.conditional_expected_transactions(&c, t);
        w[1].add(got.map_or(f64::INFINITY, |g| rel(g, v[10])), at);
        let got = m.expected_transactions(t);
        w[2].add(got.map_or(f64::INFINITY, |g| rel(g, v[11])), at);
        let got = m.probability_of_transactions(n as u32, t);
        w[3].add(got.map_or(f64::INFINITY, |g| rel(g, v[12])), at);
        w[4].add(rel(m.log_likelihood(&c), v[13]), at);
        let g = m.log_likelihood_gradient(&c);
        for k in 0..4 {
            // Components that are 0 (∂/∂a, ∂/∂b at x = 0) must come out as 0.
            let scale = v[18 + k].max(v[14 + k].abs()).max(1e-300);
            w[5].add((g[k] - v[14 + k]).abs() / scale, at);
        }
    }
    let ok: Vec<bool> = w.iter().map(|w| w.check(TOL)).collect();
    assert!(ok.iter().all(|&o| o), "see the worst cases above");
}

#[test]
fn batch_forms_match_mpmath_over_the_whole_parameter_space() {
    // Every reference customer of a parameter set in one batch (with its p_alive, E[Y] and
    // DERT), padded with 100 customers of the same frequency so that the DERT batch interpolates.
    let rows = read_csv("bg_nbd_extreme_dert.csv");
    assert!(rows.len() >= 50, "{} rows", rows.len());
    let mut w = [
        Worst::new("DERT"),
        Worst::new("DERT batch (interpolated)"),
        Worst::new("discrete sum batch vs single"),
    ];
    for row in &rows {
        let v: Vec<f64> = row[1..].iter().map(|s| num(s)).collect();
        let (r, alpha, a, b, x, t_x, big_t, delta) =
            (v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        let m = model(r, alpha, a, b);
        let c = Customer::new(x, t_x, big_t).unwrap();
        let at = || row.join(",");
        let got = m.discounted_expected_residual_transactions(&c, delta);
        w[0].add(got.map_or(f64::INFINITY, |g| rel(g, v[9])), at);
        let (mut fs, mut rs, mut ts) = (vec![x], vec![t_x], vec![big_t]);
        for j in 0..100 {
            let t = big_t * 10f64.powf((j as f64 - 50.0) / 25.0);
            fs.push(x);
            rs.push(if x == 0.0 { 0.0 } else { t * 0.5 });
            ts.push(t);
        }
        let data = RfmData::new(fs, rs, ts).unwrap();
        let batch = m
            .discounted_expected_residual_transactions_batch(&data, delta)
            .unwrap();
        w[1].add(rel(batch[0], v[9]), at);
        let (period, periods) = (big_t.max(1e-3) / 3.0, 12);
        let disc = m
            .discounted_transactions_discrete_batch(&data, delta, period, periods)
            .unwrap();
        for (k, cust) in data.customers().enumerate().step_by(10) {
            let single = m
                .discounted_transactions_discrete(&cust, delta, period, periods)
                .unwrap();
            w[2].add(rel(disc[k], single), at);
        }
    }
    let ok: Vec<bool> = w.iter().map(|w| w.check(TOL)).collect();
    assert!(ok.iter().all(|&o| o), "see the worst cases above");
}

#[test]
fn single_customer_predictions_are_fast() {
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    for m in [
        model(0.243, 4.414, 0.793, 2.426),
        model(0.243, 4.414, 7930.0, 24260.0),
        model(1e-3, 1e-3, 1e-3, 1e8),
        model(1e8, 1e8, 1e8, 1e8),
    ] {
        let per_call = |f: &mut dyn FnMut()| {
            let mut best = f64::INFINITY;
            for _ in 0..5 {
                let t0 = Instant::now();
                for _ in 0..20 {
                    f();
                }
                best = best.min(t0.elapsed().as_secs_f64() / 20.0);
            }
            best
        };
        let ey = per_call(&mut || {
            m.conditional_expected_transactions(&c, 39.0).unwrap();
        });
        let dert = per_call(&mut || {
            m.discounted_expected_residual_transactions(&c, 0.01)
                .unwrap();
        });
        let pmf = per_call(&mut || {
            m.probability_of_transactions(3, 39.0).unwrap();
        });
        println!(
            "{m}: E[Y] {:.1} µs, DERT {:.1} µs, P(X=3) {:.1} µs",
            ey * 1e6,
            dert * 1e6,
            pmf * 1e6
        );
        assert!(ey.max(dert).max(pmf) < 0.05);
    }
}

#[test]
fn pmf_sums_to_one_at_extreme_parameters() {
    // Light enough tails (a >= 5: the dead branch decays like n^−(a+1)) to sum to the end.
    for m in [
        model(0.243, 4.414, 7930.0, 24260.0),
        model(0.243, 4.414, 3.7e6, 8.7e6),
        model(1e8, 1e8, 1e8, 1e8),
        model(1e8, 3e6, 5.0, 1e8),
        model(2.0, 1e-3, 5.0, 0.5),
        model(1e-3, 10.0, 1e6, 1e-3),
        model(50.0, 7.0, 5.0, 5.0),
    ] {
        for t in [0.01, 1.0, 39.0] {
            let mean = m.expected_transactions(t).unwrap();
            let mut sum = 0.0;
            let mut n = 0u32;
            loop {
                let p = m.probability_of_transactions(n, t).unwrap();
                sum += p;
                n += 1;
                if (n as f64 > 10.0 * mean + 100.0 && p < 1e-22) || n > 2_000_000 {
                    break;
                }
            }
            assert!(
                (sum - 1.0).abs() < 1e-10,
                "{m} t={t}: Σ P = {sum} ({n} terms)"
            );
        }
    }
}

#[test]
fn beyond_the_grid_values_are_finite_or_errors() {
    // Parameters and customers well outside 1e-3..1e8: every prediction is a finite number in
    // its range, or an error; nothing panics or hangs.
    let mut g = Lcg(99);
    for _ in 0..300 {
        let p: Vec<f64> = (0..4).map(|_| g.log_uniform(1e-8, 1e12)).collect();
        let m = model(p[0], p[1], p[2], p[3]);
        let x = g.log_uniform(1.0, 1e6).round() - 1.0;
        let big_t = g.log_uniform(1e-6, 1e9);
        let tx = if x == 0.0 { 0.0 } else { big_t * g.uniform() };
        let c = Customer::new(x, tx, big_t).unwrap();
        let t = g.log_uniform(1e-6, 1e9);
        let label = format!("{m} {c:?} t={t}");
        let pa = m.probability_alive(&c);
        assert!((0.0..=1.0).contains(&pa), "{label}");
        assert!(m.log_likelihood(&c).is_finite(), "{label}");
        assert!(
            m.log_likelihood_gradient(&c).iter().all(|v| v.is_finite()),
            "{label}"
        );
        for v in [
            m.expected_transactions(t),
            m.conditional_expected_transactions(&c, t),
            m.discounted_expected_residual_transactions(&c, g.log_uniform(1e-6, 1e2)),
            m.probability_of_transactions((g.uniform() * 100.0) as u32, t),
        ] {
            match v {
                Ok(v) => assert!(v.is_finite() && v >= 0.0, "{label}: {v}"),
                Err(e) => {
                    println!("{label}: {e}");
                    assert!(matches!(e, clv::Error::Numerical(_)), "{label}: {e}")
                }
            }
        }
    }
}

#[test]
fn tiny_horizons_give_the_first_order_value() {
    // E[X(t)] = r t/α (1 − O(t)) as t → 0, never an error or 0 while representable.
    for m in [
        model(0.243, 4.414, 0.793, 2.426),
        model(0.243, 4.414, 7930.0, 24260.0),
        model(1e8, 1e-3, 1e8, 1e-3),
    ] {
        for t in [1e-300, 1e-200, 1e-30] {
            let v = m.expected_transactions(t).unwrap();
            let first = m.r() * t / m.alpha();
            assert!(
                rel(v, first) < 1e-10 || (m.r() + 1.0) * t / m.alpha() > 1e-12,
                "{m} t={t}: {v}"
            );
            assert!(v > 0.0, "{m} t={t}: {v}");
        }
    }
}

#[test]
fn expected_transactions_never_decrease_at_large_a_b() {
    // The issue: some parameter sets made E[X(t)] decrease in t (the quadrature lost the Beta
    // mass as a, b grew). Dense horizons over 12 decades, a, b up to 1e8.
    for (a, b) in [
        (793.0, 2426.0),
        (7930.0, 24260.0),
        (3.7e6, 8.7e6),
        (1e8, 1e8),
        (1e8, 3e7),
    ] {
        let m = model(0.243, 4.414, a, b);
        let c = Customer::new(2.0, 30.43, 38.86).unwrap();
        let (mut px, mut py) = (0.0, 0.0);
        for j in 0..=240 {
            let t = 1e-4 * 10f64.powf(j as f64 / 20.0);
            let ex = m.expected_transactions(t).unwrap();
            let ey = m.conditional_expected_transactions(&c, t).unwrap();
            assert!(
                ex > px && ey > py,
                "{m} t={t}: {ex} after {px}, {ey} after {py}"
            );
            (px, py) = (ex, ey);
        }
    }
}

#[test]
fn eight_customer_fit_predicts_nonzero_counts() {
    // The 8 customers of the crate's front-page example: whatever the fit concludes, the
    // predictions at its parameters are positive and finite.
    let data = RfmData::new(
        vec![2.0, 1.0, 0.0, 0.0, 4.0, 0.0, 7.0, 1.0],
        vec![30.43, 1.71, 0.0, 0.0, 20.0, 0.0, 29.86, 5.0],
        vec![38.86, 38.86, 38.86, 38.86, 31.0, 27.0, 31.0, 35.0],
    )
    .unwrap();
    let fitted = BgNbd::fit(&data, &clv::FitOptions::default()).unwrap();
    let m = fitted.model();
    println!("{m}, converged {}", fitted.converged());
    for c in data.customers() {
        let e = m.conditional_expected_transactions(&c, 39.0).unwrap();
        assert!(e.is_finite() && e > 0.0, "{m} {c:?}: {e}");
    }
    assert!(m.expected_transactions(39.0).unwrap() > 0.0);
}

/// Found by the property test `alive_at_starts_at_probability_alive_and_decreases` at 20,000
/// cases: with a Beta(78904, 1) dropout and r = 128350, P(alive at T + t) is about
/// exp(−159540) at t = 155350, where the integrand over p ≥ ½ peaks inside the range (at
/// p* = (a−1)/(τ(r−a+1)) ≈ 0.62). Scaling that integral by its value at the ends overflowed,
/// and the prediction failed instead of giving the value (0: it underflows).
#[test]
fn alive_at_far_ahead_underflows_to_zero_instead_of_failing() {
    let m = model(
        128350.37204992783,
        50078.579156068125,
        78904.48687115926,
        1.0,
    );
    let c = Customer::new(0.0, 0.0, 10749.684540475906).unwrap();
    let mut previous = m.probability_alive(&c);
    for t in [1.0, 100.0, 1000.0, 31970.774648756356, 155350.8084213487] {
        let p = m.probability_alive_at(&c, t).unwrap();
        assert!(
            (0.0..=previous).contains(&p),
            "t = {t}: {p} after {previous}"
        );
        previous = p;
    }
    assert_eq!(previous, 0.0);
}
