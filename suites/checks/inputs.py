"""Checks on how a stateful model is fed beyond NumPy arrays (issue 11): ``carry.validation``,
where ``fit(validation_data=...)`` leaves the state, and ``carry.input-pipeline``, ``tf.data``,
``PyDataset`` and generators against the NumPy cells; ``carry.validation.isolated``, that
validation neither starts from the training state nor leaves its own to training.

The validation observation reads the state off the losses ``fit`` reports: with SGD at a zero
learning rate and zero targets each epoch's loss and val_loss are the mean square of outputs the
NumPy cells give from one candidate starting state, so which state training and validation
started from is pinned exactly, epoch by epoch, and the state left after ``fit`` as well.
"""

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import ATOL, describe
from suites.checks.initial_state import closest
from suites.checks.setup import refused

BATCH_SIZE = 3
TRAIN_BATCHES = 2
VALIDATION_BATCHES = 2
LOSS_ATOL = 1e-6  # a mean of float32 squares against the float64 reference (seen: < 5e-8)
LOSS_DISTINCT = 1e-5   # candidate losses closer than this could not be told apart


# -- carry.validation -------------------------------------------------------------------------------

def run_batches(cell, weights, chunks, start, carry=True):
    """The NumPy cells over consecutive batches from ``start`` (None: zeros), carrying from batch
    to batch, or, ``carry=False``, every batch from zeros. (mean square output, final state)."""
    squares, state = [], start
    for chunk in chunks:
        sequence, state = reference_cells.run_sequence(cell, weights, chunk,
                                                       state if carry else None)
        squares.append(np.mean(sequence ** 2))
    return float(np.mean(squares)), state


def match_loss(what, observed, candidates):
    """The candidate (name → (loss, final state)) whose loss is ``observed``, or None (the check
    then fails); whether that nearest candidate stands apart from every other one; a note."""
    name, difference = min(((name, abs(observed - loss)) for name, (loss, _) in candidates.items()),
                           key=lambda pair: pair[1])
    nearest = candidates[name][0]
    apart = all(abs(nearest - loss) > LOSS_DISTINCT for other, (loss, _) in candidates.items()
                if other != name)
    return (name if difference <= LOSS_ATOL else None), apart, \
        f"{what}: loss {observed:.6g}, nearest {name} ({nearest:.6g})"


def validation_candidates(cell, weights, chunks, start):
    return {
        "the state training left, carried on": run_batches(cell, weights, chunks, start),
        "zeros, carried on": run_batches(cell, weights, chunks, None),
        "zeros at every batch (nothing carried)": run_batches(cell, weights, chunks, None, False),
    }


def training_candidates(cell, weights, chunks, after_validation, after_training):
    return {
        "the state validation left": run_batches(cell, weights, chunks, after_validation),
        "the state training left (validation did not touch it)":
            run_batches(cell, weights, chunks, after_training),
        "zeros, carried on": run_batches(cell, weights, chunks, None),
        "zeros at every batch (nothing carried)": run_batches(cell, weights, chunks, None, False),
    }


