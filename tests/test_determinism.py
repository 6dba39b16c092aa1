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

import os

import pytest

from tests.suite_runs import case_verdicts, run_suite

RUNS = 3
RUN_TIMEOUT_S = 1200


@pytest.mark.slow
@pytest.mark.timeout(RUNS * RUN_TIMEOUT_S + 60)  # the project-wide 300 s is for one check
def test_three_runs_give_identical_verdicts(tmp_path):
    impl = os.environ.get("DETERMINISM_IMPL", "keras-tensorflow")
    runs = [run_suite(impl, tmp_path / f"run-{index}.json", "suites/", timeout=RUN_TIMEOUT_S)
            for index in range(RUNS)]

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
