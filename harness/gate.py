"""The regression gate: did anything get worse than the baseline?

The baseline directory holds, per implementation name, ``<name>.txt`` (the expected non-holding
cases, harness/baseline.py) and optionally ``<name>.json`` (an earlier results file, the
reference for the benchmark figures and for which cases held). Each change is marked as asv
marks them: ``!`` newly failing, ``+`` worse, ``-`` better (or fixed), ``~`` beyond tolerance but
not significant, ``x`` not comparable. Only ``!`` and ``+`` fail the gate.

The gate reads the expected failures from the baseline directory, not the ``expected`` flags of
the results, so a run made without ``--baseline`` is judged the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from scipy.stats import mannwhitneyu

from harness import baseline, results
from harness.baseline import BaselineError
from harness.report import (
    ACCURACY,
    TIMINGS,
    by_benchmark,
    cell,
    column_name,
    headline,
    table,
)
from harness.results import NON_HOLDING, ResultsError

WORSE = ("!", "+")
ORDER = ("!", "+", "x", "?", "~", "-")
MARKS = ("`!` newly failing · `+` worse · `-` better or fixed · "
         "`?` an observed or measured claim saw something else · "
         "`~` beyond tolerance but not significant · `x` not comparable")


@dataclass(frozen=True)
class Tolerances:
    accuracy: float = 2.0  # a median error may grow this many times before it is worse
    timing: float = 1.5  # a median relative time may grow this many times ...
    alpha: float = 0.05  # ... and the Mann-Whitney U test must give p below this


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

    @property
    def name(self) -> str:
        return self.results["implementation"]["name"]


def load(paths, directory, update: bool) -> list[Run]:
    """Every results file with its baseline; raises ResultsError or BaselineError on bad input.

    With ``update`` a missing baseline is no error (it is about to be written), but an
    incomplete results file is, since the baseline would then lose the cases that did not run.
    """
    directory = Path(directory)
    if not directory.is_dir() and not update:
        raise BaselineError(f"{directory}: no such baseline directory")
    runs = []
    for path in map(Path, paths):
        current = results.load(path)
        name = current["implementation"]["name"]
        if update and not current.get("complete", True):
            raise ResultsError(
                f"{path}: incomplete results file; refusing to update the baseline from it")
        if update and any(run.name == name for run in runs):
            raise ResultsError(f"{path}: a second results file for {name}; update from one only")
        text_path, json_path = directory / f"{name}.txt", directory / f"{name}.json"
        entries = []
        if text_path.exists() or not update:
            entries = load_entries(text_path, name)
        reference = results.load(json_path) if json_path.exists() else None
        if reference is not None and reference["implementation"]["name"] != name:
            raise BaselineError(
                f"{json_path}: baseline of {reference['implementation']['name']}, not of {name}"
            )
        runs.append(Run(path, current, entries, reference))
    return runs


def load_entries(path: Path, name: str) -> list:
    if not path.exists():
        raise BaselineError(f"{path}: no baseline for {name} (create it with gate --update)")
    entries = baseline.load(path)
    # A zero-length file is a truncated one: a file written by --update always has a header.
    if not entries and not path.read_text(encoding="utf-8").strip():
        raise BaselineError(f"{path}: empty baseline file")
    return entries


def check(run: Run, tolerances: Tolerances = Tolerances()) -> list[Change]:
    """The changes of ``run`` against its baseline, worst first."""
    if not run.results.get("complete", True):
        changes = [Change("x", f"`{run.path}`",
                          "incomplete results file (stopped during "
                          f"{run.results.get('running')}); nothing compared")]
    else:
        changes = case_changes(run) + observation_changes(run) + benchmark_changes(run, tolerances)
    return sorted(changes, key=lambda change: ORDER.index(change.mark))


def cases_of(data: dict | None):
    for claim in (data or {}).get("claims", []):
        for case in claim["cases"]:
            yield claim["id"], case


def case_changes(run: Run) -> list[Change]:
    held = {case["nodeid"] for _, case in cases_of(run.reference) if case["verdict"] == "holds"}
    matched = set()
    changes = []
    for claim_id, case in cases_of(run.results):
        nodeid, verdict = case["nodeid"], case["verdict"]
        subject = f"`{nodeid}` ({claim_id})"
        entry = baseline.first_match(run.entries, nodeid)
        if entry is not None:
            matched.add(entry.line)
            if verdict == "holds":
                changes.append(Change("-", subject, f"fixed: holds now; baseline line {entry.line} "
                                                    f"expects it not to ({entry.reason})"))
        elif verdict in NON_HOLDING and nodeid in held:
            changes.append(Change("!", subject,
                                  f"held, now {verdict}: {headline(case['message'])}"))
        elif verdict in NON_HOLDING:
            changes.append(Change("!", subject, f"{verdict}, a claim without a baseline entry: "
                                                f"{headline(case['message'])}"))
        elif verdict == "skipped" and nodeid in held:
            changes.append(Change("x", subject, f"held, now skipped: {headline(case['message'])}"))
    changes += [Change("x", f"`{entry.pattern}`",
                       f"baseline line {entry.line} matches no case in the results")
                for entry in run.entries if entry.line not in matched]
    return changes


def observation_changes(run: Run) -> list[Change]:
    """Observed and measured claims have no promise to break; a different observation is news."""
    before = {claim["id"]: claim.get("observed") for claim in (run.reference or {}).get("claims", [])}
    changes = []
    for claim in run.results["claims"]:
        old, new = before.get(claim["id"]), claim.get("observed")
        if old and new and old != new:
            changes.append(Change("?", f"`{claim['id']}`", f"observed: {new}; was: {old}"))
    return changes


def benchmark_changes(run: Run, tolerances: Tolerances) -> list[Change]:
    # Without a reference results file there are no figures to compare with.
    if run.reference is None:
        return []
    before, now = by_benchmark(run.reference), by_benchmark(run.results)
    changes = []
    for key in dict.fromkeys([*before, *now]):
        subject = f"benchmark {key[0]} / {key[1]}"
        old, new = before.get(key), now.get(key)
        if old is None or new is None:
            side = "baseline" if new is None else "results"
            changes.append(Change("x", subject, f"only in the {side}"))
            continue
        failed = [(side, row) for side, row in (("baseline", old), ("results", new))
                  if row.get("status", "ok") != "ok"]
        if failed:
            changes += [Change("x", subject, f"error in the {side}: {headline(row.get('error'))}")
                        for side, row in failed]
            continue
        changes += [Change(mark, subject, text)
                    for mark, text in accuracy_changes(old, new, tolerances)
                    + timing_changes(old, new, tolerances)]
    return changes


def ratio(new: float, old: float) -> float:
    if old == 0:
        return 1.0 if new == 0 else math.inf
    return new / old


def accuracy_changes(old: dict, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    changes = []
    for metric, label in ACCURACY.items():
        before, after = ((row.get(metric) or {}).get("median") for row in (old, new))
        if before is None and after is None:
            continue
        if before is None or after is None:
            side = "results" if before is None else "baseline"
            changes.append(("x", f"{label}: only in the {side}"))
            continue
        change = ratio(after, before)
        text = (f"{label} {after:.3g}, was {before:.3g} "
                f"(×{change:.2f}; tolerance ×{tolerances.accuracy:g})")
        if change > tolerances.accuracy:
            changes.append(("+", text))
        elif change < 1 / tolerances.accuracy:
            changes.append(("-", text))
    return changes


def relative_values(row: dict, metric: str) -> list[float] | None:
    """Per-seed timings in units of the run's reference workload (the median if no values)."""
    block, reference = row.get(metric), row.get("reference_seconds")
    if not block or not reference:
        return None
    return [value / reference for value in block.get("values") or [block["median"]]]


