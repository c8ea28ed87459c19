//! The verdict of a fit (`Fitted::status`): a supremum on the boundary of the parameter space
//! is never reported as a converged maximum, a genuine interior maximum is, whatever the size of
//! its parameters, and a degenerate fit ends quickly whatever it concludes.

mod common;
use common::cdnow;

use std::time::{Duration, Instant};

use clv::data::LifetimeData;
use clv::{
    BgNbd, FitOptions, FitStatus, Fitted, GammaGamma, Model, Objective, ParetoNbd, RfmData, Sbg,
    SpendData,
};

fn options() -> FitOptions {
    FitOptions::default()
}

/// Asserts a boundary verdict naming exactly `names`, and everything that goes with it: not
/// converged, no standard errors, no covariance, finite positive parameters.
fn assert_boundary<M: Model>(fitted: &Fitted<M>, names: &[&str]) {
    match fitted.status() {
        FitStatus::Boundary { params, .. } => assert_eq!(params, names, "{}", fitted.status()),
        other => panic!("expected a boundary in {names:?}, got {other}"),
    }
    assert_not_a_fit(fitted);
}

/// Asserts that a fit does not present itself as a maximum.
fn assert_not_a_fit<M: Model>(fitted: &Fitted<M>) {
    assert!(!fitted.converged(), "{}", fitted.status());
    assert_ne!(fitted.status(), &FitStatus::Converged);
    assert!(fitted.std_errors().is_none());
    assert!(fitted.covariance().is_none());
    assert!(
        fitted
            .model()
            .params()
            .iter()
            .all(|p| p.is_finite() && *p > 0.0)
    );
    assert!(fitted.log_likelihood().is_finite());
}

/// The eight customers of the quick start in `src/lib.rs`.
fn lib_doc_customers() -> RfmData {
    RfmData::new(
        vec![2.0, 1.0, 0.0, 0.0, 4.0, 0.0, 7.0, 1.0],
        vec![30.43, 1.71, 0.0, 0.0, 20.0, 0.0, 29.86, 5.0],
        vec![38.86, 38.86, 38.86, 38.86, 31.0, 27.0, 31.0, 35.0],
    )
    .unwrap()
}

#[test]
fn bgnbd_on_the_lib_doc_customers_is_a_boundary_in_a_and_b() {
    // The likelihood keeps rising as a, b → 0 together (a two-point dropout probability):
    // the fit used to stop at a ≈ 1e-8, b ≈ 2e-8 and call that converged.
    let fitted = BgNbd::fit(&lib_doc_customers(), &options()).unwrap();
    assert_boundary(&fitted, &["a", "b"]);
    let m = fitted.model();
    assert!(m.a() < 1e-3 && m.b() < 1e-3, "{m}");
}

#[test]
fn bgnbd_with_homogeneous_dropout_is_a_boundary_in_a_and_b() {
    // Eight customers whose repeat purchases show no heterogeneity in the dropout probability:
    // the best BG/NBD lets a, b → ∞ with a/(a+b) fixed (a geometric dropout with one p). The
    // fit used to stop near a ≈ 1e6, b ≈ 4e6 and call that converged.
    let data = RfmData::new(
        vec![6.0, 5.0, 5.0, 6.0, 6.0, 3.0, 6.0, 4.0],
        vec![8.91, 14.47, 11.81, 36.24, 11.91, 25.32, 13.17, 9.03],
        vec![20.6, 29.21, 25.99, 38.1, 26.7, 28.0, 20.7, 22.74],
    )
    .unwrap();
    let fitted = BgNbd::fit(&data, &options()).unwrap();
    assert_boundary(&fitted, &["a", "b"]);
    let m = fitted.model();
    assert!(m.a() > 1e3 && m.b() > 1e3, "{m}");
}

