"""Customer lifetime value on Spark: a transaction log in Parquet -> a fitted BG/NBD and
Gamma-Gamma -> P(alive), expected transactions, expected spend and CLV per customer.

Every model's likelihood depends on a customer only through their summary row, so:

1. Spark SQL turns the log into one summary row per customer (a GROUP BY), and compresses
   the summaries into weighted distinct rows (another GROUP BY): a few hundred thousand rows
   at most, whatever the number of customers;
2. the fit runs on the driver, with the `clv` Python package, on those weighted rows;
3. scoring is embarrassingly parallel: `mapInPandas` runs the fitted models (sent as JSON)
   over each partition of the summaries.

    spark-submit examples/spark/clv_spark.py LOG.parquet CALIBRATION_END OUT.parquet

The log has the columns `customer_id` (string), `date` (date) and `amount` (double). Time is
measured in weeks of whole days, as CDNOW is (same-day purchases merged).
"""

import json
import sys
import time

import clv

HORIZON = 39.0  # weeks of expected transactions
MARGIN = 0.3
DISCOUNT_RATE = 0.01  # per period of PERIOD weeks
PERIOD = 4.345  # about a month, in weeks


def summary_sql(table, calibration_end):
    """One row per customer with a first purchase before `calibration_end` (a 'YYYY-MM-DD'):
    frequency (repeat purchase days), recency and T in weeks, mean repeat spend. The same SQL
    runs on DuckDB, BigQuery and Snowflake with their date-difference functions (docs/SCALE.md).
    Durations are day counts times 1/7, exactly as the Rust summary computes them."""
    return f"""
    WITH days AS (
        SELECT customer_id,
               DATEDIFF(date, DATE'1970-01-01') AS day,
               SUM(amount) AS amount
        FROM {table}
        WHERE date <= DATE'{calibration_end}'
        GROUP BY customer_id, date
    ),
    customers AS (
        SELECT customer_id,
               MIN(day) AS first_day,
               MAX(day) AS last_day,
               COUNT(*) - 1 AS x,
               SUM(amount) - MIN_BY(amount, day) AS repeat_spend
        FROM days
        GROUP BY customer_id
    )
    SELECT customer_id,
           CAST(x AS DOUBLE) AS frequency,
           CAST(last_day - first_day AS DOUBLE) * (1D / 7D) AS recency,
           CAST(DATEDIFF(DATE'{calibration_end}', DATE'1970-01-01') - first_day AS DOUBLE)
               * (1D / 7D) AS T,
           CASE WHEN x > 0 THEN repeat_spend / x ELSE 0D END AS monetary_value
    FROM customers
    WHERE first_day < DATEDIFF(DATE'{calibration_end}', DATE'1970-01-01')
    """


COMPRESS_RFM = """
    SELECT frequency, recency, T, CAST(COUNT(*) AS DOUBLE) AS weight
    FROM summary GROUP BY frequency, recency, T
"""

COMPRESS_SPEND = """
    SELECT frequency, monetary_value, CAST(COUNT(*) AS DOUBLE) AS weight
    FROM summary GROUP BY frequency, monetary_value
"""

SCORES_SCHEMA = (
    "customer_id string, probability_alive double, expected_transactions double, "
    "expected_spend double, clv double"
)


def score(models_json):
    """The scoring function of `mapInPandas`: the models travel as JSON text."""

    def run(batches):
        import pandas as pd

        doc = json.loads(models_json)
        transactions = clv.load(doc["transactions"])
        spend = clv.load(doc["spend"])
        for df in batches:
            yield pd.DataFrame({
                "customer_id": df["customer_id"].to_numpy(),
                "probability_alive": transactions.probability_alive(df),
                "expected_transactions": transactions.conditional_expected_transactions(df, HORIZON),
                "expected_spend": spend.expected_average_spend(df),
                "clv": transactions.customer_value(
                    spend, df, margin=MARGIN, discount_rate=DISCOUNT_RATE, period=PERIOD),
            })

    return run


def run(spark, log_path, calibration_end, out=None):
    """The whole job: returns `(fits, scores, sizes)`; the scores are written to the Parquet
    `out` (and `None` returned for them), or collected as a pandas DataFrame without `out`."""
    timings = {}
    start = time.perf_counter()
    spark.read.parquet(log_path).createOrReplaceTempView("log")
    summary = spark.sql(summary_sql("log", calibration_end)).cache()
    summary.createOrReplaceTempView("summary")
    rfm = spark.sql(COMPRESS_RFM).toPandas()
    spend_rows = spark.sql(COMPRESS_SPEND).toPandas()
    timings["summary_and_compression_s"] = time.perf_counter() - start

    start = time.perf_counter()
    transactions = clv.BgNbd.fit(rfm, weights="weight")
    spend = clv.GammaGamma.fit(spend_rows, weights="weight")
    timings["fit_s"] = time.perf_counter() - start

    start = time.perf_counter()
    models = json.dumps({"transactions": transactions.to_json(), "spend": spend.to_json()})
    scores = summary.mapInPandas(score(models), SCORES_SCHEMA)
    if out is None:
        scored = scores.toPandas()
    else:
        scores.write.mode("overwrite").parquet(out)
        scored = None
    timings["scoring_s"] = time.perf_counter() - start
    sizes = {
        "customers": int(rfm["weight"].sum()),
        "distinct_rfm_rows": len(rfm),
        "distinct_spend_rows": len(spend_rows),
        **timings,
    }
    summary.unpersist()
    return (transactions, spend), scored, sizes


def main(argv):
    from pyspark.sql import SparkSession

    log_path, calibration_end, out = argv[1], argv[2], argv[3]
    spark = SparkSession.builder.appName("clv").getOrCreate()
    (transactions, spend), _, sizes = run(spark, log_path, calibration_end, out)
    print(json.dumps({"bgnbd": transactions.params, "gamma_gamma": spend.params, **sizes}, indent=1))
    spark.stop()


if __name__ == "__main__":
    main(sys.argv)
