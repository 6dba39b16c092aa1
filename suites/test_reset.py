"""Claims ``reset.*``: model.reset_states(), layer.reset_states() and reset_states(states=...).

The checks are in suites/checks/reset.py, the resets they apply in suites/checks/resets.py; this
module says which cases run."""

from fixtures import rnn
from suites.cases import check_cases
from suites.checks import reset, resets


test_model_reset_states = check_cases(reset.model_reset, "reset.model", cell=rnn.CELLS,
                                      given={"reset": resets.model_reset_states})
test_layer_reset_states = check_cases(reset.layer_reset, "reset.layer", cell=rnn.CELLS,
                                      given={"reset": resets.layer_reset_states})
test_fresh = check_cases(reset.fresh, "reset.fresh", cell=rnn.CELLS,
                         reset={how: resets.RESETS[how] for how in ("model", "layer")})
test_reset_with_values = check_cases(reset.reset_with_values, "reset.with-values", cell=rnn.CELLS,
                                     given={"reset_to": resets.layer_reset_states_to})
