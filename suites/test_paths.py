"""Claims on the stateful paths users take beyond the article (issue 11): ``unroll``,
``go_backwards``, ``RNN([cell, cell])``, compile modes, dropout, ``steps_per_execution``,
``Bidirectional`` and masking.

Every case feeds BATCHES consecutive batches and compares what the layers carry with the NumPy
cells (``fixtures/reference_cells.py``) run on the batches concatenated in time. The models carry
layer or compile options the shared pool does not build, so they come from ``PathModels``, built
once per module (the shared pool's model is used where its compile settings are the ones asked).
"""

import zlib

import numpy as np
import pytest

from fixtures import reference_cells, rnn

BATCH_SIZE = 3
BATCHES = 3
# Training entry points trace a train function per model (1-6 s each on TensorFlow), and
# jit_compile=True compiles one per model and entry point (4-80 s each with torch.compile): slow,
# as the other training-based checks (``-m "not slow"`` leaves them out).
SLOW = pytest.mark.slow
# predict_on_batch runs the same predict function as predict, batch by batch: its cases run in
# the full suite, and the not-slow suite keeps the direct call and predict for every claim.
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict")


def recurrent_layers(model):
    """The model's RNN layers, the two halves of a Bidirectional one included."""
    found = []
    for layer in model.layers:
        if hasattr(layer, "forward_layer") and hasattr(layer, "backward_layer"):
            found += [layer.forward_layer, layer.backward_layer]
        elif layer in rnn.rnn_layers(model):
            found.append(layer)
    return found


# The layer's state as NumPy arrays, flattened (shared with other modules' checks).
state_values = rnn.layer_states


class PathModels:
    """Models with layer or compile options the shared pool does not build, built once per
    module and handed out with their first weights and every state variable assigned zeros."""

    def __init__(self, impl, keras):
        self.impl, self.keras = impl, keras
        self._built = {}

    def get(self, key, build):
        if key not in self._built:
            self.keras.utils.set_random_seed(zlib.crc32(repr(key).encode()))
            model = build(self.keras)
            self._built[key] = (model, model.get_weights())
        model, weights = self._built[key]
        model.set_weights(weights)
        for layer in recurrent_layers(model):
            for variable in rnn.state_variables(layer):
                variable.assign(np.zeros_like(self.impl.to_numpy(variable)))
        return model


@pytest.fixture(scope="module")
def path_models(impl, keras, models):
    # ``models`` is requested so that the suite's autouse seeding leaves TensorFlow's caches alone.
    return PathModels(impl, keras)


def option_model(keras, cell, batch_size=BATCH_SIZE, layer_options=(), compile_options=()):
    """``Input(batch_shape)`` → one stateful RNN with ``layer_options``, compiled with SGD(lr=0)."""
    inputs = keras.Input(batch_shape=(batch_size, rnn.TIMESTEPS, rnn.FEATURES))
    outputs = rnn.rnn_layer(keras, cell, **dict(layer_options))(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse",
                  **dict(compile_options))
    return model


def built(path_models, cell, layer_options=(), compile_options=()):
    key = ("option_model", cell, tuple(layer_options), tuple(compile_options))
    return path_models.get(key, lambda keras: option_model(keras, cell, BATCH_SIZE, layer_options,
                                                           compile_options))


# The body shared by the single-layer scripts: build with OPTIONS, feed, compare with the cells.
OPTION_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
layer = keras.layers.{cell}(UNITS, stateful=True, return_sequences=True, {layer_options})
model = keras.Model(inputs, layer(inputs))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse", {compile_options})
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
outputs = feed(impl, model, chunks, {entry_point!r})
sequence, final = run_sequence({cell!r}, layer.get_weights(), {streams})
states = layer_states(impl, layer)
expect(len(states) == len(final), f"layer.states holds {{len(states)}} arrays, the cell {{len(final)}}")
for k, (state, expected) in enumerate(zip(states, final)):
    expect_close(f"state[{{k}}] after {batches} batches through {entry_point}", state, expected)
if outputs is not None:
    expect_close("outputs", np.concatenate(outputs, axis=1), {expected_outputs})