#[test]
fn sbg_with_everyone_churning_in_period_2_is_a_boundary_in_alpha_and_beta() {
    // P(T = 2) = E[θ(1 − θ)] ≤ 1/4, approached only as α, β → ∞ with α = β (no
    // heterogeneity): the fit used to return α = β = 3e7 as converged.
    let data = LifetimeData::new(vec![2; 10], vec![true; 10]).unwrap();
    let fitted = Sbg::fit(&data, &options()).unwrap();
    assert_boundary(&fitted, &["alpha", "beta"]);
    let m = fitted.model();
    assert!((m.alpha() / m.beta() - 1.0).abs() < 1e-3, "{m}");
    // The supremum 10 ln(1/4) is approached (to the precision at which the search stops
    // trusting the model's arithmetic).
    let sup = 10.0 * 0.25f64.ln();
    assert!(
        (fitted.log_likelihood() - sup).abs() < 1e-3,
        "{}",
        fitted.log_likelihood()
    );
}

#[test]
fn sbg_cohort_with_geometric_churn_is_a_boundary() {
    // Retention exactly constant (half churn every period): a single θ = 1/2 explains it,
    // so the Beta runs off to a point mass.
    let data = clv::CohortData::single(vec![1024.0, 512.0, 256.0, 128.0, 64.0, 32.0]).unwrap();
    let fitted = Sbg::fit_cohorts(&data, &options()).unwrap();
    assert_boundary(&fitted, &["alpha", "beta"]);
}

#[test]
fn gamma_gamma_finite_mean_on_three_customers_is_a_boundary() {
    // Three customers whose average spends are proportional to nothing but their frequency:
    // the spend rate ν is homogeneous and q, γ → ∞ with q/γ fixed. The fit used to return
    // q ≈ 4e5 (or beyond) as converged.
    let data = SpendData::new(vec![1.0, 2.0, 3.0], vec![10.0, 20.0, 30.0]).unwrap();
    let fitted = GammaGamma::fit_with_finite_mean(&data, &options()).unwrap();
    assert_boundary(&fitted, &["q", "gamma"]);
    let fitted = GammaGamma::fit(&data, &options()).unwrap();
    assert_not_a_fit(&fitted);
}

#[test]
fn gamma_gamma_with_identical_spends_has_no_maximum() {
    // Every spend equal: no variation within or between customers, the likelihood grows
    // without bound as p, q, γ → ∞.
    // Such data is refused before the fit, with the reason.
    let data = SpendData::new(vec![1.0, 2.0, 3.0, 4.0], vec![10.0; 4]).unwrap();
    assert_spend_not_identified(GammaGamma::fit(&data, &options()));
}

/// Gamma-Gamma data that cannot identify the model: an error that says so, or a boundary.
fn assert_spend_not_identified(fit: clv::Result<Fitted<GammaGamma>>) {
    match fit {
        Err(e) => assert!(e.to_string().contains("cannot be identified"), "{e}"),
        Ok(fitted) => {
            assert!(
                matches!(fitted.status(), FitStatus::Boundary { .. }),
                "{}",
                fitted.status()
            );
            assert_not_a_fit(&fitted);
        }
    }
}

#[test]
fn a_single_customer_is_never_presented_as_a_fit() {
    // One customer cannot determine a population's heterogeneity. With purchases bunched
    // near the start (t_x tiny) the density of the purchase times, and with it the
    // log-likelihood, is large and positive (it used to come out as +104..+128 with
    // `converged: true`).
    for (x, t_x, t) in [
        (5.0, 1e-9, 10.0),
        (2.0, 30.43, 38.86),
        (1.0, 1.0, 10.0),
        (3.0, 10.0, 10.0),
        (7.0, 1e-6, 1.0),
    ] {
        let data = RfmData::new(vec![x], vec![t_x], vec![t]).unwrap();
        let bg = BgNbd::fit(&data, &options()).unwrap();
        assert_not_a_fit(&bg);
        assert!(
            matches!(bg.status(), FitStatus::Boundary { .. }),
            "BG/NBD ({x}, {t_x}, {t}): {}",
            bg.status()
        );
        let pareto = ParetoNbd::fit(&data, &options()).unwrap();
        assert_not_a_fit(&pareto);
        assert!(
            matches!(pareto.status(), FitStatus::Boundary { .. }),
            "Pareto/NBD ({x}, {t_x}, {t}): {}",
            pareto.status()
        );
    }
    let spend = SpendData::new(vec![2.0], vec![10.0]).unwrap();
    assert_spend_not_identified(GammaGamma::fit(&spend, &options()));
    let lifetime = LifetimeData::new(vec![3], vec![true]).unwrap();
    let sbg = Sbg::fit(&lifetime, &options()).unwrap();
    assert_boundary(&sbg, &["alpha", "beta"]);
}

