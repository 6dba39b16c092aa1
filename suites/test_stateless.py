"""Claims ``stateless.*``: a stateless layer forgets; only a stateful one cares about batch order.

The checks are in suites/checks/stateless.py; this module says which cases run."""

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import stateless


test_fresh_state = check_cases(stateless.fresh_state, "stateless.fresh-state", cell=rnn.CELLS,
                               entry_point=rnn.OUTPUT_ENTRY_POINTS)
test_stateless_permutation = check_cases(stateless.stateless_permutation, "stateless.order-free",
                                         cell=rnn.CELLS)
test_stateful_batch_order = check_cases(stateless.stateful_batch_order, "stateless.order-free",
                                        cell=rnn.CELLS)
