//! The prediction set every transaction model answers (BG/NBD, MBG/NBD, Pareto/NBD through
//! `TransactionModel`; BG/BB in opportunities): the conditional PMF `P(Y(t) = n | x, t_x, T)`,
//! `P(alive at T + t)`, the `P(alive)` path through a history and the table of counts, against
//! mpmath (`scripts/prediction_vectors.py`), simulation and their own identities.

use clv::{BgBb, BgNbd, Customer, MbgNbd, ParetoNbd, TransactionModel};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Beta, Distribution, Exp, Gamma};

/// CDNOW estimates (weeks): BG/NBD (FHL 2005), MBG/NBD (lifetimes 0.11.3), Pareto/NBD (BTYD).
fn bg() -> BgNbd {
    BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap()
}
fn mbg() -> MbgNbd {
    MbgNbd::new(0.5248, 6.1830, 0.8914, 1.6140).unwrap()
}
fn pareto() -> ParetoNbd {
    ParetoNbd::new(0.5534, 10.5802, 0.6061, 11.6562).unwrap()
}

fn customers() -> Vec<Customer> {
    [
        (0.0, 0.0, 38.86),
        (2.0, 30.43, 38.86),
        (2.0, 5.0, 38.86),
        (7.0, 35.0, 38.0),
        (25.0, 38.0, 38.86),
        (1.0, 1e-3, 77.0),
    ]
    .iter()
    .map(|&(x, tx, t)| Customer::new(x, tx, t).unwrap())
    .collect()
}

/// `Σ_n P(Y(t) = n) = 1` and `Σ_n n P(Y(t) = n) = E[Y(t)]`, over `n` until the terms are
/// negligible.
fn pmf_sums_to_one_with_mean<M: TransactionModel>(name: &str, m: &M) {
    for c in customers() {
        for t in [0.5, 13.0, 39.0, 104.0] {
            let (mut total, mut mean) = (0.0, 0.0);
            for n in 0..5000u32 {
                let p = m.conditional_probability_of_transactions(&c, n, t).unwrap();
                assert!((0.0..=1.0).contains(&p), "{name}: P(Y = {n}) = {p}");
                total += p;
                mean += f64::from(n) * p;
                if n > 20 && p < 1e-19 {
                    break;
                }
            }
            let e = m.conditional_expected_transactions(&c, t).unwrap();
            assert!(
                (total - 1.0).abs() < 1e-12,
                "{name} {c:?} t={t}: Σ = {total}"
            );
            assert!(
                (mean - e).abs() <= 1e-10 * e + 1e-15,
                "{name} {c:?} t={t}: Σ n P = {mean} vs E[Y] = {e}"
            );
        }
    }
}

#[test]
fn conditional_pmf_sums_to_one_and_has_the_conditional_mean() {
    pmf_sums_to_one_with_mean("BG/NBD", &bg());
    pmf_sums_to_one_with_mean("MBG/NBD", &mbg());
    pmf_sums_to_one_with_mean("Pareto/NBD", &pareto());
}

/// `P(alive at T + t)`: `P(alive)` at `t = 0`, non-increasing in `t`, towards 0.
fn alive_at_decreasing<M: TransactionModel>(name: &str, m: &M) {
    for c in customers() {
        let p0 = m.probability_alive(&c);
        assert_eq!(m.probability_alive_at(&c, 0.0).unwrap(), p0, "{name}");
        let mut prev = p0;
        for t in [1e-6, 0.1, 1.0, 10.0, 100.0, 1e3, 1e5, 1e8] {
            let p = m.probability_alive_at(&c, t).unwrap();
            assert!(
                p <= prev && p >= 0.0,
                "{name} {c:?}: {p} at {t} after {prev}"
            );
            prev = p;
        }
        assert!(prev < 0.05 * p0, "{name} {c:?}: {prev} at t = 1e8");
        assert!(m.probability_alive_at(&c, -1.0).is_err());
        assert!(m.probability_alive_at(&c, f64::NAN).is_err());
    }
}

