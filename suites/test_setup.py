"""Claims ``setup.*``: what a stateful layer needs (fixed batch size, equal batches, shuffle=False)."""

import re

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.evidence import describe, max_difference

ATOL = 1e-4


@pytest.mark.claim("setup.batch-size-required")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_batch_size_required(keras, impl, evidence, rng, cell):
    """Without a fixed batch size a stateful layer is refused with an error that mentions it."""
    code = (
        f"inputs = keras.Input(shape=({rnn.TIMESTEPS}, {rnn.FEATURES}))  # no batch size\n"
        f"model = keras.Model(inputs, keras.layers.{cell}({rnn.UNITS}, stateful=True)(inputs))\n"
        f"model.predict(np.zeros((3, {rnn.TIMESTEPS}, {rnn.FEATURES}), 'float32'), verbose=0)"
    )
    try:
        inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
        model = keras.Model(inputs, rnn.rnn_layer(keras, cell)(inputs))
        outputs = model.predict(rnn.batches(rng, 3, 1)[0], verbose=0)
    except Exception as error:  # the refusal is the documented behaviour
        mentions_batch = "batch" in str(error).lower()
        assert mentions_batch, evidence.report(
            "setup.batch-size-required", f"refused, but the error does not mention the batch size: "
            f"{type(error).__name__}: {str(error)[:300]}", "an error that says a batch size is needed", code,
        )
        return
    raise AssertionError(evidence.report(
        "setup.batch-size-required", f"accepted without a batch size, returned {describe(outputs)}",
        "an error asking for a fixed batch size", code,
    ))


def model_with_spelling(keras, cell, spelling, batch_size):
    shape = (rnn.TIMESTEPS, rnn.FEATURES)
    if spelling == "batch_input_shape":
        # The article's spelling: on the first layer of a Sequential model.
        return keras.Sequential([rnn.rnn_layer(keras, cell, batch_input_shape=(batch_size, *shape))])
    if spelling == "Input(batch_shape)":
        inputs = keras.Input(batch_shape=(batch_size, *shape))
    else:
        inputs = keras.Input(shape=shape, batch_size=batch_size)
    return keras.Model(inputs, rnn.rnn_layer(keras, cell)(inputs))


SPELLING_SNIPPETS = {
    "batch_input_shape": "model = keras.Sequential([keras.layers.{cell}({units}, stateful=True, "
                         "batch_input_shape=(3, {timesteps}, {features}))])",
    "Input(batch_shape)": "inputs = keras.Input(batch_shape=(3, {timesteps}, {features}))",
    "Input(batch_size)": "inputs = keras.Input(shape=({timesteps}, {features}), batch_size=3)",
}


@pytest.mark.claim("setup.batch-size-required")
@pytest.mark.parametrize("spelling", list(SPELLING_SNIPPETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_batch_size_spelling(keras, impl, evidence, rng, cell, spelling):
    """Each documented way of fixing the batch size builds a stateful model that carries state."""
    batch_size = 3
    model = model_with_spelling(keras, cell, spelling, batch_size)
    chunks = rnn.batches(rng, batch_size, 2)
    for chunk in chunks:
        model(chunk)
    layer = rnn.rnn_layers(model)[0]
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks))
    observed = rnn.layer_states(impl, layer)
    difference = max(max_difference(a, b) for a, b in zip(observed, expected))
    assert difference <= ATOL, evidence.report(
        "setup.batch-size-required", f"built with {spelling}, the state after 2 batches is off by {difference:.3g}",
        "a working stateful model",
        SPELLING_SNIPPETS[spelling].format(cell=cell, units=rnn.UNITS, timesteps=rnn.TIMESTEPS, features=rnn.FEATURES),
    )


# (how the wrong batch is fed, number of samples) for a model whose batch size is 3.
WRONG_BATCHES = {
    "call": 2,
    "predict": 2,
    "evaluate": 2,
    "fit": 2,
    "predict-remainder": 7,
    "evaluate-remainder": 7,
    "fit-remainder": 7,
}


def names_batch_mismatch(message: str, fixed: int, given: int) -> bool:
    """Clear enough: the error speaks of the batch, or shows the expected and the given shape."""
    shows_shapes = re.search(rf"\({fixed},", message) and re.search(rf"\({given},", message)
    return "batch" in message.lower() or bool(shows_shapes)


def feed_wrong_batch(model, how, x):
    y = np.zeros(x.shape[:2] + (rnn.UNITS,), "float32")
    entry = how.removesuffix("-remainder")
    batch_size = 3 if how.endswith("remainder") else len(x)
    if entry == "call":
        return model(x)
    if entry == "predict":
        return model.predict(x, batch_size=batch_size, verbose=0)
    if entry == "evaluate":
        return model.evaluate(x, y, batch_size=batch_size, verbose=0)
    return model.fit(x, y, batch_size=batch_size, shuffle=False, verbose=0)


