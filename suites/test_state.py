"""Claims ``state.*``: what the state is (the layer's memory) and what it is not (a weight)."""

import os
import tempfile

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.evidence import describe, max_difference

ATOL = 1e-4


@pytest.mark.claim("state.is-memory")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_is_memory(models, impl, evidence, rng, cell):
    """After a batch, layer.states holds h (and c for LSTM), one (batch, units) row per sample."""
    batch_size = 3
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    (x,) = rnn.batches(rng, batch_size, 1)
    outputs = rnn.feed(impl, model, [x], "call")[0]
    states = rnn.layer_states(impl, layer)
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), x)
    code = rnn.build_snippet(cell, batch_size, 1, "model(x)", "print([np.asarray(s).shape for s in layer.states])")
    names = ["h", "c"][: reference_cells.state_size(cell)]
    assert len(states) == len(names), evidence.report(
        "state.is-memory", f"layer.states has {len(states)} tensors",
        f"{len(names)} ({', '.join(names)})", code,
    )
    for name, value, reference_value in zip(names, states, expected):
        assert value.shape == (batch_size, rnn.UNITS), evidence.report(
            "state.is-memory", f"{name} has shape {value.shape}",
            f"(batch, units) = {(batch_size, rnn.UNITS)}", code,
        )
        difference = max_difference(value, reference_value)
        assert difference <= ATOL, evidence.report(
            "state.is-memory", f"{name} differs from the cell's {name} by {difference:.3g} ({describe(value)})",
            f"the cell's final {name} ({describe(reference_value)})", code,
        )
    difference = max_difference(states[0], outputs[:, -1])
    assert difference <= ATOL, evidence.report(
        "state.is-memory", f"h differs from the last output by {difference:.3g}",
        "h equals the output of the last timestep", code,
    )


def run_operation(model, chunks, operation):
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
        for layer in rnn.rnn_layers(model):
            layer.reset_states()


OPERATION_SNIPPETS = {
    "call": "for chunk in np.split(x, {batches}): model(chunk)",
    "predict": "model.predict(x, batch_size={batch_size}, verbose=0)",
    "evaluate": "model.evaluate(x, np.zeros(x.shape[:2] + ({units},)), batch_size={batch_size}, verbose=0)",
    "reset": "model(x[:{batch_size}]); layer.reset_states()",
}


@pytest.mark.claim("state.not-weights")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_state_not_listed_as_weight(models, impl, evidence, cell):
    """No state variable is among the model's weights, trainable weights or get_weights()."""
    batch_size = 3
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    twin = models.twin(cell, layer.get_weights())
    state_ids = {id(state) for state in layer.states}
    listed = [w for w in list(model.weights) + list(model.trainable_weights) if id(w) in state_ids]
    code = rnn.build_snippet(
        cell, batch_size, 1,
        "print(len(model.get_weights()), [w.name for w in model.weights])  # no state variables",
    )
    assert not listed, evidence.report(
        "state.not-weights", f"state variables listed among the weights: {[w.name for w in listed]}",
        "weights are the kernels and biases only", code,
    )
    counts = (len(model.get_weights()), len(twin.get_weights()))
    assert counts[0] == counts[1], evidence.report(
        "state.not-weights", f"get_weights() returns {counts[0]} arrays, the stateless twin's {counts[1]}",
        "the same weights with and without stateful=True", code,
    )


