"""Claims ``state.*``: what the state is (the layer's memory) and what it is not (a weight).

The checks are in suites/checks/state.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.checks import state


@pytest.mark.claim("state.is-memory")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_is_memory(run_check, cell):
    run_check(state.is_memory, cell=cell)


@pytest.mark.claim("state.not-weights")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_state_not_listed_as_weight(run_check, cell):
    run_check(state.state_not_listed_as_weight, cell=cell)


@pytest.mark.claim("state.not-weights")
@pytest.mark.parametrize("operation", ["call", "predict", "evaluate", "reset"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_weights_unchanged(run_check, cell, operation):
    run_check(state.weights_unchanged, cell=cell, operation=operation)


# Five models trained one step each (1.6-5.6 s a cell on tf-keras): the not-slow suite keeps the
# LSTM, the full suite adds the GRU and the SimpleRNN.
@pytest.mark.claim("state.same-update")
@pytest.mark.parametrize("cell", ["LSTM", *(pytest.param(cell, marks=pytest.mark.slow)
                                            for cell in rnn.CELLS[1:])])
def test_same_update(run_check, cell):
    run_check(state.same_update, cell=cell, step=state.stateful_sgd_step)


@pytest.mark.claim("state.saved")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_saved(run_check, cell):
    run_check(state.saved, cell=cell)
