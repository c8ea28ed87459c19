#!/usr/bin/env bash
# CI for the Python package and the Spark example: a virtual environment, the wheel built from
# python/ (PyO3 + maturin), its tests, and the Spark job's test on local[2]. Runs on a fresh
# clone; installs from PyPI (and Java from the distribution's packages when `java` is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${CLV_VENV:-target/python-ci-venv}"
if [ ! -x "$venv/bin/python" ]; then
  echo "== python3 -m venv $venv"
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --upgrade pip
"$py" -m pip install --quiet maturin pytest numpy pandas polars pyarrow pyspark

if ! command -v java >/dev/null 2>&1; then
  echo "== apt-get install a Java runtime (for Spark)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi

echo "== cargo clippy -p clv-python (the binding crate), cargo tree -d --workspace"
cargo clippy -p clv-python --all-targets -- -D warnings
dups=$(cargo tree -d --workspace --edges normal,build,dev 2>/dev/null || true)
if [ -n "$dups" ]; then
  echo "duplicate crate versions in the workspace:"
  echo "$dups"
  exit 1
fi

echo "== pip install ./python (maturin, release, abi3 wheel)"
"$py" -m pip install --quiet ./python

echo "== pytest python/tests"
# the Rust side of the bit-for-bit comparisons is `cargo run --release --example fit`
"$py" -m pytest -q python/tests

echo "== pytest examples/spark (the Spark job on local[2], >= 1,000,000 transactions)"
"$py" -m pytest -q -s examples/spark
