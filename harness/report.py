"""The markdown report of one results file: environment, claims, benchmarks with their figures,
the suite's timing and the suite's mutation score.

Also the pieces the comparison and the gate share: verdict symbols, one-line summaries of case
messages, markdown tables and the mutation score section.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath

import pandas as pd
from tabulate import tabulate

from fixtures.cosine import HORIZON
from harness.results import NON_HOLDING, benchmark_rows

SYMBOLS = {"holds": "✅", "fails": "❌", "error": "💥", "inconclusive": "❔", "skipped": "⏭"}
OBSERVED = "🔎"  # an observed or measured claim: no promise, the report says what was seen
LEGEND = ("✅ holds · ❌ fails (a wrong value) · 💥 error (the call raised) · ❔ inconclusive "
          "(what the claim is about did not happen, so it was not observed) · ⏭ skipped · "
          "🔎 observed or measured (no promise; what was seen)")
ACCURACY = {"one_step_mse": "one-step MSE", "rollout_rmse": "rollout RMSE"}
# Timings are divided by the calibration workload of the same run, so machines compare.
TIMINGS = {"train_seconds": "train time", "step_latency_s": "step latency"}
# A benchmark row's "figure" is relative to the project root (suites/test_cosine.py).
PROJECT_ROOT = Path(__file__).resolve().parents[1]
# What rendering a mutation score file reads from each of its mutants.
MUTANT_KEYS = ("mutant", "breaks", "bug", "killed", "cases_changed")


class MutationScoreError(Exception):
    """A mutation score file that is missing, unreadable or not as tests/test_mutants.py writes
    it; message is one line."""


def headline(message: str) -> str:
    """What a case's message says happened, in one line.

    Messages written through suites/check.py start with the claim id and the versions, which
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


def verdict_text(claim: dict) -> str:
    """A claim's verdict as tables show it: the symbol, or what an observed claim saw."""
    if claim.get("kind", "documented") != "documented" and claim["verdict"] == "holds":
        return f"{OBSERVED} {claim.get('observed') or 'recorded'}"
    return SYMBOLS[claim["verdict"]]


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
    """The benchmark rows of ``results`` by (model, recipe); measured claims' rows are not
    benchmarks and never shadow one."""
    return {(row.get("model"), row.get("recipe")): row for row in benchmark_rows(results)}


def column_name(results: dict) -> str:
    implementation = results["implementation"]
    return f"{implementation['name']} (keras {implementation.get('keras', '?')})"


def anchor(nodeid: str) -> str:
    return "case-" + re.sub(r"[^a-z0-9]+", "-", nodeid.lower()).strip("-")


def render(results: dict, output: Path, mutation: dict | None = None) -> str:
    """The report of ``results``, to be written at ``output`` (figure links are relative to it).

    The benchmark figures are linked and shown where their files exist (see ``figure_paths``).
    ``mutation`` is the mutation score file as ``load_mutation_score`` gives it; without one the
    report says the mutation score was not measured.
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
        "## Mutation score", mutation_score(mutation),
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
        observed_kind = claim.get("kind", "documented") != "documented" and claim["verdict"] == "holds"
        verdict = f"{OBSERVED} observed" if observed_kind else f"{SYMBOLS[claim['verdict']]} {claim['verdict']}"
        if case is not None and case.get("expected"):
            verdict += " (expected)"
        rows.append({
            "claim": claim["id"],
            "statement": cell(claim["statement"]),
            "verdict": verdict,
            "observed": cell(headline(case["message"]) if case else claim.get("observed") or ""),
            "reproduction": f"[details](#{anchor(case['nodeid'])})"
            if case and case["verdict"] in NON_HOLDING else "",
        })
    return table(rows)


def figure_paths(rows: list[dict], name: str, report_dir: Path) -> list[str | None]:
    """The figure of each benchmark row as a posix path relative to ``report_dir``; None where
    there is no figure file.

    A row names its figure in ``figure``, relative to the project root: one folder per
    implementation and keras release, ``reports/figures/<implementation>-<keras>/<model>.png``.
    Rows of measured claims (``claim`` key) name none and take the figure of their model from
    the run's other rows. Results written before rows named their figures fall back to
    ``figures/<implementation>/<model>.png`` next to the report.
    """
    named = {row.get("model"): row["figure"] for row in rows if row.get("figure")}
    paths = []
    for row in rows:
        figure = row.get("figure") or named.get(row.get("model"))
        if figure:
            target = PROJECT_ROOT / figure
        elif not named:
            target = report_dir / "figures" / name / f"{row.get('model')}.png"
        else:
            # The run names its figures but drew none of this model (its training raised): the
            # old folder's figure would be from another keras release.
            target = None
        paths.append(Path(os.path.relpath(target, report_dir)).as_posix()
                     if target and target.exists() else None)
    return paths


def benchmarks_table(rows: list[dict], name: str, report_dir: Path) -> str:
    """The benchmark rows with a link to each one's figure, then each figure once, inline."""
    if not rows:
        return "No benchmarks in this run."
    lines, images = [], {}
    for row, figure in zip(rows, figure_paths(rows, name, report_dir)):
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
            "figure": f"[{PurePosixPath(figure).name}]({figure})" if figure else "",
        })
        if figure:
            # Rows of one model share its figure (recipes and claims): show it once.
            images.setdefault(figure, f"![{row.get('model')}: {HORIZON}-step forecast]({figure})")
    return "\n\n".join([
        "Figures are median [min–max] over the seeds; train ÷ reference is the median "
        "training time in units of the calibration workload timed in the same run.",
        table(lines),
        targets_table(rows),
        *images.values(),
    ])