#[test]
fn a_flat_ridge_is_flat() {
    // One customer churning in period 1 and one surviving it: the likelihood
    // α/(α+β) · β/(α+β) depends on α/(α+β) only, maximal along the whole ridge α = β.
    let data = LifetimeData::new(vec![1, 1], vec![true, false]).unwrap();
    let fitted = Sbg::fit(&data, &options()).unwrap();
    assert_eq!(fitted.status(), &FitStatus::Flat);
    assert_not_a_fit(&fitted);
    let m = fitted.model();
    assert!((m.alpha() / m.beta() - 1.0).abs() < 1e-6, "{m}");
    assert!((fitted.log_likelihood() - 2.0 * 0.5f64.ln()).abs() < 1e-9);
}

#[test]
fn the_budget_ends_a_fit_as_not_converged() {
    let data = RfmData::from_csv_path(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    ))
    .unwrap();
    let mut options = options();
    options.max_evaluations = 6;
    options.start = Some(vec![1.0, 1.0, 1.0, 1.0]);
    if let Ok(fitted) = BgNbd::fit(&data, &options) {
        assert_eq!(fitted.status(), &FitStatus::NotConverged);
        assert_not_a_fit(&fitted);
    }
}

fn relative(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

#[test]
fn regular_fits_are_converged_with_standard_errors() {
    let bg = BgNbd::fit(&cdnow(), &options()).unwrap();
    assert_eq!(bg.status(), &FitStatus::Converged);
    assert!(bg.converged() && bg.std_errors().is_some() && bg.covariance().is_some());
    assert!((bg.log_likelihood() - -9582.4256).abs() < 1e-3);
    let pareto = ParetoNbd::fit(&cdnow(), &options()).unwrap();
    assert_eq!(pareto.status(), &FitStatus::Converged);
    assert!(pareto.std_errors().is_some());
    let regular =
        clv::CohortData::single(vec![1000., 631., 468., 382., 326., 289., 262., 241.]).unwrap();
    let sbg = Sbg::fit_cohorts(&regular, &options()).unwrap();
    assert_eq!(sbg.status(), &FitStatus::Converged);
    assert!(sbg.std_errors().is_some());
}

#[test]
fn a_large_time_scale_is_still_an_interior_maximum() {
    // CDNOW in weeks × 1e6: α becomes 4.4e6, every other parameter and the likelihood's shape
    // are unchanged. A verdict on the size of a parameter would call this a boundary.
    let base = cdnow();
    let k = 1e6;
    let scaled = RfmData::new(
        base.frequency().to_vec(),
        base.recency().iter().map(|v| v * k).collect(),
        base.age().iter().map(|v| v * k).collect(),
    )
    .unwrap();
    let a = BgNbd::fit(&base, &options()).unwrap();
    let b = BgNbd::fit(&scaled, &options()).unwrap();
    assert_eq!(b.status(), &FitStatus::Converged);
    let (pa, pb) = (a.model().params(), b.model().params());
    let (sa, sb) = (a.std_errors().unwrap(), b.std_errors().unwrap());
    for i in 0..4 {
        let f = if i == 1 { k } else { 1.0 };
        assert!(relative(pb[i], pa[i] * f) < 1e-5, "{pa:?} {pb:?}");
        assert!(relative(sb[i], sa[i] * f) < 1e-3, "{sa:?} {sb:?}");
    }
    // Likelihood of times in a unit 1e6 times smaller: LL shifts by −Σx ln k.
    let sx: f64 = base.frequency().iter().sum();
    assert!((b.log_likelihood() - (a.log_likelihood() - sx * k.ln())).abs() < 1e-5);
}

/// The CDNOW spend summary shipped in data/ as (frequency, average spend) columns, the spends
/// multiplied by `scale`.
fn cdnow_spend(scale: f64) -> SpendData {
    let (x, m) = common::cdnow_spend_columns();
    SpendData::new(x, m.into_iter().map(|v| v * scale).collect()).unwrap()
}

#[test]
fn large_spends_are_still_an_interior_maximum() {
    // Gamma-Gamma on CDNOW's spends × 1e6 (Fader, Hardie & Lee 2005: p = 6.25, q = 3.74,
    // γ = 15.44): γ becomes 1e6 times larger, p and q unchanged.
    let a = GammaGamma::fit(&cdnow_spend(1.0), &options()).unwrap();
    assert_eq!(a.status(), &FitStatus::Converged, "{}", a.model());
    let k = 1e6;
    let b = GammaGamma::fit(&cdnow_spend(k), &options()).unwrap();
    assert_eq!(b.status(), &FitStatus::Converged, "{}", b.model());
    let (pa, pb) = (a.model().params(), b.model().params());
    let (sa, sb) = (a.std_errors().unwrap(), b.std_errors().unwrap());
    for i in 0..3 {
        let f = if i == 2 { k } else { 1.0 };
        assert!(relative(pb[i], pa[i] * f) < 1e-5, "{pa:?} {pb:?}");
        assert!(relative(sb[i], sa[i] * f) < 1e-3, "{sa:?} {sb:?}");
    }
}

/// Lifetimes whose weights are the exact expected counts of `n` customers under an sBG with
/// (α, β), observed for `horizon` periods: the likelihood's maximum is exactly (α, β).
fn expected_lifetimes(alpha: f64, beta: f64, n: f64, horizon: u32) -> LifetimeData {
    let model = Sbg::new(alpha, beta).unwrap();
    let mut duration = Vec::new();
    let mut churned = Vec::new();
    let mut weight = Vec::new();
    let mut alive = 1.0;
    for t in 1..=horizon {
        let s = model.survival(t);
        duration.push(t);
        churned.push(true);
        weight.push(n * (alive - s));
        alive = s;
    }
    duration.push(horizon);
    churned.push(false);
    weight.push(n * alive);
    LifetimeData::from_columns(duration, churned, Some(weight)).unwrap()
}

#[test]
fn large_shape_parameters_determined_by_the_data_are_a_maximum() {
    // A cohort of 1e12 customers with almost no heterogeneity (α = 300, β = 900: θ has a
    // standard deviation of 0.0125 around 1/4): the data determine α and β, and the maximum
    // is interior however large they are.
    for (alpha, beta) in [(300.0, 900.0), (2.0e3, 5.0e3)] {
        let data = expected_lifetimes(alpha, beta, 1e12, 12);
        let fitted = Sbg::fit(&data, &options()).unwrap();
        assert_eq!(
            fitted.status(),
            &FitStatus::Converged,
            "({alpha}, {beta}): {}",
            fitted.model()
        );
        let m = fitted.model();
        assert!(relative(m.alpha(), alpha) < 1e-3, "{m}");
        assert!(relative(m.beta(), beta) < 1e-3, "{m}");
        assert!(fitted.std_errors().is_some());
    }
}

#[test]
fn status_serialises_and_displays() {
    let boundary = {
        let data = LifetimeData::new(vec![2; 10], vec![true; 10]).unwrap();
        Sbg::fit(&data, &options()).unwrap().status().clone()
    };
    assert_eq!(boundary.as_str(), "boundary");
    assert_eq!(boundary.boundary_params(), ["alpha", "beta"]);
    assert!(boundary.to_string().contains("alpha, beta"), "{boundary}");
    let json = serde_json::to_value(&boundary).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"boundary": {"params": ["alpha", "beta"]}})
    );
    let back: FitStatus = serde_json::from_value(json).unwrap();
    assert_eq!(back, boundary);
    for (status, word) in [
        (FitStatus::Converged, "converged"),
        (FitStatus::NotConverged, "not_converged"),
        (FitStatus::Flat, "flat"),
    ] {
        assert_eq!(status.as_str(), word);
        assert_eq!(
            serde_json::to_value(&status).unwrap(),
            serde_json::json!(word)
        );
        assert!(status.boundary_params().is_empty());
    }
    // The fitted model carries its status in its serialised form too.
    let fitted = BgNbd::fit(&lib_doc_customers(), &options()).unwrap();
    let json = serde_json::to_value(&fitted).unwrap();
    assert_eq!(json["converged"], false);
    assert_eq!(
        json["status"]["boundary"]["params"],
        serde_json::json!(["a", "b"])
    );
}

