"""The markdown report of one results file: environment, claims, benchmarks, the suite's timing.

Also the pieces the comparison and the gate share: verdict symbols, one-line summaries of case
messages and markdown tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from tabulate import tabulate

SYMBOLS = {"holds": "✅", "fails": "❌", "error": "💥", "skipped": "⏭"}
LEGEND = "✅ holds · ❌ fails (a wrong value) · 💥 error (the call raised) · ⏭ skipped"
NON_HOLDING = ("fails", "error")
ACCURACY = {"one_step_mse": "one-step MSE", "rollout_rmse": "rollout RMSE"}
# Timings are divided by the calibration workload of the same run, so machines compare.
TIMINGS = {"train_seconds": "train time", "step_latency_s": "step latency"}


def headline(message: str) -> str:
    """What a case's message says happened, in one line.

    Messages written through suites/evidence.py start with the claim id and the versions, which
    the tables already show; their ``observed:`` line is the finding.
    """
    lines = [line.strip() for line in (message or "").splitlines() if line.strip()]
    observed = next((line for line in lines if line.startswith("observed:")), None)
    if observed:
        return observed.removeprefix("observed:").strip()
    return lines[0] if lines else ""


def telling_case(claim: dict) -> dict | None:
    """The first case whose verdict is the claim's, when the claim does not hold."""
    if claim["verdict"] == "holds":
        return None
    return next((case for case in claim["cases"] if case["verdict"] == claim["verdict"]), None)


def cell(text) -> str:
    """Text that stays inside one markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def table(rows: list[dict]) -> str:
    # disable_numparse: the cells are already formatted; tabulate must not reformat "3.10".
    return tabulate(pd.DataFrame(rows), headers="keys", tablefmt="github", showindex=False,
                    disable_numparse=True)


def number(value) -> str:
    return "–" if value is None else f"{value:.3g}"


def spread(block: dict | None) -> str:
    """A metric block as ``median [min–max]``."""
    if not block:
        return "–"
    if "min" in block and "max" in block:
        return f"{number(block.get('median'))} [{number(block['min'])}–{number(block['max'])}]"
    return number(block.get("median"))


def relative_median(row: dict, metric: str) -> float | None:
    """The median of a timing divided by the run's reference workload time."""
    block, reference = row.get(metric), row.get("reference_seconds")
    if not block or block.get("median") is None or not reference:
        return None
    return block["median"] / reference


def by_benchmark(results: dict) -> dict:
    """The benchmark rows of ``results`` by (model, recipe)."""
    return {(row.get("model"), row.get("recipe")): row for row in results.get("benchmarks", [])}


def column_name(results: dict) -> str:
    implementation = results["implementation"]
    return f"{implementation['name']} (keras {implementation.get('keras', '?')})"


def anchor(nodeid: str) -> str:
    return "case-" + re.sub(r"[^a-z0-9]+", "-", nodeid.lower()).strip("-")


def render(results: dict, output: Path) -> str:
    """The report of ``results``, to be written at ``output`` (figure links are relative to it).

    A benchmark's figure is linked when ``figures/<implementation>/<model>.png`` exists next to
    the report, which for the default ``reports/<implementation>.md`` is ``reports/figures/``.
    """
    name = results["implementation"]["name"]
    sections = [f"# Stateful RNN conformance: {column_name(results)}"]
    if not results.get("complete", True):
        sections.append(
            f"> ⚠ Incomplete results: the run stopped during `{results.get('running')}`"
            + (f" ({results['interrupted']})" if results.get("interrupted") else "")
            + "; the verdicts below cover only the cases that ran."
        )
    sections += [
        "## Environment", environment_table(results),
        "## Claims", verdict_counts(results["claims"]), LEGEND, claims_table(results["claims"]),
        "## Benchmarks", benchmarks_table(results.get("benchmarks", []), name, Path(output).parent),
        "## Suite timing", suite_timing(results),
        "## Non-holding cases", non_holding_cases(results["claims"]),
    ]
    return "\n\n".join(sections) + "\n"


