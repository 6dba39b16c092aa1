"""The suite run in a fresh process, as a user runs it: shared by the self-tests that judge
whole runs (the mutants, the determinism check, the README implementation)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from filelock import FileLock

from harness.paths import PROJECT_ROOT


def run_suite(spec: str, results: Path, *pytest_args: str, timeout: float) -> dict:
    """``pytest *pytest_args --impl spec --results results``; the results JSON, with the run's
    wall time under ``_seconds``."""
    command = [sys.executable, "-m", "pytest", *pytest_args, "--impl", spec,
               "--results", str(results), "-q", "-p", "no:cacheprovider"]
    environment = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
                   # The benchmarks' figures go beside the results, not over the committed ones.
                   "STATEFUL_RNN_FIGURES": str(results.parent / "figures")}
    environment.pop("STATEFUL_RNN_IMPL", None)
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=PROJECT_ROOT, env=environment, capture_output=True,
                               text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    # Exit 1 is a run with non-holding checks (findings); anything above is a broken run.
    assert completed.returncode in (0, 1), (
        f"{spec}: pytest exited {completed.returncode}\n{completed.stdout[-3000:]}\n"
        f"{completed.stderr[-3000:]}"
    )
    data = json.loads(results.read_text(encoding="utf-8"))
    assert data["complete"], f"{spec}: results file not complete"
    data["_seconds"] = seconds
    return data


def case_verdicts(data: dict) -> dict[str, tuple[str, str]]:
    """nodeid → (claim id, verdict)."""
    return {case["nodeid"]: (claim["id"], case["verdict"])
            for claim in data["claims"] for case in claim["cases"]}


class SharedRuns:
    """Suite runs made once per test session, whichever test and pytest-xdist worker asks first.

    Several system tests need the same run (the determinism check's in-order run of
    keras-tensorflow is the README implementation's reference; each mutant base's reference run
    serves all its mutants, on both workers). A run is keyed by its implementation and
    arguments; a worker asking for a run that another is making waits for it (a file lock) and
    reads its results file.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def run(self, spec: str, *pytest_args: str, timeout: float) -> dict:
        key = hashlib.sha256(repr((spec, pytest_args)).encode()).hexdigest()[:10]
        results = self.folder / f"{re.sub(r'[^A-Za-z0-9]+', '-', spec)}-{key}.json"
        seconds = results.with_suffix(".seconds")
        with FileLock(results.with_suffix(".lock")):
            if seconds.exists():  # written after the run succeeded
                data = json.loads(results.read_text(encoding="utf-8"))
                data["_seconds"] = float(seconds.read_text())
                return data
            data = run_suite(spec, results, *pytest_args, timeout=timeout)
            seconds.write_text(str(data["_seconds"]))
            return data
