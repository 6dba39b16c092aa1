"""What a narrowed run selected (harness/gate/selection.py), replayed on the cases of a reference:
its pytest arguments, and the marks the plugin records per case."""

import json
import os
import subprocess
import sys

import pytest

from harness.__main__ import main
from harness.gate import selection
from harness.paths import PROJECT_ROOT
from harness.results import load
from tests.results_factory import results

REFERENCE = PROJECT_ROOT / "suites" / "baselines" / "keras-tensorflow.json"
CARRY_CALL = "suites/test_carry.py::test_index_i[LSTM-bs1-call]"
SLOW = {"nodeid": "suites/test_carry.py::test_index_i[LSTM-bs3-fit]", "marks": ["claim", "slow"]}
QUICK = {"nodeid": CARRY_CALL, "marks": ["claim"]}
ARTICLE = {"nodeid": "suites/test_cosine.py::test_article[stacked]",
           "marks": ["article", "claim", "slow"]}


def selects(args, case, claim_id="carry.index-i"):
    return selection(results(pytest_args=args)).selects(claim_id, case)


class TestSelects:
    @pytest.mark.parametrize("args, quick, slow", [
        (["suites/"], True, True),
        (["suites/", "-m", "not slow"], True, False),
        (["-m", "slow"], False, True),
        (["-mnot slow"], True, False),
        (["suites/test_reset.py"], False, False),
        (["suites/test_carry.py"], True, True),
        (["suites/test_carry.py::test_index_i"], True, True),
        (["--deselect", "suites/test_carry.py::test_index_i[LSTM-bs3-fit]"], True, False),
        (["-k", "call"], True, False),
        (["-k", "carry and not fit"], True, False),
        (["--claim", "reset.*"], False, False),
        (["--claim=carry.*"], True, True),
        (["--baseline", "suites/baselines/keras-tensorflow.txt", "--impl", "keras-jax"], True,
         True),
    ])
    def test_pytest_arguments(self, args, quick, slow):
        """Paths, -m, -k, --claim and --deselect replayed on a not-slow and a slow case; the
        values of other options are not paths."""
        assert (quick, slow) == (selects(args, QUICK), selects(args, SLOW))

    def test_article_cases_need_the_article_option(self):
        """The plugin leaves the article's cases out unless --article is given."""
        assert (False, True) == (selects(["suites/"], ARTICLE),
                                 selects(["suites/", "--article"], ARTICLE))

    def test_marks_unknown_for_m_cannot_tell(self):
        """A reference case without marks cannot say what -m selects, but paths can."""
        bare = {"nodeid": CARRY_CALL}
        assert (None, True, False) == (selects(["-m", "not slow"], bare),
                                       selects(["suites/"], bare),
                                       selects(["suites/test_reset.py", "-m", "slow"], bare))

    @pytest.mark.parametrize("option", ["-x", "--maxfail=3", "--lf", "--sw"])
    def test_selections_made_while_running_cannot_tell(self, option):
        """What -x, --maxfail, --lf and --sw leave out depends on the run, not its arguments."""
        assert None is selects(["suites/", option], QUICK)

    def test_the_reference_cases_of_a_real_file(self):
        """On the committed keras-tensorflow reference (no marks yet), `--claim carry.*`
        selects exactly the carry claims' cases."""
        data = load(REFERENCE)
        chosen = selection(results(pytest_args=["--claim", "carry.*"]))
        picked = {claim["id"] for claim in data["claims"] for case in claim["cases"]
                  if chosen.selects(claim["id"], case)}
        assert {claim["id"] for claim in data["claims"] if claim["id"].startswith("carry.")
                and claim["cases"]} == picked


CHECKS = """
import pytest

@pytest.mark.claim("reset.model")
def test_quick():
    pass

@pytest.mark.slow
@pytest.mark.claim("reset.layer")
def test_slow():
    pass

@pytest.mark.claim("reset.fresh")
@pytest.mark.parametrize("cell", ["LSTM", pytest.param("GRU", marks=pytest.mark.slow)])
def test_cells(cell):
    pass
"""


def suite_run(folder, path, *args):
    """The plugin on CHECKS with the fake implementation, writing ``path``."""
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    environment.pop("STATEFUL_RNN_IMPL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", f"--basetemp={folder / 'basetemp'}", "-p",
         "no:hypothesispytest", "-p", "no:benchmark", "-p", "harness.plugin", "-p",
         "no:cacheprovider", "-p", "no:randomly", "-n", "0", "--impl", "tests.fake_impl:FAKE",
         *args, "--results", str(path)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=300)
    assert path.exists(), completed.stdout[-3000:] + completed.stderr[-3000:]
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A full run of CHECKS taken as the baseline, and a `-m "not slow"` run."""
    folder = tmp_path_factory.mktemp("selection")
    (folder / "test_checks.py").write_text(CHECKS)
    baseline = folder / "baseline"
    full = suite_run(folder, folder / "full.json")
    assert 0 == main(["gate", "--baseline", str(baseline), "--update", str(folder / "full.json")])
    quick = suite_run(folder, folder / "quick.json", "-m", "not slow")
    return folder, baseline, full, quick


class TestThroughThePlugin:
    def test_the_plugin_records_each_case_marks(self, runs):
        """The marks -m selects by, per case, the baseline's own xfail and the parametrization
        left out."""
        _, _, full, _ = runs
        marks = {case["nodeid"]: case["marks"] for claim in full["claims"]
                 for case in claim["cases"]}
        assert {"test_checks.py::test_quick": ["claim"], "test_checks.py::test_slow":
                ["claim", "slow"], "test_checks.py::test_cells[LSTM]": ["claim"],
                "test_checks.py::test_cells[GRU]": ["claim", "slow"]} == marks

    def test_a_not_slow_run_passes_against_the_full_reference(self, runs, capsys):
        """The `-m "not slow"` run lacks the two slow cases on purpose: it passes."""
        folder, baseline, _, _ = runs
        code = main(["gate", "--baseline", str(baseline), str(folder / "quick.json")])
        assert (0, "| `x` | 2 cases of the reference") == (
            code, next(line for line in capsys.readouterr().out.splitlines()
                       if line.startswith("| `x`"))[:32])

    def test_a_not_slow_case_missing_from_a_not_slow_run_fails(self, runs, tmp_path, capsys):
        """The same run without its not-slow test_cells[LSTM] case fails, naming it."""
        folder, baseline, _, quick = runs
        for claim in quick["claims"]:
            claim["cases"] = [case for case in claim["cases"]
                              if case["nodeid"] != "test_checks.py::test_cells[LSTM]"]
        path = tmp_path / "quick.json"
        path.write_text(json.dumps(quick), encoding="utf-8")
        code = main(["gate", "--baseline", str(baseline), str(path)])
        rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| `!`")]
        assert (1, 1, True) == (code, len(rows), "test_cells[LSTM]" in rows[0])
