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

from tests.suite_runs import SharedRuns

# Derandomised so CI sees the same examples every run; HYPOTHESIS_PROFILE=dev for a wider search.
settings.register_profile("ci", derandomize=True, deadline=None, max_examples=60, print_blob=True)
settings.register_profile("dev", deadline=None, max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# The order of a parallel run (pytest-xdist), by node id prefix. The unit tests that import Keras
# in-process, all on keras-tensorflow, go to one worker as one unit of work, first, so that
# TensorFlow is imported once (5 s on an idle machine, 15 s under load), not on each worker.
KERAS_TENSORFLOW = (
    "tests/test_cosine_fixtures.py::TestKerasInference::",
    "tests/test_model_pool.py::",
    "tests/test_mutants.py::test_wrapped_mutant_changes_only_what_load_returns",
    "tests/test_reference_convlstm.py::test_equals_stateless_",
)
# Then the tests that run Python in fresh processes (1-9 s each), before the short ones, so that
# the workers finish together.
FRESH_PROCESSES = (
    "tests/test_parallel_controller.py::test_a_worker_that_cannot_load_stops_the_run",
    "tests/test_plugin.py::",
    "tests/test_verdicts_system.py::",
)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config):
    # An initial conftest (``pytest tests/...``) may set options before xdist's own
    # pytest_cmdline_main turns "auto" into a worker count. Workers re-run this hook: skip them.
    if (not config.pluginmanager.hasplugin("xdist") or hasattr(config, "workerinput")
            or config.getoption("usepdb", False)):
        return
    if config.option.numprocesses is None and (os.cpu_count() or 1) > 1:
        config.option.numprocesses = "auto"
    if config.option.numprocesses and config.option.dist == "no":  # no --dist given
        config.pluginmanager.register(LongTestsFirst())


class LongTestsFirst:
    """pytest-xdist's default distribution, "load" (each test to the next free worker), in the
    order above. (``--dist loadgroup`` with ``xdist_group`` marks would group the Keras tests, but
    does not on pytest 9.2 with pytest-xdist 3.8: pytest-dev/pytest-xdist#1386.)"""

    @staticmethod
    def pytest_xdist_make_scheduler(config, log):
        from xdist.scheduler import LoadScopeScheduling

        def rank(scope: str) -> int:
            if scope == "keras-tensorflow":
                return 0
            return 1 if scope.startswith(FRESH_PROCESSES) else 2

        class Scheduling(LoadScopeScheduling):
            """One unit of work per scope: the Keras tests, or a single test."""

            def _split_scope(self, nodeid: str) -> str:
                return "keras-tensorflow" if nodeid.startswith(KERAS_TENSORFLOW) else nodeid

            def _assign_work_unit(self, node) -> None:
                # The first call: all units are queued. (Private pytest-xdist API: where it
                # changes, the order is the collection order and only the speed is lost.)
                queue = getattr(self, "workqueue", None)
                if not getattr(self, "ranked", False) and hasattr(queue, "move_to_end"):
                    self.ranked = True
                    for scope in sorted(queue, key=rank):  # stable: collection order
                        queue.move_to_end(scope)
                super()._assign_work_unit(node)

        return Scheduling(config, log)


@pytest.fixture(scope="session")
def shared_runs(tmp_path_factory, pytestconfig):
    """Suite runs shared by this session's system tests, across its pytest-xdist workers."""
    folder = tmp_path_factory.getbasetemp()
    if hasattr(pytestconfig, "workerinput"):
        folder = folder.parent  # the session's folder; each worker has its own below it
    return SharedRuns(folder / "suite-runs")


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