/// Degenerate data of up to 1,000 rows for every model: the fit ends (whatever it concludes)
/// well within the time a user waits for a small file.
#[test]
fn degenerate_small_fits_end_quickly() {
    let mut worst: Vec<(String, f64)> = Vec::new();
    let mut time = |name: String, f: &mut dyn FnMut() -> Option<FitStatus>| {
        let start = Instant::now();
        let status = f();
        let took = start.elapsed();
        // The Pareto/NBD likelihood itself can cost milliseconds per evaluation near the edge
        // of its parameter space (its 2F1 near z = 1); the other models' evaluations are cheap
        // and the evaluation budget bounds their fits well under a second.
        let limit = Duration::from_secs(if name.starts_with("pnbd") { 30 } else { 1 });
        assert!(took < limit, "{name}: {took:?} ({status:?})");
        worst.push((name, took.as_secs_f64()));
    };
    let n = 1000;
    let grid = |i: usize| 1.0 + (i % 37) as f64;
    let rfm_cases: Vec<(&str, RfmData)> = vec![
        (
            "two customers",
            RfmData::new(vec![1.0, 0.0], vec![2.0, 0.0], vec![3.0, 5.0]).unwrap(),
        ),
        (
            "all x = 0 but one",
            RfmData::new(
                (0..n).map(|i| if i == 0 { 3.0 } else { 0.0 }).collect(),
                (0..n).map(|i| if i == 0 { 5.0 } else { 0.0 }).collect(),
                (0..n).map(|_| 40.0).collect(),
            )
            .unwrap(),
        ),
        (
            "all t_x = T",
            RfmData::new(
                (0..n).map(|i| 1.0 + (i % 5) as f64).collect(),
                (0..n).map(|i| 20.0 + grid(i)).collect(),
                (0..n).map(|i| 20.0 + grid(i)).collect(),
            )
            .unwrap(),
        ),
        (
            "times in seconds",
            RfmData::new(
                (0..n).map(|i| (i % 4) as f64).collect(),
                (0..n)
                    .map(|i| if i % 4 == 0 { 0.0 } else { 1e6 * grid(i) * 0.5 })
                    .collect(),
                (0..n).map(|i| 1e6 * grid(i)).collect(),
            )
            .unwrap(),
        ),
        (
            "recency tiny",
            RfmData::new(
                vec![1.0, 2.0, 1.0, 0.0],
                vec![1e-9, 1e-9, 3.0, 0.0],
                vec![4.0; 4],
            )
            .unwrap(),
        ),
        (
            "huge and tiny weights",
            RfmData::from_columns(
                vec![1.0, 2.0, 0.0, 5.0],
                vec![1.0, 3.0, 0.0, 4.0],
                vec![4.0, 5.0, 6.0, 7.0],
                None,
                // (the largest weight the data accepts, 2^53 − 1 customers)
                Some(vec![1e-300, 9_007_199_254_740_991.0, 1.0, 1e-10]),
            )
            .unwrap(),
        ),
        ("lib doc", lib_doc_customers()),
    ];
    for (name, data) in &rfm_cases {
        time(format!("bgnbd {name}"), &mut || {
            BgNbd::fit(data, &options())
                .ok()
                .map(|f| f.status().clone())
        });
        time(format!("pnbd {name}"), &mut || {
            ParetoNbd::fit(data, &options())
                .ok()
                .map(|f| f.status().clone())
        });
    }
    let spend_cases: Vec<(&str, SpendData)> = vec![
        (
            "identical",
            SpendData::new(vec![2.0; n], vec![10.0; n]).unwrap(),
        ),
        ("one", SpendData::new(vec![1.0], vec![3.0]).unwrap()),
        (
            "proportional",
            SpendData::new(
                (0..n).map(grid).collect(),
                (0..n).map(|i| 10.0 * grid(i)).collect(),
            )
            .unwrap(),
        ),
        (
            "huge spends",
            SpendData::new(
                (0..n).map(grid).collect(),
                (0..n).map(|i| 1e250 * grid(i)).collect(),
            )
            .unwrap(),
        ),
    ];
    for (name, data) in &spend_cases {
        time(format!("gg {name}"), &mut || {
            GammaGamma::fit(data, &options())
                .ok()
                .map(|f| f.status().clone())
        });
        time(format!("gg finite {name}"), &mut || {
            GammaGamma::fit_with_finite_mean(data, &options())
                .ok()
                .map(|f| f.status().clone())
        });
    }
    let lifetime_cases: Vec<(&str, LifetimeData)> = vec![
        (
            "all in period 2",
            LifetimeData::new(vec![2; n], vec![true; n]).unwrap(),
        ),
        (
            "one survivor",
            LifetimeData::new(
                (0..n as u32).map(|i| 1 + i % 3).collect(),
                (0..n).map(|i| i != 0).collect(),
            )
            .unwrap(),
        ),
        (
            "long lives",
            // up to 99,901 periods (durations are at most clv::data::limits::MAX_DURATION)
            LifetimeData::new((0..n as u32).map(|i| 1 + i * 100).collect(), vec![true; n]).unwrap(),
        ),
    ];
    for (name, data) in &lifetime_cases {
        time(format!("sbg {name}"), &mut || {
            Sbg::fit(data, &options()).ok().map(|f| f.status().clone())
        });
    }
    worst.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!(
        "slowest degenerate fits: {:?}",
        &worst[..worst.len().min(8)]
    );
}

