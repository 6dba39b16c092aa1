"""Verdicts you can trust, shown on real suite runs in fresh processes (system tests).

- an implementation written from the README alone gets keras-tensorflow's verdicts;
- the standalone reproduction scripts of real keras-jax and keras-tensorflow runs exit 1 while
  their finding stands, and a keras-jax carry script exits 0 when run on TensorFlow, where the
  claim holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from harness import repro
from tests.suite_runs import case_verdicts, run_suite

RUN_TIMEOUT_S = 900


@pytest.mark.system
@pytest.mark.timeout(2 * RUN_TIMEOUT_S + 60)
def test_readme_object_gets_the_verdicts_of_keras_tensorflow(shared_runs):
    """A plain object with name, load(), versions(), to_numpy() runs the not-slow suite, and
    every case gets the verdict it gets on the built-in keras-tensorflow."""
    selection = ("suites/", "-m", "not slow")
    ours = shared_runs.run("tests.readme_impl:IMPLEMENTATION", *selection, timeout=RUN_TIMEOUT_S)
    # The same run as the determinism check's first: made once per session.
    built_in = shared_runs.run("keras-tensorflow", *selection, timeout=RUN_TIMEOUT_S)
    assert len(case_verdicts(ours)) > 100
    assert case_verdicts(ours) == case_verdicts(built_in)


def run_script(path, **environment):
    return subprocess.run([sys.executable, str(path)], capture_output=True, text=True,
                          timeout=300, env={**os.environ, **environment})


@pytest.mark.system
@pytest.mark.timeout(3 * RUN_TIMEOUT_S)
@pytest.mark.parametrize("impl, selection", [
    ("keras-jax", ("suites/test_carry.py", "suites/test_reset.py", "-k",
                   "(test_index_i and LSTM and bs3 and (predict or fit)) or (test_fresh and GRU)")),
    ("keras-tensorflow", ("suites/test_setup.py", "-k", "test_equal_batches and LSTM and remainder")),
])
def test_repro_scripts_reproduce(tmp_path, impl, selection):
    """Every case that does not hold wrote a script, and each exits 1 in a fresh process."""
    results = tmp_path / f"{impl}.json"
    data = run_suite(impl, results, *selection, timeout=RUN_TIMEOUT_S)
    not_holding = [case for claim in data["claims"] for case in claim["cases"]
                   if case["verdict"] != "holds"]
    assert not_holding, f"nothing to reproduce on {impl}: the selection holds"
    assert all(case["repro"] for case in not_holding), [c["nodeid"] for c in not_holding if not c["repro"]]
    _, rows = repro.run(data, results, timeout=300, progress=lambda line: None)
    assert [row["outcome"] for row in rows] == [repro.OUTCOMES[1]] * len(not_holding), rows


@pytest.mark.system
@pytest.mark.timeout(RUN_TIMEOUT_S)
def test_jax_carry_script_passes_on_tensorflow(tmp_path):
    """The keras-jax script of carry.index-i through predict exits 0 on TensorFlow, where the
    state carries."""
    results = tmp_path / "jax.json"
    data = run_suite("keras-jax", results, "suites/test_carry.py", "-k",
                     "test_index_i and LSTM and bs3 and predict and not on_batch",
                     timeout=RUN_TIMEOUT_S)
    (case,) = [case for claim in data["claims"] for case in claim["cases"]]
    assert case["verdict"] == "fails" and case["repro"]
    script = results.parent / case["repro"]
    assert run_script(script).returncode == 1
    on_tensorflow = run_script(script, KERAS_BACKEND="tensorflow")
    assert on_tensorflow.returncode == 0, on_tensorflow.stdout[-2000:]
    assert "NOT REPRODUCED" in on_tensorflow.stdout


def test_harness_repro_command_without_scripts(tmp_path):
    """A results file whose cases all held has nothing to reproduce: one line, exit 2."""
    from tests.results_factory import results as make_results

    path = tmp_path / "r.json"
    path.write_text(json.dumps(make_results()))
    completed = subprocess.run([sys.executable, "-m", "harness", "repro", str(path)],
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert "no case has a reproduction script" in completed.stderr
