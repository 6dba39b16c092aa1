"""The benchmark rows of a run against the reference's: is each there, was it made the same way
(recipe, seeds), did it fail, diverge or miss its target, then its figures.

Accuracy is compared seed by seed: on one machine a seed's figure is reproducible to the bit, so
the spread across seeds (up to ×2.3 from median to worst seed in the committed runs) is not noise
between runs and must not hide a change. Timings are compared in units of the run's calibration
workload, and a slowdown must beat both the tolerance and chance (``significant``).
"""

from __future__ import annotations

import math
from statistics import median

from harness import metrics
from harness.gate.cases import cases_of
from harness.gate.runs import Change, Run, Tolerances
from harness.markdown import headline

# Yes/no figures of a row, each a promise the reference kept or not.
GOALS = {"beats_target": "beats the target MSE", "beats_rollout_goal": "beats the rollout goal"}
# The module whose cases and benchmarks share their marks (all slow): where the selection of a
# benchmark row is read, since the rows record none of their own.
BENCHMARK_MODULE = "suites/test_cosine.py::"


# Statuses whose figures are measured and plausible, so compared: a no-skill row (a forecast no
# better than the series' mean, suites/test_cosine.py) still has figures that can get worse.
MEASURED = ("ok", "no-skill")


def benchmark_changes(run: Run, tolerances: Tolerances) -> list[Change]:
    if run.reference is None:  # only while the baseline is being made: nothing to compare with
        return []
    before, now = metrics.by_benchmark(run.reference), metrics.by_benchmark(run.results)
    changes = []
    for key in dict.fromkeys([*before, *now]):
        subject = f"benchmark {key[0]} / {key[1]}"
        if key not in now:
            mark, text = missing_row(run)
            changes.append(Change(mark, subject, text))
            continue
        changes += [Change(mark, subject, text)
                    for mark, text in row_changes(before.get(key), now[key], tolerances)]
    return changes


def missing_row(run: Run) -> tuple[str, str]:
    """``(mark, text)`` of a benchmark row of the reference missing from the results: gone
    unless the run's selection left out the benchmark module's cases of the reference."""
    selection = run.selection
    chosen = {selection.selects(claim_id, case) for claim_id, case in cases_of(run.reference)
              if case["nodeid"].startswith(BENCHMARK_MODULE)}
    narrowed = ", ".join(selection.narrowing)
    if chosen == {False}:
        return "x", f"not run: the run was narrowed ({narrowed})"
    if narrowed and True not in chosen:
        # Which cases the selection left out is the cases' business (``!`` where it cannot tell).
        return "x", f"not run; the run's selection ({narrowed}) cannot say whether on purpose"
    return "!", "gone from the results: a benchmark of the reference"