"""

FORWARD = dict(streams="as_streams(chunks)", expected_outputs="sequence")
# go_backwards: each batch read from its last step to its first, the state carried on; the
# outputs of every batch in reading order, so the expected ones are the reference run over the
# batches each reversed, cut back into batches.
BACKWARD = dict(streams="as_streams([chunk[:, ::-1] for chunk in chunks])",
                expected_outputs="sequence")


def option_repro(cell, entry_point, layer_options=(), compile_options=(), shape=FORWARD):
    options = lambda pairs: ", ".join(f"{k}={v!r}" for k, v in pairs)  # noqa: E731
    return OPTION_REPRO.format(cell=cell, batch_size=BATCH_SIZE, batches=BATCHES,
                               entry_point=entry_point, layer_options=options(layer_options),
                               compile_options=options(compile_options), **shape)


def check_carry(check, impl, model, chunks, entry_point, cell, how, backwards=False):
    """Feed ``chunks``; the state and outputs equal the NumPy cells on the batches in time."""
    layer = rnn.rnn_layers(model)[0]
    outputs = rnn.feed(impl, model, chunks, entry_point)
    read = [chunk[:, ::-1] for chunk in chunks] if backwards else chunks
    sequence, final = reference_cells.run_sequence(cell, layer.get_weights(), rnn.as_streams(read))
    what = f"after {BATCHES} batches of {BATCH_SIZE} through {entry_point} ({how})"
    expected_what = ("the NumPy cells on the batches, each read backwards, concatenated in time"
                     if backwards else "the NumPy cells on the batches concatenated in time")
    check.all_close(f"state {what}", check.layer_states(layer), final, expected_what=expected_what)
    if outputs is not None:
        check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                    expected_what=expected_what)


@pytest.mark.claim("carry.unroll")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_unroll(path_models, impl, check, rng, cell, entry_point):
    """unroll=True carries from batch to batch exactly as the NumPy cells (and unroll=False)."""
    options = (("unroll", True),)
    check.reproduce(option_repro(cell, entry_point, options))
    model = built(path_models, cell, options)
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                "unroll=True")


@pytest.mark.claim("carry.go-backwards")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_go_backwards(path_models, impl, check, rng, cell, entry_point):
    """go_backwards=True: each batch is read backwards and the state carries to the next batch."""
    options = (("go_backwards", True),)
    check.reproduce(option_repro(cell, entry_point, options, shape=BACKWARD))
    model = built(path_models, cell, options)
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                "go_backwards=True", backwards=True)


STACKED_CELLS_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
layer = keras.layers.RNN([keras.layers.{cell}Cell(UNITS), keras.layers.{cell}Cell(UNITS)],
                         stateful=True, return_sequences=True)
model = keras.Model(inputs, layer(inputs))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
outputs = feed(impl, model, chunks, {entry_point!r})
sequence, final = run_stacked({cell!r}, layer.get_weights(), as_streams(chunks))
states = [to_numpy(s) for s in state_variables(layer)]
expect(len(states) == len(final), f"layer.states holds {{len(states)}} arrays, the two cells {{len(final)}}")
for k, (state, expected) in enumerate(zip(states, final)):
    expect_close(f"state[{{k}}] after {batches} batches through {entry_point}", state, expected)
if outputs is not None:
    expect_close("outputs", np.concatenate(outputs, axis=1), sequence)
precondition(any(np.any(s != 0) for s in states), "the states are non-zero before the reset")
layer.reset_states()
for k, state in enumerate(state_variables(layer)):
    expect(not np.any(to_numpy(state)), f"state[{{k}}] is zero after layer.reset_states()")
"""


def stacked_cells_model(keras, cell):
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    cells = [getattr(keras.layers, f"{cell}Cell")(rnn.UNITS) for _ in range(2)]
    layer = keras.layers.RNN(cells, stateful=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


@pytest.mark.claim("reset.stacked-cells")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stacked_cells(path_models, impl, check, rng, cell, entry_point):
    """RNN([cell, cell], stateful=True) carries each cell's state; its reset zeroes all of them."""
    check.reproduce(STACKED_CELLS_REPRO.format(cell=cell, batch_size=BATCH_SIZE, batches=BATCHES,
                                               entry_point=entry_point))
    model = path_models.get(("stacked_cells", cell), lambda keras: stacked_cells_model(keras, cell))
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    sequence, final = reference_cells.run_stacked(cell, layer.get_weights(), rnn.as_streams(chunks))
    what = f"after {BATCHES} batches through {entry_point}"
    expected_what = "the NumPy cells (each cell continues its own sequence)"
    states = check.layer_states(layer)
    check.all_close(f"state of both cells {what}", states, final, expected_what=expected_what)
    if outputs is not None:
        check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                    expected_what=expected_what)
    check.that(any(np.any(state != 0) for state in states),
               f"{entry_point} left every state zero before the reset", "non-zero states to reset")
    layer.reset_states()
    after = state_values(impl, layer)
    check.same_count("states after the reset", after, final)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after layer.reset_states()", state, np.zeros_like(final[k]),
                    atol=0.0, expected_what="zeros (the fresh state)")


