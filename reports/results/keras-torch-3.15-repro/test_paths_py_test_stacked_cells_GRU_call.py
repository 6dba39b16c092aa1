"""Reproduces reset.stacked-cells on keras-torch: suites/test_paths.py::test_stacked_cells[GRU-call]

Written by the stateful-rnn-conformance suite. Run: python THIS_FILE
Exit status 1 while the claim does not hold here, 0 once it holds.
"""
import os
import sys
import traceback
import types

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")
import keras  # noqa: E402


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))

CLAIM = 'reset.stacked-cells'
impl = types.SimpleNamespace(to_numpy=to_numpy)

# -- the NumPy reference cells (float64), copied from the suite ------------------------
_STATE_SIZES = {"LSTM": 2, "GRU": 1, "SimpleRNN": 1}


def _sigmoid(x):
    """Logistic sigmoid 1 / (1 + exp(-x)), as keras.activations.sigmoid."""
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(x, h, c, kernel, recurrent_kernel, bias):
    """One LSTM step, gates i, f, c, o, following keras/src/layers/rnn/lstm.py."""
    z = x @ kernel + h @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=-1)
    i, f, o = _sigmoid(z_i), _sigmoid(z_f), _sigmoid(z_o)
    c_new = f * c + i * np.tanh(z_c)
    h_new = o * np.tanh(c_new)
    return h_new, c_new


def gru_step(x, h, kernel, recurrent_kernel, bias):
    """One GRU step (reset_after=True, gates z, r, h), following keras/src/layers/rnn/gru.py."""
    x_z, x_r, x_h = np.split(x @ kernel + bias[0], 3, axis=-1)
    rec_z, rec_r, rec_h = np.split(h @ recurrent_kernel + bias[1], 3, axis=-1)
    z = _sigmoid(x_z + rec_z)
    r = _sigmoid(x_r + rec_r)
    hh = np.tanh(x_h + r * rec_h)
    return z * h + (1.0 - z) * hh


def simple_rnn_step(x, h, kernel, recurrent_kernel, bias):
    """One SimpleRNN step h' = tanh(xW + hU + b), following keras/src/layers/rnn/simple_rnn.py."""
    return np.tanh(x @ kernel + h @ recurrent_kernel + bias)


def state_size(cell):
    """Number of state tensors the cell carries: 2 for LSTM ([h, c]), 1 otherwise ([h])."""
    return _STATE_SIZES[cell]


def run_sequence(cell, weights, x, initial_state=None, go_backwards=False):
    """Run `cell` over x (batch, timesteps, features); return (outputs, final_state list).

    ``go_backwards=True`` reads x from its last step to its first; the outputs are in the order
    the steps were read (outputs[:, 0] after the last input step), as Keras returns them.
    """
    kernel, recurrent_kernel, bias = (np.asarray(w, dtype=np.float64) for w in weights)
    x = np.asarray(x, dtype=np.float64)
    if go_backwards:
        x = x[:, ::-1]
    batch, timesteps, _ = x.shape
    units = recurrent_kernel.shape[0]
    if initial_state is None:
        state = [np.zeros((batch, units)) for _ in range(state_size(cell))]
    else:
        state = [np.asarray(s, dtype=np.float64) for s in initial_state]
    if len(state) != state_size(cell):
        raise ValueError(f"{cell} expects {state_size(cell)} state tensors, got {len(state)}")

    outputs = np.zeros((batch, timesteps, units))
    for t in range(timesteps):
        if cell == "LSTM":
            state = list(lstm_step(x[:, t], *state, kernel, recurrent_kernel, bias))
        elif cell == "GRU":
            state = [gru_step(x[:, t], state[0], kernel, recurrent_kernel, bias)]
        elif cell == "SimpleRNN":
            state = [simple_rnn_step(x[:, t], state[0], kernel, recurrent_kernel, bias)]
        outputs[:, t] = state[0]
    return outputs, state


