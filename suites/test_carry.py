"""Claims ``carry.*``: where the state of a stateful layer goes from one batch to the next.

The checks are in suites/checks/carry.py; this module says which cases run."""

import pytest

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import carry

# Every entry point at batch size 3; at batch sizes 1 and 8 the training entry points (each traces
# a train or test function per model: 0.4-1.5 s a case on keras-tensorflow and tf-keras) are
# slow: the not-slow suite keeps the direct call, predict_on_batch and predict there, the full
# suite runs all 54 cases.
INDEX_I_CASES = [
    pytest.param(batch_size, entry_point, id=f"bs{batch_size}-{entry_point}",
                 marks=[] if batch_size == 3 or entry_point in rnn.OUTPUT_ENTRY_POINTS
                 else [pytest.mark.slow])
    for batch_size in (1, 3, 8) for entry_point in rnn.ENTRY_POINTS
]


@pytest.mark.claim("carry.index-i")
@pytest.mark.parametrize("batch_size, entry_point", INDEX_I_CASES)
@pytest.mark.parametrize("cell", rnn.CELLS)
def test_index_i(run_check, cell, batch_size, entry_point):
    run_check(carry.index_i, cell=cell, batch_size=batch_size, entry_point=entry_point)


test_rows_isolated = check_cases(carry.rows_isolated, "carry.rows-isolated", cell=rnn.CELLS,
                                 entry_point=rnn.OUTPUT_ENTRY_POINTS)
test_long_range = check_cases(carry.long_range, "carry.long-range", cell=rnn.CELLS,
                              n=[pytest.param(n, id=f"n{n}") for n in (1, 2, 3)])
test_stacked = check_cases(carry.stacked, "carry.stacked", cell=rnn.CELLS)
test_across_epochs = check_cases(carry.across_epochs, "carry.across-epochs", cell=rnn.CELLS,
                                 how=["epochs", "calls"])
