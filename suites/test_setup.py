"""Claims ``setup.*``: what a stateful layer needs (fixed batch size, equal batches, shuffle=False)."""

import re

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.check import describe, max_difference

# The same model without a batch size, in a standalone script: any call that builds or runs it
# must be refused with an error that mentions the batch size; an accepted call is the bug.
BATCH_SIZE_REQUIRED_REPRO = """
try:
    inputs = keras.Input(shape=(TIMESTEPS, FEATURES))  # no batch size
    model = keras.Model(inputs, keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)(inputs))
    outputs = model.predict(batches(np.random.default_rng(0), 3, 1)[0], verbose=0)
except Exception as error:  # the documented behaviour: the refusal that asks for a batch size
    message = re.sub({ansi!r}, "", str(error))
    print(f"refused: {{type(error).__name__}}: {{message.strip()[:300]}}")
    expect(isinstance(error, {kind}) and re.search({pattern!r}, message, re.DOTALL) is not None,
           "the error is this release's refusal of a stateful layer without a batch size")
else:
    expect(False, f"a stateful {cell} without a batch size was accepted: predict returned "
                  f"shape {{to_numpy(outputs).shape}}, not an error asking for a fixed batch size")
"""

# The refusal each release raises when a stateful layer is built without a fixed batch size, by
# Keras major version (measured on keras 3.15.1 on torch and tf-keras 2.21.0). Any other
# exception is not the refusal the claim is about.
BATCH_SIZE_REFUSALS = {
    # keras/src/layers/rnn/rnn.py:281 at v3.15.1 (RNN.build), every backend.
    "3": (ValueError, r"When using `stateful=True` in a RNN, the batch size must be static\. "
                      r"Found dynamic batch size"),
    # tf_keras/src/layers/rnn/base_rnn.py:877 at v2.21.0 (RNN.get_initial_state's caller).
    "2": (ValueError, r"If a RNN is stateful, it needs to know its batch size\."),
}


@pytest.mark.claim("setup.batch-size-required")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_batch_size_required(keras, impl, check, rng, cell):
    """Without a fixed batch size a stateful layer is refused with an error that mentions it."""
    kind, pattern = BATCH_SIZE_REFUSALS.get(impl.versions()["keras"].split(".")[0],
                                            (Exception, "(no known refusal)"))
    check.reproduce(BATCH_SIZE_REQUIRED_REPRO.format(cell=cell, ansi=ANSI_STYLE,
                                                     kind=kind.__name__, pattern=pattern))
    try:
        inputs = keras.Input(shape=(rnn.TIMESTEPS, rnn.FEATURES))
        model = keras.Model(inputs, rnn.rnn_layer(keras, cell)(inputs))
        outputs = model.predict(rnn.batches(rng, 3, 1)[0], verbose=0)
    except Exception as error:  # the refusal is the documented behaviour
        found = re.search(pattern, re.sub(ANSI_STYLE, "", str(error)), re.DOTALL)
        if not found or not isinstance(error, kind):
            raise  # another error: the case is ``error``, not the refusal the claim is about
        check.observe(f"refused: {type(error).__name__}: {found.group(0)}")
        return
    check.fail(f"accepted without a batch size, returned {describe(impl.to_numpy(outputs))}",
               "an error asking for a fixed batch size")


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


# What a user types to build the model each way (the lines model_with_spelling runs).
SPELLING_SNIPPETS = {
    "batch_input_shape": "model = keras.Sequential([keras.layers.{cell}(UNITS, stateful=True, return_sequences=True, "
                         "batch_input_shape=({batch_size}, TIMESTEPS, FEATURES))])",
    "Input(batch_shape)": "inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))\n"
                          "model = keras.Model(inputs, keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)(inputs))",
    "Input(batch_size)": "inputs = keras.Input(shape=(TIMESTEPS, FEATURES), batch_size={batch_size})\n"
                         "model = keras.Model(inputs, keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)(inputs))",
}

# The model built one way, fed 2 batches by direct calls: its state against the NumPy cells
# run on the batches concatenated in time.
SPELLING_REPRO = """
{build}
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
for chunk in chunks:
    model(chunk)
_, expected = run_sequence({cell!r}, layer.get_weights(), as_streams(chunks))
states = layer_states(impl, layer)
precondition(any(np.any(state != 0) for state in states), "the state is non-zero after {batches} batches")
expect(len(states) == len(expected) > 0, f"layer.states holds {{len(states)}} arrays, the cell {{len(expected)}}")
for k, (state, value) in enumerate(zip(states, expected)):
    expect_close(f"state[{{k}}] after {batches} batches, built with {spelling}", state, value)
"""