COMPILE_MODES = {
    "jit_compile": (("jit_compile", True),),
    "no_jit": (("jit_compile", False),),
    "run_eagerly": (("run_eagerly", True),),
}
COMPILED_ENTRY_POINTS = (pytest.param("predict_on_batch", marks=SLOW), "predict",
                         pytest.param("fit", marks=SLOW))


def compiled_as(model, options):
    """The model's own resolved compile settings are ``options`` (``jit_compile="auto"``, the
    default, resolves per backend: the shared models are used where they match)."""
    return all(getattr(model, name, None) is value for name, value in options)


@pytest.mark.claim("carry.compiled-vs-eager")
@pytest.mark.parametrize("entry_point", COMPILED_ENTRY_POINTS)
@pytest.mark.parametrize("mode", [pytest.param("jit_compile", marks=SLOW), "no_jit", "run_eagerly"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_compiled_vs_eager(models, path_models, impl, check, rng, cell, mode, entry_point):
    """jit_compile=True, jit_compile=False and run_eagerly=True carry the same state, exactly as
    the NumPy cells (so the three modes agree with each other)."""
    options = COMPILE_MODES[mode]
    check.reproduce(option_repro(cell, entry_point, compile_options=options))
    model = models.model(cell, BATCH_SIZE)
    if not compiled_as(model, options):  # the shared model is compiled otherwise: build one
        model = built(path_models, cell, compile_options=options)
    check.that(compiled_as(model, options), f"the model compiled with {dict(options)} reports "
               f"jit_compile={getattr(model, 'jit_compile', None)}, "
               f"run_eagerly={getattr(model, 'run_eagerly', None)}", f"{dict(options)}")
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                f"compile({options[0][0]}={options[0][1]})")


DROPOUT = (("dropout", 0.5), ("recurrent_dropout", 0.5))

DROPOUT_TRAIN_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
layer = keras.layers.{cell}(UNITS, stateful=True, return_sequences=True, dropout=0.5, recurrent_dropout=0.5)
model = keras.Model(inputs, layer(inputs))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
chunk = batches(np.random.default_rng(0), {batch_size}, 1)[0]
loss = model.train_on_batch(chunk, np.zeros(chunk.shape[:2] + (UNITS,), dtype="float32"))
states = layer_states(impl, layer)
expect(len(states) == state_size({cell!r}), f"layer.states holds {{len(states)}} arrays")
expect(all(np.all(np.isfinite(s)) for s in states), "the state is finite after the training step")
expect(all(np.any(s != 0) for s in states), "the training step carried a non-zero state")
"""


@pytest.mark.claim("dropout.inference-carry")
@pytest.mark.parametrize("entry_point", (*ENTRY_POINTS,
                                         pytest.param("train_on_batch", marks=SLOW)))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_dropout_inference_carry(path_models, impl, check, rng, cell, entry_point):
    """With dropout and recurrent_dropout set, inference carries exactly as the NumPy cells (no
    unit dropped); a training step runs and leaves a non-zero, finite state behind."""
    model = built(path_models, cell, DROPOUT)
    layer = rnn.rnn_layers(model)[0]
    if entry_point != "train_on_batch":
        check.reproduce(option_repro(cell, entry_point, DROPOUT))
        check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                    "dropout=0.5, recurrent_dropout=0.5")
        return
    check.reproduce(DROPOUT_TRAIN_REPRO.format(cell=cell, batch_size=BATCH_SIZE))
    chunk = rnn.batches(rng, BATCH_SIZE, 1)[0]
    loss = model.train_on_batch(chunk, rnn.targets_like(model, 1))
    check.that(np.all(np.isfinite(np.asarray(loss, dtype="float64"))),
               f"train_on_batch returned the loss {loss}", "a finite loss")
    states = check.layer_states(layer)
    check.that(len(states) == reference_cells.state_size(cell), f"{len(states)} state arrays",
               f"{reference_cells.state_size(cell)} state arrays")
    check.that(all(np.all(np.isfinite(state)) for state in states),
               "the state after one training step is not finite", "a finite state")
    check.that(all(np.any(state != 0) for state in states),
               "the state is still zero after one training step with dropout "
               "(train_on_batch carried nothing)",
               "the training step carries a non-zero state to the next batch")


STEPS_PER_EXECUTION = 2  # BATCHES = 3: the last execution runs one step only
STEPS_ENTRY_POINTS = ("predict", pytest.param("evaluate", marks=SLOW),
                      pytest.param("fit", marks=SLOW))


@pytest.mark.claim("carry.steps-per-execution")
@pytest.mark.parametrize("entry_point", STEPS_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_steps_per_execution(path_models, impl, check, rng, cell, entry_point):
    """compile(steps_per_execution=2) over 3 batches (the last execution partial) carries
    exactly as the NumPy cells, as steps_per_execution=1 does."""
    options = (("steps_per_execution", STEPS_PER_EXECUTION),)
    check.reproduce(option_repro(cell, entry_point, compile_options=options))
    model = built(path_models, cell, compile_options=options)
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                f"steps_per_execution={STEPS_PER_EXECUTION}")


BIDIRECTIONAL_BUILD = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
layer = keras.layers.Bidirectional(keras.layers.{cell}(UNITS, stateful=True, return_sequences=True))
model = keras.Model(inputs, layer(inputs))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
"""

BIDIRECTIONAL_CARRY_REPRO = BIDIRECTIONAL_BUILD + """
outputs = feed(impl, model, chunks, {entry_point!r})
# The forward half reads the batches in time; the backward half reads each batch from its last
# step to its first and carries its state into the last step of the next batch.
forward, forward_final = run_sequence({cell!r}, layer.forward_layer.get_weights(), as_streams(chunks))
read = run_sequence({cell!r}, layer.backward_layer.get_weights(), as_streams([c[:, ::-1] for c in chunks]))
backward, backward_final = read
# Bidirectional puts the backward outputs of every batch back in time order.
backward = np.concatenate([b[:, ::-1] for b in np.split(backward, {batches}, axis=1)], axis=1)
for name, half, final in (("forward", layer.forward_layer, forward_final),
                          ("backward", layer.backward_layer, backward_final)):
    states = layer_states(impl, half)
    expect(len(states) == len(final), f"{{name}} half holds {{len(states)}} state arrays")
    for k, (state, expected) in enumerate(zip(states, final)):
        expect_close(f"{{name}} half state[{{k}}] after {batches} batches through {entry_point}", state, expected)
if outputs is not None:
    expect_close("outputs", np.concatenate(outputs, axis=1), np.concatenate([forward, backward], axis=-1))
"""


def bidirectional_model(keras, cell):
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    layer = keras.layers.Bidirectional(rnn.rnn_layer(keras, cell))
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def bidirectional(path_models, cell):
    model = path_models.get(("bidirectional", cell), lambda keras: bidirectional_model(keras, cell))
    layer = next(layer for layer in model.layers if hasattr(layer, "forward_layer"))
    return model, layer


def bidirectional_expected(cell, layer, chunks):
    """(outputs, forward final states, backward final states) from the NumPy cells."""
    forward, forward_final = reference_cells.run_sequence(
        cell, layer.forward_layer.get_weights(), rnn.as_streams(chunks))
    backward, backward_final = reference_cells.run_sequence(
        cell, layer.backward_layer.get_weights(), rnn.as_streams([c[:, ::-1] for c in chunks]))
    backward = np.concatenate([b[:, ::-1] for b in np.split(backward, len(chunks), axis=1)], axis=1)
    return np.concatenate([forward, backward], axis=-1), forward_final, backward_final


@pytest.mark.claim("bidirectional.carry")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_bidirectional_carry(path_models, impl, check, rng, cell, entry_point):
    """Both halves of Bidirectional(stateful) carry: the forward half continues in time, the
    backward half continues from where it stopped, the first step of the previous batch, into
    the last step of the next batch."""
    check.reproduce(BIDIRECTIONAL_CARRY_REPRO.format(cell=cell, batch_size=BATCH_SIZE,
                                                     batches=BATCHES, entry_point=entry_point))
    model, layer = bidirectional(path_models, cell)
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    expected, forward_final, backward_final = bidirectional_expected(cell, layer, chunks)
    what = f"after {BATCHES} batches through {entry_point}"
    check.all_close(f"forward half state {what}",
                    check.layer_states(layer.forward_layer, "the forward half"), forward_final,
                    expected_what="the NumPy cells on the batches in time")
    check.all_close(f"backward half state {what}",
                    check.layer_states(layer.backward_layer, "the backward half"), backward_final,
                    expected_what="the NumPy cells on the batches, each read backwards, in order")
    if outputs is not None:
        check.close(f"outputs {what}", np.concatenate(outputs, axis=1), expected,
                    expected_what="the NumPy cells (forward, then backward in time order)")


BIDIRECTIONAL_RESET_REPRO = BIDIRECTIONAL_BUILD + """
model(chunks[0])  # one direct call: every backend carries through it
halves = (layer.forward_layer, layer.backward_layer)
before = [s for half in halves for s in layer_states(impl, half)]
precondition(all(np.any(s != 0) for s in before), "every state is non-zero before the reset")
{reset}
after = [s for half in halves for s in layer_states(impl, half)]
expect(len(after) == len(before), f"{{len(after)}} states after the reset, {{len(before)}} before")
for k, state in enumerate(after):
    expect(not np.any(state), f"state[{{k}}] (forward h, c, then backward h, c) is zero after the reset")
"""
RESETS = {"layer": "layer.reset_states()", "model": "model.reset_states()"}


def reset_code(how, walk=None):
    """What the reset ``how`` is in a script; ``walk``: a workaround's reset of the whole model
    in place of model.reset_states() (``code``, ``run(model)``, ``helpers``; test_workarounds.py)."""
    return RESETS[how] if walk is None else walk.code


def apply_reset(model, layer, how, walk=None):
    if walk is not None:
        walk.run(model)
    else:
        (layer if how == "layer" else model).reset_states()


@pytest.mark.claim("bidirectional.reset")
@pytest.mark.parametrize("how", list(RESETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_bidirectional_reset(path_models, impl, check, rng, cell, how, walk=None):
    """Bidirectional.reset_states() (and model.reset_states() where the implementation has it)
    returns both halves' states to zero. ``walk``: see ``reset_code``."""
    model, layer = bidirectional(path_models, cell)
    code = reset_code(how, walk)
    check.reproduce(BIDIRECTIONAL_RESET_REPRO.format(cell=cell, batch_size=BATCH_SIZE,
                                                     batches=1, reset=code),
                    extra=() if walk is None else walk.helpers)
    model(rnn.batches(rng, BATCH_SIZE, 1)[0])  # one direct call fills all four states
    halves = (layer.forward_layer, layer.backward_layer)
    before = [state for name, half in zip(("forward", "backward"), halves)
              for state in check.layer_states(half, f"the {name} half")]
    check.that(len(before) == 2 * reference_cells.state_size(cell),
               f"{len(before)} state arrays in both halves",
               f"{reference_cells.state_size(cell)} in each half")
    check.precondition(all(np.any(state != 0) for state in before),
                       "every state of both halves non-zero after a direct call, before the reset",
                       f"{len(before)} states, {sum(bool(np.any(s)) for s in before)} non-zero",
                       failing="bidirectional.carry")
    apply_reset(model, layer, how, walk)
    after = [state for half in halves for state in state_values(impl, half)]
    check.same_count("states of both halves after the reset", after, before)
    for k, state in enumerate(after):
        check.close(f"state[{k}] (forward, then backward) after {code}", state,
                    np.zeros_like(before[k]), atol=0.0, expected_what="zeros")


# Steps masked (all features zero, Masking(mask_value=0.0)): row 0 none, row 1 steps 1 and 3 of
# the second batch, row 2 the whole second batch.
MASKED = {1: {1: (1, 3)}, 2: {1: tuple(range(rnn.TIMESTEPS))}}

MASK_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, TIMESTEPS, FEATURES))
layer = keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)
model = keras.Model(inputs, layer(keras.layers.Masking(mask_value=0.0)(inputs)))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
chunks = batches(np.random.default_rng(0), {batch_size}, {batches})
masked = {masked!r}  # row -> batch -> masked steps
for row, steps in masked.items():
    for batch, ts in steps.items():
        chunks[batch][row, list(ts)] = 0.0
