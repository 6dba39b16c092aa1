"""``python -m harness migrate FROM.json TO.json``: what changes for a stateful model moved from
one implementation (or release) to another, and what to write instead.

The report opens with what a user asks (what breaks, why, what to write instead), one line per
root cause on the TO side (harness/findings.py: the reason its baseline gives), then the claims
that start holding and other changes; then the benchmarks of both sides, the three Keras 3
backends of TO's release side by side (the results files beside TO.json), each root cause in
detail with the recipe a user copies into their own code, and the unchanged claims last.

A recipe is offered only where the workaround check that runs it holds in TO.json; its code is
the workaround's ``recipe_source()`` (suites/claims.py, ``WORKAROUNDS``): the functions of
suites/recipes.py as the check runs them, plain Keras and NumPy, nothing of the suite.
"""

from __future__ import annotations

import inspect
import math
import statistics
from dataclasses import dataclass
from pathlib import Path
from textwrap import shorten

from harness import findings, metrics
from harness.gate.benchmarks import SAME_MACHINE, significant
from harness.gate.runs import Tolerances
from harness.markdown import (
    claim_label,
    claim_symbol,
    headline,
    number,
    table,
    telling_case,
    verdict_tally,
)
from harness.results import NON_HOLDING, ResultsError, load
from harness.workarounds import holding, worked_around
from suites.claims import NO_WORKAROUND_CHECK, WORKAROUNDS, names_in

KERAS_3_BACKENDS = ("keras-tensorflow", "keras-jax", "keras-torch")
# The benchmark the alternatives show: the article's model, a stateful LSTM.
HEADLINE_MODEL = "stateful"
# The gate's same-machine test less the Keras and backend versions, which a migration changes on
# purpose: the calibration workload is plain NumPy, so on one machine the seconds compare.
MACHINE = tuple(key for key in SAME_MACHINE if key not in ("keras", "backend_version"))
TIMING_NOTE = ("Train time is compared in seconds where every run was timed on the same machine "
               f"({', '.join(MACHINE)} equal), else in units of each run's calibration workload "
               "(a fixed NumPy workload timed in the same run), as the gate compares timings; a "
               "change counts when it beats chance as the gate's does (Mann-Whitney, or every "
               "seed beyond every other seed).")
# A line of the first screen keeps the start of a long cause; its section has it all.
CAUSE_WIDTH = 200
MESSAGE_WIDTH = 120


def release(results: dict) -> str:
    """``<implementation>-<major.minor>`` of a results file: tf-keras-2.21, keras-jax-3.15."""
    implementation = results["implementation"]
    return f"{implementation['name']}-{keras_release(results)}"


def keras_release(results: dict) -> str:
    version = str(results["implementation"].get("keras") or "unknown")
    return ".".join(version.split(".")[:2])


def default_output(before: dict, after: dict) -> Path:
    return Path("reports") / f"MIGRATION-{release(before)}-to-{release(after)}.md"


def side_name(results: dict) -> str:
    implementation = results["implementation"]
    return f"{implementation['name']} {implementation.get('keras', '?')}"


def describe(results: dict) -> str:
    implementation = results["implementation"]
    return (f"{implementation['name']}, keras {implementation.get('keras')}, "
            f"{implementation.get('backend')} {implementation.get('backend_version')}")


def check_pair(before: tuple[Path, dict], after: tuple[Path, dict]) -> None:
    (from_path, from_data), (to_path, to_data) = before, after
    if side_name(from_data) == side_name(to_data):
        raise ResultsError(f"{from_path} and {to_path} are both {side_name(from_data)}: a "
                           "migration needs two implementations or two releases")


# -- what changed --------------------------------------------------------------------------------
@dataclass
class Change:
    claim_id: str
    before: dict | None
    after: dict | None

    @property
    def kind(self) -> str:
        before, after = self.before, self.after
        if before is None or after is None:
            return "checked on one side only"
        if "skipped" in (before["verdict"], after["verdict"]):
            return "skipped on one side"
        was, now = before["verdict"] == "holds", after["verdict"] == "holds"
        if was and not now:
            return "stops holding"
        if now and not was:
            return "starts holding"
        if before["verdict"] != after["verdict"]:
            return "fails differently"
        return "records something else"

    @property
    def breaks(self) -> bool:
        """Does not hold on the TO side: a root cause there explains it."""
        return self.after is not None and self.after["verdict"] in NON_HOLDING

    def arrow(self) -> str:
        return f"{symbol(self.before)} → {symbol(self.after)}"


