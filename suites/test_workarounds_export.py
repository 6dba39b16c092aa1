"""Workarounds of the export findings: a reset endpoint the SavedModel lacks, the state as explicit
inputs and outputs where the ONNX export drops it.

Each workaround (its claim, recipe, check and cases) is an entry of suites/claims.py
``WORKAROUNDS`` whose family is "export"; this module runs them, where Keras documents the
export they replace."""

import pytest

from suites.checks import export
from suites.claims import workaround_params

FORMAT = {export.saved_model_reset: "saved-model", export.onnx_carry: "onnx"}


@pytest.mark.parametrize("workaround, parameters", workaround_params("export"))
def test_workaround(run_check, documented, workaround, parameters):
    documented(FORMAT[workaround.check])
    run_check(workaround.check, **parameters)
