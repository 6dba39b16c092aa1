"""Claims on the stateful convolutional LSTMs (issue 11): ``ConvLSTM1D`` / ``ConvLSTM2D`` with
``stateful=True`` carry their state from batch to batch, and their reset returns it to zero.

Every carry case feeds BATCHES consecutive batches through one entry point and compares the
layer's state and outputs with the NumPy ConvLSTM (``fixtures/reference_convlstm.py``) run on the
batches concatenated in time. The models are built once per module (``PathModels``) and handed
out with their first weights and zero states.
"""

import numpy as np
import pytest

from fixtures import reference_convlstm, rnn
from fixtures.backends import backend_tensor
from suites.test_paths import RESETS, PathModels, apply_reset, reset_code, state_values

BATCH_SIZE = 2
# Two batches: one carry from batch to batch. Each direct call costs 1.5-2 s on JAX (the RNN's
# scan is compiled again on every eager call), so the not-slow suite keeps one layer per claim.
BATCHES = 2
TIMESTEPS = 3
CHANNELS = 2
FILTERS = 2
SLOW = pytest.mark.slow
# The layers under test: spatial shape of one step, kernel size and padding. ConvLSTM1D pads its
# input convolution "valid" (the state is narrower than the input, while the recurrent
# convolution is always "same"); ConvLSTM2D pads "same", the case of tensorflow#48863.
LAYERS = {
    "ConvLSTM1D": dict(spatial=(6,), kernel_size=3, padding="valid"),
    "ConvLSTM2D": dict(spatial=(4, 4), kernel_size=(3, 3), padding="same"),
}
# Training entry points trace a train function per model (seconds each): slow, as elsewhere.
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict",
                pytest.param("evaluate", marks=SLOW), pytest.param("train_on_batch", marks=SLOW),
                pytest.param("fit", marks=SLOW))
REFERENCE = (reference_convlstm._hard_sigmoid, reference_convlstm.recurrent_gate,
             reference_convlstm._per_axis, reference_convlstm.conv,
             reference_convlstm.convlstm_step, reference_convlstm.state_shape,
             reference_convlstm.run_convlstm)


def convlstm_model(keras, name):
    """``Input(batch_shape)`` → one stateful ConvLSTM (sequences out), compiled with SGD(lr=0)."""
    spec = LAYERS[name]
    inputs = keras.Input(batch_shape=(BATCH_SIZE, TIMESTEPS, *spec["spatial"], CHANNELS))
    layer = getattr(keras.layers, name)(FILTERS, spec["kernel_size"], padding=spec["padding"],
                                        stateful=True, return_sequences=True)
    model = keras.Model(inputs, layer(inputs))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


@pytest.fixture(scope="module")
def convlstm_models(impl, keras, models):
    # ``models`` is requested so that the suite's autouse seeding leaves TensorFlow's caches alone.
    return PathModels(impl, keras)


def built(convlstm_models, name):
    model = convlstm_models.get(("convlstm", name), lambda keras: convlstm_model(keras, name))
    return model, rnn.rnn_layers(model)[0]


def convlstm_batches(rng, name, count=BATCHES):
    """``count`` consecutive batches; row i of batch j+1 continues row i of batch j."""
    shape = (BATCH_SIZE, TIMESTEPS, *LAYERS[name]["spatial"], CHANNELS)
    return [rng.standard_normal(shape).astype("float32") for _ in range(count)]


BUILD_REPRO = """
inputs = keras.Input(batch_shape=({batch_size}, {timesteps}, *{spatial!r}, {channels}))
layer = keras.layers.{name}({filters}, {kernel_size!r}, padding={padding!r}, stateful=True, return_sequences=True)
model = keras.Model(inputs, layer(inputs))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
rng = np.random.default_rng(0)
chunks = [rng.standard_normal(({batch_size}, {timesteps}, *{spatial!r}, {channels})).astype("float32")
          for _ in range({batches})]
"""

