"""Claims ``state.*``: what the state is (the layer's memory) and what it is not (a weight)."""

import os
import tempfile

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.check import describe, max_difference

# One batch through a direct call: layer.states against the NumPy cell's final h (and c), and h
# against the last output.
IS_MEMORY_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
(x,) = batches(np.random.default_rng(0), {batch_size}, 1)
outputs = to_numpy(model(x))
states = layer_states(impl, layer)
_, expected = run_sequence({cell!r}, layer.get_weights(), x)
names = {names!r}
expect(len(states) == len(names), f"layer.states holds {{len(states)}} arrays, expected {{len(names)}} ({names_text})")
for name, state, value in zip(names, states, expected):
    expect(state.shape == ({batch_size}, UNITS), f"{{name}} has shape {{state.shape}}, expected (batch, units) = ({batch_size}, {{UNITS}})")
    expect_close(f"{{name}} against the cell's final {{name}}", state, value)
if states:
    expect_close("h against the output of the last timestep", states[0], outputs[:, -1])
"""


@pytest.mark.claim("state.is-memory")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_is_memory(models, impl, check, rng, cell):
    """After a batch, layer.states holds h (and c for LSTM), one (batch, units) row per sample."""
    batch_size = 3
    names = ["h", "c"][: reference_cells.state_size(cell)]
    check.reproduce(IS_MEMORY_REPRO.format(cell=cell, batch_size=batch_size, names=names,
                                           names_text=", ".join(names)))
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


# What each operation does, as the lines of the standalone script (``chunks`` are the batches).
OPERATION_SNIPPETS = {
    "call": "for chunk in chunks:\n    model(chunk)",
    "predict": "model.predict(as_samples(chunks), batch_size={batch_size}, verbose=0)",
    "evaluate": ("model.evaluate(as_samples(chunks), targets_like(model, {batches}), "
                 "batch_size={batch_size}, verbose=0)"),
    "reset": ("for chunk in chunks:\n    model(chunk)\n"
              "precondition(any(np.any(s) for s in layer_states(impl, layer)), "
              '"the state is non-zero before the reset")\n'
              "layer.reset_states()"),
}


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


NOT_LISTED_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
twin = stateless_twin(keras, {cell!r}, layer.get_weights())
state_ids = {{id(state) for state in state_variables(layer)}}
print("model.weights:", [w.name for w in model.weights])
precondition(len(state_ids) > 0, "the layer holds state variables (layer.states)")
listed = [w.name for w in list(model.weights) + list(model.trainable_weights) if id(w) in state_ids]
expect(not listed, f"no state variable among model.weights or model.trainable_weights (listed: {{listed}})")
counts = len(model.get_weights()), len(twin.get_weights())
expect(counts[0] == counts[1], f"get_weights() returns {{counts[0]}} arrays, the stateless twin's {{counts[1]}}")
"""


@pytest.mark.claim("state.not-weights")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_state_not_listed_as_weight(models, impl, check, cell):
    """No state variable is among the model's weights, trainable weights or get_weights()."""
    batch_size = 3
    check.reproduce(NOT_LISTED_REPRO.format(cell=cell, batch_size=batch_size))
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


WEIGHTS_UNCHANGED_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
before = [np.array(w, copy=True) for w in model.get_weights()]
{operation_lines}
after = model.get_weights()
precondition(len(after) == len(before) and len(before) > 0, f"get_weights() returns as many arrays after {operation} ({{len(after)}}) as before ({{len(before)}})")
for k, (new, old) in enumerate(zip(after, before)):
    expect_close(f"weight[{{k}}] after {operation}, against before", new, old, atol=0)
