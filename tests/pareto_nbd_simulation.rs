//! Pareto/NBD parameter recovery on simulated data, and calibration of P(alive) and the
//! conditional expectation against the simulated truth.

use clv::{FitOptions, ParetoNbd, TransactionModel, simulate};

#[test]
fn recovers_parameters_from_a_simulated_customer_base() {
    // CDNOW's estimates; T ~ U[27, 39] weeks; N = 30,000. (In a 20-replication simulation study
    // at N = 10,000 the median relative errors were r 2.9%, α 2.4%, s 13%, β 18%: s and β are
    // weakly identified, so the check is against the fit's own standard errors.)
    let truth = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let n = 30_000;
    let ages: Vec<f64> = (0..n)
        .map(|i| 27.0 + 12.0 * (i as f64 + 0.5) / n as f64)
        .collect();
    let sim = simulate::pareto_nbd(&truth, &ages, 2024).unwrap();
    let fitted = ParetoNbd::fit(&sim.data, &FitOptions::default()).unwrap();
    assert!(fitted.converged());
    let m = fitted.model();
    let se = fitted.std_errors().unwrap();
    let est = [m.r(), m.alpha(), m.s(), m.beta()];
    let want = [0.553, 10.578, 0.606, 11.669];
    for k in 0..4 {
        assert!(
            (est[k] - want[k]).abs() < 3.0 * se[k],
            "parameter {k}: {} vs {} (SE {})",
            est[k],
            want[k],
            se[k]
        );
    }
    eprintln!("estimates {est:?}, standard errors {se:?}");
    // Under the true parameters, the expected number of customers alive matches the simulated
    // count (within 2%, about 3 standard deviations of the count).
    let expected_alive: f64 = truth.probability_alive_batch(&sim.data).sum();
    let alive = sim.alive.iter().filter(|&&a| a).count() as f64;
    assert!(
        (expected_alive / alive - 1.0).abs() < 0.02,
        "{expected_alive} vs {alive}"
    );
}

#[test]
fn conditional_expectations_average_to_the_unconditional_one() {
    // Law of total expectation: over customers simulated from the model, the conditional
    // expectations of the next 39 weeks average to E[X(T+39)] − E[X(T)].
    let truth = ParetoNbd::new(0.553, 10.578, 0.606, 11.669).unwrap();
    let n = 40_000;
    let ages: Vec<f64> = (0..n)
        .map(|i| 27.0 + 12.0 * (i % 100) as f64 / 100.0)
        .collect();
    let cal = simulate::pareto_nbd(&truth, &ages, 99).unwrap().data;
    let conditional: f64 = truth
        .conditional_expected_transactions_batch(&cal, 39.0)
        .unwrap()
        .sum();
    let unconditional: f64 = ages
        .iter()
        .map(|&t| {
            truth.expected_transactions(t + 39.0).unwrap() - truth.expected_transactions(t).unwrap()
        })
        .sum();
    assert!(
        (conditional / unconditional - 1.0).abs() < 0.03,
        "{conditional} vs {unconditional}"
    );
    // Likewise P(alive) averages to the probability of surviving to T, E[(β/(β+T))ˢ].
    let p_alive: f64 = truth.probability_alive_batch(&cal).sum();
    let survive: f64 = ages
        .iter()
        .map(|&t| (1.0 + t / truth.beta()).powf(-truth.s()))
        .sum();
    assert!(
        (p_alive / survive - 1.0).abs() < 0.02,
        "{p_alive} vs {survive}"
    );
}
