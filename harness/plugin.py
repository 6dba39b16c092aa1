"""The pytest plugin: chooses the implementation, applies the baseline, writes the results file.

Loaded by the root ``conftest.py``. Options: ``--impl``, ``--results``, ``--baseline``,
``--article``, ``--claim``, ``--no-report``; a value that cannot be right exits 2 with one line.
See ARCHITECTURE.md for how a case becomes a verdict: a case holds only when its check said so.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from harness import baseline as baseline_file
from harness import implementations, results
from harness.paths import PROJECT_ROOT
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


def pytest_configure(config):
    # Registered here, not in pyproject.toml: the plugin owns the marker, also where it is
    # loaded with -p in another project (the plugin's own pytester tests).
    config.addinivalue_line("markers", "claim(id): the catalogue claim (suites/claims.py) that a check verifies")
    spec = config.getoption("--impl", default=None)
    if spec is None or runs_project_tests_only(config):
        return  # plugin loaded without its options, or the project's own tests: no Keras to load
    try:
        check_claim_patterns(config.option.claim)
        implementation = implementations.resolve(spec)
        path = results_path(config.option.results, implementation)
        if path and not hasattr(config, "workerinput"):  # the controller checked it
            check_results_path(path)
        if not hasattr(config, "workerinput"):  # the workers inherit the environment
            share_compiled_programs(config, implementation)
        # The pytest-xdist controller only reports: its workers load the Keras under test.
        versions = (implementations.versions_without_loading(implementation)
                    if parallel_controller(config) else None)
        if versions:
            namespace = None
        else:
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
    collector = ResultsCollector(config, spec, implementation, versions, entries, path)
    # Figures go beside the results: <results folder>/../figures (reports/figures for the
    # published results); the project's self-tests set the variable themselves.
    figures = collector.path.parent.parent / "figures" if collector.path else OUTPUT_DIR / "figures"
    os.environ.setdefault("STATEFUL_RNN_FIGURES", str(figures))
    config.stash[COLLECTOR] = collector
    config.pluginmanager.register(collector, "stateful-rnn-results")


class OptionError(Exception):
    """A value of --results or --claim that cannot be right; message is one line."""


def check_claim_patterns(patterns) -> None:
    """Refuse a ``--claim`` that matches no catalogue id: it would deselect every case and
    exit 5 without saying why."""
    for pattern in patterns:
        if not any(fnmatch.fnmatchcase(claim_id, pattern) for claim_id in CLAIMS):
            families = ", ".join(dict.fromkeys(claim_id.split(".")[0] + ".*" for claim_id in CLAIMS))
            raise OptionError(f"--claim {pattern!r} matches no claim id; the ids "
                              f"(suites/claims.py) are {families}")


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


def share_compiled_programs(config, implementation) -> None:
    """Point this run (and its workers) at a compilation cache of its own, removed at the end;
    a cache the user configured is kept, with the user's settings."""
    if (getattr(implementation, "backend", None) not in implementations.COMPILATION_CACHES
            or "JAX_COMPILATION_CACHE_DIR" in os.environ):
        return
    folder = tempfile.mkdtemp(prefix="stateful-rnn-compiled-")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
    os.environ.update(implementations.COMPILATION_CACHES[implementation.backend](folder))


def parallel_controller(config) -> bool:
    """The pytest-xdist controller of a parallel run (``-n 2``): it collects and runs no check."""
    return getattr(config.option, "dist", "no") != "no" and not hasattr(config, "workerinput")


def runs_project_tests_only(config) -> bool:
    """``pytest tests/...``: the harness's own tests load a Keras themselves where they need one."""
    own_tests = PROJECT_ROOT / "tests"
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    return bool(paths) and all(path.is_relative_to(own_tests) for path in paths)


COLLECTOR = pytest.StashKey["ResultsCollector"]()
# The workerinput key of the file where pytest-xdist workers write the claim of each case.
CLAIMS_FILE = "stateful_rnn_claims_file"
IMPLEMENTATION = pytest.StashKey[object]()
# The standalone reproduction a check declared (suites/check.py); written when its case does not hold.
REPRO_SCRIPT = pytest.StashKey[str]()
# The namespace the implementation's load() returned: the Keras under test, everywhere.
KERAS = pytest.StashKey[object]()


