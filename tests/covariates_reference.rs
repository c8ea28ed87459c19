//! Pareto/NBD and BG/NBD with covariates against an independent implementation of the note-019
//! likelihood (scripts/covariates_reference.py: mpmath at 50 digits, scipy for the maximum):
//! the same log-likelihood at the same parameters, and a maximum at least as high.

mod common;

use clv::fit::Estimable;
use clv::models::covariates::{CovariateData, CovariateSpec};
use clv::{BgNbdCov, FitOptions, ParetoNbdCov, RfmData};

fn data() -> RfmData {
    common::covariates_reference()
}

fn spec() -> CovariateSpec {
    CovariateSpec::new()
        .purchase(&["bin", "score"])
        .dropout(&["bin", "score"])
}

/// `(log-likelihood, parameters)` of the script's row for `model` and `what`.
fn reference(model: &str, what: &str) -> (f64, Vec<f64>) {
    let rows = common::read_vectors("covariates_reference_values.csv");
    let row = rows
        .iter()
        .find(|r| r[0] == model && r[1] == what)
        .unwrap_or_else(|| panic!("no row {model} {what}"));
    (
        common::num(&row[2]),
        row[3..].iter().map(|v| common::num(v)).collect(),
    )
}

fn check<M: Estimable<Data = CovariateData>>(model: &str) {
    let cd = CovariateData::new(&data(), &spec()).unwrap();
    let rows = M::prepare(&cd).unwrap();
    let objective = M::objective(&rows);
    let (want, p) = reference(model, "fixed");
    let got = objective.log_likelihood(&p, None);
    assert!(
        (got - want).abs() < 1e-9,
        "{model}: {got} vs {want} ({:e})",
        got - want
    );
    let fitted = M::fit(&cd, &FitOptions::default()).unwrap();
    assert!(fitted.converged(), "{}", fitted.status());
    let (scipy, q) = reference(model, "scipy_mle");
    // The scipy estimate, evaluated by us, agrees with the script's value at it.
    let at_q = objective.log_likelihood(&q, None);
    assert!((at_q - scipy).abs() < 1e-9, "{model}: {at_q} vs {scipy}");
    assert!(
        fitted.log_likelihood() >= scipy - 1e-9,
        "{model}: our maximum {} below scipy's {scipy}",
        fitted.log_likelihood()
    );
    println!(
        "{model}: LL at the fixed point {got} (reference {want}); our maximum {} vs scipy's {scipy}",
        fitted.log_likelihood()
    );
}

#[test]
fn pareto_nbd_matches_the_reference() {
    check::<ParetoNbdCov>("pnbd");
}

#[test]
fn bg_nbd_matches_the_reference() {
    check::<BgNbdCov>("bgnbd");
}