/// One of the 1,000-customer bases of [`homogeneous_dropout`]: how the last purchase time is
/// placed, and the scales of time and counts.
#[derive(Debug, Clone, Copy)]
enum Recency {
    /// `t_x` spread evenly over `(0, T)`.
    Uniform,
    /// Every last purchase at `T`.
    AtT,
    /// Every last purchase at `1e-9`.
    Tiny,
    /// Every last purchase at `1e-9 T`.
    TinyFraction,
    /// Every last purchase at `(1 − 1e-9) T`.
    JustBeforeT,
}

/// 1,000 customers whose repeat purchases carry no information on a heterogeneous dropout:
/// `x` cycles through 0..=8 (times `x_scale`), `T` is spread evenly over [27, 39] weeks (times
/// `time_scale`), and `t_x` is placed by `recency` independently of `x` (0 for `x = 0`). The
/// sequences are deterministic (fractional parts of multiples of irrational numbers).
fn homogeneous_dropout(recency: Recency, time_scale: f64, x_scale: f64) -> RfmData {
    let n = 1000;
    let frac = |v: f64| v - v.floor();
    let (mut x, mut t_x, mut t) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let k = i as f64 + 1.0;
        let xi = (i * 7 % 9) as f64;
        let ti = 27.0 + 12.0 * frac(k * 0.618_033_988_749_894_9);
        let ui = frac(k * std::f64::consts::SQRT_2);
        let ri = match recency {
            _ if xi == 0.0 => 0.0,
            Recency::Uniform => ui * ti,
            Recency::AtT => ti,
            Recency::Tiny => 1e-9,
            Recency::TinyFraction => 1e-9 * ti,
            Recency::JustBeforeT => ti * (1.0 - 1e-9),
        };
        x.push(xi * x_scale);
        t_x.push(ri * time_scale);
        t.push(ti * time_scale);
    }
    RfmData::new(x, t_x, t).unwrap()
}

