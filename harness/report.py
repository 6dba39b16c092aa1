"""The markdown report of one results file, summary first: the verdict counts, the findings by
root cause with their workarounds and upstream threads, the benchmarks with their figures; then
the details, collapsed: environment, claims, workarounds, the suite's timing and mutation score,
and every non-holding case."""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from fixtures.cosine import HORIZON
from harness import findings, mutation, repro, workarounds
from harness.markdown import (
    LEGEND,
    SYMBOLS,
    cell,
    claim_label,
    column_name,
    headline,
    mark,
    number,
    spread,
    table,
    telling_case,
    verdict_counts,
    verdict_label,
)
from harness.metrics import diagnostic, median, relative_median
from harness.paths import PROJECT_ROOT
from harness.results import NON_HOLDING, row_kind
from suites import upstream


def anchor(nodeid: str) -> str:
    return "case-" + re.sub(r"[^a-z0-9]+", "-", nodeid.lower()).strip("-")


def report_path(results_path) -> Path:
    """Where the report of a results file is published: ``reports/<stem>.md`` for
    ``reports/results/<stem>.json``; beside any other results file, as ``harness report``
    writes it by default."""
    results_path = Path(results_path)
    if results_path.parent.name == "results":
        return results_path.parent.parent / f"{results_path.stem}.md"
    return results_path.with_suffix(".md")


def render(results: dict, output: Path, score: dict | None = None) -> str:
    """The report of ``results``, to be written at ``output`` (figure links are relative to it).

    The benchmark figures are linked and shown where their files exist (see ``figure_paths``).
    ``score`` is the mutation score file as ``mutation.load`` gives it; without one the
    report says the mutation score was not measured.
    """
    name = results["implementation"]["name"]
    claims = results["claims"]
    sections = [f"# Stateful RNN conformance: {column_name(results)}"]
    if not results.get("complete", True):
        sections.append(
            f"> ⚠ Incomplete results: the run stopped during `{results.get('running')}`"
            + (f" ({results['interrupted']})" if results.get("interrupted") else "")
            + "; the verdicts below cover only the cases that ran."
        )
    sections += [
        "## Summary", summary(results),
        "## Findings by root cause", findings_section(results),
        "## Benchmarks", benchmarks_table(
            [row for row in results.get("benchmarks", []) if row_kind(row) == "benchmark"],
            name, Path(output).parent),
        "## Details",
        details("Environment", environment_table(results)),
        details(f"Claims: one row each ({len(claims)})", claims_table(claims, name)),
        details("Workarounds", workarounds.section(claims)),
        details("Suite timing", suite_timing(results)),
        details("Mutation score", mutation.section(score)),
        non_holding_cases(claims, results_location(output)),
    ]
    return "\n\n".join(sections) + "\n"


def details(title: str, body: str) -> str:
    """``body`` collapsed under ``title`` (blank lines around it, so its markdown renders)."""
    return f"<details><summary>{title}</summary>\n\n{body}\n\n</details>"


def summary(results: dict) -> str:
    """How many claims and cases hold, fail, error...; whether the baseline expected what does
    not hold; the legend of the symbols; the versions in one line."""
    claims = results["claims"]
    cases = [case for claim in claims for case in claim["cases"]]
    paragraphs = [f"{len(claims)} claims: {verdict_counts(claim['verdict'] for claim in claims)}.",
                  f"{len(cases)} cases: {verdict_counts(case['verdict'] for case in cases)}."]
    not_holding = [case for case in cases if case["verdict"] in NON_HOLDING]
    unexpected = sum(not case.get("expected") for case in not_holding)
    baseline = results.get("suite", {}).get("baseline")
    if not_holding and baseline is None:
        paragraphs.append("The run had no baseline: no case's finding is diagnosed yet.")
    elif unexpected:
        paragraphs.append(f"⚠ {unexpected} of the {len(not_holding)} non-holding cases are not "
                          f"in the baseline `{baseline}`: new findings.")
    elif not_holding:
        paragraphs.append(f"Every non-holding case is expected by the baseline `{baseline}`.")
    implementation, environment = results["implementation"], results.get("environment", {})
    versions = [f"keras {implementation.get('keras')} on {implementation.get('backend')} "
                f"{implementation.get('backend_version')}", f"Python {environment.get('python')}",
                environment.get("platform"), environment.get("created"),
                f"project commit {environment.get('project_commit')}"]
    paragraphs += [LEGEND, " · ".join(str(part) for part in versions if part)]
    return "\n\n".join(paragraphs)


