"""Workarounds of the training findings: where training a stateful layer raises (Keras 3
on torch) or carries no state (Keras 3 on JAX), the state as explicit inputs and outputs,
carried by hand.

Each workaround (its claim, recipe, check and cases) is an entry of suites/claims.py
``WORKAROUNDS`` whose family is "training"; this module runs them."""

import pytest

from suites.claims import workaround_params


@pytest.mark.parametrize("workaround, parameters", workaround_params("training"))
def test_workaround(run_check, workaround, parameters):
    run_check(workaround.check, **parameters)
