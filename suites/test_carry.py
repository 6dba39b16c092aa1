"""Claims ``carry.*``: where the state of a stateful layer goes from one batch to the next."""

import numpy as np
import pytest

from fixtures import reference_cells, rnn

BATCHES = 3

# The same feeding as the check, in a standalone script: the state and outputs after BATCHES
# batches, against the NumPy cells run on the batches concatenated in time.
INDEX_I_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
outputs = feed(impl, model, chunks, {entry_point!r})
sequence, final = run_sequence({cell!r}, layer.get_weights(), as_streams(chunks))
states = layer_states(impl, layer)
expect(len(states) == len(final), f"layer.states holds {{len(states)}} arrays, the cell {{len(final)}}")
for k, (state, expected) in enumerate(zip(states, final)):
    expect_close(f"state[{{k}}] after {batches} batches through {entry_point}", state, expected)
if outputs is not None:
    expect_close("outputs", np.concatenate(outputs, axis=1), sequence)
"""


# Every entry point at batch size 3; at batch sizes 1 and 8 the training entry points (each traces
# a train or test function per model: 0.4-1.5 s a case on keras-tensorflow and tf-keras) are
# slow: the not-slow suite keeps the direct call, predict_on_batch and predict there, the full
# suite runs all 54 cases.
INDEX_I_CASES = [
    pytest.param(batch_size, entry_point, id=f"bs{batch_size}-{entry_point}",
                 marks=[] if batch_size == 3 or entry_point in rnn.OUTPUT_ENTRY_POINTS
                 else [pytest.mark.slow])
    for batch_size in (1, 3, 8) for entry_point in rnn.ENTRY_POINTS
]


@pytest.mark.claim("carry.index-i")
@pytest.mark.parametrize("batch_size, entry_point", INDEX_I_CASES)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_index_i(models, impl, check, rng, cell, batch_size, entry_point):
    """The final state of sample i is the initial state of sample i in the next batch."""
    check.reproduce(INDEX_I_REPRO.format(cell=cell, batch_size=batch_size, batches=BATCHES,
                                         entry_point=entry_point))
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, BATCHES)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    streams = rnn.as_streams(chunks)
    what = f"after {BATCHES} batches of {batch_size} through {entry_point}"
    states = check.layer_states(layer)
    for name, (sequence, final) in {
        "the stateless twin": models.twin_run(cell, layer.get_weights(), streams),
        "the NumPy reference": reference_cells.run_sequence(cell, layer.get_weights(), streams),
    }.items():
        check.all_close(f"state {what}", states, final,
                        expected_what=f"{name} on the batches concatenated in time")
        if outputs is not None:
            check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                        expected_what=f"{name} on the batches concatenated in time")


def outputs_after_perturbing(models, impl, cell, chunks, row, entry_point, stateful=True):
    """Outputs of every batch, once as given and once with ``row`` of the first batch changed.

    Both runs start from the zero state, with the weights of the stateful model.
    """
    batch_size = chunks[0].shape[0]
    weights = models.model(cell, batch_size).get_weights()
    results = []
    for perturb in (False, True):
        fed = [chunk.copy() for chunk in chunks]
        if perturb:
            fed[0][row] += 1.0
        model = models.model(cell, batch_size, stateful=stateful)
        model.set_weights(weights)
        results.append(rnn.feed(impl, model, fed, entry_point))
    return results


PERTURB_REPRO = """
def run(x, stateful):
    keras.utils.set_random_seed(0)  # the same weights for both runs
    model = stateful_model(keras, {cell!r}, {batch_size}, stateful=stateful)
    return feed(impl, model, np.split(x, {batches}), {entry_point!r})

