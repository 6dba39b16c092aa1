"""Claim ``learn.cross-batch``: a stateful LSTM learns what spans sub-sequences; a stateless one can't.

The check is in suites/checks/learn.py; this module runs it."""

import pytest

from suites.cases import check_cases
from suites.checks import learn


test_cross_batch = check_cases(learn.cross_batch, "learn.cross-batch", marks=[pytest.mark.slow],
                               given={"train": learn.stateful_and_stateless})
