//! Adaptive Gauss–Kronrod (G7/K15) quadrature on a finite interval.

/// Kronrod abscissae (positive half, descending) and weights of the 15-point rule.
const XGK: [f64; 8] = [
    0.991_455_371_120_812_6,
    0.949_107_912_342_758_5,
    0.864_864_423_359_769_1,
    0.741_531_185_599_394_4,
    0.586_087_235_467_691_1,
    0.405_845_151_377_397_2,
    0.207_784_955_007_898_5,
    0.0,
];
const WGK: [f64; 8] = [
    0.022_935_322_010_529_22,
    0.063_092_092_629_978_55,
    0.104_790_010_322_250_2,
    0.140_653_259_715_525_9,
    0.169_004_726_639_267_9,
    0.190_350_578_064_785_4,
    0.204_432_940_075_298_9,
    0.209_482_141_084_727_8,
];
/// Gauss weights of the embedded 7-point rule (at XGK[1], XGK[3], XGK[5], XGK[7]).
const WG: [f64; 4] = [
    0.129_484_966_168_869_7,
    0.279_705_391_489_276_7,
    0.381_830_050_505_118_9,
    0.417_959_183_673_469_4,
];

/// One G7K15 panel on `[a, b]`: (Kronrod estimate, error estimate).
fn panel(f: &impl Fn(f64) -> f64, a: f64, b: f64) -> (f64, f64) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = fc * WGK[7];
    let mut g = fc * WG[3];
    for j in 0..7 {
        let x = h * XGK[j];
        let s = f(c - x) + f(c + x);
        k += WGK[j] * s;
        if j % 2 == 1 {
            g += WG[j / 2] * s;
        }
    }
    (k * h, ((k - g) * h).abs())
}

/// `∫ₐᵇ f` by adaptive bisection of G7K15 panels until the summed error estimate is below
/// `rel_tol · |∫|` (or `abs_tol`), with at most `max_panels` panels. Returns (integral, error estimate).
pub(crate) fn integrate(
    f: impl Fn(f64) -> f64,
    a: f64,
    b: f64,
    rel_tol: f64,
    abs_tol: f64,
    max_panels: usize,
) -> (f64, f64) {
    let mut panels = vec![(a, b, panel(&f, a, b))];
    loop {
        let (total, err): (f64, f64) = panels
            .iter()
            .fold((0.0, 0.0), |(t, e), p| (t + p.2.0, e + p.2.1));
        if err <= (rel_tol * total.abs()).max(abs_tol)
            || panels.len() >= max_panels
            || !err.is_finite()
        {
            return (total, err);
        }
        // Split the panel with the largest error.
        let (i, _) = panels
            .iter()
            .enumerate()
            .fold(
                (0, -1.0),
                |(bi, be), (i, p)| if p.2.1 > be { (i, p.2.1) } else { (bi, be) },
            );
        let (lo, hi, _) = panels.swap_remove(i);
        let mid = 0.5 * (lo + hi);
        panels.push((lo, mid, panel(&f, lo, mid)));
        panels.push((mid, hi, panel(&f, mid, hi)));
    }
}

/// One G7K15 panel of a vector integrand: (Kronrod estimates, error estimates). The error
/// estimate is QUADPACK's (Piessens et al. 1983, `qk15`): `|K − G|` scaled by
/// `min(1, (200 |K − G| / resasc)^1.5) · resasc`, where `resasc = ∫|f − mean|` over the panel;
/// it tracks the actual error of the Kronrod value for smooth integrands, where `|K − G|` (the
/// error of the 7-point rule) overstates it by orders of magnitude.
fn panel_vec<const K: usize>(f: &impl Fn(f64) -> [f64; K], a: f64, b: f64) -> ([f64; K], [f64; K]) {
    let c = 0.5 * (a + b);
    let h = 0.5 * (b - a);
    let fc = f(c);
    let mut k = fc.map(|v| v * WGK[7]);
    let mut g = fc.map(|v| v * WG[3]);
    let mut vals = [[[0.0; K]; 2]; 7];
    for j in 0..7 {
        let x = h * XGK[j];
        let (lo, hi) = (f(c - x), f(c + x));
        for i in 0..K {
            let s = lo[i] + hi[i];
            k[i] += WGK[j] * s;
            if j % 2 == 1 {
                g[i] += WG[j / 2] * s;
            }
        }
        vals[j] = [lo, hi];
    }
    let mut err = [0.0; K];
    for i in 0..K {
        let mean = 0.5 * k[i];
        let mut asc = WGK[7] * (fc[i] - mean).abs();
        for j in 0..7 {
            asc += WGK[j] * ((vals[j][0][i] - mean).abs() + (vals[j][1][i] - mean).abs());
        }
        let asc = asc * h.abs();
        let raw = ((k[i] - g[i]) * h).abs();
        err[i] = if asc > 0.0 && raw > 0.0 {
            let q = 200.0 * raw / asc;
            asc * (q * q.sqrt()).min(1.0)
        } else {
            raw
        };
        k[i] *= h;
    }
    (k, err)
}

