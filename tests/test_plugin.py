"""The pytest plugin as a black box: options, verdicts, the results file and the baseline."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from suites.claims import CLAIMS

pytest_plugins = ["pytester"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Plugins these runs do not exercise, left out because they cost most of a run's start-up: the
# Hypothesis plugin imports Hypothesis at the terminal summary, 1-1.5 s of a 2.5 s run (pytest
# rewrites the asserts of every module of a plugin's distribution, and does not keep the result
# where PYTHONDONTWRITEBYTECODE is set); pytest-benchmark's imports come next. pytest-xdist and
# pytest-timeout stay loaded.
UNUSED_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark")


def runpytest(pytester, *args):
    """pytester.runpytest_subprocess without the plugins the checks here do not use."""
    return pytester.runpytest_subprocess(*UNUSED_PLUGINS, *args)


@pytest.fixture(autouse=True)
def _importable_project(monkeypatch):
    """The subprocess runs in a temporary folder; it must still find the harness and the fake."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    monkeypatch.delenv("STATEFUL_RNN_IMPL", raising=False)

CHECKS = """
import pytest

@pytest.mark.claim("reset.model")
def test_holds():
    assert 1 == 1

@pytest.mark.claim("reset.layer")
def test_wrong_value():
    assert 1 == 2, "observed 1, expected 2"

@pytest.mark.claim("reset.fresh")
def test_raises():
    raise TypeError("no such argument")

@pytest.mark.claim("setup.shuffle-default")
def test_skipped():
    pytest.skip("not applicable")

@pytest.mark.claim("reset.with-values")
def test_inconclusive(request):
    from suites.check import Check
    from tests.fake_impl import FAKE

    check = Check(request.node, FAKE, "tests.fake_impl:FAKE")
    check.reproduce("expect(False, 'planted')")
    check.precondition(False, "the state non-zero before the reset", "all zeros",
                       failing="state.is-memory")
    check.that(True, "never reached", "never reached")
"""


@pytest.fixture
def run(pytester):
    """Run pytest in a subprocess on the given checks with the fake implementation."""
    pytester.makepyfile(test_checks=CHECKS)

    def run(*args):
        return runpytest(pytester, "-p", "harness.plugin", "-p", "no:cacheprovider",
                         "--impl", "tests.fake_impl:FAKE", *args)

    return run


@pytest.fixture(scope="module")
def checks_run(tmp_path_factory):
    """One run of CHECKS with ``--results``, as ``run("--results", ...)`` makes it, shared by the
    tests that only read its output and its files: (its result, the results file)."""
    folder = tmp_path_factory.mktemp("checks")
    (folder / "test_checks.py").write_text(CHECKS)
    path = folder / "out.json"
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    environment.pop("STATEFUL_RNN_IMPL", None)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", f"--basetemp={folder / 'basetemp'}", *UNUSED_PLUGINS,
         "-p", "harness.plugin", "-p", "no:cacheprovider", "--impl", "tests.fake_impl:FAKE",
         "--results", str(path)],
        cwd=folder, env=environment, capture_output=True, text=True, timeout=300)
    result = pytest.RunResult(completed.returncode, completed.stdout.splitlines(),
                              completed.stderr.splitlines(), time.monotonic() - started)
    return result, path


def claims_of(path):
    data = json.loads(path.read_text())
    return data, {claim["id"]: claim for claim in data["claims"]}


def partial_of(path):
    """Where a run that has not finished keeps its cases, beside its results file."""
    return path.with_name(f".{path.name}.partial")