PLURALS = {"stops holding": "stop holding", "starts holding": "start holding",
           "fails differently": "fail differently", "records something else":
           "record something else"}


def outcome(claim: dict | None) -> str:
    """The verdict as compared: an observed claim's record counts, not only its verdict."""
    if claim is None:
        return "absent"
    return f"{claim['verdict']}|{claim.get('observed') or ''}"


def symbol(claim: dict | None) -> str:
    return "–" if claim is None else claim_symbol(claim)


def claims_by_id(results: dict) -> dict[str, dict]:
    return {claim["id"]: claim for claim in results["claims"] if worked_around(claim) is None}


def cases_line(claim: dict) -> str:
    ran = [case for case in claim["cases"] if case["verdict"] != "skipped"]
    held = sum(case["verdict"] == "holds" for case in ran)
    return f"{held} of {len(ran)} cases hold" if ran else "no case ran"


# -- recipes ---------------------------------------------------------------------------------
@dataclass
class Recipe:
    """The code of verified workarounds that share their recipes, and what it was verified for."""

    names: tuple[str, ...]  # the recipe functions a user calls
    code: str | None  # None: a workaround of TO.json that this catalogue does not know
    verified_by: list[str]  # workaround ids that hold in TO.json
    claims: list[str]

    @property
    def title(self) -> str:
        return ", ".join(f"`{name}`" for name in self.names)


def recipe_code(workaround) -> str:
    """The workaround's recipes as a user copies them: the modules they use imported, then the
    functions (``recipe_source``)."""
    source = workaround.recipe_source()
    module_globals = workaround.recipes[0].__globals__
    imports = []
    for name in sorted(names_in(compile(source, "<recipe>", "exec"))):
        module = module_globals.get(name)
        if inspect.ismodule(module):
            imports.append(f"import {module.__name__}" + (
                f" as {name}" if name != module.__name__ else ""))
    return "\n".join(imports) + "\n\n\n" + source if imports else source


def recipes_of(cause: findings.Cause, claims: list[str]) -> list[Recipe]:
    """The recipes of the workarounds that hold on TO (``cause.workarounds``) for ``claims`` of
    ``cause``, those that cover the most claims first."""
    found: dict[tuple, Recipe] = {}
    for name, claim_ids in cause.workarounds.items():
        for claim_id in claim_ids:
            if claim_id not in claims:
                continue
            workaround = next((workaround for workaround in WORKAROUNDS.values()
                               if (workaround.target, workaround.name) == (claim_id, name)), None)
            if workaround is None:
                # The id as TO.json has it (harness/workarounds.holding took the name from it).
                shown_as = f"workaround.{claim_id}.{name}"
                key, code = (shown_as,), None
            else:
                shown_as = workaround.id
                key = tuple(function.__name__ for function in workaround.recipes)
                code = recipe_code(workaround)
            recipe = found.setdefault(key, Recipe(key, code, [], []))
            recipe.verified_by.append(shown_as)
            if claim_id not in recipe.claims:
                recipe.claims.append(claim_id)
    return sorted(found.values(), key=lambda recipe: -len(recipe.claims))


def without_recipe(changed: list[str], recipes: list[Recipe]) -> list[str]:
    covered = {claim_id for recipe in recipes for claim_id in recipe.claims}
    return [claim_id for claim_id in changed if claim_id not in covered]


def tried(claim_id: str, to_data: dict) -> str:
    """What was tried for a claim without a verified workaround on TO."""
    checks = [claim for claim in to_data["claims"] if worked_around(claim) == claim_id]
    if checks:
        return "tried here, not holding: " + ", ".join(
            f"`{claim['id']}` ({claim['verdict']})" for claim in checks)
    return NO_WORKAROUND_CHECK.get(claim_id, "no workaround check yet")


# -- the report ------------------------------------------------------------------------------
@dataclass
class Group:
    """A root cause of TO with the changed claims it explains and their recipes."""

    cause: findings.Cause
    claims: list[str]
    recipes: list[Recipe]