#[test]
fn pareto_nbd_with_homogeneous_dropout_is_a_boundary_in_s_and_beta() {
    // Purchase counts and recencies that show no heterogeneity in the dropout rate: the
    // Pareto/NBD likelihood keeps rising as s, β → ∞ with s/β fixed (a single exponential
    // lifetime) or, when every customer is still buying at T, as the mean dropout rate s/β → 0.
    // Each fit is a supremum on the boundary in s and β, never a maximum.
    let week = 7.0 * 24.0 * 3600.0;
    for (recency, time_scale, x_scale) in [
        (Recency::Uniform, 1.0, 1.0),
        (Recency::AtT, 1.0, 1.0),
        (Recency::Tiny, 1.0, 1.0),
        (Recency::TinyFraction, 1.0, 1.0),
        (Recency::JustBeforeT, 1.0, 1.0),
        (Recency::Uniform, week, 1.0),
        (Recency::Uniform, 1.0, 1000.0),
    ] {
        let data = homogeneous_dropout(recency, time_scale, x_scale);
        let case = format!("{recency:?}, time × {time_scale}, x × {x_scale}");
        let fitted = ParetoNbd::fit(&data, &options()).unwrap();
        match fitted.status() {
            FitStatus::Boundary { params, .. } => assert_eq!(params, &["s", "beta"], "{case}"),
            other => panic!("{case}: expected a boundary in s and beta, got {other}"),
        }
        assert_not_a_fit(&fitted);
        // The same data under BG/NBD: its dropout probability runs off to a point mass too.
        let bg = BgNbd::fit(&data, &options()).unwrap();
        assert!(
            matches!(bg.status(), FitStatus::Boundary { .. }),
            "BG/NBD {case}: {}",
            bg.status()
        );
        assert_not_a_fit(&bg);
    }
}

