"""Which implementation runs, and which of its cases: the options, the implementation's choice
and loading, ``--claim`` and ``--article`` deselection, and the baseline's expected failures.

Runs in every process that runs checks (the one process, or each pytest-xdist worker) and in
the controller of a parallel run, which loads nothing when the installed metadata names the
versions. A value that cannot be right exits 2 with one line.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from harness import baseline as baseline_file
from harness import implementations, quiet_start, results
from harness.paths import PROJECT_ROOT
from harness.stash import BASELINE, CLAIMS_FILE, IMPLEMENTATION, KERAS, VERSIONS
from suites.claims import CLAIMS

# A user's run writes here (ignored by git); the committed reports/ change only when the nox
# sessions publish new results.
OUTPUT_DIR = PROJECT_ROOT / "out"
RESULTS_DIR = OUTPUT_DIR / "results"


def pytest_addoption(parser):
    group = parser.getgroup("stateful-rnn", "stateful RNN conformance")
    group.addoption(
        "--impl",
        default=os.environ.get(implementations.ENV_VAR, implementations.DEFAULT),
        help="implementation under test: keras-tensorflow (default), keras-jax, keras-torch, "
        f"tf-keras, or package.module:object (env {implementations.ENV_VAR})",
    )
    group.addoption(
        "--results",
        nargs="?",
        const="auto",
        default=None,
        metavar="PATH",
        help="write the results JSON to PATH (default out/results/<impl>.json); the failing "
        "cases' scripts go to <PATH stem>-repro/, the benchmark figures to ../figures/ of PATH",
    )
    group.addoption("--baseline", metavar="FILE", help="expected non-holding cases, with reasons")
    group.addoption(
        "--article", action="store_true", help="also run the article's slow training recipes"
    )
    group.addoption(
        "--no-report", dest="report", action="store_false", default=True,
        help="with --results, do not write the markdown report beside the results file",
    )
    group.addoption(
        "--claim", action="append", default=[], metavar="ID",
        help="run only the checks of this claim (repeatable; * is a wildcard: --claim 'carry.*')",
    )
    group.addoption(
        "--ascii", action="store_true",
        help="ASCII marks in the claims summary ([ok], [FAIL]) even where the console has the "
        "symbols (they are used anyway where it cannot encode them)",
    )


def pytest_configure(config):
    # Registered here, not in pyproject.toml: the plugin owns the marker, also where it is
    # loaded with -p in another project (the plugin's own pytester tests).
    config.addinivalue_line("markers", "claim(id): the catalogue claim (suites/claims.py) that a check verifies")
    spec = config.getoption("--impl", default=None)
    if spec is None or runs_project_tests_only(config):
        return  # plugin loaded without its options, or the project's own tests: no Keras to load
    writes = writes_results(config)
    try:
        check_claim_patterns(config.option.claim)
        implementation = implementations.resolve(spec)
        path = results_path(config.option.results, implementation)
        if path and writes:  # the workers' controller checked it
            check_results_path(path)
        if writes:  # the workers inherit the environment
            share_compiled_programs(config, implementation)
        # The pytest-xdist controller only reports: its workers load the Keras under test.
        versions = (implementations.versions_without_loading(implementation)
                    if parallel_controller(config) else None)
        if versions:
            namespace = None
        else:
            with quiet_start.level_applied():
                implementation, namespace = implementations.load(spec)
            versions = implementations.versions(implementation, spec)
        # A mutant (fixtures/mutants) is run with the baseline of the built-in it is made from.
        names = tuple(name for name in (implementation.name, getattr(implementation, "base", None))
                      if isinstance(name, str))
        entries = (baseline_file.load(config.option.baseline, names)
                   if config.option.baseline else [])
    except (implementations.ImplementationError, baseline_file.BaselineError, OptionError) as error:
        pytest.exit(f"error: {error}", returncode=2)
    # SIGTERM (CI cancelling a job) ends the run like Ctrl-C, so the results file is finished.
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    config.stash[IMPLEMENTATION] = implementation
    config.stash[KERAS] = namespace
    config.stash[VERSIONS] = versions
    config.stash[BASELINE] = entries
    # Figures go beside the results: <results folder>/../figures (reports/figures for the
    # published results); the project's self-tests set the variable themselves.
    figures = path.parent.parent / "figures" if path else OUTPUT_DIR / "figures"
    os.environ.setdefault("STATEFUL_RNN_FIGURES", str(figures))


class OptionError(Exception):
    """A value of --results or --claim that cannot be right; message is one line."""


def results_path(option, implementation) -> Path | None:
    if option == "auto":
        return RESULTS_DIR / f"{implementation.name}.json"
    return Path(option) if option else None


def check_results_path(path: Path) -> None:
    """Refuse a results path whose file the run would destroy: a results file is only ever
    replaced by another one. (``--results`` takes an optional value, so a test path written
    right after it is taken for the results path.)"""
    if path.suffix == ".py":
        raise OptionError(f"--results {path}: a Python file, not a results file (to write the "
                          "default results file, put the test paths before --results)")
    if path.is_dir():
        raise OptionError(f"--results {path}: a directory; name the results file in it "
                          f"({path / 'results.json'})")
    if path.exists() and not results.is_results_file(path):
        raise OptionError(f"--results {path}: exists and is not a results file of this suite; "
                          "refusing to replace it")


def check_claim_patterns(patterns) -> None:
    """Refuse a ``--claim`` that matches no catalogue id: it would deselect every case and
    exit 5 without saying why."""
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(claim_id, pattern) for claim_id in CLAIMS):
            families = ", ".join(dict.fromkeys(claim_id.split(".")[0] + ".*" for claim_id in CLAIMS))
            raise OptionError(f"--claim {pattern!r} matches no claim id; the ids "
                              f"(suites/claims.py) are {families}")


def share_compiled_programs(config, implementation) -> None:
    """Point this run (and its workers) at a compilation cache of its own, removed at the end;
    a cache the user configured is kept, with the user's settings."""
    if (getattr(implementation, "backend", None) not in implementations.COMPILATION_CACHES
            or "JAX_COMPILATION_CACHE_DIR" in os.environ):
        return
    folder = tempfile.mkdtemp(prefix="stateful-rnn-compiled-")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    os.environ.update(implementations.COMPILATION_CACHES[implementation.backend](folder))


