//! Discrete-time customer-base analysis with the BG/BB model (Fader, Hardie & Shang 2010,
//! "Customer-base analysis in a discrete-time noncontractual setting", *Marketing Science*
//! 29(6)).
//!
//! Fits the BG/BB to the donations of the 1995 cohort of 11,104 first-time supporters of a
//! non-profit over six annual opportunities (1996–2001, `data/donations.csv`) and prints, as in
//! the paper's Table 2, the actual number of donors with each number of repeat donations next to
//! the number the model expects, `N · P(X(6) = x)`; then P(alive in 2002) and the expected
//! donations in 2002–2006 for a few histories, and the total expected donations of the cohort
//! over those five years.
//!
//! ```text
//! cargo run --release --example donations
//! ```

use clv::{BgBb, FitOptions, RfmData};

const OPPORTUNITIES: u32 = 6;
const AHEAD: u32 = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let data = RfmData::from_csv_path(concat!(env!("CARGO_MANIFEST_DIR"), "/data/donations.csv"))?;
    let fitted = BgBb::fit(&data, &FitOptions::default())?;
    let model = fitted.model();
    println!("{model}");
    println!("{}", fitted.summary());

    let n_donors = data.n_customers();
    let mut actual = [0.0; OPPORTUNITIES as usize + 1];
    for (&x, &w) in data.frequency().iter().zip(data.weights()) {
        if let Some(a) = actual.get_mut(x as usize) {
            *a += w;
        }
    }
    println!("\nRepeat donations 1996-2001 (Fader, Hardie & Shang 2010, Table 2)");
    println!("{:>3} {:>10} {:>10}", "x", "actual", "BG/BB");
    let (mut total_actual, mut total_expected) = (0.0, 0.0);
    for (x, a) in actual.iter().enumerate() {
        let expected = n_donors * model.probability_of_transactions(x as u32, OPPORTUNITIES)?;
        total_actual += a;
        total_expected += expected;
        println!("{x:>3} {a:>10.0} {expected:>10.1}");
    }
    println!("{:>3} {total_actual:>10.0} {total_expected:>10.1}", "all");

    println!("\nHistory (x, t_x)   P(alive in 2002)   E[donations 2002-2006]");
    for (x, t_x) in [(0, 0), (1, 1), (2, 4), (3, 6), (6, 6)] {
        let alive = model.probability_alive_in(x, t_x, OPPORTUNITIES, 1)?;
        let expected = model.conditional_expected_transactions(x, t_x, OPPORTUNITIES, AHEAD)?;
        println!("({x}, {t_x}){:>24.3}{:>25.3}", alive, expected);
    }
    let per_row = model.conditional_expected_transactions_batch(&data, AHEAD)?;
    let cohort: f64 = per_row.iter().zip(data.weights()).map(|(e, w)| e * w).sum();
    println!("\nExpected donations of the cohort in 2002-2006: {cohort:.1}");
    Ok(())
}
