"""Checks of ``state.*``: what the state is (the layer's memory) and what it is not (a weight)."""

import os
import tempfile

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import describe, max_difference


def is_memory(models, impl, check, rng, cell):
    """After a batch, layer.states holds h (and c for LSTM), one (batch, units) row per sample."""
    batch_size = 3
    names = ["h", "c"][: reference_cells.state_size(cell)]
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    (x,) = rnn.batches(rng, batch_size, 1)
    outputs = rnn.feed(impl, model, [x], "call")[0]
    states = check.layer_states(layer)
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), x)
    check.that(len(states) == len(names), f"layer.states has {len(states)} tensors",
               f"{len(names)} ({', '.join(names)})")
    # The reference has one array per name, and layer.states as many (just checked).
    for name, value, reference_value in zip(names, states, expected):
        check.that(value.shape == (batch_size, rnn.UNITS), f"{name} has shape {value.shape}",
                   f"(batch, units) = {(batch_size, rnn.UNITS)}")
        check.close(name, value, reference_value, expected_what=f"the cell's final {name}")
    check.close("h", states[0], outputs[:, -1], expected_what="the output of the last timestep")


def run_operation(impl, model, chunks, operation):
    """Run ``operation`` on consecutive batches; for "reset", the states just before the reset."""
    x = rnn.as_samples(chunks)
    batch_size = chunks[0].shape[0]
    if operation == "call":
        for chunk in chunks:
            model(chunk)
    elif operation == "predict":
        model.predict(x, batch_size=batch_size, verbose=0)
    elif operation == "evaluate":
        model.evaluate(x, rnn.targets_like(model, len(chunks)), batch_size=batch_size, verbose=0)
    elif operation == "reset":
        for chunk in chunks:
            model(chunk)
        before_reset = [rnn.layer_states(impl, layer) for layer in rnn.rnn_layers(model)]
        for layer in rnn.rnn_layers(model):
            layer.reset_states()
        return before_reset
    return None


def state_not_listed_as_weight(models, impl, check, cell):
    """No state variable is among the model's weights, trainable weights or get_weights()."""
    batch_size = 3
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    twin = models.twin(cell, layer.get_weights())
    check.layer_states(layer)  # a layer that keeps no state has none to tell from its weights
    state_ids = {id(state) for state in rnn.state_variables(layer)}
    listed = [w for w in list(model.weights) + list(model.trainable_weights) if id(w) in state_ids]
    check.that(not listed, f"state variables listed among the weights: {[w.name for w in listed]}",
               "weights are the kernels and biases only")
    counts = (len(model.get_weights()), len(twin.get_weights()))
    check.that(counts[0] == counts[1],
               f"get_weights() returns {counts[0]} arrays, the stateless twin's {counts[1]}",
               "the same weights with and without stateful=True")


def weights_unchanged(models, impl, check, rng, cell, operation):
    """A forward pass, predict, evaluate or reset changes no weight."""
    batch_size, batches = 3, 2
    model = models.model(cell, batch_size)
    if operation == "reset":
        check.layer_states(rnn.rnn_layers(model)[0])  # a reset of no state shows nothing
    before = rnn.weights_snapshot(impl, model)
    before_reset = run_operation(impl, model, rnn.batches(rng, batch_size, batches), operation)
    after = rnn.weights_snapshot(impl, model)
    if operation == "reset":
        check.precondition(any(np.any(state) for states in before_reset for state in states),
                           "the state being non-zero after direct calls, before the reset",
                           "the calls left every state at zero, so the reset had nothing to clear",
                           failing="state.is-memory")
    check.same_count(f"weights before and after {operation}", after, before)
    for index, (old, new) in enumerate(zip(before, after)):
        difference = max_difference(new, old)
        check.that(difference == 0, f"{operation} changed weight {index} by up to {difference:.3g}",
                   "weights unchanged: only the state moves")


