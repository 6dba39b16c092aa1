"""The regression gate: did anything get worse than the baseline?

The baseline directory holds, per implementation name, ``<name>.txt`` (the expected non-holding
cases, harness/baseline.py) and ``<name>.json`` (the reference: a results file of a real run,
written by ``gate --update`` or ``gate --update-reference``). Against the reference the gate
compares which cases held, how the non-holding ones failed, which cases and benchmarks ran, and
the benchmark figures. Each change is marked as asv marks them, plus one mark of its own:

- ``!`` newly failing: a case that held, a non-holding case without a baseline entry, a
  benchmark that ran and now raises or diverges, or a case or benchmark of the reference that is
  gone from the results;
- ``+`` worse: a figure beyond its tolerance (timings also beyond chance, see ``significant``);
- ``*`` a non-holding case that fails differently (error, fails and inconclusive, or what its
  message says happened), or a failed benchmark that fails differently;
- ``x`` not comparable; ``?`` an observed or measured claim saw something else;
  ``~`` a timing beyond its tolerance but not beyond chance; ``-`` better, or fixed.

``!`` and ``+`` fail the gate, and ``*`` too under ``--strict``. What a run left out on purpose
(its ``pytest_args`` select with ``-k``, ``-m``, ``--claim``, node ids...) is ``x``, not gone.
The gate reads the expected failures from the baseline directory, not the ``expected`` flags of
the results, so a run made without ``--baseline`` is judged the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

from harness import baseline, metrics, results
from harness.baseline import BaselineError
from harness.markdown import cell, column_name, headline, table
from harness.results import NON_HOLDING, ResultsError

WORSE = ("!", "+")
STRICTLY_WORSE = ("*",)  # worse under --strict only
ORDER = ("!", "+", "*", "x", "?", "~", "-")
MARKS = ("`!` newly failing, or gone from the results · `+` worse · "
         "`*` fails differently (worse under --strict) · `-` better or fixed · "
         "`?` an observed or measured claim saw something else · "
         "`~` beyond tolerance but not significant · `x` not comparable")
# pytest options that leave cases out on purpose; the two-letter ones also as -kEXPR.
SELECTING = ("-k", "-m", "--claim", "--deselect", "--ignore", "--ignore-glob", "-x",
             "--exitfirst", "--maxfail", "--lf", "--last-failed", "--sw", "--stepwise")
WITH_VALUE = ("-k", "-m", "--claim", "--deselect", "--ignore", "--ignore-glob", "--maxfail")


@dataclass(frozen=True)
class Tolerances:
    accuracy: float = 2.0  # a median error may grow this many times before it is worse
    timing: float = 1.5  # a median relative time may grow this many times ...
    alpha: float = 0.05  # ... and the change must be significant at this level (significant)


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

    @property
    def narrowed(self) -> list[str]:
        return narrowing(self.results)


def worse_marks(strict: bool = False) -> tuple[str, ...]:
    return WORSE + STRICTLY_WORSE if strict else WORSE


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
        if update and narrowing(current):
            raise ResultsError(
                f"{path}: the run was narrowed ({', '.join(narrowing(current))}); refusing to "
                "update the baseline from it")
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
        changes = (case_changes(run) + vanished_changes(run) + observation_changes(run)
                   + benchmark_changes(run, tolerances))
    return sorted(changes, key=lambda change: ORDER.index(change.mark))


def narrowing(data: dict) -> list[str]:
    """The arguments with which a run left cases out on purpose: selecting options, and the
    files or node ids it was given (``suites/test_cosine.py``, ``...::test_index_i``)."""
    args = [str(arg) for arg in (data.get("suite") or {}).get("pytest_args") or []]
    found = []
    for index, arg in enumerate(args):
        option = next((option for option in SELECTING if arg == option
                       or arg.startswith(option + "=")
                       or (len(option) == 2 and arg.startswith(option))), None)
        if option is not None:
            value = arg[len(option):].removeprefix("=")
            if not value and option in WITH_VALUE and index + 1 < len(args):
                value = args[index + 1]
            found.append(f"{option} {value}".strip())
        elif not arg.startswith("-") and (arg.endswith(".py") or "::" in arg):
            if not index or args[index - 1] not in WITH_VALUE:  # not the value of -k, --deselect
                found.append(arg)
    return found


def cases_of(data: dict | None):
    for claim in (data or {}).get("claims", []):
        for case in claim.get("cases", []):
            yield claim["id"], case


def case_changes(run: Run) -> list[Change]:
    before = {case["nodeid"]: case for _, case in cases_of(run.reference)}
    matched = set()
    changes = []
    for claim_id, case in cases_of(run.results):
        nodeid, verdict = case["nodeid"], case["verdict"]
        subject = f"`{nodeid}` ({claim_id})"
        old = before.get(nodeid)
        held = old is not None and old["verdict"] == "holds"
        entry = baseline.first_match(run.entries, nodeid)
        if entry is not None:
            matched.add(entry.line)
            if verdict == "holds":
                changes.append(Change("-", subject, f"fixed: holds now; baseline line {entry.line} "
                                                    f"expects it not to ({entry.reason})"))
            elif old is not None and old["verdict"] in NON_HOLDING:
                difference = failure_difference(old, case)
                if difference:
                    changes.append(Change("*", subject, difference))
        elif verdict in NON_HOLDING and held:
            changes.append(Change("!", subject,
                                  f"held, now {verdict}: {headline(case.get('message'))}"))
        elif verdict in NON_HOLDING:
            changes.append(Change("!", subject, f"{verdict}, a claim without a baseline entry: "
                                                f"{headline(case.get('message'))}"))
        elif verdict == "skipped" and held:
            changes.append(Change("x", subject,
                                  f"held, now skipped: {headline(case.get('message'))}"))
    unmatched = [entry for entry in run.entries if entry.line not in matched]
    if unmatched and run.narrowed:
        changes.append(Change("x", counted(len(unmatched), "baseline line"), "match no case: "
                              f"the run was narrowed ({', '.join(run.narrowed)})"))
    else:
        changes += [Change("x", f"`{entry.pattern}`",
                           f"baseline line {entry.line} matches no case in the results")
                    for entry in unmatched]
    return changes


def failure_difference(old: dict, new: dict) -> str | None:
    """How a case that did not hold in the reference and does not hold now fails differently:
    another verdict, or another account of what happened (the ``observed:`` line of a check's
    message, else its first line; the line naming the claim and versions is left out, so that a
    new release does not mark every case)."""
    said, was = headline(new.get("message")), headline(old.get("message"))
    if new["verdict"] != old["verdict"]:
        return f"{old['verdict']} → {new['verdict']}: {said}; was: {was}"
    if said != was:
        return f"{new['verdict']} differently: {said}; was: {was}"
    return None


def vanished_changes(run: Run) -> list[Change]:
    """Cases of the reference that are not in the results: ``!`` per claim that lost them all,
    else per case; one ``x`` for them all when the run left cases out on purpose."""
    present = {case["nodeid"] for _, case in cases_of(run.results)}
    gone: dict[str, list[str]] = {}
    total: dict[str, int] = {}
    for claim_id, case in cases_of(run.reference):
        total[claim_id] = total.get(claim_id, 0) + 1
        if case["nodeid"] not in present:
            gone.setdefault(claim_id, []).append(case["nodeid"])
    if gone and run.narrowed:
        count = sum(len(nodeids) for nodeids in gone.values())
        return [Change("x", counted(count, "case") + " of the reference",
                       f"not run: the run was narrowed ({', '.join(run.narrowed)}); claims "
                       f"{listing(list(gone), 5)}")]
    changes = []
    for claim_id, nodeids in gone.items():
        if len(nodeids) == total[claim_id]:
            which = "its only case" if len(nodeids) == 1 else f"all {len(nodeids)} of its cases"
            changes.append(Change("!", f"`{claim_id}`", f"gone from the results: {which} in "
                                  f"the reference ({listing(nodeids)})"))
        else:
            changes += [Change("!", f"`{nodeid}` ({claim_id})",
                               "gone from the results: a case of the reference")
                        for nodeid in nodeids]
    return changes


def listing(names: list[str], shown: int = 3) -> str:
    text = ", ".join(f"`{name}`" for name in names[:shown])
    return text + (f" and {len(names) - shown} more" if len(names) > shown else "")


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def observation_changes(run: Run) -> list[Change]:
    """Observed and measured claims have no promise to break; a different observation is news.

    Read on the cases that both runs have, as a set: a run narrowed to some entry points, or
    whose workers finished in another order, did not see something else.
    """
    before = {claim["id"]: claim for claim in (run.reference or {}).get("claims", [])}
    changes = []
    for claim in run.results["claims"]:
        if claim["id"] not in before:
            continue
        ran = {case["nodeid"] for case in claim["cases"]}
        old, new = observations(before[claim["id"]], ran), observations(claim, ran)
        if old and new and set(old) != set(new):
            changes.append(Change("?", f"`{claim['id']}`",
                                  f"observed: {'; '.join(new)}; was: {'; '.join(old)}"))
    return changes


def observations(claim: dict, nodeids: set[str]) -> list[str]:
    """What the claim's cases among ``nodeids`` observed, each once."""
    return list(dict.fromkeys(case["observed"] for case in claim["cases"]
                              if case.get("observed") and case["nodeid"] in nodeids))


