"""The check library (suites/checks/): every check's script renders from its own source, and the
test modules stay thin (no test module imports another)."""

import ast
import re
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

import suites.checks
from suites import repro

SUITES = Path(suites.checks.__file__).parent.parent


def library_checks():
    found = []
    for info in pkgutil.iter_modules(suites.checks.__path__):
        module = importlib.import_module(f"suites.checks.{info.name}")
        found += [value for name, value in vars(module).items()
                  if inspect.isfunction(value) and value.__module__ == module.__name__
                  and "check" in inspect.signature(value).parameters]
    return found


@pytest.mark.parametrize("function", library_checks(), ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_script_renders_from_check_source(function):
    """Every helper a check uses can be copied into its script, and the script compiles."""
    parameters = {name: None for name in inspect.signature(function).parameters
                  if name not in repro.injected_names(function)}
    text = repro.script_of_check("keras-tensorflow", "carry.index-i", "node", function, parameters)
    assert f"def {function.__name__}(" in text
    # Every definition runs as written (a default naming a helper defined later would not):
    # the script up to main(), with a stand-in for the Keras import.
    prelude = repro.prelude("keras-tensorflow")
    assert prelude in text
    exec(compile(text.replace(prelude, "keras = None\nto_numpy = None"), "script", "exec"),
         {"__name__": "not_main"})


def test_script_refuses_what_it_cannot_copy():
    def uses_an_array(check):
        return WEIGHTS  # noqa: F821

    uses_an_array.__globals__["WEIGHTS"] = __import__("numpy").zeros(2)
    with pytest.raises(repro.ScriptError, match="WEIGHTS"):
        repro.script_of_check("keras-tensorflow", "carry.index-i", "node", uses_an_array, {})


def test_no_test_module_imports_another():
    offenders = []
    for path in sorted(SUITES.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [alias.name for alias in node.names] if isinstance(node, ast.Import)
                     else [])
            offenders += [f"{path.name} imports {name}" for name in names
                          if name.split(".")[-1].startswith("test_")]
    assert not offenders, offenders


def marked_claims() -> dict[str, list[str]]:
    """Claim id -> the test modules whose ``@pytest.mark.claim("id")`` or ``check_cases`` names it,
    read from the source (collecting the suite would import Keras), plus the workaround
    catalogue's families."""
    from suites.claims import WORKAROUNDS
    found: dict[str, list[str]] = {}
    for path in sorted(SUITES.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            # @pytest.mark.claim("id"), or check_cases(check, "id", ...) (suites/cases.py)
            if isinstance(node.func, ast.Attribute) and node.func.attr == "claim":
                named = node.args[:1]
            elif isinstance(node.func, ast.Name) and node.func.id == "check_cases":
                named = node.args[1:2]
            else:
                continue
            if named and isinstance(named[0], ast.Constant):
                found.setdefault(named[0].value, []).append(path.name)
    for workaround in WORKAROUNDS.values():
        module = SUITES / f"test_workarounds_{workaround.family}.py"
        if module.exists():
            found.setdefault(workaround.id, []).append(module.name)
    return found


def test_every_claim_has_a_check_and_every_check_a_claim():
    from suites.claims import CLAIMS
    marked = marked_claims()
    unchecked = sorted(set(CLAIMS) - set(marked))
    unknown = sorted(set(marked) - set(CLAIMS))
    assert (unchecked, unknown) == ([], []), (
        f"catalogue claims no test module checks: {unchecked}; "
        f"claims marked on checks but missing from suites/claims.py: {unknown}")


def test_each_claim_is_checked_in_one_test_module():
    """A claim's checks live together: its id is marked in one test module only."""
    spread = {claim_id: sorted(set(modules)) for claim_id, modules in marked_claims().items()
              if len(set(modules)) > 1}
    assert spread == {}
