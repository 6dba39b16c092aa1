"""Checks of ``reset.*``: model.reset_states(), layer.reset_states() and reset_states(states=...).

A reset is only observed when there was something to reset: every check first establishes that
the state of each layer it is about was non-zero before the reset (and, for reset.fresh, that
the carried state changed the outputs). A layer that keeps no state fails; a state that a batch
left at zero is another claim's failure (state.is-memory, carry.index-i), which makes the case
``inconclusive``.

Each check takes the reset it applies as a recipe (suites/checks/resets.py), so that a workaround
is the same check with its own recipe.
"""

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import ATOL, describe, max_difference
from suites.checks.resets import reset_code


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


def model_reset(models, impl, check, rng, cell, reset):
    """model.reset_states() zeroes the state of every stateful layer.

    ``reset(model, layer)``: the reset of the whole model (``layer``: the stack's first layer).
    """
    batch_size = 3
    model, layers, before = fed_stack(models, impl, check, rng, cell, batch_size)
    reset(model, layers[0])
    for index, layer in enumerate(layers):
        states = rnn.layer_states(impl, layer)
        check.same_count(f"layer {index} state arrays after {reset_code(reset)}, against before",
                         states, before[index])
        left = first_nonzero(states)
        check.that(left is None,
                   f"layer {index} state after {reset_code(reset)}: "
                   f"{describe(left if left is not None else states[0])}",
                   "all zeros")


def layer_reset(models, impl, check, rng, cell, reset):
    """layer.reset_states() zeroes that layer's state and leaves the other layer's alone.

    ``reset(model, layer)``: the reset of ``layer`` alone (the stack's first layer).
    """
    batch_size = 3
    model, (first, second), before = fed_stack(models, impl, check, rng, cell, batch_size)
    reset(model, first)
    states = rnn.layer_states(impl, first)
    check.same_count(f"first layer state arrays after {reset_code(reset)}, against before",
                     states, before[0])
    left = first_nonzero(states)
    check.that(left is None,
               f"state after {reset_code(reset)}: "
               f"{describe(left if left is not None else states[0])}",
               "all zeros")
    check.all_close("the second layer's state after resetting the first layer",
                    rnn.layer_states(impl, second), before[1], atol=0.0,
                    expected_what="its state before the reset (the other layer's state untouched)")


def fresh(keras, models, impl, check, rng, cell, reset):
    """After a reset, predict gives what a freshly built model with the same weights gives.

    ``reset(model, layer)``: the reset applied to the model in use and its one layer.
    """
    batch_size = 3
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
    reset(model, layer)
    after_reset = impl.to_numpy(model.predict(chunks[2], batch_size=batch_size, verbose=0))
    check.that(after_reset.shape == expected.shape,
               f"predict's outputs have shape {after_reset.shape} after the reset, "
               f"{expected.shape} from the fresh model", "outputs of the same shape on both models")
    difference = max_difference(after_reset, expected)
    check.that(difference <= ATOL,
               f"after {reset_code(reset)} predict differs from a fresh model by {difference:.3g} "
               f"({describe(after_reset)})",
               f"the same outputs as a freshly built model with these weights ({describe(expected)})")


def reset_with_values(models, impl, check, rng, cell, reset_to):
    """reset_states(states=...) sets the state, and the next batch starts from it.

    ``reset_to(layer, values)``: the reset that sets the layer's state to ``values``.
    """
    batch_size = 3
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
    reset_to(layer, values)
    check.all_close(f"state after {reset_code(reset_to)}", rnn.layer_states(impl, layer), values,
                    atol=1e-6, expected_what="the given values")
    outputs = impl.to_numpy(model(x))
    check.close("the next batch's outputs", outputs, expected_outputs,
                expected_what="the NumPy reference started at the given state")