def one_sgd_step(models, cell, weights, x, y, stateful):
    """Weights after one SGD(0.1) step with mean squared error, from the zero state."""
    model = models.model(cell, x.shape[0], stateful=stateful, learning_rate=0.1)
    model.set_weights(weights)
    model.train_on_batch(x, y)
    return [np.array(w, dtype="float64") for w in model.get_weights()]


def stateful_sgd_step(models, cell, weights, x, y):
    """The weights after one SGD(0.1) step of a stateful layer from the zero state: the step
    state.same-update is about (a workaround passes its own, with the same arguments)."""
    return one_sgd_step(models, cell, weights, x, y, stateful=True)


def same_update(models, impl, check, rng, cell, step):
    """One step from the zero state updates the weights as the stateless twin and the per-sample
    mean do. ``step(models, cell, weights, x, y)``: the weights after the step under test."""
    batch_size = 3
    weights = models.model(cell, batch_size).get_weights()
    (x,) = rnn.batches(rng, batch_size, 1)
    y = rng.standard_normal((batch_size, rnn.TIMESTEPS, rnn.UNITS)).astype("float32")
    stateful = step(models, cell, weights, x, y)
    stateless = one_sgd_step(models, cell, weights, x, y, stateful=False)
    per_sample = [
        one_sgd_step(models, cell, weights, x[i : i + 1], y[i : i + 1], stateful=False)
        for i in range(batch_size)
    ]
    start = [np.array(w, dtype="float64") for w in weights]
    mean_of_samples = [
        w0 + np.mean([sample[k] - w0 for sample in per_sample], axis=0)
        for k, w0 in enumerate(start)
    ]
    check.same_count("weights after the stateful step, against before it", stateful, start)
    check.same_count("weights after the stateless step, against before it", stateless, start)
    # A step that moves nothing cannot be told from no step, and the claim is that a step
    # changes the weights: either side moving makes the comparison meaningful.
    moved = max(max_difference(value, w0) for side in (stateful, stateless)
                for value, w0 in zip(side, start))
    check.that(moved > 0, "neither the stateful nor the stateless SGD(0.1) step moved any weight",
               "one training step changes the weights")
    for name, expected in (("the stateless twin", stateless), ("the mean of per-sample steps", mean_of_samples)):
        check.same_count(f"weights after one step, against {name}", stateful, expected)
        for index, (value, reference_value) in enumerate(zip(stateful, expected)):
            difference = max_difference(value, reference_value)
            check.that(difference <= 1e-5,
                       f"after one step, weight {index} differs from {name} by {difference:.3g}",
                       f"the stateful step equals {name}")


def saved(keras, impl, check, rng, cell):
    """Saving and loading keeps the state or zeroes it; the observation is recorded."""
    batch_size = 3
    model = rnn.stateful_model(keras, cell, batch_size)
    (x,) = rnn.batches(rng, batch_size, 1)
    model(x)
    before = check.layer_states(rnn.rnn_layers(model)[0])
    check.precondition(any(np.any(state) for state in before),
                       "the state being non-zero after a direct call, before saving",
                       "a zero state looks the same kept or zeroed", failing="state.is-memory")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    after = rnn.layer_states(impl, rnn.rnn_layers(loaded)[0])
    same_count = len(after) == len(before)
    kept = same_count and all(max_difference(a, b) == 0 for a, b in zip(after, before))
    zeroed = all(not np.any(a) for a in after)
    observed = "kept" if kept else "zeros" if zeroed and same_count else "changed"
    check.observe(f"state after save/load (.keras): {observed}")
    # A different number of state arrays is neither kept nor zeroed: a failure, as before.
    check.that(same_count,
               f"after save and load layer.states holds {len(after)} arrays, before {len(before)}",
               f"the same {len(before)} state arrays, either kept or zeros")
    check.that(kept or zeroed,
               f"after save and load the state is neither kept nor zero: {describe(after[0])}",
               f"either the saved state ({describe(before[0])}) or zeros")