CARRY_REPRO = BUILD_REPRO + """
outputs = feed(impl, model, chunks, {entry_point!r})
# The NumPy ConvLSTM on the batches concatenated in time: what carrying the state means.
# The layer's own recurrent activation: sigmoid in Keras 3, Keras 2's hard_sigmoid in tf_keras.
activation = layer.get_config()["recurrent_activation"]
sequence, final = run_convlstm(layer.get_weights(), as_streams(chunks), padding={padding!r},
                               recurrent_activation=activation)
states = layer_states(impl, layer)
expect(len(states) == 2, f"layer.states holds {{len(states)}} arrays (h, c expected)")
for k, (state, expected) in enumerate(zip(states, final)):
    expect_close(f"state[{{k}}] after {batches} batches through {entry_point}", state, expected)
if outputs is not None:
    expect_close("outputs", np.concatenate(outputs, axis=1), sequence)
"""


def repro_fields(name, **more):
    spec = LAYERS[name]
    return dict(name=name, batch_size=BATCH_SIZE, timesteps=TIMESTEPS, spatial=spec["spatial"],
                channels=CHANNELS, filters=FILTERS, kernel_size=spec["kernel_size"],
                padding=spec["padding"], **more)


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


NAMES = ("ConvLSTM1D", pytest.param("ConvLSTM2D", marks=SLOW))


@pytest.mark.claim("convlstm.carry")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("name", NAMES)
def test_convlstm_carry(convlstm_models, keras, impl, check, rng, name, entry_point):
    """ConvLSTM1D/2D(stateful=True): the state after each batch is where the next batch starts,
    exactly as the NumPy ConvLSTM run on the batches concatenated in time."""
    check.reproduce(CARRY_REPRO.format(**repro_fields(name, batches=BATCHES,
                                                      entry_point=entry_point)),
                    extra=REFERENCE)
    model, layer = built(convlstm_models, name)
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


RESET_REPRO = BUILD_REPRO + """
model(chunks[0])  # one direct call: every backend carries through it
before = layer_states(impl, layer)
precondition(len(before) == 2 and all(np.any(s != 0) for s in before), "h and c are non-zero before the reset")
{reset}
after = layer_states(impl, layer)
expect(len(after) == len(before), f"{{len(after)}} states after the reset, {{len(before)}} before")
for k, (state, old) in enumerate(zip(after, before)):
    expect(state.shape == old.shape and not np.any(state), f"state[{{k}}] is zero, shape {{old.shape}}, after the reset")
"""


@pytest.mark.claim("convlstm.reset")
@pytest.mark.parametrize("how", list(RESETS))
@pytest.mark.parametrize("name", NAMES)
def test_convlstm_reset(convlstm_models, impl, check, rng, name, how, walk=None):
    """layer.reset_states() (and model.reset_states() where the implementation has it) returns
    a stateful ConvLSTM's h and c to zero. ``walk``: see test_paths.reset_code."""
    model, layer = built(convlstm_models, name)
    code = reset_code(how, walk)
    check.reproduce(RESET_REPRO.format(**repro_fields(name, batches=1, reset=code)),
                    extra=REFERENCE + (() if walk is None else tuple(walk.helpers)))
    fill_then_reset(check, impl, model, layer, convlstm_batches(rng, name, 1)[0], how, 2, walk,
                    carry_claim="convlstm.carry")


def fill_then_reset(check, impl, model, layer, chunk, how, count, walk=None, *, carry_claim):
    """One direct call of ``chunk`` fills the ``count`` state arrays (all non-zero: what
    ``carry_claim`` promises), then the reset ``how`` (or the workaround's ``walk``) must return
    every one of them to zero. Returns the states (before, after)."""
    code = reset_code(how, walk)
    model(chunk)  # one direct call: every backend carries through it
    before = check.layer_states(layer)
    check.that(len(before) == count, f"{len(before)} state arrays", f"{count} state arrays")
    check.precondition(all(np.any(state != 0) for state in before),
                       "every state array non-zero after a direct call, before the reset",
                       f"{sum(bool(np.any(s)) for s in before)} of {len(before)} non-zero",
                       failing=carry_claim)
    apply_reset(model, layer, how, walk)
    after = state_values(impl, layer)
    check.same_count("states after the reset", after, before)
    for k, state in enumerate(after):
        check.close(f"state[{k}] after {code}", state, np.zeros_like(before[k]),
                    atol=0.0, expected_what="zeros (the fresh state)")
    return before, after
