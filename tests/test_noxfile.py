"""Light checks of noxfile.py (the version matrix) and of the example CI workflow.

Nothing here builds an environment; ``nox -s "suite(keras-tensorflow-3.5)" -- -k "LSTM and bs3"``
is the end-to-end check of a session.
"""

import importlib.util
import re
import sys
import tomllib
from pathlib import Path

import pytest

from harness import compare, results
from harness.implementations import BUILT_IN
from suites.claims import CLAIMS

nox = pytest.importorskip("nox")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def noxfile():
    spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop(spec.name, None)


def test_matrix_covers_every_built_in_with_one_default_each(noxfile):
    ids = [release.id for release in noxfile.MATRIX]
    assert len(ids) == len(set(ids))
    for name in BUILT_IN:
        releases = [release for release in noxfile.MATRIX if release.impl == name]
        assert len(releases) >= 2, f"{name}: no older release in the matrix"
        assert sum(release.default for release in releases) == 1, name
        assert {release.backend for release in releases} == {BUILT_IN[name].backend}


def test_default_releases_are_the_ones_installed_by_default(noxfile):
    """The default rows pin what `pip install .[all]` pins, so their baselines apply."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pinned = set(pyproject["project"]["optional-dependencies"]["all"])
    for release in noxfile.MATRIX:
        if release.default:
            assert set(release.requirements) <= pinned, release.id
    assert noxfile.TORCH in pinned
    # torch never goes through uv (which would fetch a CUDA build): no row names it.
    assert not any("torch" in requirement
                   for release in noxfile.MATRIX for requirement in release.requirements)


class FakeSession:
    name = "suite(keras-tensorflow-3.5)"
    posargs = ["-k", "LSTM"]

    def __init__(self):
        self.warnings = []

    def warn(self, message):
        self.warnings.append(message)


def test_a_failed_session_leaves_a_row_of_errors(noxfile, tmp_path, monkeypatch):
    monkeypatch.setattr(noxfile, "RESULTS", tmp_path)
    release = next(release for release in noxfile.MATRIX if release.id == "keras-tensorflow-3.5")
    noxfile.record_failure(FakeSession(), release, "the install of the environment",
                           "the environment could not be built: no matching distribution")

    data = results.load(tmp_path / "keras-tensorflow-3.5.json")
    assert [claim["id"] for claim in data["claims"]] == list(CLAIMS)
    assert {claim["verdict"] for claim in data["claims"]} == {"error"}
    assert data["complete"] is False

    text = compare.render([("marker", data)])
    assert "keras-tensorflow (keras 3.5, not run)" in text
    # The reason is footnoted once, not once per claim.
    assert text.count("no matching distribution") == 1


def test_workflow_scripts_take_no_expressions():
    """Every `run:` script reads environment variables; no ${{ }} is pasted into a shell."""
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "stateful-rnn.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["conformance"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    assert scripts
    for script in scripts:
        assert "${{" not in script
    suite = next(step["run"] for step in steps if step.get("id") == "suite")
    assert re.search(r"pytest -c pyproject.toml suites/", suite)


def test_nightlies_cover_every_built_in_and_stay_out_of_a_plain_nox(noxfile):
    assert sorted(release.impl for release in noxfile.NIGHTLIES) == sorted(BUILT_IN)
    for release in noxfile.NIGHTLIES:
        assert release.nightly and not release.default
        assert release.backend == BUILT_IN[release.impl].backend
        # Beside the releases, after them in a version sort: <impl>-nightly.json.
        assert release.results == noxfile.RESULTS / f"{release.impl}-nightly.json"
        # The release's baseline: the sequence search leaves out what it lists, as there.
        assert release.baseline == noxfile.BASELINES / f"{release.impl}.txt"
        names = [re.split(r"[<>=\[ ]", requirement)[0] for requirement in release.requirements]
        # Only nightlies of Keras: a `keras` release would share the import name.
        assert "keras" not in names and "tf-keras" not in names, release.id
        assert {"keras-nightly", "tf-keras-nightly"} & set(names), release.id
        assert not any("torch" in name for name in names)  # pip installs it, pinned
    # `nox` alone runs the matrix and the comparison, not the nightlies.
    assert "nightly" not in noxfile.nox.options.sessions


def test_nightly_sessions_are_tagged_nightly():
    import subprocess

    listed = subprocess.run([sys.executable, "-m", "nox", "-l", "-t", "nightly"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    selected = re.findall(r"^\* (\S+)", listed, flags=re.MULTILINE)
    assert selected == [f"nightly({name}-nightly)"
                        for name in ("keras-tensorflow", "keras-jax", "keras-torch", "tf-keras")]
    default = subprocess.run([sys.executable, "-m", "nox", "-l"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert not re.search(r"^\* nightly", default, flags=re.MULTILINE)


def test_the_project_installs_no_keras_of_its_own():
    """A nightly environment installs the project without extras: no `keras` comes with it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    names = [re.split(r"[<>=\[ ;]", requirement)[0].lower()
             for requirement in pyproject["project"]["dependencies"]]
    assert not {"keras", "tf-keras", "tensorflow", "jax", "torch"} & set(names)
    assert "hypothesis" in names  # the suite imports it (suites/conftest.py)


def test_nightly_job_is_weekly_and_report_only():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load(
        (ROOT / ".github" / "workflows" / "stateful-rnn.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as True
    assert any(entry["cron"].split()[2:] == ["*", "*", "1"] for entry in triggers["schedule"])
    job = workflow["jobs"]["nightly"]
    assert "schedule" in job["if"]
    assert "schedule" in workflow["jobs"]["conformance"]["if"]  # not on the weekly run
    assert {entry["impl"] for entry in job["strategy"]["matrix"]["include"]} == set(BUILT_IN)
    scripts = [step["run"] for step in job["steps"] if "run" in step]
    for script in scripts:
        assert "${{" not in script
    gate = next(step["run"] for step in job["steps"] if step.get("id") == "gate")
    assert 'gate --baseline "$BASELINE_DIR"' in gate
    last = job["steps"][-1]["run"]
    assert re.search(r"1\) echo \"::warning::", last)  # the gate's exit 1 does not fail it
