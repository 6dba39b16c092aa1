"""The results collector: writes the results file, the scripts of the cases that do not hold
and the report, from the reports of the cases as they come.

Registered only in the process that writes: the one process of a serial run, or the controller
of a pytest-xdist run (its workers only run checks and send their reports).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from harness import baseline as baseline_file
from harness import repro, results
from harness.environment import environment
from harness.paths import PROJECT_ROOT
from harness.selection import results_path, writes_results
from harness.stash import BASELINE, CLAIMS_FILE, COLLECTOR, IMPLEMENTATION, VERSIONS
from suites.claims import CLAIMS


@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    """After the implementation is chosen (harness/selection.py), where the results are written."""
    if IMPLEMENTATION not in config.stash or not writes_results(config):
        return
    implementation = config.stash[IMPLEMENTATION]
    collector = ResultsCollector(
        config, config.option.impl, implementation, config.stash[VERSIONS],
        config.stash[BASELINE], results_path(config.option.results, implementation))
    config.stash[COLLECTOR] = collector
    config.pluginmanager.register(collector, "stateful-rnn-results")


class ResultsCollector:
    """Writes the results file.

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
        self.claims_file: Path | None = None
        if getattr(config.option, "dist", "no") != "no":
            # The controller learns a case's claim from its first report. A worker that dies
            # before that (in a fixture) leaves only a report without it, so the workers also
            # write the claims of the cases they collected here (harness/selection.py).
            folder = tempfile.mkdtemp(prefix="stateful-rnn-claims-")
            config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))
            self.claims_file = Path(folder) / "claims.json"
        if path:
            self.partial = results.partial_path(path)
            # Scripts of the cases that do not hold, beside the results file.
            self.repro_dir = path.with_name(path.stem + "-repro")
            self.repro_staging = path.with_name(f".{path.name}.repro")

    # -- collection (the one process; a pytest-xdist controller collects nothing) --------------
    def pytest_collection_finish(self, session):
        for item in session.items:
            marker = item.get_closest_marker("claim")
            if marker is not None and marker.args:
                self.claim_of[item.nodeid] = marker.args[0]

    # -- results -----------------------------------------------------------------------------
    def pytest_runtest_logstart(self, nodeid, location):
        if not self.executed and self.path:
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
        entry = baseline_file.first_match(self.entries, report.nodeid, claim_id)
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
            case["check"] = properties.get("check")
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
        if self.path is None:
            return
        name = repro.script_name(nodeid)
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
        if self.path is None or not self.executed:
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
        if self.path is not None:
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
