"""Workarounds as checks (issue 12): for a claim that does not hold on some built-in
implementation, the known workaround is a check of its own, ``workaround.<claim>.<name>``, run on
every implementation. A workaround check holds only when the workaround really gives what the
original claim promises, against the NumPy reference cells or the zero state, with the same
preconditions as the original (the state non-zero before a reset, the carried state changing the
outputs). Its catalogue entry (``suites/claims.py``) names the claim it works around.
"""

import contextlib
import types
import zlib

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from fixtures.reference_cells import run_sequence, state_size
from fixtures.rnn import FEATURES, TIMESTEPS, UNITS, rnn_layer, state_variables
from suites import test_convlstm as convlstm_checks
from suites import test_dtype as dtype_checks
from suites import test_paths as path_checks
from suites.check import ATOL, describe, max_difference
from suites.test_carry import LONG_RANGE_REPRO, outputs_after_perturbing
from suites.test_carry import STACKED_REPRO as CARRY_STACKED_REPRO
from suites.test_inputs import DISTINCT, LOSS_ATOL, run_batches
from suites.test_initial_state import (CUSTOM_INITIAL_REPRO, custom_initial_cell,
                                       custom_initial_model, initial_row, start_of, state_values)
from suites.test_paths import PathModels
from suites.test_state import one_sgd_step

BATCH_SIZE = 3
BATCHES = 3


# -- the workarounds themselves: plain functions a user can copy (the scripts copy them) --------
def stateful_layers(layer):
    """Every stateful recurrent layer inside ``layer``: nested models and Sequential, both
    halves of Bidirectional, the layer a wrapper holds, ``RNN`` over stacked cells."""
    if hasattr(layer, "forward_layer") and hasattr(layer, "backward_layer"):
        return stateful_layers(layer.forward_layer) + stateful_layers(layer.backward_layer)
    found = []
    for inner in getattr(layer, "layers", None) or []:  # a Model or a Sequential
        found += stateful_layers(inner)
    wrapped = getattr(layer, "layer", None)  # TimeDistributed and other wrappers
    if wrapped is not None and wrapped is not layer and not found:
        found += stateful_layers(wrapped)
    if getattr(layer, "stateful", False) and hasattr(layer, "cell"):
        found.append(layer)
    return found


def zero_states(layer):
    """Zeros assigned to every state variable of ``layer`` (what layer.reset_states() does, but
    also for RNN over stacked cells, whose reset_states() raises)."""
    for variable in state_variables(layer):
        variable.assign(np.zeros(tuple(variable.shape), dtype="float32"))


def reset_all_states(model):
    """What model.reset_states() did: zeros assigned to every state of every stateful layer."""
    for layer in stateful_layers(model):
        zero_states(layer)


def assign_states(layer, values):
    """What layer.reset_states(states=values) did: the values assigned to layer.states."""
    variables = state_variables(layer)
    if len(variables) != len(values):
        raise ValueError(f"{len(variables)} state variables, {len(values)} values")
    for variable, value in zip(variables, values):
        variable.assign(np.asarray(value, dtype="float32"))


def to_batches(x, batch_size, how):
    """Trim (drop the partial last batch) or pad (zero rows up to a full batch) so that every
    batch holds ``batch_size`` samples; returns the data and how many samples are real."""
    whole = len(x) - len(x) % batch_size
    if how == "trim":
        return x[:whole], whole
    missing = (-len(x)) % batch_size
    return np.concatenate([x, np.zeros((missing,) + x.shape[1:], x.dtype)]), len(x)


def explicit_state_models(keras, cell, batch_size, learning_rate):
    """The state as explicit inputs and outputs: a stateless layer with ``return_state=True``
    and its initial state as inputs. ``step`` maps (x, state) to the state after x, ``train``
    (x, state) to the outputs, sharing the same layer; the caller carries the state."""
    inputs = keras.Input(batch_shape=(batch_size, TIMESTEPS, FEATURES))
    state_inputs = [keras.Input(batch_shape=(batch_size, UNITS))
                    for _ in range(state_size(cell))]
    layer = rnn_layer(keras, cell, stateful=False, return_state=True)
    sequence, *final = layer(inputs, initial_state=state_inputs)
    step = keras.Model([inputs, *state_inputs], final)
    train = keras.Model([inputs, *state_inputs], sequence)
    train.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    return layer, step, train


def train_carrying_state(impl, step, train, chunks, targets, state):
    """One training step per batch, the state carried by hand: the state after each batch is
    computed before that batch's update (as a stateful layer's forward pass does), then the
    weights are updated from the state the batch started with."""
    states, losses = [], []
    for chunk, target in zip(chunks, targets):
        following = step.predict_on_batch([chunk, *state])
        following = [impl.to_numpy(s) for s in (following if isinstance(following, (list, tuple))
                                                else [following])]
        losses.append(float(np.asarray(train.train_on_batch([chunk, *state], target)).reshape(-1)[0]))
        states.append(following)
        state = following
    return states, losses


def train_watched(impl, layer, step, train, chunks, targets, state):
    """train_carrying_state batch by batch, each step watched: before it, the same step from the
    zero state, then undone (plain SGD keeps no slots, so set_weights undoes it), so that the
    two updates can be told apart. Returns the state after the last batch and, per step, the
    weights it started from, the state fed to it, its loss, its update and the update of the
    same step from the zero state."""
    watched = []
    for chunk, target in zip(chunks, targets):
        before = [np.array(w, copy=True) for w in layer.get_weights()]
        train.train_on_batch([chunk, *[np.zeros_like(s) for s in state]], target)
        from_zeros = [np.asarray(w, "float64") - w0 for w, w0 in zip(layer.get_weights(), before)]
        layer.set_weights(before)
        fed = state
        (state,), (loss,) = train_carrying_state(impl, step, train, [chunk], [target], state)
        update = [np.asarray(w, "float64") - w0 for w, w0 in zip(layer.get_weights(), before)]
        watched.append(types.SimpleNamespace(weights=before, fed=fed, loss=loss, update=update,
                                             from_zeros=from_zeros))
    return state, watched


def numpy_carry(cell, chunks, watched):
    """The NumPy cells carried from zeros over ``chunks``, each batch with the weights its
    training step started from: the state before each batch, and the state after the last."""
    state = [np.zeros((len(chunks[0]), UNITS)) for _ in range(state_size(cell))]
    before = []
    for chunk, trained in zip(chunks, watched):
        before.append(state)
        _, state = run_sequence(cell, trained.weights, chunk, state)
    return before, state


def reset_to_initial_states(model, batch_size):
    """In place of reset_states() for cells with their own get_initial_state (a reset assigns
    zeros): the state each cell starts from, assigned to every stateful layer of ``model`` (a
    model or one layer)."""
    for layer in stateful_layers(model):
        try:  # Keras 2: get_initial_state(inputs=None, batch_size=None, dtype=None)
            initial = layer.cell.get_initial_state(inputs=None, batch_size=batch_size,
                                                   dtype="float32")
        except TypeError:  # Keras 3: get_initial_state(batch_size)
            initial = layer.cell.get_initial_state(batch_size=batch_size)
        flat = list(initial) if isinstance(initial, (list, tuple)) else [initial]
        assign_states(layer, [np.asarray(value) for value in flat])


WORKAROUND_HELPERS = (stateful_layers, zero_states, reset_all_states, assign_states)


@pytest.fixture(scope="module")
def built_models(impl, keras, models):
    """Models with options the shared pool does not build, once per module, handed out with their
    first weights and zero state (``models`` is requested so that the suite's autouse seeding
    leaves TensorFlow's caches alone)."""
    return PathModels(impl, keras)


