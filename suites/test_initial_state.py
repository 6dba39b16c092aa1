"""Claims on the initial state of a stateful layer (issue 11): ``initial-state.precedence`` and
``reset.custom-initial``.

The checks are in suites/checks/initial_state.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import initial_state, resets


test_initial_state_precedence = check_cases(
    initial_state.initial_state_precedence, "initial-state.precedence", cell=rnn.CELLS,
    entry_point=("call", pytest.param("predict_on_batch", marks=pytest.mark.slow), "predict"))
test_reset_custom_initial = check_cases(initial_state.reset_custom_initial, "reset.custom-initial",
                                        cell=rnn.CELLS, reset=resets.RESETS)