def run_stacked(cell, weights, x, initial_state=None):
    """``RNN([cell, cell, ...])`` (StackedRNNCells) over x: each cell reads the outputs of the one
    before it at the same step. ``weights``: the layer's get_weights(), three arrays per cell;
    ``initial_state``: every cell's state, flattened in cell order. Returns (outputs of the last
    cell, final states flattened in cell order)."""
    count = len(weights) // 3
    if count < 1 or len(weights) != 3 * count:
        raise ValueError(f"expected three weight arrays per cell, got {len(weights)}")
    size = state_size(cell)
    if initial_state is not None and len(initial_state) != size * count:
        raise ValueError(f"{count} {cell} cells expect {size * count} state tensors, "
                         f"got {len(initial_state)}")
    outputs, final = x, []
    for k in range(count):
        start = None if initial_state is None else initial_state[k * size:(k + 1) * size]
        outputs, state = run_sequence(cell, weights[3 * k:3 * k + 3], outputs, start)
        final.extend(state)
    return outputs, final


# -- the tiny models and the ways of feeding them, copied from the suite --------------
CELLS = ('LSTM', 'GRU', 'SimpleRNN')
UNITS = 4
TIMESTEPS = 5
FEATURES = 2

def rnn_layer(keras, cell, stateful=True, return_sequences=True, **kwargs):
    return getattr(keras.layers, cell)(
        UNITS, stateful=stateful, return_sequences=return_sequences, **kwargs
    )


def stateful_model(keras, cell, batch_size, layers=1, timesteps=TIMESTEPS, stateful=True):
    """``Input(batch_shape)`` → ``layers`` RNNs (sequences out), compiled with SGD(lr=0).

    A zero learning rate lets training entry points run without changing the weights, so their
    state can be compared with a forward-only reference. ``batch_size=None`` leaves the batch
    size free (only for ``stateful=False``).
    """
    inputs = keras.Input(batch_shape=(batch_size, timesteps, FEATURES))
    outputs = inputs
    for _ in range(layers):
        outputs = rnn_layer(keras, cell, stateful=stateful)(outputs)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def rnn_layers(model):
    return [layer for layer in model.layers if hasattr(layer, "states") and hasattr(layer, "cell")]


def state_variables(layer) -> list:
    """``layer.states`` flattened (``RNN([cell, cell])`` nests them per cell), Nones left out:
    empty for a layer that keeps no state (``layer.states`` None, as a stateless layer has)."""
    def flatten(value):
        if value is None:
            return []
        if isinstance(value, (list, tuple)):
            return [leaf for item in value for leaf in flatten(item)]
        return [value]
    return flatten(layer.states)


def layer_states(impl, layer) -> list[np.ndarray]:
    """The layer's current state as the user reads it: ``layer.states`` (h, c for LSTM), as
    NumPy arrays; empty when the layer keeps none."""
    return [np.array(impl.to_numpy(state), copy=True) for state in state_variables(layer)]


def stateless_twin(keras, cell, weights, timesteps=None):
    """The same cell run statelessly, returning its sequence and final state, with ``weights``."""
    inputs = keras.Input(shape=(timesteps, FEATURES))
    layer = rnn_layer(keras, cell, stateful=False, return_state=True)
    model = keras.Model(inputs, layer(inputs))
    model.set_weights(weights)
    return model


def batches(rng, batch_size, count, timesteps=TIMESTEPS):
    """``count`` consecutive batches; row i of batch j+1 continues row i of batch j."""
    return [
        rng.standard_normal((batch_size, timesteps, FEATURES)).astype("float32")
        for _ in range(count)
    ]


def as_streams(chunks):
    """Concatenate consecutive batches along time: one long sequence per row."""
    return np.concatenate(chunks, axis=1)


def as_samples(chunks):
    """Stack consecutive batches along the sample axis, the layout ``predict``/``fit`` expect."""
    return np.concatenate(chunks, axis=0)


