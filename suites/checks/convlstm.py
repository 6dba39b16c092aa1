"""Checks of the stateful convolutional LSTMs (issue 11): ``ConvLSTM1D`` / ``ConvLSTM2D`` with
``stateful=True`` carry their state from batch to batch, and their reset returns it to zero.

Every carry case feeds BATCHES consecutive batches through one entry point and compares the
layer's state and outputs with the NumPy ConvLSTM (``fixtures/reference_convlstm.py``) run on the
batches concatenated in time. The models come from ``models.custom``, handed out with their
first weights and zero states.
"""

import numpy as np

from fixtures import reference_convlstm, rnn
from fixtures.backends import backend_tensor
from suites.checks import resets

BATCH_SIZE = 2
# Two batches: one carry from batch to batch. Each direct call costs 1.5-2 s on JAX (the RNN's
# scan is compiled again on every eager call), so the not-slow suite keeps one layer per claim.
BATCHES = 2
# Not TIMESTEPS: a script copies every constant by its name, and fixtures/rnn.py has its own.
CONVLSTM_TIMESTEPS = 3
CHANNELS = 2
FILTERS = 2
# The layers under test: spatial shape of one step, kernel size and padding. ConvLSTM1D pads its
# input convolution "valid" (the state is narrower than the input, while the recurrent
# convolution is always "same"); ConvLSTM2D pads "same", the case of tensorflow#48863.
LAYERS = {
    "ConvLSTM1D": dict(spatial=(6,), kernel_size=3, padding="valid"),
    "ConvLSTM2D": dict(spatial=(4, 4), kernel_size=(3, 3), padding="same"),
}


def convlstm_model(keras, name):
    """``Input(batch_shape)`` → one stateful ConvLSTM (sequences out), compiled with SGD(lr=0)."""
    spec = LAYERS[name]
    inputs = keras.Input(batch_shape=(BATCH_SIZE, CONVLSTM_TIMESTEPS, *spec["spatial"], CHANNELS))
    layer = getattr(keras.layers, name)(FILTERS, spec["kernel_size"], padding=spec["padding"],
                                        stateful=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def built(models, name):
    model = models.custom(("convlstm", name), lambda keras: convlstm_model(keras, name))
    return model, rnn.rnn_layers(model)[0]


def convlstm_batches(rng, name, count=BATCHES):
    """``count`` consecutive batches; row i of batch j+1 continues row i of batch j."""
    shape = (BATCH_SIZE, CONVLSTM_TIMESTEPS, *LAYERS[name]["spatial"], CHANNELS)
    return [rng.standard_normal(shape).astype("float32") for _ in range(count)]


def reference_activation(check, keras, impl, layer):
    """The name of the layer's recurrent activation, once the NumPy one of that name is seen to
    equal it (the defaults differ: sigmoid in Keras 3, Keras 2's hard_sigmoid in tf_keras)."""
    name = layer.get_config()["recurrent_activation"]
    probe = np.linspace(-4.0, 4.0, 17).astype("float32")
    observed = impl.to_numpy(layer.cell.recurrent_activation(backend_tensor(keras, probe)))
    try:
        expected = reference_convlstm.recurrent_gate(name)(probe.astype("float64"))
    except ValueError as error:  # the suite's reference lacks it: nothing the layer did wrong
        raise RuntimeError(f"the NumPy ConvLSTM has no recurrent activation {name!r}: add it "
                           "to fixtures/reference_convlstm.py") from error
    check.close(f"the layer's recurrent activation {name!r} on -4..4", observed, expected,
                atol=1e-6, expected_what=f"{name!r} as defined")
    return name


def convlstm_carry(models, keras, impl, check, rng, name, entry_point):
    """ConvLSTM1D/2D(stateful=True): the state after each batch is where the next batch starts,
    exactly as the NumPy ConvLSTM run on the batches concatenated in time."""
    model, layer = built(models, name)
    activation = reference_activation(check, keras, impl, layer)
    chunks = convlstm_batches(rng, name)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    sequence, final = reference_convlstm.run_convlstm(
        layer.get_weights(), rnn.as_streams(chunks), padding=LAYERS[name]["padding"],
        recurrent_activation=activation)
    what = f"after {BATCHES} batches of {BATCH_SIZE} through {entry_point}"
    expected_what = "the NumPy ConvLSTM on the batches concatenated in time"
    states = check.layer_states(layer)
    check.all_close(f"state (h, c) {what}", states, final, expected_what=expected_what)
    if outputs is not None:
        check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                    expected_what=expected_what)


def convlstm_reset(models, impl, check, rng, name, reset):
    """``reset(model, layer)`` (layer.reset_states(), model.reset_states() where the
    implementation has it, or a workaround's recipe) returns a stateful ConvLSTM's h and c to
    zero."""
    model, layer = built(models, name)
    fill_then_reset(check, impl, model, layer, convlstm_batches(rng, name, 1)[0], reset, 2,
                    carry_claim="convlstm.carry")


def fill_then_reset(check, impl, model, layer, chunk, reset, count, *, carry_claim):
    """One direct call of ``chunk`` fills the ``count`` state arrays (all non-zero: what
    ``carry_claim`` promises), then ``reset(model, layer)`` must return every one of them to
    zero. Returns the states (before, after)."""
    model(chunk)  # one direct call: every backend carries through it
    before = check.layer_states(layer)
    check.that(len(before) == count, f"{len(before)} state arrays", f"{count} state arrays")
    check.precondition(all(np.any(state != 0) for state in before),
                       "every state array non-zero after a direct call, before the reset",
                       f"{sum(bool(np.any(s)) for s in before)} of {len(before)} non-zero",
                       failing=carry_claim)
    reset(model, layer)
    after = rnn.layer_states(impl, layer)
    check.same_count("states after the reset", after, before)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after {resets.reset_code(reset)}", state,
                    np.zeros_like(before[k]), atol=0.0, expected_what="zeros (the fresh state)")
    return before, after
