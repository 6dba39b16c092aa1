"""Checks of the workarounds that need a check of their own (issue 12): a workaround whose claim's
own check can take its recipe as a parameter is that check (suites/claims.py, ``WORKAROUNDS``);
the ones here verify what the claim promises where that check cannot run the recipe (another
model, another path, training by hand), against the NumPy cells or the zero state, with the same
preconditions as the claim (the state non-zero before a reset, the carried state changing the
outputs).

The recipes themselves are suites/recipes.py: what a user writes, verbatim in the reports.
"""

import types
import zlib

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import ATOL, describe, max_difference
from suites import recipes
from suites.checks.inputs import LOSS_ATOL, LOSS_DISTINCT, run_batches
from suites.checks.resets import reset_code

BATCH_SIZE = 3
BATCHES = 3


# -- resets: walk the model --------------------------------------------------------------------
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


def nested_model_reset(keras, impl, check, rng, reset):
    """The walk over a nested model (nested model, both halves of Bidirectional, RNN over stacked
    cells) finds every stateful layer, and ``reset(model, layer)`` zeroes every state: the next
    call answers as from the zero state."""
    model, layers = nested_model(keras)
    found = recipes.stateful_layers(model)
    every_one = all(any(f is layer for f in found) for layer in layers)
    check.that(len(found) == len(layers) and every_one,
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
    reset(model, layers[0])
    code = reset_code(reset)
    after = [impl.to_numpy(v) for layer in layers for v in rnn.state_variables(layer)]
    check.same_count(f"state arrays after {code}, against before", after, before)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after {code}", state, np.zeros_like(before[k]), atol=0.0,
                    expected_what="zeros")
    check.close(f"outputs after {code}", impl.to_numpy(model(x)), first,
                expected_what="the outputs of the first call, from the zero state")


def fresh_by_direct_calls(models, impl, check, rng, cell, reset):
    """After ``reset(model, layer)`` the outputs of a direct call equal a freshly built model's
    (the NumPy cells from the zero state), the state having been carried by direct calls."""
    model = models.model(cell, BATCH_SIZE)
    chunks = rnn.batches(rng, BATCH_SIZE, 3)
    for chunk in chunks[:2]:
        model(chunk)
    layer = rnn.rnn_layers(model)[0]
    states = check.layer_states(layer)
    check.precondition(all(np.any(s) for s in states),
                       "the layer holding a non-zero state after direct calls, before the reset",
                       failing="state.is-memory")
    # The fresh model is the NumPy cells from the zero state (a freshly built model's answer).
    expected, _ = reference_cells.run_sequence(cell, model.get_weights(), chunks[2])
    carried, _ = reference_cells.run_sequence(cell, model.get_weights(), chunks[2], states)
    check.precondition(max_difference(carried, expected) > ATOL,
                       "the carried state changing the outputs before the reset",
                       failing="state.is-memory")
    reset(model, layer)
    check.close(f"outputs after {reset_code(reset)}", impl.to_numpy(model(chunks[2])), expected,
                expected_what="a freshly built model's (the NumPy cells from the zero state)")


# -- setup: the batch size in a Sequential model, whole batches ----------------------------------
def sequential_input_batch_shape(keras, impl, check, rng, cell):
    """The article's Sequential model built by sequential_with_batch_shape (keras.Input first):
    a stateful layer with a fixed batch size that carries its state as the NumPy cells."""
    model = recipes.sequential_with_batch_shape(
        keras, (BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES), [rnn.rnn_layer(keras, cell)])
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


SAMPLES = 7  # for a batch-3 model: 2 whole batches and one sample left


def stream_outputs(cell, weights, x, batch_size):
    """What a stateful layer answers to ``x`` fed in whole batches, sample by sample: sample
    j*batch_size + i continues row i of batch j-1 (the NumPy cells on the batches in time)."""
    count = len(x) // batch_size
    streams = rnn.as_streams(np.split(x[:count * batch_size], count))
    sequence, _ = reference_cells.run_sequence(cell, weights, streams)
    return np.concatenate(np.split(sequence, count, axis=1))