# -- reset.model and reset.fresh: walk the model ------------------------------------------------
def nested_model(keras):
    """A nested model (LSTM), a Bidirectional GRU and an RNN over two stacked SimpleRNN cells,
    all stateful: one model holds every cell and every place a stateful layer hides.

    unroll=True: the walk is about finding the layers, and eager calls of five scanned RNNs
    cost 2-3 s each on JAX (each eager lax.scan is traced again); unrolled ones are traced once.
    """
    layers = keras.layers
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    inner_inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    inner = keras.Model(inner_inputs, rnn.rnn_layer(keras, "LSTM", unroll=True)(inner_inputs),
                        name="inner")
    bidirectional = layers.Bidirectional(rnn.rnn_layer(keras, "GRU", unroll=True))
    outputs = bidirectional(inner(inputs))
    cells = [layers.SimpleRNNCell(rnn.UNITS) for _ in range(2)]
    stacked = layers.RNN(cells, stateful=True, return_sequences=True, unroll=True)
    model = keras.Model(inputs, stacked(outputs))
    # The stateful layers as built, known without walking: what the walk must find.
    built = [inner.layers[-1], bidirectional.forward_layer, bidirectional.backward_layer, stacked]
    return model, built


WALK_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
inner_inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
inner = keras.Model(inner_inputs, keras.layers.LSTM(UNITS, stateful=True, return_sequences=True, unroll=True)(inner_inputs))
outputs = keras.layers.Bidirectional(keras.layers.GRU(UNITS, stateful=True, return_sequences=True, unroll=True))(inner(inputs))
outputs = keras.layers.RNN([keras.layers.SimpleRNNCell(UNITS), keras.layers.SimpleRNNCell(UNITS)],
                           stateful=True, return_sequences=True, unroll=True)(outputs)
model = keras.Model(inputs, outputs)
layers = stateful_layers(model)
print("stateful layers found:", [layer.name for layer in layers])
expect(len(layers) == 4, f"{{len(layers)}} stateful layers found: the nested one, both halves of Bidirectional, the stacked cells")
(x,) = batches(np.random.default_rng(0), {batch_size}, 1)
first = to_numpy(model(x))  # from the zero state
second = to_numpy(model(x))  # from the state the first call left
before = [to_numpy(v) for layer in layers for v in state_variables(layer)]
precondition(len(before) == 6 and all(np.any(s) for s in before), "all 6 states are non-zero before the reset")
precondition(np.abs(second - first).max() > 1e-4, "the carried state changes the outputs")
reset_all_states(model)  # in place of model.reset_states()
after = [to_numpy(v) for layer in layers for v in state_variables(layer)]
expect(len(after) == len(before), f"{{len(after)}} states after the reset, {{len(before)}} before")
for k, state in enumerate(after):
    expect(not np.any(state), f"state[{{k}}] is zero after reset_all_states(model)")
expect_close("outputs after reset_all_states(model), against the first call from the zero state", to_numpy(model(x)), first)
"""


# Slow: building this model and its first eager call take 10-20 s on JAX (well under 3 s on
# TensorFlow); the not-slow suite keeps the walk through workaround.reset.fresh.walk-layers.
@pytest.mark.slow
@pytest.mark.claim("workaround.reset.model.walk-layers")
def test_reset_model_walk_layers(keras, impl, check, rng):
    """Zeros assigned to every state of every stateful layer found by walking the model (a
    nested model, both halves of Bidirectional, RNN over stacked cells): every state is zero and
    the next call answers as from the zero state."""
    check.reproduce(WALK_REPRO.format(batch_size=BATCH_SIZE), extra=WORKAROUND_HELPERS)
    model, layers = nested_model(keras)
    found = stateful_layers(model)
    check.that(len(found) == len(layers) and all(any(f is layer for f in found) for layer in layers),
               f"the walk found {[layer.name for layer in found]}",
               f"every stateful layer: {[layer.name for layer in layers]} (nested, Bidirectional "
               "forward and backward, stacked cells)")
    (x,) = rnn.batches(rng, BATCH_SIZE, 1)
    first = impl.to_numpy(model(x))
    second = impl.to_numpy(model(x))
    before = [state for layer in layers for state in check.layer_states(layer, layer.name)]
    # LSTM h, c; GRU forward and backward h; two SimpleRNN cells' h
    check.that(len(before) == 6, f"{len(before)} state arrays", "6 state arrays")
    check.precondition(all(np.any(s) for s in before),
                       "all 6 state arrays non-zero after a direct call, before the reset",
                       f"{sum(bool(np.any(s)) for s in before)} of 6 non-zero",
                       failing="state.is-memory")
    check.precondition(max_difference(second, first) > ATOL,
                       "the carried state changing the outputs of the next direct call, before "
                       "the reset", failing="carry.index-i")
    reset_all_states(model)
    after = [impl.to_numpy(v) for layer in layers for v in state_variables(layer)]
    check.same_count("state arrays after reset_all_states(model), against before", after, before)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after reset_all_states(model)", state, np.zeros_like(before[k]),
                    atol=0.0, expected_what="zeros")
    check.close("outputs after reset_all_states(model)", impl.to_numpy(model(x)), first,
                expected_what="the outputs of the first call, from the zero state")


FRESH_WALK_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})  # a model in use
fresh = stateful_model(keras, {cell!r}, {batch_size})  # built, never fed
fresh.set_weights(model.get_weights())
chunks = batches(np.random.default_rng(0), {batch_size}, 3)
for chunk in chunks[:2]:
    model(chunk)  # direct calls carry the state on every backend
expected = to_numpy(fresh(chunks[2]))
states = [to_numpy(v) for v in state_variables(rnn_layers(model)[0])]
precondition(len(states) > 0 and all(np.any(s) for s in states), "the layer holds a non-zero state before the reset")
reset_all_states(model)  # in place of model.reset_states()
expect_close("outputs after reset_all_states(model), against a fresh model's", to_numpy(model(chunks[2])), expected)
"""


@pytest.mark.claim("workaround.reset.fresh.walk-layers")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh_walk_layers(keras, models, impl, check, rng, cell):
    """After reset_all_states(model) the outputs equal a freshly built model's."""
    check.reproduce(FRESH_WALK_REPRO.format(cell=cell, batch_size=BATCH_SIZE),
                    extra=WORKAROUND_HELPERS)
    model = models.model(cell, BATCH_SIZE)
    chunks = rnn.batches(rng, BATCH_SIZE, 3)
    for chunk in chunks[:2]:
        model(chunk)
    states = check.layer_states(rnn.rnn_layers(model)[0])
    check.precondition(all(np.any(s) for s in states),
                       "the layer holding a non-zero state after direct calls, before the reset",
                       failing="state.is-memory")
    # The fresh model is the NumPy cells from the zero state (a freshly built model's answer).
    expected, _ = reference_cells.run_sequence(cell, model.get_weights(), chunks[2])
    carried, _ = reference_cells.run_sequence(cell, model.get_weights(), chunks[2], states)
    check.precondition(max_difference(carried, expected) > ATOL,
                       "the carried state changing the outputs before the reset",
                       failing="state.is-memory")
    reset_all_states(model)
    check.close("outputs after reset_all_states(model)", impl.to_numpy(model(chunks[2])), expected,
                expected_what="a freshly built model's (the NumPy cells from the zero state)")


# -- reset.with-values: assign to layer.states --------------------------------------------------
ASSIGN_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
rng = np.random.default_rng(0)
values = [rng.uniform(-0.5, 0.5, ({batch_size}, UNITS)).astype("float32") for _ in range(state_size({cell!r}))]
(x0,) = batches(rng, {batch_size}, 1)
(x,) = batches(rng, {batch_size}, 1)
model(x0)  # the layer now holds a state
before = layer_states(impl, layer)
precondition(all(np.any(s) for s in before), "the layer holds a non-zero state before")
assign_states(layer, values)  # in place of layer.reset_states(states=values)
for k, (state, value) in enumerate(zip(layer_states(impl, layer), values)):
    expect_close(f"state[{{k}}] after assign_states", state, value, atol=1e-6)
