"""Checks of ``setup.*``: what a stateful layer needs (fixed batch size, equal batches, shuffle=False).

A refusal is recognised by the release's own exception and message (``BATCH_SIZE_REFUSALS``,
``BATCH_REFUSALS``, each citing the Keras source that raises it), chosen by ``keras_version``:
the Keras version the implementation reports, passed in by the test module so that a script
carries the version it was written for.
"""

import builtins
import re

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import describe, max_difference

ANSI_STYLE = r"\x1b\[[0-9;]*m"  # Keras 3 bolds its messages for terminals

# The refusal each release raises when a stateful layer is built without a fixed batch size, by
# Keras major version (measured on keras 3.15.1 on torch and tf-keras 2.21.0): the name of the
# built-in exception and its message. Any other exception is not the refusal the claim is about.
BATCH_SIZE_REFUSALS = {
    # keras/src/layers/rnn/rnn.py:281 at v3.15.1 (RNN.build), every backend.
    "3": ("ValueError", r"When using `stateful=True` in a RNN, the batch size must be static\. "
                        r"Found dynamic batch size"),
    # tf_keras/src/layers/rnn/base_rnn.py:877 at v2.21.0 (RNN.get_initial_state's caller).
    "2": ("ValueError", r"If a RNN is stateful, it needs to know its batch size\."),
}


def batch_size_required(keras, impl, check, rng, cell, keras_version):
    """Without a fixed batch size a stateful layer is refused with an error that mentions it."""
    kind, pattern = BATCH_SIZE_REFUSALS.get(keras_version.split(".")[0],
                                            ("Exception", "(no known refusal)"))
    try:
        inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
        model = keras.Model(inputs, rnn.rnn_layer(keras, cell)(inputs))
        outputs = model.predict(rnn.batches(rng, 3, 1)[0], verbose=0)
    except Exception as error:  # the refusal is the documented behaviour
        found = re.search(pattern, re.sub(ANSI_STYLE, "", str(error)), re.DOTALL)
        if not found or not isinstance(error, getattr(builtins, kind)):
            raise  # another error: the case is ``error``, not the refusal the claim is about
        check.observe(f"refused: {type(error).__name__}: {found.group(0)}")
        return
    check.fail(f"accepted without a batch size, returned {describe(impl.to_numpy(outputs))}",
               "an error asking for a fixed batch size")


# The documented ways of fixing the batch size, as model_with_spelling builds them.
SPELLINGS = ("batch_input_shape", "Input(batch_shape)", "Input(batch_size)")


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


def batch_size_spelling(keras, impl, check, rng, cell, spelling):
    """Each documented way of fixing the batch size builds a stateful model that carries state."""
    batch_size, batches = 3, 2
    model = model_with_spelling(keras, cell, spelling, batch_size)
    chunks = rnn.batches(rng, batch_size, batches)
    for chunk in chunks:
        model(chunk)
    layer = rnn.rnn_layers(model)[0]
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks))
    observed = check.layer_states(layer, f"the layer built with {spelling}")
    check.precondition(any(np.any(state != 0) for state in observed),
                       f"a non-zero state after {batches} batches through a model built with {spelling}",
                       f"layer.states: {[describe(state) for state in observed]}",
                       failing="state.is-memory")
    check.all_close(f"built with {spelling}, the state after {batches} batches", observed, expected,
                    expected_what="a working stateful model (the NumPy reference on the batches "
                                  "concatenated in time)")


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


# The refusal each release raises when a batch of another size than the fixed one reaches a
# stateful layer, by Keras major version: the name of the built-in exception and its message,
# with the fixed and the given batch size. Any other exception is not the refusal the claim is
# about.
BATCH_REFUSALS = {
    # Keras 3.12 and later, every backend (measured on TensorFlow, JAX and torch, Keras 3.15.1):
    # keras/src/layers/rnn/rnn.py:389-402 at v3.15.1 (added by keras-team/keras#21742). Before
    # 3.12 no check existed: the wrong batch failed inside the cell with the backend's shape
    # error, which is not this refusal.
    "3": ("ValueError", r"If an RNN is stateful, the batch size of the input sequences must be "
                        r"the same as the batch size of the initial state\.\s*"
                        r"- Expected batch size: {fixed}\b.*?- Received batch size: {given}\b"),
    # tf-keras: a stateful RNN keeps the batch size in its InputSpec
    # (tf_keras/layers/rnn/base_rnn.py:413 at v2.21.0), which tf_keras/engine/input_spec.py:306-311
    # enforces (predict, evaluate and fit raise it from their traced function, quoting it).
    "2": ("ValueError", r'Input 0 of layer "[^"]+" is incompatible with the layer: '
                        r"expected shape=\({fixed}, None, \d+\), found shape=\({given}, \d+, \d+\)"),
}