/// Homogeneous purchase and dropout rates (λ = 0.3, μ = 0.05 for everyone): the likelihood
/// keeps rising as r, α → ∞ (and s, β → ∞) with their ratios fixed. The fit runs r past 2^53,
/// where the Pareto/NBD row once recovered the frequency as (r + x) − r and lost it (a
/// log-likelihood of +2.4e6 was "found"); it must end on the boundary with a true
/// log-likelihood.
#[test]
fn pareto_nbd_with_homogeneous_rates_is_a_boundary_with_a_true_likelihood() {
    use clv::models::Simulate;
    use rand::SeedableRng;
    let truth = ParetoNbd::new(1e12, 1e12 / 0.3, 1e12, 1e12 / 0.05).unwrap();
    let ages: Vec<f64> = (0..1000)
        .map(|i| 27.0 + 12.0 * f64::from(i % 97) / 97.0)
        .collect();
    let sim = truth
        .simulate(&ages, &mut rand::rngs::StdRng::seed_from_u64(7))
        .unwrap();
    let fitted = ParetoNbd::fit(&sim.data, &options()).unwrap();
    assert!(
        matches!(fitted.status(), FitStatus::Boundary { .. }),
        "{}",
        fitted.status()
    );
    assert!(fitted.std_errors().is_none());
    let ll = fitted.log_likelihood();
    assert!(ll.is_finite() && ll < 0.0, "{ll}");
    // at least as good as the best homogeneous model on a grid of (λ, μ), and not absurdly
    // better (a few log-units is what heterogeneity in the dropout rate can add on 1,000
    // customers)
    let mut best = f64::NEG_INFINITY;
    for i in 0..=60 {
        for j in 0..=60 {
            let lambda = 0.2 + 0.2 * f64::from(i) / 60.0;
            let mu = 0.02 + 0.06 * f64::from(j) / 60.0;
            let m = ParetoNbd::new(1e15, 1e15 / lambda, 1e15, 1e15 / mu).unwrap();
            best = best.max(m.total_log_likelihood(&sim.data));
        }
    }
    assert!(ll >= best - 1e-6 * best.abs(), "{ll} vs {best}");
    assert!(ll < best + 10.0, "{ll} vs {best}");
}

#[path = "../benches/common/whole_days.rs"]
mod whole_days;

