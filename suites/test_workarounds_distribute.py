"""Workarounds of the distribution findings: the model declared with the batch size each replica
sees.

Each workaround (its claim, recipe, check and cases) is an entry of suites/claims.py
``WORKAROUNDS`` whose family is "distribute"; this module runs them, each in a fresh process."""

import pytest

from suites.claims import workaround_params


@pytest.mark.parametrize("workaround, parameters", workaround_params("distribute"))
def test_workaround(run_check, spec_and_backend, workaround, parameters):
    run_check(workaround.check, **spec_and_backend, **parameters)
