"""Claims ``stateless.*``: a stateless layer forgets; only a stateful one cares about batch order."""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.check import describe, max_difference

# A stateless model fed consecutive batches in a standalone script: each batch's outputs against
# the NumPy cells run on that batch alone, from the zero state.
FRESH_STATE_REPRO = """
model = stateful_model(keras, {cell!r}, None, stateful=False)
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
outputs = feed(impl, model, chunks, {entry_point!r})
expect(len(outputs) == len(chunks), f"{{len(outputs)}} batches of outputs for {{len(chunks)}} batches")
for index, (chunk, output) in enumerate(zip(chunks, outputs)):
    expected, _ = run_sequence({cell!r}, layer.get_weights(), chunk)
    expect_close(f"outputs of batch {{index + 1}} through {entry_point}, against the zero state", output, expected)
"""


@pytest.mark.claim("stateless.fresh-state")
@pytest.mark.parametrize("entry_point", rnn.OUTPUT_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh_state(models, impl, check, rng, cell, entry_point):
    """Every batch through a stateless layer starts from zeros, whatever came before."""
    batch_size, batches = 3, 3
    check.reproduce(FRESH_STATE_REPRO.format(cell=cell, batch_size=batch_size, batches=batches,
                                             entry_point=entry_point))
    model = models.model(cell, None, stateful=False)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, batches)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    check.same_count(f"batches of outputs through {entry_point}", outputs, chunks)
    for index, (chunk, output) in enumerate(zip(chunks, outputs)):
        expected, _ = reference_cells.run_sequence(cell, layer.get_weights(), chunk)
        check.close(f"batch {index + 1} through {entry_point}", output, expected,
                    expected_what="the output from the zero state")


PERMUTATION_REPRO = """
model = stateful_model(keras, {cell!r}, None, stateful=False)
x = as_samples(batches(np.random.default_rng(0), {batch_size}, {batches}))
permutation = np.random.default_rng(1).permutation(len(x))
plain = to_numpy(model.predict(x, batch_size={batch_size}, verbose=0))
permuted = to_numpy(model.predict(x[permutation], batch_size={batch_size}, verbose=0))
expect_close("predict on the permuted samples, against its outputs permuted", permuted, plain[permutation])
"""


@pytest.mark.claim("stateless.order-free")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stateless_permutation(models, impl, check, rng, cell):
    """Stateless: permuting the samples permutes the outputs, nothing else."""
    batch_size, batches = 3, 4
    check.reproduce(PERMUTATION_REPRO.format(cell=cell, batch_size=batch_size, batches=batches))
    model = models.model(cell, None, stateful=False)
    x = rnn.as_samples(rnn.batches(rng, batch_size, batches))
    permutation = rng.permutation(len(x))
    plain = impl.to_numpy(model.predict(x, batch_size=batch_size, verbose=0))
    permuted = impl.to_numpy(model.predict(x[permutation], batch_size=batch_size, verbose=0))
    check.close("predict on permuted samples", permuted, plain[permutation],
                expected_what="the outputs permuted with the samples")


# A stateful model fed a, b, c and, rebuilt with the same weights, b, a, c in a standalone script:
# the outputs of c must differ.
BATCH_ORDER_REPRO = """
first, second, third = batches(np.random.default_rng(0), {batch_size}, 3)


def run(order):
    keras.utils.set_random_seed(0)  # the same weights and a zero state for both orders
    model = stateful_model(keras, {cell!r}, {batch_size})
    for chunk in order:
        model(chunk)
    state = layer_states(impl, rnn_layers(model)[0])
    return state, to_numpy(model(third))


precondition(float(np.abs(first - second).max()) > 0, "the first two batches differ")
state, in_order = run([first, second])
precondition(any(np.any(s != 0) for s in state), "the state is non-zero after the first two batches")
_, swapped = run([second, first])
expect(swapped.shape == in_order.shape, f"outputs of the third batch of shapes {{swapped.shape}} and {{in_order.shape}}")
difference = float(np.abs(swapped - in_order).max()) if swapped.shape == in_order.shape else 0.0
print(f"the third batch's outputs change by {{difference:.3g}} when the first two are swapped")
expect(difference > 1e-6, "the third batch's outputs depend on the order of the first two")
"""


@pytest.mark.claim("stateless.order-free")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stateful_batch_order(models, impl, check, rng, cell):
    """Stateful: swapping the first two batches changes the outputs of the third."""
    batch_size = 3
    check.reproduce(BATCH_ORDER_REPRO.format(cell=cell, batch_size=batch_size))
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