/// `∫ₐᵇ f` for a vector integrand, one adaptive pass for all components (they share every
/// function evaluation). Component `i` is accurate when its error estimate is below
/// `rel_tol · max(|∫fᵢ|, floor[i] · |∫f₀|)`: `floor` lets components that may vanish or change
/// sign (moments) be judged against the size of the first one. The panel whose worst normalised
/// error is largest is split, up to `max_panels` panels.
pub(crate) fn integrate_vec<const K: usize>(
    f: impl Fn(f64) -> [f64; K],
    a: f64,
    b: f64,
    rel_tol: f64,
    floor: [f64; K],
    max_panels: usize,
) -> [f64; K] {
    let mut panels = vec![(a, b, panel_vec(&f, a, b))];
    loop {
        let mut total = [0.0; K];
        let mut err = [0.0; K];
        for p in &panels {
            for i in 0..K {
                total[i] += p.2.0[i];
                err[i] += p.2.1[i];
            }
        }
        let scale: [f64; K] =
            std::array::from_fn(|i| total[i].abs().max(floor[i] * total[0].abs()));
        let done = (0..K).all(|i| err[i] <= rel_tol * scale[i]);
        if done || panels.len() >= max_panels || err.iter().any(|e| !e.is_finite()) {
            return total;
        }
        let badness = |p: &(f64, f64, ([f64; K], [f64; K]))| {
            (0..K).fold(0.0f64, |m, i| {
                m.max(p.2.1[i] / scale[i].max(f64::MIN_POSITIVE))
            })
        };
        let (worst, _) = panels
            .iter()
            .enumerate()
            .fold((0, -1.0), |(bi, be), (i, p)| {
                let e = badness(p);
                if e > be { (i, e) } else { (bi, be) }
            });
        let (lo, hi, _) = panels.swap_remove(worst);
        let mid = 0.5 * (lo + hi);
        panels.push((lo, mid, panel_vec(&f, lo, mid)));
        panels.push((mid, hi, panel_vec(&f, mid, hi)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integrates_smooth_and_peaked_functions() {
        let (v, _) = integrate(|x: f64| x.exp(), 0.0, 1.0, 1e-14, 0.0, 100);
        assert!((v - (1f64.exp() - 1.0)).abs() < 1e-14);
        // A narrow peak: ∫ 1/(1e-6 + (x-0.3)^2) on [0,1]
        let e = 1e-3f64;
        let exact = ((0.7 / e).atan() + (0.3 / e).atan()) / e;
        let (v, _) = integrate(
            |x: f64| 1.0 / (e * e + (x - 0.3).powi(2)),
            0.0,
            1.0,
            1e-12,
            0.0,
            2000,
        );
        assert!((v / exact - 1.0).abs() < 1e-10, "{v} vs {exact}");
    }

    #[test]
    fn vector_integrand_matches_scalar_integrals() {
        // ∫₀¹ [eˣ, x eˣ, sin(20x)] = [e − 1, 1, (1 − cos 20)/20]
        let v = integrate_vec(
            |x: f64| [x.exp(), x * x.exp(), (20.0 * x).sin()],
            0.0,
            1.0,
            1e-13,
            [0.0, 0.0, 0.1],
            200,
        );
        assert!((v[0] - (1f64.exp() - 1.0)).abs() < 1e-13);
        assert!((v[1] - 1.0).abs() < 1e-13);
        assert!((v[2] - (1.0 - 20f64.cos()) / 20.0).abs() < 1e-12);
    }
}
