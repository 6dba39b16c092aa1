"""The figures of benchmark rows as the report, the comparison and the gate read them.

A figure is a block ``{"median", "min", "max", "values"}`` over the seeds (or, where a row
records them, over the rounds of a timing). Rows the suite writes differ in which blocks they
have: an ``error`` or ``diverged`` row may have none, a measured claim's row has its own (the GPU
row's ``train_seconds_by_device``). The readers here return None for anything that is not a
block with a numeric median, so that no row shape can make a reader raise.
"""

from __future__ import annotations

import math

from harness.markdown import is_number
from harness.results import benchmark_rows

ACCURACY = {"one_step_mse": "one-step MSE", "rollout_rmse": "rollout RMSE"}
# Timings are divided by the calibration workload of the same run, so machines compare.
TIMINGS = {"train_seconds": "train time", "step_latency_s": "step latency"}


def by_benchmark(results: dict) -> dict:
    """The benchmark rows of ``results`` by (model, recipe); measured claims' rows are not
    benchmarks and never shadow one."""
    return {(row.get("model"), row.get("recipe")): row for row in benchmark_rows(results)}


def block(row: dict | None, metric: str) -> dict | None:
    value = (row or {}).get(metric)
    return value if isinstance(value, dict) and is_number(value.get("median")) else None


def diagnostic(row: dict | None, metric: str) -> dict | None:
    """A figure of the row's diagnostic: ours, not the implementation's inference (the cosine
    benchmarks' twin with the state carried by hand); None where the row has none."""
    found = (row or {}).get("diagnostic")
    return block(found, metric) if isinstance(found, dict) else None


def median(row: dict | None, metric: str) -> float | None:
    found = block(row, metric)
    return None if found is None else found["median"]


def samples(row: dict | None, metric: str) -> list[float] | None:
    """A figure's values (one per seed, or per round), else its median alone."""
    found = block(row, metric)
    if found is None:
        return None
    values = found.get("values")
    if isinstance(values, list) and values and all(is_number(value) for value in values):
        return list(values)
    return [found["median"]]


def reference(row: dict | None) -> float | None:
    """The run's calibration workload time, where the row has a usable one."""
    value = (row or {}).get("reference_seconds")
    return value if is_number(value) and math.isfinite(value) and value > 0 else None


def relative_median(row: dict | None, metric: str) -> float | None:
    """The median of a timing divided by the run's reference workload time."""
    value, unit = median(row, metric), reference(row)
    return None if value is None or unit is None else value / unit


def relative_samples(row: dict | None, metric: str) -> list[float] | None:
    """A timing's values in units of the run's reference workload."""
    values, unit = samples(row, metric), reference(row)
    return None if values is None or unit is None else [value / unit for value in values]
