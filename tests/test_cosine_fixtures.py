"""Tests for the NumPy half of fixtures/cosine.py: the series, its windows and the stream layout."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fixtures.cosine import (
    LENGTH,
    MODELS,
    PERIOD,
    RECIPES,
    TRAIN,
    cosine,
    held_out_windows,
    series,
    stream_layout,
    windows,
)


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
