"""Claims ``stateless.*``: a stateless layer forgets; only a stateful one cares about batch order.

The checks are in suites/checks/stateless.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.checks import stateless


@pytest.mark.claim("stateless.fresh-state")
@pytest.mark.parametrize("entry_point", rnn.OUTPUT_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh_state(run_check, cell, entry_point):
    run_check(stateless.fresh_state, cell=cell, entry_point=entry_point)


@pytest.mark.claim("stateless.order-free")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stateless_permutation(run_check, cell):
    run_check(stateless.stateless_permutation, cell=cell)


@pytest.mark.claim("stateless.order-free")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stateful_batch_order(run_check, cell):
    run_check(stateless.stateful_batch_order, cell=cell)
