"""Claims ``distribute.*``: a stateful model under data-parallel distribution over two devices.

The checks are in suites/checks/distribute.py; each case runs its model in a fresh process
(10-20 s: the backend starts again), so the not-slow suite keeps one case, predict on LSTM."""

import pytest

from fixtures import rnn
from suites.checks import distribute

CASES = [pytest.param(cell, entry_point, id=f"{cell}-{entry_point}",
                      marks=[] if (cell, entry_point) == ("LSTM", "predict")
                      else [pytest.mark.slow])
         for cell in rnn.CELLS for entry_point in ("predict", "fit")]


@pytest.mark.claim("distribute.carry")
@pytest.mark.parametrize("cell, entry_point", CASES)
def test_carry(run_check, spec_and_backend, cell, entry_point):
    run_check(distribute.carry, **spec_and_backend, cell=cell, entry_point=entry_point)
