"""``gate --update``: the baseline file rewritten from a run, line by line.

Only the lines that change are rewritten: the header, the comments, the order and the
alignment of every other line stay as they were, so that the diff of an update is what the run
changed. An entry keeps its line while every case it matches still does not hold; an entry
matching some cases that hold now becomes the node ids of the others (the next run must not
expect the fixed cases to fail); an entry matching nothing that does not hold goes. New
non-holding cases are added at the end with a TODO reason.
"""

from __future__ import annotations

from harness import baseline
from harness.gate.cases import cases_of
from harness.gate.runs import Run
from harness.markdown import headline
from harness.results import NON_HOLDING


def header(name: str) -> str:
    return (f"# implementation: {name}\n"
            f"# Expected non-holding cases of {name}: <node id pattern>  # <reason>\n"
            "# Written by `python -m harness gate --update`; keep the reasons up to date.\n")


def updated_entries(run: Run) -> str:
    """The text of the run's baseline file after ``gate --update``."""
    cases = [case for _, case in cases_of(run.results)]
    owner = {case["nodeid"]: baseline.first_match(run.entries, case["nodeid"]) for case in cases}
    replaced: dict[int, list[str]] = {}
    for entry in run.entries:
        own = [case for case in cases if owner[case["nodeid"]] is entry]
        still = [case for case in own if case["verdict"] != "holds"]
        if not still or len(still) != len(own):
            replaced[entry.line] = [f"{case['nodeid']}  # {entry.reason}" for case in still]
    added = [f"{case['nodeid']}  # TODO: explain (added by gate --update: "
             f"{headline(case.get('message')) or case['verdict']})"
             for case in cases if case["verdict"] in NON_HOLDING and owner[case["nodeid"]] is None]
    lines = (run.baseline_text or header(run.name)).splitlines()
    kept = [new for number, line in enumerate(lines, start=1)
            for new in replaced.get(number, [line])]
    return "\n".join(kept + added) + "\n"
