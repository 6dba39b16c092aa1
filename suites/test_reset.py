"""Claims ``reset.*``: model.reset_states(), layer.reset_states() and reset_states(states=...)."""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.evidence import describe, max_difference

ATOL = 1e-4
STACK_SNIPPET_LINES = (
    "second = keras.layers.{cell}({units}, stateful=True, return_sequences=True)",
    "model = keras.Model(inputs, second(layer(inputs)))",
    "model(x)  # both layers now hold a state",
)


def stack_snippet(cell, *lines):
    return rnn.build_snippet(cell, 3, 1, *STACK_SNIPPET_LINES, *lines)


def fed_stack(models, rng, cell, batch_size=3):
    """A two-layer stateful stack that has just seen one batch, so both layers hold a state."""
    model = models.model(cell, batch_size, layers=2)
    (x,) = rnn.batches(rng, batch_size, 1)
    model(x)
    return model


def nonzero_rows(values):
    return [k for k, value in enumerate(values) if np.any(value)]


@pytest.mark.claim("reset.model")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_model_reset_states(models, impl, evidence, rng, cell):
    """model.reset_states() zeroes the state of every stateful layer."""
    model = fed_stack(models, rng, cell)
    model.reset_states()
    for index, layer in enumerate(rnn.rnn_layers(model)):
        states = rnn.layer_states(impl, layer)
        assert not nonzero_rows(states), evidence.report(
            "reset.model", f"layer {index} state after model.reset_states(): {describe(states[0])}",
            "all zeros", stack_snippet(cell, "model.reset_states()", "print(second.states)"),
        )


@pytest.mark.claim("reset.layer")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_layer_reset_states(models, impl, evidence, rng, cell):
    """layer.reset_states() zeroes that layer's state and leaves the other layer's alone."""
    model = fed_stack(models, rng, cell)
    first, second = rnn.rnn_layers(model)
    before = rnn.layer_states(impl, second)
    first.reset_states()
    code = stack_snippet(cell, "layer.reset_states()", "print(layer.states, second.states)")
    states = rnn.layer_states(impl, first)
    assert not nonzero_rows(states), evidence.report(
        "reset.layer", f"state after layer.reset_states(): {describe(states[0])}", "all zeros", code,
    )
    after = rnn.layer_states(impl, second)
    difference = max(max_difference(a, b) for a, b in zip(after, before))
    assert difference == 0, evidence.report(
        "reset.layer", f"resetting the first layer changed the second layer's state by {difference:.3g}",
        "the other layer's state untouched", code,
    )


@pytest.mark.claim("reset.fresh")
@pytest.mark.parametrize("how", ["model", "layer"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh(keras, models, impl, evidence, rng, cell, how):
    """After a reset, predict gives what a freshly built model with the same weights gives."""
    batch_size = 3
    model = models.model(cell, batch_size)  # a model in use; the one compared with is new
    chunks = rnn.batches(rng, batch_size, 3)
    rnn.feed(impl, model, chunks[:2], "predict")
    if how == "model":
        model.reset_states()
    else:
        rnn.rnn_layers(model)[0].reset_states()
    after_reset = impl.to_numpy(model.predict(chunks[2], batch_size=batch_size, verbose=0))
    fresh = rnn.stateful_model(keras, cell, batch_size)
    fresh.set_weights(model.get_weights())
    expected = impl.to_numpy(fresh.predict(chunks[2], batch_size=batch_size, verbose=0))
    difference = max_difference(after_reset, expected)
    reset_line = "model.reset_states()" if how == "model" else "layer.reset_states()"
    assert difference <= ATOL, evidence.report(
        "reset.fresh", f"after {reset_line} predict differs from a fresh model by {difference:.3g}",
        "the same outputs as a freshly built model with these weights",
        rnn.build_snippet(cell, batch_size, 3, "model.predict(x[:6], batch_size=3, verbose=0)", reset_line,
                          "print(model.predict(x[6:], batch_size=3, verbose=0))  # = a fresh model's"),
    )


@pytest.mark.claim("reset.with-values")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_reset_with_values(models, impl, evidence, rng, cell):
    """reset_states(states=...) sets the state, and the next batch starts from it."""
    batch_size = 3
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    values = [
        rng.uniform(-0.5, 0.5, (batch_size, rnn.UNITS)).astype("float32")
        for _ in range(reference_cells.state_size(cell))
    ]
    code = rnn.build_snippet(
        cell, batch_size, 1, "values = [np.full((3, {units}), 0.3, 'float32')] * len(layer.states)",
        "layer.reset_states(states=values)", "print(layer.states)",
    )
    layer.reset_states(states=values if len(values) > 1 else values[0])
    states = rnn.layer_states(impl, layer)
    for k, (value, expected) in enumerate(zip(states, values)):
        difference = max_difference(value, expected)
        assert difference <= 1e-6, evidence.report(
            "reset.with-values", f"state[{k}] is {describe(value)}", f"the given values {describe(expected)}", code,
        )
    (x,) = rnn.batches(rng, batch_size, 1)
    outputs = impl.to_numpy(model(x))
    expected_outputs, _ = reference_cells.run_sequence(cell, layer.get_weights(), x, initial_state=values)
    difference = max_difference(outputs, expected_outputs)
    assert difference <= ATOL, evidence.report(
        "reset.with-values", f"the next batch's outputs differ by {difference:.3g} from starting at the given state",
        "the next batch starts from the given state", code,
    )