#[test]
fn probability_alive_at_starts_at_probability_alive_and_decreases() {
    alive_at_decreasing("BG/NBD", &bg());
    alive_at_decreasing("MBG/NBD", &mbg());
    alive_at_decreasing("Pareto/NBD", &pareto());
    let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let mut prev = m.probability_alive(2, 4, 6).unwrap();
    for k in 1..50 {
        let p = m.probability_alive_in(2, 4, 6, k).unwrap();
        assert!(p < prev);
        prev = p;
    }
}

/// The closed-form BG/NBD family PMF against a simulation of the customers' futures from the
/// posterior of `(alive at T, λ, p)` given the history, by importance sampling: `p` from its
/// prior `Beta(a, b)`, `λ` from `Gamma(r+x, α+T)`; the weight of "alive at T" is `(1−p)^m` and
/// that of "dropped out at `t_x`" is `p (1−p)^(m−1) e^(λ(T−t_x))` (`m` chances to drop out, the
/// individual likelihood of each branch over the proposal, up to one common constant). An
/// alive customer's future is simulated: purchases at rate `λ`, death with probability `p`
/// after each. Frequencies of `Y(t) = n` and of being alive at `T + t` within 5 standard errors
/// of the model's values. This checks the derivation, not only the arithmetic.
fn simulate_family<M: TransactionModel>(name: &str, m: &M, params: [f64; 4], extra: f64) {
    let [r, alpha, a, b] = params;
    let mut rng = StdRng::seed_from_u64(20_261_128);
    let draws = 200_000u32;
    for &(x, t_x, big_t, t) in &[
        (2.0, 30.43, 38.86, 39.0),
        (0.0, 0.0, 38.86, 20.0),
        (5.0, 10.0, 38.0, 52.0),
    ] {
        let c = Customer::new(x, t_x, big_t).unwrap();
        let chances: f64 = x + extra;
        let lam_dist = Gamma::new(r + x, 1.0 / (alpha + big_t)).unwrap();
        let p_dist = Beta::new(a, b).unwrap();
        let max_n = 6usize;
        let (mut w_total, mut w_sq) = (0.0, 0.0);
        let mut counts = vec![0.0; max_n + 1];
        let mut counts_sq = vec![0.0; max_n + 1];
        let mut counts_vw = vec![0.0; max_n + 1];
        let (mut alive_end, mut alive_end_sq, mut alive_end_vw) = (0.0, 0.0, 0.0);
        for _ in 0..draws {
            let lam: f64 = lam_dist.sample(&mut rng);
            let p: f64 = p_dist.sample(&mut rng);
            let w_alive = (1.0 - p).powf(chances);
            let w_dead = if chances > 0.0 {
                p * (1.0 - p).powf(chances - 1.0) * (lam * (big_t - t_x)).exp()
            } else {
                0.0
            };
            // The alive customer's future over (T, T + t].
            let (mut y, mut s, mut alive) = (0usize, 0.0, true);
            let exp = Exp::new(lam).unwrap();
            loop {
                s += exp.sample(&mut rng);
                if s > t {
                    break;
                }
                y += 1;
                if rng.random::<f64>() < p {
                    alive = false;
                    break;
                }
            }
            let w = w_alive + w_dead;
            w_total += w;
            w_sq += w * w;
            for k in 0..=max_n {
                let v = if k == y { w_alive } else { 0.0 } + if k == 0 { w_dead } else { 0.0 };
                counts[k] += v;
                counts_sq[k] += v * v;
                counts_vw[k] += v * w;
            }
            let v = if alive { w_alive } else { 0.0 };
            alive_end += v;
            alive_end_sq += v * v;
            alive_end_vw += v * w;
        }
        // The ratio estimator q = Σv/Σw and its standard error (delta method):
        // Var(q) ≈ Σ(v − q w)² / (Σw)².
        let se = |sv: f64, sv2: f64, svw: f64| {
            let q = sv / w_total;
            let var = (sv2 - 2.0 * q * svw + q * q * w_sq).max(0.0) / (w_total * w_total);
            (q, var.sqrt())
        };
        for k in 0..=max_n {
            let (freq, err) = se(counts[k], counts_sq[k], counts_vw[k]);
            let model = m
                .conditional_probability_of_transactions(&c, k as u32, t)
                .unwrap();
            assert!(
                (freq - model).abs() < 5.0 * err,
                "{name} (x={x}, t_x={t_x}, T={big_t}), t={t}: P(Y = {k}) simulated {freq} ± \
                 {err}, model {model}"
            );
        }
        println!(
            "{name} (x={x}, t_x={t_x}, T={big_t}), t={t}: P(Y = 0) simulated {:.5} ± {:.5}",
            counts[0] / w_total,
            se(counts[0], counts_sq[0], counts_vw[0]).1
        );
        let (freq, err) = se(alive_end, alive_end_sq, alive_end_vw);
        let model = m.probability_alive_at(&c, t).unwrap();
        assert!(
            (freq - model).abs() < 5.0 * err,
            "{name} (x={x}, t_x={t_x}, T={big_t}): P(alive at T+{t}) simulated {freq} ± {err}, \
             model {model}"
        );
    }
}