class TestImplementationOption:
    def test_unknown_name(self, pytester):
        """An unknown implementation name exits 2 with one line."""
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", "keras-nope")
        assert 2 == result.ret
        assert [line for line in result.stderr.lines if line.strip()] == [
            "Exit: error: unknown implementation 'keras-nope': use one of keras-tensorflow, "
            "keras-jax, keras-torch, tf-keras or package.module:object"
        ]

    def test_not_installed(self, pytester):
        """A module:object whose module is missing exits 2 without a traceback."""
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", "no_such_pkg.mod:IMPL")
        assert 2 == result.ret
        assert "Traceback" not in result.stderr.str()
        result.stderr.fnmatch_lines(["*cannot import 'no_such_pkg.mod'*"])

    @pytest.mark.parametrize("spec, said", [
        ("broken_impl:LOAD_RAISES", "broken_impl:LOAD_RAISES: load() raised RuntimeError: no GPU here"),
        ("broken_impl:NO_VERSIONS", "broken_impl:NO_VERSIONS: versions() returned None, not a dict "
                                    "with keras, backend, backend_version"),
        (":no_load", "':no_load': name the object as package.module:object"),
    ])
    def test_broken_object(self, pytester, spec, said):
        """An object whose load() raises or whose versions() returns None, or a spec without its
        module, exits 2 with one line that names it and what is wrong."""
        pytester.makepyfile(broken_impl="""
            from tests.fake_impl import FakeImplementation

            class LoadRaises(FakeImplementation):
                def load(self):
                    raise RuntimeError("no GPU here")

            class NoVersions(FakeImplementation):
                def versions(self):
                    return None

            LOAD_RAISES, NO_VERSIONS = LoadRaises(), NoVersions()
        """)
        pytester.makepyfile(test_checks=CHECKS)
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", spec)
        assert 2 == result.ret
        assert [f"Exit: error: {said}"] == [line for line in result.stderr.lines if line.strip()]

    def test_environment_variable(self, pytester, monkeypatch):
        """STATEFUL_RNN_IMPL selects the implementation when --impl is absent."""
        monkeypatch.setenv("STATEFUL_RNN_IMPL", "tests.fake_impl:FAKE")
        pytester.makepyfile(test_checks=CHECKS)
        result = runpytest(pytester, "-p", "harness.plugin", "-p", "no:cacheprovider")
        result.stdout.fnmatch_lines(["implementation: fake (keras 0.0, backend none 0.0*"])

    def test_header(self, checks_run):
        """The header names the implementation and its versions."""
        result, _ = checks_run
        result.stdout.fnmatch_lines(["implementation: fake (keras 0.0, backend none 0.0, numpy *, python *)"])