def environment_table(results: dict) -> str:
    implementation = results["implementation"]
    environment = results.get("environment", {})
    rows = {
        "implementation": f"{implementation['name']} (`{implementation.get('spec', '')}`)",
        "keras": implementation.get("keras"),
        "backend": f"{implementation.get('backend')} {implementation.get('backend_version')}",
        "python": environment.get("python"),
        "numpy": environment.get("numpy"),
        "platform": environment.get("platform"),
        "machine": f"{environment.get('machine')}, {environment.get('cpu_count')} CPUs",
        "date": environment.get("created"),
        "project commit": environment.get("project_commit"),
        "baseline": results.get("suite", {}).get("baseline"),
    }
    return table([{"": key, "value": cell("–" if value is None else value)}
                  for key, value in rows.items()])


def verdict_counts(claims: list[dict]) -> str:
    counts = pd.Series([claim["verdict"] for claim in claims], dtype=object).value_counts()
    parts = [f"{counts[v]} {SYMBOLS[v]} {v}" for v in SYMBOLS if v in counts]
    return f"{len(claims)} claims: " + ", ".join(parts) + "."


def claims_table(claims: list[dict]) -> str:
    rows = []
    for claim in claims:
        case = telling_case(claim)
        verdict = f"{SYMBOLS[claim['verdict']]} {claim['verdict']}"
        if case is not None and case.get("expected"):
            verdict += " (expected)"
        rows.append({
            "claim": claim["id"],
            "statement": cell(claim["statement"]),
            "verdict": verdict,
            "observed": cell(headline(case["message"])) if case else "",
            "reproduction": f"[details](#{anchor(case['nodeid'])})"
            if case and case["verdict"] in NON_HOLDING else "",
        })
    return table(rows)


def benchmarks_table(rows: list[dict], name: str, report_dir: Path) -> str:
    if not rows:
        return "No benchmarks in this run."
    lines = []
    for row in rows:
        figure = Path("figures") / name / f"{row.get('model')}.png"
        ok = row.get("status", "ok") == "ok"
        seeds = row.get("seeds")
        lines.append({
            "model": row.get("model"),
            "recipe": row.get("recipe"),
            "seeds": len(seeds) if isinstance(seeds, list) else seeds,
            "status": "ok" if ok else cell(f"💥 {headline(row.get('error'))}"),
            "one-step MSE": spread(row.get("one_step_mse")),
            "rollout RMSE": spread(row.get("rollout_rmse")),
            "train s": spread(row.get("train_seconds")),
            "step latency s": spread(row.get("step_latency_s")),
            "reference s": number(row.get("reference_seconds")),
            "train ÷ reference": number(relative_median(row, "train_seconds")),
            "figure": f"[{figure.name}]({figure.as_posix()})"
            if (report_dir / figure).exists() else "",
        })
    return ("Figures are median [min–max] over the seeds; train ÷ reference is the median "
            "training time in units of the calibration workload timed in the same run.\n\n"
            + table(lines))


def suite_timing(results: dict) -> str:
    suite = results.get("suite", {})
    cases = [case for claim in results["claims"] for case in claim["cases"]]
    slowest = sorted(cases, key=lambda case: case.get("duration_s", 0.0), reverse=True)[:5]
    text = (f"The suite ran {len(cases)} cases in {number(suite.get('duration_s'))} s "
            f"(`pytest {' '.join(suite.get('pytest_args', []))}`).")
    if not slowest:
        return text
    return text + "\n\nSlowest cases:\n\n" + table([
        {"case": f"`{cell(case['nodeid'])}`", "verdict": case["verdict"],
         "seconds": number(case.get("duration_s"))}
        for case in slowest
    ])


def non_holding_cases(claims: list[dict]) -> str:
    sections = []
    for claim in claims:
        for case in claim["cases"]:
            if case["verdict"] not in NON_HOLDING:
                continue
            expected = (f" Expected by the baseline: {case.get('baseline_reason')}."
                        if case.get("expected") else "")
            sections.append(
                f'<a id="{anchor(case["nodeid"])}"></a>\n\n### `{case["nodeid"]}`\n\n'
                f"Claim `{claim['id']}`: {SYMBOLS[case['verdict']]} {case['verdict']}.{expected}"
                f"\n\n```text\n{case['message']}\n```"
            )
    return "\n\n".join(sections) or "None: every case that ran holds or was skipped."