"""


@pytest.mark.claim("state.not-weights")
@pytest.mark.parametrize("operation", list(OPERATION_SNIPPETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_weights_unchanged(models, impl, check, rng, cell, operation):
    """A forward pass, predict, evaluate or reset changes no weight."""
    batch_size, batches = 3, 2
    check.reproduce(WEIGHTS_UNCHANGED_REPRO.format(
        cell=cell, batch_size=batch_size, batches=batches, operation=operation,
        operation_lines=OPERATION_SNIPPETS[operation].format(batch_size=batch_size, batches=batches)))
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


# One SGD(0.1) step from the zero state on the stateful model, on a stateless model with the same
# weights, and on each sample alone; the stateful step against the other two.
SAME_UPDATE_REPRO = """
weights = stateful_model(keras, {cell!r}, {batch_size}).get_weights()
rng = np.random.default_rng(0)
(x,) = batches(rng, {batch_size}, 1)
y = rng.standard_normal(({batch_size}, TIMESTEPS, UNITS)).astype("float32")


def one_sgd_step(x, y, stateful):
    model = stateful_model(keras, {cell!r}, x.shape[0], stateful=stateful)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
    model.set_weights(weights)
    model.train_on_batch(x, y)
    return [np.array(w, dtype="float64") for w in model.get_weights()]


start = [np.array(w, dtype="float64") for w in weights]
stateful = one_sgd_step(x, y, stateful=True)
stateless = one_sgd_step(x, y, stateful=False)
per_sample = [one_sgd_step(x[i : i + 1], y[i : i + 1], stateful=False) for i in range({batch_size})]
mean_of_samples = [w0 + np.mean([sample[k] - w0 for sample in per_sample], axis=0) for k, w0 in enumerate(start)]
precondition(len(stateful) == len(stateless) == len(start) > 0, f"as many weights after the step ({{len(stateful)}} stateful, {{len(stateless)}} stateless) as before ({{len(start)}})")
precondition(any(np.any(a != b) for side in (stateful, stateless) for a, b in zip(side, start)), "the step changes the weights")
for name, expected in (("the stateless twin", stateless), ("the mean of per-sample steps", mean_of_samples)):
    for k, (value, reference) in enumerate(zip(stateful, expected)):
        expect_close(f"weight[{{k}}] after the stateful step, against {{name}}", value, reference, atol=1e-5)
"""


# Five models trained one step each (1.6-5.6 s a cell on tf-keras): the not-slow suite keeps the
# LSTM, the full suite adds the GRU and the SimpleRNN.
@pytest.mark.claim("state.same-update")
@pytest.mark.parametrize("cell", ["LSTM", *(pytest.param(cell, marks=pytest.mark.slow)
                                            for cell in rnn.CELLS[1:])])
def test_same_update(models, impl, check, rng, cell):
    """One step from the zero state updates the weights as the stateless twin and the per-sample mean do."""
    batch_size = 3
    check.reproduce(SAME_UPDATE_REPRO.format(cell=cell, batch_size=batch_size))
    weights = models.model(cell, batch_size).get_weights()
    (x,) = rnn.batches(rng, batch_size, 1)
    y = rng.standard_normal((batch_size, rnn.TIMESTEPS, rnn.UNITS)).astype("float32")
    stateful = one_sgd_step(models, cell, weights, x, y, stateful=True)
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


SAVED_REPRO = """
import tempfile

model = stateful_model(keras, {cell!r}, {batch_size})
(x,) = batches(np.random.default_rng(0), {batch_size}, 1)
model(x)
before = layer_states(impl, rnn_layers(model)[0])
precondition(len(before) > 0 and any(np.any(s) for s in before), "the state is non-zero before saving (else kept and zeroed look the same)")
with tempfile.TemporaryDirectory() as folder:
    path = os.path.join(folder, "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
after = layer_states(impl, rnn_layers(loaded)[0])
expect(len(after) == len(before), f"the loaded layer holds {{len(after)}} state arrays, the saved one {{len(before)}}")
kept = len(after) == len(before) and all(np.array_equal(a, b) for a, b in zip(after, before))
zeroed = all(not np.any(a) for a in after)
print("state after save/load (.keras):", "kept" if kept else "zeros" if zeroed else "changed")
expect(kept or zeroed, "the loaded state is either the saved state or zeros")
"""


@pytest.mark.claim("state.saved")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_saved(keras, impl, check, rng, cell):
    """Saving and loading keeps the state or zeroes it; the observation is recorded."""
    batch_size = 3
    check.reproduce(SAVED_REPRO.format(cell=cell, batch_size=batch_size))
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