class TestResultsFile:
    def test_verdicts(self, checks_run):
        """Each case gets holds, fails (assertion), error (exception) or skipped."""
        result, path = checks_run
        assert 1 == result.ret
        data, claims = claims_of(path)
        assert {"reset.model": "holds", "reset.layer": "fails", "reset.fresh": "error",
                "setup.shuffle-default": "skipped"} == {
            claim_id: claims[claim_id]["verdict"]
            for claim_id in ("reset.model", "reset.layer", "reset.fresh", "setup.shuffle-default")
        }
        assert "observed 1, expected 2" in claims["reset.layer"]["cases"][0]["message"]
        assert "TypeError: no such argument" in claims["reset.fresh"]["cases"][0]["message"]
        assert data["complete"] is True

    def test_inconclusive_with_repro(self, checks_run):
        """A precondition that did not happen makes the case inconclusive, never holds, and its
        standalone script is written beside the results file."""
        _, path = checks_run
        _, claims = claims_of(path)
        (case,) = claims["reset.with-values"]["cases"]
        assert ("inconclusive", "inconclusive") == (claims["reset.with-values"]["verdict"],
                                                    case["verdict"])
        assert "the state non-zero before the reset did not happen (all zeros)" in case["message"]
        assert "that is state.is-memory, which does not hold here" in case["message"]
        assert case["message"].startswith("[reset.with-values] on fake")
        script = (path.parent / case["repro"]).read_text()
        assert "CLAIM = 'reset.with-values'" in script and "expect(False, 'planted')" in script
        assert claims["reset.model"]["cases"][0]["repro"] is None

    def test_under_xdist(self, run, pytester):
        """With pytest-xdist workers the controller's file has the same verdicts and baseline."""
        path = pytester.path / "out.json"
        baseline = pytester.path / "baseline.txt"
        baseline.write_text("test_checks.py::test_wrong_value  # known\n")
        run("-n", "2", "--results", str(path), "--baseline", str(baseline))
        data, claims = claims_of(path)
        assert ["holds", "fails", "error", "skipped", "inconclusive"] == [
            claims[claim_id]["verdict"]
            for claim_id in ("reset.model", "reset.layer", "reset.fresh", "setup.shuffle-default",
                             "reset.with-values")
        ]
        assert claims["reset.with-values"]["cases"][0]["repro"]
        assert (None, []) == (data["running"], data["suite"]["baseline_unmatched"])
        assert claims["reset.layer"]["cases"][0]["expected"] is True

    def test_every_catalogue_id(self, checks_run):
        """Every catalogue id appears, with verdict skipped when no check ran."""
        _, path = checks_run
        data, claims = claims_of(path)
        assert list(CLAIMS) == [claim["id"] for claim in data["claims"]]
        assert "skipped" == claims["carry.index-i"]["verdict"]

    def test_implementation_block(self, checks_run):
        """The file names the implementation and its versions."""
        _, path = checks_run
        data, _ = claims_of(path)
        assert {"name": "fake", "spec": "tests.fake_impl:FAKE", "keras": "0.0", "backend": "none",
                "backend_version": "0.0"} == data["implementation"]

    def test_unknown_claim(self, pytester):
        """A check marked with an id missing from the catalogue is a usage error."""
        pytester.makepyfile(test_bad='import pytest\n@pytest.mark.claim("no.such")\ndef test_x(): pass\n')
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", "tests.fake_impl:FAKE")
        assert 4 == result.ret
        result.stderr.fnmatch_lines(["*unknown claim id 'no.such'*"])

    def test_crash_keeps_completed_cases(self, pytester):
        """A process that dies mid-run leaves every completed case beside the results file and
        names the crashed one, an error since its check never reported."""
        pytester.makepyfile(test_crash="""
            import os, pytest
            @pytest.mark.claim("reset.model")
            def test_first(): pass
            @pytest.mark.claim("reset.layer")
            def test_second(): os.abort()
        """)
        path = pytester.path / "out.json"
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", "tests.fake_impl:FAKE",
                           "--results", str(path))
        assert 0 != result.ret
        data, claims = claims_of(partial_of(path))
        assert (False, "test_crash.py::test_second") == (data["complete"], data["running"])
        assert "holds" == claims["reset.model"]["verdict"]
        (crashed,) = claims["reset.layer"]["cases"]
        assert ("error", "its check never reported: the process running it stopped first") == (
            crashed["verdict"], crashed["message"])
        assert not path.exists()

    def test_timeout_is_error(self, pytester):
        """A hanging check is stopped by the per-test timeout and recorded as error."""
        pytester.makepyfile(test_hang="""
            import time, pytest
            @pytest.mark.claim("reset.model")
            def test_hang(): time.sleep(30)
        """)
        path = pytester.path / "out.json"
        runpytest(pytester, "-p", "harness.plugin", "--impl", "tests.fake_impl:FAKE",
                  "--results", str(path), "--timeout", "2", "--timeout-method", "signal")
        _, claims = claims_of(path)
        case = claims["reset.model"]["cases"][0]
        assert ("error", True) == (case["verdict"], "Timeout" in case["message"])


