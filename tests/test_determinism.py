"""Three runs of the default suite on one implementation give identical verdicts, case by case:
one in the usual order, one in reverse order, one on two pytest-xdist workers.

Every check is seeded, so a verdict that changes between runs of the same code is a flaky
check: a finding that could come and go would make every report and every gate decision
worthless. Checks also share built models (``fixtures.rnn.ModelPool``, handed out with their
first weights and a zero state); the reversed and the parallel run show that nothing one check
leaves in a shared model changes another's verdict, whichever ran first and wherever.

The runs are the checks of the suite (``pytest suites/ -m "not slow"``: the training-based
benchmarks record figures, not verdicts) on the default implementation, one after another in
fresh processes, as a user would run them. ``DETERMINISM_IMPL`` picks another implementation.
"""

from __future__ import annotations

import os

import pytest

from tests.suite_runs import case_verdicts

RUN_TIMEOUT_S = 1200
RUNS = {
    "in order": (),
    "in reverse order": ("-p", "tests.reverse_order"),
    "on two xdist workers": ("-n", "2"),
}


@pytest.mark.system
@pytest.mark.timeout(len(RUNS) * RUN_TIMEOUT_S + 60)  # the project-wide 300 s is for one check
def test_three_runs_give_identical_verdicts(shared_runs):
    impl = os.environ.get("DETERMINISM_IMPL", "keras-tensorflow")
    # The in-order run is also the README implementation's reference (test_verdicts_system).
    runs = [shared_runs.run(impl, "suites/", "-m", "not slow", *options, timeout=RUN_TIMEOUT_S)
            for options in RUNS.values()]
    names = list(RUNS)

    first = case_verdicts(runs[0])
    assert len(first) > 100, f"only {len(first)} cases ran: not the whole suite"
    for name, data in zip(names[1:], runs[1:]):
        verdicts = case_verdicts(data)
        assert verdicts.keys() == first.keys(), (
            f"the run {name} ran other cases: {sorted(verdicts.keys() ^ first.keys())[:10]}")
        changed = {nodeid: f"{first[nodeid]} -> {verdict}"
                   for nodeid, verdict in verdicts.items() if verdict != first[nodeid]}
        assert not changed, f"flaky checks on {impl}, {names[0]} -> {name}: {changed}"
        claim_verdicts = [{c["id"]: c["verdict"] for c in run["claims"]} for run in (runs[0], data)]
        assert claim_verdicts[0] == claim_verdicts[1]
        # The xdist controller reads the versions from the installed metadata, not from the
        # loaded Keras: the same as the serial run's.
        assert data["implementation"] == runs[0]["implementation"], name
