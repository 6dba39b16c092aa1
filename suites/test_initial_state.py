"""Claims on the initial state of a stateful layer (issue 11): ``initial-state.precedence`` and
``reset.custom-initial``.

The checks are in suites/checks/initial_state.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.checks import initial_state, resets


@pytest.mark.claim("initial-state.precedence")
@pytest.mark.parametrize("entry_point", ("call", pytest.param("predict_on_batch",
                                                              marks=pytest.mark.slow), "predict"))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_initial_state_precedence(run_check, cell, entry_point):
    run_check(initial_state.initial_state_precedence, cell=cell, entry_point=entry_point)


@pytest.mark.claim("reset.custom-initial")
@pytest.mark.parametrize("how", list(resets.RESETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_reset_custom_initial(run_check, cell, how):
    run_check(initial_state.reset_custom_initial, cell=cell, reset=resets.RESETS[how])