class TestClaimOption:
    @pytest.mark.parametrize("pattern", ["no.such-claim", "carry.nothing-*"])
    def test_matching_no_claim_id(self, run, pattern):
        """A --claim that matches no catalogue id exits 2 naming the ids, instead of running
        nothing (exit 5) without saying why."""
        result = run("--claim", pattern)
        assert 2 == result.ret
        (line,) = [line for line in result.stderr.lines if line.strip()]
        assert line.startswith(f"Exit: error: --claim {pattern!r} matches no claim id; the ids "
                               "(suites/claims.py) are carry.*, ")
        assert "reset.*" in line

    def test_wildcard_runs_its_claims(self, run, pytester):
        """A wildcard that matches catalogue ids selects their checks."""
        path = pytester.path / "out.json"
        assert 1 == run("--claim", "reset.*", "--results", str(path)).ret
        _, claims = claims_of(path)
        assert {"reset.model": 1, "reset.layer": 1, "reset.fresh": 1, "reset.with-values": 1,
                "setup.shuffle-default": 0} == {
            claim_id: len(claims[claim_id]["cases"])
            for claim_id in ("reset.model", "reset.layer", "reset.fresh", "reset.with-values",
                             "setup.shuffle-default")}


class TestBaseline:
    def write_baseline(self, pytester, text):
        path = pytester.path / "baseline.txt"
        path.write_text(textwrap.dedent(text))
        return str(path)

    def test_expected_failures_pass(self, run, pytester):
        """Listed non-holding cases become expected failures and the run passes."""
        baseline = self.write_baseline(pytester, """
            test_checks.py::test_wrong_value  # known: returns 1
            test_checks.py::test_raises  # known: argument removed
            test_checks.py::test_inconclusive  # known: nothing to reset
        """)
        path = pytester.path / "out.json"
        result = run("--baseline", baseline, "--results", str(path))
        assert 0 == result.ret
        _, claims = claims_of(path)
        case = claims["reset.layer"]["cases"][0]
        assert ("fails", "xfailed", True, "known: returns 1") == (
            case["verdict"], case["outcome"], case["expected"], case["baseline_reason"])

    def test_case_that_starts_to_hold(self, run, pytester):
        """A listed case that holds fails the run, so the baseline gets updated."""
        baseline = self.write_baseline(pytester, """
            test_checks.py::test_holds  # thought broken
            test_checks.py::test_wrong_value  # known
            test_checks.py::test_raises  # known
        """)
        path = pytester.path / "out.json"
        result = run("--baseline", baseline, "--results", str(path))
        assert 1 == result.ret
        _, claims = claims_of(path)
        case = claims["reset.model"]["cases"][0]
        assert ("holds", "xpassed") == (case["verdict"], case["outcome"])
        assert "update the baseline" in case["message"]

    def test_unmatched_entry_warns(self, run, pytester):
        """An entry that matches no collected case is warned about."""
        baseline = self.write_baseline(pytester, "test_checks.py::test_gone  # removed long ago\n")
        run("--baseline", baseline).stdout.fnmatch_lines([
            "warning: 1 baseline line matches no case of this selection "
            "(the first: line 1, 'test_checks.py::test_gone')"])

    @pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
    def test_narrowed_selection_warns_once(self, run, pytester, workers):
        """A run narrowed to one claim says in one line how many entries it left unmatched."""
        baseline = self.write_baseline(pytester, """
            # implementation: fake
            test_checks.py::test_wrong_value  # known
            test_checks.py::test_raises  # known
            test_checks.py::test_inconclusive  # known
        """)
        result = run("--baseline", baseline, "--claim", "reset.model", *workers)
        assert 0 == result.ret
        warnings = [line for line in result.stdout.lines if "baseline line" in line]
        assert ["warning: 3 baseline lines match no case of this selection "
                "(the first: line 3, 'test_checks.py::test_wrong_value')"] == warnings

    @pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "xdist"])
    def test_claim_lines(self, run, pytester, workers):
        """Lines naming a claim (all its cases, or a pattern over its case ids) expect those
        cases, serial and under pytest-xdist; one whose pattern fits no case is warned about."""
        baseline = self.write_baseline(pytester, """
            # implementation: fake
            reset.layer  # known: returns 1
            reset.fresh[]  # known: argument removed
            reset.with-values[*]  # known: nothing to reset
            reset.model[GRU]  # no such case
        """)
        path = pytester.path / "out.json"
        result = run("--baseline", baseline, "--results", str(path), *workers)
        data, claims = claims_of(path)
        assert (0, [True, True, True], ["line 6: reset.model[GRU]"]) == (
            result.ret,
            [claims[claim_id]["cases"][0]["expected"]
             for claim_id in ("reset.layer", "reset.fresh", "reset.with-values")],
            data["suite"]["baseline_unmatched"])
        result.stdout.fnmatch_lines(["warning: 1 baseline line matches no case of this selection "
                                     "(the first: line 6, 'reset.model[GRU]')"])

    def test_baseline_of_another_implementation(self, run, pytester):
        """A baseline that names another implementation is refused with one line and exit 2."""
        baseline = self.write_baseline(pytester, """
            # implementation: keras-jax
            test_checks.py::test_raises  # known
        """)
        result = run("--baseline", baseline)
        assert 2 == result.ret
        result.stderr.fnmatch_lines(["Exit: error: *baseline.txt: baseline of keras-jax, not of fake*"])

    def test_entry_without_reason(self, run, pytester):
        """An entry without a reason is refused with one line and exit 2."""
        baseline = self.write_baseline(pytester, "test_checks.py::test_raises\n")
        result = run("--baseline", baseline)
        assert 2 == result.ret
        result.stderr.fnmatch_lines(["*baseline.txt:1: entry has no reason*"])

    def test_missing_file(self, run):
        """A missing baseline file exits 2 with one line."""
        result = run("--baseline", "nowhere.txt")
        assert 2 == result.ret
        result.stderr.fnmatch_lines(["*nowhere.txt: no such baseline file*"])

    def test_wildcard(self, run, pytester):
        """A * in an entry matches any parameters, while brackets stay literal."""
        baseline = self.write_baseline(pytester, "test_checks.py::test_[wr]*  # both known\n")
        assert 1 == run("--baseline", baseline).ret  # brackets literal: matches nothing
        baseline = self.write_baseline(pytester, "test_checks.py::test_r*  # known\n"
                                       "test_checks.py::test_w*  # known\ntest_checks.py::test_i*  # known\n")
        assert 0 == run("--baseline", baseline).ret


