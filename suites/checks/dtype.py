"""Checks of stateful layers under mixed precision (issue 11): with the ``mixed_float16`` global
policy a stateful LSTM or GRU builds, computes in float16, carries its state from batch to batch
as the NumPy cells do (within a float16 tolerance), resets to zero and keeps the dtype of its
state through the reset.

Each check sets the policy for its whole run, as a user sets it once at the top of a program,
and restores the previous one after (``GlobalPolicy``), so no other check sees it. The models
are built under the policy (``models.custom``).
"""

import numpy as np

from fixtures import reference_cells, rnn
from suites.checks import resets
from suites.checks.convlstm import fill_then_reset

POLICY = "mixed_float16"
BATCH_SIZE = 3
BATCHES = 2  # one carry from batch to batch
# Two steps a batch: the state a GRU carries over five steps fades below the float16 tolerance
# (what a carry adds to the last batch's final state: 0.11 over two steps, 0.016 over five).
# Not TIMESTEPS: a script copies every constant by its name, and fixtures/rnn.py has its own.
MIXED_TIMESTEPS = 2
# float16 keeps 11 significant bits (a relative step of 1e-3): a few dozen float16 steps against
# the float64 cells on the same float16-rounded weights and inputs.
FLOAT16_ATOL = 1e-2


class GlobalPolicy:
    """The global dtype policy ``name`` inside a ``with`` block, then the previous one."""

    def __init__(self, keras, name):
        self.keras, self.name = keras, name

    def __enter__(self):
        self.previous = self.keras.mixed_precision.global_policy()
        self.keras.mixed_precision.set_global_policy(self.name)

    def __exit__(self, *exception):
        self.keras.mixed_precision.set_global_policy(self.previous)


def mixed_model(models, cell):
    """The shared pool's model, built under the policy (which the caller has set)."""
    model = models.custom(("mixed_float16", cell),
                          lambda keras: rnn.stateful_model(keras, cell, BATCH_SIZE,
                                                           timesteps=MIXED_TIMESTEPS))
    return model, rnn.rnn_layers(model)[0]


def float16(value):
    """What the float16 computation reads: the value rounded to float16."""
    return np.asarray(value, dtype=np.float16)


def check_computes_in_float16(check, layer):
    check.that(str(getattr(layer, "compute_dtype", None)) == "float16",
               f"the layer built under {POLICY} has compute_dtype "
               f"{getattr(layer, 'compute_dtype', None)}", "a layer that computes in float16")


def mixed_precision_carry(models, keras, impl, check, rng, cell, entry_point):
    """Under mixed_float16 a stateful LSTM/GRU builds, computes in float16 and carries its state
    from batch to batch as the NumPy cells (float16 tolerance)."""
    with GlobalPolicy(keras, POLICY):
        model, layer = mixed_model(models, cell)
        check_computes_in_float16(check, layer)
        chunks = rnn.batches(rng, BATCH_SIZE, BATCHES, timesteps=MIXED_TIMESTEPS)
        outputs = rnn.feed(impl, model, chunks, entry_point)
        weights = [float16(weight) for weight in layer.get_weights()]
        sequence, final = reference_cells.run_sequence(cell, weights, float16(rnn.as_streams(chunks)))
        _, last_only = reference_cells.run_sequence(cell, weights, float16(chunks[-1]))
        if not any(np.max(np.abs(a - b)) > 3 * FLOAT16_ATOL for a, b in zip(final, last_only)):
            # The NumPy cells alone: the suite's data cannot tell a carry from a fresh start.
            raise RuntimeError(f"carrying the state moves it by less than 3 x the float16 "
                               f"tolerance {FLOAT16_ATOL}: change the batches or MIXED_TIMESTEPS")
        what = f"after {BATCHES} batches of {BATCH_SIZE} through {entry_point} under {POLICY}"
        expected_what = "the NumPy cells on the float16-rounded weights and batches in time"
        check.all_close(f"state {what}", check.layer_states(layer), final, atol=FLOAT16_ATOL,
                        expected_what=expected_what)
        if outputs is not None:
            check.close(f"outputs {what}", np.concatenate(outputs, axis=1), sequence,
                        atol=FLOAT16_ATOL, expected_what=expected_what)


def mixed_precision_reset(models, keras, impl, check, rng, cell, reset):
    """Under mixed_float16 ``reset(model, layer)`` (layer.reset_states(), model.reset_states()
    where the implementation has it, or a workaround's recipe) returns the state to zero, keeps
    its dtype, and the layer then runs from zero as the NumPy cells do."""
    with GlobalPolicy(keras, POLICY):
        model, layer = mixed_model(models, cell)
        check_computes_in_float16(check, layer)
        chunk = rnn.batches(rng, BATCH_SIZE, 1, timesteps=MIXED_TIMESTEPS)[0]
        before, after = fill_then_reset(check, impl, model, layer, chunk, reset,
                                        reference_cells.state_size(cell),
                                        carry_claim="dtype.mixed-precision")
        code = resets.reset_code(reset)
        for k, state in enumerate(after):
            check.that(state.dtype == before[k].dtype,
                       f"state[{k}] is {state.dtype} after {code}, {before[k].dtype} before",
                       f"the state keeps its dtype ({before[k].dtype}) through the reset")
        again = impl.to_numpy(model(chunk))
        weights = [float16(weight) for weight in layer.get_weights()]
        sequence, _ = reference_cells.run_sequence(cell, weights, float16(chunk))
        check.close(f"outputs of the same batch after {code} under {POLICY}", again, sequence,
                    atol=FLOAT16_ATOL, expected_what="the NumPy cells from the zero state")
