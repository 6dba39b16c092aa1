"""Three consecutive runs of the default suite on one implementation give identical verdicts.

Every check is seeded (``suites/conftest.py`` seeds Python, NumPy and the backend before each
test), so a verdict that changes between runs of the same code is a flaky check: a finding
that could come and go would make every report and every gate decision worthless.

The runs are the default suite (``pytest suites/``, the fast cosine benchmarks included) on
the default implementation, one after another in fresh processes, as a user would run it.
``DETERMINISM_IMPL`` picks another implementation. Runtime: three suite runs (about 3 minutes
each for keras-tensorflow on a 2-core machine).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNS = 3
RUN_TIMEOUT_S = 1200


def run_default_suite(impl: str, results: Path) -> dict:
    command = [sys.executable, "-m", "pytest", "-c", "pyproject.toml", "suites/", "-q",
               "--impl", impl, "--results", str(results)]
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    environment.pop("STATEFUL_RNN_IMPL", None)
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True,
                               text=True, timeout=RUN_TIMEOUT_S)
    # Exit 1 is a run with non-holding checks (findings); anything above is a broken run.
    assert completed.returncode in (0, 1), (
        f"pytest exited {completed.returncode}\n{completed.stdout[-3000:]}\n"
        f"{completed.stderr[-3000:]}")
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["complete"], f"{results}: the run did not complete"
    return data


def case_verdicts(data: dict) -> dict[str, str]:
    return {case["nodeid"]: case["verdict"]
            for claim in data["claims"] for case in claim["cases"]}


@pytest.mark.slow
@pytest.mark.timeout(RUNS * RUN_TIMEOUT_S + 60)  # the project-wide 300 s is for one check
def test_three_runs_give_identical_verdicts(tmp_path):
    impl = os.environ.get("DETERMINISM_IMPL", "keras-tensorflow")
    runs = [run_default_suite(impl, tmp_path / f"run-{index}.json") for index in range(RUNS)]

    first = case_verdicts(runs[0])
    assert len(first) > 100, f"only {len(first)} cases ran: not the default suite"
    for index, data in enumerate(runs[1:], start=2):
        verdicts = case_verdicts(data)
        assert verdicts.keys() == first.keys(), (
            f"run {index} ran other cases: "
            f"{sorted(verdicts.keys() ^ first.keys())[:10]}")
        changed = {nodeid: f"{first[nodeid]} -> {verdict}"
                   for nodeid, verdict in verdicts.items() if verdict != first[nodeid]}
        assert not changed, f"flaky checks on {impl}, run 1 -> run {index}: {changed}"
        claim_verdicts = [{c["id"]: c["verdict"] for c in run["claims"]} for run in (runs[0], data)]
        assert claim_verdicts[0] == claim_verdicts[1]
