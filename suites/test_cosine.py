"""Cosine benchmarks: the article's four models, measured for accuracy and speed.

``test_cosine[<model>-fast]`` runs our recipe in the default run; ``test_cosine[<model>-article]``
runs the article's own (slow: its stacked model took 53 minutes) only with ``--article``. Each
records one row in the results file's ``benchmarks`` (kind "benchmark": median and spread over
``SEEDS``) and draws ``figures/<implementation>-<keras version>/<model>.png``.

What a row measures, all in this process:

- accuracy: the one-step test MSE and the 500-step forecast RMSE of the weights ``model.fit``
  found (gradient training only), through Keras's own inference as the article drives a trained
  model (a batch-1 copy whose state Keras carries across ``predict`` and ``predict_on_batch``:
  ``fixtures.cosine_evaluation.keras_one_step``, ``keras_forecast``), against the published
  one-step MSE (``TARGET_MSE``); for a stateful model, whether Keras carried the state
  (``keras_state_carried``); the predictions' slope against the targets (below 1: shrunk
  towards the mean), and, labelled as our derivation, the lowest one-step MSE the model's output
  Dropout allows at convergence (``dropout_floor_mse``,
  ``fixtures.cosine_evaluation.converged_dropout_floor``). Labelled as ours, a diagnostic
  (``diagnostic``): the same figures from our compiled twin with the state carried by hand;
- training time: building, compiling and ``fit``; a fast row also times the article recipe's
  first two epochs and extrapolates it to the article's epoch count
  (``article_train_seconds_extrapolated``, ``fast_over_article_train_time``, goal ``TIME_GOAL``);
  ``recipe_details`` is the recipe as it ran (``steps_per_execution`` after any cap or
  fallback; where that differs, the recipe's own in ``steps_per_execution_declared``);
- the forecast step: our twin's compiled step timed by pytest-benchmark (``step_latency_s``:
  warm-up, ``LATENCY_ROUNDS`` rounds, its statistics and every round's time), and the naive
  ``model.predict`` per step (``naive_step_latency_s``, ``NAIVE_ROUNDS`` rounds).

Accuracy and speed are recorded, never asserted: a slow or unlucky machine must not fail the
suite. A row's status is "ok", "error" (training raised on some seed: the implementation cannot
train the model; recorded, and train.instability reports it), "diverged" (a seed's figures are
not finite or not plausible: see ``fixtures.cosine_data.implausible``; the reason is the row's
``error``) or
"no-skill" (the median forecast RMSE is no better than forecasting the series' mean:
``NO_SKILL_RMSE``, ``row_status``). The
measured claims come last: ``train.instability`` (the spread over seeds, and whether a seed
diverged) and ``perf.cpu-vs-gpu`` (needs a GPU); their rows are kind "measurement".
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import time
from pathlib import Path

import numpy as np
import pytest

from fixtures import cosine
from fixtures.backends import backend_of, gpus, uncached_compilation, visible_devices
from harness import results
from harness.environment import environment as run_environment
from harness.paths import PROJECT_ROOT  # what report figure paths are relative to
from suites.checks import cosine as cosine_checks

# Training-based: ``-m "not slow"`` leaves the conformance checks alone.
# Training three seeds and timing the article's epochs takes minutes on a slow backend (about
# 1.5 minutes per model on keras-torch here) and more on a shared machine: the project-wide
# 300 s is for one check, not for a benchmark.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

SEEDS = (0, 1, 2)
# One-step test MSE (0-1 scale), median over seeds, that the fast recipe is to beat.
TARGET_MSE = {"stateful": 4.9e-6, "stateless": 1.3e-4, "stacked": 4.2e-4, "dense": 7.6e-3}
TIME_GOAL = 0.10  # the fast recipe's training time over the article recipe's, at most
ROLLOUT_GOAL = 0.03  # 500-step forecast RMSE of the best model
LATENCY_GOAL = 0.5e-3  # seconds per compiled forecast step
LATENCY_ROUNDS, LATENCY_WARMUP = 200, 10
NAIVE_ROUNDS, NAIVE_WARMUP = 20, 2
# Set by the plugin from --results (beside the results file), so that a user's run leaves the
# committed figures alone.
FIGURES = Path(os.environ.get("STATEFUL_RNN_FIGURES", PROJECT_ROOT / "out" / "figures"))
REQUIRED = ("one_step_mse", "rollout_rmse", "train_seconds", "step_latency_s")
# The diagnostic's figures: ours, not Keras's inference.
TWIN = {"twin_one_step_mse": "one_step_mse", "twin_rollout_rmse": "rollout_rmse"}
DIAGNOSTIC_SOURCE = ("ours, not Keras's inference: a stateless twin of the trained model (LSTMs "
                     "with return_state sharing its weights), compiled, its state carried by "
                     "hand (fixtures/cosine_evaluation.py, Predictor)")
# A forecast shows skill only when it beats forecasting the series' mean (RMSE √(1/8) ≈ 0.354)
# by more than this fraction: one row's seeds spread by about as much (keras-jax 3.15, stateless:
# 0.335–0.347), so an RMSE of 0.35 is no better than the mean.
SKILL_MARGIN = 0.05
NO_SKILL_RMSE = (1 - SKILL_MARGIN) * cosine.mean_forecast_rmse()
NO_SKILL = (f"the median 500-step forecast RMSE is no better than forecasting the series' mean "
            f"(at least {NO_SKILL_RMSE:.3g}: within {SKILL_MARGIN:.0%} of the mean's "
            f"{cosine.mean_forecast_rmse():.3g})")


@dataclasses.dataclass
class Measured:
    """What ``run`` measured for one model and recipe in this process."""
    row: dict
    forecasts: dict  # seed -> (forecast, rollout RMSE)
    trained: dict | None = None  # the last seed's model and predictor, for the step latency
    diverged: dict = dataclasses.field(default_factory=dict)  # seed -> why


# Rows measured in this process, by (model, recipe): the article rows and the claims reuse
# them rather than train again.
_measured: dict[tuple[str, str], Measured] = {}


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


def timing_statistics(values, source: str, warmup_rounds: int) -> dict:
    """A timing block: the figure block (median, min, max, values: one per round) with the
    mean, standard deviation, interquartile range, rounds and where the times come from."""
    block = statistics(values)
    if values:
        q1, q3 = np.percentile(values, [25, 75])
        block.update(mean=float(np.mean(values)), stddev=float(np.std(values, ddof=1))
                     if len(values) > 1 else 0.0, iqr=float(q3 - q1))
    return {**block, "rounds": len(values), "warmup_rounds": warmup_rounds, "source": source}


def timed_rounds(function, rounds: int, warmup_rounds: int, setup=None) -> list[float]:
    """Seconds of each of ``rounds`` calls of ``function`` after ``warmup_rounds`` untimed
    ones; ``setup`` runs, untimed, before each."""
    times = []
    for k in range(warmup_rounds + rounds):
        if setup is not None:
            setup()
        started = time.perf_counter()
        function()
        if k >= warmup_rounds:
            times.append(time.perf_counter() - started)
    return times


def step_latency(benchmark, step, setup) -> dict:
    """The compiled forecast step timed by pytest-benchmark: its statistics and every round.

    pytest-benchmark is off under ``--benchmark-disable`` and under pytest-xdist; the same
    rounds are then timed here, and the block says so.
    """
    if benchmark.disabled:
        times = timed_rounds(step, LATENCY_ROUNDS, LATENCY_WARMUP, setup)
        return timing_statistics(times, "perf_counter (pytest-benchmark disabled)",
                                 LATENCY_WARMUP)
    benchmark.pedantic(step, setup=setup, rounds=LATENCY_ROUNDS, warmup_rounds=LATENCY_WARMUP,
                       iterations=1)
    stats = benchmark.stats.stats
    block = timing_statistics(list(stats.data), "pytest-benchmark", LATENCY_WARMUP)
    # pytest-benchmark's own figures, as its saved runs and `pytest-benchmark compare` show them.
    block.update(mean=stats.mean, stddev=stats.stddev, iqr=stats.iqr, median=stats.median,
                 min=stats.min, max=stats.max)
    return block


def environment(impl, keras) -> dict:
    return {"implementation": impl.name, **impl.versions(), "devices": visible_devices(keras),
            **run_environment()}


def figure_path(impl, model) -> Path:
    # One folder per implementation and release, so that a version matrix keeps every figure.
    folder = f"{impl.name}-{impl.versions()['keras']}"
    return FIGURES / re.sub(r"[^A-Za-z0-9_.-]", "_", folder) / f"{model}.png"


# The y axis follows the curves drawn, but no further than this: a forecast beyond it is drawn
# along the edge, its clipped steps marked.
VIEW = (-1.5, 2.5)


def axis_limits(curves) -> tuple[float, float]:
    """Limits that show every finite value of ``curves`` within ``VIEW``, with a margin."""
    finite = np.concatenate([np.asarray(c, float)[np.isfinite(c)] for c in curves])
    low, high = max(finite.min(), VIEW[0]), min(finite.max(), VIEW[1])
    margin = 0.05 * (high - low) or 0.1
    return low - margin, high + margin


def plot(impl, model):
    """The true curve against the 500-step forecast of every recipe measured for ``model``.

    Each recipe shows its median seed (by forecast RMSE) and every seed that diverged. The axes
    follow the data; a forecast that leaves them (or is not finite) is drawn along the edge, and
    its clipped steps are marked and counted in the legend. The plausible band of the sanity
    check is dashed when it is in view. Returns the matplotlib ``Figure``.
    """
    from matplotlib.figure import Figure  # Agg canvas, no pyplot state

    figure = Figure(figsize=(10, 3.5), layout="constrained")
    axes = figure.add_subplot()
    t = np.arange(cosine.TRAIN - 200, cosine.TRAIN + cosine.HORIZON)
    truth = cosine.cosine(t)
    shown = []  # (recipe, seed, forecast, RMSE, diverged): the median seed, and any that diverged
    for (name, recipe), measured in sorted(_measured.items()):
        forecasts, row = measured.forecasts, measured.row
        if name != model or not forecasts:
            continue
        rmse = row["rollout_rmse"]["median"]
        median = min(forecasts, key=lambda s: abs(forecasts[s][1] - rmse)
                     if np.isfinite(forecasts[s][1]) and rmse is not None and np.isfinite(rmse)
                     else math.inf)
        for seed in sorted({median, *measured.diverged}):
            shown.append((recipe, seed, *forecasts[seed], seed in measured.diverged))
    low, high = axis_limits([truth] + [entry[2] for entry in shown])
    axes.plot(t, truth, color="0.7", linewidth=3, label="cos (truth)")
    axes.axvline(cosine.TRAIN, color="grey", linestyle=":", linewidth=1)
    for bound in cosine.PLAUSIBLE_FORECAST:
        if low < bound < high:
            axes.axhline(bound, color="firebrick", linestyle="--", linewidth=0.8, alpha=0.6)
    for recipe, seed, values, rmse, diverged in shown:
        steps = np.arange(cosine.TRAIN, cosine.TRAIN + len(values))
        values = np.asarray(values, float)
        clipped = ~np.isfinite(values) | (values < low) | (values > high)
        drawn = np.clip(np.nan_to_num(values, nan=high, posinf=high, neginf=low), low, high)
        label = (f"{recipe} forecast (seed {seed}, RMSE {rmse:.2g}"
                 f"{', diverged' if diverged else ''})")
        if clipped.any():
            label += f"; {int(clipped.sum())} steps beyond the axes, marked"
        (line,) = axes.plot(steps, drawn, linewidth=1.2, label=label)
        if clipped.any():
            top = clipped & (drawn >= high)
            axes.plot(steps[top], drawn[top], "^", color=line.get_color(), markersize=3)
            axes.plot(steps[clipped & ~top], drawn[clipped & ~top], "v", color=line.get_color(),
                      markersize=3)
    axes.set(title=f"{model} on {impl.name}: {cosine.HORIZON}-step forecast from t = "
             f"{cosine.TRAIN}", xlabel="t", ylabel="(cos + 1) / 2", ylim=(low, high))
    axes.legend(loc="lower left", fontsize=8)
    return figure


def draw(impl, model) -> Path:
    """``plot`` saved to ``figure_path``; returns the path."""
    path = figure_path(impl, model)
    path.parent.mkdir(parents=True, exist_ok=True)
    plot(impl, model).savefig(path, dpi=100)
    return path


def run(keras, impl, model: str, recipe_name: str, seeds=SEEDS, progress=None) -> Measured:
    """Train and evaluate ``model`` by the recipe for every seed: its row, forecasts and the last
    seed's trained model. A fast recipe also times the article recipe's first epochs.

    A seed whose training raises is recorded in the row, and the other seeds still run.
    ``progress(text)``, where given, hears of every epoch (see ``epoch_progress``).
    """
    recipe = cosine.RECIPES[recipe_name][model]
    values: dict[str, list] = {key: [] for key in REQUIRED if key != "step_latency_s"}
    values["prediction_slope"] = []
    twin = {key: [] for key in TWIN}
    measured = Measured(row={}, forecasts={})
    errors, estimate, after_first, notes = [], {}, [], set()
    carried, steps_per_execution = [], set()
    reference = reference_seconds()
    for k, seed in enumerate(seeds):
        if recipe_name != "article" and k == len(seeds) // 2 > 0 and values["train_seconds"]:
            # The article's epochs are timed between the seeds, so that both recipes run
            # under the same load: the machine's speed drifts from one minute to the next.
            estimate = article_time(keras, model)
        keras.utils.set_random_seed(seed)
        try:
            result = cosine.measure(keras, model, recipe, progress=None if progress is None else (
                lambda epoch, epochs, k=k: progress(
                    f"{model}, {recipe_name} recipe: seed {k + 1} of {len(seeds)}, "
                    f"epoch {epoch} of {epochs}")))
        except Exception as error:  # an implementation that cannot train this model
            errors.append(f"seed {seed}: {type(error).__name__}: {error}")
            continue
        for key in values:
            values[key].append(result[key])
        for key in twin:
            twin[key].append(result[key])
        if result["state_carried"] is not None:
            carried.append(result["state_carried"])
        steps_per_execution.add(result["steps_per_execution"])
        after_first.append(result["train_seconds"] - result["epoch_seconds"][0])
        notes.update(result["notes"])
        measured.forecasts[seed] = (result["forecast"], result["rollout_rmse"])
        measured.trained = {"model": result["model"], "predictor": result["predictor"]}
        if result["implausible"]:
            measured.diverged[seed] = result["implausible"]
    if recipe_name != "article" and not estimate and values["train_seconds"]:
        estimate = article_time(keras, model)  # one seed: after it
    stats = {key: statistics(v) for key, v in values.items()}
    mse, rmse = stats["one_step_mse"]["median"], stats["rollout_rmse"]["median"]
    status, error = row_status(errors, measured.diverged, rmse)
    plausible = status in ("ok", "no-skill")
    row = results.benchmark_row(
        model, recipe_name, seeds, status, error=error, **stats,
        step_latency_s=statistics([]),
        diverged_seeds=sorted(measured.diverged),
        reference_seconds=reference,
        target_mse=TARGET_MSE[model],
        beats_target=None if mse is None or not plausible else bool(mse <= TARGET_MSE[model]),
        rollout_goal=ROLLOUT_GOAL,
        beats_rollout_goal=None if rmse is None or not plausible else bool(rmse < ROLLOUT_GOAL),
        no_skill_rollout_rmse=NO_SKILL_RMSE,
        keras_state_carried=all(carried) if carried else None,
        diagnostic={"source": DIAGNOSTIC_SOURCE,
                    **{figure: statistics(twin[key]) for key, figure in TWIN.items()}},
        recipe_details=recipe_as_run(recipe, steps_per_execution),
        environment=environment(impl, keras),
    )
    if carried and not all(carried):
        notes.add(f"Keras carried no state through predict on {carried.count(False)} of "
                  f"{len(carried)} seeds: the batch-1 copy's state was still zeros after the "
                  "history, so every predict and predict_on_batch call started from zeros; the "
                  "one-step MSE and forecast are those of that model (the diagnostic carries "
                  "the state by hand)")
    if notes:
        row["notes"] = sorted(notes)
    if measured.trained:
        row["dropout_floor_mse"] = cosine.converged_dropout_floor(measured.trained["model"])
    if estimate:
        row.update(article_train_seconds_extrapolated=estimate.get("seconds"),
                   article_train_estimate=estimate, time_goal=TIME_GOAL)
        if estimate.get("seconds") and stats["train_seconds"]["median"] is not None:
            ratio = stats["train_seconds"]["median"] / estimate["seconds"]
            row.update(fast_over_article_train_time=ratio, beats_time_goal=bool(ratio <= TIME_GOAL))
            # The same without either recipe's first epoch (building, compiling, tracing): what
            # the fixed costs hide where the article's training is short (JAX).
            row["fast_over_article_train_time_after_first_epoch"] = (
                float(np.median(after_first)) / (estimate["seconds"] - estimate["first_epoch_s"]))
    measured.row = row
    _measured[(model, recipe_name)] = measured
    return measured


def row_status(errors: list, diverged: dict, rollout_rmse: float | None) -> tuple:
    """A row's status and its reason: "error" where a seed's training raised, "diverged" where
    a seed's figures are implausible, "no-skill" where the median forecast RMSE is no better
    than the series' mean (``NO_SKILL_RMSE``), else "ok" (reason None)."""
    if errors:
        return "error", "; ".join(errors)[:3000]
    if diverged:
        return "diverged", "diverged: " + "; ".join(f"seed {seed}: {why}"
                                                    for seed, why in diverged.items())
    if rollout_rmse is not None and rollout_rmse >= NO_SKILL_RMSE:
        return "no-skill", NO_SKILL
    return "ok", None


