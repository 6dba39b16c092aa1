"""Mutation self-test: every planted bug in ``fixtures/mutants`` must be caught by the suite.

For each mutant the suite runs in a subprocess on every check of the claim the mutant breaks
(``--claim <its claim>``) plus the checks of one unrelated claim (the control). A mutant is
killed when its target claim's verdict is not ``holds`` (``fails``, ``error`` or
``inconclusive``) and some case of it broke against the unmutated run of the same base
implementation (``mutation_full.breaks_case``: ``fails`` or ``error`` from another verdict,
``inconclusive`` only from ``holds``); the control's cases must keep the reference verdicts
(the bug must not leak into unrelated checks). The reference is one run per base implementation
on the union of its mutants' selections, computed once per session. Judging is shared with the
full-width run, ``python -m tests.mutation_full`` (``nox -s mutation``), which runs the whole
not-slow suite per mutant and alone writes ``reports/mutation-score.json``; the score of this
narrower run goes to ``mutation-score.json`` in the session's temporary folder, and must be 100%.

The runs are system tests (``pytest tests/test_mutants.py --system``). Runtime: one suite
process per mutant plus one reference per base (10-80 s each on a 2-core machine, mostly
imports and tracing; about 7 minutes in all). ``MUTATION_JOBS=2`` runs two at a time.
"""

from __future__ import annotations

import copy
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fixtures.mutants import MUTANTS, ROW0_DROPPED_WRAPPED, WRONG_BATCH_BROADCAST, Namespace
from harness.implementations import BUILT_IN, load
from harness.results import NON_HOLDING, write_atomic
from suites.test_sequence import OPERATIONS
from tests.mutation_full import (BEYOND_KNOWN_CLAIM, SEQUENCE_CLAIM, judge, judge_sequence,
                                 object_name, score, spec_of)
from tests.suite_runs import PROJECT_ROOT, SharedRuns, case_verdicts

RUN_TIMEOUT_S = 600
# Cheap checks of a claim that none of the mutants targets: stateless layers only, so no bug in
# the stateful path reaches them. Mutants of stateless.* get a control of their own.
CONTROL = "stateless.fresh-state"
CONTROL_FOR_STATELESS = "state.not-weights"


def control_of(mutant) -> str:
    return CONTROL_FOR_STATELESS if mutant.breaks.startswith("stateless.") else CONTROL


def claims_of(mutant) -> list[str]:
    # A bug in an operation the state machine draws must be caught by it too (judged apart).
    return [mutant.breaks, control_of(mutant)] + ([SEQUENCE_CLAIM, BEYOND_KNOWN_CLAIM] if mutant.drawn else [])


def selection(claims, base) -> list[str]:
    # With the base's baseline, as a user runs it (the state machine leaves out the operations
    # known not to hold there); the verdicts judged are the recorded ones, not the exit code.
    arguments = ["suites/", "--baseline", f"suites/baselines/{base}.txt"]
    for claim in dict.fromkeys(claims):
        arguments += ["--claim", claim]
    return arguments


class MutationRuns:
    """Each base's reference run once, then each mutant's run once, on demand; rows kept."""

    def __init__(self, shared: SharedRuns, folder: Path):
        self.shared = shared  # each run once per session, on whichever worker asks first
        self.folder = folder
        self.rows: dict[str, dict] = {}
        self.sequence_rows: dict[str, dict] = {}
        self._references: dict[str, dict] = {}
        self.jobs = max(1, int(os.environ.get("MUTATION_JOBS", "1")))

    def reference(self, base: str) -> dict[str, tuple[str, str]]:
        if base not in self._references:
            claims = [claim for mutant in MUTANTS if mutant.base == base
                      for claim in claims_of(mutant)]
            data = self.shared.run(base, *selection(claims, base), timeout=RUN_TIMEOUT_S)
            self._references[base] = case_verdicts(data)
        return self._references[base]

    def row(self, mutant) -> dict:
        if mutant.name not in self.rows:
            reference = self.reference(mutant.base)
            data = self.shared.run(spec_of(mutant), *selection(claims_of(mutant), mutant.base),
                                   *mutant.pytest_args, timeout=RUN_TIMEOUT_S)
            self.rows[mutant.name] = judge(mutant, data, reference)
            self.sequence_rows[mutant.name] = judge_sequence(mutant, data, reference)
        return self.rows[mutant.name]

    def all_rows(self) -> list[dict]:
        pending = [m for m in MUTANTS if m.name not in self.rows]
        if pending:
            for base in dict.fromkeys(m.base for m in pending):
                self.reference(base)  # once each, before the pool
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                list(pool.map(self.row, pending))
        return [self.rows[m.name] for m in MUTANTS]


@pytest.fixture(scope="module")
def runs(shared_runs, tmp_path_factory):
    return MutationRuns(shared_runs, tmp_path_factory.mktemp("mutants"))


def claims_with_checks() -> set[str]:
    """The claim ids named by a ``@pytest.mark.claim`` or ``check_cases`` in the suite files (read,
    not imported)."""
    found = set()
    for path in (PROJECT_ROOT / "suites").glob("test_*.py"):
        found |= set(re.findall(r"""(?:claim\(|check_cases\([\w.]+,)\s*["']([^"']+)["']""",
                                path.read_text("utf-8")))
    return found


