"""One description of the machine and software (harness/environment.py) for the results file,
the benchmark rows and nox's record of a session that could not run.

The plugin's results file: tests/test_plugin.py (TestSplit.test_environment_block).
"""

import importlib.util
import sys
from pathlib import Path

import pytest

from harness import results
from harness.environment import environment

ROOT = Path(__file__).resolve().parent.parent


class FakeSession:
    name = "suite(keras-jax-3.15)"
    posargs = []

    def warn(self, message):
        pass


def test_a_failed_nox_session_is_described_the_same_way(tmp_path, monkeypatch):
    """The row of errors nox records names the session's Python, and nothing it did not install."""
    pytest.importorskip("nox")
    spec = importlib.util.spec_from_file_location("noxfile_for_environment", ROOT / "noxfile.py")
    noxfile = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, noxfile)  # dataclasses look their module up there
    spec.loader.exec_module(noxfile)
    monkeypatch.setattr(noxfile, "RESULTS", tmp_path)
    release = next(release for release in noxfile.MATRIX if release.default)
    noxfile.record_failure(FakeSession(), release, "the install", "no matching distribution")

    recorded = results.load(release.results)["environment"]
    assert set(recorded) == set(environment())
    assert (noxfile.PYTHON, None) == (recorded["python"], recorded["numpy"])
    same = ("platform", "machine", "cpu_count", "project_commit")
    assert {key: environment()[key] for key in same} == {key: recorded[key] for key in same}
