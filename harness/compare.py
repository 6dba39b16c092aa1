"""Several results files side by side: claims × implementations and benchmarks × implementations.

A column is one implementation at one keras version, so one implementation measured at two
versions gives two columns, in version order whatever the order of the files given
(``column_order``). Benchmark figures are shown with their ratio to the first column.
The mutation score is about the suite, not an implementation, so it comes once, at the end.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from harness import mutation
from harness.implementations import BUILT_IN
from harness.markdown import (
    LEGEND,
    SYMBOLS,
    cell,
    column_name,
    headline,
    number,
    table,
    telling_case,
    verdict_text,
)
from harness.metrics import ACCURACY, TIMINGS, by_benchmark, median, relative_median
from harness.results import NON_HOLDING, ResultsError
from suites import upstream


def render(runs: list[tuple[str, dict]], score: dict | None = None) -> str:
    """The comparison of ``(path, results)`` pairs, one column each in ``column_order``.

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
    sections = ["# Stateful RNN conformance: comparison"]
    incomplete = [name for name, (_, results) in columns.items()
                  if not results.get("complete", True)]
    if incomplete:
        sections.append("> ⚠ Incomplete results (the run stopped early): "
                        + ", ".join(incomplete))
    claims, footnotes = claims_table(columns)
    sections += ["## Claims", LEGEND, claims, "\n".join(footnotes),
                 "## Benchmarks", benchmarks_tables(columns),
                 "## Mutation score", mutation.section(score)]
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


def claims_table(columns: dict) -> tuple[str, list[str]]:
    by_column = {name: {claim["id"]: claim for claim in results["claims"]}
                 for name, (_, results) in columns.items()}
    ids = list(dict.fromkeys(claim_id for claims in by_column.values() for claim_id in claims))
    rows, footnotes = [], []
    for claim_id in ids:
        row = {"claim": claim_id}
        for name, claims in by_column.items():
            claim = claims.get(claim_id)
            if claim is None:
                row[name] = "–"
                continue
            row[name] = cell(verdict_text(claim))
            case = telling_case(claim)
            if case is not None:
                implementation = columns[name][1]["implementation"]["name"]
                footnotes.append(f"[^{len(footnotes) + 1}]: {name}, `{claim_id}`: "
                                 f"{claim['verdict']}: {cell(headline(case['message']))}"
                                 + (f" (upstream: {upstream.summary(claim_id, implementation)})"
                                    if claim["verdict"] in NON_HOLDING
                                    and implementation in upstream.IMPLEMENTATIONS else ""))
                row[name] += f" [^{len(footnotes)}]"
        rows.append(row)
    return table(rows), footnotes


def benchmarks_tables(columns: dict) -> str:
    by_column = {name: by_benchmark(results) for name, (_, results) in columns.items()}
    keys = list(dict.fromkeys(key for rows in by_column.values() for key in rows))
    if not keys:
        return "No benchmarks in these results."
    metrics = [(f"{label} (median)", lambda row, m=metric: median(row, m))
               for metric, label in ACCURACY.items()]
    metrics += [(f"{label} ÷ reference workload (median)",
                 lambda row, m=metric: relative_median(row, m))
                for metric, label in TIMINGS.items()]
    sections = ["Each figure after the first column is followed by its ratio to the first "
                "column; timings are in units of the calibration workload of their own run."]
    for title, value_of in metrics:
        # A table no row has a figure for is left out, unless a row failed: its status is news.
        if all(value_of(row) is None and row.get("status", "ok") in ("ok", "no-skill")
               for rows in by_column.values() for row in rows.values()):
            continue
        rows = []
        for model, recipe in keys:
            row = {"model": model, "recipe": recipe}
            first = None
            for index, (name, rows_of_column) in enumerate(by_column.items()):
                text, value = figure(rows_of_column.get((model, recipe)), value_of)
                if index == 0:
                    first = value
                elif value is not None and first:
                    text += f" (×{value / first:.2f})"
                row[name] = text
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
