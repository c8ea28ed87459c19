//! Simulated summaries shared by the benches and tests: BG/NBD customers (r, α, a, b = 0.243,
//! 4.414, 0.793, 2.426) with ages of 1..546 days, in weeks.

#![allow(dead_code)]

use clv::{BgNbd, RfmData, simulate};

/// `n` customers with ages of whole days and purchase times rounded up to whole days (as a
/// transaction log gives them; many customers share `(x, T)`), seed 7.
pub fn whole_days(n: usize) -> RfmData {
    customers(n, 7, true)
}

/// `n` customers drawn with `seed`; with `whole_days` false the ages are moved off whole days
/// (by up to 0.001 weeks, all distinct) and the purchase times kept as simulated.
pub fn customers(n: usize, seed: u64, whole_days: bool) -> RfmData {
    let truth = BgNbd::new(0.243, 4.414, 0.793, 2.426).unwrap();
    let days: Vec<f64> = (0..n)
        .map(|i| 1.0 + ((i as f64 * 0.618_033_988_75) % 1.0 * 546.0).floor())
        .collect();
    let ages: Vec<f64> = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            if whole_days {
                d / 7.0
            } else {
                d / 7.0 + 1e-3 * i as f64 / n as f64
            }
        })
        .collect();
    let sim = simulate::bg_nbd(&truth, &ages, seed).unwrap().data;
    if !whole_days {
        return sim;
    }
    let recency: Vec<f64> = sim
        .recency()
        .iter()
        .zip(&days)
        .map(|(&t, &d)| {
            if t > 0.0 {
                (t * 7.0).ceil().min(d) / 7.0
            } else {
                0.0
            }
        })
        .collect();
    RfmData::new(sim.frequency().to_vec(), recency, ages).unwrap()
}
