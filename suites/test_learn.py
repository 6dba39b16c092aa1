"""Claim ``learn.cross-batch``: a stateful LSTM learns what spans sub-sequences; a stateless one can't.

The check is in suites/checks/learn.py; this module runs it."""

import pytest

from suites.checks import learn


@pytest.mark.slow
@pytest.mark.claim("learn.cross-batch")
def test_cross_batch(run_check):
    run_check(learn.cross_batch, train=learn.stateful_and_stateless)
