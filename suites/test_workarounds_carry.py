"""Workarounds of the carry findings: where predict, evaluate and fit carry no state
(Keras 3 on JAX), direct calls do; validation kept apart from the training state.

Each workaround (its claim, recipe, check and cases) is an entry of suites/claims.py
``WORKAROUNDS`` whose family is "carry"; this module runs them."""

import pytest

from suites.claims import workaround_params


@pytest.mark.parametrize("workaround, parameters", workaround_params("carry"))
def test_workaround(run_check, workaround, parameters):
    run_check(workaround.check, **parameters)
