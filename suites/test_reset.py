"""Claims ``reset.*``: model.reset_states(), layer.reset_states() and reset_states(states=...).

A reset is only observed when there was something to reset: every check first establishes that
the state of each layer it is about was non-zero before the reset (and, for reset.fresh, that
the carried state changed the outputs). A layer that keeps no state fails; a state that a batch
left at zero is another claim's failure (state.is-memory, carry.index-i), which makes the case
``inconclusive``.
"""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.check import ATOL, describe, max_difference

# The state of a stacked model after one batch through direct calls (which carry the state on
# every backend), read per layer before the reset.
STACK_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size}, layers=2)
layers = rnn_layers(model)
(x,) = batches(np.random.default_rng(0), {batch_size}, 1)
model(x)  # both layers now hold a state
before = [layer_states(impl, layer) for layer in layers]
for index, states in enumerate(before):
    print(f"layer {{index}} state before the reset: {{[np.round(s.reshape(-1)[:4].astype('float64'), 5).tolist() for s in states]}}")
    precondition(len(states) > 0 and all(np.any(s) for s in states),
                 f"layer {{index}} holds a non-zero state before the reset")
"""

MODEL_REPRO = STACK_REPRO + """
model.reset_states()
for index, layer in enumerate(layers):
    states = layer_states(impl, layer)
    expect(len(states) == len(before[index]),
           f"layer {{index}} holds {{len(states)}} state arrays after model.reset_states(), {{len(before[index])}} before")
    for k, state in enumerate(states):
        expect_close(f"layer {{index}} state[{{k}}] after model.reset_states()", state, np.zeros_like(before[index][k]), atol=0)
"""

LAYER_REPRO = STACK_REPRO + """
first, second = layers
first.reset_states()
states = layer_states(impl, first)
expect(len(states) == len(before[0]), f"the first layer holds {{len(states)}} state arrays after its reset, {{len(before[0])}} before")
for k, state in enumerate(states):
    expect_close(f"first layer state[{{k}}] after first.reset_states()", state, np.zeros_like(before[0][k]), atol=0)
after = layer_states(impl, second)
expect(len(after) == len(before[1]), f"the second layer holds {{len(after)}} state arrays, {{len(before[1])}} before")
for k, (state, value) in enumerate(zip(after, before[1])):
    expect_close(f"second layer state[{{k}}] after first.reset_states(), against before", state, value, atol=0)
