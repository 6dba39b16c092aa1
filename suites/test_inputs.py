"""Claims on how a stateful model is fed beyond NumPy arrays (issue 11): ``carry.validation``,
``carry.validation.isolated`` and ``carry.input-pipeline``.

The checks are in suites/checks/inputs.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import inputs

SLOW = pytest.mark.slow
# carry.validation runs through fit only, which traces a train and a test function per model
# (3-10 s a case on tf-keras, 23 s for JAX's first): slow, as the other training-based checks.
test_validation_state = check_cases(inputs.validation_state, "carry.validation", marks=[SLOW],
                                    cell=rnn.CELLS)
test_validation_isolated = check_cases(inputs.validation_isolated, "carry.validation.isolated",
                                       marks=[SLOW], cell=rnn.CELLS)
test_validation_other_batch_size = check_cases(inputs.validation_other_batch_size,
                                               "carry.validation", marks=[SLOW], cell=rnn.CELLS,
                                               how=list(inputs.OTHER_VALIDATION))


PIPELINE_ENTRY_POINTS = ("predict", pytest.param("evaluate", marks=SLOW),
                         pytest.param("fit", marks=SLOW))


@pytest.mark.claim("carry.input-pipeline")
@pytest.mark.parametrize("entry_point", PIPELINE_ENTRY_POINTS)
@pytest.mark.parametrize("source", inputs.SOURCES)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_input_pipeline(run_check, impl, cell, source, entry_point):
    if source == "tf.data" and impl.versions()["backend"] != "tensorflow":
        pytest.skip("tf.data.Dataset is checked on TensorFlow backends only")
    run_check(inputs.input_pipeline, cell=cell, source=source, entry_point=entry_point)