x = np.concatenate(batches(np.random.default_rng(0), {batch_size}, {batches}))
x2 = x.copy(); x2[{row}] += 1.0  # sample {row} of batch 1 perturbed
"""

ROWS_ISOLATED_REPRO = PERTURB_REPRO + """
plain, perturbed = run(x, True), run(x2, True)
for later in range(1, {batches}):
    changed = np.abs(perturbed[later] - plain[later]).reshape({batch_size}, -1).max(axis=1)
    print(f"batch {{later + 1}}: largest change per row {{changed.round(5).tolist()}}")
    precondition(changed[{row}] > 0, f"row {row} of batch {{later + 1}} changes (the state carries the perturbation)")
    expect(all(changed[r] == 0 for r in range({batch_size}) if r != {row}), f"no other row of batch {{later + 1}} changes")
"""


@pytest.mark.claim("carry.rows-isolated")
@pytest.mark.parametrize("entry_point", rnn.OUTPUT_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_rows_isolated(models, impl, check, rng, cell, entry_point):
    """Perturbing sample 1 of the first batch changes row 1 of later batches and no other row."""
    batch_size, row = 3, 1  # rows on both sides of the perturbed one
    check.reproduce(ROWS_ISOLATED_REPRO.format(cell=cell, batch_size=batch_size, batches=BATCHES,
                                               entry_point=entry_point, row=row))
    chunks = rnn.batches(rng, batch_size, BATCHES)
    # A layer that keeps no state has no rows to keep apart: the claim is about that state.
    check.layer_states(rnn.rnn_layers(models.model(cell, batch_size))[0])
    plain, perturbed = outputs_after_perturbing(models, impl, cell, chunks, row, entry_point)
    check.same_count("batches of outputs", perturbed, plain)
    for later in range(1, BATCHES):
        changed = np.abs(perturbed[later] - plain[later]).reshape(batch_size, -1).max(axis=1)
        # Another row changing is a failure whether or not row 1 changed (a shifted state).
        others = [r for r in range(batch_size) if r != row and changed[r] > 0]
        check.that(not others,
                   f"rows {others} of batch {later + 1} changed (by up to "
                   f"{changed[others].max() if others else 0:.3g}) when only sample {row} of "
                   f"batch 1 was perturbed ({entry_point})",
                   f"only row {row} changes")
        check.precondition(changed[row] > 0,
                           f"the perturbation of sample {row} reaching row {row} of batch {later + 1}",
                           f"{entry_point}: row {row} unchanged, so no state carried it",
                           failing="carry.long-range")


LONG_RANGE_REPRO = PERTURB_REPRO + """
for stateful in (True, False):
    plain, perturbed = run(x, stateful), run(x2, stateful)
    change = float(np.abs(perturbed[{n}][{row}] - plain[{n}][{row}]).max())
    print(f"stateful={{stateful}}: sample {row} + {n}*{batch_size} changed by {{change:.3g}}")
    if stateful:
        expect(change > 0, "with stateful=True the perturbation reaches {n} batches ahead")
    else:
        expect(change == 0, "with stateful=False it does not")
"""


@pytest.mark.claim("carry.long-range")
@pytest.mark.parametrize("n", [1, 2, 3], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_long_range(models, impl, check, rng, cell, n):
    """Sample i+n*bs depends on sample i when stateful, and not when stateless."""
    batch_size, row = 3, 0
    check.reproduce(LONG_RANGE_REPRO.format(cell=cell, batch_size=batch_size, batches=n + 1,
                                            entry_point="predict", row=row, n=n))
    chunks = rnn.batches(rng, batch_size, n + 1)
    check.layer_states(rnn.rnn_layers(models.model(cell, batch_size))[0])
    for stateful in (True, False):
        plain, perturbed = outputs_after_perturbing(
            models, impl, cell, chunks, row, "predict", stateful=stateful
        )
        check.same_count("batches of outputs", perturbed, plain)
        change = float(np.abs(perturbed[n][row] - plain[n][row]).max())
        if stateful:
            check.that(change > 0,
                       f"sample {row + n * batch_size} does not depend on sample {row}, {n} "
                       "batches earlier (no change at all)",
                       "a stateful layer carries the perturbation n batches ahead")
        else:
            check.that(change == 0,
                       f"with stateful=False sample {row + n * batch_size} changed by "
                       f"{change:.3g} when sample {row} did",
                       "a stateless layer forgets everything between batches")


STACKED_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
first = keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)
second = keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)
model = keras.Model(inputs, second(first(inputs)))
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
outputs = model.predict(as_samples(chunks), batch_size={batch_size}, verbose=0)
first_sequence, first_state = run_sequence({cell!r}, first.get_weights(), as_streams(chunks))
second_sequence, second_state = run_sequence({cell!r}, second.get_weights(), first_sequence)
for name, layer, expected in (("first", first, first_state), ("second", second, second_state)):
    states = layer_states(impl, layer)
    expect(len(states) == len(expected), f"{{name}} layer holds {{len(states)}} state arrays")
    for k, (state, value) in enumerate(zip(states, expected)):
        expect_close(f"{{name}} layer state[{{k}}]", state, value)
expect_close("model outputs", np.concatenate(np.split(to_numpy(outputs), {batches}), axis=1), second_sequence)
"""


