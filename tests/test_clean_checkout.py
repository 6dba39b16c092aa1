"""README command 1 leaves the checkout as it found it: a user's run writes under the ignored
``out/`` folder (results, repro scripts, figures), never over tracked files (system test)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from harness.paths import PROJECT_ROOT


@pytest.mark.system
@pytest.mark.timeout(900)
def test_command_one_leaves_git_status_clean(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(clone)], check=True, timeout=120)
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    for name in ("STATEFUL_RNN_IMPL", "STATEFUL_RNN_FIGURES", "PYTHONPATH"):
        environment.pop(name, None)
    # Command 1's suite invocation, on a slice that draws a figure and writes a repro script.
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/", "--baseline",
         "suites/baselines/keras-tensorflow.txt", "--results", "-q",
         "-k", "(test_cosine and dense) or (test_equal_batches and LSTM and predict-remainder)"],
        cwd=clone, env=environment, capture_output=True, text=True, timeout=800)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    written = sorted(p.relative_to(clone).as_posix() for p in (clone / "out").rglob("*") if p.is_file())
    assert "out/results/keras-tensorflow.json" in written
    assert any(p.startswith("out/results/keras-tensorflow-repro/") for p in written), written
    assert any(p.startswith("out/figures/") for p in written), written
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True,
                            text=True, check=True).stdout
    assert status == "", status
