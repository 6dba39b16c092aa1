"""Claims on stateful layers under mixed precision (issue 11): with the ``mixed_float16`` global
policy a stateful LSTM or GRU builds, computes in float16, carries its state from batch to batch
as the NumPy cells do (within a float16 tolerance), resets to zero and keeps the dtype of its
state through the reset.

The checks are in suites/checks/dtype.py; this module says which cases run."""

import pytest

from suites.cases import check_cases
from suites.checks import dtype, resets

SLOW = pytest.mark.slow
# Each direct call costs 1.5-2 s on JAX (its scan compiled again on every eager call): the
# not-slow suite keeps the LSTM, the full suite adds the GRU.
CELLS = ("LSTM", pytest.param("GRU", marks=SLOW))
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict",
                pytest.param("evaluate", marks=SLOW), pytest.param("train_on_batch", marks=SLOW),
                pytest.param("fit", marks=SLOW))


test_mixed_precision_carry = check_cases(dtype.mixed_precision_carry, "dtype.mixed-precision",
                                         cell=CELLS, entry_point=ENTRY_POINTS)
test_mixed_precision_reset = check_cases(dtype.mixed_precision_reset, "dtype.mixed-precision",
                                         cell=CELLS, reset=resets.RESETS)
