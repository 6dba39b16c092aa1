"""Workarounds of the reset findings: Keras 3 has no model.reset_states() and no
reset_states(states=...), RNN over stacked cells cannot reset itself, and no reset honours a
cell's own get_initial_state.

Each workaround (its claim, recipe, check and cases) is an entry of suites/claims.py
``WORKAROUNDS`` whose family is "reset"; this module runs them."""

import pytest

from suites.claims import workaround_params


@pytest.mark.parametrize("workaround, parameters", workaround_params("reset"))
def test_workaround(run_check, workaround, parameters):
    run_check(workaround.check, **parameters)