def refusal_of(keras_version: str, fixed: int, given: int):
    """(exception type, message pattern) of this release's batch-size refusal, or None."""
    kind, pattern = BATCH_REFUSALS.get(keras_version.split(".")[0], (None, None))
    return (getattr(builtins, kind), pattern.format(fixed=fixed, given=given)) if kind else None


def refused(check, error: BaseException, keras_version: str, fixed: int, given: int) -> None:
    """The case holds on the release's own refusal, recorded as what the case saw; any other
    exception is raised again, so the case is ``error``: not the refusal the claim is about."""
    refusal = refusal_of(keras_version, fixed, given)
    found = refusal and re.search(refusal[1], re.sub(ANSI_STYLE, "", str(error)), re.DOTALL)
    if not found or not isinstance(error, refusal[0]):
        raise error
    # Without the layer's name (tf-keras numbers it by how many were built before: run order).
    words = re.sub(r'layer "[^"]+"', "layer (its name)", " ".join(found.group(0).split()))
    check.observe(f"refused: {type(error).__name__}: {words}")


def given_batch_size(how: str) -> int:
    """The size of the wrong batch: the last partial one of a remainder case."""
    return WRONG_BATCHES[how] % 3 if how.endswith("remainder") else WRONG_BATCHES[how]


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


def equal_batches(keras, impl, check, rng, cell, how, keras_version):
    """A batch of another size than the fixed one is refused with the release's batch-size
    refusal (it names both sizes); another error is not that refusal."""
    entry = how.removesuffix("-remainder")
    model = rnn.stateful_model(keras, cell, 3)
    x = rng.standard_normal((WRONG_BATCHES[how], rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    try:
        answer = feed_wrong_batch(model, how, x)
    except Exception as error:  # the documented behaviour, if it is the batch-size refusal
        refused(check, error, keras_version, 3, given_batch_size(how))
        return
    if entry in ("call", "predict"):
        shown = describe(impl.to_numpy(answer))
    else:  # fit's History by its losses, not by its address in memory
        shown = repr(getattr(answer, "history", answer))[:120]
    check.fail(f"{WRONG_BATCHES[how]} samples through {entry} on a batch-3 stateful "
               f"model were accepted silently: {shown}", "an error: the batch size is fixed at 3")


def shuffle_false_keeps_order(models, impl, check, rng, cell):
    """fit(shuffle=False) leaves the state that feeding the batches in order leaves."""
    batch_size, batches = 3, 6
    model = models.model(cell, batch_size)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, batch_size, batches)
    model.fit(rnn.as_samples(chunks), rnn.targets_like(model, batches), batch_size=batch_size,
              shuffle=False, verbose=0)
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks))
    observed = check.layer_states(layer)
    check.precondition(any(np.any(state != 0) for state in observed),
                       "a non-zero state after fit(shuffle=False)",
                       f"layer.states: {[describe(state) for state in observed]}",
                       failing="carry.index-i")
    check.all_close("the state after fit(shuffle=False)", observed, expected,
                    expected_what=f"the in-order state (feeding the {batches} batches in order)")


def weights_after_fit(keras, **fit_options):
    """Weights of a stateless model after one epoch of SGD on batches of 2, from fixed weights."""
    keras.utils.set_random_seed(7)  # the same weights (and shuffling seed) every time
    inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
    model = keras.Model(inputs, rnn.rnn_layer(keras, "SimpleRNN", stateful=False)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    data = np.random.default_rng(3)
    x = data.standard_normal((16, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    y = data.standard_normal((16, rnn.TIMESTEPS, rnn.UNITS)).astype("float32")
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, **fit_options)
    return model.get_weights()


def fit_reorders(keras, check, fit_options):
    """fit(shuffle=True), and fit() by default, feed the samples in another order than given."""
    call = "fit(shuffle=True)" if fit_options else "fit()"
    in_order = weights_after_fit(keras, shuffle=False)
    reordered = weights_after_fit(keras, **fit_options)
    check.same_count("weights after the two fits", reordered, in_order)
    shapes = [(np.shape(a), np.shape(b)) for a, b in zip(reordered, in_order)]
    check.that(all(a == b for a, b in shapes),
               f"weights of other shapes after {call} than after fit(shuffle=False): {shapes}",
               "weights of the same shapes after both fits")
    difference = max(max_difference(a, b) for a, b in zip(reordered, in_order))
    check.that(difference > 0,
               f"{call} trained exactly as fit(shuffle=False): the samples were not reordered",
               "SGD on shuffled batches ends at other weights than on the batches in order")