def timing_changes(old: dict, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    changes = []
    for metric, label in TIMINGS.items():
        before, after = relative_values(old, metric), relative_values(new, metric)
        if before is None and after is None:
            continue
        if before is None or after is None:
            changes.append(("x", f"{label}: missing, or no reference_seconds, in the "
                                 f"{'results' if after is None else 'baseline'}"))
            continue
        change = ratio(median(after), median(before))
        if 1 / tolerances.timing <= change <= tolerances.timing:
            continue
        p = mannwhitneyu(after, before, alternative="greater" if change > 1 else "less").pvalue
        text = (f"{label} ÷ reference {median(after):.3g}, was {median(before):.3g} "
                f"(×{change:.2f}; tolerance ×{tolerances.timing:g}; Mann-Whitney p={p:.3f}, "
                f"{len(after)} vs {len(before)} values)")
        if p < tolerances.alpha:
            changes.append(("+" if change > 1 else "-", text))
        else:
            changes.append(("~", text))
    return changes


def summary(runs: list[Run], directory) -> str:
    worse = sum(change.mark in WORSE for run in runs for change in run.changes)
    title = "✅ nothing got worse"
    if worse:
        title = f"❌ {worse} {'change' if worse == 1 else 'changes'} for the worse"
    sections = [f"# Gate: {title}", f"Marks: {MARKS}."]
    for run in runs:
        sources = [f"`{Path(directory) / (run.name + '.txt')}` (entries: {len(run.entries)})"]
        sources.append(f"`{Path(directory) / (run.name + '.json')}`" if run.reference is not None
                       else "no reference results, so no benchmark comparison")
        sections += [f"## {column_name(run.results)}: `{run.path}`",
                     "Baseline: " + ", ".join(sources) + "."]
        sections.append(table([{"": f"`{change.mark}`", "what": cell(change.subject),
                                "change": cell(change.text)} for change in run.changes])
                        if run.changes else "No changes.")
    return "\n\n".join(sections) + "\n"


def updated_entries(run: Run) -> str:
    """The text of the baseline file after ``gate --update``.

    Entries keep their reasons while they still match a case that does not hold; an entry
    matching some cases that now hold is narrowed to the node ids of the others, so that the
    next run does not expect the fixed cases to fail. New non-holding cases get a TODO reason.
    """
    cases = [case for _, case in cases_of(run.results)]
    kept = []
    for entry in run.entries:
        own = [case for case in cases if baseline.first_match(run.entries, case["nodeid"]) is entry]
        still = [case for case in own if case["verdict"] != "holds"]
        if still and len(still) == len(own):
            kept.append((entry.pattern, entry.reason))
        else:
            kept += [(case["nodeid"], entry.reason) for case in still]
    added = [
        (case["nodeid"], "TODO: explain (added by gate --update: "
                         f"{headline(case['message']) or case['verdict']})")
        for case in cases
        if case["verdict"] in NON_HOLDING
        and baseline.first_match(run.entries, case["nodeid"]) is None
    ]
    header = (f"Expected non-holding cases of {run.name}: <node id pattern>  # <reason>\n"
              "Written by `python -m harness gate --update`; keep the reasons up to date.")
    return baseline.render(kept + added, header)
