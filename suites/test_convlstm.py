"""Claims on the stateful convolutional LSTMs (issue 11): ``ConvLSTM1D`` / ``ConvLSTM2D`` with
``stateful=True`` carry their state from batch to batch, and their reset returns it to zero.

The checks are in suites/checks/convlstm.py; this module says which cases run."""

import pytest

from suites.checks import convlstm, resets

SLOW = pytest.mark.slow
# Training entry points trace a train function per model (seconds each): slow, as elsewhere.
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict",
                pytest.param("evaluate", marks=SLOW), pytest.param("train_on_batch", marks=SLOW),
                pytest.param("fit", marks=SLOW))
# Each direct call costs 1.5-2 s on JAX: the not-slow suite keeps one layer per claim.
NAMES = ("ConvLSTM1D", pytest.param("ConvLSTM2D", marks=SLOW))


@pytest.mark.claim("convlstm.carry")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("name", NAMES)
def test_convlstm_carry(run_check, name, entry_point):
    run_check(convlstm.convlstm_carry, name=name, entry_point=entry_point)


@pytest.mark.claim("convlstm.reset")
@pytest.mark.parametrize("how", list(resets.RESETS))
@pytest.mark.parametrize("name", NAMES)
def test_convlstm_reset(run_check, name, how):
    run_check(convlstm.convlstm_reset, name=name, reset=resets.RESETS[how])
