"""The pytest-xdist controller of a parallel run does not load the Keras under test: the versions
of a built-in implementation come from the installed metadata, and a worker that cannot load it
stops the run with one error instead of being replaced again and again.

That the controller reports the same versions as a serial run is checked on real runs by
``tests/test_determinism.py``.
"""

import os
import subprocess
import sys

import pytest

from harness import implementations
from harness.implementations import ImplementationError
from harness.paths import PROJECT_ROOT
from tests.fake_impl import FAKE


def test_a_user_implementation_is_loaded():
    """A user's own ``versions()`` may read anything: no metadata shortcut for it."""
    assert implementations.versions_without_loading(FAKE) is None


def test_a_built_in_that_is_not_installed_is_refused(monkeypatch):
    """No module, no run: the same one-line error as load() gives, before any worker starts."""
    real_find_spec = implementations.importlib.util.find_spec
    monkeypatch.setattr(implementations.importlib.util, "find_spec",
                        lambda name: None if name == "jax" else real_find_spec(name))
    with pytest.raises(ImplementationError, match="'keras-jax' is not installed: no module named 'jax'"):
        implementations.versions_without_loading(implementations.BUILT_IN["keras-jax"])


def test_installed_versions_come_from_the_distributions():
    """The metadata names the Keras distribution that provides the module, and the backend's."""
    versions = implementations.BUILT_IN["keras-tensorflow"].installed_versions()
    assert versions == {"keras": implementations.importlib.metadata.version("keras"),
                        "backend": "tensorflow",
                        "backend_version": implementations.importlib.metadata.version("tensorflow")}


def test_only_the_jax_backend_shares_compiled_programs():
    assert set(implementations.COMPILATION_CACHES) == {"jax"}
    environment = implementations.COMPILATION_CACHES["jax"]("/some/folder")
    assert environment["JAX_COMPILATION_CACHE_DIR"] == "/some/folder"


def test_a_worker_that_cannot_load_stops_the_run(tmp_path):
    """An installed but broken TensorFlow: the controller (which does not import it) starts the
    workers, the first one that fails ends the run with exit 2 and says why, once per worker at
    most, instead of pytest-xdist replacing crashed workers until its limit."""
    planted = tmp_path / "planted" / "tensorflow"
    planted.mkdir(parents=True)
    (planted / "__init__.py").write_text('raise ImportError("planted: this TensorFlow is broken")\n')
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join([str(planted.parent), str(PROJECT_ROOT)])}
    environment.pop("STATEFUL_RNN_IMPL", None)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/", "-n", "2", "-p", "no:cacheprovider",
         "--impl", "keras-tensorflow", "--claim", "setup.shuffle-default",
         "--results", str(tmp_path / "results.json")],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    output = completed.stdout + completed.stderr
    assert completed.returncode == 2, output[-3000:]
    assert "could not load keras-tensorflow" in output
    assert "planted: this TensorFlow is broken" in output
    assert "replacing crashed worker" not in output