@pytest.mark.claim("setup.equal-batches")
@pytest.mark.parametrize("how", list(WRONG_BATCHES))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_equal_batches(keras, impl, evidence, rng, cell, how):
    """A batch of another size than the fixed one is refused with an error naming the batch size."""
    model = rnn.stateful_model(keras, cell, 3)
    x = rng.standard_normal((WRONG_BATCHES[how], rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    entry = how.removesuffix("-remainder")
    code = rnn.build_snippet(
        cell, 3, 1, f"x = x[:{WRONG_BATCHES[how]}]  # the model's batch size is 3",
        {"call": "print(model(x))",
         "predict": f"print(model.predict(x, batch_size={3 if 'remainder' in how else 2}, verbose=0))",
         "evaluate": f"print(model.evaluate(x, np.zeros((len(x), 5, 4)), batch_size={3 if 'remainder' in how else 2}))",
         "fit": f"print(model.fit(x, np.zeros((len(x), 5, 4)), batch_size={3 if 'remainder' in how else 2}, shuffle=False).history)",
         }[entry],
    )
    try:
        answer = feed_wrong_batch(model, how, x)
    except Exception as error:  # the refusal is the documented behaviour
        clear = names_batch_mismatch(str(error), 3, WRONG_BATCHES[how])
        assert clear, evidence.report(
            "setup.equal-batches", f"refused, but the error does not mention the batch size: "
            f"{type(error).__name__}: {str(error).strip()[:300]}",
            "an error that says the batch size does not match", code,
        )
        return
    shown = describe(impl.to_numpy(answer)) if entry in ("call", "predict") else repr(answer)[:120]
    raise AssertionError(evidence.report(
        "setup.equal-batches", f"{WRONG_BATCHES[how]} samples through {entry} on a batch-3 stateful "
        f"model were accepted silently: {shown}", "an error: the batch size is fixed at 3", code,
    ))


@pytest.mark.claim("setup.shuffle-false")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_shuffle_false_keeps_order(models, impl, evidence, rng, cell):
    """fit(shuffle=False) leaves the state that feeding the batches in order leaves."""
    batch_size, batches = 3, 6
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, batches)
    model.fit(rnn.as_samples(chunks), rnn.targets_like(model, batches), batch_size=batch_size,
              shuffle=False, verbose=0)
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks))
    observed = rnn.layer_states(impl, layer)
    difference = max(max_difference(a, b) for a, b in zip(observed, expected))
    assert difference <= ATOL, evidence.report(
        "setup.shuffle-false", f"the state after fit(shuffle=False) is off by {difference:.3g} from "
        f"feeding the batches in order ({describe(observed[0])})",
        f"the in-order state ({describe(expected[0])})",
        rnn.build_snippet(cell, batch_size, batches, rnn.FEED_SNIPPETS["fit"],
                          "print(layer.states)  # equal to feeding np.split(x, 6) in order"),
    )


def weights_after_fit(keras, rng, **fit_options):
    """Weights of a stateless model after one epoch of SGD on batches of 2, from fixed weights."""
    keras.utils.set_random_seed(7)
    inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
    model = keras.Model(inputs, rnn.rnn_layer(keras, "SimpleRNN", stateful=False)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    data = np.random.default_rng(3)
    x = data.standard_normal((16, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    y = data.standard_normal((16, rnn.TIMESTEPS, rnn.UNITS)).astype("float32")
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, **fit_options)
    return model.get_weights()


SHUFFLE_CASES = [
    pytest.param({"shuffle": True}, id="shuffle=True", marks=pytest.mark.claim("setup.shuffle-false")),
    pytest.param({}, id="default", marks=pytest.mark.claim("setup.shuffle-default")),
]


@pytest.mark.parametrize("fit_options", SHUFFLE_CASES)
def test_fit_reorders(keras, impl, evidence, rng, fit_options):
    """fit(shuffle=True), and fit() by default, feed the samples in another order than given."""
    in_order = weights_after_fit(keras, rng, shuffle=False)
    reordered = weights_after_fit(keras, rng, **fit_options)
    difference = max(max_difference(a, b) for a, b in zip(reordered, in_order))
    call = "fit(shuffle=True)" if fit_options else "fit()"
    assert difference > 0, evidence.report(
        "setup.shuffle-default" if not fit_options else "setup.shuffle-false",
        f"{call} trained exactly as fit(shuffle=False): the samples were not reordered",
        "SGD on shuffled batches ends at other weights than on the batches in order",
        "keras.utils.set_random_seed(7)\n"
        f"# train the same SimpleRNN model twice from the same weights, SGD(0.5), batch 2, 16 samples:\n"
        f"# once with fit(shuffle=False), once with {call}; compare model.get_weights()",
    )