def findings_section(results: dict) -> str:
    causes = findings.causes(results)
    if not causes:
        return "None: every case that ran holds or was skipped."
    has_baseline = results.get("suite", {}).get("baseline") is not None
    return ("What does not hold, one line per root cause: the reason the baseline gives for its "
            "cases (the team's diagnosis), or where a case has none, what its message says; the "
            "claims it explains, the workaround checks that hold for them (a workaround is "
            "offered only where its check holds) and the upstream threads that track it. Each "
            "case's full message and reproduction are under Details.\n\n"
            + "\n".join(f"- {findings.summary(cause, has_baseline)}" for cause in causes))


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


def claims_table(claims: list[dict], implementation: str | None = None) -> str:
    """One row per claim; with a built-in ``implementation``, a non-holding claim's upstream
    threads (suites/upstream.py) beside its verdict."""
    rows = []
    if implementation not in upstream.IMPLEMENTATIONS:
        implementation = None  # a user's implementation: nobody looked its findings up
    for claim in claims:
        case = telling_case(claim)
        verdict = claim_label(claim)
        if case is not None and case.get("expected"):
            verdict += " (expected)"
        rows.append({
            "claim": claim["id"],
            "statement": cell(claim["statement"]),
            "verdict": verdict,
            **({"upstream": upstream.summary(claim["id"], implementation)
                if claim["verdict"] in NON_HOLDING else ""} if implementation else {}),
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


def status_text(row: dict) -> str:
    """``ok``, or what went wrong: the error of a row that raised, the status of any other."""
    status = row.get("status", "ok")
    if status == "ok":
        return "ok"
    if status == "error":
        return f"{SYMBOLS['error']} {headline(row.get('error'))}"
    # A reason may repeat the status ("diverged: seed 0: ..."): said once.
    reason = headline(row.get("error")).removeprefix(f"{status}: ")
    return f"⚠ {status}" + (f": {reason}" if reason else "")


def benchmarks_table(rows: list[dict], name: str, report_dir: Path) -> str:
    """The benchmark rows with a link to each one's figure, then each figure once, inline."""
    if not rows:
        return "No benchmarks in this run."
    lines, images = [], {}
    for row, figure in zip(rows, figure_paths(rows, name, report_dir)):
        seeds = row.get("seeds")
        lines.append({
            "model": row.get("model"),
            "recipe": row.get("recipe"),
            "seeds": len(seeds) if isinstance(seeds, list) else seeds,
            "status": cell(status_text(row)),
            "one-step MSE": spread(row.get("one_step_mse")),
            "rollout RMSE": spread(row.get("rollout_rmse")),
            "ours: twin one-step MSE": spread(diagnostic(row, "one_step_mse")),
            "ours: twin rollout RMSE": spread(diagnostic(row, "rollout_rmse")),
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
        "training time in units of the calibration workload timed in the same run. The "
        "one-step MSE and rollout RMSE are Keras's own inference, as the article drives a "
        "trained model: a batch-1 copy of a stateful model, taken through the history by "
        "`predict` with Keras carrying its state, then `predict_on_batch` once per forecast "
        "step. The twin's figures are ours, a diagnostic, not Keras's inference: a stateless "
        "twin of the trained model, compiled, its state carried by hand. A row is no-skill "
        "when its forecast RMSE is no better than forecasting the series' mean.",
        table(lines),
        targets_table(rows),
        *images.values(),
    ])


def targets_table(rows: list[dict]) -> str:
    """Each model's accuracy against its published target, and the speed ratios of the run."""
    lines = []
    for row in rows:
        if row_kind(row) != "benchmark" or "target_mse" not in row:
            continue  # measured-claim rows have no targets
        latency, naive = median(row, "step_latency_s"), median(row, "naive_step_latency_s")
        lines.append({
            "model": row.get("model"),
            "recipe": row.get("recipe"),
            "target MSE": number(row.get("target_mse")),
            "beats it": mark(row.get("beats_target")),
            "dropout floor (derived)": number(row.get("dropout_floor_mse")),
            "prediction slope": number(median(row, "prediction_slope")),
            "compiled step ≤ 0.5 ms": mark(row.get("beats_latency_goal")),
            f"RMSE < {number(row.get('rollout_goal'))}": mark(row.get("beats_rollout_goal")),
            "Keras carried the state": mark(row.get("keras_state_carried")),
            "naive step s": number(naive),
            "naive ÷ compiled step": number(naive / latency if naive and latency else None),
            "fast ÷ article train time": number(row.get("fast_over_article_train_time")),
            "article time": "extrapolated" if row.get("article_train_seconds_extrapolated")
            else ("measured" if row.get("fast_over_article_train_time") else "–"),
        })
    if not lines:
        return ""
    return ("Targets: the one-step MSE to beat (a public notebook of the same experiment), the "
            "500-step forecast goal, the compiled forecast step against the 0.5 ms goal, the "
            "naive forecast step (`model.predict` per step) against the compiled one, and the "
            "fast recipe's training time over the article's (gradient training only; the "
            "article's time extrapolated from two of its epochs timed in the same run, or "
            "measured in full with `--article`). The dropout floor is not a measurement: it is "
            "the lowest one-step MSE that the Dropout before the model's output allows a model "
            "trained to the minimum of its loss (`converged_dropout_floor` in "
            "`fixtures/cosine_evaluation.py`); a target below it is beaten only by a model "
            "stopped short of convergence. The prediction slope (median over the seeds) is "
            "measured: the predictions' deviations from the mean against the targets', below 1 "
            "where the model shrinks towards the mean as Dropout makes it. Keras carried the "
            "state: for a stateful model, whether `predict` over the history left the batch-1 "
            "copy in a state other than zeros (❌: every call started from zeros, and the "
            "figures are those of that model)."
            + below_floor(rows) + "\n\n" + table(lines))


def below_floor(rows: list[dict]) -> str:
    """A sentence naming the models whose target lies below their dropout floor."""
    names = [row.get("model") for row in rows
             if row.get("dropout_floor_mse") and row.get("target_mse") is not None
             and row["target_mse"] < row["dropout_floor_mse"]]
    if not names:
        return ""
    return (" Below the floor here: " + ", ".join(sorted(set(names)))
            + " (a published figure that no training of the article's model to the minimum of "
            "its loss reaches).")


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


def results_location(output) -> str:
    """The results file of the report written at ``output`` (``report_path``'s inverse), as the
    command that writes its missing scripts names it: relative to the project where inside it."""
    output = Path(output).resolve()
    published = output.parent / "results" / f"{output.stem}.json"
    path = published if published.is_file() else output.with_suffix(".json")
    return (path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path).as_posix()


def non_holding_cases(claims: list[dict], results_file: str = "RESULTS.json") -> str:
    """Each non-holding case's full message, collapsed by claim; each case under its anchor.
    The scripts are not kept with the results: each names the command that writes it."""
    sections = []
    for claim in claims:
        cases = [case for case in claim["cases"] if case["verdict"] in NON_HOLDING]
        if not cases:
            continue
        parts = []
        for case in cases:
            expected = (f" Expected by the baseline: {case.get('baseline_reason')}."
                        if case.get("expected") else "")
            script = (f" Standalone reproduction: `{case['repro']}` (beside the results file, "
                      f"written where missing by `{repro.write_command(results_file)}`; "
                      "exits 1 while this stands)." if case.get("repro") else "")
            parts.append(
                f'<a id="{anchor(case["nodeid"])}"></a>\n\n### `{case["nodeid"]}`\n\n'
                f"Claim `{claim['id']}`: {verdict_label(case['verdict'])}.{expected}"
                f"{script}\n\n```text\n{case['message']}\n```"
            )
        sections.append(details(
            f"<code>{claim['id']}</code>: {claim_label(claim)}, {len(cases)} of "
            f"{len(claim['cases'])} cases do not hold", "\n\n".join(parts)))
    return "\n\n".join(sections) or "No non-holding case: every case that ran holds or was skipped."
