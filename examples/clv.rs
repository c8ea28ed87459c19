//! Customer lifetime value on the shipped CDNOW data: BG/NBD for the transactions, Gamma-Gamma
//! for the spend, 52-week value at a 10% annual discount rate and a 30% margin, with the 90%
//! interval of each value from the parameter uncertainty of both fits (delta method).
//!
//! ```text
//! cargo run --release --example clv
//! ```

use clv::fit::Method;
use clv::value::{DiscountRate, Valuation};
use clv::{BgNbd, FitOptions, GammaGamma, RfmData, SpendData};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // data/cdnow_customers_summary_with_transactions.csv: ID,x,t_x,T,zbar (time in weeks,
    // zbar = mean value of the repeat transactions in dollars).
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary_with_transactions.csv"
    );
    let mut rdr = csv::Reader::from_path(path)?;
    let (mut ids, mut x, mut tx, mut t, mut m) = (vec![], vec![], vec![], vec![], vec![]);
    for rec in rdr.records() {
        let rec = rec?;
        ids.push(rec[0].to_string());
        x.push(rec[1].parse::<f64>()?);
        tx.push(rec[2].parse::<f64>()?);
        t.push(rec[3].parse::<f64>()?);
        m.push(rec[4].parse::<f64>()?);
    }
    let data = RfmData::from_columns(x, tx, t, Some(m), None)?;

    let options = FitOptions::default();
    let transactions = BgNbd::fit(&data, &options)?;
    let spend_data = SpendData::from_rfm(&data)?;
    let spend = GammaGamma::fit(&spend_data, &options)?;
    println!(
        "{}  (LL {:.4})",
        transactions.model(),
        transactions.log_likelihood()
    );
    println!(
        "{}  (LL {:.4}, {} repeat customers, {} skipped)",
        spend.model(),
        spend.log_likelihood(),
        spend.n_customers(),
        spend_data.n_skipped()
    );
    println!(
        "mean spend per transaction {:.2}; correlation of frequency and average spend {:.4}",
        spend.model().mean_spend()?,
        spend_data.frequency_spend_correlation().unwrap_or(f64::NAN)
    );

    // The data are in weeks: 10% per year of 52 weeks, 52 weekly periods, margin 30%.
    let discount = DiscountRate::new(0.10, 52.0)?;
    let weekly = Valuation::discrete(0.3, discount, 1.0, 52)?;
    let values = weekly.customer_values(transactions.model(), spend.model(), &data)?;
    // 90% intervals of the values: estimation uncertainty of both models, combined
    let ranges =
        weekly.customer_value_intervals(&transactions, &spend, &data, 0.9, Method::Delta)?;
    let continuous = Valuation::continuous(0.3, discount, Some(52.0))?.customer_values(
        transactions.model(),
        spend.model(),
        &data,
    )?;
    let lifetime = Valuation::continuous(0.3, discount, None)?.customer_values(
        transactions.model(),
        spend.model(),
        &data,
    )?;

    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&i, &j| values[j].total_cmp(&values[i]));
    println!("\ntop 10 customers by 52-week CLV (10% a year, margin 0.3):");
    println!(
        "{:>6} {:>4} {:>7} {:>7} {:>8} {:>10} {:>19} {:>10} {:>10}",
        "ID", "x", "t_x", "T", "zbar", "52w disc", "90% interval", "52w cont", "lifetime"
    );
    for &i in order.iter().take(10) {
        let c = data.customer(i).ok_or("row out of range")?;
        println!(
            "{:>6} {:>4} {:>7.2} {:>7.2} {:>8.2} {:>10.2} {:>19} {:>10.2} {:>10.2}",
            ids[i],
            c.frequency(),
            c.recency(),
            c.age(),
            data.monetary_value().ok_or("no spend")?[i],
            values[i],
            format!("[{:.2}, {:.2}]", ranges.lower[i], ranges.upper[i]),
            continuous[i],
            lifetime[i]
        );
    }
    println!(
        "\ntotal value of the {} customers: 52 weeks {:.2} (weekly discounting), {:.2} (continuous); \
         unlimited horizon {:.2}",
        data.len(),
        values.sum(),
        continuous.sum(),
        lifetime.sum()
    );
    Ok(())
}
