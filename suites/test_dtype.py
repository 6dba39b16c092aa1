"""Claims on stateful layers under mixed precision (issue 11): with the ``mixed_float16`` global
policy a stateful LSTM or GRU builds, computes in float16, carries its state from batch to batch
as the NumPy cells do (within a float16 tolerance), resets to zero and keeps the dtype of its
state through the reset.

The checks are in suites/checks/dtype.py; this module says which cases run."""

import pytest

from suites.checks import dtype, resets

SLOW = pytest.mark.slow
# Each direct call costs 1.5-2 s on JAX (its scan compiled again on every eager call): the
# not-slow suite keeps the LSTM, the full suite adds the GRU.
CELLS = ("LSTM", pytest.param("GRU", marks=SLOW))
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict",
                pytest.param("evaluate", marks=SLOW), pytest.param("train_on_batch", marks=SLOW),
                pytest.param("fit", marks=SLOW))


@pytest.mark.claim("dtype.mixed-precision")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", CELLS)
def test_mixed_precision_carry(run_check, cell, entry_point):
    run_check(dtype.mixed_precision_carry, cell=cell, entry_point=entry_point)


@pytest.mark.claim("dtype.mixed-precision")
@pytest.mark.parametrize("how", list(resets.RESETS))
@pytest.mark.parametrize("cell", CELLS)
def test_mixed_precision_reset(run_check, cell, how):
    run_check(dtype.mixed_precision_reset, cell=cell, reset=resets.RESETS[how])
