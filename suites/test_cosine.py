"""Cosine benchmarks: the article's four models, measured for accuracy and speed.

``test_cosine[<model>-fast]`` runs our recipe in the default run; ``test_cosine[<model>-article]``
runs the article's own (slow: its stacked model took 53 minutes) only with ``--article``. Each
records one row in the results file's ``benchmarks`` (median and spread over ``SEEDS``) and
draws ``reports/figures/<implementation>-<keras version>/<model>.png``. Accuracy targets are recorded in the row,
never asserted: a slow or unlucky machine must not fail the suite. Two measured claims come
last, ``train.instability`` (spread across seeds) and ``perf.cpu-vs-gpu`` (needs a GPU); their
rows in ``benchmarks`` carry a ``claim`` key. A model the implementation cannot train gets a
row with status "error" and fails its own test only.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import re
import time
from pathlib import Path

import numpy as np
import pytest

from fixtures import cosine
from harness import results
from harness.plugin import PROJECT_ROOT  # what report figure paths are relative to

# Training-based: ``-m "not slow"`` leaves the conformance checks alone.
pytestmark = pytest.mark.slow

SEEDS = (0, 1, 2)
# One-step test MSE (0-1 scale), median over seeds, that the fast recipe is to beat.
TARGET_MSE = {"stateful": 4.9e-6, "stateless": 1.3e-4, "stacked": 4.2e-4, "dense": 7.6e-3}
ROLLOUT_GOAL = 0.03  # 500-step forecast RMSE of the best model
# Set by the plugin from --results (beside the results file), so that a user's run leaves the
# committed figures alone.
FIGURES = Path(os.environ.get("STATEFUL_RNN_FIGURES", PROJECT_ROOT / "out" / "figures"))
REQUIRED = ("one_step_mse", "rollout_rmse", "train_seconds", "step_latency_s")
MEASURED_WHERE_APPLICABLE = ("one_step_mse_gradient_only", "naive_step_latency_s")

# Rows and forecasts measured in this process, by (model, recipe): the article rows and the
# claims reuse them rather than train again.
_measured: dict[tuple[str, str], tuple[dict, dict]] = {}


# -- helpers ----------------------------------------------------------------------------------

def reference_seconds(repeats: int = 5) -> float:
    """A fixed NumPy workload, timed in the same run, so timings compare across machines as ratios.

    Half matrix products, half a small recurrence stepped in Python, like an RNN's inner loop.
    """
    rng = np.random.default_rng(0)
    matrix = rng.standard_normal((384, 384))
    kernel = rng.standard_normal((33, 128)) * 0.1
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        for _ in range(20):
            matrix @ matrix
        h = np.zeros((1, 33))
        for _ in range(2000):
            h[:, :32] = np.tanh(h @ kernel)[:, :32]
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def statistics(values) -> dict:
    values = [float(v) for v in values]
    if not values:
        return {"median": None, "min": None, "max": None, "values": []}
    return {"median": float(np.median(values)), "min": min(values), "max": max(values),
            "values": values}


def backend_of(keras) -> str:
    return keras.backend.backend()


def visible_devices(keras) -> list[str]:
    backend = backend_of(keras)
    if backend == "tensorflow":
        import tensorflow as tf

        return [device.name for device in tf.config.list_physical_devices()]
    if backend == "jax":
        import jax

        return [f"{device.platform}:{device.id}" for device in jax.devices()]
    if backend == "torch":
        import torch

        return ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    return []


def gpus(keras) -> list[str]:
    return [d for d in visible_devices(keras) if "GPU" in d.upper() or d.startswith("cuda")]


def environment(impl, keras) -> dict:
    return {
        "implementation": impl.name, **impl.versions(), "devices": visible_devices(keras),
        "python": platform.python_version(), "numpy": np.__version__,
        "platform": platform.platform(), "cpu_count": os.cpu_count(),
    }


def figure_path(impl, model) -> Path:
    # One folder per implementation and release, so that a version matrix keeps every figure.
    folder = f"{impl.name}-{impl.versions()['keras']}"
    return FIGURES / re.sub(r"[^A-Za-z0-9_.-]", "_", folder) / f"{model}.png"


def draw(impl, model) -> Path:
    """The true curve against the 500-step forecast of every recipe measured for ``model``."""
    from matplotlib.figure import Figure  # Agg canvas, no pyplot state

    figure = Figure(figsize=(10, 3.5), layout="constrained")
    axes = figure.add_subplot()
    t = np.arange(cosine.TRAIN - 200, cosine.TRAIN + cosine.HORIZON)
    axes.plot(t, cosine.cosine(t), color="0.7", linewidth=3, label="cos (truth)")
    axes.axvline(cosine.TRAIN, color="grey", linestyle=":", linewidth=1)
    for (name, recipe), (row, forecasts) in sorted(_measured.items()):
        if name != model or not forecasts:
            continue
        median_seed = min(forecasts, key=lambda seed: abs(
            forecasts[seed][1] - row["rollout_rmse"]["median"]))
        values, rmse = forecasts[median_seed]
        axes.plot(np.arange(cosine.TRAIN, cosine.TRAIN + len(values)), values, linewidth=1.2,
                  label=f"{recipe} forecast (seed {median_seed}, RMSE {rmse:.2g})")
    axes.set(title=f"{model} on {impl.name}: {cosine.HORIZON}-step forecast from t = "
             f"{cosine.TRAIN}", xlabel="t", ylabel="(cos + 1) / 2", ylim=(-0.2, 1.2))
    axes.legend(loc="lower left", fontsize=8)
    path = figure_path(impl, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


def run(keras, impl, model: str, recipe_name: str, seeds=SEEDS) -> tuple[dict, dict]:
    """Train and evaluate ``model`` by the recipe for every seed; the row and the forecasts.

    A seed whose training raises is recorded in the row, and the other seeds still run.
    """
    recipe = cosine.RECIPES[recipe_name][model]
    values: dict[str, list] = {key: [] for key in REQUIRED + MEASURED_WHERE_APPLICABLE}
    forecasts, errors = {}, []
    reference = reference_seconds()
    for seed in seeds:
        keras.utils.set_random_seed(seed)
        try:
            result = cosine.measure(keras, model, recipe)
        except Exception as error:  # an implementation that cannot train this model
            errors.append(f"seed {seed}: {type(error).__name__}: {error}")
            continue
        for key in values:
            if key in result:
                values[key].append(result[key])
        forecasts[seed] = (result["forecast"], result["rollout_rmse"])
    stats = {key: statistics(v) for key, v in values.items() if v or key in REQUIRED}
    mse, rmse = stats["one_step_mse"]["median"], stats["rollout_rmse"]["median"]
    row = results.benchmark_row(
        model, recipe_name, seeds, "error" if errors else "ok",
        **{"error": "; ".join(errors)[:3000] if errors else None,
        **stats,
        "reference_seconds": reference,
        "target_mse": TARGET_MSE[model],
        "beats_target": None if mse is None else mse <= TARGET_MSE[model],
        "rollout_goal": ROLLOUT_GOAL,
        "beats_rollout_goal": None if rmse is None else rmse < ROLLOUT_GOAL,
        "recipe_details": dataclasses.asdict(recipe),
        "environment": environment(impl, keras)},
    )
    _measured[(model, recipe_name)] = (row, forecasts)
    if forecasts:
        figure = draw(impl, model)
        # Relative to the project root, as reports read it; absolute when drawn elsewhere.
        row["figure"] = str(figure.relative_to(PROJECT_ROOT) if figure.is_relative_to(PROJECT_ROOT)
                            else figure)
    return row, forecasts


def measured(keras, impl, model, recipe_name) -> dict:
    """The row of ``model`` by the recipe, from this process if it ran here, else run now."""
    if (model, recipe_name) not in _measured:
        run(keras, impl, model, recipe_name)
    return _measured[(model, recipe_name)][0]


# -- benchmarks -------------------------------------------------------------------------------

@pytest.mark.parametrize("recipe", [
    "fast",
    pytest.param("article", marks=[pytest.mark.article, pytest.mark.timeout(6 * 3600)]),
])
@pytest.mark.parametrize("model", list(cosine.MODELS))
def test_cosine(keras, impl, benchmark, record_property, model, recipe):
    """Accuracy (one-step MSE, 500-step forecast RMSE) and speed of ``model`` by ``recipe``."""
    row, _ = benchmark.pedantic(run, args=(keras, impl, model, recipe), rounds=1, iterations=1)
    if recipe == "article" and row["status"] == "ok":
        fast = measured(keras, impl, model, "fast")["train_seconds"]["median"]
        if fast is not None:
            row["fast_over_article_train_time"] = fast / row["train_seconds"]["median"]
    benchmark.extra_info.update(
        {key: row[key] for key in ("model", "recipe", "status", "reference_seconds")},
        one_step_mse=row["one_step_mse"]["median"], rollout_rmse=row["rollout_rmse"]["median"],
    )
    record_property("benchmark", row)
    if row["status"] == "error":
        pytest.fail(f"{model} ({recipe} recipe) on {impl.name}: training raised: {row['error']}",
                    pytrace=False)


# -- measured claims --------------------------------------------------------------------------

# What the standalone script of a model that could not be trained does: build the article's
# model and train it one epoch on the cosine windows, as the benchmark's first step does.
TRAINING_REPRO = """
builder = {{"stateless": stateless_lstm, "stateful": stateful_lstm, "stacked": stacked_lstm,
           "dense": dense_network}}[{model!r}]