def recipe_as_run(recipe, steps_per_execution: set) -> dict:
    """The recipe as it trained: ``steps_per_execution`` is the steps per call that ran (one
    value, or the sorted values where seeds differed); where that is not the recipe's own, the
    recipe's is kept beside it (``steps_per_execution_declared``)."""
    details = dataclasses.asdict(recipe)
    ran = sorted(steps_per_execution, key=str)
    if ran and ran != [recipe.steps_per_execution]:
        details.update(steps_per_execution=ran[0] if len(ran) == 1 else ran,
                       steps_per_execution_declared=recipe.steps_per_execution)
    return details


def article_time(keras, model: str) -> dict:
    """The article recipe's training time for ``model``, extrapolated from its first two epochs
    timed now (``fixtures.cosine_training.article_train_estimate``); an ``error`` if it raised."""
    keras.utils.set_random_seed(0)
    try:
        return cosine.article_train_estimate(keras, model)
    except Exception as error:  # the article's model may not train where ours does
        return {"seconds": None, "error": f"{type(error).__name__}: {error}"[:500]}


def epoch_progress(config):
    """Where a long training is: a live line on a terminal, a line every 10 % in a CI log,
    nothing with ``-q`` (or on an xdist worker, which has no terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or config.get_verbosity() < 0 or hasattr(config, "workerinput"):
        return None

    def show(text: str) -> None:
        epoch, epochs = (int(n) for n in re.findall(r"epoch (\d+) of (\d+)", text)[0])
        if reporter.isatty:
            reporter.rewrite(text, erase=True)
        elif epoch == epochs or epoch % max(1, epochs // 10) == 0:
            reporter.write_line(text)

    return show


def measured(keras, impl, model, recipe_name) -> Measured:
    """What ``model`` by the recipe measured in this process, measured now if it was not."""
    if (model, recipe_name) not in _measured:
        run(keras, impl, model, recipe_name)
    return _measured[(model, recipe_name)]


# -- benchmarks -------------------------------------------------------------------------------

@pytest.mark.parametrize("recipe", [
    "fast",
    pytest.param("article", marks=[pytest.mark.article, pytest.mark.timeout(6 * 3600)]),
])
@pytest.mark.parametrize("model", list(cosine.MODELS))
def test_cosine(keras, impl, benchmark, record_property, pytestconfig, model, recipe):
    """Accuracy (one-step MSE, 500-step forecast RMSE) and speed (training time, forecast step)
    of ``model`` by ``recipe``: one row. The article's recipe (minutes per seed) shows its
    progress."""
    result = run(keras, impl, model, recipe,
                 progress=epoch_progress(pytestconfig) if recipe == "article" else None)
    row = result.row
    if result.trained:
        y = cosine.series()
        trained = result.trained
        step, setup = cosine.forecast_step(trained["predictor"], model,
                                           cosine.RECIPES[recipe][model], y)
        benchmark.group = f"cosine forecast step, {impl.name}"
        benchmark.extra_info.update(model=model, recipe=recipe, status=row["status"])
        row["step_latency_s"] = step_latency(benchmark, step, setup)
        row["latency_goal"] = LATENCY_GOAL
        row["beats_latency_goal"] = bool(row["step_latency_s"]["median"] <= LATENCY_GOAL)
        naive = cosine.naive_step(keras, trained["model"], model)
        row["naive_step_latency_s"] = timing_statistics(
            timed_rounds(naive, NAIVE_ROUNDS, NAIVE_WARMUP), "perf_counter", NAIVE_WARMUP)
        result.trained = None  # the models are not needed any more
    if recipe == "article" and row["train_seconds"]["median"]:
        fast = measured(keras, impl, model, "fast").row["train_seconds"]["median"]
        if fast is not None:  # both measured in full in this run
            row["fast_over_article_train_time"] = fast / row["train_seconds"]["median"]
    if result.forecasts:
        figure = draw(impl, model)
        # Relative to the project root, as reports read it; absolute when drawn elsewhere.
        row["figure"] = str(figure.relative_to(PROJECT_ROOT) if figure.is_relative_to(PROJECT_ROOT)
                            else figure)
    # A model the implementation cannot train is recorded (status error), not failed here:
    # benchmarks record their figures; train.instability reports it as its verdict, and the gate
    # flags a benchmark that trained before and errors now.
    record_property("benchmark", row)


# -- measured claims --------------------------------------------------------------------------
# The checks are in suites/checks/cosine.py; they judge what the benchmarks measured here.

@pytest.mark.claim("train.instability")
@pytest.mark.parametrize("model", list(cosine.MODELS))
def test_train_instability(run_check, keras, impl, record_property, model):
    result = measured(keras, impl, model, "fast")
    row = result.row
    figures = {key: row[key]["values"] for key in ("one_step_mse", "rollout_rmse")}
    if row["status"] != "error":
        record_property("benchmark", results.measurement_row(
            "train.instability", model, recipe="fast", seeds=row["seeds"], status=row["status"],
            error=row["error"], **cosine_checks.spread_of(figures),
            diverged_seeds=row["diverged_seeds"], diverged_if=cosine_checks.DIVERGED,
            reference_seconds=row["reference_seconds"], environment=row["environment"]))
    run_check(cosine_checks.train_instability, model=model, figures=figures,
              diverged=result.diverged,
              training_error=row["error"] if row["status"] == "error" else None)


@pytest.mark.claim("perf.cpu-vs-gpu")
@pytest.mark.parametrize("model", list(cosine.MODELS))
def test_cpu_vs_gpu(run_check, keras, impl, record_property, model):
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
    ratios = cosine_checks.ratios_of(seconds)
    record_property("benchmark", results.measurement_row(
        "perf.cpu-vs-gpu", model, recipe="fast", seeds=[0],
        status="error" if errors else "ok", error="; ".join(errors)[:3000] or None,
        gpu=devices[0], train_seconds_by_device=seconds, cpu_over_gpu=ratios,
        cpu_faster={label: ratio < 1 for label, ratio in ratios.items()},
        reference_seconds=reference_seconds(), environment=environment(impl, keras)))
    run_check(cosine_checks.cpu_vs_gpu, model=model, seconds=seconds, errors=errors)


def device_scope(keras, device: str):
    """Place what is built and run inside on the first ``device`` ("cpu" or "gpu")."""
    if hasattr(keras, "device"):  # Keras 3, every backend
        # Without an index: on keras-torch "cpu:0" breaks building a Dropout (its seed variable
        # becomes a plain tensor that torch then refuses as a parameter).
        return keras.device(device)
    import tensorflow as tf

    return tf.device(f"/{device.upper()}:0")


def timed_training(keras, model, recipe) -> float:
    with uncached_compilation(keras):
        started = time.perf_counter()
        cosine.train(keras, model, recipe)
        return time.perf_counter() - started
