"""The pool of built models the checks share (``fixtures.rnn.ModelPool``), on keras-tensorflow.

A model handed out by the pool must be as good as new whatever the previous check did to it:
otherwise a verdict could depend on which check ran before.
"""

import numpy as np
import pytest

from fixtures import rnn
from harness.implementations import load


@pytest.fixture(scope="module")
def loaded():
    return load("keras-tensorflow")


@pytest.fixture(scope="module")
def impl(loaded):
    return loaded[0]


@pytest.fixture(scope="module")
def keras(loaded):
    return loaded[1]


def states_of(impl, model):
    return [state for layer in rnn.rnn_layers(model) for state in rnn.layer_states(impl, layer)]


def test_model_comes_back_as_new(impl, keras):
    """After training and feeding, the next checkout has the first weights, zero state, lr 0."""
    pool = rnn.ModelPool(impl, keras)
    model = pool.model("LSTM", 2, learning_rate=0.5)
    first_weights = rnn.weights_snapshot(impl, model)
    x = np.random.default_rng(0).standard_normal((2, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    model.train_on_batch(x, np.ones((2, rnn.TIMESTEPS, rnn.UNITS), "float32"))
    model(x)
    assert any(np.any(w != w0) for w, w0 in zip(model.get_weights(), first_weights))
    assert all(np.any(state) for state in states_of(impl, model))

    again = pool.model("LSTM", 2)

    assert again is model  # shared, not rebuilt
    for weight, first in zip(again.get_weights(), first_weights):
        np.testing.assert_array_equal(weight, first)
    assert not any(np.any(state) for state in states_of(impl, again))
    assert 0.0 == float(impl.to_numpy(again.optimizer.learning_rate))


def test_weights_do_not_depend_on_build_order(impl, keras):
    """Each model is seeded by its key, so two pools asked in opposite orders agree."""
    forward, backward = rnn.ModelPool(impl, keras), rnn.ModelPool(impl, keras)
    keys = [("GRU", 3), ("SimpleRNN", 3), ("GRU", 1)]
    built = {key: rnn.weights_snapshot(impl, forward.model(*key)) for key in keys}
    for key in reversed(keys):
        for weight, expected in zip(rnn.weights_snapshot(impl, backward.model(*key)), built[key]):
            np.testing.assert_array_equal(weight, expected)


def test_twin_run_is_remembered_per_weights_and_input(impl, keras):
    """twin_run answers as the twin does, and a change of weights or input is a new answer."""
    pool = rnn.ModelPool(impl, keras)
    weights = pool.model("GRU", 3).get_weights()
    streams = np.random.default_rng(1).standard_normal((3, 7, rnn.FEATURES)).astype("float32")
    sequence, states = pool.twin_run("GRU", weights, streams)
    direct_sequence, *direct_states = rnn.stateless_twin(impl.keras, "GRU", weights)(streams)
    np.testing.assert_allclose(sequence, impl.to_numpy(direct_sequence), atol=1e-6)
    np.testing.assert_allclose(states[0], impl.to_numpy(direct_states[0]), atol=1e-6)

    scaled = [w * 0.5 for w in weights]
    assert np.abs(pool.twin_run("GRU", scaled, streams)[0] - sequence).max() > 1e-3
    assert np.abs(pool.twin_run("GRU", weights, streams + 1)[0] - sequence).max() > 1e-3