def targets_like(model, count):
    shape = tuple(model.output.shape)
    return np.zeros((count * shape[0],) + shape[1:], dtype="float32")


def feed(impl, model, chunks, entry_point):
    """Feed consecutive batches through one entry point; returns the outputs per batch, or None."""
    keras_outputs = None
    batch_size = chunks[0].shape[0]
    if entry_point == "call":
        keras_outputs = [model(chunk) for chunk in chunks]
    elif entry_point == "predict_on_batch":
        keras_outputs = [model.predict_on_batch(chunk) for chunk in chunks]
    elif entry_point == "predict":
        out = model.predict(as_samples(chunks), batch_size=batch_size, verbose=0)
        keras_outputs = np.split(impl.to_numpy(out), len(chunks))
    elif entry_point == "evaluate":
        model.evaluate(as_samples(chunks), targets_like(model, len(chunks)), batch_size=batch_size, verbose=0)
    elif entry_point == "train_on_batch":
        for chunk in chunks:
            model.train_on_batch(chunk, targets_like(model, 1))
    elif entry_point == "fit":
        model.fit(as_samples(chunks), targets_like(model, len(chunks)), batch_size=batch_size,
                  shuffle=False, epochs=1, verbose=0)
    else:
        raise ValueError(f"unknown entry point {entry_point!r}")
    if keras_outputs is None:
        return None
    return [impl.to_numpy(out) for out in keras_outputs]



def main():
    inputs = keras.Input(batch_shape=(3, TIMESTEPS, FEATURES))
    layer = keras.layers.RNN([keras.layers.GRUCell(UNITS), keras.layers.GRUCell(UNITS)],
                             stateful=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    chunks = batches(np.random.default_rng(0), 3, 3)
    outputs = feed(impl, model, chunks, 'call')
    sequence, final = run_stacked('GRU', layer.get_weights(), as_streams(chunks))
    states = [to_numpy(s) for s in state_variables(layer)]
    expect(len(states) == len(final), f"layer.states holds {len(states)} arrays, the two cells {len(final)}")
    for k, (state, expected) in enumerate(zip(states, final)):
        expect_close(f"state[{k}] after 3 batches through call", state, expected)
    if outputs is not None:
        expect_close("outputs", np.concatenate(outputs, axis=1), sequence)
    precondition(any(np.any(s != 0) for s in states), "the states are non-zero before the reset")
    layer.reset_states()
    for k, state in enumerate(state_variables(layer)):
        expect(not np.any(to_numpy(state)), f"state[{k}] is zero after layer.reset_states()")

PROBLEMS = []


def expect(condition, what):
    print(("ok       " if condition else "WRONG    ") + what)
    if not condition:
        PROBLEMS.append(what)


def expect_close(what, observed, expected, atol=1e-4):
    observed = np.asarray(observed, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    if observed.shape != expected.shape:
        expect(False, f"{what}: shape {observed.shape}, expected {expected.shape}")
        return
    difference = float(np.max(np.abs(observed - expected), initial=0.0))
    print(f"         {what}: observed {np.round(observed.reshape(-1)[:4], 5).tolist()}, "
          f"expected {np.round(expected.reshape(-1)[:4], 5).tolist()}")
    expect(difference <= atol, f"{what}: max difference {difference:.3g} (tolerance {atol:g})")


def precondition(condition, what):
    """What must happen for the claim to be observable at all."""
    print(("ok       " if condition else "NOT MET  ") + what)
    if not condition:
        PROBLEMS.append(f"precondition not met: {what}")


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    try:
        main()
    except Exception:
        traceback.print_exc()
        print(f"REPRODUCED: {CLAIM} does not hold (the call raised)")
        sys.exit(1)
    if PROBLEMS:
        print(f"REPRODUCED: {CLAIM} does not hold ({len(PROBLEMS)} problem(s))")
        sys.exit(1)
    print(f"NOT REPRODUCED: {CLAIM} holds here")
    sys.exit(0)