def validation_route(models, impl, rng, cell):
    """fit(validation_data=..., epochs=2) on the shared model: which candidate state each epoch's
    training and validation started from, and which state layer.states holds after fit, read
    off the losses and layer.states against the NumPy cells from every candidate.

    Returns the steps matched, as (what, candidate), and the notes of those that matched none
    (each step reads the state the one before left, so matching stops at the first miss)."""
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    train = rnn.batches(rng, BATCH_SIZE, TRAIN_BATCHES)
    validation = rnn.batches(rng, BATCH_SIZE, VALIDATION_BATCHES)
    history = model.fit(rnn.as_samples(train), rnn.targets_like(model, TRAIN_BATCHES),
                        validation_data=(rnn.as_samples(validation),
                                         rnn.targets_like(model, VALIDATION_BATCHES)),
                        batch_size=BATCH_SIZE, epochs=2, shuffle=False, verbose=0).history
    weights = layer.get_weights()
    seen, unmatched = [], []

    def pick(what, observed, candidates):
        name, apart, nearest = match_loss(what, observed, candidates)
        if name is None:
            unmatched.append(nearest)
            return None
        if not apart:  # the NumPy cells alone: the suite's data cannot tell the candidates apart
            raise RuntimeError(f"{what}: candidate losses within {LOSS_DISTINCT:g} of each other "
                               f"({nearest})")
        seen.append((what, name))
        return candidates[name][1]

    # Epoch 1: training from the fresh (zero) state, carried or not.
    after_training = pick("epoch 1 training", float(history["loss"][0]), {
        "zeros, carried on": run_batches(cell, weights, train, None),
        "zeros at every batch (nothing carried)": run_batches(cell, weights, train, None, False)})
    if not unmatched:
        after_validation = pick("epoch 1 validation", float(history["val_loss"][0]),
                                validation_candidates(cell, weights, validation, after_training))
    if not unmatched:
        after_training = pick("epoch 2 training", float(history["loss"][1]),
                              training_candidates(cell, weights, train, after_validation,
                                                  after_training))
    if not unmatched:
        after_validation = pick("epoch 2 validation", float(history["val_loss"][1]),
                                validation_candidates(cell, weights, validation, after_training))
    states = [np.asarray(state) for state in rnn.layer_states(impl, layer)]
    if not unmatched:
        stored = {"the state its last validation left": after_validation,
                  "the state its last training epoch left": after_training,
                  "zeros": [np.zeros_like(state) for state in states]}
        name, difference = closest(states, stored)
        if difference <= ATOL:
            seen.append(("after fit layer.states", name))
        else:
            unmatched.append(f"layer.states after fit: nearest {name}, off by {difference:.3g}")
    return seen, unmatched


def route_steps(seen) -> list[str]:
    return [f"{what} holds {name}" if what.startswith("after fit") else f"{what} from {name}"
            for what, name in seen]


def validation_state(models, impl, check, rng, cell):
    """fit(validation_data=..., epochs=2): which state validation starts from, which state the
    next epoch starts from and which state fit leaves, read off the losses and layer.states
    against the NumPy cells from every candidate."""
    seen, unmatched = validation_route(models, impl, rng, cell)
    check.observe("; ".join(route_steps(seen) + [f"unmatched: {text}" for text in unmatched]))
    check.that(not unmatched,
               f"fit with validation_data: {'; '.join(unmatched)} "
               f"(matched: {'; '.join(route_steps(seen))})",
               "every loss, val_loss and the state after fit equal to the NumPy cells from one "
               "candidate starting state")


# The candidates that mean validation and training share one state.
LEAKS = {
    "epoch 1 validation": "the state training left, carried on",
    "epoch 2 training": "the state validation left",
    "epoch 2 validation": "the state training left, carried on",
    "after fit layer.states": "the state its last validation left",
}


def validation_isolated(models, impl, check, rng, cell):
    """fit(validation_data=..., epochs=2): validation does not start from the state training
    left, and neither the next epoch nor the state fit leaves is the state validation left."""
    seen, unmatched = validation_route(models, impl, rng, cell)
    check.precondition(not unmatched, "every loss, val_loss and the state after fit matching "
                       "the NumPy cells from one candidate start (carry.validation's check)",
                       "; ".join(unmatched), failing="carry.validation")
    training = dict(seen)["epoch 1 training"]
    check.precondition(training == "zeros, carried on",
                       "fit carrying the state from batch to batch, so that there is a training "
                       "state for validation to use", f"epoch 1 training from {training}",
                       failing="carry.index-i")
    route = "; ".join(route_steps(seen))
    check.observe(route)
    leaks = [step for step, (what, name) in zip(route_steps(seen), seen) if LEAKS.get(what) == name]
    check.that(not leaks, f"validation shares the training state: {'; '.join(leaks)} "
               f"(the whole route: {route})",
               "validation from a state of its own (not the training state), the next epoch and "
               "the state after fit from the training state or zeros (not validation's)")


# Validation batches of another size than the model's fixed one: a remainder (4 samples in
# batches of 3) and validation_batch_size=2 (keras-team/keras#9036).
OTHER_VALIDATION = {"remainder": (4, None), "validation_batch_size": (6, 2)}


