"""Workarounds of the setup findings: a fixed batch size where batch_input_shape= is not
taken (Keras 3), and data made whole batches where a partial last batch must not reach the model.

Each workaround (its claim, recipe, check and cases) is an entry of suites/claims.py
``WORKAROUNDS`` whose family is "setup"; this module runs them."""

import pytest

from suites import recipes
from suites.claims import workaround_params


@pytest.mark.parametrize("workaround, parameters", workaround_params("setup"))
def test_workaround(run_check, workaround, parameters):
    if parameters.get("prepare") is recipes.whole_batches_dataset:
        pytest.importorskip("tensorflow")  # the tf.data recipe: skipped where TensorFlow is not
    run_check(workaround.check, **parameters)
