"""Claims ``state.*``: what the state is (the layer's memory) and what it is not (a weight).

The checks are in suites/checks/state.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import state


test_is_memory = check_cases(state.is_memory, "state.is-memory", cell=rnn.CELLS)
test_state_not_listed_as_weight = check_cases(state.state_not_listed_as_weight, "state.not-weights",
                                              cell=rnn.CELLS)
test_weights_unchanged = check_cases(state.weights_unchanged, "state.not-weights", cell=rnn.CELLS,
                                     operation=["call", "predict", "evaluate", "reset"])
# Five models trained one step each (1.6-5.6 s a cell on tf-keras): the not-slow suite keeps the
# LSTM, the full suite adds the GRU and the SimpleRNN.
test_same_update = check_cases(
    state.same_update, "state.same-update", given={"step": state.stateful_sgd_step},
    cell=["LSTM", *(pytest.param(cell, marks=pytest.mark.slow) for cell in rnn.CELLS[1:])])
test_saved = check_cases(state.saved, "state.saved", cell=rnn.CELLS)
