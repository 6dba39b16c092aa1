"""The measured claims of the cosine benchmarks (suites/checks/cosine.py), fed the published
results files: from the figures a benchmark row holds, the check gives the case's published
verdict and the spread its measurement row recorded; a failing case's script says so."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.verdicts import Verdicts
from suites import repro
from suites.checks import cosine as cosine_checks

ROOT = Path(__file__).resolve().parents[1]
RESULTS = sorted((ROOT / "reports" / "results").glob("*.json"))
FIGURES = ("one_step_mse", "rollout_rmse")


def published_cases():
    """(results file, fast benchmark row, train.instability measurement row or None, verdict)
    for every train.instability case of the published runs."""
    for path in RESULTS:
        document = json.loads(path.read_text())
        rows = {row["model"]: row for row in document["benchmarks"]
                if row["kind"] == "benchmark" and row["recipe"] == "fast"}
        measurements = {row["model"]: row for row in document["benchmarks"]
                        if row["kind"] == "measurement" and row["claim"] == "train.instability"}
        for claim in document["claims"]:
            for case in claim["cases"]:
                if "::test_train_instability[" in case["nodeid"]:
                    model = case["nodeid"].split("[")[1].rstrip("]")
                    yield pytest.param(path, rows[model], measurements.get(model),
                                       case["verdict"], id=f"{path.stem}-{model}")


CASES = list(published_cases())


def arguments(row) -> dict:
    """What suites/test_cosine.py passes the check for this row (the reasons of divergence are
    in the row's error, not per seed: the verdict does not depend on them)."""
    return {"model": row["model"],
            "figures": {key: row[key]["values"] for key in FIGURES},
            "diverged": {seed: "diverged" for seed in row["diverged_seeds"]},
            "training_error": row["error"] if row["status"] == "error" else None}


def verdict_of(row) -> str:
    try:
        cosine_checks.train_instability(Verdicts("train.instability", impl=None), **arguments(row))
    except AssertionError:
        return "fails"
    except RuntimeError:
        return "error"
    return "holds"


def test_published_runs_have_every_verdict():
    """The files below exercise a case that holds, one that fails and one whose training raised."""
    assert {case.values[3] for case in CASES} >= {"holds", "fails", "error"}


@pytest.mark.parametrize("path, row, measurement, verdict", CASES)
def test_instability_verdict_as_published(path, row, measurement, verdict):
    """The check gives the published verdict from the benchmark row's figures."""
    assert verdict_of(row) == verdict


@pytest.mark.parametrize("path, row, measurement, verdict",
                         [case for case in CASES if case.values[2] is not None])
def test_spread_as_recorded(path, row, measurement, verdict):
    """The spread over the seeds is the one the measurement row recorded."""
    spread = cosine_checks.spread_of({key: row[key]["values"] for key in FIGURES})
    assert spread == {key: measurement[key] for key in spread}


@pytest.mark.system  # a fresh process importing Keras: 10-80 s
def test_failing_case_script_reproduces(tmp_path):
    """keras-jax 3.15's stacked model diverged on every seed: its script judges those figures,
    prints REPRODUCED and exits 1."""
    (path, row, _, verdict), = [case.values for case in CASES
                                if case.id == "keras-jax-3.15-stacked"]
    assert verdict == "fails"
    nodeid = "suites/test_cosine.py::test_train_instability[stacked]"
    script = tmp_path / "instability.py"
    script.write_text(repro.script_of_check("keras-jax", "train.instability", nodeid,
                                            cosine_checks.train_instability, arguments(row)))
    run = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "REPRODUCED: train.instability does not hold" in run.stdout
    assert "3 of 3 seeds diverged" in run.stdout
