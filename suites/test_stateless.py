"""Claims ``stateless.*``: a stateless layer forgets; only a stateful one cares about batch order."""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.evidence import describe, max_difference

ATOL = 1e-4


@pytest.mark.claim("stateless.fresh-state")
@pytest.mark.parametrize("entry_point", rnn.OUTPUT_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh_state(keras, impl, evidence, rng, cell, entry_point):
    """Every batch through a stateless layer starts from zeros, whatever came before."""
    batch_size, batches = 3, 3
    inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
    layer = rnn.rnn_layer(keras, cell, stateful=False)
    model = keras.Model(inputs, layer(inputs))
    chunks = rnn.batches(rng, batch_size, batches)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    for index, (chunk, output) in enumerate(zip(chunks, outputs)):
        expected, _ = reference_cells.run_sequence(cell, layer.get_weights(), chunk)
        difference = max_difference(output, expected)
        assert difference <= ATOL, evidence.report(
            "stateless.fresh-state",
            f"batch {index + 1} through {entry_point} differs by {difference:.3g} from starting at zero ({describe(output)})",
            f"the output from the zero state ({describe(expected)})",
            rnn.build_snippet(cell, batch_size, batches, rnn.FEED_SNIPPETS[entry_point]).replace(
                "stateful=True", "stateful=False"),
        )


@pytest.mark.claim("stateless.order-free")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stateless_permutation(keras, impl, evidence, rng, cell):
    """Stateless: permuting the samples permutes the outputs, nothing else."""
    inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
    model = keras.Model(inputs, rnn.rnn_layer(keras, cell, stateful=False)(inputs))
    x = rnn.as_samples(rnn.batches(rng, 3, 4))
    permutation = rng.permutation(len(x))
    plain = impl.to_numpy(model.predict(x, batch_size=3, verbose=0))
    permuted = impl.to_numpy(model.predict(x[permutation], batch_size=3, verbose=0))
    difference = max_difference(permuted, plain[permutation])
    assert difference <= ATOL, evidence.report(
        "stateless.order-free", f"predict on permuted samples differs from the permuted outputs by {difference:.3g}",
        "outputs permuted with the samples",
        rnn.build_snippet(cell, 3, 4, "p = np.random.permutation(len(x))",
                          "print(np.abs(model.predict(x[p], batch_size=3) - model.predict(x, batch_size=3)[p]).max())"
                          ).replace("stateful=True", "stateful=False"),
    )


@pytest.mark.claim("stateless.order-free")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stateful_batch_order(keras, impl, evidence, rng, cell):
    """Stateful: swapping the first two batches changes the outputs of the third."""
    batch_size = 3
    first, second, third = rnn.batches(rng, batch_size, 3)
    model = rnn.stateful_model(keras, cell, batch_size)
    weights = model.get_weights()
    in_order = rnn.feed(impl, model, [first, second, third], "call")[2]
    swapped_model = rnn.stateful_model(keras, cell, batch_size)
    swapped_model.set_weights(weights)
    swapped = rnn.feed(impl, swapped_model, [second, first, third], "call")[2]
    difference = max_difference(swapped, in_order)
    assert difference > 1e-6, evidence.report(
        "stateless.order-free", "the third batch's outputs are the same whichever order the first two came in",
        "a stateful layer's outputs depend on the order of earlier batches",
        rnn.build_snippet(cell, batch_size, 3, "a, b, c = np.split(x, 3)",
                          "model(a); model(b); print(model(c))  # then reset, feed b, a, c: differs"),
    )