@pytest.mark.claim("carry.stacked")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stacked(models, impl, check, rng, cell):
    """Each layer of a stateful stack carries its own state."""
    batch_size = 3
    check.reproduce(STACKED_REPRO.format(cell=cell, batch_size=batch_size, batches=BATCHES))
    model = models.model(cell, batch_size, layers=2)
    first, second = rnn.rnn_layers(model)
    chunks = rnn.batches(rng, batch_size, BATCHES)
    outputs = rnn.feed(impl, model, chunks, "predict")
    streams = rnn.as_streams(chunks)
    first_sequence, first_state = reference_cells.run_sequence(cell, first.get_weights(), streams)
    second_sequence, second_state = reference_cells.run_sequence(cell, second.get_weights(), first_sequence)
    what = f"after {BATCHES} batches"
    check.all_close(f"first layer state {what}", check.layer_states(first, "the first layer"),
                    first_state,
                    expected_what="the NumPy reference (each layer continues its own sequence)")
    check.all_close(f"second layer state {what}", check.layer_states(second, "the second layer"),
                    second_state,
                    expected_what="the NumPy reference (each layer continues its own sequence)")
    check.close(f"model outputs {what}", np.concatenate(outputs, axis=1), second_sequence,
                expected_what="the NumPy reference")


ACROSS_EPOCHS_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
x, y = as_samples(chunks), targets_like(model, {batches})
{fit}
_, expected = run_sequence({cell!r}, layer.get_weights(), as_streams(chunks * 2))
states = layer_states(impl, layer)
expect(len(states) == len(expected), f"layer.states holds {{len(states)}} arrays")
for k, (state, value) in enumerate(zip(states, expected)):
    expect_close(f"state[{{k}}] after the data twice ({how}), against no reset in between", state, value)
"""

FIT_TWICE = {
    "epochs": "model.fit(x, y, batch_size={batch_size}, epochs=2, shuffle=False, verbose=0)",
    "calls": "for _ in range(2):\n    model.fit(x, y, batch_size={batch_size}, epochs=1, shuffle=False, verbose=0)",
}


@pytest.mark.claim("carry.across-epochs")
@pytest.mark.parametrize("how", ["epochs", "calls"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_across_epochs(models, impl, check, rng, cell, how):
    """fit(epochs=2), or two fit calls, carry the state on as one long pass over the data."""
    batch_size, batches = 3, 2
    check.reproduce(ACROSS_EPOCHS_REPRO.format(
        cell=cell, batch_size=batch_size, batches=batches, how=how,
        fit=FIT_TWICE[how].format(batch_size=batch_size)))
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, batches)
    x, y = rnn.as_samples(chunks), rnn.targets_like(model, batches)
    if how == "epochs":
        model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
    else:
        for _ in range(2):
            model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks * 2))
    check.all_close(f"state after fitting the data twice ({how})", check.layer_states(layer),
                    expected, expected_what="the data run twice with no reset in between")