class TestInterruption:
    def test_sigterm_leaves_a_whole_file(self, pytester):
        """SIGTERM mid-run leaves a complete, valid results file that says it was interrupted."""
        import signal

        pytester.makepyfile(test_slow="""
            import time, pytest
            @pytest.mark.claim("reset.model")
            def test_first(): pass
            @pytest.mark.claim("reset.layer")
            def test_slow(): time.sleep(60)
        """)
        path = pytester.path / "out.json"
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", *UNUSED_PLUGINS, "-p", "harness.plugin", "-p",
             "no:cacheprovider", "--impl", "tests.fake_impl:FAKE", "--results", str(path)],
            cwd=pytester.path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.time() + 60
        partial = partial_of(path)
        while time.time() < deadline and not (partial.exists() and "test_slow" in partial.read_text()):
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert 0 != process.wait(timeout=60)
        data, claims = claims_of(partial_of(path))
        assert (False, "holds") == (data["complete"], claims["reset.model"]["verdict"])
        assert "signal 15" in data["interrupted"]
        (interrupted,) = claims["reset.layer"]["cases"]
        assert ("error", "its check never reported: the run was interrupted "
                         "(KeyboardInterrupt: received signal 15)") == (
            interrupted["verdict"], interrupted["message"])
        assert not path.exists()  # a run that did not finish replaces no results file