def mark(value) -> str:
    return "–" if value is None else ("✅" if value else "❌")


def targets_table(rows: list[dict]) -> str:
    """Each model's accuracy against its published target, and the speed ratios of the run."""
    lines = []
    for row in rows:
        if "claim" in row or "target_mse" not in row:
            continue  # measured-claim rows have no targets
        latency = (row.get("step_latency_s") or {}).get("median")
        naive = (row.get("naive_step_latency_s") or {}).get("median")
        lines.append({
            "model": row.get("model"),
            "recipe": row.get("recipe"),
            "target MSE": number(row.get("target_mse")),
            "beats it": mark(row.get("beats_target")),
            "MSE before readout refit": number(
                (row.get("one_step_mse_gradient_only") or {}).get("median")),
            f"RMSE < {number(row.get('rollout_goal'))}": mark(row.get("beats_rollout_goal")),
            "naive step s": number(naive),
            "naive ÷ compiled step": number(naive / latency if naive and latency else None),
            "fast ÷ article train time": number(row.get("fast_over_article_train_time")),
        })
    if not lines:
        return ""
    return ("Targets: the one-step MSE to beat (a public notebook of the same experiment), the "
            "500-step forecast goal, the figure before the fast recipe's least-squares readout "
            "refit, the naive forecast step (`model.predict` per step) against the compiled one, "
            "and, on an article row, the fast recipe's training time over the article's, both "
            "measured in the same run.\n\n" + table(lines))


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
            script = (f" Standalone reproduction: `{case['repro']}` (beside the results file; "
                      "exits 1 while this stands)." if case.get("repro") else "")
            sections.append(
                f'<a id="{anchor(case["nodeid"])}"></a>\n\n### `{case["nodeid"]}`\n\n'
                f"Claim `{claim['id']}`: {SYMBOLS[case['verdict']]} {case['verdict']}.{expected}"
                f"{script}\n\n```text\n{case['message']}\n```"
            )
    return "\n\n".join(sections) or "None: every case that ran holds or was skipped."


def load_mutation_score(path) -> dict:
    """The mutation score file written by tests/test_mutants.py, checked for what is rendered."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MutationScoreError(f"{path}: no such mutation score file") from None
    except OSError as error:
        raise MutationScoreError(f"{path}: cannot read: {error.strerror}") from None
    except ValueError:  # not UTF-8 or not JSON
        raise MutationScoreError(f"{path}: not valid JSON: corrupt mutation score file") from None
    mutants = data.get("mutants") if isinstance(data, dict) else None
    if not isinstance(mutants, list) or not mutants or not all(
            isinstance(mutant, dict) and all(key in mutant for key in MUTANT_KEYS)
            and isinstance(mutant["cases_changed"], list) for mutant in mutants):
        raise MutationScoreError(f"{path}: not a mutation score file (needs mutants, each with "
                                 f"{', '.join(MUTANT_KEYS)})")
    return data


def mutation_score(score: dict | None) -> str:
    """How many of the faults planted by tests/test_mutants.py the suite killed, and each one."""
    if score is None:
        return ("Not measured: no mutation score file (`tests/test_mutants.py` writes "
                "`reports/mutation-score.json`).")
    mutants = score["mutants"]
    killed = sum(bool(mutant["killed"]) for mutant in mutants)
    # Counted from the rows, so the summary always agrees with the table; rounded down, so that
    # a survivor never shows as 100 %.
    summary = (f"{killed} of {len(mutants)} planted faults killed "
               f"({100 * killed // len(mutants)} %).")
    survivors = [mutant["mutant"] for mutant in mutants if not mutant["killed"]]
    if survivors:
        summary += f" Survived: {', '.join(survivors)}; the score must be 100 %."
    return summary + "\n\n" + table([{
        "mutant": cell(mutant["mutant"]),
        "claim it breaks": cell(mutant["breaks"]),
        "bug": cell(mutant["bug"]),
        "killed": mark(bool(mutant["killed"])),
        "cases changed": str(len(mutant["cases_changed"])),
    } for mutant in mutants])
