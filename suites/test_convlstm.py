"""Claims on the stateful convolutional LSTMs (issue 11): ``ConvLSTM1D`` / ``ConvLSTM2D`` with
``stateful=True`` carry their state from batch to batch, and their reset returns it to zero.

The checks are in suites/checks/convlstm.py; this module says which cases run."""

import pytest

from suites.cases import check_cases
from suites.checks import convlstm, resets

SLOW = pytest.mark.slow
# Training entry points trace a train function per model (seconds each): slow, as elsewhere.
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict",
                pytest.param("evaluate", marks=SLOW), pytest.param("train_on_batch", marks=SLOW),
                pytest.param("fit", marks=SLOW))
# Each direct call costs 1.5-2 s on JAX: the not-slow suite keeps one layer per claim.
NAMES = ("ConvLSTM1D", pytest.param("ConvLSTM2D", marks=SLOW))


test_convlstm_carry = check_cases(convlstm.convlstm_carry, "convlstm.carry", name=NAMES,
                                  entry_point=ENTRY_POINTS)
test_convlstm_reset = check_cases(convlstm.convlstm_reset, "convlstm.reset", name=NAMES,
                                  reset=resets.RESETS)
