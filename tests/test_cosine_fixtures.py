"""Tests for the cosine task (fixtures/cosine*.py): the series, its windows and stream layout,
the recipes' training data, the plausibility check, the article's extrapolated training time, the
evaluation through Keras (on keras-tensorflow, against the NumPy reference cell); and the
benchmark's rows, status, timing blocks and figure (suites/test_cosine.py)."""

import dataclasses
import json
import math
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures import cosine_data, cosine_training, reference_cells
from fixtures.cosine import (
    HORIZON,
    LENGTH,
    MODELS,
    PERIOD,
    PLAUSIBLE_FORECAST,
    RECIPES,
    TRAIN,
    article_train_estimate,
    converged_dropout_floor,
    cosine,
    evaluate,
    held_out_windows,
    implausible,
    inference_copy,
    keras_forecast,
    prediction_slope,
    reset_states,
    series,
    stream_layout,
    training_data,
    variance,
    whole_batches,
    windows,
)
from harness.implementations import load
from suites import test_cosine as suite

ROOT = Path(__file__).resolve().parents[1]


def positions(n):
    """A series whose values are their own positions, so a layout shows where it took each point."""
    return np.arange(n, dtype=np.float64)


@st.composite
def layouts(draw):
    """A series length and a stream layout of it that fits: streams, chunk length, offsets."""
    streams = draw(st.integers(1, 8))
    w = draw(st.integers(1, 25))
    offsets = draw(st.lists(st.integers(0, 2 * w), min_size=1, max_size=4, unique=True))
    chunks = draw(st.integers(1, 6))
    n = max(offsets) + 1 + streams * chunks * w + draw(st.integers(0, 2 * w * streams))
    return n, streams, w, tuple(offsets)