class TestClaimsSummary:
    """The claims summary at the end of a run: one row per claim, grouped by family, a tally last,
    within the terminal's width; the same under xdist."""

    @staticmethod
    def summary(result) -> list[str]:
        """The summary's lines: after its title, up to the next section."""
        lines = result.stdout.lines
        start = next(i for i, line in enumerate(lines) if "claims on fake" in line) + 1
        end = next((i for i in range(start, len(lines)) if lines[i].startswith("===")), len(lines))
        return lines[start:end]

    @staticmethod
    def rows(lines) -> dict[str, str]:
        return {line.split()[0]: line for line in lines if line.startswith("  ")}

    def test_lines(self, run, pytester, monkeypatch):
        """Holding, failing, erroring, expected and inconclusive claims each get their row, under
        their family's tally, then the tally of all, the results file and the report."""
        monkeypatch.setenv("COLUMNS", "120")
        baseline = pytester.path / "baseline.txt"
        baseline.write_text("test_checks.py::test_raises  # known: argument removed\n")
        result = run("--results", str(pytester.path / "out.json"), "--baseline", str(baseline))
        assert any("claims on fake (keras 0.0, none 0.0)" in line for line in result.stdout.lines)
        lines = self.summary(result)
        by_claim = self.rows(lines)
        assert "✅ holds" in by_claim["reset.model"] and by_claim["reset.model"].endswith(" 1/1 held")
        assert "❌ fails" in by_claim["reset.layer"]
        assert "1 not in the baseline; observed 1, expected 2" in by_claim["reset.layer"]
        assert "💥 error" in by_claim["reset.fresh"] and "expected; TypeError" in by_claim["reset.fresh"]
        assert "❔ inconclusive" in by_claim["reset.with-values"]
        assert "⏭ skipped" in by_claim["setup.shuffle-default"]
        assert [
            "reset: 1 ✅ holds, 1 ❌ fails, 1 💥 error, 1 ❔ inconclusive",
            "setup: 1 ⏭ skipped",
            "5 claims: 1 ✅ holds, 1 ❌ fails, 1 💥 error, 1 ❔ inconclusive, 1 ⏭ skipped",
            f"results: {pytester.path / 'out.json'}",
            f"report:  {pytester.path / 'out.md'}",
        ] == [line for line in lines if not line.startswith("  ")]
        assert lines.index("setup: 1 ⏭ skipped") == lines.index(by_claim["setup.shuffle-default"]) - 1
        assert (pytester.path / "out.md").read_text().startswith("# Stateful RNN conformance: fake")

    def test_same_under_xdist(self, run, pytester):
        """With two workers the summary appears once, with the serial run's content."""
        serial = self.summary(run("--results", str(pytester.path / "a.json")))
        parallel_result = run("-n", "2", "--results", str(pytester.path / "a.json"))
        assert serial == self.summary(parallel_result)
        assert 1 == sum("claims on fake" in line for line in parallel_result.stdout.lines)

    def test_quiet_levels(self, run):
        """-q keeps the summary, -qq drops it."""
        assert any("claims on fake" in line for line in run("-q").stdout.lines)
        assert not any("claims on fake" in line for line in run("-qq").stdout.lines)

    @pytest.mark.parametrize("columns", [80, 60])
    def test_fits_the_terminal(self, run, pytester, monkeypatch, columns):
        """No line of the summary is wider than COLUMNS: the messages are cut, the claim ids, the
        verdicts and the cases held are whole."""
        from harness.summary import display_width

        monkeypatch.setenv("COLUMNS", str(columns))
        baseline = pytester.path / "baseline.txt"
        baseline.write_text("test_checks.py::test_raises  # known: argument removed\n")
        lines = self.summary(run("--baseline", str(baseline)))
        assert max(display_width(line) for line in lines) <= columns, "\n".join(lines)
        text = "\n".join(lines)
        for claim_id, verdict, held in [
                ("reset.model", "holds", "1/1"), ("reset.layer", "fails", "0/1"),
                ("reset.fresh", "error", "0/1"), ("reset.with-values", "inconclusive", "0/1"),
                ("setup.shuffle-default", "skipped", "0/1")]:
            row = next(line for line in text.split(f"  {claim_id}")[1].splitlines() if line.strip())
            assert [verdict, held] == row.split()[1:3], row
        assert "1 not in the" in text and "…" in text  # a message cut, from its end

    def test_skipped_row_aligned(self, pytester):
        """⏭ is one column wide on a terminal where ✅ is two: the verdicts still line up."""
        from harness.summary import display_width

        pytester.makepyfile(test_setup_checks="""
            import pytest

            @pytest.mark.claim("setup.shuffle-false")
            def test_holds():
                pass

            @pytest.mark.claim("setup.shuffle-default")
            def test_skipped():
                pytest.skip("not applicable")
        """)
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", "tests.fake_impl:FAKE")
        rows = self.rows(self.summary(result))
        columns = {claim_id: display_width(row[:row.index(word)])
                   for claim_id, row, word in [("setup.shuffle-false", rows["setup.shuffle-false"], "holds"),
                                               ("setup.shuffle-default", rows["setup.shuffle-default"], "skipped")]}
        assert columns["setup.shuffle-false"] == columns["setup.shuffle-default"], rows

    def test_ascii_where_the_console_cannot_encode_the_symbols(self, run, monkeypatch):
        """On a cp1252 console the marks are harness/markdown.py's ASCII ones, not escapes."""
        monkeypatch.setenv("PYTHONIOENCODING", "cp1252")
        lines = self.summary(run())
        rows = self.rows(lines)
        assert "[ok]" in rows["reset.model"] and "[FAIL]" in rows["reset.layer"]
        assert "[skip]" in rows["setup.shuffle-default"]
        assert not any("\\u" in line for line in lines), lines
        assert any(line.startswith("5 claims: 1 [ok] holds, 1 [FAIL] fails") for line in lines)

    def test_ascii_option(self, run):
        """--ascii prints the ASCII marks where the console has the symbols."""
        rows = self.rows(self.summary(run("--ascii")))
        assert "[ok]" in rows["reset.model"] and "✅" not in rows["reset.model"]


