"""The gate's judgement of one run: its changes, worst first, and which marks fail it."""

from __future__ import annotations

from harness.gate.benchmarks import benchmark_changes
from harness.gate.cases import (case_changes, observation_changes, run_changes,
                                vanished_changes)
from harness.gate.runs import Change, Run, Tolerances

ORDER = ("!", "+", "?", "*", "x", "~", "-")


def worse_marks(strict: bool = False, accept: bool = False) -> tuple[str, ...]:
    """The marks that fail the gate: ``*`` too under --strict, ``?`` not under --accept."""
    return ("!", "+") + (() if accept else ("?",)) + (("*",) if strict else ())


def check(run: Run, tolerances: Tolerances = Tolerances()) -> list[Change]:
    """The changes of ``run`` against its baseline, worst first. A run that is no evidence as a
    whole (incomplete, empty, all skipped) is one change and is compared no further."""
    changes = run_changes(run) or (case_changes(run) + vanished_changes(run)
                                   + observation_changes(run) + benchmark_changes(run, tolerances))
    return sorted(changes, key=lambda change: ORDER.index(change.mark))
