"""The workaround catalogue (suites/claims.py ``WORKAROUNDS``): each workaround is one entry, run by
its family's test module, verified by a check whose script renders, offered as recipes of
suites/recipes.py that a user can copy."""

import ast
import importlib
import inspect

import pytest

from suites import recipes, repro
from suites.claims import CLAIMS, WORKAROUNDS

CASES = [(workaround, case) for workaround in WORKAROUNDS.values() for case in workaround.cases]


def test_every_workaround_is_a_claim_of_its_target():
    """Its claim is in the catalogue as a workaround of a claim that is not itself one."""
    for workaround in WORKAROUNDS.values():
        claim = CLAIMS[workaround.id]
        assert (claim.kind, claim.workaround_for) == ("workaround", workaround.target)
        assert CLAIMS[workaround.target].kind != "workaround"


@pytest.mark.parametrize("family", sorted({w.family for w in WORKAROUNDS.values()}))
def test_each_family_module_runs_its_workarounds(family):
    """suites/test_workarounds_<family>.py runs every case of the family's workarounds, each
    marked with its own claim."""
    module = importlib.import_module(f"suites.test_workarounds_{family}")
    (parametrize,) = [mark for mark in module.test_workaround.pytestmark
                      if mark.name == "parametrize"]
    run = {(param.values[0].id, param.marks[0].args[0]) for param in parametrize.args[1]}
    expected = {(w.id, w.id) for w in WORKAROUNDS.values() if w.family == family}
    assert run == expected
    assert len(parametrize.args[1]) == sum(len(w.cases) for w in WORKAROUNDS.values()
                                           if w.family == family)


@pytest.mark.parametrize("workaround, case", CASES,
                         ids=[f"{w.id}[{case}]" for w, case in CASES])
def test_script_renders_with_the_recipe(workaround, case):
    """Each case's reproduction script renders from its check's source with the case's
    parameters (a recipe passed in is copied in by its source) and compiles."""
    parameters = {**workaround.parameters, **workaround.cases[case]}
    text = repro.script_of_check("keras-jax", workaround.id, "node", workaround.check, parameters)
    compile(text, "script", "exec")
    for value in parameters.values():
        if inspect.isfunction(value):
            assert f"\ndef {value.__name__}(" in text


def test_recipes_need_only_numpy():
    """suites/recipes.py imports NumPy only (Keras comes in as an argument), and a workaround's
    recipe source holds every recipe it calls."""
    tree = ast.parse(inspect.getsource(recipes))
    imported = {alias.name for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
                for alias in node.names}
    assert imported == {"numpy"}
    for workaround in WORKAROUNDS.values():
        assert all(recipe.__module__ == "suites.recipes" for recipe in workaround.recipes)
        source = workaround.recipe_source()
        defined = {node.name for node in ast.parse(source).body}
        called = {node.func.id for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
        assert called & set(vars(recipes)) <= defined, workaround.id