outputs = feed(impl, model, chunks, {entry_point!r})
states = layer_states(impl, layer)
stream = as_streams(chunks)
for row in range({batch_size}):
    keep = [t for t in range(stream.shape[1])
            if not any(b * TIMESTEPS <= t < (b + 1) * TIMESTEPS and t - b * TIMESTEPS in ts
                       for b, ts in masked.get(row, {{}}).items())]
    _, final = run_sequence({cell!r}, layer.get_weights(), stream[row:row + 1, keep])
    for k, (state, value) in enumerate(zip(states, final)):
        expect_close(f"row {{row}} state[{{k}}] (masked steps skipped)", state[row:row + 1], value)
if outputs is not None:
    print("row 2 outputs over its masked batch:", np.round(outputs[1][2], 4).tolist())
"""


def masked_model(keras, cell):
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    masked = keras.layers.Masking(mask_value=0.0)(inputs)
    model = keras.Model(inputs, rnn.rnn_layer(keras, cell)(masked))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def check_differs(states, others, atol=1e-3):
    return any(np.max(np.abs(np.asarray(a) - np.asarray(b))) > atol for a, b in zip(states, others))


def describe_masked_outputs(outputs, sequence_before):
    """What a row outputs over a batch it has entirely masked: zeros, its last output, other."""
    if not np.any(outputs):
        return "zeros"
    if np.allclose(outputs, np.broadcast_to(sequence_before, outputs.shape), atol=1e-4):
        return "its last unmasked output, repeated"
    return f"neither zeros nor its last output (first values {np.round(outputs.reshape(-1)[:3], 4).tolist()})"


@pytest.mark.claim("mask.keeps-state")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_mask_keeps_state(path_models, impl, check, rng, cell, entry_point):
    """A masked step leaves the state as it was; a row whose whole batch is masked keeps its
    state into the next batch; what that row outputs is recorded."""
    check.reproduce(MASK_REPRO.format(cell=cell, batch_size=BATCH_SIZE, batches=BATCHES,
                                      masked=MASKED, entry_point=entry_point))
    model = path_models.get(("masked", cell), lambda keras: masked_model(keras, cell))
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    for row, steps in MASKED.items():
        for batch, masked_steps in steps.items():
            chunks[batch][row, list(masked_steps)] = 0.0
    outputs = rnn.feed(impl, model, chunks, entry_point)
    states = check.layer_states(layer)
    stream = rnn.as_streams(chunks)
    weights = layer.get_weights()
    check.that(len(states) == reference_cells.state_size(cell), f"{len(states)} state arrays",
               f"{reference_cells.state_size(cell)} state arrays")
    for row in range(BATCH_SIZE):
        skipped = {b * rnn.TIMESTEPS + t for b, ts in MASKED.get(row, {}).items() for t in ts}
        keep = [t for t in range(stream.shape[1]) if t not in skipped]
        _, final = reference_cells.run_sequence(cell, weights, stream[row:row + 1, keep])
        if skipped:
            _, unmasked = reference_cells.run_sequence(cell, weights, stream[row:row + 1])
            if not check_differs(final, unmasked):  # the NumPy cells alone: the suite's data
                raise RuntimeError(f"row {row}: reading its masked (zero) steps would not change "
                                   "the state, so skipping them cannot be told apart: change MASKED")
        for k, (state, value) in enumerate(zip(states, final)):
            check.close(f"row {row} state[{k}] after {BATCHES} batches through {entry_point} "
                        f"({len(skipped)} masked steps)", state[row:row + 1], value,
                        expected_what="the NumPy cells with the masked steps skipped")
    if outputs is not None:
        before, _ = reference_cells.run_sequence(cell, weights, chunks[0][2:3])
        check.observe(f"{entry_point}: a row whose whole batch is masked outputs "
                      + describe_masked_outputs(outputs[1][2], before[0, -1]))
