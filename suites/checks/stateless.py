"""Checks of ``stateless.*``: a stateless layer forgets; only a stateful one cares about batch order."""

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import describe, max_difference


def fresh_state(models, impl, check, rng, cell, entry_point):
    """Every batch through a stateless layer starts from zeros, whatever came before."""
    batch_size, batches = 3, 3
    model = models.model(cell, None, stateful=False)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, batches)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    check.same_count(f"batches of outputs through {entry_point}", outputs, chunks)
    for index, (chunk, output) in enumerate(zip(chunks, outputs)):
        expected, _ = reference_cells.run_sequence(cell, layer.get_weights(), chunk)
        check.close(f"batch {index + 1} through {entry_point}", output, expected,
                    expected_what="the output from the zero state")


def stateless_permutation(models, impl, check, rng, cell):
    """Stateless: permuting the samples permutes the outputs, nothing else."""
    batch_size, batches = 3, 4
    model = models.model(cell, None, stateful=False)
    x = rnn.as_samples(rnn.batches(rng, batch_size, batches))
    permutation = rng.permutation(len(x))
    plain = impl.to_numpy(model.predict(x, batch_size=batch_size, verbose=0))
    permuted = impl.to_numpy(model.predict(x[permutation], batch_size=batch_size, verbose=0))
    check.close("predict on permuted samples", permuted, plain[permutation],
                expected_what="the outputs permuted with the samples")


def stateful_batch_order(models, impl, check, rng, cell):
    """Stateful: swapping the first two batches changes the outputs of the third."""
    batch_size = 3
    first, second, third = rnn.batches(rng, batch_size, 3)  # independent draws: they differ
    model = models.model(cell, batch_size)
    rnn.feed(impl, model, [first, second], "call")
    state = check.layer_states(rnn.rnn_layers(model)[0])
    check.precondition(any(np.any(value != 0) for value in state),
                       "a non-zero stateful state after the first two batches",
                       f"layer.states: {[describe(value) for value in state]}",
                       failing="state.is-memory")
    in_order = rnn.feed(impl, model, [third], "call")[0]
    # The same model again, with its first weights and a zero state.
    swapped = rnn.feed(impl, models.model(cell, batch_size), [second, first, third], "call")[2]
    check.that(swapped.shape == in_order.shape and in_order.size > 0,
               f"outputs of the third batch of shape {swapped.shape} swapped, {in_order.shape} in order",
               "outputs of the third batch of the same, non-empty shape in both orders")
    difference = max_difference(swapped, in_order)
    check.that(difference > 1e-6,
               "the third batch's outputs are the same whichever order the first two came in",
               "a stateful layer's outputs depend on the order of earlier batches")