def whole_batches(models, impl, check, rng, cell, prepare):
    """7 samples for a batch-3 stateful model made whole batches by ``prepare(x, batch_size)``
    (trimmed to 6, padded to 9, or a tf.data dataset with drop_remainder=True): predict sees
    whole batches only and every real sample's outputs are those of the NumPy cells carrying
    the state from batch to batch."""
    how = prepare.__name__
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    x = rng.standard_normal((SAMPLES, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    fed, real = prepare(x, BATCH_SIZE)
    arrays = isinstance(fed, np.ndarray)  # else a dataset, batched already
    outputs = impl.to_numpy(model.predict(fed, batch_size=BATCH_SIZE, verbose=0) if arrays
                            else model.predict(fed, verbose=0))
    check.that(outputs.shape[0] % BATCH_SIZE == 0,
               f"{outputs.shape[0]} outputs after {how}", f"whole batches of {BATCH_SIZE} only")
    outputs = outputs[:real]
    # The padded rows are rows of their own: the real samples' outputs do not depend on them.
    whole = fed if arrays else x[:real]
    expected = stream_outputs(cell, layer.get_weights(), whole, BATCH_SIZE)[:real]
    if real <= BATCH_SIZE:  # the suite's sample count
        raise RuntimeError(f"{real} real samples: more than one batch needed (a state to carry)")
    check.close(f"outputs of the {real} real samples ({how})", outputs, expected,
                expected_what="the NumPy cells on the whole batches concatenated in time")


def whole_batches_direct_calls(models, impl, check, rng, cell, prepare):
    """7 samples for a batch-3 stateful model made whole batches by ``prepare(x, batch_size)``
    (trimmed to 6 or padded to 9) and fed by call_batch_by_batch: every batch has the fixed size
    and every real sample's outputs are those of the NumPy cells carrying the state (the
    whole-batches workaround where predict carries no state)."""
    how = prepare.__name__
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    x = rng.standard_normal((SAMPLES, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    fed, real = prepare(x, BATCH_SIZE)
    if real <= BATCH_SIZE:  # the suite's sample count
        raise RuntimeError(f"{real} real samples: more than one batch needed (a state to carry)")
    answers = [impl.to_numpy(answer) for answer in
               recipes.call_batch_by_batch(model, np.split(fed, len(fed) // BATCH_SIZE))]
    check.that(all(len(answer) == BATCH_SIZE for answer in answers),
               f"the model answered batches of {[len(answer) for answer in answers]} after {how}",
               f"whole batches of {BATCH_SIZE} only")
    outputs = np.concatenate(answers)[:real]
    expected = stream_outputs(cell, layer.get_weights(), fed, BATCH_SIZE)[:real]
    check.close(f"outputs of the {real} real samples ({how}, direct calls)", outputs, expected,
                expected_what="the NumPy cells on the whole batches concatenated in time")


# -- training with the state as explicit inputs and outputs --------------------------------------
def explicit_state(keras, cell, learning_rate):
    """explicit_state_models for the suite's tiny shapes, trained by SGD: (layer, step, train)."""
    optimizer = keras.optimizers.SGD(learning_rate=learning_rate)
    return recipes.explicit_state_models(keras, cell, BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES,
                                         rnn.UNITS, optimizer)


def train_watched(layer, step, train, chunks, targets, state):
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
        (state,), (loss,) = recipes.train_carrying_state(step, train, [chunk], [target], state)
        update = [np.asarray(w, "float64") - w0 for w, w0 in zip(layer.get_weights(), before)]
        watched.append(types.SimpleNamespace(weights=before, fed=fed, loss=loss, update=update,
                                             from_zeros=from_zeros))
    return state, watched


def numpy_carry(cell, chunks, watched):
    """The NumPy cells carried from zeros over ``chunks``, each batch with the weights its
    training step started from: the state before each batch, and the state after the last."""
    state = [np.zeros((len(chunks[0]), rnn.UNITS)) for _ in range(reference_cells.state_size(cell))]
    before = []
    for chunk, trained in zip(chunks, watched):
        before.append(state)
        _, state = reference_cells.run_sequence(cell, trained.weights, chunk, state)
    return before, state


# Two updates of one SGD(0.1) step closer than this could not be told apart from float32
# rounding: the first step and its zero-state twin (the same step) differ by 0 on the four
# built-ins; a carried state moves the update by 4e-4 to 9e-3 (seen 2026-12-07, 4 steps).
UPDATE_DISTINCT = 1e-6


def check_watched_training(check, cell, chunks, watched, state):
    """Every watched step updates the weights; from the second step on (fed the state the
    previous one left) the state fed is the NumPy carry and the update differs from the same
    step's from the zero state; the final state is the NumPy carry's."""
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


def explicit_state_training(keras, check, rng, cell):
    """Training with the state as explicit inputs and outputs (a stateless layer with
    return_state=True, initial_state as inputs, the state carried by hand): the state fed to
    every step is the NumPy cells' carried from zeros with the weights of each step, every step
    updates the weights, and from the second step on differently than the same step from the
    zero state (the carried state reaches the update)."""
    layer, step, train = explicit_state(keras, cell, learning_rate=0.1)
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES)
    targets = [np.full(chunk.shape[:2] + (rnn.UNITS,), 0.5, dtype="float32") for chunk in chunks]
    state = [np.zeros((BATCH_SIZE, rnn.UNITS), dtype="float32")
             for _ in range(reference_cells.state_size(cell))]
    state, watched = train_watched(layer, step, train, chunks, targets, state)
    check_watched_training(check, cell, chunks, watched, state)


def across_epochs_explicit_state(keras, check, rng, cell):
    """Two epochs of training with the state as explicit inputs and outputs, carried by hand and
    not reset between them: the state fed to every step, over both epochs, is the NumPy cells'
    carried from zeros with no reset in between, every step updates the weights, and from the
    second step on (the second epoch's first included) differently than the same step from the
    zero state, which is where a reset would have started it."""
    keras.utils.set_random_seed(zlib.crc32(f"explicit state {cell}".encode()))
    layer, step, train = explicit_state(keras, cell, learning_rate=0.1)
    chunks = rnn.batches(rng, BATCH_SIZE, 2)
    targets = [np.zeros(chunk.shape[:2] + (rnn.UNITS,), "float32") for chunk in chunks]
    state = [np.zeros((BATCH_SIZE, rnn.UNITS), "float32")
             for _ in range(reference_cells.state_size(cell))]
    watched = []
    for _ in range(2):
        state, epoch_watched = train_watched(layer, step, train, chunks, targets, state)
        watched += epoch_watched
    check_watched_training(check, cell, chunks * 2, watched, state)


def explicit_state_sgd_step(models, cell, weights, x, y):
    """state.same-update's step (suites/checks/state.py ``same_update``) taken by the
    explicit-state recipe: the weights after one SGD(0.1) train_on_batch of explicit_state_models
    from the zero state, passed as inputs."""
    keras = models.keras
    keras.utils.set_random_seed(zlib.crc32(f"explicit state {cell}".encode()))
    _, _, train = explicit_state(keras, cell, learning_rate=0.1)
    train.set_weights(weights)
    zeros = [np.zeros((len(x), rnn.UNITS), "float32")
             for _ in range(reference_cells.state_size(cell))]
    train.train_on_batch([x, *zeros], y)
    return [np.array(w, dtype="float64") for w in train.get_weights()]


def train_explicit_state(keras, x, y, streams, timesteps, epochs, units=16):
    """learn.cross-batch's training (suites/checks/learn.py ``cross_batch``) by the explicit-state
    recipe: LSTM(16) -> Dense(1), Adam(0.01), the state back to zeros at each epoch, as the
    original recipe's reset. Returns the test MSE of the last step of every sample after the
    first batch, with the state carried, and with the state zeroed before every batch."""
    keras.utils.set_random_seed(11)
    _, step, train = recipes.explicit_state_models(
        keras, "LSTM", streams, timesteps, 1, units, keras.optimizers.Adam(learning_rate=0.01),
        head=lambda sequence: keras.layers.Dense(1)(sequence))
    zeros = [np.zeros((streams, units), "float32") for _ in range(2)]
    count = len(x) // streams
    batches = [x[j * streams:(j + 1) * streams] for j in range(count)]
    targets = [y[j * streams:(j + 1) * streams] for j in range(count)]
    for _ in range(epochs):
        recipes.train_carrying_state(step, train, batches, targets, zeros)

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


# -- validation apart from the training state ---------------------------------------------------
VALIDATION_TRAIN_BATCHES = 2


def separate_validation_training(keras, models, impl, check, rng, cell):
    """fit with the separate_validation callback in place of validation_data (7 validation
    samples for a batch-3 model): each epoch trains from the state the previous one left, each
    validation runs from zeros over the whole batches only, and fit leaves the training state,
    all against the NumPy cells."""
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    train = rnn.batches(rng, BATCH_SIZE, VALIDATION_TRAIN_BATCHES)
    x_val = rng.standard_normal((SAMPLES, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    validation = recipes.separate_validation(
        keras, x_val, np.zeros(x_val.shape[:2] + (rnn.UNITS,), "float32"), BATCH_SIZE)
    x = rnn.as_samples(train)
    history = model.fit(x, np.zeros(x.shape[:2] + (rnn.UNITS,), "float32"), batch_size=BATCH_SIZE,
                        epochs=2, shuffle=False, verbose=0, callbacks=[validation]).history
    weights = layer.get_weights()
    count = SAMPLES // BATCH_SIZE
    whole = np.split(x_val[:count * BATCH_SIZE], count)
    loss_1, after_1 = run_batches(cell, weights, train, None)
    loss_2, after_2 = run_batches(cell, weights, train, after_1)
    val_loss, after_validation = run_batches(cell, weights, whole, None)
    # What the workaround must be told apart from: nothing carried, validation continuing from
    # the training state, the next epoch continuing from the state validation left.
    # The NumPy cells alone: the suite's data must tell these apart.
    for apart, what in (
            (abs(loss_1 - run_batches(cell, weights, train, None, carry=False)[0]) > LOSS_DISTINCT,
             "carrying the state from batch to batch changing the training loss"),
            (abs(val_loss - run_batches(cell, weights, whole, after_1)[0]) > LOSS_DISTINCT,
             "the training state changing the validation loss (so that a validation from zeros "
             "can be told apart)"),
            (abs(loss_2 - run_batches(cell, weights, train, after_validation)[0]) > LOSS_DISTINCT,
             "the state validation leaves changing the next epoch's loss (so that putting the "
             "training state back can be told apart)")):
        if not apart:
            raise RuntimeError(f"the suite's data does not show {what} (by {LOSS_DISTINCT:g})")
    check.close("epoch 1 training loss", history["loss"][0], loss_1, atol=LOSS_ATOL,
                expected_what="the NumPy cells from zeros, carried from batch to batch")
    check.close("epoch 2 training loss", history["loss"][1], loss_2, atol=LOSS_ATOL,
                expected_what="the NumPy cells from the state epoch 1 left (validation put it "
                              "back)")
    check.all_close("validation losses", validation.val_losses, [val_loss, val_loss],
                    atol=LOSS_ATOL, expected_what=f"the NumPy cells from zeros over the {count} "
                                                  "whole validation batches")
    check.all_close("layer.states after fit", check.layer_states(layer), after_2,
                    expected_what="the state the last training epoch left")