def implementation_of(config):
    return config.stash[IMPLEMENTATION]


def keras_of(config):
    return config.stash[KERAS]


def claim_selected(item, patterns) -> bool:
    marker = item.get_closest_marker("claim")
    return marker is not None and any(fnmatch.fnmatchcase(marker.args[0], p) for p in patterns)


def verdict_of(excinfo) -> str:
    """``fails`` for a wrong value (an assertion), ``error`` for anything the call raised."""
    if excinfo is None:
        return "holds"
    if excinfo.errisinstance(pytest.skip.Exception):
        return "skipped"
    if excinfo.errisinstance(results.Inconclusive):
        return "inconclusive"
    if excinfo.errisinstance(AssertionError):
        return "fails"
    return "error"


def message_of(excinfo, limit: int = 3000) -> str:
    if excinfo is None:
        return ""
    if excinfo.errisinstance((AssertionError, results.Inconclusive)):
        text = str(excinfo.value)
    else:
        text = excinfo.exconly()
    return text if len(text) <= limit else text[:limit] + " [...]"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    # Under pytest-xdist the controller never collects: the claim and the baseline entry travel
    # with the report, as properties, like the verdict.
    marker = item.get_closest_marker("claim")
    if marker is not None and marker.args:
        report.user_properties.append(("claim", marker.args[0]))
    if call.when == "call" or (call.when == "setup" and call.excinfo is not None):
        # Properties travel with the report, so this also works under pytest-xdist.
        verdict = verdict_of(call.excinfo)
        report.user_properties.append(("verdict", verdict))
        # The marks -m selects by, so that the gate replays a narrowed run's selection on the
        # reference's cases (the baseline's xfail is not the case's own).
        report.user_properties.append(("marks", sorted(
            {mark.name for mark in item.iter_markers()} - {"parametrize", "xfail"})))
        report.user_properties.append(("message", message_of(call.excinfo)))
        script = item.stash.get(REPRO_SCRIPT, None)
        if script and verdict in results.NON_HOLDING:
            report.user_properties.append(("repro", script))