#[test]
fn bg_nbd_family_pmf_and_survival_match_simulated_futures() {
    simulate_family("BG/NBD", &bg(), [0.243, 4.414, 0.793, 2.426], 0.0);
    simulate_family("MBG/NBD", &mbg(), [0.5248, 6.1830, 0.8914, 1.6140], 1.0);
}

/// The path of `P(alive)` is `P(alive)` of the history seen at each time.
fn path_is_probability_alive_of_seen_history<M: TransactionModel>(name: &str, m: &M) {
    let purchases = [2.0, 3.5, 10.0, 11.0, 30.0];
    let times = [2.5, 3.5, 4.0, 10.0, 20.0, 30.0, 45.0];
    let path = m.probability_alive_path(&purchases, &times).unwrap();
    let seen = [
        (0.0, 0.0, 0.5),
        (1.0, 1.5, 1.5),
        (1.0, 1.5, 2.0),
        (2.0, 8.0, 8.0),
        (3.0, 9.0, 18.0),
        (4.0, 28.0, 28.0),
        (4.0, 28.0, 43.0),
    ];
    for ((&p, &(x, tx, t)), &u) in path.iter().zip(&seen).zip(&times) {
        let c = Customer::new(x, tx, t).unwrap();
        assert_eq!(p, m.probability_alive(&c), "{name} at {u}");
    }
    assert!(m.probability_alive_path(&[], &times).is_err());
    assert!(m.probability_alive_path(&[1.0, 1.0], &times).is_err());
    assert!(m.probability_alive_path(&[1.0, f64::NAN], &times).is_err());
    assert!(m.probability_alive_path(&purchases, &[2.0]).is_err());
    assert!(
        m.probability_alive_path(&purchases, &[f64::INFINITY])
            .is_err()
    );
    assert_eq!(m.probability_alive_path(&purchases, &[]).unwrap(), vec![]);
}

#[test]
fn alive_path_follows_the_history() {
    path_is_probability_alive_of_seen_history("BG/NBD", &bg());
    path_is_probability_alive_of_seen_history("MBG/NBD", &mbg());
    path_is_probability_alive_of_seen_history("Pareto/NBD", &pareto());
}

#[test]
fn bg_bb_alive_path_matches_probability_alive() {
    let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let transactions = [1, 3, 4, 9];
    let n = 30;
    let path = m.probability_alive_path(&transactions, n).unwrap();
    assert_eq!(path.len(), n as usize);
    for (i, &p) in path.iter().enumerate() {
        let mo = i as u32 + 1;
        let seen: Vec<u32> = transactions.iter().copied().filter(|&o| o <= mo).collect();
        let x = seen.len() as u32;
        let t_x = seen.last().copied().unwrap_or(0);
        let q = m.probability_alive(x, t_x, mo).unwrap();
        assert!((p - q).abs() <= 1e-14 * q, "m = {mo}: {p} vs {q}");
    }
    assert!(m.probability_alive_path(&[2, 2], 5).is_err());
    assert!(m.probability_alive_path(&[0], 5).is_err());
    assert!(m.probability_alive_path(&[6], 5).is_err());
    assert!(m.probability_alive_path(&[], 0).is_err());
    // a long quiet history is linear work
    let long = m
        .probability_alive_path(&[1], BgBb::MAX_OPPORTUNITIES)
        .unwrap();
    assert!(long.windows(2).all(|w| w[1] <= w[0]));
}

