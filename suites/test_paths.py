"""Claims on the stateful paths users take beyond the article (issue 11): ``unroll``,
``go_backwards``, ``RNN([cell, cell])``, compile modes, dropout, ``steps_per_execution``,
``Bidirectional`` and masking.

The checks are in suites/checks/paths.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.checks import paths, resets

# Training entry points trace a train function per model (1-6 s each on TensorFlow), and
# jit_compile=True compiles one per model and entry point (4-80 s each with torch.compile): slow,
# as the other training-based checks (``-m "not slow"`` leaves them out).
SLOW = pytest.mark.slow
# predict_on_batch runs the same predict function as predict, batch by batch: its cases run in
# the full suite, and the not-slow suite keeps the direct call and predict for every claim.
ENTRY_POINTS = ("call", pytest.param("predict_on_batch", marks=SLOW), "predict")
COMPILED_ENTRY_POINTS = (pytest.param("predict_on_batch", marks=SLOW), "predict",
                         pytest.param("fit", marks=SLOW))
STEPS_ENTRY_POINTS = ("predict", pytest.param("evaluate", marks=SLOW),
                      pytest.param("fit", marks=SLOW))


@pytest.mark.claim("carry.unroll")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_unroll(run_check, cell, entry_point):
    run_check(paths.unroll, cell=cell, entry_point=entry_point)


@pytest.mark.claim("carry.go-backwards")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_go_backwards(run_check, cell, entry_point):
    run_check(paths.go_backwards, cell=cell, entry_point=entry_point)


@pytest.mark.claim("reset.stacked-cells")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_stacked_cells(run_check, cell, entry_point):
    run_check(paths.stacked_cells, cell=cell, entry_point=entry_point)


@pytest.mark.claim("carry.compiled-vs-eager")
@pytest.mark.parametrize("entry_point", COMPILED_ENTRY_POINTS)
@pytest.mark.parametrize("mode", [pytest.param("jit_compile", marks=SLOW), "no_jit", "run_eagerly"])
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_compiled_vs_eager(run_check, cell, mode, entry_point):
    run_check(paths.compiled_vs_eager, cell=cell, mode=mode, entry_point=entry_point)


@pytest.mark.claim("dropout.inference-carry")
@pytest.mark.parametrize("entry_point", (*ENTRY_POINTS,
                                         pytest.param("train_on_batch", marks=SLOW)))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_dropout_inference_carry(run_check, cell, entry_point):
    run_check(paths.dropout_inference_carry, cell=cell, entry_point=entry_point)


@pytest.mark.claim("carry.steps-per-execution")
@pytest.mark.parametrize("entry_point", STEPS_ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_steps_per_execution(run_check, cell, entry_point):
    run_check(paths.steps_per_execution, cell=cell, entry_point=entry_point)


@pytest.mark.claim("bidirectional.carry")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_bidirectional_carry(run_check, cell, entry_point):
    run_check(paths.bidirectional_carry, cell=cell, entry_point=entry_point)


@pytest.mark.claim("bidirectional.reset")
@pytest.mark.parametrize("how", list(resets.RESETS))
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_bidirectional_reset(run_check, cell, how):
    run_check(paths.bidirectional_reset, cell=cell, reset=resets.RESETS[how])


@pytest.mark.claim("mask.keeps-state")
@pytest.mark.parametrize("entry_point", ENTRY_POINTS)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_mask_keeps_state(run_check, cell, entry_point):
    run_check(paths.mask_keeps_state, cell=cell, entry_point=entry_point)