def row_changes(old: dict | None, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    """One benchmark against the reference: how it was made, did it run, then its figures."""
    if old is None:
        return [("x", "only in the results: no reference figures (take them with "
                      "gate --update-reference)")]
    made = making_changes(old, new)
    if made:
        return made
    old_status, new_status = old.get("status", "ok"), new.get("status", "ok")
    said, was = headline(new.get("error")), headline(old.get("error"))
    if old_status == "ok" and new_status != "ok":
        return [("!", f"ok in the reference, now {new_status}: {said}")]
    if old_status != "ok" and new_status == "ok":
        return [("-", f"fixed: {old_status} in the reference ({was}), ok now")]
    changes = diverged_changes(old, new) + goal_changes(old, new)
    if old_status not in MEASURED or new_status not in MEASURED:
        if (old_status, was) != (new_status, said):
            how = (f"{old_status} → {new_status}" if old_status != new_status
                   else f"{new_status} differently")
            changes.append(("*", f"{how}: {said}; was: {was}"))
        return changes
    return (changes + accuracy_changes(old, new, tolerances)
            + timing_changes(old, new, tolerances))


def making_changes(old: dict, new: dict) -> list[tuple[str, str]]:
    """Another recipe or other seeds: the figures measure something else, so they are not
    compared, and the gate fails until the reference is retaken from a run made this way."""
    changes = []
    recipe = recipe_difference(old, new)
    if recipe:
        changes.append(("!", f"recipe changed ({recipe}): figures not comparable; retake the "
                             "reference with gate --update-reference"))
    if old.get("seeds") != new.get("seeds"):
        changes.append(("!", f"seeds changed ({old.get('seeds')} → {new.get('seeds')}): "
                             "figures not comparable; retake the reference with "
                             "gate --update-reference"))
    return changes


def recipe_difference(old: dict, new: dict) -> str:
    """What differs between the recipes two rows were trained by (empty: the same)."""
    before, after = old.get("recipe_details") or {}, new.get("recipe_details") or {}
    keys = [key for key in dict.fromkeys([*before, *after]) if before.get(key) != after.get(key)]
    return ", ".join(f"{key} {before.get(key)} → {after.get(key)}" for key in keys)


def diverged_changes(old: dict, new: dict) -> list[tuple[str, str]]:
    before, after = set(old.get("diverged_seeds") or []), set(new.get("diverged_seeds") or [])
    if after - before:
        return [("!", f"seeds {sorted(after - before)} diverged; diverged in the reference: "
                      f"{sorted(before) or 'none'}")]
    if before - after:
        return [("-", f"seeds {sorted(before - after)} no longer diverge")]
    return []


def goal_changes(old: dict, new: dict) -> list[tuple[str, str]]:
    changes = []
    for key, label in GOALS.items():
        before, after = old.get(key), new.get(key)
        if before == after or before is None:
            continue
        if after is None:
            changes.append(("!", f"{label}: {before} in the reference, not recorded now"))
        else:
            changes.append(("+" if before else "-", f"{label}: {after}, was {before}"))
    return changes


def ratio(new: float, old: float) -> float:
    if old == 0:
        return 1.0 if new == 0 else math.inf
    return new / old


def accuracy_changes(old: dict, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    changes = []
    for metric, label in metrics.ACCURACY.items():
        before, after = metrics.samples(old, metric), metrics.samples(new, metric)
        if before is None and after is None:
            continue
        if after is None:
            changes.append(("!", f"{label}: missing from the results (the reference has it)"))
            continue
        if before is None:
            changes.append(("x", f"{label}: only in the results"))
            continue
        was, now = metrics.median(old, metric), metrics.median(new, metric)
        if len(before) != len(after):  # not one value per seed: the medians are all there is
            before, after = [was], [now]
        if not all(map(math.isfinite, before + after)):
            lost = sum(map(math.isfinite, before)) - sum(map(math.isfinite, after))
            if lost > 0:
                not_finite = sum(not math.isfinite(value) for value in after)
                changes.append(("+", f"{label} {now:.3g}, was {was:.3g}: "
                                     f"{not_finite} seeds not finite"))
            continue
        change = median(ratio(a, b) for a, b in zip(after, before))
        text = (f"{label} {now:.3g}, was {was:.3g} (seed by seed ×{change:.2f} at the median; "
                f"tolerance ×{tolerances.accuracy:g})")
        if change > tolerances.accuracy:
            changes.append(("+", text))
        elif change < 1 / tolerances.accuracy:
            changes.append(("-", text))
    return changes


def finite_relative_samples(row: dict, metric: str) -> list[float] | None:
    values = metrics.relative_samples(row, metric)
    values = [value for value in values or [] if math.isfinite(value)]
    return values or None


# What must be equal for two rows to have been timed on the same machine and software.
SAME_MACHINE = ("platform", "cpu_count", "python", "numpy", "keras", "backend_version")


def same_machine(old: dict, new: dict) -> bool:
    before, after = old.get("environment"), new.get("environment")
    return (isinstance(before, dict) and isinstance(after, dict)
            and all(before.get(key) is not None and before.get(key) == after.get(key)
                    for key in SAME_MACHINE))


def finite_samples(row: dict, metric: str) -> list[float] | None:
    values = [value for value in metrics.samples(row, metric) or [] if math.isfinite(value)]
    return values or None


def timing_changes(old: dict, new: dict, tolerances: Tolerances) -> list[tuple[str, str]]:
    """Timings against the reference's. On the same machine and software the seconds
    themselves compare: there the calibration workload only adds its own noise (measured on
    this project's 2-core machine: it flipped between about 25, 50 and 100 ms from row to row
    with the load of the other pytest-xdist worker, while training moved at most ×1.3). Across
    machines the timings compare in units of each run's calibration workload."""
    changes = []
    # A row without its calibration is broken either way: the relative path says it is missing.
    raw = (same_machine(old, new) and metrics.reference(old) is not None
           and metrics.reference(new) is not None)
    for metric, label in metrics.TIMINGS.items():
        before = finite_samples(old, metric) if raw else finite_relative_samples(old, metric)
        after = finite_samples(new, metric) if raw else finite_relative_samples(new, metric)
        if before is None and after is None:
            continue
        if after is None:
            what = ("reference_seconds" if metrics.reference(new) is None
                    else f"{label} itself")
            changes.append(("!", f"{label}: not comparable, {what} missing from the results "
                                 "(the reference has it)"))
            continue
        if before is None:
            changes.append(("x", f"{label}: only in the results"))
            continue
        change = ratio(median(after), median(before))
        if 1 / tolerances.timing <= change <= tolerances.timing:
            continue
        real, evidence = significant(after, before, change > 1, tolerances.alpha)
        unit = "s (same machine)" if raw else "÷ reference"
        text = (f"{label} {unit} {median(after):.3g}, was {median(before):.3g} "
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