def validation_other_batch_size(keras, impl, check, rng, cell, how, keras_version):
    """A validation batch of another size than the fixed one is refused with the release's
    batch-size refusal; another error is not that refusal."""
    samples, validation_batch_size = OTHER_VALIDATION[how]
    given = validation_batch_size or samples % BATCH_SIZE
    model = rnn.stateful_model(keras, cell, BATCH_SIZE)  # its own: a wrong batch may break it
    x = rng.standard_normal((2 * BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    x_val = rng.standard_normal((samples, rnn.TIMESTEPS, rnn.FEATURES)).astype("float32")
    zeros = lambda a: np.zeros(a.shape[:2] + (rnn.UNITS,), "float32")  # noqa: E731
    try:
        history = model.fit(x, zeros(x), validation_data=(x_val, zeros(x_val)),
                            batch_size=BATCH_SIZE, validation_batch_size=validation_batch_size,
                            shuffle=False, verbose=0)
    except Exception as error:  # the documented behaviour, if it is the batch-size refusal
        refused(check, error, keras_version, BATCH_SIZE, given)
        return
    check.fail(f"{samples} validation samples in batches of {validation_batch_size or BATCH_SIZE} "
               f"on a batch-{BATCH_SIZE} stateful model were accepted silently: "
               f"val_loss {history.history.get('val_loss')}",
               f"an error: the batch size is fixed at {BATCH_SIZE}")


# -- carry.input-pipeline ---------------------------------------------------------------------------

def make_source(keras, source, chunks, targets=None):
    """The batches ``chunks`` (with ``targets`` per batch, if given) as a tf.data.Dataset, a
    PyDataset (keras.utils.Sequence on Keras 2) or a Python generator, batches in order."""
    # A generator must yield tuples, (inputs,) without targets; the others take bare arrays.
    if targets is not None:
        items = list(zip(chunks, targets))
    else:
        items = [(chunk,) for chunk in chunks] if source == "generator" else list(chunks)
    if source == "tf.data":
        import tensorflow as tf
        if targets is None:
            return tf.data.Dataset.from_tensor_slices(np.concatenate(chunks)).batch(len(chunks[0]))
        return tf.data.Dataset.from_tensor_slices(
            (np.concatenate(chunks), np.concatenate(targets))).batch(len(chunks[0]))
    if source == "PyDataset":
        base = getattr(keras.utils, "PyDataset", None) or keras.utils.Sequence

        class Batches(base):
            def __init__(self):
                super().__init__()

            def __len__(self):
                return len(items)

            def __getitem__(self, index):
                return items[index]

        return Batches()

    def generate():
        yield from items

    return generate()


SOURCES = ("tf.data", "PyDataset", "generator")


def input_pipeline(models, keras, impl, check, rng, cell, source, entry_point):
    """Batches from a tf.data.Dataset, a PyDataset or a generator carry the state exactly as the
    NumPy cells on the batches in order (as NumPy arrays do)."""
    model = models.model(cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, BATCH_SIZE, 3)
    targets = [np.zeros(chunk.shape[:2] + (rnn.UNITS,), "float32") for chunk in chunks]
    outputs = None
    if entry_point == "predict":
        outputs = impl.to_numpy(model.predict(make_source(keras, source, chunks), verbose=0))
    elif entry_point == "evaluate":
        model.evaluate(make_source(keras, source, chunks, targets), verbose=0)
    else:
        model.fit(make_source(keras, source, chunks, targets), epochs=1, shuffle=False, verbose=0)
    sequence, final = reference_cells.run_sequence(cell, layer.get_weights(),
                                                   rnn.as_streams(chunks))
    what = f"after 3 batches of {BATCH_SIZE} from a {source} through {entry_point}"
    expected_what = "the NumPy cells on the batches in order, concatenated in time"
    check.all_close(f"state {what}", check.layer_states(layer), final,
                    expected_what=expected_what)
    if outputs is not None:
        check.that(outputs.shape[0] == 3 * BATCH_SIZE,
                   f"predict returned {describe(outputs)}", f"{3 * BATCH_SIZE} rows")
        check.close(f"outputs {what}", np.concatenate(np.split(outputs, 3), axis=1), sequence,
                    expected_what=expected_what)
