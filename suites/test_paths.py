"""Claims on the stateful paths users take beyond the article (issue 11): ``unroll``,
``go_backwards``, ``RNN([cell, cell])``, compile modes, dropout, ``steps_per_execution``,
``Bidirectional`` and masking.

The checks are in suites/checks/paths.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.cases import check_cases
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


test_unroll = check_cases(paths.unroll, "carry.unroll", cell=rnn.CELLS, entry_point=ENTRY_POINTS)
test_go_backwards = check_cases(paths.go_backwards, "carry.go-backwards", cell=rnn.CELLS,
                                entry_point=ENTRY_POINTS)
test_stacked_cells = check_cases(paths.stacked_cells, "reset.stacked-cells", cell=rnn.CELLS,
                                 entry_point=ENTRY_POINTS)
test_compiled_vs_eager = check_cases(
    paths.compiled_vs_eager, "carry.compiled-vs-eager", cell=rnn.CELLS,
    mode=[pytest.param("jit_compile", marks=SLOW), "no_jit", "run_eagerly"],
    entry_point=COMPILED_ENTRY_POINTS)
test_dropout_inference_carry = check_cases(
    paths.dropout_inference_carry, "dropout.inference-carry", cell=rnn.CELLS,
    entry_point=(*ENTRY_POINTS, pytest.param("train_on_batch", marks=SLOW)))
test_steps_per_execution = check_cases(paths.steps_per_execution, "carry.steps-per-execution",
                                       cell=rnn.CELLS, entry_point=STEPS_ENTRY_POINTS)
test_bidirectional_carry = check_cases(paths.bidirectional_carry, "bidirectional.carry",
                                       cell=rnn.CELLS, entry_point=ENTRY_POINTS)
test_bidirectional_reset = check_cases(paths.bidirectional_reset, "bidirectional.reset",
                                       cell=rnn.CELLS, reset=resets.RESETS)
test_mask_keeps_state = check_cases(paths.mask_keeps_state, "mask.keeps-state", cell=rnn.CELLS,
                                    entry_point=ENTRY_POINTS)