@pytest.mark.claim("state.not-weights")
@pytest.mark.parametrize("operation", list(OPERATION_SNIPPETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_weights_unchanged(models, impl, evidence, rng, cell, operation):
    """A forward pass, predict, evaluate or reset changes no weight."""
    batch_size, batches = 3, 2
    model = models.model(cell, batch_size)
    before = rnn.weights_snapshot(impl, model)
    run_operation(model, rnn.batches(rng, batch_size, batches), operation)
    after = rnn.weights_snapshot(impl, model)
    code = rnn.build_snippet(
        cell, batch_size, batches, "before = model.get_weights()", OPERATION_SNIPPETS[operation],
        "print([np.abs(a - b).max() for a, b in zip(before, model.get_weights())])  # all 0",
    )
    for index, (old, new) in enumerate(zip(before, after)):
        difference = max_difference(new, old)
        assert difference == 0, evidence.report(
            "state.not-weights", f"{operation} changed weight {index} by up to {difference:.3g}",
            "weights unchanged: only the state moves", code,
        )


def one_sgd_step(models, cell, weights, x, y, stateful):
    """Weights after one SGD(0.1) step with mean squared error, from the zero state."""
    model = models.model(cell, x.shape[0], stateful=stateful, learning_rate=0.1)
    model.set_weights(weights)
    model.train_on_batch(x, y)
    return [np.array(w, dtype="float64") for w in model.get_weights()]


@pytest.mark.claim("state.same-update")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_same_update(models, impl, evidence, rng, cell):
    """One step from the zero state updates the weights as the stateless twin and the per-sample mean do."""
    batch_size = 3
    weights = models.model(cell, batch_size).get_weights()
    (x,) = rnn.batches(rng, batch_size, 1)
    y = rng.standard_normal((batch_size, rnn.TIMESTEPS, rnn.UNITS)).astype("float32")
    stateful = one_sgd_step(models, cell, weights, x, y, stateful=True)
    stateless = one_sgd_step(models, cell, weights, x, y, stateful=False)
    per_sample = [
        one_sgd_step(models, cell, weights, x[i : i + 1], y[i : i + 1], stateful=False)
        for i in range(batch_size)
    ]
    mean_of_samples = [
        w0 + np.mean([sample[k] - w0 for sample in per_sample], axis=0)
        for k, w0 in enumerate(np.array(w, dtype="float64") for w in weights)
    ]
    code = rnn.build_snippet(cell, batch_size, 1).replace("learning_rate=0.0", "learning_rate=0.1") + (
        "\ny = np.ones(x.shape[:2] + ({units},))\nmodel.train_on_batch(x, y)\n"
        "# compare model.get_weights() with the same step on stateful=False".format(units=rnn.UNITS)
    )
    for name, expected in (("the stateless twin", stateless), ("the mean of per-sample steps", mean_of_samples)):
        for index, (value, reference_value) in enumerate(zip(stateful, expected)):
            difference = max_difference(value, reference_value)
            assert difference <= 1e-5, evidence.report(
                "state.same-update",
                f"after one step, weight {index} differs from {name} by {difference:.3g}",
                f"the stateful step equals {name}", code,
            )


@pytest.mark.claim("state.saved")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_saved(keras, impl, evidence, rng, record_property, cell):
    """Saving and loading keeps the state or zeroes it; the observation is recorded."""
    batch_size = 3
    model = rnn.stateful_model(keras, cell, batch_size)
    (x,) = rnn.batches(rng, batch_size, 1)
    model(x)
    before = rnn.layer_states(impl, rnn.rnn_layers(model)[0])
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        model.save(path)
        loaded = keras.models.load_model(path)
    after = rnn.layer_states(impl, rnn.rnn_layers(loaded)[0])
    kept = all(max_difference(a, b) == 0 for a, b in zip(after, before))
    zeroed = all(not np.any(a) for a in after)
    observed = "state kept" if kept else "state reset to zero" if zeroed else "state changed"
    record_property("observed", f"save/load (.keras): {observed}")
    assert len(after) == len(before) and (kept or zeroed), evidence.report(
        "state.saved", f"after save and load the state is neither kept nor zero: {describe(after[0])}",
        f"either the saved state ({describe(before[0])}) or zeros",
        rnn.build_snippet(cell, batch_size, 1, "model(x); model.save('m.keras')",
                          "print(keras.models.load_model('m.keras').layers[1].states)"),
    )