def test_mutants_are_well_formed():
    names = [m.name for m in MUTANTS]
    assert len(MUTANTS) >= 16 and len(set(names)) == len(names)
    from suites.claims import CLAIMS

    checked = claims_with_checks()
    for mutant in MUTANTS:
        assert mutant.name.startswith("mutant-")
        assert mutant.breaks in CLAIMS, mutant.name
        assert mutant.breaks in checked, f"{mutant.name}: no check of {mutant.breaks} in suites/"
        assert mutant.base in BUILT_IN, mutant.name
        assert (mutant.module, mutant.backend) == (BUILT_IN[mutant.base].module,
                                                   BUILT_IN[mutant.base].backend)
        assert control_of(mutant) != mutant.breaks and control_of(mutant) in checked
        assert mutant.drawn is None or mutant.drawn in OPERATIONS, mutant.name
        for name in ("load", "versions", "to_numpy"):
            assert callable(getattr(mutant, name))
        object_name(mutant)
    assert len({m.base for m in MUTANTS}) >= 3, "mutants on at least three implementations"


# In this process: a parallel run sends it to the worker of the other unit tests that import
# Keras, all on keras-tensorflow (KERAS_TENSORFLOW, tests/conftest.py), where a fresh process
# would import TensorFlow again.
def test_wrapped_mutant_changes_only_what_load_returns():
    """ROW0_DROPPED_WRAPPED's load() returns a keras of its own; Keras itself is untouched, so
    the suite kills it only because it tests the namespace load() returns."""
    _, keras = load("keras-tensorflow")
    originals = {cell: (getattr(keras.layers, cell), getattr(keras.layers, cell).call)
                 for cell in ("LSTM", "GRU", "SimpleRNN")}
    implementation, namespace = load("fixtures.mutants:ROW0_DROPPED_WRAPPED")
    assert implementation is ROW0_DROPPED_WRAPPED and isinstance(namespace, Namespace), namespace
    assert namespace is not keras and namespace.Model is keras.Model
    assert namespace.__version__ == keras.__version__
    assert namespace.layers.Dense is keras.layers.Dense
    for cell, (cls, call) in originals.items():
        wrapped = getattr(namespace.layers, cell)
        assert wrapped is not cls and issubclass(wrapped, cls), cell
        assert getattr(keras.layers, cell) is cls and cls.call is call, (
            f"keras.layers.{cell} patched")


def test_inconclusive_kills_only_where_the_stock_run_holds():
    """A case gone inconclusive (another claim fails) is a kill where the stock run held it,
    and none where the stock run already failed it."""
    stock = json.loads((PROJECT_ROOT / "tests" / "data" / "keras-tensorflow-3.15.json").read_text())
    stock["_seconds"] = stock["suite"]["duration_s"]
    claim = WRONG_BATCH_BROADCAST.breaks
    (record,) = [record for record in stock["claims"] if record["id"] == claim]
    held = next(case["nodeid"] for case in record["cases"] if case["verdict"] == "holds")
    failed = next(case["nodeid"] for case in record["cases"] if case["verdict"] == "fails")

    def inconclusive(nodeid):
        run = copy.deepcopy(stock)
        (case,) = [case for record in run["claims"] for case in record["cases"]
                   if case["nodeid"] == nodeid]
        case["verdict"] = "inconclusive"
        return run

    reference = case_verdicts(stock)
    assert judge(WRONG_BATCH_BROADCAST, inconclusive(held), reference)["killed"]
    assert not judge(WRONG_BATCH_BROADCAST, inconclusive(failed), reference)["killed"]


@pytest.mark.system
@pytest.mark.timeout(3 * RUN_TIMEOUT_S)  # at most a reference run and the mutant's own
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_killed(runs, mutant):
    row = runs.row(mutant)
    assert row["target_cases"], f"{mutant.name}: no check of {mutant.breaks} ran"
    assert row["killed"], (
        f"{mutant.name} survived: {mutant.breaks} is {row['target_verdict']} "
        f"({mutant.base}: {row['reference_verdict']}; cases changed: {row['cases_changed']})"
    )
    assert not row["unknown_cases"], f"cases missing from the reference run: {row['unknown_cases']}"
    collateral = {nodeid: change for nodeid, change in row["collateral"].items()
                  if not nodeid.startswith("suites/test_sequence.py")}
    assert not collateral, f"{mutant.name} also changed other claims' cases: {collateral}"
    assert set(row["other_claims"]) <= {control_of(mutant), SEQUENCE_CLAIM, BEYOND_KNOWN_CLAIM}
    assert row["target_verdict"] in NON_HOLDING


@pytest.mark.system
@pytest.mark.timeout(3 * RUN_TIMEOUT_S)
@pytest.mark.parametrize("mutant", [m for m in MUTANTS if m.drawn], ids=lambda m: m.name)
def test_sequence_machine_catches_mutant(runs, mutant):
    """A bug in an operation the state machine draws is caught by sequence.any-order too."""
    runs.row(mutant)
    row = runs.sequence_rows[mutant.name]
    assert row["target_cases"], f"{mutant.name}: no case of {SEQUENCE_CLAIM} ran"
    assert row["killed"], (
        f"{mutant.name} ({mutant.bug}; breaks {mutant.drawn}) not caught by {SEQUENCE_CLAIM}: "
        f"{row['target_verdict']} ({mutant.base}: {row['reference_verdict']})")


@pytest.mark.system
@pytest.mark.timeout(len(MUTANTS) * 2 * RUN_TIMEOUT_S)
def test_mutation_score(runs):
    rows = runs.all_rows()
    result = score(rows, width="claim", selection="each mutant's claim (--claim) and a control")
    path = runs.folder / "mutation-score.json"
    write_atomic(path, result)
    assert result["score"] == 1.0, (
        f"mutation score {result['killed']}/{result['planted']}: {result['survivors']} ({path})")