#[test]
fn bg_bb_conditional_pmf_sums_to_one_with_the_conditional_mean() {
    for m in [
        BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap(),
        BgBb::new(0.01, 30.0, 5.0, 0.2).unwrap(),
        BgBb::new(1e6, 1e-3, 1e-3, 1e6).unwrap(),
    ] {
        for (x, t_x, n) in [
            (0, 0, 6),
            (3, 5, 6),
            (6, 6, 6),
            (1, 1, 1000),
            (500, 990, 1000),
        ] {
            for n_star in [0, 1, 5, 100] {
                let (mut total, mut mean) = (0.0, 0.0);
                for k in 0..=n_star {
                    let p = m
                        .conditional_probability_of_transactions(x, t_x, n, k, n_star)
                        .unwrap();
                    total += p;
                    mean += f64::from(k) * p;
                }
                let e = m
                    .conditional_expected_transactions(x, t_x, n, n_star)
                    .unwrap();
                assert!(
                    (total - 1.0).abs() < 1e-12,
                    "{m:?} {x} {t_x} {n} {n_star}: {total}"
                );
                assert!(
                    (mean - e).abs() <= 1e-11 * e + 1e-300,
                    "{m:?} {x} {t_x} {n} {n_star}: {mean} vs {e}"
                );
                assert_eq!(
                    m.conditional_probability_of_transactions(x, t_x, n, n_star + 1, n_star)
                        .unwrap(),
                    0.0
                );
            }
        }
    }
    let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    assert!(
        m.conditional_probability_of_transactions(2, 1, 6, 0, 5)
            .is_err()
    );
    assert!(
        m.conditional_probability_of_transactions(1, 1, 6, 0, BgBb::MAX_OPPORTUNITIES + 1)
            .is_err()
    );
}

#[test]
fn tables_are_the_pmf() {
    let c = Customer::new(2.0, 30.43, 38.86).unwrap();
    let horizons = [1.0, 13.0, 52.0];
    fn check<M: TransactionModel>(name: &str, m: &M, c: &Customer, horizons: &[f64]) {
        let table = m
            .conditional_probability_of_transactions_table(c, 4, horizons)
            .unwrap();
        assert_eq!(table.dim(), (3, 5), "{name}");
        for (i, &t) in horizons.iter().enumerate() {
            for n in 0..5u32 {
                let p = m.conditional_probability_of_transactions(c, n, t).unwrap();
                assert_eq!(table[[i, n as usize]], p, "{name}");
            }
        }
        assert!(
            m.conditional_probability_of_transactions_table(c, 4, &[-1.0])
                .is_err()
        );
        assert!(
            m.conditional_probability_of_transactions_table(c, u32::MAX, &[1.0; 8])
                .is_err()
        );
    }
    check("BG/NBD", &bg(), &c, &horizons);
    check("MBG/NBD", &mbg(), &c, &horizons);
    check("Pareto/NBD", &pareto(), &c, &horizons);
    let m = BgBb::new(1.204, 0.750, 0.657, 2.783).unwrap();
    let table = m
        .conditional_probability_of_transactions_table(3, 5, 6, 3, &[1, 2, 10])
        .unwrap();
    for (i, &h) in [1u32, 2, 10].iter().enumerate() {
        for k in 0..4u32 {
            let p = m
                .conditional_probability_of_transactions(3, 5, 6, k, h)
                .unwrap();
            assert_eq!(table[[i, k as usize]], p);
        }
    }
}