from_values, _ = run_sequence({cell!r}, layer.get_weights(), x, initial_state=values)
expect_close("the next batch's outputs, against the NumPy cells started at the values", to_numpy(model(x)), from_values)
"""


@pytest.mark.claim("workaround.reset.with-values.assign-states")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_assign_states(models, impl, check, rng, cell):
    """Values assigned to layer.states become the state, and the next batch starts from them."""
    check.reproduce(ASSIGN_REPRO.format(cell=cell, batch_size=BATCH_SIZE), extra=WORKAROUND_HELPERS)
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    values = [rng.uniform(-0.5, 0.5, (BATCH_SIZE, rnn.UNITS)).astype("float32")
              for _ in range(reference_cells.state_size(cell))]
    (x0,) = rnn.batches(rng, BATCH_SIZE, 1)
    (x,) = rnn.batches(rng, BATCH_SIZE, 1)
    model(x0)
    before = check.layer_states(layer)
    check.same_count("state arrays before the assignment, against the values", before, values)
    check.precondition(all(np.any(s) for s in before),
                       "the layer holding a non-zero state after a direct call, before the values "
                       "are assigned", failing="state.is-memory")
    weights = layer.get_weights()
    expected, _ = reference_cells.run_sequence(cell, weights, x, initial_state=values)
    from_before, _ = reference_cells.run_sequence(cell, weights, x, initial_state=before)
    check.precondition(max_difference(expected, from_before) > ATOL,
                       "the given values changing the next batch's outputs",
                       failing="state.is-memory")
    assign_states(layer, values)
    check.all_close("state after assign_states(layer, values)", check.layer_states(layer),
                    values, atol=1e-6, expected_what="the given values")
    check.close("the next batch's outputs", impl.to_numpy(model(x)), expected,
                expected_what="the NumPy cells started at the given values")


# -- reset.stacked-cells: assign zeros to every cell's state ------------------------------------
STACKED_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
layer = keras.layers.RNN([keras.layers.{cell}Cell(UNITS), keras.layers.{cell}Cell(UNITS)], stateful=True, return_sequences=True)
model = keras.Model(inputs, layer(inputs))
chunks = batches(np.random.default_rng(0), {batch_size}, 2)
model(chunks[0])
_, final = run_stacked({cell!r}, layer.get_weights(), chunks[0])
states = [to_numpy(v) for v in state_variables(layer)]
expect(len(states) == len(final), f"{{len(states)}} state arrays, the cells {{len(final)}}")
for k, (state, value) in enumerate(zip(states, final)):
    expect_close(f"state[{{k}}] after one batch", state, value)
precondition(all(np.any(s) for s in states), "every cell's state is non-zero before the reset")
zero_states(layer)  # in place of layer.reset_states()
for k, variable in enumerate(state_variables(layer)):
    expect(not np.any(to_numpy(variable)), f"state[{{k}}] is zero after the assignment")
sequence, _ = run_stacked({cell!r}, layer.get_weights(), chunks[1])
expect_close("the next batch's outputs, against the NumPy cells from the zero state", to_numpy(model(chunks[1])), sequence)
"""

_STACKED = {}


@pytest.mark.claim("workaround.reset.stacked-cells.assign-zeros")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stacked_cells_assign_zeros(keras, impl, check, rng, cell):
    """RNN([cell, cell], stateful=True): zeros assigned to each cell's state variables reset it,
    and the next batch answers as the NumPy cells from the zero state."""
    check.reproduce(STACKED_REPRO.format(cell=cell, batch_size=BATCH_SIZE),
                    extra=WORKAROUND_HELPERS)
    if cell not in _STACKED:
        keras.utils.set_random_seed(zlib.crc32(f"stacked {cell}".encode()))
        inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
        cells = [getattr(keras.layers, f"{cell}Cell")(rnn.UNITS) for _ in range(2)]
        layer = keras.layers.RNN(cells, stateful=True, return_sequences=True)
        _STACKED[cell] = (keras.Model(inputs, layer(inputs)), layer)
    model, layer = _STACKED[cell]
    zero_states(layer)
    chunks = rnn.batches(rng, BATCH_SIZE, 2)
    model(chunks[0])
    _, final = reference_cells.run_stacked(cell, layer.get_weights(), chunks[0])
    states = check.layer_states(layer)
    check.all_close("state of both cells after one batch", states, final,
                    expected_what="the NumPy cells")
    check.that(all(np.any(s) for s in states), "a cell's state is zero after one batch",
               "every cell's state non-zero before the reset")
    zero_states(layer)
    after = [impl.to_numpy(v) for v in state_variables(layer)]
    check.same_count("state arrays after assigning zeros", after, final)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after assigning zeros", state, np.zeros_like(final[k]), atol=0.0,
                    expected_what="zeros")
    sequence, _ = reference_cells.run_stacked(cell, layer.get_weights(), chunks[1])
    check.close("the next batch's outputs", impl.to_numpy(model(chunks[1])), sequence,
                expected_what="the NumPy cells from the zero state")


# -- setup.batch-size-required: Input(batch_shape=...) in a Sequential model --------------------
SEQUENTIAL_REPRO = """
model = keras.Sequential([keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES)),  # in place of batch_input_shape=
                          keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)])
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, 2)
for chunk in chunks:
    model(chunk)
_, expected = run_sequence({cell!r}, layer.get_weights(), as_streams(chunks))
states = layer_states(impl, layer)
precondition(all(np.any(s) for s in states), "the state is non-zero after 2 batches")
for k, (state, value) in enumerate(zip(states, expected)):
    expect_close(f"state[{{k}}] after 2 batches", state, value)
"""


@pytest.mark.claim("workaround.setup.batch-size-required.input-batch-shape")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_sequential_input_batch_shape(keras, impl, check, rng, cell):
    """The article's Sequential model with keras.Input(batch_shape=...) first, in place of
    batch_input_shape=: it builds a stateful layer with a fixed batch size that carries state."""
    check.reproduce(SEQUENTIAL_REPRO.format(cell=cell, batch_size=BATCH_SIZE))
    model = keras.Sequential([keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES)),
                              rnn.rnn_layer(keras, cell)])
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, BATCH_SIZE, 2)
    for chunk in chunks:
        model(chunk)
    _, expected = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks))
    states = check.layer_states(layer)
    check.that(all(np.any(s) for s in states),
               f"a zero state after 2 batches: {[describe(s) for s in states]}",
               "a stateful layer that carries a non-zero state")
    check.all_close("the state after 2 batches", states, expected,
                    expected_what="the NumPy cells on the batches concatenated in time")


