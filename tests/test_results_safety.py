"""A results file is only ever replaced by a complete one of the same run.

Each test points ``--results`` at a copy of a published results file (keras-jax 3.15, with its
reproduction scripts, made again from the checks its cases recorded, and its report beside it) and runs the plugin in a fresh process: a run
that executes no case, a run whose ``--results`` swallowed a test path, a run that crashes and a
bad ``--results`` leave every file exactly as it was; only a run that finishes replaces them.
"""

import os
import shutil
import stat
from pathlib import Path

import pytest

from harness import results
from harness.__main__ import main as harness_main

pytest_plugins = ["pytester"]
PROJECT_ROOT = Path(__file__).resolve().parent.parent
PUBLISHED = PROJECT_ROOT / "reports" / "results" / "keras-jax-3.15.json"

CHECKS = """
import pytest
from suites.check import Check
from tests.fake_impl import FAKE

@pytest.mark.claim("reset.model")
def test_holds():
    assert 1 == 1

@pytest.mark.claim("reset.layer")
def test_wrong_value(request):
    check = Check(request.node, FAKE, "tests.fake_impl:FAKE")
    check.reproduce("expect(False, 'planted')")
    check.that(False, "1", "2")
"""


@pytest.fixture(autouse=True)
def _importable_project(monkeypatch):
    """The subprocess runs in a temporary folder; it must still find the harness and the fake."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    monkeypatch.delenv("STATEFUL_RNN_IMPL", raising=False)


def run(pytester, *args, paths=("test_checks.py",)):
    """The plugin on ``paths`` only: never the results folder, whose scripts are Python files.
    """
    pytester.makepyfile(test_checks=CHECKS)
    # Without the plugins these runs do not use (most of a run's start-up, see test_plugin.py).
    return pytester.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "harness.plugin",
        "-p", "no:cacheprovider", "--impl", "tests.fake_impl:FAKE", *paths, *args)


@pytest.fixture
def published(pytester) -> Path:
    """A copy of a real results file with its scripts folder and its report, in the run's folder."""
    path = pytester.path / "results" / PUBLISHED.name
    path.parent.mkdir()
    shutil.copy(PUBLISHED, path)
    # Its scripts are not committed: made again from the checks each case recorded.
    assert harness_main(["repro", str(path), "--write-only"]) == 0
    shutil.copy(PROJECT_ROOT / "reports" / PUBLISHED.with_suffix(".md").name, path.with_suffix(".md"))
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too) with its bytes."""
    return {file.relative_to(folder).as_posix(): file.read_bytes()
            for file in sorted(folder.rglob("*")) if file.is_file()}


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.lines if line.strip()]


def test_collect_only_changes_nothing(pytester, published):
    """--collect-only with --results writes no results file, no report, no scripts."""
    before = snapshot(published.parent)
    scripts = [name for name in before if name.endswith(".py")]
    assert len(scripts) > 100  # the real file's scripts
    result = run(pytester, "--collect-only", "-q", "--results", str(published))
    assert 0 == result.ret
    assert before == snapshot(published.parent)


def test_all_deselected_writes_nothing(pytester, published):
    """A run whose every case is deselected executes nothing and replaces nothing."""
    before = snapshot(published.parent)
    result = run(pytester, "-k", "no_such_test", "--results", str(published))
    assert 5 == result.ret
    assert before == snapshot(published.parent)


def test_results_swallowing_a_test_path(pytester, published):
    """``--results test_checks.py`` (a bare --results followed by the test path) is refused
    with one line, and the test file is left as it was."""
    test_file = pytester.makepyfile(test_checks=CHECKS)
    before = test_file.read_bytes(), snapshot(published.parent)
    result = run(pytester, "--collect-only", "-q", "--results", "test_checks.py")
    assert 2 == result.ret
    assert ["Exit: error: --results test_checks.py: a Python file, not a results file (to write "
            "the default results file, put the test paths before --results)"] == error_lines(result)
    assert before == (test_file.read_bytes(), snapshot(published.parent))


def test_crash_changes_nothing(pytester, published):
    """A process that dies mid-run leaves the previous results, scripts and report as they were;
    what it had finished is beside them."""
    pytester.makepyfile(test_crash="""
        import os, pytest
        @pytest.mark.claim("reset.model")
        def test_first(): pass
        @pytest.mark.claim("reset.layer")
        def test_second(): os.abort()
    """)
    before = snapshot(published.parent)
    result = run(pytester, "--results", str(published), paths=("test_crash.py",))
    assert 0 != result.ret
    after = snapshot(published.parent)
    partial = published.with_name(f".{published.name}.partial")
    assert before == {name: data for name, data in after.items() if name != partial.name}
    data = results.load(partial)
    assert (False, "test_crash.py::test_second") == (data["complete"], data["running"])


@pytest.mark.parametrize("kind", ["directory", "foreign file"])
def test_path_that_is_no_results_file(pytester, kind):
    """A directory or an existing file this suite did not write is refused with one line."""
    path = pytester.path / "target"
    if kind == "directory":
        path.mkdir()
        said = f"--results {path}: a directory; name the results file in it ({path / 'results.json'})"
    else:
        path.write_text("my notes\n")
        said = f"--results {path}: exists and is not a results file of this suite; refusing to replace it"
    result = run(pytester, "--results", str(path))
    assert 2 == result.ret
    assert [f"Exit: error: {said}"] == error_lines(result)
    assert kind == "directory" or "my notes\n" == path.read_text()


def test_finished_run_replaces_all(pytester, published):
    """A run that finishes replaces the results file, the scripts folder (the old scripts gone,
    its own in) and the report, leaves nothing else behind, and writes files anyone can read."""
    old_scripts = {file.name for file in published.with_name(published.stem + "-repro").iterdir()}
    result = run(pytester, "--results", str(published))
    assert 1 == result.ret
    data = results.load(published)
    assert (True, "fake") == (data["complete"], data["implementation"]["name"])
    scripts = published.with_name(published.stem + "-repro")
    (case,) = [case for claim in data["claims"] for case in claim["cases"] if case["repro"]]
    assert [published.parent / case["repro"]] == list(scripts.iterdir())
    assert not old_scripts & {file.name for file in scripts.iterdir()}
    assert published.with_suffix(".md").read_text().startswith("# Stateful RNN conformance: fake")
    assert {published.name, scripts.name, published.with_suffix(".md").name} == {
        entry.name for entry in published.parent.iterdir()}
    umask = os.umask(0o022)
    os.umask(umask)
    for file in (published, published.with_suffix(".md"), published.parent / case["repro"]):
        assert oct(0o666 & ~umask) == oct(stat.S_IMODE(file.stat().st_mode)), file