def benchmark_changes(run: Run, tolerances: Tolerances) -> list[Change]:
    # Without a reference results file there are no figures to compare with.
    if run.reference is None:
        return []
    before, now = metrics.by_benchmark(run.reference), metrics.by_benchmark(run.results)
    changes = []
    for key in dict.fromkeys([*before, *now]):
        subject = f"benchmark {key[0]} / {key[1]}"
        changes += [Change(mark, subject, text)
                    for mark, text in row_changes(before.get(key), now.get(key), run, tolerances)]
    return changes


def row_changes(old: dict | None, new: dict | None, run: Run,
                tolerances: Tolerances) -> list[tuple[str, str]]:
    """One benchmark against the reference: is it there, did it run, then its figures."""
    if new is None:
        if run.narrowed:
            return [("x", f"not run: the run was narrowed ({', '.join(run.narrowed)})")]
        return [("!", "gone from the results: a benchmark of the reference")]
    if old is None:
        return [("x", "only in the results: no reference figures (take them with "
                      "gate --update-reference)")]
    old_status, new_status = old.get("status", "ok"), new.get("status", "ok")
    said, was = headline(new.get("error")), headline(old.get("error"))
    if old_status == "ok" and new_status != "ok":
        return [("!", f"ok in the reference, now {new_status}: {said}")]
    if old_status != "ok" and new_status == "ok":
        return [("-", f"fixed: {old_status} in the reference ({was}), ok now")]
    if old_status != "ok":
        if (old_status, was) == (new_status, said):
            return []
        how = (f"{old_status} → {new_status}" if old_status != new_status
               else f"{new_status} differently")
        return [("*", f"{how}: {said}; was: {was}")]
    recipe = recipe_difference(old, new)
    if recipe:
        return [("x", f"recipe changed ({recipe}): figures not comparable; take the new "
                      "reference with gate --update-reference")]
    return accuracy_changes(old, new, tolerances) + timing_changes(old, new, tolerances)


