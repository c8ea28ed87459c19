//! Quick start: fit the BG/NBD model to the CDNOW sample shipped in `data/` and print the
//! parameters with standard errors, the log-likelihood, and a few customers' P(alive) and
//! expected purchases in the next 39 weeks.
//!
//! Run with `cargo run --release --example quickstart`.

use clv::{BgNbd, FitOptions, Model, RfmData, TransactionModel};

fn main() -> Result<(), clv::Error> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/cdnow_customers_summary.csv"
    );
    let data = RfmData::from_csv_path(path)?;
    println!(
        "CDNOW sample: {} customers (time unit: weeks)\n",
        data.n_customers()
    );

    let fitted = BgNbd::fit(&data, &FitOptions::default())?;
    let model = fitted.model();
    println!("{model}\n");
    println!("{:>6}  {:>10}  {:>10}", "param", "estimate", "std. error");
    let se = fitted.std_errors();
    for (i, (name, value)) in BgNbd::PARAM_NAMES.iter().zip(model.params()).enumerate() {
        let se = se.map_or("n/a".to_string(), |s| format!("{:.4}", s[i]));
        println!("{name:>6}  {value:>10.4}  {se:>10}");
    }
    println!(
        "\nlog-likelihood {:.4}   AIC {:.2}   BIC {:.2}   converged: {} ({} iterations)\n",
        fitted.log_likelihood(),
        fitted.aic(),
        fitted.bic(),
        fitted.converged(),
        fitted.iterations()
    );

    println!(
        "{:>8} {:>6} {:>8} {:>8}  {:>8}  {:>18}",
        "customer", "x", "t_x", "T", "P(alive)", "E[purchases, 39 wk]"
    );
    for i in [0usize, 1, 2, 17, 156, 1515] {
        let Some(c) = data.customer(i) else { continue };
        println!(
            "{:>8} {:>6} {:>8.2} {:>8.2}  {:>8.4}  {:>18.4}",
            i + 1,
            c.frequency(),
            c.recency(),
            c.age(),
            model.probability_alive(&c),
            model.conditional_expected_transactions(&c, 39.0)?
        );
    }
    Ok(())
}