class TestFailureDisplay:
    """A case that does not hold shows its claim message, the traceback only when asked for."""

    @staticmethod
    def failure(result, name: str) -> list[str]:
        """The lines of the failure section of test ``name``."""
        lines = result.stdout.lines
        start = next(i for i, line in enumerate(lines) if line.strip("_ ") == name) + 1
        end = next(i for i in range(start, len(lines)) if lines[i].startswith(("___", "===")))
        return lines[start:end]

    def test_claim_message_instead_of_the_traceback(self, checks_run):
        """An error shows the claim, the versions, the exception and the suite's line it came
        through; a wrong value the check's own message; no source lines of the framework."""
        result, _ = checks_run
        assert [
            "[reset.fresh] on fake (keras 0.0, none 0.0)",
            "  error: TypeError: no such argument",
            '  at: raise TypeError("no such argument")  (test_checks.py:14)',
            "  (the traceback: -v or --tb=long)",
        ] == self.failure(result, "test_raises")
        assert ["[reset.layer] on fake (keras 0.0, none 0.0)",
                "  fails: observed 1, expected 2", "    assert 1 == 2"] == self.failure(
            result, "test_wrong_value")[:3]
        inconclusive = self.failure(result, "test_inconclusive")
        assert inconclusive[0].startswith("[reset.with-values] on fake")
        assert "Traceback" not in result.stdout.str() and "def test_" not in result.stdout.str()

    def test_notes_follow_the_message(self, pytester):
        """What was added to the exception on its way up (Hypothesis's falsifying example) is
        shown after the claim message."""
        pytester.makepyfile(test_noted="""
            import pytest
            from suites.check import Check
            from tests.fake_impl import FAKE

            @pytest.mark.claim("reset.layer")
            def test_noted(request):
                check = Check(request.node, FAKE, "tests.fake_impl:FAKE")
                try:
                    check.that(False, "1", "2")
                except AssertionError as error:
                    error.add_note("Falsifying example: run(steps=['call', 'predict'])")
                    raise
        """)
        result = runpytest(pytester, "-p", "harness.plugin", "--impl", "tests.fake_impl:FAKE")
        lines = self.failure(result, "test_noted")
        assert lines[0].startswith("[reset.layer] on fake")
        assert lines[-2:] == ["  Falsifying example: run(steps=['call', 'predict'])",
                              "  (the traceback: -v or --tb=long)"]

    @pytest.mark.parametrize("option", ["-v", "--tb=long"])
    def test_traceback_when_asked(self, run, option):
        """-v or --tb=long: pytest's own report, with the check's source."""
        result = run(option)
        assert "    def test_raises():" in self.failure(result, "test_raises")


