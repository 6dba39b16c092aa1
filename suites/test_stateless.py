"""Claims ``stateless.*``: a stateless layer forgets; only a stateful one cares about batch order."""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.evidence import describe, max_difference

ATOL = 1e-4


@pytest.mark.claim("stateless.fresh-state")
@pytest.mark.parametrize("entry_point", rnn.OUTPUT_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh_state(models, impl, evidence, rng, cell, entry_point):
    """Every batch through a stateless layer starts from zeros, whatever came before."""
    batch_size, batches = 3, 3
    model = models.model(cell, None, stateful=False)
    layer = rnn.rnn_layers(model)[0]
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
def test_stateless_permutation(models, impl, evidence, rng, cell):
    """Stateless: permuting the samples permutes the outputs, nothing else."""
    model = models.model(cell, None, stateful=False)
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
def test_stateful_batch_order(models, impl, evidence, rng, cell):
    """Stateful: swapping the first two batches changes the outputs of the third."""
    batch_size = 3
    first, second, third = rnn.batches(rng, batch_size, 3)
    in_order = rnn.feed(impl, models.model(cell, batch_size), [first, second, third], "call")[2]
    # The same model again, with its first weights and a zero state.
    swapped = rnn.feed(impl, models.model(cell, batch_size), [second, first, third], "call")[2]
    difference = max_difference(swapped, in_order)
    assert difference > 1e-6, evidence.report(
        "stateless.order-free", "the third batch's outputs are the same whichever order the first two came in",
        "a stateful layer's outputs depend on the order of earlier batches",
        rnn.build_snippet(cell, batch_size, 3, "a, b, c = np.split(x, 3)",
                          "model(a); model(b); print(model(c))  # then reset, feed b, a, c: differs"),
    )