def render(before: tuple[Path, dict], after: tuple[Path, dict]) -> str:
    check_pair(before, after)
    (from_path, from_data), (to_path, to_data) = before, after
    from_claims, to_claims = claims_by_id(from_data), claims_by_id(to_data)
    ids = list(dict.fromkeys([*from_claims, *to_claims]))
    changes = [Change(claim_id, from_claims.get(claim_id), to_claims.get(claim_id))
               for claim_id in ids
               if outcome(from_claims.get(claim_id)) != outcome(to_claims.get(claim_id))]
    changed = {change.claim_id for change in changes}
    unchanged = [claim_id for claim_id in ids if claim_id not in changed]
    broken = [change.claim_id for change in changes if change.breaks]
    groups = []
    for cause in findings.causes(to_data):
        claims = [claim_id for claim_id in cause.claims if claim_id in broken]
        if claims:
            groups.append(Group(cause, claims, recipes_of(cause, claims)))
    from_name, to_name = side_name(from_data), side_name(to_data)

    sections = [f"# Migrating stateful RNNs from {from_name} to {to_name}",
                f"From `{from_path}` ({describe(from_data)}) to `{to_path}` "
                f"({describe(to_data)}).",
                *incomplete_warnings(from_data, to_data),
                counts_line(ids, changes, unchanged),
                f"## What does not hold on {to_name}, why, and what to write instead",
                breaks_summary(groups, to_name, changes)]
    starting = [change for change in changes if change.kind == "starts holding"]
    if starting:
        sections += [f"## What starts holding on {to_name}", fixed_list(starting, from_data)]
    others = [change for change in changes
              if not change.breaks and change.kind != "starts holding"]
    if others:
        sections += ["## Other changes", other_list(others)]
    sections += ["## Benchmarks", benchmarks_section(from_data, to_data),
                 f"## The alternatives: Keras {keras_release(to_data)} on each backend",
                 alternatives_section(from_data, to_path, to_data)]
    if groups:
        sections += [f"## The root causes on {to_name} in detail",
                     *causes_detail(groups, {c.claim_id: c for c in changes}, to_data,
                                    to_name)]
    sections += ["## Unchanged", unchanged_list(unchanged, from_claims)]
    return "\n\n".join(sections) + "\n"


def incomplete_warnings(*sides: dict) -> list[str]:
    return [f"> ⚠ Incomplete results for {side_name(data)}: the run stopped during "
            f"`{data.get('running')}`; claims it did not reach may be missing."
            for data in sides if not data.get("complete", True)]


def counts_line(ids: list[str], changes: list[Change], unchanged: list[str]) -> str:
    if not changes:
        return f"{len(ids)} claims, all unchanged."
    counts: dict[str, int] = {}
    for change in changes:
        counts[change.kind] = counts.get(change.kind, 0) + 1
    return (f"{len(ids)} claims: {len(changes)} change ("
            + ", ".join(f"{n} {PLURALS.get(kind, kind) if n > 1 else kind}"
                        for kind, n in counts.items())
            + f"), {len(unchanged)} unchanged.")


def breaks_summary(groups: list[Group], to_name: str, changes: list[Change]) -> str:
    if not groups:
        return "Nothing: every claim whose verdict changed holds here."
    lines = [f"One line per root cause on {to_name} (the reason its baseline gives, or what the "
             "failures say), with the claims it breaks and the recipes whose workaround check "
             "holds there (their code is under the root causes in detail; a claim with cases of "
             "several causes is under each):", ""]
    kinds = {change.claim_id: change.kind for change in changes}
    for index, group in enumerate(groups, 1):
        stopped = sum(kinds[claim_id] == "stops holding" for claim_id in group.claims)
        what = findings.plural(len(group.claims), "claim")
        if stopped == len(group.claims):
            what += " stops holding" if stopped == 1 else " stop holding"
        elif stopped:
            what += f" ({stopped} stop holding)"
        instead = [f"{recipe.title} ({findings.plural(len(recipe.claims), 'claim')})"
                   for recipe in group.recipes]
        missing = without_recipe(group.claims, group.recipes)
        if missing:
            instead.append("no verified workaround for "
                           + (findings.plural(len(missing), "claim") if instead
                              else ", ".join(f"`{claim_id}`" for claim_id in missing)))
        lines.append(f"{index}. **{cause_text(group.cause, CAUSE_WIDTH)}**: {what}; "
                     f"write instead: {'; '.join(instead)}.")
    return "\n".join(lines)


def cause_text(cause: findings.Cause, width: int | None = None) -> str:
    return cause.text if width is None else shorten(cause.text, width, placeholder=" …")


def fixed_list(changes: list[Change], from_data: dict) -> str:
    """The claims that start holding, by their root causes on the FROM side (causes that
    explain the same claims share a line)."""
    starting = [change.claim_id for change in changes]
    by_claims: dict[tuple[str, ...], list[str]] = {}
    for cause in findings.causes(from_data):
        fixed = tuple(claim_id for claim_id in cause.claims if claim_id in starting)
        if fixed:
            by_claims.setdefault(fixed, []).append(f"**{cause_text(cause, CAUSE_WIDTH)}**")
    return "The same code holds where the FROM side failed:\n\n" + "\n".join(
        f"- {'; '.join(causes)}: " + ", ".join(f"`{claim_id}`" for claim_id in fixed)
        + (" now holds" if len(fixed) == 1 else " now hold")
        for fixed, causes in by_claims.items())