# -- setup.equal-batches: trim or pad to whole batches, or drop_remainder ----------------------
EQUAL_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
x = np.random.default_rng(0).standard_normal(({samples}, TIMESTEPS, FEATURES)).astype("float32")
{prepare}
outputs = to_numpy({predict})
expect(outputs.shape[0] % {batch_size} == 0, f"{{outputs.shape[0]}} outputs: whole batches of {batch_size} only")
whole = x[:real] if {how!r} == "drop_remainder" else fed  # padded rows are rows of their own
streams = as_streams(np.split(whole, len(whole) // {batch_size}))
sequence, final = run_sequence({cell!r}, layer.get_weights(), streams)
expected = np.concatenate(np.split(sequence, len(whole) // {batch_size}, axis=1))[:real]
outputs = outputs[:real]
expect_close("outputs, against the NumPy cells on the whole batches in time", outputs, expected)
"""

EQUAL_WAYS = {
    "trim": ("fed, real = to_batches(x, {batch_size}, 'trim')",
             "model.predict(fed, batch_size={batch_size}, verbose=0)"),
    "pad": ("fed, real = to_batches(x, {batch_size}, 'pad')  # rows 7, 8 are padding",
            "model.predict(fed, batch_size={batch_size}, verbose=0)"),
    "drop_remainder": ("import tensorflow as tf\n"
                       "fed = tf.data.Dataset.from_tensor_slices(x).batch({batch_size}, drop_remainder=True)\n"
                       "real = len(x) - len(x) % {batch_size}",
                       "model.predict(fed, verbose=0)"),
}


def stream_outputs(cell, weights, x, batch_size):
    """What a stateful layer answers to ``x`` fed in whole batches, sample by sample: sample
    j*batch_size + i continues row i of batch j-1 (the NumPy cells on the batches in time)."""
    count = len(x) // batch_size
    sequence, _ = reference_cells.run_sequence(cell, weights,
                                               rnn.as_streams(np.split(x[:count * batch_size], count)))
    return np.concatenate(np.split(sequence, count, axis=1))


@pytest.mark.claim("workaround.setup.equal-batches.whole-batches")
@pytest.mark.parametrize("how", list(EQUAL_WAYS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_whole_batches(models, impl, check, rng, cell, how):
    """7 samples for a batch-3 stateful model, trimmed to 6, padded to 9, or batched by tf.data
    with drop_remainder=True: predict sees whole batches only and every real sample's outputs
    are those of the NumPy cells carrying the state from batch to batch."""
    samples = 7
    prepare, predict = (line.format(batch_size=BATCH_SIZE) for line in EQUAL_WAYS[how])
    check.reproduce(EQUAL_REPRO.format(cell=cell, batch_size=BATCH_SIZE, samples=samples, how=how,
                                       prepare=prepare, predict=predict),
                    extra=(to_batches,))
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    x = rng.standard_normal((samples, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    if how == "drop_remainder":
        tf = pytest.importorskip("tensorflow")
        fed = tf.data.Dataset.from_tensor_slices(x).batch(BATCH_SIZE, drop_remainder=True)
        real = samples - samples % BATCH_SIZE
        outputs = impl.to_numpy(model.predict(fed, verbose=0))
    else:
        fed, real = to_batches(x, BATCH_SIZE, how)
        outputs = impl.to_numpy(model.predict(fed, batch_size=BATCH_SIZE, verbose=0))
    check.that(outputs.shape[0] % BATCH_SIZE == 0,
               f"{outputs.shape[0]} outputs after {how}", f"whole batches of {BATCH_SIZE} only")
    outputs = outputs[:real]
    # The padded rows are rows of their own: the real samples' outputs do not depend on them.
    whole = x[:real] if how == "drop_remainder" else fed
    expected = stream_outputs(cell, layer.get_weights(), whole, BATCH_SIZE)[:real]
    if real <= BATCH_SIZE:  # the suite's sample count
        raise RuntimeError(f"{real} real samples: more than one batch needed (a state to carry)")
    check.close(f"outputs of the {real} real samples ({how})", outputs, expected,
                expected_what="the NumPy cells on the whole batches concatenated in time")


EQUAL_CALLS_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
x = np.random.default_rng(0).standard_normal(({samples}, TIMESTEPS, FEATURES)).astype("float32")
fed, real = to_batches(x, {batch_size}, {how!r})
answers = [to_numpy(model(chunk)) for chunk in np.split(fed, len(fed) // {batch_size})]
expect(all(len(answer) == {batch_size} for answer in answers), f"the model answered batches of {{[len(answer) for answer in answers]}}: whole batches of {batch_size} only")
outputs = np.concatenate(answers)
sequence, final = run_sequence({cell!r}, layer.get_weights(), as_streams(np.split(fed, len(fed) // {batch_size})))
expected = np.concatenate(np.split(sequence, len(fed) // {batch_size}, axis=1))[:real]
expect_close("outputs of the real samples, against the NumPy cells on the whole batches in time", outputs[:real], expected)
"""


@pytest.mark.claim("workaround.setup.equal-batches.whole-batches-direct-calls")
@pytest.mark.parametrize("how", ["trim", "pad"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_whole_batches_direct_calls(models, impl, check, rng, cell, how):
    """7 samples for a batch-3 stateful model, trimmed to 6 or padded to 9, fed batch by batch
    through model(batch): every batch has the fixed size and every real sample's outputs are
    those of the NumPy cells carrying the state (the whole-batches workaround where predict
    carries no state)."""
    samples = 7
    check.reproduce(EQUAL_CALLS_REPRO.format(cell=cell, batch_size=BATCH_SIZE, samples=samples,
                                             how=how), extra=(to_batches,))
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    x = rng.standard_normal((samples, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    fed, real = to_batches(x, BATCH_SIZE, how)
    if real <= BATCH_SIZE:  # the suite's sample count
        raise RuntimeError(f"{real} real samples: more than one batch needed (a state to carry)")
    answers = [impl.to_numpy(model(chunk)) for chunk in np.split(fed, len(fed) // BATCH_SIZE)]
    check.that(all(len(answer) == BATCH_SIZE for answer in answers),
               f"the model answered batches of {[len(answer) for answer in answers]} after {how}",
               f"whole batches of {BATCH_SIZE} only")
    outputs = np.concatenate(answers)[:real]
    expected = stream_outputs(cell, layer.get_weights(), fed, BATCH_SIZE)[:real]
    check.close(f"outputs of the {real} real samples ({how}, direct calls)", outputs, expected,
                expected_what="the NumPy cells on the whole batches concatenated in time")


# -- carry.*: direct calls in place of predict; the state as explicit inputs for training -------
DIRECT_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
outputs = [to_numpy(model(chunk)) for chunk in chunks]  # in place of model.predict(x, batch_size={batch_size})
sequence, final = run_sequence({cell!r}, layer.get_weights(), as_streams(chunks))
for k, (state, value) in enumerate(zip(layer_states(impl, layer), final)):
    expect_close(f"state[{{k}}] after {batches} direct calls", state, value)
expect_close("outputs", np.concatenate(outputs, axis=1), sequence)
"""


@pytest.mark.claim("workaround.carry.index-i.direct-calls")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_direct_calls(models, impl, check, rng, cell):
    """model(chunk) batch by batch in place of predict carries sample i's state to sample i of
    the next batch, as the NumPy cells do."""
    check.reproduce(DIRECT_REPRO.format(cell=cell, batch_size=BATCH_SIZE, batches=BATCHES))
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    outputs = [impl.to_numpy(model(chunk)) for chunk in chunks]
    sequence, final = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(chunks))
    what = f"after {BATCHES} direct calls"
    check.all_close(f"state {what}", check.layer_states(layer), final,
                    expected_what="the NumPy cells on the batches concatenated in time")
    check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                expected_what="the NumPy cells on the batches concatenated in time")


# The expectations of a training run watched by train_watched (``chunks``, ``watched`` and the
# final ``state`` of the body before it): every step updates the weights, and from the second
# step on (fed the state the previous one left) the state fed is the NumPy carry and the update
# differs from the same step's from the zero state.
WATCHED_TRAINING_REPRO = """
carried, after = numpy_carry({cell!r}, chunks, watched)
for index, (trained, expected) in enumerate(zip(watched, carried)):
    expect(np.isfinite(trained.loss), f"training step {{index + 1}}: loss {{trained.loss}}")
    moved = max(float(np.abs(u).max()) for u in trained.update)
    expect(moved > 0, f"training step {{index + 1}} updates the weights (by up to {{moved:.3g}})")
    if index > 0:
        expect(len(trained.fed) == len(expected), f"{{len(trained.fed)}} state arrays fed to training step {{index + 1}}, {{len(expected)}} in the NumPy carry")
        for k, (value, reference) in enumerate(zip(trained.fed, expected)):
            expect_close(f"state[{{k}}] fed to training step {{index + 1}}, against the NumPy carry", value, reference)
        apart = max(float(np.abs(u - z).max()) for u, z in zip(trained.update, trained.from_zeros))
        expect(apart > {update_distinct}, f"training step {{index + 1}}'s update differs from the same step's from the zero state (by {{apart:.3g}})")
expect(len(state) == len(after), f"{{len(state)}} state arrays after the last step, {{len(after)}} in the NumPy carry")
for k, (value, reference) in enumerate(zip(state, after)):
    expect_close(f"state[{{k}}] after the last step, against the NumPy carry", value, reference)
"""

# Two updates of one SGD(0.1) step closer than this could not be told apart from float32
# rounding: the first step and its zero-state twin (the same step) differ by 0 on the four
# built-ins; a carried state moves the update by 4e-4 to 9e-3 (seen 2026-12-07, 4 steps).
UPDATE_DISTINCT = 1e-6


def check_watched_training(check, cell, chunks, watched, state):
    """What WATCHED_TRAINING_REPRO expects, as the check's verdict."""
    carried, after = numpy_carry(cell, chunks, watched)
    carry = "the NumPy cells carried from zeros, each batch with the weights of its step"
    for index, (trained, expected) in enumerate(zip(watched, carried)):
        name = f"training step {index + 1}"
        check.that(np.isfinite(trained.loss), f"{name} returned the loss {trained.loss}",
                   "a finite loss")
        moved = max(float(np.abs(u).max()) for u in trained.update)
        check.that(moved > 0, f"{name} left the weights as they were",
                   "a step that updates the weights")
        if index == 0:
            continue  # fed the zeros the recipe starts from: nothing carried yet
        check.all_close(f"the state fed to {name}", trained.fed, expected, expected_what=carry)
        apart = max(max_difference(u, z) for u, z in zip(trained.update, trained.from_zeros))
        check.that(apart > UPDATE_DISTINCT,
                   f"{name} updated the weights as the same step from the zero state does "
                   f"(the updates differ by {apart:.3g})",
                   f"an update that depends on the carried state (differing by more than "
                   f"{UPDATE_DISTINCT:g})")
    check.all_close("the state after the last step", state, after, expected_what=carry)


WATCHED_HELPERS = (explicit_state_models, train_carrying_state, train_watched, numpy_carry)

EXPLICIT_REPRO = """
layer, step, train = explicit_state_models(keras, {cell!r}, {batch_size}, {learning_rate})
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
targets = [np.full(chunk.shape[:2] + (UNITS,), 0.5, dtype="float32") for chunk in chunks]
state = [np.zeros(({batch_size}, UNITS), dtype="float32") for _ in range(state_size({cell!r}))]
state, watched = train_watched(impl, layer, step, train, chunks, targets, state)
"""


# Slow: each case builds, compiles and traces the train and predict functions of two new
# models (2-20 s on tf-keras and JAX); the not-slow suite keeps direct-calls.
@pytest.mark.slow
@pytest.mark.claim("workaround.carry.index-i.explicit-state")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_explicit_state_training(keras, impl, check, rng, cell):
    """Training with the state as explicit inputs and outputs (a stateless layer with
    return_state=True, initial_state as inputs, the state carried by hand): the state fed to
    every step is the NumPy cells' carried from zeros with the weights of each step, every step
    updates the weights, and from the second step on differently than the same step from the
    zero state (the carried state reaches the update)."""
    learning_rate = 0.1
    check.reproduce((EXPLICIT_REPRO + WATCHED_TRAINING_REPRO).format(
        cell=cell, batch_size=BATCH_SIZE, batches=BATCHES, learning_rate=learning_rate,
        update_distinct=UPDATE_DISTINCT), extra=WATCHED_HELPERS)
    layer, step, train = explicit_state_models(keras, cell, BATCH_SIZE, learning_rate)
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    targets = [np.full(chunk.shape[:2] + (rnn.UNITS,), 0.5, dtype="float32") for chunk in chunks]
    state = [np.zeros((BATCH_SIZE, rnn.UNITS), dtype="float32")
             for _ in range(reference_cells.state_size(cell))]
    state, watched = train_watched(impl, layer, step, train, chunks, targets, state)
    check_watched_training(check, cell, chunks, watched, state)


# -- learn.cross-batch: the explicit-state recipe learns what spans sub-sequences ---------------
def train_explicit_state(keras, x, y, streams, timesteps, epochs, units=16):
    """The moving-average task of test_learn.py trained with the state as explicit inputs and
    outputs (LSTM(16) -> Dense(1), Adam(0.01), the state back to zeros at each epoch, as the
    original recipe's reset). Returns the test MSE of the last step of every sample after the
    first batch, with the state carried, and with the state zeroed before every batch."""
    keras.utils.set_random_seed(11)
    inputs = keras.Input(batch_shape=(streams, timesteps, 1))
    state_inputs = [keras.Input(batch_shape=(streams, units)) for _ in range(2)]
    sequence, *final = keras.layers.LSTM(units, return_sequences=True, return_state=True)(
        inputs, initial_state=state_inputs)
    train = keras.Model([inputs, *state_inputs], keras.layers.Dense(1)(sequence))
    step = keras.Model([inputs, *state_inputs], final)
    train.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    zeros = [np.zeros((streams, units), "float32") for _ in range(2)]
    count = len(x) // streams
    for _ in range(epochs):
        state = zeros
        for j in range(count):
            chunk, target = x[j * streams:(j + 1) * streams], y[j * streams:(j + 1) * streams]
            following = [np.asarray(s) for s in step.predict_on_batch([chunk, *state])]
            train.train_on_batch([chunk, *state], target)
            state = following

    def score(carry):
        state, errors = zeros, []
        for j in range(count):
            chunk = x[j * streams:(j + 1) * streams]
            predictions = np.asarray(train.predict_on_batch([chunk, *state]))
            if j > 0:
                errors.append((predictions[:, -1] - y[j * streams:(j + 1) * streams, -1]) ** 2)
            if carry:
                state = [np.asarray(s) for s in step.predict_on_batch([chunk, *state])]
        return float(np.mean(errors))

    return score(True), score(False)


# The task of test_learn.py (the same window and sub-sequence length) with more streams and a
# shorter series: the same number of samples in a quarter of the training steps, since the
# recipe's eager steps cost 50-150 ms each on keras-torch.
LEARN_STREAMS, LEARN_LENGTH, LEARN_TIMESTEPS, LEARN_WINDOW, LEARN_EPOCHS = 32, 120, 2, 6, 8


def moving_average_task(rng):
    """Inputs (LEARN_STREAMS*LEARN_LENGTH/LEARN_TIMESTEPS samples, in stateful layout) and moving-average targets
    (test_learn.moving_average_task with this module's sizes)."""
    series = rng.uniform(0, 1, (LEARN_STREAMS, LEARN_LENGTH + LEARN_WINDOW - 1)).astype("float32")
    averages = np.stack([np.convolve(row, np.ones(LEARN_WINDOW) / LEARN_WINDOW, mode="valid") for row in series])
    inputs = series[:, LEARN_WINDOW - 1:].reshape(LEARN_STREAMS, LEARN_LENGTH // LEARN_TIMESTEPS, LEARN_TIMESTEPS, 1)
    targets = averages.astype("float32").reshape(LEARN_STREAMS, LEARN_LENGTH // LEARN_TIMESTEPS, LEARN_TIMESTEPS, 1)
    return (inputs.transpose(1, 0, 2, 3).reshape(-1, LEARN_TIMESTEPS, 1),
            targets.transpose(1, 0, 2, 3).reshape(-1, LEARN_TIMESTEPS, 1))


LEARN_REPRO = """
x, y = moving_average_task(np.random.default_rng(5))
carried, zeroed = train_explicit_state(keras, x, y, LEARN_STREAMS, LEARN_TIMESTEPS, LEARN_EPOCHS)
floor = (LEARN_WINDOW - LEARN_TIMESTEPS) / LEARN_WINDOW**2 / 12  # what no model explains without earlier inputs
print(f"test MSE: state carried {carried:.3g}, state zeroed {zeroed:.3g}, floor without state {floor:.3g}")
precondition(zeroed > 0.5 * floor, "without the carried state the trained model cannot beat the floor")
expect(carried < 0.5 * floor, "with the state carried by hand the LSTM learns what spans sub-sequences")
"""


@pytest.mark.slow
@pytest.mark.timeout(1200)  # 480 eager training steps: 30-180 s on keras-torch, more under load
@pytest.mark.claim("workaround.learn.cross-batch.explicit-state")
def test_learn_explicit_state(keras, impl, check):
    """The moving-average task of learn.cross-batch, trained with the state as explicit inputs
    and outputs: the model learns what spans sub-sequences (below half the floor), and the same
    model without the carried state does not (so the carried state is what it learned to use)."""
    names = ("LEARN_STREAMS", "LEARN_LENGTH", "LEARN_TIMESTEPS", "LEARN_WINDOW", "LEARN_EPOCHS")
    check.reproduce(LEARN_REPRO, extra=(*((name, globals()[name]) for name in names),
                                        moving_average_task, train_explicit_state))
    x, y = moving_average_task(np.random.default_rng(5))
    carried, zeroed = train_explicit_state(keras, x, y, LEARN_STREAMS, LEARN_TIMESTEPS, LEARN_EPOCHS)
    floor = (LEARN_WINDOW - LEARN_TIMESTEPS) / LEARN_WINDOW**2 / 12
    measured = (f"MSE with the state carried {carried:.3g}, zeroed before every batch "
                f"{zeroed:.3g} (unexplainable without state: {floor:.3g})")
    check.that(zeroed > 0.5 * floor, measured,
               "the trained model without its carried state staying above half the floor")
    check.that(carried < 0.5 * floor, measured,
               "with the state carried by hand, well below the floor")


# -- carry.validation: validate in a callback, on whole batches, the training state put back ----
def separate_validation(keras, x_val, y_val, batch_size):
    """In place of fit(validation_data=...): a callback that validates at the end of each epoch
    outside fit's own validation. It saves every state of every stateful layer, starts the
    validation from zeros, evaluates the validation data trimmed to whole batches (a partial last
    batch never reaches the model) and puts the training state back, so that training carries
    its own state from epoch to epoch. ``val_losses`` lists the validation losses (also written
    to the epoch's logs as ``val_loss``)."""
    x_val, whole = to_batches(x_val, batch_size, "trim")
    y_val = y_val[:whole]

    class SeparateValidation(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.val_losses = []

        def on_epoch_end(self, epoch, logs=None):
            variables = [v for layer in stateful_layers(self.model) for v in state_variables(layer)]
            saved = [np.array(variable, copy=True) for variable in variables]
            reset_all_states(self.model)
            loss = self.model.evaluate(x_val, y_val, batch_size=batch_size, verbose=0)
            for variable, value in zip(variables, saved):
                variable.assign(value)
            self.val_losses.append(float(np.ravel(loss)[0]))
            if logs is not None:
                logs["val_loss"] = self.val_losses[-1]

    return SeparateValidation()


VALIDATION_TRAIN_BATCHES, VALIDATION_SAMPLES = 2, 7  # 7 samples: 2 whole batches of 3, 1 left

SEPARATE_VALIDATION_REPRO = """
model = stateful_model(keras, {cell!r}, {batch_size})
layer = rnn_layers(model)[0]
rng = np.random.default_rng(0)
train = batches(rng, {batch_size}, {train})
x_val = rng.standard_normal(({samples}, TIMESTEPS, FEATURES)).astype("float32")  # a partial last batch
zeros = lambda a: np.zeros(a.shape[:2] + (UNITS,), "float32")
validation = separate_validation(keras, x_val, zeros(x_val), {batch_size})  # in place of validation_data=
history = model.fit(as_samples(train), zeros(as_samples(train)), batch_size={batch_size}, epochs=2,
                    shuffle=False, verbose=0, callbacks=[validation]).history
print("history:", history, "validation losses:", validation.val_losses)
weights = layer.get_weights()

def losses(chunks, start=None):  # the NumPy cells, carried: the loss (zero targets) and final state
    runs = [run_sequence({cell!r}, weights, chunks[0], start)]
    for chunk in chunks[1:]:
        runs.append(run_sequence({cell!r}, weights, chunk, runs[-1][1]))
    return float(np.mean([np.mean(sequence ** 2) for sequence, _ in runs])), runs[-1][1]

whole = np.split(x_val[:len(x_val) - len(x_val) % {batch_size}], len(x_val) // {batch_size})
loss_1, after_1 = losses(train)
loss_2, after_2 = losses(train, after_1)
val_loss, _ = losses(whole)
expect_close("epoch 1 loss, against the NumPy cells from zeros, carried", history["loss"][0], loss_1, atol=1e-6)
expect_close("epoch 2 loss, against the NumPy cells from the state epoch 1 left", history["loss"][1], loss_2, atol=1e-6)
expect_close("validation losses, against the NumPy cells from zeros over the whole batches",
             validation.val_losses, [val_loss, val_loss], atol=1e-6)
for k, (state, value) in enumerate(zip(layer_states(impl, layer), after_2)):
    expect_close(f"state[{{k}}] after fit, against the state training left", state, value)
"""


# Slow: fit traces a train and a test function per model (3-10 s a case on tf-keras), as
# carry.validation's own checks.
@pytest.mark.slow
@pytest.mark.claim("workaround.carry.validation.separate-validation")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_separate_validation(keras, models, impl, check, rng, cell):
    """fit with the separate_validation callback in place of validation_data (7 validation
    samples for a batch-3 model): each epoch trains from the state the previous one left, each
    validation runs from zeros over the whole batches only, and fit leaves the training state,
    all against the NumPy cells."""
    check.reproduce(SEPARATE_VALIDATION_REPRO.format(
        cell=cell, batch_size=BATCH_SIZE, train=VALIDATION_TRAIN_BATCHES,
        samples=VALIDATION_SAMPLES),
        extra=(*WORKAROUND_HELPERS, to_batches, separate_validation))
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    train = rnn.batches(rng, BATCH_SIZE, VALIDATION_TRAIN_BATCHES)
    x_val = rng.standard_normal((VALIDATION_SAMPLES, TIMESTEPS, FEATURES)).astype("float32")
    zeros = lambda a: np.zeros(a.shape[:2] + (UNITS,), "float32")  # noqa: E731
    validation = separate_validation(keras, x_val, zeros(x_val), BATCH_SIZE)
    x = rnn.as_samples(train)
    history = model.fit(x, zeros(x), batch_size=BATCH_SIZE, epochs=2, shuffle=False, verbose=0,
                        callbacks=[validation]).history
    weights = layer.get_weights()
    count = VALIDATION_SAMPLES // BATCH_SIZE
    whole = np.split(x_val[:count * BATCH_SIZE], count)
    loss_1, after_1 = run_batches(cell, weights, train, None)
    loss_2, after_2 = run_batches(cell, weights, train, after_1)
    val_loss, after_validation = run_batches(cell, weights, whole, None)
    # What the workaround must be told apart from: nothing carried, validation continuing from
    # the training state, the next epoch continuing from the state validation left.
    # The NumPy cells alone: the suite's data must tell these apart.
    for apart, what in (
            (abs(loss_1 - run_batches(cell, weights, train, None, carry=False)[0]) > DISTINCT,
             "carrying the state from batch to batch changing the training loss"),
            (abs(val_loss - run_batches(cell, weights, whole, after_1)[0]) > DISTINCT,
             "the training state changing the validation loss (so that a validation from zeros "
             "can be told apart)"),
            (abs(loss_2 - run_batches(cell, weights, train, after_validation)[0]) > DISTINCT,
             "the state validation leaves changing the next epoch's loss (so that putting the "
             "training state back can be told apart)")):
        if not apart:
            raise RuntimeError(f"the suite's data does not show {what} (by {DISTINCT:g})")
    check.close("epoch 1 training loss", history["loss"][0], loss_1, atol=LOSS_ATOL,
                expected_what="the NumPy cells from zeros, carried from batch to batch")
    check.close("epoch 2 training loss", history["loss"][1], loss_2, atol=LOSS_ATOL,
                expected_what="the NumPy cells from the state epoch 1 left (validation put it back)")
    check.all_close("validation losses", validation.val_losses, [val_loss, val_loss],
                    atol=LOSS_ATOL, expected_what=f"the NumPy cells from zeros over the {count} "
                                                  "whole validation batches")
    check.all_close("layer.states after fit", check.layer_states(layer), after_2,
                    expected_what="the state the last training epoch left")


# -- reset.custom-initial: assign the cell's own initial state ----------------------------------
@pytest.mark.claim("workaround.reset.custom-initial.assign-initial")
@pytest.mark.parametrize("how", ["layer", "model"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_reset_to_initial_states(built_models, impl, check, rng, cell, how):
    """A cell with a non-zero get_initial_state: after reset_to_initial_states (the layer, or every
    stateful layer of the model) the state equals a freshly built layer's and the state the
    stateless layer starts from, and the next batch answers as the NumPy cells from it."""
    # The claim's own script, with the workaround in place of the reset.
    reset = f"reset_to_initial_states({how}, {BATCH_SIZE})  # in place of {how}.reset_states()"
    check.reproduce(CUSTOM_INITIAL_REPRO.format(cell=cell, batch_size=BATCH_SIZE, reset=reset),
                    extra=(*WORKAROUND_HELPERS, reset_to_initial_states, initial_row,
                           custom_initial_cell))
    model = built_models.get(("custom_initial", cell),
                             lambda keras: custom_initial_model(keras, cell))
    layer = rnn.rnn_layers(model)[0]
    weights = model.get_weights()
    stateless = built_models.get(("custom_initial_stateless", cell),
                                 lambda keras: custom_initial_model(keras, cell, stateful=False))
    stateless.set_weights(weights)
    initial = [np.tile(initial_row(cell, k), (BATCH_SIZE, 1))
               for k in range(reference_cells.state_size(cell))]
    chunk, later = rnn.batches(rng, BATCH_SIZE, 2)
    # What the stateless layer starts from (the cell's get_initial_state, the NumPy cells say).
    name, difference, observed = start_of(impl, stateless, cell, chunk,
                                          {"get_initial_state": initial,
                                           "zeros": [np.zeros_like(state) for state in initial]})
    # reset.custom-initial: a reset returns to what the stateless layer starts from, which
    # this workaround sets as get_initial_state.
    check.that(name == "get_initial_state" and difference <= ATOL,
               f"the stateless layer starts from {name} (off by {difference:.3g}; "
               f"{describe(observed)})", "the stateless layer starting from the cell's get_initial_state")
    fresh = custom_initial_model(built_models.keras, cell)
    fresh.set_weights(weights)
    fresh_states = state_values(impl, rnn.rnn_layers(fresh)[0])
    model(chunk)
    before = check.layer_states(layer)
    check.same_count("state arrays after a direct call, against the initial state", before, initial)
    check.precondition(any(max_difference(s, i) > DISTINCT for s, i in zip(before, initial)),
                       "a state moved away from the initial one by a direct call, before the reset",
                       f"{[describe(state) for state in before]}", failing="state.is-memory")
    reset_to_initial_states(layer if how == "layer" else model, BATCH_SIZE)
    after = state_values(impl, layer)
    what = f"the state after reset_to_initial_states({how})"
    check.all_close(what, after, fresh_states, expected_what="the state of a freshly built layer")
    check.all_close(what, after, initial,
                    expected_what="get_initial_state, what the stateless layer starts from")
    expected, _ = reference_cells.run_sequence(cell, weights[:3], later, initial)
    check.close(f"outputs of the batch after reset_to_initial_states({how})",
                impl.to_numpy(model(later)), expected,
                expected_what="the NumPy cells from get_initial_state")


# -- the carry family on JAX: the claim's own check, every batch fed by a direct call -----------
def long_range_direct_calls(models, impl, check, rng, cell, n):
    """carry.long-range through model(batch): sample row+n*bs changes when sample ``row`` of the
    first batch is perturbed, and with a stateless layer it does not."""
    row = 0
    check.reproduce(LONG_RANGE_REPRO.format(cell=cell, batch_size=BATCH_SIZE, batches=n + 1,
                                            entry_point="call", row=row, n=n))
    chunks = rnn.batches(rng, BATCH_SIZE, n + 1)
    change = {}
    for stateful in (True, False):
        plain, perturbed = outputs_after_perturbing(models, impl, cell, chunks, row, "call",
                                                    stateful=stateful)
        check.same_count("batches of outputs", perturbed, plain)
        change[stateful] = max_difference(perturbed[n][row], plain[n][row])
    sample = row + n * BATCH_SIZE
    check.that(change[True] > 0, f"through direct calls sample {sample} does not depend on "
               f"sample {row}, {n} batches earlier (no change at all)",
               "a stateful layer carries the perturbation n batches ahead")
    check.that(change[False] == 0, f"with stateful=False sample {sample} changed by "
               f"{change[False]:.3g} when sample {row} did",
               "a stateless layer forgets everything between batches")


def stacked_direct_calls(models, impl, check, rng, cell):
    """carry.stacked through model(batch): each layer of a stack of two stateful layers
    continues its own sequence, as the NumPy cells run layer after layer."""
    predict = "model.predict(as_samples(chunks), batch_size={batch_size}, verbose=0)"
    if predict not in CARRY_STACKED_REPRO:
        raise LookupError("carry.stacked's script no longer feeds by predict: update this check")
    calls = "np.concatenate([to_numpy(model(chunk)) for chunk in chunks])  # in place of predict"
    check.reproduce(CARRY_STACKED_REPRO.replace(predict, calls).format(cell=cell, batch_size=BATCH_SIZE,
                                                                 batches=BATCHES))
    model = models.model(cell, BATCH_SIZE, layers=2)
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    outputs = rnn.feed(impl, model, chunks, "call")
    sequence = rnn.as_streams(chunks)
    for name, layer in zip(("first", "second"), rnn.rnn_layers(model)):
        sequence, final = reference_cells.run_sequence(cell, layer.get_weights(), sequence)
        check.all_close(f"{name} layer state after {BATCHES} direct calls",
                        check.layer_states(layer, f"the {name} layer"), final,
                        expected_what="the NumPy reference (each layer continues its own sequence)")
    check.close(f"model outputs after {BATCHES} direct calls", np.concatenate(outputs, axis=1),
                sequence, expected_what="the NumPy reference")


@contextlib.contextmanager
def global_policy(keras, name):
    """The global dtype policy ``name`` inside the block, then the previous one."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


def mixed_precision_direct_calls(built_models, keras, impl, check, rng, cell):
    with global_policy(keras, dtype_checks.POLICY):
        dtype_checks.test_mixed_precision_carry(built_models, impl, check, rng, cell, "call")


# The claim -> its own check run with entry_point="call" (or as above where the check feeds
# by predict only), on one cell: (built_models, models, keras, impl, check, rng) -> None. One
# case a claim keeps the not-slow suite short (eager calls cost 0.1-2 s each on JAX).
DIRECT_CALLS = {
    "carry.long-range": lambda b, m, k, i, c, r: long_range_direct_calls(m, i, c, r, "LSTM", 3),
    "carry.stacked": lambda b, m, k, i, c, r: stacked_direct_calls(m, i, c, r, "LSTM"),
    "carry.unroll": lambda b, m, k, i, c, r: path_checks.test_unroll(b, i, c, r, "LSTM", "call"),
    "carry.go-backwards":
        lambda b, m, k, i, c, r: path_checks.test_go_backwards(b, i, c, r, "LSTM", "call"),
    "bidirectional.carry":
        lambda b, m, k, i, c, r: path_checks.test_bidirectional_carry(b, i, c, r, "LSTM", "call"),
    "mask.keeps-state":
        lambda b, m, k, i, c, r: path_checks.test_mask_keeps_state(b, i, c, r, "LSTM", "call"),
    "dropout.inference-carry":
        lambda b, m, k, i, c, r: path_checks.test_dropout_inference_carry(b, i, c, r, "LSTM",
                                                                          "call"),
    "convlstm.carry":
        lambda b, m, k, i, c, r: convlstm_checks.test_convlstm_carry(b, k, i, c, r, "ConvLSTM1D",
                                                                     "call"),
    "dtype.mixed-precision": lambda b, m, k, i, c, r: mixed_precision_direct_calls(b, k, i, c, r,
                                                                                    "LSTM"),
}


# Slow: the cases that take 3-6 s each on JAX (a ConvLSTM, a stateful and a stateless model
# fed four batches, dropout's eager calls); the not-slow suite keeps the other six (1.5-2.5 s).
SLOW_DIRECT_CALLS = ("carry.long-range", "dropout.inference-carry", "convlstm.carry")


@pytest.mark.parametrize("target", [
    pytest.param(target, id=target,
                 marks=[pytest.mark.claim(f"workaround.{target}.direct-calls"),
                        *([pytest.mark.slow] if target in SLOW_DIRECT_CALLS else [])])
    for target in DIRECT_CALLS])
def test_path_direct_calls(built_models, models, keras, impl, check, rng, target):
    """The claim's own check (its direct-call case, on one cell) under the workaround's id:
    model(batch) batch by batch carries the state on that path as the NumPy reference does."""
    DIRECT_CALLS[target](built_models, models, keras, impl, check, rng)


# -- model resets of Bidirectional, ConvLSTM and mixed precision: walk the model -----------------
# Each claim's own model-reset case, with reset_all_states(model) in place of model.reset_states()
# (Keras 3 has none): the same preconditions (every state non-zero first) and the same verdict.
WALK_RESET = types.SimpleNamespace(
    code="reset_all_states(model)  # in place of model.reset_states()",
    run=reset_all_states, helpers=WORKAROUND_HELPERS)


def mixed_precision_walk(built_models, keras, impl, check, rng):
    with global_policy(keras, dtype_checks.POLICY):
        dtype_checks.test_mixed_precision_reset(built_models, impl, check, rng, "LSTM", "model",
                                                walk=WALK_RESET)


MODEL_RESET_WALKS = {
    "bidirectional.reset": lambda b, k, i, c, r: path_checks.test_bidirectional_reset(
        b, i, c, r, "LSTM", "model", walk=WALK_RESET),
    "convlstm.reset": lambda b, k, i, c, r: convlstm_checks.test_convlstm_reset(
        b, i, c, r, "ConvLSTM1D", "model", walk=WALK_RESET),
    "dtype.mixed-precision": mixed_precision_walk,
}


@pytest.mark.parametrize("target", [
    pytest.param(target, id=target, marks=pytest.mark.claim(f"workaround.{target}.walk-layers"))
    for target in MODEL_RESET_WALKS])
def test_model_reset_walk(built_models, models, keras, impl, check, rng, target):
    """The claim's own model-reset case (on one cell) under the workaround's id: zeros assigned
    to every state of every stateful layer found by walking the model clear them all."""
    MODEL_RESET_WALKS[target](built_models, keras, impl, check, rng)


# -- carry.across-epochs, state.same-update: the explicit-state recipe (trains on torch) ---------
_EXPLICIT = {}


def explicit_state(keras, cell, learning_rate):
    """explicit_state_models(keras, cell, BATCH_SIZE, ...), built once per cell and handed out
    with its first weights and the learning rate asked for (set on the compiled optimizer, so the
    traced train function is kept)."""
    if cell not in _EXPLICIT:
        keras.utils.set_random_seed(zlib.crc32(f"explicit state {cell}".encode()))
        layer, step, train = explicit_state_models(keras, cell, BATCH_SIZE, learning_rate)
        _EXPLICIT[cell] = (layer, step, train, layer.get_weights())
    layer, step, train, weights = _EXPLICIT[cell]
    layer.set_weights(weights)
    train.optimizer.learning_rate = learning_rate
    return layer, step, train


EPOCHS_EXPLICIT_REPRO = """
layer, step, train = explicit_state_models(keras, {cell!r}, {batch_size}, {learning_rate})
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
targets = [np.zeros(chunk.shape[:2] + (UNITS,), "float32") for chunk in chunks]
state = [np.zeros(({batch_size}, UNITS), "float32") for _ in range(state_size({cell!r}))]
watched = []
for epoch in range(2):  # two epochs, no reset in between: the state carries on
    state, epoch_watched = train_watched(impl, layer, step, train, chunks, targets, state)
    watched += epoch_watched
chunks = chunks * 2  # the NumPy carry runs over the data twice, with no reset in between
"""


# Slow: traces the train and step functions of two new models per cell (2-20 s on tf-keras and
# JAX), as workaround.carry.index-i.explicit-state.
@pytest.mark.slow
@pytest.mark.claim("workaround.carry.across-epochs.explicit-state")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_across_epochs_explicit_state(keras, impl, check, rng, cell):
    """Two epochs of training with the state as explicit inputs and outputs, carried by hand and
    not reset between them: the state fed to every step, over both epochs, is the NumPy cells'
    carried from zeros with no reset in between, every step updates the weights, and from the
    second step on (the second epoch's first included) differently than the same step from the
    zero state, which is where a reset would have started it."""
    batches, learning_rate = 2, 0.1
    check.reproduce((EPOCHS_EXPLICIT_REPRO + WATCHED_TRAINING_REPRO).format(
        cell=cell, batch_size=BATCH_SIZE, batches=batches, learning_rate=learning_rate,
        update_distinct=UPDATE_DISTINCT), extra=WATCHED_HELPERS)
    layer, step, train = explicit_state(keras, cell, learning_rate)
    chunks = rnn.batches(rng, BATCH_SIZE, batches)
    targets = [np.zeros(chunk.shape[:2] + (UNITS,), "float32") for chunk in chunks]
    state = [np.zeros((BATCH_SIZE, UNITS), "float32") for _ in range(state_size(cell))]
    watched = []
    for _ in range(2):
        state, epoch_watched = train_watched(impl, layer, step, train, chunks, targets, state)
        watched += epoch_watched
    check_watched_training(check, cell, chunks * 2, watched, state)


SAME_UPDATE_EXPLICIT_REPRO = """
weights = stateful_model(keras, {cell!r}, {batch_size}).get_weights()
rng = np.random.default_rng(0)
(x,) = batches(rng, {batch_size}, 1)
y = rng.standard_normal(({batch_size}, TIMESTEPS, UNITS)).astype("float32")
layer, step, train = explicit_state_models(keras, {cell!r}, {batch_size}, 0.1)
train.set_weights(weights)
zeros = [np.zeros(({batch_size}, UNITS), "float32") for _ in range(state_size({cell!r}))]
train.train_on_batch([x, *zeros], y)  # one SGD step from the zero state, passed explicitly
twin = stateful_model(keras, {cell!r}, {batch_size}, stateful=False)
twin.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="mse")
twin.set_weights(weights)
twin.train_on_batch(x, y)
precondition(any(np.any(a != b) for a, b in zip(twin.get_weights(), weights)), "the step changes the weights")
for k, (value, reference) in enumerate(zip(train.get_weights(), twin.get_weights())):
    expect_close(f"weight[{{k}}] after the explicit-state step, against the stateless twin", value, reference, atol=1e-5)
"""


@pytest.mark.slow
@pytest.mark.claim("workaround.state.same-update.explicit-state")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_same_update_explicit_state(keras, models, impl, check, rng, cell):
    """One SGD step from the zero state, passed as explicit inputs, updates the weights as the
    stateless twin and as the mean of the per-sample steps do."""
    check.reproduce(SAME_UPDATE_EXPLICIT_REPRO.format(cell=cell, batch_size=BATCH_SIZE),
                    extra=(explicit_state_models,))
    weights = models.model(cell, BATCH_SIZE).get_weights()
    (x,) = rnn.batches(rng, BATCH_SIZE, 1)
    y = rng.standard_normal((BATCH_SIZE, TIMESTEPS, UNITS)).astype("float32")
    _, _, train = explicit_state(keras, cell, 0.1)
    train.set_weights(weights)
    zeros = [np.zeros((BATCH_SIZE, UNITS), "float32") for _ in range(state_size(cell))]
    train.train_on_batch([x, *zeros], y)
    explicit = [np.array(w, dtype="float64") for w in train.get_weights()]
    start = [np.array(w, dtype="float64") for w in weights]
    stateless = one_sgd_step(models, cell, weights, x, y, stateful=False)
    per_sample = [one_sgd_step(models, cell, weights, x[i:i + 1], y[i:i + 1], stateful=False)
                  for i in range(BATCH_SIZE)]
    mean_of_samples = [w0 + np.mean([sample[k] - w0 for sample in per_sample], axis=0)
                       for k, w0 in enumerate(start)]
    check.precondition(max(max_difference(a, b) for a, b in zip(stateless, start)) > 0,
                       "the stateless twin's SGD step changing the weights",
                       failing="state.same-update")
    for name, expected in (("the stateless twin", stateless),
                           ("the mean of per-sample steps", mean_of_samples)):
        check.all_close("weights after one explicit-state step from zeros", explicit, expected,
                        atol=1e-5, expected_what=name)
