//! `clv`: customer-lifetime-value models from the command line.
//!
//! ```text
//! cargo install --path cli
//! clv fit --model bgnbd --input summary.csv                      # the flags of examples/fit
//! clv predict --params fit.json --input new.csv --output p.csv   # a saved model on new customers
//! clv value --transactions CDNOW_master.txt --output clv.csv     # CLV per customer, ranked
//! clv summarize --transactions log.csv --output summary.csv      # log -> summary
//! clv report --transactions log.txt --calibration-end 1997-09-30 --out report.html
//! clv cohorts --transactions log.txt --period quarter --out cohorts.csv
//! ```
//!
//! Exit status as `fit`'s: 0 on success, 2 for bad input (a one-line message naming the row and
//! field, or the flag and its value), 1 for a fit that fails.
//!
//! `fit` is the command-line contract of `examples/fit` itself, and `report` and `cohorts` are
//! `examples/report.rs` and `examples/cohorts.rs`: their source files are compiled into this
//! binary and receive the arguments untouched.

// `report` and `cohorts` each include the small examples/common/log.rs, as their examples do.
#![allow(clippy::duplicate_mod)]

#[path = "../../examples/fit/main.rs"]
mod fit;
// The modules of `fit` name their siblings through the crate root, as in `examples/fit`.
#[allow(unused_imports)]
use fit::*;

#[path = "../../examples/report.rs"]
mod report;

#[path = "../../examples/cohorts.rs"]
mod cohorts;

mod commands;
mod predict;
mod progress;
mod summarize;
mod value;

fn main() {
    std::process::exit(commands::main(std::env::args_os().collect()))
}