def other_list(changes: list[Change]) -> str:
    def shown(claim: dict | None) -> str:
        if claim is None:
            return "not checked"
        # What a claim records (an observed claim's finding, the operations a sequence drew)
        # is what changed where the verdict did not.
        text = f"{claim_symbol(claim)} {claim['observed']}" if claim.get("observed") \
            else claim_label(claim)
        return shorten(text, MESSAGE_WIDTH, placeholder=" …")
    return "\n".join(f"- `{change.claim_id}` ({change.kind}): {shown(change.before)} → "
                     f"{shown(change.after)}" for change in changes)


def unchanged_list(ids: list[str], from_claims: dict) -> str:
    if not ids:
        return "None."
    groups: dict[str, list[str]] = {}
    for claim_id in ids:
        groups.setdefault(claim_label(from_claims[claim_id]), []).append(f"`{claim_id}`")
    return "\n".join(f"- {label} on both: {', '.join(names)}" for label, names in groups.items())


def causes_detail(groups: list[Group], changes: dict[str, Change], to_data: dict,
                  to_name: str) -> list[str]:
    sections, shown = [], {}
    for index, group in enumerate(groups, 1):
        lines = [f"### {index}. {cause_text(group.cause)}", ""]
        for claim_id in group.claims:
            change = changes[claim_id]
            case = telling_case(change.after)
            message = shorten(headline(case["message"]), MESSAGE_WIDTH, placeholder=" …") \
                if case is not None and case.get("message") else ""
            lines.append(f"- `{claim_id}` {change.arrow()} ({cases_line(change.after)})"
                         + (f": {message}" if message else ""))
        if group.cause.threads is not None:
            lines += ["", "Upstream: " + findings.threads_text(group.cause.threads) + "."]
        for recipe in group.recipes:
            checks = ", ".join(f"`{workaround_id}`" for workaround_id in recipe.verified_by)
            lines += ["", f"**Write instead: {recipe.title}**, for "
                      + ", ".join(f"`{claim_id}`" for claim_id in recipe.claims)
                      + f"; verified on {to_name} by {checks} (✅ holds)."]
            if recipe.code is None:
                lines.append("suites/claims.py has no such workaround any more: its recipe "
                             "cannot be shown (the results are older than the catalogue).")
            elif recipe.names in shown:
                lines.append(f"The code is under root cause {shown[recipe.names]} above.")
            else:
                shown[recipe.names] = index
                lines += ["", f"```python\n{recipe.code}\n```"]
        missing = without_recipe(group.claims, group.recipes)
        if missing:
            lines += ["", f"**No verified workaround on {to_name}** for:"]
            lines += [f"- `{claim_id}`: {tried(claim_id, to_data)}" for claim_id in missing]
        sections.append("\n".join(lines))
    return sections


# -- benchmarks ------------------------------------------------------------------------------
def same_machine(rows: list[dict]) -> bool:
    environments = [row.get("environment") for row in rows]
    if not all(isinstance(environment, dict) for environment in environments):
        return False
    return all(environments[0].get(key) is not None
               and all(environment.get(key) == environments[0].get(key)
                       for environment in environments) for key in MACHINE)


def train_times(rows: list[dict]) -> tuple[str, list[list[float] | None]]:
    """(unit, each row's training times in it): seconds where every row was timed on the same
    machine and has its calibration, else units of each row's calibration workload."""
    if same_machine(rows) and all(metrics.reference(row) is not None for row in rows):
        return "s", [finite(metrics.samples(row, "train_seconds")) for row in rows]
    return "÷ reference", [finite(metrics.relative_samples(row, "train_seconds")) for row in rows]


def finite(values: list[float] | None) -> list[float] | None:
    values = [value for value in values or [] if math.isfinite(value)]
    return values or None


def median(values: list[float] | None) -> float | None:
    return statistics.median(values) if values else None


def before_after(was: float | None, now: float | None, unit: str = "") -> str:
    unit = f" {unit}" if unit else ""
    text = f"{number(was)}{unit} → {number(now)}{unit}"
    return text + (f" (×{now / was:.2f})" if was and now is not None else "")


def status(row: dict | None) -> str:
    return "–" if row is None else str(row.get("status", "ok"))


