"""Small results files of the shape the suite writes, for the harness tests.

Built through the builders of harness/results.py, with the keys and nesting of the latest
published real run (reports/results/keras-tensorflow-3.15.json, the reference of
suites/baselines/keras-tensorflow.json; checked by tests/test_results_factory.py): three seeds,
the ``fast`` recipe, benchmark rows followed by the ``train.instability`` measurement rows of the
same models, and, on request, the rows of a run that raised, diverged or had a GPU.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from harness import results as schema
from harness.paths import PROJECT_ROOT
from suites.claims import Claim

# The latest published real run of keras-tensorflow; suites/baselines/keras-tensorflow.json is
# a copy of it (gate --update-reference).
REAL = PROJECT_ROOT / "reports" / "results" / "keras-tensorflow-3.15.json"
CARRY = "suites/test_carry.py::test_index_i[LSTM]"
RESET = "suites/test_reset.py::test_model_reset_states[GRU]"
MESSAGE = (
    "[carry.index-i] on fake (keras 3.5.0, none 0.0)\n"
    "  observed: row 0 started from zeros\n"
    "  expected: the final state of row 0 of the previous batch\n"
    "  reproduce:\n"
    "    import numpy as np\n"
    "    model.predict_on_batch(x)"
)
SEEDS = [0, 1, 2]
MSE = (0.010, 0.012, 0.014)
RMSE = (0.10, 0.12, 0.14)
# The no-skill line the suite records (suites/test_cosine.NO_SKILL_RMSE, as in the real file).
NO_SKILL_RMSE = 0.3358757210636101
TRAIN = (10.0, 10.4, 10.8)
LATENCY = (0.0014, 0.0015, 0.0016)
REFERENCE = 2.0


def case(nodeid=CARRY, verdict="holds", message="", expected=False, reason=None, duration=0.5,
         observed=None, marks=("claim",)):
    """A case as the plugin records it, with the marks ``-m`` selects by (harness/plugin.py)."""
    return {**schema.case_record(nodeid, verdict, message, expected=expected, observed=observed,
                                 baseline_reason=reason, duration_s=duration),
            "marks": list(marks)}


def claim(claim_id, *cases, statement="A statement.", kind="documented"):
    return schema.claim_record(Claim(claim_id, statement, "a source", kind), cases)


def block(values):
    """A figure over the seeds, as suites/test_cosine.py records it."""
    if not values:
        return {"median": None, "min": None, "max": None, "values": []}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values)}


def timing(values):
    """A timing over rounds, with the statistics suites/test_cosine.py adds to its block."""
    found = block(values)
    if values:
        quartiles = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
        found.update(mean=statistics.fmean(values),
                     stddev=statistics.stdev(values) if len(values) > 1 else 0.0,
                     iqr=quartiles[2] - quartiles[0], rounds=len(values), warmup_rounds=10,
                     source="pytest-benchmark")
    return found


def row_environment(name="fake", keras="3.5.0"):
    return {"implementation": name, "keras": keras, "backend": "none", "backend_version": "0.0",
            "devices": ["/physical_device:CPU:0"], "python": "3.11.7", "numpy": "1.26.4",
            "platform": "Linux", "cpu_count": 2, "machine": "x86_64", "project_commit": "abc1234",
            "created": "2026-12-07T00:00:00+00:00"}


def recipe_details(recipe="fast"):
    return {"name": recipe, "layout": "windows", "epochs": 24, "batch_size": 32,
            "optimizer": "adam", "learning_rate": 0.01, "decay": True, "streams": 1,
            "offsets": [0], "fit_per_epoch": False, "repeat": 1, "whole_batches": True,
            "input_noise": 0.01, "steps_per_execution": 1}


def benchmark(model="stateless", recipe="fast", mse=MSE, rmse=RMSE, train=TRAIN,
              latency=LATENCY, reference=REFERENCE, status="ok", error=None,
              figure="reports/figures/fake-3.5.0/{model}.png"):
    """A benchmark row; a figure given as None is an empty block (no seed gave one, as when
    every seed raised), ``figure=None`` a row that drew no figure."""
    mse_value = statistics.median(mse) if mse else None
    rmse_value = statistics.median(rmse) if rmse else None
    row = schema.benchmark_row(
        model, recipe, SEEDS, status, error=error,
        one_step_mse=block(mse), rollout_rmse=block(rmse), train_seconds=block(train),
        prediction_slope=block([0.99] * len(mse) if mse else None),
        step_latency_s=timing(latency))
    diverged = [seed for seed, value in zip(SEEDS, mse or []) if not value < 0.125]
    train_value = statistics.median(train) if train else None
    article = None if train_value is None else 8.3 * train_value
    latency_value = statistics.median(latency) if latency else None
    row.update(diverged_seeds=diverged, reference_seconds=reference, target_mse=0.00013,
               beats_target=None if mse_value is None else mse_value <= 0.00013,
               rollout_goal=0.03,
               beats_rollout_goal=None if rmse_value is None else rmse_value < 0.03,
               recipe_details=recipe_details(recipe), dropout_floor_mse=7.5e-06,
               article_train_seconds_extrapolated=article,
               article_train_estimate=None if article is None else {
                   "seconds": article, "epochs_timed": 2, "first_epoch_s": 8.5,
                   "later_epoch_s": 6.6, "article_epochs": 30,
                   "method": "2 of the article recipe's 30 epochs timed in this run"},
               time_goal=0.1,
               fast_over_article_train_time=None if article is None else train_value / article,
               beats_time_goal=None if article is None else train_value / article <= 0.1,
               fast_over_article_train_time_after_first_epoch=None if article is None else 0.04,
               latency_goal=0.0005,
               beats_latency_goal=None if latency_value is None else latency_value <= 0.0005,
               naive_step_latency_s=timing([value * 50 for value in latency or []]),
               environment=row_environment(),
               # Keras's own inference is the headline; the hand-carried twin's figures are
               # ours, kept as a labelled diagnostic (here equal, as where Keras carries state).
               no_skill_rollout_rmse=NO_SKILL_RMSE,
               keras_state_carried=None if model in ("stateless", "dense") else bool(mse),
               diagnostic={"source": "ours, not Keras's inference: a stateless twin",
                           "one_step_mse": block(mse), "rollout_rmse": block(rmse)})
    if figure and mse:
        row["figure"] = figure.format(model=model)
    return row


def instability(model="stateless", mse=MSE, rmse=RMSE, reference=REFERENCE):
    """The train.instability row the suite writes after the benchmark of ``model``."""
    spread = {}
    for key, values in (("one_step_mse", mse), ("rollout_rmse", rmse)):
        spread[f"{key}_range"] = [min(values), max(values)]
        spread[f"{key}_max_over_min"] = max(values) / min(values)
    return schema.measurement_row(
        "train.instability", model, recipe="fast", seeds=SEEDS, status="ok", error=None,
        **spread, diverged_seeds=[],
        diverged_if="a one-step MSE above the series' variance (0.125), a forecast leaving "
                    "[-0.5, 1.5] or a figure that is not finite",
        reference_seconds=reference, environment=row_environment())


def gpu(model="stateless", status="ok", error=None):
    """The perf.cpu-vs-gpu row of a machine with a GPU: per-device times, no timing blocks."""
    seconds = {"fast/cpu": 4.0, "fast/gpu": 8.0, "article-1-epoch/cpu": 30.0,
               "article-1-epoch/gpu": 60.0}
    ratios = {"fast": 0.5, "article-1-epoch": 0.5}
    return schema.measurement_row(
        "perf.cpu-vs-gpu", model, recipe="fast", seeds=[0], status=status, error=error,
        gpu="/physical_device:GPU:0", train_seconds_by_device=seconds, cpu_over_gpu=ratios,
        cpu_faster={label: ratio < 1 for label, ratio in ratios.items()},
        reference_seconds=REFERENCE, environment=row_environment())


def results(name="fake", keras="3.5.0", claims=None, benchmarks=None, complete=True,
            pytest_args=("suites",)):
    if claims is None:
        claims = [claim("carry.index-i", case(CARRY)), claim("reset.model", case(RESET))]
    return schema.document(
        implementation={"name": name, "spec": name, "keras": keras, "backend": "none",
                        "backend_version": "0.0"},
        environment={"python": "3.11.7", "platform": "Linux", "machine": "x86_64",
                     "cpu_count": 2, "numpy": "1.26.4", "project_commit": "abc1234",
                     "created": "2026-11-30T18:00:00+00:00"},
        suite={"duration_s": 12.5, "pytest_args": list(pytest_args), "baseline": None,
               "baseline_unmatched": []},
        claims=claims,
        benchmarks=[benchmark(), instability()] if benchmarks is None else benchmarks,
        complete=complete, running=None if complete else CARRY)


def failing(verdict="fails", nodeid=CARRY, message=MESSAGE, **overrides):
    """Results in which the carry.index-i case does not hold."""
    return results(claims=[claim("carry.index-i", case(nodeid, verdict, message)),
                           claim("reset.model", case(RESET))], **overrides)


def real() -> dict:
    """A fresh copy of the committed real results file."""
    return json.loads(REAL.read_text(encoding="utf-8"))


def write(path: Path, data) -> Path:
    """``data`` as a results file at ``path`` (a str is written as it is)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def cells(markdown: str, first_cell: str) -> list[str]:
    """The stripped cells of the table row of ``markdown`` whose first cell is ``first_cell``."""
    for line in markdown.splitlines():
        if line.startswith("|"):
            row = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if row[0] == first_cell:
                return row
    raise AssertionError(f"no table row starts with {first_cell!r}")
