"""The gate's input: each results file with the baseline of its implementation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness import baseline, results
from harness.baseline import BaselineError
from harness.gate.selection import Selection, selection
from harness.results import ResultsError


@dataclass(frozen=True)
class Tolerances:
    # Accuracy is compared seed by seed (a seed's figure is reproducible to the bit on one
    # machine), so the reference's spread across seeds (up to ×2.3 from median to worst seed in
    # the committed runs) does not hide a change: worse when the median of the per-seed ratios
    # passes this factor.
    accuracy: float = 1.25
    # A median relative time may grow this many times before it is worse, and the growth must
    # also beat chance at ``alpha`` (benchmarks.significant).
    timing: float = 1.5
    alpha: float = 0.05


@dataclass
class Change:
    mark: str
    subject: str
    text: str


@dataclass
class Run:
    """One results file and the baseline of its implementation."""

    path: Path
    results: dict
    entries: list
    reference: dict | None
    changes: list[Change] = field(default_factory=list)
    baseline_text: str = ""  # the .txt as it was, which gate --update rewrites line by line

    @property
    def name(self) -> str:
        return self.results["implementation"]["name"]

    @property
    def selection(self) -> Selection:
        return selection(self.results)

    @property
    def narrowed(self) -> list[str]:
        return self.selection.narrowing


def load(paths, directory, update: bool) -> list[Run]:
    """Every results file with its baseline; raises ResultsError or BaselineError on bad input.

    Without ``update`` the baseline directory must hold both files of each implementation:
    without the reference (.json) nothing says which cases and benchmarks must be there. With
    ``update`` a missing baseline is no error (it is about to be written), but an incomplete or
    narrowed results file is, since the baseline would then lose the cases that did not run.
    """
    directory = Path(directory)
    if not directory.is_dir() and not update:
        raise BaselineError(f"{directory}: no such baseline directory")
    runs = []
    for path in map(Path, paths):
        current = results.load(path, known_verdicts=False)  # unknown verdicts fail the gate
        name = current["implementation"]["name"]
        if update and not current.get("complete", True):
            raise ResultsError(
                f"{path}: incomplete results file; refusing to update the baseline from it")
        if update and selection(current).narrowing:
            raise ResultsError(
                f"{path}: the run was narrowed ({', '.join(selection(current).narrowing)}); "
                "refusing to update the baseline from it")
        if update and any(run.name == name for run in runs):
            raise ResultsError(f"{path}: a second results file for {name}; update from one only")
        text_path, json_path = directory / f"{name}.txt", directory / f"{name}.json"
        entries, text = [], ""
        if text_path.exists() or not update:
            entries = load_entries(text_path, name)
            text = text_path.read_text(encoding="utf-8")
        if not json_path.exists() and not update:
            raise BaselineError(f"{json_path}: no reference results for {name} (take them with "
                                "gate --update-reference)")
        reference = results.load(json_path) if json_path.exists() else None
        if reference is not None and reference["implementation"]["name"] != name:
            raise BaselineError(
                f"{json_path}: baseline of {reference['implementation']['name']}, not of {name}"
            )
        runs.append(Run(path, current, entries, reference, baseline_text=text))
    return runs


def load_entries(path: Path, name: str) -> list:
    if not path.exists():
        raise BaselineError(f"{path}: no baseline for {name} (create it with gate --update)")
    entries = baseline.load(path, (name,))
    # A zero-length file is a truncated one: a file written by --update always has a header.
    if not entries and not path.read_text(encoding="utf-8").strip():
        raise BaselineError(f"{path}: empty baseline file")
    return entries
