"""Checks of ``carry.*``: where the state of a stateful layer goes from one batch to the next."""

import numpy as np

from fixtures import reference_cells, rnn

BATCHES = 3


def index_i(models, impl, check, rng, cell, batch_size, entry_point):
    """The final state of sample i is the initial state of sample i in the next batch."""
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


def rows_isolated(models, impl, check, rng, cell, entry_point):
    """Perturbing sample 1 of the first batch changes row 1 of later batches and no other row."""
    batch_size, row = 3, 1  # rows on both sides of the perturbed one
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


def long_range(models, impl, check, rng, cell, n, entry_point="predict"):
    """Sample i+n*bs depends on sample i when stateful, and not when stateless (both fed through
    ``entry_point``: a workaround feeds by direct calls)."""
    batch_size, row = 3, 0
    chunks = rnn.batches(rng, batch_size, n + 1)
    check.layer_states(rnn.rnn_layers(models.model(cell, batch_size))[0])
    for stateful in (True, False):
        plain, perturbed = outputs_after_perturbing(
            models, impl, cell, chunks, row, entry_point, stateful=stateful
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


def stacked(models, impl, check, rng, cell, entry_point="predict"):
    """Each layer of a stateful stack carries its own state (fed through ``entry_point``)."""
    batch_size = 3
    model = models.model(cell, batch_size, layers=2)
    first, second = rnn.rnn_layers(model)
    chunks = rnn.batches(rng, batch_size, BATCHES)
    outputs = rnn.feed(impl, model, chunks, entry_point)
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


def across_epochs(models, impl, check, rng, cell, how):
    """fit(epochs=2), or two fit calls, carry the state on as one long pass over the data."""
    batch_size, batches = 3, 2
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
