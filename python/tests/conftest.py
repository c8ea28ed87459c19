import os
import shutil
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(ROOT, "data")


def data_path(name):
    return os.path.join(DATA, name)


def _cargo(*prefix):
    """A runner of `cargo run --quiet --release PREFIX... -- ARGS` in the repository (its
    stdout); skips when cargo is not there."""
    cargo = shutil.which("cargo")
    if cargo is None:
        pytest.skip("cargo is not installed: no Rust results to compare with")

    def run(*args):
        out = subprocess.run(
            [cargo, "run", "--quiet", "--release", *prefix, "--", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout

    return run


@pytest.fixture(scope="session")
def rust_fit():
    """Runs the Rust command line `examples/fit` (the contract front end) with the given
    arguments; returns its stdout."""
    return _cargo("--example", "fit")


@pytest.fixture(scope="session")
def rust_example():
    """Runs `cargo run --release --features report --example NAME -- ARGS` (the cohort table
    and the report); returns its stdout."""
    return lambda name, *args: _cargo("--features", "report", "--example", name)(*args)
