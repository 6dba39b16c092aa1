"""The committed baselines (suites/baselines/): every expected-failure line can match a case of
the suite, and every implementation has reference results that pass its own gate.

A line matches a case when it names the case's claim and a pattern its case id fits (or, in
the old form, a pattern its node id fits) and the case has a claim marker: cases without one
never reach the results, so the gate would report the line as matching nothing on every run.
The suite's node ids and their claims are worked out from its modules' parametrize and claim
marks, without collecting it (which would load a Keras per implementation).
"""

import importlib
import inspect
import itertools
from pathlib import Path

import pytest

from harness import baseline, gate
from harness.__main__ import main
from harness.paths import PROJECT_ROOT
from harness.results import load

BASELINES = sorted((PROJECT_ROOT / "suites" / "baselines").glob("*.txt"))
PARAMETER_SET = type(pytest.param(None))


def claim_of(marks) -> str | None:
    """The claim of the first claim marker among ``marks``, as ``get_closest_marker`` finds it."""
    return next((mark.args[0] for mark in marks if mark.name == "claim"), None)


def default_id(value, argname: str, index: int) -> str:
    """The id pytest gives a parameter value that has no explicit id."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return str(value)
    return getattr(value, "__name__", f"{argname}{index}")


def parameters(mark) -> list[tuple[str, str | None]]:
    """(id, claim of its marker or None) of each parameter set of a parametrize mark."""
    argnames = mark.args[0]
    names = [name.strip() for name in argnames.split(",")] if isinstance(argnames, str) \
        else list(argnames)
    ids = mark.kwargs.get("ids")
    found = []
    for index, value in enumerate(mark.args[1]):
        marks = ()
        explicit = None
        if isinstance(value, PARAMETER_SET):
            explicit, marks, value = value.id, value.marks, value.values
        else:
            value = (value,) if len(names) == 1 else tuple(value)
        if explicit is None and isinstance(ids, (list, tuple)):
            explicit = ids[index]
        if explicit is None:
            parts = [ids(item) if callable(ids) else None for item in value]
            explicit = "-".join(part if part is not None else default_id(item, name, index)
                                for part, item, name in zip(parts, value, names))
        found.append((str(explicit), claim_of(marks)))
    return found


def suite_cases() -> dict[str, str | None]:
    """Every node id of the suite (article recipes included), and the claim of its claim marker
    (None without one)."""
    cases = {}
    for path in sorted((PROJECT_ROOT / "suites").glob("test_*.py")):
        module = importlib.import_module(f"suites.{path.stem}")
        module_marks = getattr(module, "pytestmark", [])
        module_marks = module_marks if isinstance(module_marks, list) else [module_marks]
        for name, function in inspect.getmembers(module, inspect.isfunction):
            # The module's own tests, written out or made by suites/cases.py's check_cases.
            if not name.startswith("test") or \
                    function.__module__ not in (module.__name__, "suites.cases"):
                continue
            marks = getattr(function, "pytestmark", [])
            # The decorator nearest the function comes first, as pytest joins the ids.
            # pytest's closest claim marker: the function's, a parameter's, then the module's.
            combos = [("", claim_of(marks))]
            for mark in marks:
                if mark.name == "parametrize":
                    combos = [(f"{before}-{after}" if before else after, was or now)
                              for (before, was), (after, now)
                              in itertools.product(combos, parameters(mark))]
            for suffix, claim in combos:
                nodeid = f"suites/{path.name}::{name}" + (f"[{suffix}]" if suffix else "")
                cases[nodeid] = claim or claim_of(module_marks)
    return cases


def lines_that_cannot_match(path: Path, cases: dict[str, str | None]) -> list[str]:
    wrong = []
    for entry in baseline.load(path):
        matches = [nodeid for nodeid, claim in cases.items() if entry.matches(nodeid, claim)]
        if not matches:
            wrong.append(f"{path.name}:{entry.line}: {entry.pattern} matches no test of the suite")
        elif not any(cases[nodeid] for nodeid in matches):
            wrong.append(f"{path.name}:{entry.line}: {entry.pattern} matches only tests without "
                         "a claim marker, which never reach the results")
    return wrong


class TestSuiteCases:
    """The node ids worked out from the marks are pytest's."""

    def test_ids_of_real_runs(self):
        """Every case of the reference results is a worked-out id with its claim."""
        cases = suite_cases()
        ran = {(case["nodeid"], claim["id"]) for path in BASELINES for claim in
               load(path.with_suffix(".json"))["claims"] for case in claim["cases"]}
        assert [] == sorted((nodeid, claim_id, cases.get(nodeid)) for nodeid, claim_id in ran
                            if cases.get(nodeid) != claim_id)

    def test_stacked_parametrize_ids(self):
        """Ids of stacked parametrize marks join nearest-first, with the marks' own ids."""
        expected = {"suites/test_carry.py::test_index_i[LSTM-bs1-fit]",
                    "suites/test_cosine.py::test_cosine[stacked-fast]",
                    "suites/test_cosine.py::test_cosine[dense-article]",
                    "suites/test_setup.py::test_fit_reorders[shuffle=True]"}
        assert expected <= set(suite_cases())

    def test_claim_markers(self):
        """A check has its claim, from the function's marker or from its parameter's; a
        benchmark has none."""
        cases = suite_cases()
        assert ("carry.index-i", "setup.shuffle-default", None) == (
            cases["suites/test_carry.py::test_index_i[LSTM-bs1-fit]"],
            cases["suites/test_setup.py::test_fit_reorders[default]"],
            cases["suites/test_cosine.py::test_cosine[stacked-fast]"])


@pytest.mark.parametrize("path", BASELINES, ids=lambda path: path.stem)
def test_every_baseline_line_can_match(path):
    """Each line of the baseline names a case of the suite that has a claim marker."""
    assert [] == lines_that_cannot_match(path, suite_cases())


@pytest.mark.parametrize("path", BASELINES, ids=lambda path: path.stem)
def test_reference_results_beside_each_baseline(path):
    """Each baseline has its reference results: a complete run of that implementation that
    left nothing out on purpose."""
    reference = load(path.with_suffix(".json"))
    assert (path.stem, True, []) == (reference["implementation"]["name"],
                                     reference["complete"], gate.narrowing(reference))


@pytest.mark.parametrize("path", BASELINES, ids=lambda path: path.stem)
def test_reference_results_pass_their_gate(path, capsys):
    """The reference results are what the expected failures describe: gated against their own
    baseline directory, nothing is worse, even under --strict."""
    code = main(["gate", "--baseline", str(path.parent), str(path.with_suffix(".json")),
                 "--strict"])
    assert (0, "# Gate: ✅ nothing got worse") == (code, capsys.readouterr().out.splitlines()[0])