"""


def nonzero(states) -> bool:
    """At least one array, and every array holds a non-zero value."""
    return len(states) > 0 and all(np.any(state) for state in states)


def first_nonzero(states):
    return next((state for state in states if np.any(state)), None)


def fed_stack(models, impl, check, rng, cell, batch_size):
    """A two-layer stateful stack that has just seen one batch, and each layer's state then.

    Both layers holding a non-zero state is the precondition of every check that uses it.
    """
    model = models.model(cell, batch_size, layers=2)
    (x,) = rnn.batches(rng, batch_size, 1)
    model(x)
    layers = rnn.rnn_layers(model)
    check.that(len(layers) == 2, f"{len(layers)} recurrent layers found in a stack of two",
               "a stack of two stateful layers")
    before = [check.layer_states(layer, f"layer {index}") for index, layer in enumerate(layers)]
    for index, states in enumerate(before):
        check.precondition(nonzero(states), f"layer {index} holding a non-zero state after a batch",
                           f"{len(states)} state arrays, "
                           f"{sum(not np.any(state) for state in states)} of them all zeros",
                           failing="state.is-memory")
    return model, layers, before


@pytest.mark.claim("reset.model")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_model_reset_states(models, impl, check, rng, cell):
    """model.reset_states() zeroes the state of every stateful layer."""
    batch_size = 3
    check.reproduce(MODEL_REPRO.format(cell=cell, batch_size=batch_size))
    model, layers, before = fed_stack(models, impl, check, rng, cell, batch_size)
    model.reset_states()
    for index, layer in enumerate(layers):
        states = rnn.layer_states(impl, layer)
        check.same_count(f"layer {index} state arrays after model.reset_states(), against before",
                         states, before[index])
        left = first_nonzero(states)
        check.that(left is None,
                   f"layer {index} state after model.reset_states(): "
                   f"{describe(left if left is not None else states[0])}",
                   "all zeros")


@pytest.mark.claim("reset.layer")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_layer_reset_states(models, impl, check, rng, cell):
    """layer.reset_states() zeroes that layer's state and leaves the other layer's alone."""
    batch_size = 3
    check.reproduce(LAYER_REPRO.format(cell=cell, batch_size=batch_size))
    _, (first, second), before = fed_stack(models, impl, check, rng, cell, batch_size)
    first.reset_states()
    states = rnn.layer_states(impl, first)
    check.same_count("first layer state arrays after layer.reset_states(), against before",
                     states, before[0])
    left = first_nonzero(states)
    check.that(left is None,
               f"state after layer.reset_states(): {describe(left if left is not None else states[0])}",
               "all zeros")
    check.all_close("the second layer's state after resetting the first layer",
                    rnn.layer_states(impl, second), before[1], atol=0.0,
                    expected_what="its state before the reset (the other layer's state untouched)")


FRESH_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})  # a model in use
fresh = stateful_model(keras, {cell!r}, {batch_size})  # built, never fed
fresh.set_weights(model.get_weights())
chunks = batches(np.random.default_rng(0), {batch_size}, 3)
feed(impl, model, chunks[:2], "predict")
expected = to_numpy(fresh.predict(chunks[2], batch_size={batch_size}, verbose=0))
without_reset = to_numpy(model.predict(chunks[2], batch_size={batch_size}, verbose=0))
states = layer_states(impl, rnn_layers(model)[0])
print(f"state before the reset: {{[np.round(s.reshape(-1)[:4].astype('float64'), 5).tolist() for s in states]}}")
precondition(len(states) > 0 and all(np.any(s) for s in states),
             "the layer holds a non-zero state after predict, before the reset")
change = float(np.abs(without_reset - expected).max())
precondition(change > 1e-4, f"without a reset, predict differs from a fresh model's (by {{change:.3g}})")
{reset}
after_reset = to_numpy(model.predict(chunks[2], batch_size={batch_size}, verbose=0))
expect_close("predict after {reset}, against a fresh model's", after_reset, expected)
"""

RESET_LINES = {"model": "model.reset_states()", "layer": "rnn_layers(model)[0].reset_states()"}