def benchmarks_section(from_data: dict, to_data: dict) -> str:
    before, after = metrics.by_benchmark(from_data), metrics.by_benchmark(to_data)
    if not before and not after:
        return "Neither results file has benchmark rows."
    rows = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        row = {"model": key[0], "recipe": key[1], "status": f"{status(old)} → {status(new)}"}
        for metric, label in metrics.ACCURACY.items():
            row[label] = before_after(metrics.median(old, metric), metrics.median(new, metric))
        row["train time"] = train_change(old, new)
        rows.append(row)
    return ("Medians over the seeds, FROM → TO; one-step MSE and rollout RMSE are Keras's own "
            "inference on the article's cosine series (each run's report has the figures). "
            + TIMING_NOTE + "\n\n" + table(rows))


def train_change(old: dict | None, new: dict | None) -> str:
    if old is None or new is None:
        return "–"
    unit, (was, now) = train_times([old, new])
    text = before_after(median(was), median(now), unit)
    if was and now:
        slower = median(now) > median(was)
        real, _ = significant(now, was, slower, Tolerances().alpha)
        text += (", slower" if slower else ", faster") if real else ", within chance"
    return text


# -- the alternatives ------------------------------------------------------------------------
def alternatives_section(from_data: dict, to_path: Path, to_data: dict) -> str:
    """The three Keras 3 backends of TO's release, from the results files beside TO.json."""
    name = to_data["implementation"]["name"]
    if name not in KERAS_3_BACKENDS:
        return (f"{name} is not a Keras 3 backend: no alternatives compared (they are "
                f"{', '.join(KERAS_3_BACKENDS)}).")
    version = keras_release(to_data)
    runs, notes = [], []
    for backend in KERAS_3_BACKENDS:
        path = Path(to_path).with_name(f"{backend}-{version}.json")
        if backend == name:
            runs.append((path if path.exists() else Path(to_path), to_data))
            continue
        if not path.exists():
            notes.append(f"`{path}`: no such file")
            continue
        try:
            data = load(path)
        except ResultsError as error:
            notes.append(f"not used: {error}")
            continue
        if release(data) != f"{backend}-{version}":
            notes.append(f"`{path}`: not used, it is {side_name(data)}")
            continue
        runs.append((path, data))
    from_holding = [claim_id for claim_id, claim in claims_by_id(from_data).items()
                    if claim["verdict"] == "holds"]
    benchmarks = [headline_row(data) for _, data in runs]
    timed = [row for row in benchmarks if row is not None and metrics.reference(row) is not None
             and metrics.samples(row, "train_seconds")]
    unit, times = train_times(timed)
    time_of = {id(row): median(values) for row, values in zip(timed, times)}
    rows = [{**alternative_row(path, data, from_holding), f"{HEADLINE_MODEL} benchmark":
             status(row), f"{HEADLINE_MODEL} one-step MSE":
             number(metrics.median(row, "one_step_mse")),
             f"{HEADLINE_MODEL} train time ({unit})": number(time_of.get(id(row)))}
            for (path, data), row in zip(runs, benchmarks)]
    timing = ("seconds, every run timed on the same machine" if unit == "s" else
              "units of each run's calibration workload: not every run was timed on the same "
              "machine")
    text = (f"The claims of the Keras {version} runs beside `{to_path}` (workaround checks "
            f"left out), against the {len(from_holding)} claims that hold on "
            f"{side_name(from_data)}: how many still hold, and how many of those that break "
            f"have a verified workaround on that backend; then the {HEADLINE_MODEL} model's "
            f"benchmark (train time in {timing}).\n\n" + table(rows))
    if notes:
        text += "\n\nNot compared: " + "; ".join(notes) + "."
    return text


def alternative_row(path: Path, data: dict, from_holding: list[str]) -> dict:
    claims = claims_by_id(data)
    still = [claim_id for claim_id in from_holding
             if claim_id in claims and claims[claim_id]["verdict"] == "holds"]
    broken = [claim_id for claim_id in from_holding if claim_id in claims
              and claims[claim_id]["verdict"] in NON_HOLDING]
    fixed = holding(data["claims"])
    return {"backend": side_name(data), "file": f"`{path}`",
            "claims": verdict_tally(claim["verdict"] for claim in claims.values()),
            "still hold": f"{len(still)} of {len(from_holding)}",
            "break": f"{len(broken)}, {sum(claim_id in fixed for claim_id in broken)} with a "
                     "verified workaround"}


def headline_row(data: dict) -> dict | None:
    return next((row for (model, _), row in metrics.by_benchmark(data).items()
                 if model == HEADLINE_MODEL), None)
