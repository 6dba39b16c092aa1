"""Claims ``setup.*``: what a stateful layer needs (fixed batch size, equal batches, shuffle=False).

The checks are in suites/checks/setup.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import setup


test_batch_size_required = check_cases(setup.batch_size_required, "setup.batch-size-required",
                                       cell=rnn.CELLS)
test_batch_size_spelling = check_cases(setup.batch_size_spelling, "setup.batch-size-required",
                                       cell=rnn.CELLS, spelling=setup.SPELLINGS)
test_equal_batches = check_cases(setup.equal_batches, "setup.equal-batches", cell=rnn.CELLS,
                                 how=list(setup.WRONG_BATCHES))
test_shuffle_false_keeps_order = check_cases(setup.shuffle_false_keeps_order, "setup.shuffle-false",
                                             cell=rnn.CELLS)

SHUFFLE_CASES = [
    pytest.param({"shuffle": True}, id="shuffle=True", marks=pytest.mark.claim("setup.shuffle-false")),
    pytest.param({}, id="default", marks=pytest.mark.claim("setup.shuffle-default")),
]


@pytest.mark.parametrize("fit_options", SHUFFLE_CASES)
def test_fit_reorders(run_check, fit_options):
    run_check(setup.fit_reorders, fit_options=fit_options)
