"""Several results files side by side: claims × environments and benchmarks × environments.

An environment (a column) is one implementation at one keras version, so one implementation
measured at two versions gives two columns, in version order whatever the order of the files
given (``column_order``). The claims matrix shows symbols only, under short column labels that
a legend spells out and links to each run's report, where the messages are; the findings
come by root cause (harness/findings.py). Benchmark figures are shown with their ratio to the
first environment. The mutation score is about the suite, not an implementation, so it comes
once, at the end. No line is longer than ``LINE_WIDTH``: the file reads on a screen and diffs.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from packaging.version import InvalidVersion, Version

from harness import findings, mutation
from harness.implementations import BUILT_IN
from harness.markdown import (
    LEGEND,
    OBSERVED_LABEL,
    SYMBOLS,
    cell,
    claim_label,
    claim_symbol,
    column_name,
    number,
    table,
    verdict_label,
)
from harness.metrics import ACCURACY, TIMINGS, by_benchmark, median, relative_median
from harness.report import report_path
from harness.results import ResultsError

LINE_WIDTH = 200
# The built-ins' names in column labels: sixteen columns of "keras-tensorflow (keras 3.15.1)"
# make a line of 500 characters. Any other implementation keeps its name.
SHORT_NAMES = {"keras-tensorflow": "tf", "keras-jax": "jax", "keras-torch": "torch",
               "tf-keras": "tfk"}
# The rows of counts above the matrix: one per way a claim shows in it.
COUNTED = (verdict_label("holds"), OBSERVED_LABEL,
           *(verdict_label(verdict) for verdict in ("fails", "error", "inconclusive", "skipped")))


def render(runs: list[tuple[str, dict]], score: dict | None = None,
           output: Path = Path("reports/COMPARISON.md")) -> str:
    """The comparison of ``(path, results)`` pairs, one column each in ``column_order``, to be
    written at ``output`` (the links to the runs' reports are relative to it).

    ``score`` is the mutation score file as ``mutation.load`` gives it; without
    one the comparison says the mutation score was not measured.
    """
    columns = {}
    for path, results in sorted(runs, key=lambda run: column_order(run[1])):
        name = column_name(results)
        if name in columns:
            raise ResultsError(
                f"{path}: {name} is already compared, from {columns[name][0]}")
        columns[name] = (path, results)
    labels = column_labels(columns)
    sections = ["# Stateful RNN conformance: comparison"]
    incomplete = [wrapped(f"> - {labels[name]}: during `{results.get('running')}`"
                          + (f": {results['interrupted']}" if results.get("interrupted") else ""),
                          indent=">   ")
                  for name, (_, results) in columns.items() if not results.get("complete", True)]
    if incomplete:
        sections.append("> ⚠ Incomplete results (the run stopped early):\n>\n"
                        + "\n".join(incomplete))
    sections += ["## Environments", environments_table(columns, labels, Path(output).parent),
                 "## Claims", wrapped(LEGEND), claims_table(columns, labels),
                 "## Findings by root cause", findings_section(columns, labels),
                 "## Benchmarks", benchmarks_tables(columns, labels),
                 "## Mutation score", mutation_section(score)]
    return "\n\n".join(section for section in sections if section) + "\n"


def column_order(results: dict) -> tuple:
    """Where a results file's column goes: the built-in implementations in their order
    (``BUILT_IN``), then any other by name; within one, by keras version as packaging orders
    them (3.5 before 3.10), a nightly (a dev release) after the releases, and a version that
    packaging cannot read last."""
    implementation = results["implementation"]
    name = implementation["name"]
    rank = list(BUILT_IN).index(name) if name in BUILT_IN else len(BUILT_IN)
    try:
        version = Version(str(implementation.get("keras")))
    except InvalidVersion:
        return rank, name, 2, Version("0")
    return rank, name, int(version.is_devrelease), version


def column_labels(columns: dict) -> dict[str, str]:
    """A short label per column: ``jax 3.15``, ``jax dev`` for a dev release (a nightly); the
    full keras version where two columns would share a label."""
    def label(results: dict, full: bool) -> str:
        implementation = results["implementation"]
        keras = str(implementation.get("keras"))
        short = SHORT_NAMES.get(implementation["name"], implementation["name"])
        try:
            version = Version(keras)
        except InvalidVersion:
            return f"{short} {keras}"
        if full:
            return f"{short} {version}"
        return f"{short} " + ("dev" if version.is_devrelease
                              else f"{version.major}.{version.minor}")

    labels = {name: label(results, False) for name, (_, results) in columns.items()}
    shared = {text for text in labels.values() if list(labels.values()).count(text) > 1}
    return {name: label(columns[name][1], True) if text in shared else text
            for name, text in labels.items()}


def environments_table(columns: dict, labels: dict, output_dir: Path) -> str:
    """The legend of the column labels, each with its run's report."""
    rows = []
    for name, (path, results) in columns.items():
        implementation = results["implementation"]
        report = Path(os.path.relpath(report_path(path), output_dir)).as_posix()
        rows.append({"column": labels[name], "implementation": cell(name),
                     "backend": cell(f"{implementation.get('backend')} "
                                     f"{implementation.get('backend_version')}"),
                     "report": f"[{Path(report).name}]({report})"})
    return ("One column per environment; each run's report has its findings, messages and "
            "reproductions.\n\n" + table(rows))


def claims_table(columns: dict, labels: dict) -> str:
    """Claims × environments as symbols, under a count of each verdict per column."""
    by_column = {name: {claim["id"]: claim for claim in results["claims"]}
                 for name, (_, results) in columns.items()}
    ids = list(dict.fromkeys(claim_id for claims in by_column.values() for claim_id in claims))
    rows = []
    for label in COUNTED:
        counts = {labels[name]: str(sum(claim_label(claim) == label for claim in claims.values()))
                  for name, claims in by_column.items()}
        rows.append({"claim": f"**{label}**", **counts})
    for claim_id in ids:
        rows.append({"claim": claim_id, **{
            labels[name]: claim_symbol(claims[claim_id]) if claim_id in claims else "–"
            for name, claims in by_column.items()}})
    return table(rows)


def findings_section(columns: dict, labels: dict) -> str:
    """The root causes of the runs with a baseline, one item each, merged across environments;
    for a run without one, a count that points at its report (its causes are what the messages
    say, one per failure, not a diagnosis)."""
    diagnosed = {labels[name]: results for name, (_, results) in columns.items()
                 if results.get("suite", {}).get("baseline") is not None}
    lines = [wrapped(f"- {', '.join(where)}: {findings.summary(cause)}")
             for cause, where in findings.across(diagnosed)]
    undiagnosed = [f"{labels[name]} ({len(causes)})" for name, (_, results) in columns.items()
                   if labels[name] not in diagnosed and (causes := findings.causes(results))]
    if undiagnosed:
        lines.append(wrapped(
            "- Runs without a baseline, their causes not diagnosed (each report lists them by "
            "what the messages say): " + ", ".join(undiagnosed)))
    if not lines:
        return "None: every case that ran holds or was skipped."
    return wrapped("One item per root cause: the environments it is found in, the reason "
                   "their baselines give (the team's diagnosis), the claims it explains, the "
                   "workaround checks that hold for them and the upstream threads.") + \
        "\n\n" + "\n".join(lines)


def mutation_section(score: dict | None) -> str:
    """The score in one paragraph: the table of the planted faults is in each run's report,
    its rows longer than a line here."""
    if score is None:
        return mutation.summary(score)
    return wrapped(mutation.summary(score) + " Each planted fault: under Mutation score in the "
                   "runs' reports.")


def wrapped(text: str, indent: str = "  ") -> str:
    """A paragraph or a list item in lines of at most ``LINE_WIDTH``, each continuation line
    starting with ``indent``."""
    return textwrap.fill(text, LINE_WIDTH, subsequent_indent=indent, break_long_words=False,
                         break_on_hyphens=False)


def benchmarks_tables(columns: dict, labels: dict) -> str:
    """One table per figure: an environment a row (so that sixteen fit a screen), a benchmark
    (model and recipe) a column."""
    by_column = {name: by_benchmark(results) for name, (_, results) in columns.items()}
    keys = list(dict.fromkeys(key for rows in by_column.values() for key in rows))
    if not keys:
        return "No benchmarks in these results."
    metrics = [(f"{label} (median)", lambda row, m=metric: median(row, m))
               for metric, label in ACCURACY.items()]
    metrics += [(f"{label} ÷ reference workload (median)",
                 lambda row, m=metric: relative_median(row, m))
                for metric, label in TIMINGS.items()]
    sections = ["Each figure after the first environment's is followed by its ratio to the "
                "first environment's; timings are in units of the calibration workload of "
                "their own run."]
    for title, value_of in metrics:
        # A table no row has a figure for is left out, unless a row failed: its status is news.
        if all(value_of(row) is None and row.get("status", "ok") in ("ok", "no-skill")
               for rows in by_column.values() for row in rows.values()):
            continue
        firsts: dict[tuple, float | None] = {}
        rows = []
        for name, rows_of_column in by_column.items():
            row = {"environment": labels[name]}
            for key in keys:
                text, value = figure(rows_of_column.get(key), value_of)
                if key not in firsts:
                    firsts[key] = value
                elif value is not None and firsts[key]:
                    text += f" (×{value / firsts[key]:.2f})"
                row[" ".join(part for part in key if part)] = text
            rows.append(row)
        sections += [f"### {title}", table(rows)]
    return "\n\n".join(sections)


def figure(row: dict | None, value_of) -> tuple[str, float | None]:
    if row is None:
        return "–", None
    status = row.get("status", "ok")
    if status not in ("ok", "no-skill"):
        return (f"{SYMBOLS['error']} error" if status == "error" else f"⚠ {cell(status)}"), None
    value = value_of(row)
    # A no-skill row's figures are measured and plausible: shown, beside its status.
    return number(value) + (" ⚠ no-skill" if status == "no-skill" else ""), value