@pytest.mark.claim("reset.fresh")
@pytest.mark.parametrize("how", ["model", "layer"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh(keras, models, impl, check, rng, cell, how):
    """After a reset, predict gives what a freshly built model with the same weights gives."""
    batch_size = 3
    check.reproduce(FRESH_REPRO.format(cell=cell, batch_size=batch_size, reset=RESET_LINES[how]))
    model = models.model(cell, batch_size)  # a model in use; the one compared with is new
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, 3)
    rnn.feed(impl, model, chunks[:2], "predict")
    fresh = rnn.stateful_model(keras, cell, batch_size)
    fresh.set_weights(model.get_weights())
    expected = impl.to_numpy(fresh.predict(chunks[2], batch_size=batch_size, verbose=0))
    # Before the reset: the model's state must be non-zero and must change its outputs, or a
    # reset that does nothing would pass.
    without_reset = impl.to_numpy(model.predict(chunks[2], batch_size=batch_size, verbose=0))
    states = check.layer_states(layer)
    check.precondition(nonzero(states),
                       "the layer holding a non-zero state after 3 batches through predict, before the reset",
                       f"state {describe(states[0])}", failing="carry.index-i")
    change = max_difference(without_reset, expected)
    check.precondition(change > ATOL,
                       "the carried state changing predict's outputs before the reset "
                       "(the model in use differing from a fresh one)",
                       f"the model in use differs from a fresh one by {change:.3g}",
                       failing="carry.index-i")
    reset_line = "model.reset_states()" if how == "model" else "layer.reset_states()"
    if how == "model":
        model.reset_states()
    else:
        layer.reset_states()
    after_reset = impl.to_numpy(model.predict(chunks[2], batch_size=batch_size, verbose=0))
    check.that(after_reset.shape == expected.shape,
               f"predict's outputs have shape {after_reset.shape} after the reset, "
               f"{expected.shape} from the fresh model", "outputs of the same shape on both models")
    difference = max_difference(after_reset, expected)
    check.that(difference <= ATOL,
               f"after {reset_line} predict differs from a fresh model by {difference:.3g} "
               f"({describe(after_reset)})",
               f"the same outputs as a freshly built model with these weights ({describe(expected)})")


WITH_VALUES_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
rng = np.random.default_rng(0)
values = [rng.uniform(-0.5, 0.5, ({batch_size}, UNITS)).astype("float32") for _ in range(state_size({cell!r}))]
(x,) = batches(rng, {batch_size}, 1)
(x0,) = batches(rng, {batch_size}, 1)
model(x0)  # the layer now holds a state
before = layer_states(impl, layer)
precondition(len(before) > 0 and all(np.any(s) for s in before), "the layer holds a non-zero state before the reset")
precondition(len(before) == len(values) and all(np.abs(s - v).max() > 1e-6 for s, v in zip(before, values)),
             "the state before the reset differs from the given values")
from_values, _ = run_sequence({cell!r}, layer.get_weights(), x, initial_state=values)
from_before, _ = run_sequence({cell!r}, layer.get_weights(), x, initial_state=before)
precondition(np.abs(from_values - from_before).max() > 1e-4, "starting from the given values changes the next batch's outputs")
layer.reset_states(states=values if len(values) > 1 else values[0])
states = layer_states(impl, layer)
expect(len(states) == len(values), f"layer.states holds {{len(states)}} arrays, {{len(values)}} values given")
for k, (state, value) in enumerate(zip(states, values)):
    expect_close(f"state[{{k}}] after reset_states(states=values)", state, value, atol=1e-6)
expect_close("the next batch's outputs, against the NumPy cells started at the given values",
             to_numpy(model(x)), from_values)
"""


@pytest.mark.claim("reset.with-values")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_reset_with_values(models, impl, check, rng, cell):
    """reset_states(states=...) sets the state, and the next batch starts from it."""
    batch_size = 3
    check.reproduce(WITH_VALUES_REPRO.format(cell=cell, batch_size=batch_size))
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    values = [
        rng.uniform(-0.5, 0.5, (batch_size, rnn.UNITS)).astype("float32")
        for _ in range(reference_cells.state_size(cell))
    ]
    (x,) = rnn.batches(rng, batch_size, 1)
    (x0,) = rnn.batches(rng, batch_size, 1)
    model(x0)  # the layer now holds a state, which the reset must replace
    before = check.layer_states(layer)
    check.precondition(nonzero(before), "the layer holding a non-zero state after a batch",
                       f"state {describe(before[0])}", failing="state.is-memory")
    check.same_count("state arrays before the reset, against the values given", before, values)
    # The values are drawn at random: a state equal to them is not the cell's final state.
    check.precondition(all(max_difference(state, value) > 1e-6 for state, value in zip(before, values)),
                       "the state after a batch differing from random values given",
                       failing="state.is-memory")
    weights = layer.get_weights()
    expected_outputs, _ = reference_cells.run_sequence(cell, weights, x, initial_state=values)
    from_before, _ = reference_cells.run_sequence(cell, weights, x, initial_state=before)
    check.precondition(max_difference(expected_outputs, from_before) > ATOL,
                       "the given values changing the next batch's outputs (against the state before)",
                       failing="state.is-memory")
    layer.reset_states(states=values if len(values) > 1 else values[0])
    check.all_close("state after reset_states(states=...)", rnn.layer_states(impl, layer), values,
                    atol=1e-6, expected_what="the given values")
    outputs = impl.to_numpy(model(x))
    check.close("the next batch's outputs", outputs, expected_outputs,
                expected_what="the NumPy reference started at the given state")