def recipe_difference(old: dict, new: dict) -> str:
    """What differs between the recipes two rows were trained by (empty: the same)."""
    before, after = old.get("recipe_details"), new.get("recipe_details")
    if not isinstance(before, dict) or not isinstance(after, dict):
        return ""
    keys = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    return ", ".join(f"{key} {before.get(key)} → {after.get(key)}" for key in keys)


def ratio(new: float, old: float) -> float:
    if old == 0:
        return 1.0 if new == 0 else math.inf
    return new / old


def accuracy_changes(old: dict, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    changes = []
    for metric, label in metrics.ACCURACY.items():
        before, after = metrics.median(old, metric), metrics.median(new, metric)
        if before is None and after is None:
            continue
        if before is None or after is None:
            side = "results" if before is None else "baseline"
            changes.append(("x", f"{label}: only in the {side}"))
            continue
        if not (math.isfinite(before) and math.isfinite(after)):
            if math.isfinite(before) != math.isfinite(after):
                changes.append(("+" if math.isfinite(before) else "-",
                                f"{label} {after:.3g}, was {before:.3g}"))
            continue
        change = ratio(after, before)
        text = (f"{label} {after:.3g}, was {before:.3g} "
                f"(×{change:.2f}; tolerance ×{tolerances.accuracy:g})")
        if change > tolerances.accuracy:
            changes.append(("+", text))
        elif change < 1 / tolerances.accuracy:
            changes.append(("-", text))
    return changes


def finite_relative_samples(row: dict, metric: str) -> list[float] | None:
    values = metrics.relative_samples(row, metric)
    values = [value for value in values or [] if math.isfinite(value)]
    return values or None


def timing_changes(old: dict, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    changes = []
    for metric, label in metrics.TIMINGS.items():
        before = finite_relative_samples(old, metric)
        after = finite_relative_samples(new, metric)
        if before is None and after is None:
            continue
        if before is None or after is None:
            changes.append(("x", f"{label}: missing, or no reference_seconds, in the "
                                 f"{'results' if after is None else 'baseline'}"))
            continue
        change = ratio(median(after), median(before))
        if 1 / tolerances.timing <= change <= tolerances.timing:
            continue
        real, evidence = significant(after, before, change > 1, tolerances.alpha)
        text = (f"{label} ÷ reference {median(after):.3g}, was {median(before):.3g} "
                f"(×{change:.2f}; tolerance ×{tolerances.timing:g}; {evidence})")
        changes.append(("+" if change > 1 else "-", text) if real else ("~", text))
    return changes


def significant(after: list[float], before: list[float], slower: bool,
                alpha: float) -> tuple[bool, str]:
    """Whether ``after`` lies beyond ``before`` (above if ``slower``) by more than chance, and
    the evidence in words.

    The one-sided Mann-Whitney U test must give p < ``alpha``. Where the sample sizes cannot
    reach ``alpha`` (the smallest exact p, every value beyond every reference value, is
    1 / C(n + m, n): 0.05 for the suite's 3 seeds against 3, 0.1 for 2 against 3), the change
    counts when every value lies beyond every reference value: the strongest evidence those
    samples can give. Under no change, with seeds that are exchangeable, that happens by chance
    with probability 1 / C(n + m, n) (5 % for 3 against 3); a slowdown by a factor k on every
    seed is always caught when k is above the tolerance and above the reference's max/min
    spread over its seeds.
    """
    floor = 1 / math.comb(len(after) + len(before), len(after))
    beyond = min(after) > max(before) if slower else max(after) < min(before)
    if floor >= alpha:
        return beyond, (f"{'every' if beyond else 'not every'} one of {len(after)} values "
                        f"beyond every one of {len(before)} reference values; Mann-Whitney "
                        f"p ≥ {floor:.3g} with so few")
    from scipy.stats import mannwhitneyu  # here: importing scipy.stats takes 1-2 s

    p = mannwhitneyu(after, before, alternative="greater" if slower else "less").pvalue
    return p < alpha, f"Mann-Whitney p={p:.3f}, {len(after)} vs {len(before)} values"


def summary(runs: list[Run], directory, strict: bool = False) -> str:
    worse = sum(change.mark in worse_marks(strict) for run in runs for change in run.changes)
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
        if run.narrowed:
            sections.append(f"The run was narrowed ({cell(', '.join(run.narrowed))}): what it "
                            "left out is marked `x`, not gone.")
        sections.append(table([{"": f"`{change.mark}`", "what": cell(change.subject),
                                "change": cell(change.text)} for change in run.changes])
                        if run.changes else "No changes.")
        sections += verdict_section(run)
    return "\n\n".join(sections) + "\n"


def verdict_changes(run: Run) -> list[tuple[str, str, str]]:
    """``(claim, verdict in the reference, verdict now)`` for each claim of both whose verdict
    differs: what a newer version (a nightly against the release's reference) changes, claim by
    claim. A claim a narrowed run left out entirely (skipped now) is not a change."""
    before = {claim["id"]: claim["verdict"] for claim in (run.reference or {}).get("claims", [])}
    changed = []
    for claim in run.results["claims"]:
        old, new = before.get(claim["id"]), claim["verdict"]
        if old is None or old == new or (new == "skipped" and run.narrowed):
            continue
        changed.append((claim["id"], old, new))
    return changed


def verdict_section(run: Run) -> list[str]:
    if run.reference is None or not run.results.get("complete", True):
        return []
    heading = (f"Claims whose verdict differs from the reference, "
               f"{column_name(run.reference)} → {column_name(run.results)}:")
    changed = verdict_changes(run)
    if not changed:
        return [f"{heading} none."]
    return [heading, table([{"claim": f"`{claim}`", "reference": old, "now": new}
                            for claim, old, new in changed])]


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
                         f"{headline(case.get('message')) or case['verdict']})")
        for case in cases
        if case["verdict"] in NON_HOLDING
        and baseline.first_match(run.entries, case["nodeid"]) is None
    ]
    header = (f"Expected non-holding cases of {run.name}: <node id pattern>  # <reason>\n"
              "Written by `python -m harness gate --update`; keep the reasons up to date.")
    return baseline.render(kept + added, header)
