//! `clv::special` against mpmath reference values (40 significant digits), written by
//! `scripts/special_vectors.py` into `tests/data/`.
//!
//! Error measure: `|got − want| / max(|want|, 1)`, i.e. relative error, absolute where the
//! reference is below 1 in magnitude. For a logarithm this bounds the relative error of the
//! function itself where the logarithm is small.

use clv::special::{hyp2f1, ln_hyp2f1, ln_upper_gamma};

mod common;
use common::{num, read_vectors as read};

/// Worst error allowed for ₂F₁ on the BG/NBD and sBG grids.
const HYP2F1_TOL: f64 = 1e-12;
/// Worst error allowed for ln ₂F₁.
const LN_HYP2F1_TOL: f64 = 1e-10;
/// Worst error allowed for ln Γ(a, z).
const UPPER_GAMMA_TOL: f64 = 1e-12;

fn err(got: f64, want: f64) -> f64 {
    (got - want).abs() / want.abs().max(1.0)
}

/// Tracks the worst error of a named regime and the arguments where it occurs.
#[derive(Default)]
struct Worst {
    err: f64,
    at: String,
    n: usize,
}

impl Worst {
    fn add(&mut self, e: f64, at: impl FnOnce() -> String) {
        self.n += 1;
        if std::env::var_os("CLV_SHOW_ERRORS").is_some()
            && e.partial_cmp(&1e-13) != Some(std::cmp::Ordering::Less)
        {
            println!("  {e:.2e} {}", at());
            return;
        }
        if e > self.err || e.is_nan() {
            self.err = e;
            self.at = at();
        }
    }
}

#[test]
fn hyp2f1_matches_mpmath() {
    let mut worst: std::collections::BTreeMap<String, Worst> = Default::default();
    let mut overflow = 0;
    for row in read("hyp2f1.csv") {
        let (a, b, c, z, want) = (
            num(&row[1]),
            num(&row[2]),
            num(&row[3]),
            num(&row[4]),
            num(&row[5]),
        );
        let got = hyp2f1(a, b, c, z);
        let w = worst.entry(row[0].clone()).or_default();
        if want.abs().partial_cmp(&1e300) != Some(std::cmp::Ordering::Less) {
            // Not representable in f64: an error is the right answer, a value must be close.
            overflow += 1;
            if let Ok(v) = got {
                w.add(err(v, want), || format!("{row:?} -> {v}"));
            }
            continue;
        }
        match got {
            Ok(v) => w.add(err(v, want), || format!("{row:?} -> {v}")),
            Err(e) => w.add(f64::INFINITY, || format!("{row:?} -> {e}")),
        }
    }
    for (regime, w) in &worst {
        println!(
            "2F1 {regime}: {} points, worst error {:.3e} at {}",
            w.n, w.err, w.at
        );
    }
    println!("2F1: {overflow} reference values beyond f64 (Err expected)");
    for (regime, w) in &worst {
        assert!(
            w.err < HYP2F1_TOL,
            "2F1 {regime}: worst error {:.3e} at {}",
            w.err,
            w.at
        );
    }
}

#[test]
fn ln_hyp2f1_matches_mpmath() {
    let mut worst: std::collections::BTreeMap<String, Worst> = Default::default();
    for row in read("ln_hyp2f1.csv") {
        let (a, b, c, z, want) = (
            num(&row[1]),
            num(&row[2]),
            num(&row[3]),
            num(&row[4]),
            num(&row[5]),
        );
        let w = worst.entry(row[0].clone()).or_default();
        match ln_hyp2f1(a, b, c, z) {
            Ok(v) => w.add(err(v, want), || format!("{row:?} -> {v}")),
            Err(e) => w.add(f64::INFINITY, || format!("{row:?} -> {e}")),
        }
    }
    for (regime, w) in &worst {
        println!(
            "ln 2F1 {regime}: {} points, worst error {:.3e} at {}",
            w.n, w.err, w.at
        );
    }
    for (regime, w) in &worst {
        assert!(
            w.err < LN_HYP2F1_TOL,
            "ln 2F1 {regime}: worst error {:.3e} at {}",
            w.err,
            w.at
        );
    }
}

#[test]
fn ln_upper_gamma_matches_mpmath() {
    let mut w = Worst::default();
    for row in read("upper_gamma.csv") {
        let (a, z, want) = (num(&row[0]), num(&row[1]), num(&row[2]));
        match ln_upper_gamma(a, z) {
            Ok(v) => w.add(err(v, want), || format!("{row:?} -> {v}")),
            Err(e) => w.add(f64::INFINITY, || format!("{row:?} -> {e}")),
        }
    }
    println!(
        "ln Γ(a, z): {} points, worst error {:.3e} at {}",
        w.n, w.err, w.at
    );
    assert!(
        w.err < UPPER_GAMMA_TOL,
        "worst error {:.3e} at {}",
        w.err,
        w.at
    );
}

#[test]
fn ln_hyp2f1_agrees_with_hyp2f1() {
    // Where both apply and the value is representable, the two functions agree.
    for &(a, b, c, z) in &[
        (2.5, 1.5, 3.5, 0.7),
        (0.3, 0.2, 1.3, 0.999),
        (40.0, 3.0, 41.0, 0.9),
        (1.0, 100.0, 100.5, 0.999),
    ] {
        let l = ln_hyp2f1(a, b, c, z).unwrap();
        let f = hyp2f1(a, b, c, z).unwrap();
        assert!(
            (l - f.ln()).abs() < 1e-12 * l.abs().max(1.0),
            "{a},{b},{c},{z}: {l} vs {}",
            f.ln()
        );
    }
}
