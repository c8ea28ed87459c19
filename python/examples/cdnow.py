# %% [markdown]
# # CDNOW with the `clv` Python package
#
# Notebook-style (each `# %%` is a cell; run it as a script or open it in Jupyter/VS Code).
# From a fresh clone:
#
#     pip install ./python
#     python python/examples/cdnow.py
#
# The numbers equal the Rust command line's to the last bit (python/tests/test_rust_equal.py):
#
#     cargo run --release --example fit -- --model bgnbd --transactions cdnow.csv \
#         --calibration-end 1997-09-30 --holdout-end 1998-06-30 --time-unit week --predictions out.csv

# %%
import os

import clv

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")

# %% [markdown]
# ## The transaction log
# CDNOW's raw format: whitespace-separated, no header; master id, sample id, YYYYMMDD, CDs,
# dollars.

# %%
log = clv.read_cdnow(os.path.join(DATA, "CDNOW_sample.txt"))
print(log.head())
print(f"{len(log)} transactions, {log.customer_id.nunique()} customers")

# %% [markdown]
# ## Calibration and holdout
# Purchases on one day count once (`freq="D"`); recency and T in weeks (`unit="W"`), as Fader,
# Hardie & Lee built CDNOW. Calibration to 1997-09-30, holdout to 1998-06-30.

# %%
split = clv.calibration_holdout(
    log, customer_id="customer_id", date="date", amount="amount",
    calibration_end="1997-09-30", holdout_end="1998-06-30", freq="D", unit="W",
)
print(split.head())

# %% [markdown]
# ## Fit BG/NBD and Pareto/NBD

# %%
bgnbd = clv.BgNbd.fit(split)
pnbd = clv.ParetoNbd.fit(split)
print(bgnbd.summary())
print(f"BG/NBD LL {bgnbd.log_likelihood:.4f}, Pareto/NBD LL {pnbd.log_likelihood:.4f}")

# %% [markdown]
# ## P(alive) and expected purchases per customer (keyed by customer id)

# %%
horizon = split.duration_holdout.iloc[0]  # the holdout, in weeks
pred = bgnbd.predict(split, t=horizon)
pred["actual"] = split.frequency_holdout
print(pred.head(10))
print(
    f"holdout ({horizon:.1f} weeks): predicted {pred.expected_transactions.sum():.1f}, "
    f"actual {pred.actual.sum():.0f} repeat purchases"
)

# %% [markdown]
# ## Parameter uncertainty: intervals of the parameters and of P(alive)

# %%
print(bgnbd.confidence_intervals(0.9))
print(bgnbd.prediction_intervals(split.head(5), "probability_alive", level=0.9))

# %% [markdown]
# ## Spend and customer value
# Gamma-Gamma on the mean repeat spend; CLV at a 30% margin, 1% a month (4.345 weeks),
# discounted continuously over an unlimited horizon.

# %%
spend = clv.GammaGamma.fit(split)
print(spend.summary())
split["clv"] = bgnbd.customer_value(
    spend, split, margin=0.3, discount_rate=0.01, period=4.345
)
print(split.sort_values("clv", ascending=False).head(10))

# %% [markdown]
# ## Other column names: the published CDNOW summary (`ID, x, t_x, T, zbar`)

# %%
import pandas as pd

summary = pd.read_csv(os.path.join(DATA, "cdnow_customers_summary_with_transactions.csv"))
full = clv.BgNbd.fit(summary, frequency="x", recency="t_x", T="T", customer_id="ID")
print(full.params)  # Fader, Hardie & Lee (2005): r 0.243, alpha 4.414, a 0.793, b 2.426
print(full.predict(summary, t=39).head())

# %% [markdown]
# ## Save and load (the Rust command line reads the same JSON with `--params`)

# %%
import tempfile

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "bgnbd.json")
    full.save(path)
    again = clv.load(path)
    assert again.params == full.params
    print("saved and loaded:", again)

# %% [markdown]
# ## Outcome uncertainty: predictive intervals and the total of the holdout

# %%
horizon = split.duration_holdout.iloc[0]
print(bgnbd.predictive_intervals(split, horizon, level=0.9).head())
total = bgnbd.predictive_total(split, horizon, level=0.9)
print("holdout transactions:", split.frequency_holdout.sum(), "predicted range:", total)
print(bgnbd.customer_value_intervals(spend, split, level=0.9, margin=0.3, discount_rate=0.01,
                                     period=4.345).head())

# %% [markdown]
# ## Covariates: who buys more, who stays longer
# A made-up acquisition channel and first-purchase size, for illustration.

# %%
import numpy as np

first = log.sort_values("date").groupby("customer_id").amount.first()
split["first_size"] = np.log1p(first.reindex(split.index).to_numpy())
split["channel"] = np.where(split.index.astype(int) % 3 == 0, "web", "store")
cov = clv.ParetoNbd.fit(split, purchase_covariates=["channel", "first_size"],
                        dropout_covariates=["first_size"])
print(cov.summary())
print("likelihood-ratio test against the model without covariates:", cov.lr_test)
print("a new web customer with a first purchase of $30:",
      cov.customer_model(channel="web", first_size=np.log1p(30.0)).expected_transactions(52))

# %% [markdown]
# ## Insight: cohort retention and the HTML report

# %%
print(clv.cohort_retention(log, period="quarter").head(10))
with tempfile.TemporaryDirectory() as d:
    clv.report(log, calibration_end="1997-09-30", holdout_end="1998-06-30",
               path=os.path.join(d, "report.html"))