/// Every row of `tests/data/prediction_vectors.csv` (`scripts/prediction_vectors.py`: mpmath,
/// accepted where two precisions agree to 1e-25) to 1e-10 relative; the worst error per model
/// and quantity is printed.
#[test]
fn predictions_match_mpmath() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/prediction_vectors.csv"
    );
    let text = std::fs::read_to_string(path).unwrap();
    let mut worst: std::collections::BTreeMap<(String, String), (f64, usize)> =
        std::collections::BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let (model, kind) = (f[0], f[1]);
        let v: Vec<f64> = f[2..10].iter().map(|s| s.parse().unwrap()).collect();
        let n: u32 = f[10].parse().unwrap();
        let want: f64 = f[11].parse().unwrap();
        let [p1, p2, p3, p4, x, t_x, big_t, t] = v[..] else {
            unreachable!()
        };
        let got = if model == "bgbb" {
            let m = BgBb::new(p1, p2, p3, p4).unwrap();
            let (x, t_x, nn, h) = (x as u32, t_x as u32, big_t as u32, t as u32);
            match kind {
                "cpmf" => m.conditional_probability_of_transactions(x, t_x, nn, n, h),
                _ => m.probability_alive_in(x, t_x, nn, h),
            }
        } else {
            let c = Customer::new(x, t_x, big_t).unwrap();
            let eval = |m: &dyn Fn(u32, f64) -> clv::Result<f64>,
                        a: &dyn Fn(f64) -> clv::Result<f64>| match kind {
                "cpmf" => m(n, t),
                _ => a(t),
            };
            match model {
                "bgnbd" => {
                    let m = BgNbd::new(p1, p2, p3, p4).unwrap();
                    eval(
                        &|n, t| m.conditional_probability_of_transactions(&c, n, t),
                        &|t| m.probability_alive_at(&c, t),
                    )
                }
                "mbgnbd" => {
                    let m = MbgNbd::new(p1, p2, p3, p4).unwrap();
                    eval(
                        &|n, t| m.conditional_probability_of_transactions(&c, n, t),
                        &|t| m.probability_alive_at(&c, t),
                    )
                }
                _ => {
                    let m = ParetoNbd::new(p1, p2, p3, p4).unwrap();
                    eval(
                        &|n, t| {
                            TransactionModel::conditional_probability_of_transactions(&m, &c, n, t)
                        },
                        &|t| TransactionModel::probability_alive_at(&m, &c, t),
                    )
                }
            }
        };
        let got = got.unwrap_or_else(|e| panic!("{line}: {e}"));
        // Relative error; values below 1e-300 (subnormal territory) on an absolute scale.
        let err = (got - want).abs() / want.abs().max(1e-300);
        let entry = worst.entry((model.into(), kind.into())).or_insert((0.0, 0));
        entry.0 = entry.0.max(err);
        entry.1 += 1;
        assert!(err < 1e-10, "{line}: got {got:e}, relative error {err:e}");
    }
    for ((model, kind), (err, rows)) in &worst {
        println!("{model:10} {kind:9} {rows:4} rows, worst relative error {err:.2e}");
    }
    assert!(
        worst.len() == 8,
        "every model and quantity has vectors: {worst:?}"
    );
}

/// Where `(1 + pτ)^−(r+x)` underflows over the bulk of the Beta mass (`r = 10⁸`), the survival
/// factor is carried by tiny `p`: with `p ~ Beta(1, 1)`, `∫_0^1 (1 + pτ)^−k dp =
/// (1 − (1+τ)^(1−k)) / (τ (k−1))`; with `p ~ Beta(1, ½)` (`b < 1`, `x = 0`) against a fine
/// midpoint sum in `s = 1 − √(1−p)` (where the density is flat).
#[test]
fn probability_alive_at_when_survival_lies_in_the_far_tail_of_p() {
    let k = 1e8;
    let m = BgNbd::new(k, 1.0, 1.0, 1.0).unwrap();
    let c = Customer::new(0.0, 0.0, 1.0).unwrap();
    let got = m.probability_alive_at(&c, 1.0).unwrap();
    let want = 2.0 / (k - 1.0);
    assert!((got - want).abs() < 1e-10 * want, "{got:e} vs {want:e}");
    let m = BgNbd::new(1e4, 1.0, 1.0, 0.5).unwrap();
    let got = m.probability_alive_at(&c, 1.0).unwrap();
    // p = 1 − (1−s)², density of s uniform on (0, 1); the integrand e^(−k ln(1 + p/2)) is
    // concentrated at s ~ 1/k: a sum over s in log spacing.
    let (mut sum, steps) = (0.0, 200_000);
    let (lo, hi) = ((1e-12f64).ln(), 0.0f64);
    let h = (hi - lo) / f64::from(steps);
    for i in 0..steps {
        let s = (lo + (f64::from(i) + 0.5) * h).exp();
        let p = s * (2.0 - s);
        sum += s * h * (-1e4 * (0.5 * p).ln_1p()).exp();
    }
    assert!((got - sum).abs() < 1e-8 * sum, "{got:e} vs {sum:e}");
}
