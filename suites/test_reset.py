"""Claims ``reset.*``: model.reset_states(), layer.reset_states() and reset_states(states=...).

The checks are in suites/checks/reset.py, the resets they apply in suites/checks/resets.py; this
module says which cases run."""

import pytest

from fixtures import rnn
from suites.checks import reset, resets


@pytest.mark.claim("reset.model")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_model_reset_states(run_check, cell):
    run_check(reset.model_reset, cell=cell, reset=resets.model_reset_states)


@pytest.mark.claim("reset.layer")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_layer_reset_states(run_check, cell):
    run_check(reset.layer_reset, cell=cell, reset=resets.layer_reset_states)


@pytest.mark.claim("reset.fresh")
@pytest.mark.parametrize("how", ["model", "layer"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_fresh(run_check, cell, how):
    run_check(reset.fresh, cell=cell, reset=resets.RESETS[how])


@pytest.mark.claim("reset.with-values")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_reset_with_values(run_check, cell):
    run_check(reset.reset_with_values, cell=cell, reset_to=resets.layer_reset_states_to)