@pytest.mark.claim("setup.batch-size-required")
@pytest.mark.parametrize("spelling", list(SPELLING_SNIPPETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_batch_size_spelling(keras, impl, check, rng, cell, spelling):
    """Each documented way of fixing the batch size builds a stateful model that carries state."""
    batch_size, batches = 3, 2
    check.reproduce(SPELLING_REPRO.format(
        build=SPELLING_SNIPPETS[spelling].format(cell=cell, batch_size=batch_size),
        cell=cell, batch_size=batch_size, batches=batches, spelling=spelling))
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
# stateful layer, by Keras major version: the exception type and its message, with the fixed and
# the given batch size. Any other exception is not the refusal the claim is about.
BATCH_REFUSALS = {
    # Keras 3.12 and later, every backend (measured on TensorFlow, JAX and torch, Keras 3.15.1):
    # keras/src/layers/rnn/rnn.py:389-402 at v3.15.1 (added by keras-team/keras#21742). Before
    # 3.12 no check existed: the wrong batch failed inside the cell with the backend's shape
    # error, which is not this refusal.
    "3": (ValueError, r"If an RNN is stateful, the batch size of the input sequences must be "
                      r"the same as the batch size of the initial state\.\s*"
                      r"- Expected batch size: {fixed}\b.*?- Received batch size: {given}\b"),
    # tf-keras: a stateful RNN keeps the batch size in its InputSpec
    # (tf_keras/layers/rnn/base_rnn.py:413 at v2.21.0), which tf_keras/engine/input_spec.py:306-311
    # enforces (predict, evaluate and fit raise it from their traced function, quoting it).
    "2": (ValueError, r'Input 0 of layer "[^"]+" is incompatible with the layer: '
                      r"expected shape=\({fixed}, None, \d+\), found shape=\({given}, \d+, \d+\)"),
}
ANSI_STYLE = r"\x1b\[[0-9;]*m"  # Keras 3 bolds its messages for terminals


def refusal_of(impl, fixed: int, given: int):
    """(exception type, message pattern) of this release's batch-size refusal, or None."""
    kind, pattern = BATCH_REFUSALS.get(impl.versions()["keras"].split(".")[0], (None, None))
    return (kind, pattern.format(fixed=fixed, given=given)) if kind else None


def refused(impl, check, error: BaseException, fixed: int, given: int) -> None:
    """The case holds on the release's own refusal, recorded as what the case saw; any other
    exception is raised again, so the case is ``error``: not the refusal the claim is about."""
    refusal = refusal_of(impl, fixed, given)
    found = refusal and re.search(refusal[1], re.sub(ANSI_STYLE, "", str(error)), re.DOTALL)
    if not found or not isinstance(error, refusal[0]):
        raise error
    # Without the layer's name (tf-keras numbers it by how many were built before: run order).
    words = re.sub(r'layer "[^"]+"', "layer (its name)", " ".join(found.group(0).split()))
    check.observe(f"refused: {type(error).__name__}: {words}")


def given_batch_size(how: str) -> int:
    """The size of the wrong batch: the last partial one of a remainder case."""
    return WRONG_BATCHES[how] % 3 if how.endswith("remainder") else WRONG_BATCHES[how]


# The lines a script runs on a refusal: it is this release's batch-size refusal, or the bug.
REFUSAL_CHECK = """
    message = re.sub({ansi!r}, "", str(error))
    print(f"refused: {{type(error).__name__}}: {{message.strip()[:300]}}")
    expect(isinstance(error, {kind}) and re.search({pattern!r}, message, re.DOTALL) is not None,
           "the error is this release's batch-size refusal ({kind}: {fixed} expected, {given} given)")
"""


def refusal_lines(impl, fixed: int, given: int) -> str:
    kind, pattern = refusal_of(impl, fixed, given) or (Exception, "(no known refusal)")
    return REFUSAL_CHECK.format(ansi=ANSI_STYLE, kind=kind.__name__, pattern=pattern,
                                fixed=fixed, given=given).strip("\n")


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


# The lines feed_wrong_batch runs, and what the script prints of an answer that was accepted.
WRONG_BATCH_CALLS = {
    "call": ("model(x)", 'f"outputs of shape {to_numpy(answer).shape}"'),
    "predict": ("model.predict(x, batch_size={batch_size}, verbose=0)",
                'f"outputs of shape {to_numpy(answer).shape}"'),
    "evaluate": ("model.evaluate(x, y, batch_size={batch_size}, verbose=0)", 'f"loss {answer!r}"'),
    "fit": ("model.fit(x, y, batch_size={batch_size}, shuffle=False, verbose=0)",
            'f"history {answer.history!r}"'),
}

# A batch of another size than the model's, in a standalone script: the call must be refused with
# the release's batch-size refusal; an accepted call, or another error, is the bug.
EQUAL_BATCHES_REPRO = """
import re
model = stateful_model(keras, {cell!r}, 3)  # the batch size is fixed at 3
x = np.random.default_rng(0).standard_normal(({samples}, TIMESTEPS, FEATURES)).astype("float32")
y = np.zeros(x.shape[:2] + (UNITS,), "float32")
try:
    answer = {call}
except Exception as error:  # the documented behaviour: the batch-size refusal
{refusal}
else:
    shown = {shown}
    expect(False, f"{samples} samples through {entry} on a batch-3 stateful model were accepted "
                  f"silently ({{shown}}), not refused")
"""


@pytest.mark.claim("setup.equal-batches")
@pytest.mark.parametrize("how", list(WRONG_BATCHES))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_equal_batches(keras, impl, check, rng, cell, how):
    """A batch of another size than the fixed one is refused with the release's batch-size
    refusal (it names both sizes); another error is not that refusal."""
    entry = how.removesuffix("-remainder")
    call, show_answer = WRONG_BATCH_CALLS[entry]
    check.reproduce(EQUAL_BATCHES_REPRO.format(
        cell=cell, samples=WRONG_BATCHES[how], entry=entry, shown=show_answer,
        call=call.format(batch_size=3 if how.endswith("remainder") else WRONG_BATCHES[how]),
        refusal=refusal_lines(impl, 3, given_batch_size(how))))
    model = rnn.stateful_model(keras, cell, 3)
    x = rng.standard_normal((WRONG_BATCHES[how], rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    try:
        answer = feed_wrong_batch(model, how, x)
    except Exception as error:  # the documented behaviour, if it is the batch-size refusal
        refused(impl, check, error, 3, given_batch_size(how))
        return
    if entry in ("call", "predict"):
        shown = describe(impl.to_numpy(answer))
    else:  # fit's History by its losses, as the script shows it, not by its address in memory
        shown = repr(getattr(answer, "history", answer))[:120]
    check.fail(f"{WRONG_BATCHES[how]} samples through {entry} on a batch-3 stateful "
               f"model were accepted silently: {shown}", "an error: the batch size is fixed at 3")


# fit(shuffle=False) in a standalone script: the state it leaves against the NumPy cells run on
# the batches in order, concatenated in time.
SHUFFLE_FALSE_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
model.fit(as_samples(chunks), targets_like(model, {batches}), batch_size={batch_size}, shuffle=False, verbose=0)
_, expected = run_sequence({cell!r}, layer.get_weights(), as_streams(chunks))
states = layer_states(impl, layer)
precondition(any(np.any(state != 0) for state in states), "the state is non-zero after fit")
expect(len(states) == len(expected) > 0, f"layer.states holds {{len(states)}} arrays, the cell {{len(expected)}}")
for k, (state, value) in enumerate(zip(states, expected)):
    expect_close(f"state[{{k}}] after fit(shuffle=False), against feeding the {batches} batches in order", state, value)
"""


@pytest.mark.claim("setup.shuffle-false")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_shuffle_false_keeps_order(models, impl, check, rng, cell):
    """fit(shuffle=False) leaves the state that feeding the batches in order leaves."""
    batch_size, batches = 3, 6
    check.reproduce(SHUFFLE_FALSE_REPRO.format(cell=cell, batch_size=batch_size, batches=batches))
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

# The same stateless model trained twice from the same weights in a standalone script, once with
# fit(shuffle=False) and once with the call under test: reordered samples end at other weights.
FIT_REORDERS_REPRO = """
def weights_after_fit(**fit_options):
    keras.utils.set_random_seed(7)  # the same weights (and shuffling seed) both times
    inputs = keras.Input(shape=(TIMESTEPS, FEATURES))
    model = keras.Model(inputs, keras.layers.SimpleRNN(UNITS, return_sequences=True)(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.5), loss="mse")
    data = np.random.default_rng(3)
    x = data.standard_normal((16, TIMESTEPS, FEATURES)).astype("float32")
    y = data.standard_normal((16, TIMESTEPS, UNITS)).astype("float32")
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, **fit_options)
    return [np.asarray(w, dtype="float64") for w in model.get_weights()]

in_order = weights_after_fit(shuffle=False)
reordered = weights_after_fit({options})
precondition(len(reordered) == len(in_order) > 0, f"{{len(reordered)}} and {{len(in_order)}} weight arrays, the same number")
precondition(all(a.shape == b.shape for a, b in zip(reordered, in_order)), "weights of the same shapes")
difference = max((float(np.abs(a - b).max(initial=0.0)) for a, b in zip(reordered, in_order)), default=0.0)
print(f"largest weight difference between {call} and fit(shuffle=False): {{difference:.3g}}")
expect(difference > 0, "{call} ends at other weights than fit(shuffle=False) (the samples were reordered)")
"""


@pytest.mark.parametrize("fit_options", SHUFFLE_CASES)
def test_fit_reorders(keras, impl, check, rng, fit_options):
    """fit(shuffle=True), and fit() by default, feed the samples in another order than given."""
    call = "fit(shuffle=True)" if fit_options else "fit()"
    check.reproduce(FIT_REORDERS_REPRO.format(
        call=call, options=", ".join(f"{name}={value!r}" for name, value in fit_options.items())))
    in_order = weights_after_fit(keras, rng, shuffle=False)
    reordered = weights_after_fit(keras, rng, **fit_options)
    check.same_count("weights after the two fits", reordered, in_order)
    shapes = [(np.shape(a), np.shape(b)) for a, b in zip(reordered, in_order)]
    check.that(all(a == b for a, b in shapes),
               f"weights of other shapes after {call} than after fit(shuffle=False): {shapes}",
               "weights of the same shapes after both fits")
    difference = max(max_difference(a, b) for a, b in zip(reordered, in_order))
    check.that(difference > 0,
               f"{call} trained exactly as fit(shuffle=False): the samples were not reordered",
               "SGD on shuffled batches ends at other weights than on the batches in order")
