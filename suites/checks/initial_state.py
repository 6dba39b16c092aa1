"""Checks on the initial state of a stateful layer (issue 11): ``initial-state.precedence``, what an
explicit ``initial_state`` does to a stateful layer, and ``reset.custom-initial``, where a reset
returns a cell whose ``get_initial_state`` is not zero.

Both compare with the NumPy cells (``fixtures/reference_cells.py``) run from every candidate
starting state, so what each implementation does is pinned exactly, not only told apart from a
Keras twin.
"""

import numpy as np

from fixtures import reference_cells, rnn
from fixtures.verdicts import ATOL, describe, max_difference
from suites.checks.resets import reset_code

BATCH_SIZE = 3
PRECEDENCE_BATCHES = 2
STATE_DISTINCT = 1e-3  # candidates closer than this could not be told apart


# -- initial-state.precedence -----------------------------------------------------------------------

def initial_state_model(keras, cell, batch_size=BATCH_SIZE):
    """``Input(batch_shape)`` and one input per state → a stateful RNN called with
    ``initial_state=`` those inputs (the functional form of tensorflow#32299)."""
    inputs = keras.Input(batch_shape=(batch_size, rnn.TIMESTEPS, rnn.FEATURES))
    states = [keras.Input(batch_shape=(batch_size, rnn.UNITS))
              for _ in range(reference_cells.state_size(cell))]
    layer = rnn.rnn_layer(keras, cell)
    model = keras.Model([inputs, *states], layer(inputs, initial_state=states))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def feed_with_states(impl, model, chunks, starts, entry_point):
    """Batch k with the explicit initial state ``starts[k]``; the outputs of every batch."""
    if entry_point == "call":
        return [impl.to_numpy(model([chunk, *start])) for chunk, start in zip(chunks, starts)]
    if entry_point == "predict_on_batch":
        return [impl.to_numpy(model.predict_on_batch([chunk, *start]))
                for chunk, start in zip(chunks, starts)]
    stacked = [np.concatenate(parts, axis=0) for parts in zip(*starts)]
    out = model.predict([rnn.as_samples(chunks), *stacked], batch_size=len(chunks[0]), verbose=0)
    return np.split(impl.to_numpy(out), len(chunks))


def precedence_candidates(cell, weights, chunks, starts):
    """Per rule, (outputs per batch, final state): the layer starts every batch from the explicit
    state; ignores it (zeros, then what it stored); or takes it on the first batch only."""
    zeros = [np.zeros((len(chunks[0]), rnn.UNITS)) for _ in starts[0]]
    rules = {
        "the explicit initial_state (every batch)": lambda k, stored: starts[k],
        "its stored state (initial_state ignored)": lambda k, stored: stored,
        "the explicit initial_state on the first batch (its stored state still zero), "
        "then its stored state":
            lambda k, stored: starts[0] if k == 0 else stored,
    }
    found = {}
    for name, rule in rules.items():
        stored, outputs = zeros, []
        for k, chunk in enumerate(chunks):
            sequence, stored = reference_cells.run_sequence(cell, weights, chunk, rule(k, stored))
            outputs.append(sequence)
        found[name] = (outputs, stored)
    return found


def closest(observed, candidates):
    """(name, difference) of the candidate nearest ``observed`` (lists of arrays)."""
    def distance(expected):
        if len(observed) != len(expected):
            return float("inf")
        return max((max_difference(a, b) for a, b in zip(observed, expected)), default=0.0)
    return min(((name, distance(value)) for name, value in candidates.items()),
               key=lambda pair: pair[1])


def distinct(values) -> bool:
    """Every pair of candidates (lists of arrays) differs by more than STATE_DISTINCT."""
    values = list(values)
    return all(max(max_difference(a, b) for a, b in zip(values[i], values[j])) > STATE_DISTINCT
               for i in range(len(values)) for j in range(i + 1, len(values)))


def describe_stored(states, matched, finals, starts):
    """What the layer stored after the batches: the final state of the run that matched, of
    another rule, zeros, or the explicit initial_state it was given last."""
    stored = {f"the final state of the run from {name}": final for name, final in finals.items()}
    stored["zeros (nothing stored)"] = [np.zeros_like(state) for state in states]
    stored["the last explicit initial_state itself"] = starts[-1]
    name, difference = closest(states, stored)
    if difference > ATOL:
        return f"none of the candidates (nearest: {name}, off by {difference:.3g})", False
    return name.replace(f"the run from {matched}", "that run"), True


def initial_state_precedence(models, impl, check, rng, cell, entry_point):
    """An explicit initial_state given to a stateful layer: the state each batch starts from and
    the state stored afterwards, pinned against the NumPy cells from every candidate start."""
    model = models.custom(("initial_state", cell), lambda keras: initial_state_model(keras, cell))
    layer = rnn.rnn_layers(model)[0]
    chunks = rnn.batches(rng, BATCH_SIZE, PRECEDENCE_BATCHES)
    starts = [[(0.5 * rng.standard_normal((BATCH_SIZE, rnn.UNITS))).astype("float32")
               for _ in range(reference_cells.state_size(cell))] for _ in chunks]
    candidates = precedence_candidates(cell, layer.get_weights(), chunks, starts)
    if not distinct(outputs for outputs, _ in candidates.values()):  # the NumPy cells alone
        raise RuntimeError(f"candidate starting states give outputs within {STATE_DISTINCT:g} "
                           "of each other: the suite's data cannot tell them apart")
    outputs = feed_with_states(impl, model, chunks, starts, entry_point)
    matched, difference = closest(outputs, {name: value[0] for name, value in candidates.items()})
    check.that(difference <= ATOL,
               f"the outputs of {entry_point} match no candidate starting state (nearest: "
               f"{matched}, off by {difference:.3g}; {describe(outputs[-1])})",
               "outputs equal to the NumPy cells started from one candidate: "
               + "; ".join(candidates))
    stored, found = describe_stored(check.layer_states(layer), matched,
                                    {name: value[1] for name, value in candidates.items()},
                                    starts)
    check.observe(f"{entry_point}: each batch starts from {matched}; the layer then stores "
                  f"{stored}")
    check.that(found, f"after {entry_point} the layer stores {stored}",
               "the final state of a candidate run, zeros, or the explicit initial_state")


