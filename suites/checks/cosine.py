"""Checks of the measured claims of the cosine benchmarks: ``train.instability`` and
``perf.cpu-vs-gpu``.

Both judge what suites/test_cosine.py measured in this process (training the article's models
takes minutes per seed, and the benchmark rows and these checks share one training): the figures
come in as plain values, so a case's script judges the figures of the run that wrote it.
"""

import math

from fixtures import cosine

DIVERGED = (f"a one-step MSE above the series' variance ({cosine.variance():.3g}), a forecast "
            f"leaving [{cosine.PLAUSIBLE_FORECAST[0]:g}, {cosine.PLAUSIBLE_FORECAST[1]:g}] or "
            "a figure that is not finite")


def spread_of(figures) -> dict:
    """Each accuracy figure's range over the seeds and its largest value over its smallest;
    ``figures``: ``one_step_mse`` and ``rollout_rmse``, one value per seed."""
    spread = {}
    for key in ("one_step_mse", "rollout_rmse"):
        low, high = min(figures[key]), max(figures[key])
        spread[f"{key}_range"] = [low, high]
        spread[f"{key}_max_over_min"] = high / low if low else math.inf
    return spread


def train_instability(check, model, figures, diverged, training_error=None):
    """What the instability the article warns of amounts to with the fast recipe: the spread of
    the one-step MSE and forecast RMSE over the seeds (largest over smallest), and how many
    seeds diverged (``DIVERGED``). Fails when a seed diverged.

    ``figures``: the benchmark's ``one_step_mse`` and ``rollout_rmse`` of ``model``, one value
    per seed; ``diverged``: seed -> why; ``training_error``: why training raised, if it did.
    """
    if training_error is not None:
        raise RuntimeError(f"no spread measured: training raised: {training_error}")
    spread = spread_of(figures)
    values = figures["one_step_mse"]
    low, high = spread["one_step_mse_range"]
    check.observe(f"{model}: one-step MSE over {len(values)} seeds {low:.2g}–{high:.2g} "
                  f"(max/min ×{spread['one_step_mse_max_over_min']:.3g}); "
                  f"{len(diverged)} of {len(values)} seeds diverged")
    if len(values) < 3:  # the suite's SEEDS: a spread needs three
        raise RuntimeError(f"no spread measured: {len(values)} seeds, three or more needed")
    check.that(not diverged, "; ".join(f"seed {seed} diverged: {why}"
                                       for seed, why in diverged.items()),
               f"no seed diverges ({DIVERGED})")


def ratios_of(seconds) -> dict:
    """CPU time over GPU time per recipe label, where both were measured; ``seconds``:
    ``"<label>/cpu"`` and ``"<label>/gpu"`` -> seconds."""
    labels = dict.fromkeys(key.rsplit("/", 1)[0] for key in seconds)  # in the order measured
    return {label: seconds[f"{label}/cpu"] / seconds[f"{label}/gpu"] for label in labels
            if f"{label}/cpu" in seconds and f"{label}/gpu" in seconds}


def cpu_vs_gpu(check, model, seconds, errors):
    """Training time on the CPU over training time on a GPU: the fast recipe, and one epoch of
    the article's batch-1 recipe (where the article says the CPU may win).

    ``seconds``: the training times measured (``"<label>/<device>"`` -> seconds); ``errors``:
    the timings that raised.
    """
    ratios = ratios_of(seconds)
    check.observe(f"{model}: CPU ÷ GPU training time " + ", ".join(
        f"{label} {ratio:.2f}" for label, ratio in ratios.items()))
    if errors:
        raise RuntimeError("; ".join(errors))
    check.that(all(math.isfinite(r) and r > 0 for r in ratios.values()), f"ratios {ratios}",
               "positive, finite ratios of measured durations")
