"""The reset checks take their reset as a recipe (suites/checks/resets.py): a case's script
carries the recipe it ran with, so a workaround's script shows the workaround."""

import inspect

import pytest

from suites import repro
from suites.checks import reset, resets

CHECKS = [reset.model_reset, reset.layer_reset, reset.fresh]


@pytest.mark.parametrize("how", list(resets.RESETS))
@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
def test_script_runs_the_recipe_it_was_given(check, how):
    """The recipe's source is in the script and the check is called with it; the other one is
    not copied in."""
    recipe = resets.RESETS[how]
    other = next(r for r in resets.RESETS.values() if r is not recipe)
    text = repro.script_of_check("keras-jax", "reset.fresh", "node", check,
                                 {"cell": "LSTM", "reset": recipe})
    assert f"def {recipe.__name__}(model, layer):" in text
    assert f"reset={recipe.__name__})" in text
    assert f"def {other.__name__}(" not in text
    compile(text, "script", "exec")


@pytest.mark.parametrize("recipe", [*resets.RESETS.values(), resets.layer_reset_states_to])
def test_reset_code_is_the_line_the_recipe_runs(recipe):
    """The messages quote a recipe by its docstring: the call its body makes."""
    assert resets.reset_code(recipe).split("(")[0] in inspect.getsource(recipe).split('"""')[2]
