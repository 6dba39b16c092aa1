"""A case holds only when its check said so: a case whose process died first is an error.

Under pytest-xdist a worker that dies (a segfaulting backend, pytest-timeout's thread method
ending the process) leaves the controller one report of the case it was running, with no
verdict (``when="???"``). That case is ``error`` in the results file, the claims summary and the
report, and its claim cannot hold because of it.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from harness.paths import PROJECT_ROOT

pytest_plugins = ["pytester"]


def claims_of(path: Path) -> dict[str, dict]:
    return {claim["id"]: claim for claim in json.loads(path.read_text())["claims"]}


def summary_line(stdout: str, claim_id: str) -> str:
    (line,) = [line for line in stdout.splitlines() if line.split()[:1] == [claim_id]]
    return line


@pytest.mark.system
@pytest.mark.timeout(900)
def test_worker_that_dies_mid_case(tmp_path):
    """keras-torch whose GRU predict_on_batch kills the process, on two workers: that case is
    an error everywhere the run is shown, the case beside it still holds, the claim does not."""
    path = tmp_path / "crash.json"
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2"}
    environment.pop("STATEFUL_RNN_IMPL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/test_carry.py", "-n", "2", "--max-worker-restart", "0",
         "-p", "no:cacheprovider", "--impl", "fixtures.mutants:WORKER_CRASH",
         "--claim", "carry.index-i", "-k", "GRU and bs3 and (predict_on_batch or call)",
         "--results", str(path)],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=800)
    assert 1 == completed.returncode, completed.stdout[-3000:] + completed.stderr[-3000:]
    claim = claims_of(path)["carry.index-i"]
    verdicts = {case["nodeid"].split("[")[1]: (case["verdict"], case["outcome"], case["message"])
                for case in claim["cases"]}
    died = ("error", "error", "the worker running it died; worker 'gw0' crashed while running "
            "'suites/test_carry.py::test_index_i[GRU-bs3-predict_on_batch]'")
    gw1 = (died[0], died[1], died[2].replace("'gw0'", "'gw1'"))
    assert verdicts["GRU-bs3-predict_on_batch]"] in (died, gw1)
    assert ("holds", "passed", "") == verdicts["GRU-bs3-call]"]
    assert "error" == claim["verdict"]
    line = summary_line(completed.stdout, "carry.index-i")
    assert "💥 error" in line and "1/2" in line.split() and "the worker running it died" in line
    report = path.with_suffix(".md").read_text()
    rows = [row for row in report.splitlines() if row.startswith("| carry.index-i ")]
    assert any("💥 error" in row and "the worker running it died" in row for row in rows), rows


HANGS = """
import time, pytest

@pytest.mark.claim("reset.model")
def test_holds():
    pass

@pytest.mark.claim("reset.layer")
def test_hangs():
    time.sleep(60)
"""


def run_on_two_workers(pytester, monkeypatch, checks: str, *args):
    """The checks in ``test_checks.py``, run by the fake implementation on two workers; the
    result and the results file."""
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    monkeypatch.delenv("STATEFUL_RNN_IMPL", raising=False)
    pytester.makepyfile(test_checks=textwrap.dedent(checks))
    path = pytester.path / "out.json"
    result = pytester.runpytest_subprocess(
        "-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "harness.plugin",
        "-p", "no:cacheprovider", "--impl", "tests.fake_impl:FAKE", "-n", "2",
        "--results", str(path), *args)
    return result, path


def test_timeout_that_ends_the_worker(pytester, monkeypatch):
    """pytest-timeout's thread method ends the process of a check that hangs: under xdist that
    case is an error, never a case that holds."""
    result, path = run_on_two_workers(pytester, monkeypatch, HANGS,
                                      "--timeout", "3", "--timeout-method", "thread")
    assert 1 == result.ret
    claims = claims_of(path)
    (hung,) = claims["reset.layer"]["cases"]
    assert ("error", "error") == (hung["verdict"], hung["outcome"])
    assert hung["message"].startswith("the worker running it died; worker 'gw")
    assert hung["message"].endswith("crashed while running 'test_checks.py::test_hangs'")
    assert ("holds", "error") == (claims["reset.model"]["verdict"], claims["reset.layer"]["verdict"])
    assert summary_line("\n".join(result.stdout.lines), "reset.layer").split()[1:3] == ["💥", "error"]


DIES_IN_SETUP = """
import os, pytest

@pytest.fixture
def backend():
    os._exit(1)  # a backend that segfaults while the check's model is built

@pytest.mark.claim("reset.model")
def test_holds():
    pass

@pytest.mark.claim("reset.layer")
def test_dies(backend):
    pass
"""


def test_worker_that_dies_in_setup(pytester, monkeypatch):
    """A worker that dies in a check's fixture, before any report of the case said its claim:
    the case is still recorded, an error, under its claim."""
    result, path = run_on_two_workers(pytester, monkeypatch, DIES_IN_SETUP)
    assert 1 == result.ret
    claims = claims_of(path)
    (died,) = claims["reset.layer"]["cases"]
    assert ("error", "test_checks.py::test_dies") == (died["verdict"], died["nodeid"])
    assert died["message"].startswith("the worker running it died; worker 'gw")
