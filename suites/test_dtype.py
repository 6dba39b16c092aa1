"""Claims on stateful layers under mixed precision (issue 11): with the ``mixed_float16`` global
policy a stateful LSTM or GRU builds, computes in float16, carries its state from batch to batch
as the NumPy cells do (within a float16 tolerance), resets to zero and keeps the dtype of its
state through the reset.

The policy is set for the whole check, as a user sets it once at the top of a program, and the
previous policy is restored after every check (``mixed_policy``), so no other check sees it. The
models are built under the policy, once per module (``PathModels``).
"""

import numpy as np
import pytest

from fixtures import reference_cells, rnn
from suites.test_convlstm import fill_then_reset
from suites.test_paths import RESETS, PathModels, reset_code

POLICY = "mixed_float16"
# Each direct call costs 1.5-2 s on JAX (its scan compiled again on every eager call): the
# not-slow suite keeps the LSTM, the full suite adds the GRU.
CELLS = ("LSTM", pytest.param("GRU", marks=pytest.mark.slow))
BATCH_SIZE = 3
BATCHES = 2  # one carry from batch to batch
# Two steps a batch: the state a GRU carries over five steps fades below the float16 tolerance
# (what a carry adds to the last batch's final state: 0.11 over two steps, 0.016 over five).
TIMESTEPS = 2
# float16 keeps 11 significant bits (a relative step of 1e-3): a few dozen float16 steps against
# the float64 cells on the same float16-rounded weights and inputs.
FLOAT16_ATOL = 1e-2
SLOW = pytest.mark.slow
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict",
                pytest.param("evaluate", marks=SLOW), pytest.param("train_on_batch", marks=SLOW),
                pytest.param("fit", marks=SLOW))


@pytest.fixture(autouse=True)
def mixed_policy(keras):
    """The mixed_float16 global policy for the duration of one check, then the previous one."""
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(POLICY)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(previous)


@pytest.fixture(scope="module")
def mixed_models(impl, keras, models):
    # ``models`` is requested so that the suite's autouse seeding leaves TensorFlow's caches alone.
    return PathModels(impl, keras)


def mixed_model(mixed_models, cell):
    """The shared pool's model, built under the policy (``mixed_policy`` is active)."""
    model = mixed_models.get(("mixed_float16", cell),
                             lambda keras: rnn.stateful_model(keras, cell, BATCH_SIZE,
                                                                 timesteps=TIMESTEPS))
    return model, rnn.rnn_layers(model)[0]


def float16(value):
    """What the float16 computation reads: the value rounded to float16."""
    return np.asarray(value, dtype=np.float16)


def check_computes_in_float16(check, layer):
    check.that(str(getattr(layer, "compute_dtype", None)) == "float16",
               f"the layer built under {POLICY} has compute_dtype "
               f"{getattr(layer, 'compute_dtype', None)}", "a layer that computes in float16")


BUILD_REPRO = """
keras.mixed_precision.set_global_policy({policy!r})
inputs = keras.Input(batch_shape=({batch_size}, {timesteps}, FEATURES))
layer = keras.layers.{cell}(UNITS, stateful=True, return_sequences=True)
model = keras.Model(inputs, layer(inputs))
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
precondition(str(layer.compute_dtype) == "float16", f"the layer computes in float16 ({{layer.compute_dtype}})")
chunks = batches(np.random.default_rng(0), {batch_size}, {batches}, timesteps={timesteps})
# The float64 cells on the float16-rounded weights and inputs, the batches concatenated in time.
weights16 = [np.asarray(w, dtype=np.float16) for w in layer.get_weights()]
"""

CARRY_REPRO = BUILD_REPRO + """
outputs = feed(impl, model, chunks, {entry_point!r})
sequence, final = run_sequence({cell!r}, weights16, np.asarray(as_streams(chunks), dtype=np.float16))
_, last_only = run_sequence({cell!r}, weights16, np.asarray(chunks[-1], dtype=np.float16))
precondition(any(np.max(np.abs(a - b)) > 3 * {atol} for a, b in zip(final, last_only)),
             "carrying moves the state by more than 3 x the tolerance (a carry can be told from a fresh start)")
states = layer_states(impl, layer)
expect(len(states) == len(final), f"layer.states holds {{len(states)}} arrays, the cell {{len(final)}}")
for k, (state, expected) in enumerate(zip(states, final)):
    expect_close(f"state[{{k}}] after {batches} batches through {entry_point}", state, expected, atol={atol})
if outputs is not None:
    expect_close("outputs", np.concatenate(outputs, axis=1), sequence, atol={atol})
"""


