//! `clv predict`: a saved model on new customers, through `fit --params`.

use clap::ArgMatches;
use serde_json::Value;

use crate::commands::{fit_args, get};
use crate::fit::Failure;

/// Runs `clv predict`: `fit --model M ... --params FIT.json --predictions OUT.csv`, the model
/// named by `--model` or by the `"model"` of FIT.json.
pub fn run(m: &ArgMatches) -> Result<(), Failure> {
    let params = get(m, "params").map_or("", String::as_str);
    let model = match get(m, "model") {
        Some(model) => model.clone(),
        None => {
            let text = std::fs::read_to_string(params)
                .map_err(|e| Failure(format!("--params {params}: cannot read: {e}"), 2))?;
            let json: Value = serde_json::from_str(&text)
                .map_err(|e| Failure(format!("--params {params}: not JSON: {e}"), 2))?;
            json.get("model")
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| {
                    Failure(
                        format!("--params {params}: no \"model\" key; give --model"),
                        2,
                    )
                })?
        }
    };
    let output = get(m, "output").map_or("", String::as_str);
    let mut extra = vec![("--params", params), ("--predictions", output)];
    for (flag, id) in [("--horizon", "horizon"), ("--holdout-end", "holdout-end")] {
        if let Some(v) = get(m, id) {
            extra.push((flag, v.as_str()));
        }
    }
    let args = fit_args(m, &model, &extra)?;
    let json = crate::fit::run(&args)?;
    println!("{json}");
    Ok(())
}
