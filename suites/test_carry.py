"""Claims ``carry.*``: where the state of a stateful layer goes from one batch to the next."""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.evidence import describe, max_difference

ATOL = 1e-4  # float32 kernels against a float64 reference over a few dozen steps
BATCHES = 3


def reference(models, cell, weights, streams):
    """Sequence and final state of the stateless twin and of the NumPy cells on ``streams``."""
    return {
        "stateless twin": models.twin_run(cell, weights, streams),
        "NumPy reference": reference_cells.run_sequence(cell, weights, streams),
    }


def compare_with_references(evidence, claim, observed, references, code, what):
    """Fail with a report unless ``observed`` (name → array) matches every reference."""
    for reference_name, expected in references.items():
        for name, value in observed.items():
            difference = max_difference(value, expected[name])
            assert difference <= ATOL, evidence.report(
                claim,
                f"{what}: {name} differs from the {reference_name} by {difference:.3g} "
                f"({describe(value)})",
                f"{name} equal to the {reference_name} run statelessly on the batches "
                f"concatenated in time ({describe(expected[name])})",
                code,
            )


@pytest.mark.claim("carry.index-i")
@pytest.mark.parametrize("entry_point", rnn.ENTRY_POINTS)
@pytest.mark.parametrize("batch_size", [1, 3, 8], ids=lambda bs: f"bs{bs}")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_index_i(models, impl, evidence, rng, cell, batch_size, entry_point):
    """The final state of sample i is the initial state of sample i in the next batch."""
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, BATCHES)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    expected = reference(models, cell, layer.get_weights(), rnn.as_streams(chunks))

    observed = {f"state[{k}]": value for k, value in enumerate(rnn.layer_states(impl, layer))}
    by_name = {
        name: {f"state[{k}]": value for k, value in enumerate(state)}
        for name, (_, state) in expected.items()
    }
    if outputs is not None:
        observed["outputs"] = np.concatenate(outputs, axis=1)
        for name, (sequence, _) in expected.items():
            by_name[name]["outputs"] = sequence
    code = rnn.build_snippet(
        cell, batch_size, BATCHES, rnn.FEED_SNIPPETS[entry_point],
        "print([np.asarray(s) for s in layer.states])  # compare: run the rows' batches "
        "concatenated in time through a stateless twin",
    )
    compare_with_references(
        evidence, "carry.index-i", observed, by_name, code,
        f"after {BATCHES} batches of {batch_size} through {entry_point}",
    )


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