# -- reset.custom-initial ---------------------------------------------------------------------------

def initial_row(cell, k):
    """The custom cell's initial value of state ``k`` (one row; LSTM: k=0 h, k=1 c)."""
    return (0.5 - 0.25 * k + 0.1 * np.arange(rnn.UNITS)).astype("float32")


def custom_initial_cell(keras, cell):
    """A ``{cell}Cell`` whose get_initial_state is its own, non-zero one (tensorflow#42193): the
    built-in zeros plus ``initial_row(cell, k)`` for state k, on Keras 2 and 3 alike."""
    base = getattr(keras.layers, f"{cell}Cell")

    class OffsetInitialCell(base):
        def get_initial_state(self, *args, **kwargs):
            zeros = super().get_initial_state(*args, **kwargs)
            flat = list(zeros) if isinstance(zeros, (list, tuple)) else [zeros]
            ops = getattr(keras, "ops", None)  # Keras 3; tf_keras tensors add NumPy rows
            shifted = [ops.add(state, initial_row(cell, k)) if ops is not None
                       else state + initial_row(cell, k) for k, state in enumerate(flat)]
            return shifted if isinstance(zeros, (list, tuple)) else shifted[0]

    return OffsetInitialCell(rnn.UNITS)


def custom_initial_model(keras, cell, stateful=True):
    inputs = keras.Input(batch_shape=(BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES))
    layer = keras.layers.RNN(custom_initial_cell(keras, cell), stateful=stateful,
                             return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def start_of(impl, stateless, cell, chunk, starts):
    """Which candidate starting state the stateless layer's outputs on ``chunk`` come from."""
    weights = rnn.rnn_layers(stateless)[0].get_weights()
    observed = impl.to_numpy(stateless(chunk))
    runs = {name: reference_cells.run_sequence(cell, weights, chunk, start)[0]
            for name, start in starts.items()}
    name, difference = closest([observed], {name: [run] for name, run in runs.items()})
    return name, difference, observed


def reset_custom_initial(keras, models, impl, check, rng, cell, reset):
    """A cell with a non-zero get_initial_state: the stateless layer starts from it (the NumPy
    cells tell it from zeros), and a fresh layer's state and the state after ``reset(model,
    layer)`` equal it."""
    model = models.custom(("custom_initial", cell), lambda keras: custom_initial_model(keras, cell))
    layer = rnn.rnn_layers(model)[0]
    weights = model.get_weights()
    stateless = models.custom(("custom_initial_stateless", cell),
                              lambda keras: custom_initial_model(keras, cell, stateful=False))
    stateless.set_weights(weights)
    initial = [np.tile(initial_row(cell, k), (BATCH_SIZE, 1))
               for k in range(reference_cells.state_size(cell))]
    zeros = [np.zeros_like(state) for state in initial]
    chunk, later = rnn.batches(rng, BATCH_SIZE, 2)
    # 1. The stateless layer starts from get_initial_state: the non-zero start every other state
    # is compared with. Starting from zeros is the cell's get_initial_state ignored.
    name, difference, observed = start_of(impl, stateless, cell, chunk,
                                          {"get_initial_state": initial, "zeros": zeros})
    check.that(difference <= ATOL,
               f"the stateless layer's outputs match neither start (nearest: {name}, off by "
               f"{difference:.3g}; {describe(observed)})",
               "the NumPy cells from the cell's own (non-zero) get_initial_state")
    check.that(name == "get_initial_state",
               f"the stateless layer starts from zeros, not from the cell's get_initial_state "
               f"({describe(observed)})",
               "the NumPy cells from the cell's own (non-zero) get_initial_state")
    what_start = "the cell's get_initial_state (the stateless layer's start)"
    # 2. A fresh stateful layer (a newly built one, same weights).
    fresh = custom_initial_model(keras, cell)
    fresh.set_weights(weights)
    fresh_states = rnn.layer_states(impl, rnn.rnn_layers(fresh)[0])
    # 3. Move the state away from the initial one, reset it.
    model(chunk)
    before = check.layer_states(layer)
    check.same_count("state arrays after a direct call, against the initial state", before, initial)
    check.precondition(any(max_difference(s, i) > STATE_DISTINCT for s, i in zip(before, initial)),
                       "a state moved away from the initial one by a direct call, before the reset",
                       f"{[describe(state) for state in before]}", failing="state.is-memory")
    reset(model, layer)
    what_reset = reset_code(reset)
    after = rnn.layer_states(impl, layer)
    check.all_close(f"the state after {what_reset}", after, fresh_states,
                    expected_what="the state of a freshly built layer")
    check.all_close(f"the state after {what_reset}", after, initial, expected_what=what_start)
    check.all_close("the state of a freshly built layer", fresh_states, initial,
                    expected_what=what_start)
    # 4. What the user sees: the next batch after the reset reads as the stateless layer's.
    expected, _ = reference_cells.run_sequence(cell, weights[:3], later, initial)
    check.close(f"outputs of the batch after {what_reset}", impl.to_numpy(model(later)), expected,
                expected_what=f"the NumPy cells from {what_start}")
