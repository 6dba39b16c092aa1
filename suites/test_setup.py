"""Claims ``setup.*``: what a stateful layer needs (fixed batch size, equal batches, shuffle=False).

The checks are in suites/checks/setup.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.checks import setup

@pytest.mark.claim("setup.batch-size-required")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_batch_size_required(run_check, impl, cell):
    run_check(setup.batch_size_required, cell=cell, keras_version=impl.versions()["keras"])


@pytest.mark.claim("setup.batch-size-required")
@pytest.mark.parametrize("spelling", setup.SPELLINGS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_batch_size_spelling(run_check, cell, spelling):
    run_check(setup.batch_size_spelling, cell=cell, spelling=spelling)


@pytest.mark.claim("setup.equal-batches")
@pytest.mark.parametrize("how", list(setup.WRONG_BATCHES))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_equal_batches(run_check, impl, cell, how):
    run_check(setup.equal_batches, cell=cell, how=how, keras_version=impl.versions()["keras"])


@pytest.mark.claim("setup.shuffle-false")
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_shuffle_false_keeps_order(run_check, cell):
    run_check(setup.shuffle_false_keeps_order, cell=cell)


SHUFFLE_CASES = [
    pytest.param({"shuffle": True}, id="shuffle=True", marks=pytest.mark.claim("setup.shuffle-false")),
    pytest.param({}, id="default", marks=pytest.mark.claim("setup.shuffle-default")),
]


@pytest.mark.parametrize("fit_options", SHUFFLE_CASES)
def test_fit_reorders(run_check, fit_options):
    run_check(setup.fit_reorders, fit_options=fit_options)
