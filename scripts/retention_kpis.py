#!/usr/bin/env python3
"""Independent pandas computation of the cohort retention KPIs of clv::insight::cohort_retention.

Reads the CDNOW log (whitespace-separated, no header: master id, sample id, YYYYMMDD, CDs,
dollars), takes profit = dollars - 2 * CDs per transaction, and writes for each grid (calendar
month, calendar quarter, 7-day blocks from the first day of the log) the cohort triangle:

    cohort,period,customers_start,retained,raw_retention,sales_adjusted_retention,
    profit_adjusted_retention,revenue

cohort = period of a customer's first purchase; for period k of cohort c, with A(k) the
cohort's customers who bought in k: customers_start = |A(k-1)|, retained = |A(k-1) & A(k)|,
raw = retained / customers_start, sales-adjusted = sales in k of the retained / sales in k-1 of
A(k-1), profit-adjusted likewise with profit, revenue = sales in k of A(k). A row exists only
when |A(k-1)| > 0 and k <= the log's last period; a ratio with a non-positive denominator is
empty.

    python3 scripts/retention_kpis.py [data/CDNOW_sample.txt] [tests/data]
"""
import sys
from pathlib import Path

import pandas as pd

src = Path(sys.argv[1] if len(sys.argv) > 1 else "data/CDNOW_sample.txt")
out = Path(sys.argv[2] if len(sys.argv) > 2 else "tests/data")

log = pd.read_csv(src, sep=r"\s+", header=None, names=["id", "sample", "date", "cds", "dollars"],
                  dtype={"id": str, "sample": str, "date": str})
log["date"] = pd.to_datetime(log["date"], format="%Y%m%d")
log["profit"] = log["dollars"] - 2.0 * log["cds"]
first_day = log["date"].min()


def grids():
    d = log["date"]
    yield "month", d.dt.year * 12 + (d.dt.month - 1), lambda k: f"{k // 12:04d}-{k % 12 + 1:02d}"
    yield "quarter", d.dt.year * 4 + (d.dt.month - 1) // 3, lambda k: f"{k // 4:04d}-Q{k % 4 + 1}"
    yield "7d", (d - first_day).dt.days // 7, \
        lambda k: (first_day + pd.Timedelta(days=7 * int(k))).strftime("%Y-%m-%d")


def fmt(v):
    return "" if pd.isna(v) else repr(float(v))


for name, index, label in grids():
    df = log.assign(k=index)
    per = df.groupby(["id", "k"], as_index=False)[["dollars", "profit"]].sum()
    per["cohort"] = per.groupby("id")["k"].transform("min")
    last = int(df["k"].max())
    # the base of period k: the cohort's customers active in k-1
    base = per[per["k"] < last].copy()
    base["k"] = base["k"] + 1
    both = base.merge(per[["id", "k", "dollars", "profit"]], on=["id", "k"], how="left",
                      suffixes=("_prev", "_now"))
    both["kept"] = both["dollars_now"].notna()
    g = both.groupby(["cohort", "k"])
    table = pd.DataFrame({
        "customers_start": g.size(),
        "retained": g["kept"].sum(),
        "base_sales": g["dollars_prev"].sum(),
        "kept_sales": g["dollars_now"].sum(min_count=0),
        "base_profit": g["profit_prev"].sum(),
        "kept_profit": g["profit_now"].sum(min_count=0),
    })
    revenue = per.groupby(["cohort", "k"])["dollars"].sum()
    table = table.join(revenue.rename("revenue"), how="left").fillna({"revenue": 0.0})
    table = table.reset_index().sort_values(["cohort", "k"])
    rows = ["cohort,period,customers_start,retained,raw_retention,sales_adjusted_retention,"
            "profit_adjusted_retention,revenue"]
    for r in table.itertuples():
        raw = r.retained / r.customers_start
        sales = r.kept_sales / r.base_sales if r.base_sales > 0 else None
        profit = r.kept_profit / r.base_profit if r.base_profit > 0 else None
        rows.append(",".join([label(int(r.cohort)), label(int(r.k)), str(int(r.customers_start)),
                              str(int(r.retained)), fmt(raw), fmt(sales), fmt(profit),
                              fmt(r.revenue)]))
    path = out / f"retention_kpis_cdnow_{name}.csv"
    path.write_text("\n".join(rows) + "\n")
    print(f"wrote {path}: {len(rows) - 1} cells")
