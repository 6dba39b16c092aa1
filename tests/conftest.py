"""The project's own tests, in two speeds.

Unit tests (the default, ``pytest tests/``) need no suite run and import a Keras backend only
where the test is about one. They run on one pytest-xdist worker per core unless ``-n`` is given
(``-n 0`` for a serial run): most of their time is pytester subprocesses, which overlap well.
System tests (``@pytest.mark.system``) run the suite itself in fresh processes: the determinism runs, the mutants, the README-only implementation, the repro
scripts, the clean checkout. They run with ``pytest tests/ --system`` (add ``-n 2``), as CI and
``nox -s selftest`` do.
"""

import os

import pytest
from hypothesis import settings

# Derandomised so CI sees the same examples every run; HYPOTHESIS_PROFILE=dev for a wider search.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    # An initial conftest (``pytest tests/...``) may set options before xdist's own
    # pytest_cmdline_main turns "auto" into a worker count. Workers re-run this hook: skip them.
    if (config.pluginmanager.hasplugin("xdist") and config.option.numprocesses is None
            and not hasattr(config, "workerinput") and (os.cpu_count() or 1) > 1
            and not config.getoption("usepdb", False)):
        config.option.numprocesses = "auto"


def pytest_addoption(parser):
    parser.addoption("--system", action="store_true",
                     help="also run the system tests (real suite runs in fresh processes)")


def pytest_configure(config):
    config.addinivalue_line("markers", "system: runs the suite in fresh processes (--system)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--system"):
        return
    system = [item for item in items if item.get_closest_marker("system")]
    if system:
        config.hook.pytest_deselected(items=system)
        items[:] = [item for item in items if not item.get_closest_marker("system")]