/// Fits `M` twice to data with more than 50,000 distinct rows: through the subsample's warm
/// start (Newton steps where the model has an analytic Hessian, otherwise L-BFGS in the metric
/// of the subsample's curvature) and from a given start point (which skips the subsample):
/// both must reach the same verified maximum with the same standard errors.
fn same_maximum_with_and_without_the_subsample<M: clv::fit::Estimable>(
    data: &M::Data,
    start: Vec<f64>,
) {
    let warm = M::fit(data, &options()).unwrap();
    let mut cold = options();
    cold.start = Some(start);
    let cold = M::fit(data, &cold).unwrap();
    assert_eq!(warm.status(), &FitStatus::Converged);
    assert_eq!(cold.status(), &FitStatus::Converged);
    let (lw, lc) = (warm.log_likelihood(), cold.log_likelihood());
    assert!(relative(lw, lc) < 1e-12, "{lw} {lc}");
    let (pw, pc) = (warm.model().params(), cold.model().params());
    let (sw, sc) = (warm.std_errors().unwrap(), cold.std_errors().unwrap());
    for i in 0..pw.len() {
        // Both stop within a small fraction of a standard error of the maximum.
        assert!((pw[i] - pc[i]).abs() < 1e-4 * sw[i], "{pw:?} {pc:?} {sw:?}");
        assert!(relative(sw[i], sc[i]) < 1e-4, "{sw:?} {sc:?}");
    }
    assert!(warm.gradient_norm() <= 1e-5 && cold.gradient_norm() <= 1e-5);
}

#[test]
fn the_subsample_start_reaches_the_same_maximum() {
    // 60,000 customers with distinct ages: above the size at which a subsample is fitted first.
    let data = whole_days::customers(60_000, 11, false);
    assert!(data.clone().compress().len() > 50_000);
    same_maximum_with_and_without_the_subsample::<BgNbd>(&data, vec![0.5, 5.0, 1.0, 1.0]);
    same_maximum_with_and_without_the_subsample::<ParetoNbd>(&data, vec![0.5, 5.0, 1.0, 10.0]);
}

#[test]
fn newton_steps_end_at_a_gradient_at_rounding_level() {
    // Models with an analytic Hessian finish their search with Newton steps: the estimate is
    // where the gradient vanishes to the precision of the sums (far below what the verdict
    // requires), and the standard errors come from the analytic Hessian at that very point.
    let bg = BgNbd::fit(&cdnow(), &options()).unwrap();
    assert_eq!(bg.status(), &FitStatus::Converged);
    assert!(bg.gradient_norm() < 1e-8, "{}", bg.gradient_norm());
    let theta = bg.model().params();
    let objective = BgNbd::objective(&cdnow());
    let h = objective.hessian(&theta).unwrap();
    let se = bg.std_errors().unwrap();
    // At a maximum Cov(θ) = (−∂²LL/∂θ²)⁻¹ (the gradient terms of the change to log-parameters
    // vanish there): its diagonal against the standard errors.
    let k = theta.len();
    let neg: Vec<f64> = h.iter().map(|v| -v).collect();
    let inv = invert(&neg, k);
    for i in 0..k {
        assert!(
            relative(inv[i * k + i].sqrt(), se[i]) < 1e-6,
            "{inv:?} {se:?}"
        );
    }
    let gg = GammaGamma::fit(&common::cdnow_spend(), &options()).unwrap();
    assert_eq!(gg.status(), &FitStatus::Converged);
    assert!(gg.gradient_norm() < 1e-8, "{}", gg.gradient_norm());
}

/// The inverse of a symmetric positive-definite matrix by Gauss–Jordan elimination.
fn invert(a: &[f64], k: usize) -> Vec<f64> {
    let mut m: Vec<f64> = Vec::with_capacity(k * 2 * k);
    for i in 0..k {
        m.extend_from_slice(&a[i * k..(i + 1) * k]);
        m.extend((0..k).map(|j| if i == j { 1.0 } else { 0.0 }));
    }
    let w = 2 * k;
    for col in 0..k {
        let pivot = m[col * w + col];
        for j in 0..w {
            m[col * w + j] /= pivot;
        }
        for row in 0..k {
            if row != col {
                let f = m[row * w + col];
                for j in 0..w {
                    m[row * w + j] -= f * m[col * w + j];
                }
            }
        }
    }
    (0..k)
        .flat_map(|i| m[i * w + k..(i + 1) * w].to_vec())
        .collect()
}
