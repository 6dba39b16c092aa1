"""Several results files side by side: claims × implementations and benchmarks × implementations.

A column is one implementation at one keras version, so one implementation measured at two
versions gives two columns. Benchmark figures are shown with their ratio to the first column.
The mutation score is about the suite, not an implementation, so it comes once, at the end.
"""

from __future__ import annotations

from harness import mutation
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
    """The comparison of ``(path, results)`` pairs, in the order given.

    ``score`` is the mutation score file as ``mutation.load`` gives it; without
    one the comparison says the mutation score was not measured.
    """
    columns = {}
    for path, results in runs:
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
        if all(value_of(row) is None for rows in by_column.values() for row in rows.values()):
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
    if status != "ok":
        return (f"{SYMBOLS['error']} error" if status == "error" else f"⚠ {cell(status)}"), None
    value = value_of(row)
    return number(value), value