class TestSeries:
    def test_formula(self):
        """The series is (cos(t * 20π/1000) + 1) / 2 for t = 0..999."""
        t = np.arange(LENGTH)

        np.testing.assert_allclose(series(), (np.cos(t * 20 * np.pi / 1000) + 1) / 2)

    def test_scaled_to_unit_interval(self):
        """It starts at its maximum 1 and reaches 0 half a period later."""
        y = series()

        assert (y[0], y[PERIOD // 2]) == (pytest.approx(1.0), pytest.approx(0.0, abs=1e-12))
        assert 0.0 <= y.min() and y.max() <= 1.0

    @settings(deadline=None)
    @given(st.integers(0, 10_000))
    def test_continues_periodically(self, t):
        """The truth for a forecast past the data is the same curve, period 100."""
        assert cosine(t + PERIOD) == pytest.approx(cosine(t), abs=1e-9)


class TestWindows:
    @settings(deadline=None)
    @given(w=st.integers(1, 40), extra=st.integers(1, 300))
    def test_window_and_target(self, w, extra):
        """X[i] = y[i:i+w] and Y[i] = y[i+w], stride 1, for every i with a target."""
        n = w + extra
        x, y_next = windows(positions(n), w)

        assert x.shape == (n - w, w, 1) and y_next.shape == (n - w, 1)
        assert x[:, :, 0].tolist() == [list(range(i, i + w)) for i in range(n - w)]
        assert y_next[:, 0].tolist() == list(range(w, n))

    @pytest.mark.parametrize("w", [20, 40])
    def test_held_out_targets_are_the_test_points(self, w):
        """The held-out windows predict exactly y[800:], the last 200 points."""
        x, y_next = held_out_windows(positions(LENGTH), w)

        assert y_next[:, 0].tolist() == list(range(TRAIN, LENGTH))
        assert x[0, :, 0].tolist() == list(range(TRAIN - w, TRAIN))

    def test_stride_one_windows_do_not_continue_each_other(self):
        """The article's windows break "x2[i] follows x1[i]": window 1 starts inside window 0."""
        x, _ = windows(positions(100), 20)

        assert x[1, 0, 0] != x[0, -1, 0] + 1


class TestStreamLayout:
    @settings(deadline=None)
    @given(layouts())
    def test_row_continues_itself(self, layout):
        """Row r of batch k+1 starts right after where row r of batch k ended."""
        n, streams, w, offsets = layout
        x, _ = stream_layout(positions(n), streams, w, offsets)
        rows = streams * len(offsets)
        batches = x[:, :, 0].reshape(-1, rows, w)

        np.testing.assert_array_equal(batches[1:, :, 0], batches[:-1, :, -1] + 1)

    @settings(deadline=None)
    @given(layouts())
    def test_row_is_one_contiguous_stretch(self, layout):
        """A row's chunks, concatenated over the batches, are consecutive points of the series."""
        n, streams, w, offsets = layout
        x, _ = stream_layout(positions(n), streams, w, offsets)
        rows = streams * len(offsets)
        stretches = x[:, :, 0].reshape(-1, rows, w).transpose(1, 0, 2).reshape(rows, -1)

        np.testing.assert_array_equal(np.diff(stretches, axis=1), 1)
        assert stretches.max() < n

    @settings(deadline=None)
    @given(layouts())
    def test_target_is_the_next_point(self, layout):
        """Y after each chunk is the point that follows its last input."""
        n, streams, w, offsets = layout
        x, y_next = stream_layout(positions(n), streams, w, offsets)

        np.testing.assert_array_equal(y_next[:, 0], x[:, -1, 0] + 1)

    @settings(deadline=None)
    @given(layouts())
    def test_streams_of_one_offset_do_not_overlap(self, layout):
        """The streams of one offset are disjoint pieces that start at the offset, in order."""
        n, streams, w, offsets = layout
        x, _ = stream_layout(positions(n), streams, w, offsets)
        starts = x[:, 0, 0].reshape(-1, len(offsets), streams)[0]  # (offset, stream)
        stretch = len(x) // (streams * len(offsets)) * w

        assert starts[:, 0].tolist() == list(offsets)
        assert (np.diff(starts, axis=1) >= stretch).all()

    def test_batch_one_is_the_series_in_order(self):
        """One stream, one offset: the chunks simply tile the series."""
        x, y_next = stream_layout(positions(101), 1, 20)

        assert x[:, :, 0].reshape(-1).tolist() == list(range(100))
        assert y_next[:, 0].tolist() == [20, 40, 60, 80, 100]

    def test_too_short_is_refused(self):
        """A series too short for one chunk per stream is an error, not an empty layout."""
        with pytest.raises(ValueError, match="too short"):
            stream_layout(positions(30), 4, 20)


class TestRecipes:
    @pytest.mark.parametrize("recipe", sorted(RECIPES))
    def test_every_model_has_the_recipe(self, recipe):
        """Both recipes cover the four models."""
        assert set(RECIPES[recipe]) == set(MODELS)

    @pytest.mark.parametrize("name", [name for name, spec in MODELS.items() if spec.stateful])
    def test_fast_stateful_layout_fits_the_training_series(self, name):
        """The fast streams of a stateful model come from the 800 training points, rows intact."""
        recipe = RECIPES["fast"][name]
        x, _ = stream_layout(positions(TRAIN), recipe.streams, MODELS[name].window, recipe.offsets)
        batches = x[:, :, 0].reshape(-1, recipe.rows, MODELS[name].window)

        assert len(batches) >= 2 and x.max() < TRAIN
        np.testing.assert_array_equal(batches[1:, :, 0], batches[:-1, :, -1] + 1)


class TestWholeBatches:
    @settings(deadline=None)
    @given(n=st.integers(1, 400), batch=st.integers(1, 64))
    def test_every_batch_full_latest_kept(self, n, batch):
        """What is kept fills whole batches and is the latest windows, in order."""
        x, y_next = positions(n)[:, None, None], positions(n)[:, None] + 1
        if n < batch:
            with pytest.raises(ValueError, match="do not fill one batch"):
                whole_batches(x, y_next, batch)
            return
        kept, targets = whole_batches(x, y_next, batch)

        assert len(kept) % batch == 0 and len(kept) > n - batch
        assert kept[:, 0, 0].tolist() == list(range(n - len(kept), n))
        assert targets[:, 0].tolist() == (kept[:, 0, 0] + 1).tolist()


class TestTrainingData:
    @pytest.mark.parametrize("name", list(MODELS))
    def test_fast_batches_are_all_full(self, name):
        """The fast recipes feed whole batches only: a backend traces (JAX: compiles) one
        training step per model, not a second one for a smaller last batch."""
        x, targets, batch = training_data(name, RECIPES["fast"][name])

        assert len(x) == len(targets) and len(x) % batch == 0 and len(x) >= batch

    @pytest.mark.parametrize("name", list(MODELS))
    def test_training_data_is_the_training_series(self, name):
        """Every recipe trains on the first 800 points only: no input or target from the test."""
        y = positions(LENGTH)
        for recipe in RECIPES.values():
            x, targets, _ = training_data(name, recipe[name], y)

            assert x.max() < TRAIN and targets.max() < TRAIN

    def test_repeat_feeds_the_windows_several_times(self):
        """``repeat`` k: each epoch holds every training window k times."""
        recipe = RECIPES["fast"]["dense"]
        once, _, _ = training_data("dense", type(recipe)(**{**recipe.__dict__, "repeat": 1}))
        x, _, _ = training_data("dense", type(recipe)(**{**recipe.__dict__, "repeat": 3}))

        np.testing.assert_array_equal(x, np.concatenate([once] * 3))


    def test_input_noise_leaves_the_targets_clean(self):
        """``input_noise``: the inputs carry Gaussian noise of that σ, the targets none, and the
        noise comes from NumPy's global generator (``keras.utils.set_random_seed`` seeds it)."""
        recipe = RECIPES["fast"]["stateless"]
        assert recipe.input_noise > 0
        clean, clean_targets, _ = training_data(
            "stateless", type(recipe)(**{**recipe.__dict__, "input_noise": 0.0}))
        np.random.seed(0)
        x, targets, _ = training_data("stateless", recipe)
        np.random.seed(0)
        again, _, _ = training_data("stateless", recipe)

        np.testing.assert_array_equal(targets, clean_targets)
        np.testing.assert_array_equal(x, again)
        assert np.std(x - clean) == pytest.approx(recipe.input_noise, rel=0.05)


class TestPlausibility:
    def test_variance_is_one_eighth(self):
        """Predicting the mean of (cos + 1) / 2 scores its variance, 1/8."""
        assert variance() == pytest.approx(0.125, rel=1e-3)

    def test_a_good_model_is_plausible(self):
        """A small MSE and a forecast on the curve: nothing to say."""
        truth = cosine(np.arange(TRAIN, TRAIN + HORIZON))

        assert implausible(1e-6, truth) is None

    @pytest.mark.parametrize("mse, words", [(math.nan, "one-step MSE is nan"),
                                            (math.inf, "one-step MSE is inf"),
                                            (3.8, "above the series' variance 0.125")])
    def test_one_step_mse(self, mse, words):
        """A non-finite MSE, or one worse than predicting the mean, is not plausible."""
        assert words in implausible(mse, np.full(HORIZON, 0.5))

    def test_forecast_leaving_the_band(self):
        """The first step outside [-0.5, 1.5] and how many are outside are named."""
        forecast = np.full(HORIZON, 0.5)
        forecast[37:40] = [1.6, 2.0, -3.0]

        assert implausible(1e-6, forecast) == (
            "the forecast leaves [-0.5, 1.5] at step 37 (1.6; 3 of 500 steps outside)")

    def test_band_edges_are_plausible(self):
        """A forecast that touches the band's edges stays plausible."""
        assert implausible(1e-6, np.array(PLAUSIBLE_FORECAST * 250)) is None

    def test_non_finite_forecast(self):
        """A forecast that overflows is named from its first non-finite step."""
        forecast = np.full(HORIZON, 0.5)
        forecast[120:] = np.inf

        assert implausible(1e-6, forecast) == "the forecast is inf from step 120"

    @pytest.mark.parametrize("release", ["tf-keras-2.17", "keras-tensorflow-3.5"])
    def test_the_committed_blow_up_is_caught(self, release):
        """The fast stateless rows of tf-keras 2.17 and keras 3.5 (one-step MSE near 4 on a
        series in [0, 1], issue 14) were "ok"; each of their seeds is implausible. The rows are
        those the suite wrote then (tests/data/refit-blow-up-rows.json says from where)."""
        rows = json.loads((ROOT / "tests" / "data" / "refit-blow-up-rows.json").read_text())
        values = [value for row in rows["rows"][release] for value in row["one_step_mse"]["values"]]

        assert values and all(implausible(value, np.full(HORIZON, 0.5)) for value in values)


class TestStepsPerExecutionFallback:
    """A backend that cannot run several steps per call trains one step per call, noted."""

    @staticmethod
    def fake_keras(error):
        """A namespace whose models raise ``error`` in ``fit`` when compiled with
        ``steps_per_execution``, and record the options of every compile and fit."""
        calls = []

        class Model:
            layers = []

            def compile(self, **options):
                self.options = options
                calls.append(("compile", options.get("steps_per_execution", 1)))

            def fit(self, *args, **kwargs):
                if self.options.get("steps_per_execution", 1) > 1:
                    raise ValueError(error)
                calls.append(("fit", kwargs["epochs"]))

        class Callback:
            pass

        keras = types.SimpleNamespace(
            optimizers=types.SimpleNamespace(Adam=lambda **kwargs: "adam",
                                             Adagrad=lambda **kwargs: "adagrad",
                                             schedules=types.SimpleNamespace(
                                                 CosineDecay=lambda *args, **kwargs: 0.1)),
            callbacks=types.SimpleNamespace(Callback=Callback))
        return keras, Model, calls

    @pytest.mark.parametrize("error", [
        # Keras on PyTorch, refused by name
        "`steps_per_execution` must be 1 with the PyTorch backend. Received: "
        "steps_per_execution=230",
        # Keras 3.5 on TensorFlow, past tf.data's 32 get_next() calls in one trace
        "An unusually high number of `tf.data.Iterator.get_next()` calls was detected.",
    ])
    def test_falls_back_and_notes(self, error, monkeypatch):
        keras, model, calls = self.fake_keras(error)
        spec = dataclasses.replace(MODELS["dense"], build=lambda keras, batch_size, window: model())
        monkeypatch.setitem(cosine_training.MODELS, "dense", spec)
        notes, ran = [], {}

        cosine_training.train(keras, "dense", RECIPES["fast"]["dense"], notes=notes, ran=ran)

        assert calls[-2:] == [("compile", 1), ("fit", RECIPES["fast"]["dense"].epochs)]
        assert len(notes) == 1 and "one step per call" in notes[0] and error in notes[0]
        assert ran == {"steps_per_execution": 1}  # what trained, not what the recipe says

    def test_other_errors_raise(self, monkeypatch):
        keras, model, _ = self.fake_keras("some other failure")
        spec = dataclasses.replace(MODELS["dense"], build=lambda keras, batch_size, window: model())
        monkeypatch.setitem(cosine_training.MODELS, "dense", spec)

        with pytest.raises(ValueError, match="some other failure"):
            cosine_training.train(keras, "dense", RECIPES["fast"]["dense"], notes=[])


    @pytest.mark.parametrize("backend, version, per_call", [
        ("jax", "3.5.0", cosine_training.PER_STEP_TRACING_CAP),  # traces each step
        ("jax", "3.7.0", None), ("jax", "3.15.1", None), ("tensorflow", "3.5.0", None)])
    def test_capped_where_keras_traces_each_step(self, backend, version, per_call, monkeypatch):
        """Keras before 3.7 on JAX compiles one trace per step of an execution: those releases
        run at most PER_STEP_TRACING_CAP steps per call, and the row says so."""
        keras, model, calls = self.fake_keras("not raised: every option is accepted")
        model.fit = lambda self, *args, **kwargs: calls.append(("fit", kwargs["epochs"]))
        keras.__version__ = version
        keras.backend = types.SimpleNamespace(backend=lambda: backend)
        spec = dataclasses.replace(MODELS["dense"], build=lambda keras, batch_size, window: model())
        monkeypatch.setitem(cosine_training.MODELS, "dense", spec)
        notes, ran = [], {}

        recipe = RECIPES["fast"]["dense"]
        cosine_training.train(keras, "dense", recipe, notes=notes, ran=ran)

        # "epoch": every step of an epoch in one call. Counted here, not by the training data
        # under test: the 800 training points give 800 - 40 stride-1 windows, the latest whole
        # batches of 32 of them are kept, and each epoch feeds them ``repeat`` (10) times.
        per_epoch = (TRAIN - MODELS["dense"].window) // recipe.batch_size * recipe.repeat
        assert per_epoch == 230 > cosine_training.PER_STEP_TRACING_CAP
        assert calls == [("compile", per_call or per_epoch), ("fit", recipe.epochs)]
        assert (per_call is not None) == any("keras-team/keras#20411" in note for note in notes)
        assert ran == {"steps_per_execution": per_call or per_epoch}


class TestArticleEstimate:
    @pytest.mark.parametrize("name", list(MODELS))
    def test_extrapolation(self, name, monkeypatch):
        """First epoch (building and tracing in it) + the later epochs' median × the rest."""
        monkeypatch.setattr(cosine_training, "timed_train", lambda keras, name, recipe, y, epochs:
                            (None, 9.0, [5.0, 1.0, 3.0][:epochs]))
        epochs = RECIPES["article"][name].epochs

        estimate = article_train_estimate(None, name, epochs_timed=3)

        assert estimate["seconds"] == pytest.approx(5.0 + (epochs - 1) * 2.0)
        assert (estimate["epochs_timed"], estimate["article_epochs"]) == (3, epochs)
        assert f"3 of the article recipe's {epochs} epochs" in estimate["method"]


class FakeBenchmark:
    disabled = True


class TestTimings:
    def test_timing_block(self):
        """A timing block is a figure block with the spread statistics and its provenance."""
        block = suite.timing_statistics([1.0, 2.0, 3.0, 4.0], "a timer", 2)

        assert (block["median"], block["min"], block["max"], block["mean"]) == (2.5, 1.0, 4.0, 2.5)
        assert block["stddev"] == pytest.approx(np.std([1, 2, 3, 4], ddof=1))
        assert (block["iqr"], block["rounds"], block["warmup_rounds"], block["source"]) == (
            1.5, 4, 2, "a timer")
        assert block["values"] == [1.0, 2.0, 3.0, 4.0]

    def test_step_latency_through_pytest_benchmark(self, benchmark):
        """The step is timed by pytest-benchmark: warm-up rounds untimed, ``LATENCY_ROUNDS``
        timed, setup before every one; its statistics and every round are in the block."""
        calls = {"setup": 0, "step": 0}

        def setup():
            calls["setup"] += 1

        def step():
            calls["step"] += 1

        block = suite.step_latency(benchmark, step, setup)

        if benchmark.disabled:
            pytest.skip("pytest-benchmark is disabled in this run")
        rounds = suite.LATENCY_ROUNDS + suite.LATENCY_WARMUP
        assert calls == {"setup": rounds, "step": rounds}
        assert (block["source"], block["rounds"], len(block["values"])) == (
            "pytest-benchmark", suite.LATENCY_ROUNDS, suite.LATENCY_ROUNDS)
        assert block["median"] == pytest.approx(float(np.median(block["values"])))
        assert block["min"] <= block["median"] <= block["max"] and block["stddev"] >= 0

    def test_step_latency_without_pytest_benchmark(self):
        """Under pytest-xdist or --benchmark-disable the same rounds are timed here, and the
        block says so."""
        calls = []
        block = suite.step_latency(FakeBenchmark(), lambda: calls.append(1), None)

        assert len(calls) == suite.LATENCY_ROUNDS + suite.LATENCY_WARMUP
        assert block["source"] == "perf_counter (pytest-benchmark disabled)"
        assert len(block["values"]) == block["rounds"] == suite.LATENCY_ROUNDS


class FakeImpl:
    name = "fake"

    def versions(self):
        return {"keras": "0.0"}


class TestFigure:
    @pytest.fixture
    def measured(self, monkeypatch):
        """Put a forecast of ``model`` by a recipe where ``plot`` finds it."""
        table = {}
        monkeypatch.setattr(suite, "_measured", table)

        def add(*forecasts, diverged=(), recipe="fast", model="stateless"):
            """Seeds 0, 1, ... with these forecasts; ``diverged``: the seeds that diverged."""
            truth = cosine(np.arange(TRAIN, TRAIN + HORIZON))
            rmses = [float(np.sqrt(np.mean((np.asarray(f, float) - truth) ** 2)))
                     for f in forecasts]
            table[(model, recipe)] = suite.Measured(
                row={"rollout_rmse": {"median": float(np.median(rmses))},
                     "status": "diverged" if diverged else "ok"},
                forecasts={seed: (np.asarray(f, float), rmse)
                           for seed, (f, rmse) in enumerate(zip(forecasts, rmses))},
                diverged={seed: "why" for seed in diverged})
        return add

    def labels(self, figure):
        return [text.get_text() for text in figure.axes[0].get_legend().get_texts()]

    def test_axes_follow_a_good_forecast(self, measured):
        """A forecast on the curve: the axes hug [0, 1] and nothing is marked clipped."""
        measured(cosine(np.arange(TRAIN, TRAIN + HORIZON)))

        figure = suite.plot(FakeImpl(), "stateless")

        low, high = figure.axes[0].get_ylim()
        assert -0.1 < low < 0 and 1 < high < 1.1
        assert not any("beyond the axes" in label for label in self.labels(figure))

    def test_a_diverging_forecast_is_shown_and_marked(self, measured):
        """A forecast growing to 1e3: the axes open to the view's limit, the forecast is drawn
        along the edge past it, its clipped steps counted in the legend; the band is dashed."""
        forecast = np.linspace(0.5, 1000.0, HORIZON)
        measured(forecast, diverged=[0])

        figure = suite.plot(FakeImpl(), "stateless")

        low, high = figure.axes[0].get_ylim()
        outside = int(np.sum(forecast > high))
        assert high == pytest.approx(suite.VIEW[1] + 0.05 * (suite.VIEW[1] - 0), rel=0.05)
        assert any(f"diverged); {outside} steps beyond the axes, marked" in label
                   for label in self.labels(figure))
        dashed = [line for line in figure.axes[0].lines if line.get_linestyle() == "--"]
        assert [line.get_ydata()[0] for line in dashed] == [1.5]  # -0.5 is below the axes
        markers = [line for line in figure.axes[0].lines if line.get_marker() == "^"]
        assert len(markers[0].get_xdata()) == outside

    def test_a_diverged_seed_is_shown_beside_the_median_one(self, measured):
        """One seed of three diverged: the figure shows the median seed and the diverged one."""
        good = cosine(np.arange(TRAIN, TRAIN + HORIZON))
        measured(good + 0.01, good + 0.02, np.linspace(0.5, 3.0, HORIZON), diverged=[2])

        labels = self.labels(suite.plot(FakeImpl(), "stateless"))

        assert [label.split(",")[0] for label in labels] == [
            "cos (truth)", "fast forecast (seed 1", "fast forecast (seed 2"]
        assert "diverged" in labels[2] and "diverged" not in labels[1]

    def test_non_finite_forecast_is_marked(self, measured):
        """A forecast that turns to NaN is drawn at the edge and marked, not left out."""
        forecast = cosine(np.arange(TRAIN, TRAIN + HORIZON))
        forecast[300:] = np.nan
        measured(forecast, diverged=[0])

        figure = suite.plot(FakeImpl(), "stateless")

        assert any("200 steps beyond the axes" in label for label in self.labels(figure))


class TestDropoutFloor:
    """``converged_dropout_floor``: the one-step MSE below which a model trained to the minimum of
    its loss cannot go, because of the Dropout before its output; and ``prediction_slope``."""

    @staticmethod
    def model(rate, units, dropout_last=True):
        """Stand-ins with the attributes the floor reads from a Keras model's last two layers."""
        dropout = type("Dropout", (), {"rate": rate})()
        dense = type("Dense", (), {"kernel": np.zeros((units, 1))})()
        return type("Model", (), {"layers": [dropout, dense] if dropout_last else [dense]})()

    def test_training_loss_adds_the_dropout_variance(self):
        """Exactly, over every mask of three units: the mean squared error with Dropout active
        is the inference-time error plus p / (1 - p) times the sum of squared contributions."""
        p, d, b, y = 0.2, np.array([0.3, -0.1, 0.5]), 0.25, 0.9
        masks = np.array(np.meshgrid(*[[0, 1]] * 3)).reshape(3, -1).T
        weights = np.prod(np.where(masks, 1 - p, p), axis=1)
        errors = (masks @ d / (1 - p) + b - y) ** 2

        assert np.dot(weights, errors) == pytest.approx((d.sum() + b - y) ** 2
                                                         + p / (1 - p) * np.sum(d ** 2))

    def test_minimum_of_the_training_loss_is_shrunk(self):
        """With n equal contributions the loss is (f - y)² + λ (f - b)², λ = p / (1 - p) / n: its
        minimum over f is (y + λ b) / (1 + λ), found here by search."""
        p, n, b, y = 0.2, 32, 0.5, 0.95
        shrink = p / (1 - p) / n
        f = np.linspace(0, 1, 2_000_001)
        best = f[np.argmin((f - y) ** 2 + shrink * (f - b) ** 2)]

        assert best == pytest.approx((y + shrink * b) / (1 + shrink), abs=1e-6)

    def test_the_articles_stateful_lstm(self):
        """Dropout 0.2 before a Dense(1) over 32 units, on the cosine (variance 1/8): 7.5e-6,
        above the published 4.9e-6 that the stateful benchmark is given."""
        floor = converged_dropout_floor(self.model(0.2, 32))

        assert floor == pytest.approx(variance() / 129 ** 2)
        assert floor == pytest.approx(7.51e-6, rel=1e-3) and floor > suite.TARGET_MSE["stateful"]

    def test_no_dropout_before_the_output_no_floor(self):
        assert converged_dropout_floor(self.model(0.2, 32, dropout_last=False)) is None

    def test_slope(self):
        """1 for exact predictions; the shrink factor for predictions shrunk towards the mean."""
        targets = series()[TRAIN:]
        shrunk = targets.mean() + 0.9 * (targets - targets.mean())

        assert prediction_slope(targets, targets) == pytest.approx(1.0)
        assert prediction_slope(shrunk, targets) == pytest.approx(0.9)


# Rows the suite wrote: the published keras-tensorflow 3.15 run, and runs of this evaluation
# through Keras (tests/data/keras-inference-rows.json says from where).
ROWS = json.loads((ROOT / "tests" / "data" / "keras-inference-rows.json").read_text())["rows"]


class TestRowStatus:
    """``row_status``: error, then diverged, then no-skill, else ok."""

    def test_forecasts_no_better_than_the_mean_are_no_skill(self):
        """The published keras-tensorflow 3.15 rows were all "ok"; those whose forecast RMSE is
        about the mean's (0.34–0.37, the mean 0.354) are no-skill, the dense row (0.19) ok."""
        rows = ROWS["keras-tensorflow-3.15-published"]
        statuses = {row["model"]: suite.row_status([], {}, row["rollout_rmse"]["median"])[0]
                    for row in rows}

        assert {row["status"] for row in rows} == {"ok"}
        assert statuses == {"stateless": "no-skill", "stateful": "no-skill",
                            "stacked": "no-skill", "dense": "ok"}

    def test_the_mean_forecast_scores_the_series_spread(self):
        """Forecasting the training mean scores √(1/8) over the horizon's whole periods."""
        assert cosine_data.mean_forecast_rmse() == pytest.approx(math.sqrt(1 / 8))

    def test_errors_and_divergence_come_first(self):
        """A row that raised or diverged says so, whatever its forecast RMSE."""
        assert [suite.row_status(["seed 0: ValueError: boom"], {1: "why"}, 0.5)[0],
                suite.row_status([], {1: "why"}, 0.01)[0]] == ["error", "diverged"]


class TestRecipeAsRun:
    def test_records_the_steps_that_ran(self):
        """``recipe_details`` holds the steps per call that trained (keras-torch refuses the
        option: 1), with the recipe's own beside it."""
        details = suite.recipe_as_run(RECIPES["fast"]["dense"], {1})

        assert (details["steps_per_execution"], details["steps_per_execution_declared"]) == (
            1, "epoch")

    def test_the_recipe_as_declared_when_it_ran_so(self):
        """A recipe that ran as it says is recorded as it is."""
        recipe = RECIPES["fast"]["stacked"]

        assert suite.recipe_as_run(recipe, {1}) == dataclasses.asdict(recipe)


def numpy_stateful_lstm(weights, values, state=None):
    """The article's stateful LSTM (LSTM(32), Dropout: identity at inference, Dense(1)) read one
    value at a time by the NumPy reference cell: the output after each value, and the state."""
    kernel, recurrent_kernel, bias, dense_kernel, dense_bias = weights
    h, c = state or (np.zeros((1, kernel.shape[1] // 4)),) * 2
    outputs = []
    for value in values:
        h, c = reference_cells.lstm_step(np.array([[value]]), h, c, kernel, recurrent_kernel, bias)
        outputs.append(float((h @ dense_kernel + dense_bias)[0, 0]))
    return np.array(outputs), (h, c)


@pytest.fixture(scope="module")
def keras_tensorflow():
    return load("keras-tensorflow")[1]


class TestKerasInference:
    """The headline figures are Keras's own inference (``predict``, ``predict_on_batch``), not
    our twin's; checked against the NumPy reference cell, on keras-tensorflow."""

    OFFSET = 0.25

    @pytest.fixture
    def stateful(self, keras_tensorflow):
        """A stateful LSTM of the fast recipe's batch (20 rows) with seeded weights."""
        keras_tensorflow.utils.set_random_seed(0)
        spec = MODELS["stateful"]
        return spec.build(keras_tensorflow, batch_size=RECIPES["fast"]["stateful"].rows,
                          window=spec.window)

    def test_headline_is_what_keras_predicts(self, keras_tensorflow, stateful, monkeypatch):
        """A Keras whose ``predict`` and ``predict_on_batch`` answer ``OFFSET`` too high: the
        headline one-step MSE and forecast are those answers, the state carried from the series
        before each prediction; the diagnostic (our twin, which calls the layers) is not."""
        keras, offset = keras_tensorflow, self.OFFSET
        for method in ("predict", "predict_on_batch"):
            monkeypatch.setattr(keras.Model, method,
                                lambda model, *args, original=getattr(keras.Model, method),
                                **kwargs: original(model, *args, **kwargs) + offset)
        y = series()
        weights = [np.asarray(w, np.float64) for w in stateful.get_weights()]
        outputs, _ = numpy_stateful_lstm(weights, y[:-1])  # output t predicts y[t + 1]
        _, start = numpy_stateful_lstm(weights, y[:TRAIN - 1])
        value, expected_forecast = y[TRAIN - 1], []
        for _ in range(HORIZON):
            answer, start = numpy_stateful_lstm(weights, [value], start)
            value = answer[0] + offset
            expected_forecast.append(value)
        truth = cosine(np.arange(TRAIN, TRAIN + HORIZON))

        result = evaluate(keras, stateful, "stateful", RECIPES["fast"]["stateful"], y)

        assert result["one_step_mse"] == pytest.approx(
            np.mean((outputs[TRAIN - 1:] + offset - y[TRAIN:]) ** 2), rel=1e-4)
        np.testing.assert_allclose(result["forecast"], expected_forecast, atol=1e-4)
        assert result["rollout_rmse"] == pytest.approx(
            np.sqrt(np.mean((np.array(expected_forecast) - truth) ** 2)), rel=1e-4)
        assert result["state_carried"] is True
        assert result["twin_one_step_mse"] == pytest.approx(
            np.mean((outputs[TRAIN - 1:] - y[TRAIN:]) ** 2), rel=1e-4)

    def test_a_predict_that_leaves_no_state_is_told(self, keras_tensorflow, stateful,
                                                    monkeypatch):
        """Where ``predict`` leaves the state at zeros (as Keras 3 on JAX does), the forecast
        says Keras did not carry it; where it carries it, that it did."""
        recipe, y = RECIPES["fast"]["stateful"], series()
        copy = inference_copy(keras_tensorflow, stateful, "stateful", recipe)
        _, carried = keras_forecast(keras_tensorflow, copy, "stateful", recipe, y, horizon=1)
        original = keras_tensorflow.Model.predict

        def predict_leaving_zeros(self, *args, **kwargs):
            answer = original(self, *args, **kwargs)
            reset_states(self)
            return answer

        monkeypatch.setattr(keras_tensorflow.Model, "predict", predict_leaving_zeros)
        _, not_carried = keras_forecast(keras_tensorflow, copy, "stateful", recipe, y, horizon=1)

        assert (carried, not_carried) == (True, False)
