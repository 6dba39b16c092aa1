"""Checks of the stateful paths users take beyond the article (issue 11): ``unroll``,
``go_backwards``, ``RNN([cell, cell])``, compile modes, dropout, ``steps_per_execution``,
``Bidirectional`` and masking.

Every case feeds BATCHES consecutive batches and compares what the layers carry with the NumPy
cells (``fixtures/reference_cells.py``) run on the batches concatenated in time. The models carry
layer or compile options the pool's ``model`` does not build, so they come from
``models.custom`` (the pool's own model is used where its compile settings are the ones asked).
"""

import numpy as np

from fixtures import reference_cells, rnn
from suites.checks import resets

BATCH_SIZE = 3
BATCHES = 3


def option_model(keras, cell, batch_size=BATCH_SIZE, layer_options=(), compile_options=()):
    """``Input(batch_shape)`` → one stateful RNN with ``layer_options``, compiled with SGD(lr=0)."""
    inputs = keras.Input(batch_shape=(batch_size, rnn.TIMESTEPS, rnn.FEATURES))
    outputs = rnn.rnn_layer(keras, cell, **dict(layer_options))(inputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse",
                  **dict(compile_options))
    return model


def built(models, cell, layer_options=(), compile_options=()):
    key = ("option_model", cell, tuple(layer_options), tuple(compile_options))
    return models.custom(key, lambda keras: option_model(keras, cell, BATCH_SIZE, layer_options,
                                                         compile_options))


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


def unroll(models, impl, check, rng, cell, entry_point):
    """unroll=True carries from batch to batch exactly as the NumPy cells (and unroll=False)."""
    options = (("unroll", True),)
    model = built(models, cell, options)
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                "unroll=True")


def go_backwards(models, impl, check, rng, cell, entry_point):
    """go_backwards=True: each batch is read backwards and the state carries to the next batch."""
    options = (("go_backwards", True),)
    model = built(models, cell, options)
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                "go_backwards=True", backwards=True)


def stacked_cells_model(keras, cell):
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    cells = [getattr(keras.layers, f"{cell}Cell")(rnn.UNITS) for _ in range(2)]
    layer = keras.layers.RNN(cells, stateful=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def stacked_cells(models, impl, check, rng, cell, entry_point, reset=resets.layer_reset_states):
    """RNN([cell, cell], stateful=True) carries each cell's state; ``reset(model, layer)`` (its
    reset_states(), or a workaround's recipe) zeroes all of them."""
    model = models.custom(("stacked_cells", cell), lambda keras: stacked_cells_model(keras, cell))
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
    reset(model, layer)
    after = rnn.layer_states(impl, layer)
    check.same_count("states after the reset", after, final)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after {resets.reset_code(reset)}", state, np.zeros_like(final[k]),
                    atol=0.0, expected_what="zeros (the fresh state)")


COMPILE_MODES = {
    "jit_compile": (("jit_compile", True),),
    "no_jit": (("jit_compile", False),),
    "run_eagerly": (("run_eagerly", True),),
}


def compiled_as(model, options):
    """The model's own resolved compile settings are ``options`` (``jit_compile="auto"``, the
    default, resolves per backend: the shared models are used where they match)."""
    return all(getattr(model, name, None) is value for name, value in options)


def compiled_vs_eager(models, impl, check, rng, cell, mode, entry_point):
    """jit_compile=True, jit_compile=False and run_eagerly=True carry the same state, exactly as
    the NumPy cells (so the three modes agree with each other)."""
    options = COMPILE_MODES[mode]
    model = models.model(cell, BATCH_SIZE)
    if not compiled_as(model, options):  # the shared model is compiled otherwise: build one
        model = built(models, cell, compile_options=options)
    check.that(compiled_as(model, options), f"the model compiled with {dict(options)} reports "
               f"jit_compile={getattr(model, 'jit_compile', None)}, "
               f"run_eagerly={getattr(model, 'run_eagerly', None)}", f"{dict(options)}")
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                f"compile({options[0][0]}={options[0][1]})")


DROPOUT = (("dropout", 0.5), ("recurrent_dropout", 0.5))


def dropout_inference_carry(models, impl, check, rng, cell, entry_point):
    """With dropout and recurrent_dropout set, inference carries exactly as the NumPy cells (no
    unit dropped); a training step runs and leaves a non-zero, finite state behind."""
    model = built(models, cell, DROPOUT)
    layer = rnn.rnn_layers(model)[0]
    if entry_point != "train_on_batch":
        check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                    "dropout=0.5, recurrent_dropout=0.5")
        return
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


def steps_per_execution(models, impl, check, rng, cell, entry_point):
    """compile(steps_per_execution=2) over 3 batches (the last execution partial) carries
    exactly as the NumPy cells, as steps_per_execution=1 does."""
    options = (("steps_per_execution", STEPS_PER_EXECUTION),)
    model = built(models, cell, compile_options=options)
    check_carry(check, impl, model, rnn.batches(rng, BATCH_SIZE, BATCHES), entry_point, cell,
                f"steps_per_execution={STEPS_PER_EXECUTION}")


def bidirectional_model(keras, cell):
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    layer = keras.layers.Bidirectional(rnn.rnn_layer(keras, cell))
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def bidirectional(models, cell):
    model = models.custom(("bidirectional", cell), lambda keras: bidirectional_model(keras, cell))
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


def bidirectional_carry(models, impl, check, rng, cell, entry_point):
    """Both halves of Bidirectional(stateful) carry: the forward half continues in time, the
    backward half continues from where it stopped, the first step of the previous batch, into
    the last step of the next batch."""
    model, layer = bidirectional(models, cell)
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


def bidirectional_reset(models, impl, check, rng, cell, reset):
    """``reset(model, layer)`` on the Bidirectional layer (its ``reset_states()``, the model's
    where the implementation has it, or a workaround's recipe) returns both halves' states to
    zero."""
    model, layer = bidirectional(models, cell)
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
    reset(model, layer)
    after = [state for half in halves for state in rnn.layer_states(impl, half)]
    check.same_count("states of both halves after the reset", after, before)
    for k, state in enumerate(after):
        check.close(f"state[{k}] (forward, then backward) after {resets.reset_code(reset)}", state,
                    np.zeros_like(before[k]), atol=0.0, expected_what="zeros")


# Steps masked (all features zero, Masking(mask_value=0.0)): row 0 none, row 1 steps 1 and 3 of
# the second batch, row 2 the whole second batch.
MASKED = {1: {1: (1, 3)}, 2: {1: tuple(range(rnn.TIMESTEPS))}}


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


def mask_keeps_state(models, impl, check, rng, cell, entry_point):
    """A masked step leaves the state as it was; a row whose whole batch is masked keeps its
    state into the next batch; what that row outputs is recorded."""
    model = models.custom(("masked", cell), lambda keras: masked_model(keras, cell))
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