@pytest.mark.claim("dtype.mixed-precision")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", CELLS)
def test_mixed_precision_carry(mixed_models, impl, check, rng, cell, entry_point):
    """Under mixed_float16 a stateful LSTM/GRU builds, computes in float16 and carries its state
    from batch to batch as the NumPy cells (float16 tolerance)."""
    check.reproduce(CARRY_REPRO.format(policy=POLICY, cell=cell, batch_size=BATCH_SIZE,
                                       batches=BATCHES, timesteps=TIMESTEPS,
                                       entry_point=entry_point, atol=FLOAT16_ATOL))
    model, layer = mixed_model(mixed_models, cell)
    check_computes_in_float16(check, layer)
    chunks = rnn.batches(rng, BATCH_SIZE, BATCHES, timesteps=TIMESTEPS)
    outputs = rnn.feed(impl, model, chunks, entry_point)
    weights = [float16(weight) for weight in layer.get_weights()]
    sequence, final = reference_cells.run_sequence(cell, weights, float16(rnn.as_streams(chunks)))
    _, last_only = reference_cells.run_sequence(cell, weights, float16(chunks[-1]))
    if not any(np.max(np.abs(a - b)) > 3 * FLOAT16_ATOL for a, b in zip(final, last_only)):
        # The NumPy cells alone: the suite's data cannot tell a carry from a fresh start.
        raise RuntimeError(f"carrying the state moves it by less than 3 x the float16 tolerance "
                           f"{FLOAT16_ATOL}: change the batches or TIMESTEPS")
    what = f"after {BATCHES} batches of {BATCH_SIZE} through {entry_point} under {POLICY}"
    expected_what = "the NumPy cells on the float16-rounded weights and batches in time"
    check.all_close(f"state {what}", check.layer_states(layer), final, atol=FLOAT16_ATOL,
                    expected_what=expected_what)
    if outputs is not None:
        check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                    atol=FLOAT16_ATOL, expected_what=expected_what)


RESET_REPRO = BUILD_REPRO + """
model(chunks[0])  # one direct call: every backend carries through it
before = layer_states(impl, layer)
precondition(all(np.any(s != 0) for s in before), "the state is non-zero before the reset")
{reset}
after = layer_states(impl, layer)
expect(len(after) == len(before), f"{{len(after)}} states after the reset, {{len(before)}} before")
for k, (state, old) in enumerate(zip(after, before)):
    expect(not np.any(state), f"state[{{k}}] is zero after the reset")
    expect(state.dtype == old.dtype, f"state[{{k}}] keeps its dtype: {{old.dtype}} before, {{state.dtype}} after")
# The layer still runs after the reset, from zero.
out = to_numpy(model(chunks[0]))
sequence, _ = run_sequence({cell!r}, weights16, np.asarray(chunks[0], dtype=np.float16))
expect_close("outputs of the first batch again after the reset", out, sequence, atol={atol})
"""


@pytest.mark.claim("dtype.mixed-precision")
@pytest.mark.parametrize("how", list(RESETS))
@pytest.mark.parametrize("cell", CELLS)
def test_mixed_precision_reset(mixed_models, impl, check, rng, cell, how, walk=None):
    """Under mixed_float16 a reset returns the state to zero, keeps its dtype, and the layer
    then runs from zero as the NumPy cells do. ``walk``: see test_paths.reset_code."""
    model, layer = mixed_model(mixed_models, cell)
    code = reset_code(how, walk)
    check.reproduce(RESET_REPRO.format(policy=POLICY, cell=cell, batch_size=BATCH_SIZE, batches=1,
                                       timesteps=TIMESTEPS, reset=code, atol=FLOAT16_ATOL),
                    extra=() if walk is None else walk.helpers)
    check_computes_in_float16(check, layer)
    chunk = rnn.batches(rng, BATCH_SIZE, 1, timesteps=TIMESTEPS)[0]
    before, after = fill_then_reset(check, impl, model, layer, chunk, how,
                                    reference_cells.state_size(cell), walk,
                                    carry_claim="dtype.mixed-precision")
    for k, state in enumerate(after):
        check.that(state.dtype == before[k].dtype,
                   f"state[{k}] is {state.dtype} after {code}, {before[k].dtype} before",
                   f"the state keeps its dtype ({before[k].dtype}) through the reset")
    again = impl.to_numpy(model(chunk))
    weights = [float16(weight) for weight in layer.get_weights()]
    sequence, _ = reference_cells.run_sequence(cell, weights, float16(chunk))
    check.close(f"outputs of the same batch after {code} under {POLICY}", again, sequence,
                atol=FLOAT16_ATOL, expected_what="the NumPy cells from the zero state")
