//! Piecewise Chebyshev interpolation of a smooth function of one variable, for evaluating an
//! expensive prediction at very many points of one interval (e.g. one value per customer age).
//!
//! On each piece `[lo, hi]` the function is sampled at the `N + 1` Chebyshev points of the second
//! kind `u_j = m + h cos(jπ/N)` and represented as `Σₖ cₖ Tₖ(s)`, `s = (u − m)/h`, with the
//! coefficients from the discrete cosine transform of the samples. A piece is accepted when its
//! two last coefficients are below the tolerance (for an analytic function the coefficients decay
//! geometrically, so the truncation error is of the order of the last ones); otherwise it is
//! bisected. Pieces that would hold too few evaluation points to repay their `N + 1` samples, or
//! that stay unresolved, are left empty and the caller evaluates the function directly there.

/// Degree of the interpolant on each piece.
const DEGREE: usize = 16;
/// Deepest bisection of the starting interval.
const MAX_DEPTH: u32 = 24;

/// A piecewise Chebyshev interpolant over `[breaks[0], breaks[last]]`.
#[derive(Debug, Clone)]
pub(crate) struct Piecewise {
    /// Piece boundaries, increasing.
    breaks: Vec<f64>,
    /// Coefficients per piece; `None` where the function is to be evaluated directly.
    coeffs: Vec<Option<[f64; DEGREE + 1]>>,
}

impl Piecewise {
    /// Interpolates `f` over the range of the increasing points `sorted` (the points at which
    /// [`Piecewise::eval`] will be called), to absolute tolerance `tol` per piece. `f` returning
    /// `None` (or a non-finite value) at a sample leaves that piece empty.
    pub(crate) fn build(f: impl Fn(f64) -> Option<f64>, sorted: &[f64], tol: f64) -> Self {
        let mut out = Piecewise {
            breaks: Vec::new(),
            coeffs: Vec::new(),
        };
        let (Some(&lo), Some(&hi)) = (sorted.first(), sorted.last()) else {
            return out;
        };
        out.breaks.push(lo);
        // Depth-first, left to right, so the pieces come out in order.
        let mut stack = vec![(lo, hi, 0u32)];
        while let Some((a, b, depth)) = stack.pop() {
            let i0 = sorted.partition_point(|&v| v < a);
            let i1 = sorted.partition_point(|&v| v <= b);
            let count = i1 - i0;
            let piece = if a == b {
                // One distinct point: a constant.
                f(a).filter(|v| v.is_finite()).map(|v| {
                    let mut c = [0.0; DEGREE + 1];
                    c[0] = v;
                    c
                })
            } else if count <= DEGREE + 1 {
                None
            } else {
                match fit(&f, a, b) {
                    Some(c) if c[DEGREE].abs().max(c[DEGREE - 1].abs()) <= tol => Some(c),
                    // Not resolved (or not evaluable): bisect while it is worth it.
                    _ if depth < MAX_DEPTH => {
                        let mid = 0.5 * (a + b);
                        if mid > a && mid < b {
                            stack.push((mid, b, depth + 1));
                            stack.push((a, mid, depth + 1));
                            continue;
                        }
                        None
                    }
                    _ => None,
                }
            };
            out.breaks.push(b);
            out.coeffs.push(piece);
        }
        out
    }

    /// The interpolant at `u`, or `None` outside the range or on a piece left empty.
    pub(crate) fn eval(&self, u: f64) -> Option<f64> {
        let (&lo, &hi) = (self.breaks.first()?, self.breaks.last()?);
        if !(u >= lo && u <= hi) {
            return None;
        }
        let i = self
            .breaks
            .partition_point(|&b| b < u)
            .saturating_sub(1)
            .min(self.coeffs.len() - 1);
        let c = self.coeffs[i].as_ref()?;
        let (a, b) = (self.breaks[i], self.breaks[i + 1]);
        if a == b {
            return Some(c[0]);
        }
        let s = ((2.0 * u - a - b) / (b - a)).clamp(-1.0, 1.0);
        // Clenshaw's recurrence.
        let (mut b1, mut b2) = (0.0, 0.0);
        for &ck in c[1..].iter().rev() {
            let t = 2.0 * s * b1 - b2 + ck;
            b2 = b1;
            b1 = t;
        }
        Some(s * b1 - b2 + c[0])
    }
}

/// Chebyshev coefficients of `f` on `[a, b]` from its values at the points of the second kind.
fn fit(f: &impl Fn(f64) -> Option<f64>, a: f64, b: f64) -> Option<[f64; DEGREE + 1]> {
    let n = DEGREE;
    let (m, h) = (0.5 * (a + b), 0.5 * (b - a));
    let mut values = [0.0; DEGREE + 1];
    for (j, v) in values.iter_mut().enumerate() {
        let x = (std::f64::consts::PI * j as f64 / n as f64).cos();
        // Exact endpoints, so that neighbouring pieces agree where they meet.
        let u = match j {
            0 => b,
            _ if j == n => a,
            _ => m + h * x,
        };
        *v = f(u).filter(|v| v.is_finite())?;
    }
    let mut c = [0.0; DEGREE + 1];
    for (k, ck) in c.iter_mut().enumerate() {
        let mut s = 0.0;
        for (j, v) in values.iter().enumerate() {
            let w = if j == 0 || j == n { 0.5 } else { 1.0 };
            // cos(jkπ/n) through the reduced angle, exact at the symmetric points.
            let jk = (j * k) % (2 * n);
            s += w * v * (std::f64::consts::PI * jk as f64 / n as f64).cos();
        }
        *ck = 2.0 * s / n as f64;
    }
    c[0] *= 0.5;
    c[n] *= 0.5;
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_smooth_functions_and_leaves_sparse_pieces_empty() {
        let points: Vec<f64> = (0..1000).map(|i| 1.0 + i as f64 * 0.01).collect();
        let p = Piecewise::build(|u: f64| Some((u * 3.0).sin() + u.ln()), &points, 1e-14);
        for &u in &points {
            let v = p.eval(u).unwrap();
            let e = (u * 3.0).sin() + u.ln();
            assert!((v - e).abs() < 1e-13, "{u}: {v} vs {e}");
        }
        assert!(p.eval(0.5).is_none());
        // A jump is isolated in a piece evaluated directly.
        let q = Piecewise::build(
            |u: f64| Some(if u < 5.0 { 1.0 } else { 2.0 }),
            &points,
            1e-14,
        );
        assert!(points.iter().any(|&u| q.eval(u).is_none()));
        for &u in &points {
            if let Some(v) = q.eval(u) {
                let e = if u < 5.0 { 1.0 } else { 2.0 };
                assert!((v - e).abs() < 1e-14, "{u}: {v} vs {e}");
            }
        }
        // Too few points for a piece: nothing is built.
        assert!(
            Piecewise::build(|u: f64| Some(u), &points[..5], 1e-14)
                .eval(1.0)
                .is_none()
        );
        // One distinct point: a constant.
        let one = Piecewise::build(|_| Some(7.0), &[2.0, 2.0, 2.0], 1e-14);
        assert_eq!(one.eval(2.0), Some(7.0));
    }
}
