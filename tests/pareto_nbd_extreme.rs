//! Pareto/NBD over its whole parameter range: `r, α, s, β` anywhere in 1e-3..1e8, customers with
//! `x` up to 1e5, `T` up to 1e7 and `t_x` in {0, tiny, uniform, T}, against references computed
//! by direct quadrature in mpmath at two precisions (`scripts/pareto_nbd_extreme_vectors.py`);
//! plus the structural properties (bounds, monotonicity, rescaling) and hostile small fits.

use clv::{Customer, FitOptions, ParetoNbd, RfmData, TransactionModel};

/// Relative tolerance against mpmath for every quantity.
const TOL: f64 = 1e-10;

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
    assert!(rows.len() >= 2, "{} rows", rows.len());
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
            if !(e <= TOL) {
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

/// Small hostile files: extreme weights, recency and ages. Every fit must end (quickly — timings
/// are printed, not asserted) with finite parameters and log-likelihood, or with an error.
fn hostile_files() -> Vec<(&'static str, RfmData)> {
    let d = |x: &[f64], tx: &[f64], t: &[f64], w: Option<&[f64]>| {
        RfmData::from_columns(
            x.to_vec(),
            tx.to_vec(),
            t.to_vec(),
            None,
            w.map(<[f64]>::to_vec),
        )
        .unwrap()
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