def writes_results(config) -> bool:
    """The process that writes the results and the terminal summary: the one process, or the
    controller of a pytest-xdist run (its workers only run checks)."""
    return not hasattr(config, "workerinput")


def parallel_controller(config) -> bool:
    """The pytest-xdist controller of a parallel run (``-n 2``): it collects and runs no check."""
    return getattr(config.option, "dist", "no") != "no" and writes_results(config)


def runs_project_tests_only(config) -> bool:
    """``pytest tests/...``: the harness's own tests load a Keras themselves where they need one."""
    own_tests = PROJECT_ROOT / "tests"
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    return bool(paths) and all(path.is_relative_to(own_tests) for path in paths)


def claim_of(item) -> str | None:
    marker = item.get_closest_marker("claim")
    return marker.args[0] if marker is not None and marker.args else None


def claim_selected(item, patterns) -> bool:
    claim_id = claim_of(item)
    return claim_id is not None and any(fnmatch.fnmatchcase(claim_id, p) for p in patterns)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if IMPLEMENTATION not in config.stash:
        return  # no implementation chosen: the project's own tests
    if not config.option.article:
        slow = [item for item in items if item.get_closest_marker("article")]
        if slow:
            config.hook.pytest_deselected(items=slow)
            items[:] = [item for item in items if not item.get_closest_marker("article")]
    if config.option.claim:
        wanted = [item for item in items if claim_selected(item, config.option.claim)]
        config.hook.pytest_deselected(items=[item for item in items if item not in wanted])
        items[:] = wanted
    claims = {}
    for item in items:
        if item.get_closest_marker("claim") is not None:
            claim_id = claim_of(item)
            if claim_id not in CLAIMS:
                raise pytest.UsageError(f"{item.nodeid}: unknown claim id {claim_id!r}")
            claims[item.nodeid] = claim_id
        entry = baseline_file.first_match(config.stash[BASELINE], item.nodeid, claim_of(item))
        if entry is not None:
            if item.nodeid not in entry.matched:
                entry.matched.append(item.nodeid)
            item.add_marker(pytest.mark.xfail(reason=f"baseline: {entry.reason}", strict=True))
    claims_file = getattr(config, "workerinput", {}).get(CLAIMS_FILE)
    if claims_file:  # every worker collects the same cases: whichever writes last, the same
        results.write_text_atomic(claims_file, json.dumps(claims), durable=False)


def _terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt(f"received signal {signum}")