model = builder(keras)
window, batch_size = model.input_shape[1], model.input_shape[0] or 32
t = np.arange(800 + window)
y = ((np.cos(2 * np.pi * t / 100) + 1) / 2).astype("float32")
x = np.stack([y[i:i + window] for i in range(800)])[..., None]
x, target = x[: len(x) // batch_size * batch_size], y[window: window + len(x) // batch_size * batch_size]
model.compile(optimizer="adam", loss="mse")
history = model.fit(x, target, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
expect(np.isfinite(history.history["loss"][-1]), "one epoch of training gives a finite loss")
"""


@pytest.mark.claim("train.instability")
@pytest.mark.parametrize("model", list(cosine.MODELS))
def test_train_instability(keras, impl, check, record_property, model):
    """The spread of the fast recipe's accuracy across seeds, recorded as a measurement (with
    the article recipe's too when ``--article`` ran it in this session)."""
    check.reproduce(TRAINING_REPRO.format(model=model), extra=(
        ("UNITS", cosine.UNITS), cosine.stateless_lstm, cosine.stateful_lstm, cosine.stacked_lstm,
        cosine.dense_network))
    row = measured(keras, impl, model, "fast")
    if row["status"] == "error":
        raise RuntimeError(f"no spread measured: training raised: {row['error']}")
    spread = results.measurement_row(
        "train.instability", model, recipe="fast", seeds=row["seeds"], status="ok", error=None,
        **spread_of(row), reference_seconds=row["reference_seconds"],
        environment=row["environment"])
    article = _measured.get((model, "article"))
    if article and article[0]["status"] == "ok":
        spread["article"] = spread_of(article[0])
    record_property("benchmark", spread)
    values = row["one_step_mse"]["values"] + row["rollout_rmse"]["values"]
    mse = row["one_step_mse"]
    check.observe(f"{model}: one-step MSE over {len(mse['values'])} seeds {mse['min']:.2g}–"
                  f"{mse['max']:.2g} (max/min ×{spread['one_step_mse_max_over_min']:.3g})")
    check.precondition(len(mse["values"]) >= 3, "three or more seeds measured",
                       f"{len(mse['values'])} seeds")
    check.that(all(math.isfinite(v) for v in values), f"non-finite accuracy figures: {values}",
               "finite one-step MSE and rollout RMSE on every seed")


def spread_of(row) -> dict:
    """The accuracy figures of a row and, for each, its largest value over its smallest."""
    spread = {}
    for key in ("one_step_mse", "rollout_rmse", "one_step_mse_gradient_only"):
        if key in row:
            low, high = row[key]["min"], row[key]["max"]
            spread[key] = row[key]
            spread[f"{key}_max_over_min"] = high / low if low else math.inf
    return spread


@pytest.mark.claim("perf.cpu-vs-gpu")
@pytest.mark.parametrize("model", list(cosine.MODELS))
def test_cpu_vs_gpu(keras, impl, check, record_property, model):
    """Training time on the CPU over training time on a GPU: the fast recipe, and one epoch of
    the article's batch-1 recipe (where the article says the CPU may win)."""
    backend = backend_of(keras)
    devices = gpus(keras)
    if not devices:
        pytest.skip(f"no GPU visible to {backend}")
    recipes = {"fast": cosine.RECIPES["fast"][model],
               "article-1-epoch": dataclasses.replace(cosine.RECIPES["article"][model], epochs=1)}
    seconds, errors = {}, []
    for label, recipe in recipes.items():
        for device in ("cpu", "gpu"):
            keras.utils.set_random_seed(0)
            try:
                with device_scope(keras, device):
                    seconds[f"{label}/{device}"] = timed_training(keras, model, recipe)
            except Exception as error:  # recorded; the other timings still run
                errors.append(f"{label} on {device}: {type(error).__name__}: {error}")
    ratios = {label: seconds[f"{label}/cpu"] / seconds[f"{label}/gpu"] for label in recipes
              if f"{label}/cpu" in seconds and f"{label}/gpu" in seconds}
    record_property("benchmark", results.measurement_row(
        "perf.cpu-vs-gpu", model, recipe="fast", seeds=[0],
        status="error" if errors else "ok", error="; ".join(errors)[:3000] or None,
        gpu=devices[0], train_seconds_by_device=seconds, cpu_over_gpu=ratios,
        cpu_faster={label: ratio < 1 for label, ratio in ratios.items()},
        reference_seconds=reference_seconds(), environment=environment(impl, keras)))
    check.observe(f"{model}: CPU ÷ GPU training time " + ", ".join(
        f"{label} {ratio:.2f}" for label, ratio in ratios.items()))
    if errors:
        raise RuntimeError("; ".join(errors))
    check.that(all(math.isfinite(r) and r > 0 for r in ratios.values()), f"ratios {ratios}",
               "positive, finite ratios of measured durations")


def device_scope(keras, device: str):
    """Place what is built and run inside on the first ``device`` ("cpu" or "gpu")."""
    if hasattr(keras, "device"):  # Keras 3, every backend
        # Without an index: on keras-torch "cpu:0" breaks building a Dropout (its seed variable
        # becomes a plain tensor that torch then refuses as a parameter).
        return keras.device(device)
    import tensorflow as tf

    return tf.device(f"/{device.upper()}:0")


def timed_training(keras, model, recipe) -> float:
    started = time.perf_counter()
    trained = cosine.train(keras, model, recipe)
    if recipe.readout:
        cosine.refit_readout(keras, trained, model, recipe, cosine.series())
    return time.perf_counter() - started