@pytest.mark.claim("carry.rows-isolated")
@pytest.mark.parametrize("entry_point", rnn.OUTPUT_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_rows_isolated(models, impl, evidence, rng, cell, entry_point):
    """Perturbing sample 1 of the first batch changes row 1 of later batches and no other row."""
    batch_size, row = 3, 1  # rows on both sides of the perturbed one
    chunks = rnn.batches(rng, batch_size, BATCHES)
    plain, perturbed = outputs_after_perturbing(models, impl, cell, chunks, row, entry_point)
    code = rnn.build_snippet(
        cell, batch_size, BATCHES, "x2 = x.copy(); x2[1] += 1.0  # perturb sample 1 of batch 1",
        f"# feed x, then reset and feed x2, through {entry_point}; compare the last batch's rows",
    )
    for later in range(1, BATCHES):
        changed = np.abs(perturbed[later] - plain[later]).reshape(batch_size, -1).max(axis=1)
        others = [r for r in range(batch_size) if r != row and changed[r] > 0]
        assert not others, evidence.report(
            "carry.rows-isolated",
            f"rows {others} of batch {later + 1} changed (by up to {changed[others].max():.3g}) "
            f"when only sample {row} of batch 1 was perturbed ({entry_point})",
            f"only row {row} changes",
            code,
        )
        assert changed[row] > 0, evidence.report(
            "carry.rows-isolated",
            f"row {row} of batch {later + 1} did not change when sample {row} of batch 1 did",
            f"row {row} changes: its state carries the perturbation",
            code,
        )


@pytest.mark.claim("carry.long-range")
@pytest.mark.parametrize("n", [1, 2, 3], ids=lambda n: f"n{n}")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_long_range(models, impl, evidence, rng, cell, n):
    """Sample i+n*bs depends on sample i when stateful, and not when stateless."""
    batch_size, row = 3, 0
    chunks = rnn.batches(rng, batch_size, n + 1)
    code = rnn.build_snippet(
        cell, batch_size, n + 1, "x2 = x.copy(); x2[0] += 1.0",
        "a = model.predict(x, batch_size={batch_size}, verbose=0); layer.reset_states()",
        "b = model.predict(x2, batch_size={batch_size}, verbose=0)",
        f"print(np.abs(a - b)[{n} * {batch_size}].max())  # sample i + n*bs must change",
    )
    for stateful in (True, False):
        plain, perturbed = outputs_after_perturbing(
            models, impl, cell, chunks, row, "predict", stateful=stateful
        )
        change = float(np.abs(perturbed[n][row] - plain[n][row]).max())
        if stateful:
            assert change > 0, evidence.report(
                "carry.long-range",
                f"sample {row + n * batch_size} does not depend on sample {row}, {n} batches "
                "earlier (no change at all)",
                "a stateful layer carries the perturbation n batches ahead",
                code,
            )
        else:
            assert change == 0, evidence.report(
                "carry.long-range",
                f"with stateful=False sample {row + n * batch_size} changed by {change:.3g} when "
                f"sample {row} did",
                "a stateless layer forgets everything between batches",
                code.replace("stateful=True", "stateful=False"),
            )


@pytest.mark.claim("carry.stacked")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stacked(models, impl, evidence, rng, cell):
    """Each layer of a stateful stack carries its own state."""
    batch_size = 3
    model = models.model(cell, batch_size, layers=2)
    first, second = rnn.rnn_layers(model)
    chunks = rnn.batches(rng, batch_size, BATCHES)
    outputs = rnn.feed(impl, model, chunks, "predict")
    streams = rnn.as_streams(chunks)
    first_sequence, first_state = reference_cells.run_sequence(cell, first.get_weights(), streams)
    second_sequence, second_state = reference_cells.run_sequence(cell, second.get_weights(), first_sequence)
    code = (
        rnn.build_snippet(cell, batch_size, BATCHES)
        .replace("model = keras.Model(inputs, layer(inputs))",
                 f"second = keras.layers.{cell}({rnn.UNITS}, stateful=True, return_sequences=True)\n"
                 "model = keras.Model(inputs, second(layer(inputs)))")
        + "\nmodel.predict(x, batch_size=3, verbose=0)\n"
        "print([np.asarray(s) for s in layer.states], [np.asarray(s) for s in second.states])"
    )
    observed = {
        "first layer state": (rnn.layer_states(impl, first), first_state),
        "second layer state": (rnn.layer_states(impl, second), second_state),
        "model outputs": ([np.concatenate(outputs, axis=1)], [second_sequence]),
    }
    for name, (values, expected) in observed.items():
        for k, (value, reference_value) in enumerate(zip(values, expected)):
            difference = max_difference(value, reference_value)
            assert difference <= ATOL, evidence.report(
                "carry.stacked",
                f"{name} [{k}] after {BATCHES} batches differs from the NumPy reference by "
                f"{difference:.3g} ({describe(value)})",
                f"each layer's state continues its own sequence ({describe(reference_value)})",
                code,
            )


@pytest.mark.claim("carry.across-epochs")
@pytest.mark.parametrize("how", ["epochs", "calls"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_across_epochs(models, impl, evidence, rng, cell, how):
    """fit(epochs=2), or two fit calls, carry the state on as one long pass over the data."""
    batch_size, batches = 3, 2
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, batches)
    x, y = rnn.as_samples(chunks), rnn.targets_like(model, batches)
    if how == "epochs":
        model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, verbose=0)
        fit_code = "model.fit(x, y, batch_size=3, epochs=2, shuffle=False, verbose=0)"
    else:
        for _ in range(2):
            model.fit(x, y, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
        fit_code = "for _ in range(2): model.fit(x, y, batch_size=3, shuffle=False, verbose=0)"
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks * 2))
    observed = rnn.layer_states(impl, layer)
    code = rnn.build_snippet(
        cell, batch_size, batches, "y = np.zeros(x.shape[:2] + ({units},))", fit_code,
        "print([np.asarray(s) for s in layer.states])  # the data seen twice, with no reset",
    )
    for k, (value, reference_value) in enumerate(zip(observed, expected)):
        difference = max_difference(value, reference_value)
        assert difference <= ATOL, evidence.report(
            "carry.across-epochs",
            f"state[{k}] after fitting the data twice ({how}) differs by {difference:.3g} from "
            f"running it twice without a reset ({describe(value)})",
            f"no reset between epochs or fit calls ({describe(reference_value)})",
            code,
        )
