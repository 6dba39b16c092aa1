"""Mutation self-test: every planted bug in ``fixtures/mutants`` must be caught by the suite.

For each mutant the suite runs in a subprocess on the checks of the claim the mutant breaks
(``mutant.checks`` and ``mutant.keyword``) plus a few checks of an unrelated claim (the
control). A mutant is killed when its target claim's verdict is ``fails`` or ``error`` and
differs, case by case, from the unmutated keras-tensorflow's; every other claim of the run must
keep the reference verdicts (the bug must not leak into unrelated checks). The reference is one
run of keras-tensorflow on the union of all these selections, computed once per session.

The mutation score (killed / planted) is written to ``reports/mutation-score.json`` with one
row per mutant, and must be 100%.

Runtime: one suite process per mutant plus one for the reference (about 15 s each, mostly the
TensorFlow import). ``MUTATION_JOBS=2`` runs two at a time.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from fixtures.mutants import MUTANTS
from harness.results import write_atomic
from tests.suite_runs import PROJECT_ROOT, case_verdicts, run_suite

SCORE_FILE = PROJECT_ROOT / "reports" / "mutation-score.json"
RUN_TIMEOUT_S = 400
NOT_HOLDING = ("fails", "error")

# A few cheap checks of a claim none of the mutants targets, run alongside each mutant's own.
CONTROL = ("suites/test_setup.py", "test_batch_size_required and LSTM")
CONTROL_FOR_SETUP = ("suites/test_stateless.py", "test_stateless_permutation and LSTM")


def control_of(mutant):
    return CONTROL_FOR_SETUP if CONTROL[0] in mutant.checks else CONTROL


def selection_of(mutant) -> tuple[list[str], str]:
    control_file, control_keyword = control_of(mutant)
    files = list(dict.fromkeys([*mutant.checks, control_file]))
    return files, f"({mutant.keyword}) or ({control_keyword})"


def reference_selection() -> tuple[list[str], str]:
    files, keywords = [], []
    for mutant in MUTANTS:
        mutant_files, keyword = selection_of(mutant)
        files += mutant_files
        keywords.append(keyword)
    return sorted(set(files)), " or ".join(f"({k})" for k in dict.fromkeys(keywords))


def worst(verdicts) -> str:
    for verdict in ("fails", "error", "holds", "skipped"):
        if verdict in verdicts:
            return verdict
    return "skipped"


def summary(message: str) -> str:
    """The finding of a case's message: its first line after the ``[claim] on impl`` header."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if lines and lines[0].startswith("["):
        lines = lines[1:]
    return lines[0][:300] if lines else ""


def judge(mutant, data: dict, reference: dict[str, tuple[str, str]]) -> dict:
    """The mutant's row for the score file: killed or not, and any collateral change."""
    observed = case_verdicts(data)
    missing = sorted(set(observed) - set(reference))
    target = {n: v for n, (c, v) in observed.items() if c == mutant.breaks}
    target_reference = {n: reference[n][1] for n in target if n in reference}
    verdict = worst(target.values())
    changed = sorted(n for n in target if target_reference.get(n) != target[n])
    killed = bool(target) and verdict in NOT_HOLDING and bool(changed)
    collateral = {}
    for nodeid, (claim, value) in observed.items():
        if claim != mutant.breaks and nodeid in reference and reference[nodeid][1] != value:
            collateral[nodeid] = f"{reference[nodeid][1]} -> {value}"
    other_claims = sorted({c for c, _ in observed.values() if c != mutant.breaks})
    messages = [summary(case["message"])
                for claim in data["claims"] if claim["id"] == mutant.breaks
                for case in claim["cases"] if case["verdict"] in NOT_HOLDING]
    return {
        "mutant": mutant.name,
        "object": judge_object_name(mutant),
        "breaks": mutant.breaks,
        "bug": mutant.bug,
        "killed": killed,
        "target_verdict": verdict,
        "reference_verdict": worst(target_reference.values()),
        "target_cases": len(target),
        "cases_changed": changed,
        "other_claims": other_claims,
        "collateral": collateral,
        "unknown_cases": missing,
        "first_message": messages[0] if messages else "",
        "seconds": round(data["_seconds"], 1),
    }


class MutationRuns:
    """The reference run once, then each mutant's run once, on demand; rows kept for the score."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.rows: dict[str, dict] = {}
        self._reference = None
        self.jobs = max(1, int(os.environ.get("MUTATION_JOBS", "1")))

    @property
    def reference(self) -> dict[str, tuple[str, str]]:
        if self._reference is None:
            files, keyword = reference_selection()
            data = run_suite("keras-tensorflow", self.folder / "reference.json", *files, "-k", keyword,
                             timeout=RUN_TIMEOUT_S)
            self._reference = case_verdicts(data)
        return self._reference

    def row(self, mutant) -> dict:
        if mutant.name not in self.rows:
            reference = self.reference
            files, keyword = selection_of(mutant)
            spec = f"fixtures.mutants:{judge_object_name(mutant)}"
            data = run_suite(spec, self.folder / f"{mutant.name}.json", *files, "-k", keyword,
                             timeout=RUN_TIMEOUT_S)
            self.rows[mutant.name] = judge(mutant, data, reference)
        return self.rows[mutant.name]

    def all_rows(self) -> list[dict]:
        pending = [m for m in MUTANTS if m.name not in self.rows]
        if pending:
            self.reference  # noqa: B018 - once, before the pool
            with ThreadPoolExecutor(max_workers=self.jobs) as pool:
                list(pool.map(self.row, pending))
        return [self.rows[m.name] for m in MUTANTS]


def judge_object_name(mutant) -> str:
    import fixtures.mutants as module

    return next(name for name, value in vars(module).items()
                if value is mutant and name.isupper() and name != "MUTANTS")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    return MutationRuns(tmp_path_factory.mktemp("mutants"))


def test_mutants_are_well_formed():
    names = [m.name for m in MUTANTS]
    assert len(MUTANTS) >= 12 and len(set(names)) == len(names)
    from suites.claims import CLAIMS

    for mutant in MUTANTS:
        assert mutant.name.startswith("mutant-")
        assert mutant.breaks in CLAIMS, mutant.name
        for name in ("load", "versions", "to_numpy"):
            assert callable(getattr(mutant, name))
        for path in mutant.checks:
            assert (PROJECT_ROOT / path).is_file(), path
        judge_object_name(mutant)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_killed(runs, mutant):
    row = runs.row(mutant)
    assert row["target_cases"], f"{mutant.name}: no check of {mutant.breaks} was selected"
    assert row["killed"], (
        f"{mutant.name} survived: {mutant.breaks} is {row['target_verdict']} "
        f"(keras-tensorflow: {row['reference_verdict']})"
    )
    assert not row["unknown_cases"], f"cases missing from the reference run: {row['unknown_cases']}"
    assert not row["collateral"], (
        f"{mutant.name} also changed other claims' cases: {row['collateral']}"
    )


def test_mutation_score(runs):
    rows = runs.all_rows()
    killed = sum(row["killed"] for row in rows)
    score = {
        "planted": len(rows),
        "killed": killed,
        "score": killed / len(rows),
        "survivors": [row["mutant"] for row in rows if not row["killed"]],
        "mutants": rows,
    }
    write_atomic(SCORE_FILE, score)
    assert score["score"] == 1.0, f"mutation score {killed}/{len(rows)}: {score['survivors']}"