class ResultsCollector:
    """Writes the results file (on the controller of a parallel run, or the one process).

    A results file is only ever replaced by a complete one of the same run: while the run goes
    on (and after a crash or an interruption) its cases are written beside it, to ``.<name>.partial``,
    and the scripts of the cases that do not hold to ``.<name>.repro/``; only a run that
    finishes swaps them in, for ``<name>`` and ``<stem>-repro/``, then writes the report. A run
    that executes no case writes nothing. (The dotted names are ignored by git in reports/results.)
    """

    def __init__(self, config, spec, implementation, versions, entries, path):
        self.config = config
        self.implementation = implementation
        self.entries = entries
        self.started = time.time()
        self.cases: dict[str, dict] = {}
        self.claim_of: dict[str, str] = {}
        self.scripts: dict[str, str] = {}  # node id -> file name of its script
        self.benchmarks: list[dict] = []
        self.running = None
        self.interrupted = None
        self.executed = False  # whether any case started
        self.started_workers: set[str] = set()  # pytest-xdist workers that have collected
        self.header = {"name": implementation.name, "spec": spec, **versions}
        self.path = path
        self.is_worker = hasattr(config, "workerinput")
        self.claims_file: Path | None = None
        if parallel_controller(config):
            # The controller learns a case's claim from its first report. A worker that dies
            # before that (in a fixture) leaves only a report without it, so the workers also
            # write the claims of the cases they collected here.
            folder = tempfile.mkdtemp(prefix="stateful-rnn-claims-")
            config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
            self.claims_file = Path(folder) / "claims.json"
        if path:
            self.partial = results.partial_path(path)
            # Scripts of the cases that do not hold, beside the results file.
            self.repro_dir = path.with_name(path.stem + "-repro")
            self.repro_staging = path.with_name(f".{path.name}.repro")

    # -- header ------------------------------------------------------------------------------
    def pytest_report_header(self, config):
        h = self.header
        lines = [
            f"implementation: {h['name']} (keras {h['keras']}, backend {h['backend']} "
            f"{h['backend_version']}, numpy {np.__version__}, python {platform.python_version()})"
        ]
        if config.option.baseline:
            lines.append(f"baseline: {config.option.baseline} ({len(self.entries)} entries)")
        if self.path:
            lines.append(f"results: {self.path} (until the run finishes: {self.partial})")
        return lines

    # -- collection --------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        if not config.option.article:
            slow = [item for item in items if item.get_closest_marker("article")]
            if slow:
                config.hook.pytest_deselected(items=slow)
                items[:] = [item for item in items if not item.get_closest_marker("article")]
        if config.option.claim:
            wanted = [item for item in items if claim_selected(item, config.option.claim)]
            config.hook.pytest_deselected(items=[item for item in items if item not in wanted])
            items[:] = wanted
        for item in items:
            marker = item.get_closest_marker("claim")
            if marker is not None:
                claim_id = marker.args[0] if marker.args else None
                if claim_id not in CLAIMS:
                    raise pytest.UsageError(f"{item.nodeid}: unknown claim id {claim_id!r}")
                self.claim_of[item.nodeid] = claim_id
            entry = baseline_file.first_match(self.entries, item.nodeid)
            if entry is not None:
                if item.nodeid not in entry.matched:
                    entry.matched.append(item.nodeid)
                item.add_marker(pytest.mark.xfail(reason=f"baseline: {entry.reason}", strict=True))
        claims_file = getattr(config, "workerinput", {}).get(CLAIMS_FILE)
        if claims_file:  # every worker collects the same cases: whichever writes last, the same
            results.write_text_atomic(claims_file, json.dumps(self.claim_of), durable=False)

    def pytest_terminal_summary(self, terminalreporter, config):
        if self.is_worker:
            return
        # One line, not one per entry: a run narrowed to a few claims leaves most entries
        # unmatched (tests/test_baselines.py checks that each matches some case of the suite).
        unmatched = [entry for entry in self.entries if not entry.matched]
        if unmatched:
            first = unmatched[0]
            terminalreporter.write_line(
                f"warning: {len(unmatched)} baseline "
                f"{'line matches' if len(unmatched) == 1 else 'lines match'} no case of this "
                f"selection (the first: line {first.line}, {first.pattern!r})")
        if config.get_verbosity() >= -1 and self.cases:  # -q keeps it, -qq drops it
            self.claims_summary(terminalreporter)

    def claims_summary(self, terminalreporter) -> None:
        """One line per claim that ran: verdict, cases held, baseline, what was observed."""
        from harness.markdown import OBSERVED, SYMBOLS, headline

        h = self.header
        terminalreporter.write_sep(
            "=", f"claims on {h['name']} (keras {h['keras']}, {h['backend']} {h['backend_version']})")
        claims = [claim for claim in self.as_dict(complete=True)["claims"] if claim["cases"]]
        width = max(len(claim["id"]) for claim in claims)
        for claim in claims:
            cases = claim["cases"]
            held = sum(case["verdict"] == "holds" for case in cases)
            not_holding = [case for case in cases if case["verdict"] in results.NON_HOLDING]
            verdict = claim["verdict"]
            if claim["kind"] in results.RECORDED_KINDS and verdict == "holds":
                mark, verdict, text = OBSERVED, "observed", claim.get("observed") or ""
            else:
                mark, text = SYMBOLS[verdict], ""
            if not_holding:
                unexpected = sum(not case["expected"] for case in not_holding)
                baseline = ("expected" if not unexpected else
                            f"{unexpected} not in the baseline" if self.entries else "no baseline")
                text = f"{baseline}; {headline(not_holding[0]['message'])}"
            line = f"{claim['id']:<{width}}  {mark} {verdict:<12}  {held:>3}/{len(cases):<3} held  {text}"
            terminalreporter.write_line(line[:220])
        if self.path and self.interrupted is None:
            written = f"results: {self.path}"
            if self.config.option.report:
                written += f"   report: {self.path.with_suffix('.md')}"
            terminalreporter.write_line(written)
        elif self.path:
            terminalreporter.write_line(f"results: {self.path} left as it was (the run did not "
                                        f"finish); this run's cases: {self.partial}")

    # -- results -----------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid, location):
        if not self.executed and self.path and not self.is_worker:
            shutil.rmtree(self.repro_staging, ignore_errors=True)  # a crashed run's scripts
        self.executed = True
        self.running = nodeid
        if nodeid in self.claim_of:  # known here unless pytest-xdist collected it elsewhere
            self.cases.setdefault(nodeid, results.case_record(nodeid, None))
        # Written as each case starts: a crash names the case it was in (an error: its check
        # never reported) and keeps every case before it (the previous case's teardown is in
        # this write, so teardown needs none).
        self.write_progress()

    def pytest_runtest_logreport(self, report):
        properties = dict(report.user_properties)
        if "benchmark" in properties and report.when == "call":
            self.benchmarks.append(properties["benchmark"])
        if report.when == "teardown":
            self.running = None
        claim_id = self.claim_of.get(report.nodeid) or properties.get("claim")
        if claim_id is None and report.when not in ("setup", "call", "teardown"):
            claim_id = self.collected_claim(report.nodeid)  # its worker died in its setup
        if claim_id is None:
            return
        self.claim_of[report.nodeid] = claim_id
        entry = baseline_file.first_match(self.entries, report.nodeid)
        if entry is not None and report.nodeid not in entry.matched:
            entry.matched.append(report.nodeid)
        case = self.cases.setdefault(report.nodeid, results.case_record(report.nodeid, None))
        case["duration_s"] = round(case["duration_s"] + report.duration, 4)
        if report.when not in ("setup", "call", "teardown"):
            # pytest-xdist's report (when "???") of the case its worker was running when it
            # died: whatever the check saw, it never said so.
            said = report.longreprtext.strip().splitlines()[-1:]  # "worker 'gw0' crashed while ..."
            case.update(verdict="error", outcome="error",
                        message="; ".join(["the worker running it died", *said]))
            if self.running == report.nodeid:
                self.running = None
            return
        if "verdict" in properties:
            case["verdict"] = properties["verdict"]
            case["message"] = properties["message"]
            case["marks"] = properties["marks"]
            case["observed"] = properties.get("observed")
            if "repro" in properties:
                self.write_repro(report.nodeid, properties["repro"])
        if report.when == "teardown" and report.failed and case["verdict"] in ("holds", None):
            case.update(outcome="error", verdict="error", message=f"teardown: {report.longreprtext[-1500:]}")
        elif report.when != "teardown":
            case["outcome"] = self.outcome_of(report, case)
        if hasattr(report, "wasxfail"):
            case["expected"] = True
            case["baseline_reason"] = report.wasxfail.removeprefix("baseline: ")

    def write_repro(self, nodeid: str, script: str) -> None:
        """Write a case's standalone script among this run's scripts (``repro_staging``)."""
        if self.path is None or self.is_worker:
            return
        name = re.sub(r"[^A-Za-z0-9]+", "_", nodeid.removeprefix("suites/")).strip("_") + ".py"
        results.write_text_atomic(self.repro_staging / name, script, durable=False)
        self.scripts[nodeid] = name

    @staticmethod
    def outcome_of(report, case) -> str:
        if hasattr(report, "wasxfail"):
            return "xfailed" if report.skipped else "xpassed"
        if report.failed and case["verdict"] == "holds":
            # A strict xfail that passed: the claim holds now; the baseline must be updated.
            case["message"] = "holds now, but the baseline expects it not to: update the baseline"
            return "xpassed"
        if report.when == "setup" and report.failed:
            return "error"
        if report.skipped:
            case["verdict"] = "skipped"
            case["message"] = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
            return "skipped"
        return report.outcome

    # -- pytest-xdist ------------------------------------------------------------------------
    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        node.workerinput[CLAIMS_FILE] = str(self.claims_file)

    def collected_claim(self, nodeid: str) -> str | None:
        """The claim of a case as the workers collected it (see ``claims_file``)."""
        if self.claims_file is None:
            return None
        try:
            return json.loads(self.claims_file.read_text(encoding="utf-8")).get(nodeid)
        except (OSError, ValueError):
            return None

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node, ids):
        self.started_workers.add(node.gateway.id)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        # A worker that dies before it has collected could not load the implementation (the
        # controller does not load it; the worker printed why): every replacement would fail
        # the same way, so the run stops here with that one error.
        if error and node.gateway.id not in self.started_workers:
            pytest.exit(f"error: pytest-xdist worker {node.gateway.id} could not load "
                        f"{self.header['name']} (its error is printed above)", returncode=2)

    def pytest_keyboard_interrupt(self, excinfo):
        self.interrupted = excinfo.exconly()

    def pytest_sessionfinish(self, session, exitstatus):
        if self.path is None or self.is_worker or not self.executed:
            return  # collect-only, everything deselected: nothing ran, nothing is replaced
        if self.interrupted is not None:
            results.write_atomic(self.partial, self.as_dict(False, self.repro_staging))
            return
        self.publish_scripts()
        results.write_atomic(self.path, self.as_dict(True, self.repro_dir))
        self.partial.unlink(missing_ok=True)
        if self.config.option.report:
            self.write_report()

    def publish_scripts(self) -> None:
        """This run's scripts replace the previous run's folder (which may hold none)."""
        previous = None
        if self.repro_dir.exists():
            previous = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.", dir=self.path.parent))
            self.repro_dir.rename(previous / self.repro_dir.name)
        if self.repro_staging.exists():
            self.repro_staging.rename(self.repro_dir)
        if previous is not None:
            shutil.rmtree(previous)

    def write_progress(self) -> None:
        if self.path is not None and not self.is_worker:
            results.write_atomic(self.partial, self.as_dict(False, self.repro_staging),
                                 durable=False)

    def write_report(self) -> None:
        """The markdown report beside the results file, as ``python -m harness report`` writes it."""
        from harness import mutation, report

        output = self.path.with_suffix(".md")
        try:
            score = mutation.load(PROJECT_ROOT / "reports" / "mutation-score.json")
        except mutation.MutationScoreError:
            score = None
        results.write_text_atomic(output, report.render(results.load(self.path), output, score))

    def as_dict(self, complete: bool, repro_dir: Path | None = None) -> dict:
        """The results document; scripts named as found in ``repro_dir``."""
        why = (f"the run was interrupted ({self.interrupted})" if self.interrupted
               else "the process running it stopped first")
        claims = []
        for claim in CLAIMS.values():
            cases = [results.unreported(self.with_script(nodeid, case, repro_dir), why)
                     for nodeid, case in self.cases.items() if self.claim_of[nodeid] == claim.id]
            claims.append(results.claim_record(claim, cases))
        return results.document(
            implementation=self.header,
            environment=environment(),
            suite={
                "duration_s": round(time.time() - self.started, 2),
                "pytest_args": list(self.config.invocation_params.args),
                "baseline": self.config.option.baseline,
                "baseline_unmatched": [
                    f"line {e.line}: {e.pattern}" for e in self.entries if not e.matched
                ],
            },
            claims=claims, benchmarks=self.benchmarks,
            complete=complete, running=self.running, interrupted=self.interrupted,
        )

    def with_script(self, nodeid: str, case: dict, repro_dir: Path | None) -> dict:
        if nodeid not in self.scripts or repro_dir is None:
            return case
        return {**case, "repro": f"{repro_dir.name}/{self.scripts[nodeid]}"}


_ENVIRONMENT = {}


def environment() -> dict:
    if not _ENVIRONMENT:
        try:
            commit = subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                text=True, timeout=10,
            ).stdout.strip() or None
        except (OSError, subprocess.SubprocessError):
            commit = None
        _ENVIRONMENT.update(
            python=platform.python_version(), platform=platform.platform(),
            machine=platform.machine(), cpu_count=os.cpu_count(), numpy=np.__version__,
            project_commit=commit,
            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        )
    return _ENVIRONMENT


def _terminate_as_interrupt(signum, frame):
    raise KeyboardInterrupt(f"received signal {signum}")