class TestSplit:
    """The plugin's jobs in their modules: the results collector only where it writes."""

    def test_collector_only_where_results_are_written(self, pytester):
        """Registered in the one process of a serial run and in a parallel run's controller,
        never in its workers."""
        pytester.makepyfile(test_where="""
            import pytest

            @pytest.mark.claim("reset.model")
            @pytest.mark.parametrize("case", range(4))
            def test_collector_not_in_a_worker(request, case):
                collector = request.config.pluginmanager.get_plugin("stateful-rnn-results")
                assert (collector is None) == hasattr(request.config, "workerinput")
        """)
        for workers in ([], ["-n", "2"]):
            path = pytester.path / "out.json"
            result = runpytest(pytester, "-p", "harness.plugin", "--impl", "tests.fake_impl:FAKE",
                               "--results", str(path), *workers)
            assert 0 == result.ret, result.stdout.str()
            _, claims = claims_of(path)
            assert ["holds"] * 4 == [case["verdict"] for case in claims["reset.model"]["cases"]]

    def test_environment_block(self, checks_run):
        """The results file's environment is harness/environment.py's, the one builder."""
        from harness.environment import environment

        _, path = checks_run
        data, _ = claims_of(path)
        assert set(environment()) == set(data["environment"])
        assert {key: environment()[key] for key in ("python", "platform", "numpy", "project_commit")} == {
            key: data["environment"][key] for key in ("python", "platform", "numpy", "project_commit")}


class TestQuietStart:
    """TensorFlow's start-up lines (absl's notice, oneDNN, cuda drivers; twice per process) are
    not printed by a run, in its process or its pytest-xdist workers, unless the user asks."""

    NOISE = ("absl::InitializeLog", "oneDNN custom operations", "Could not find cuda drivers")

    @staticmethod
    def run_suite(*args, **environment):
        variables = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **environment}
        for name in ("TF_CPP_MIN_LOG_LEVEL", "STATEFUL_RNN_IMPL"):
            if name not in environment:
                variables.pop(name, None)
        return subprocess.run(
            [sys.executable, "-m", "pytest", "suites/test_setup.py", *UNUSED_PLUGINS, "-p", "no:randomly",
             "--impl", "keras-tensorflow", "--claim", "setup.shuffle-default", *args],
            cwd=PROJECT_ROOT, env=variables, capture_output=True, text=True, timeout=300)

    @pytest.mark.parametrize("workers", [["-n", "0"], ["-n", "2"]], ids=["serial", "xdist"])
    def test_silent(self, workers):
        completed = self.run_suite(*workers)
        output = completed.stdout + completed.stderr
        assert 0 == completed.returncode, output[-3000:]
        assert "setup.shuffle-default" in completed.stdout  # it ran, with TensorFlow loaded
        assert [line for line in output.splitlines() if any(noise in line for noise in self.NOISE)] == []

    def test_the_users_level_is_kept(self):
        """TF_CPP_MIN_LOG_LEVEL=0, set by the user: every line, as TensorFlow prints it."""
        completed = self.run_suite("-n", "0", TF_CPP_MIN_LOG_LEVEL="0")
        assert 2 == sum("oneDNN custom operations" in line for line in completed.stderr.splitlines())
