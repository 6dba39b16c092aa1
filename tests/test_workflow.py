"""The example workflow (.github/workflows/stateful-rnn.yml) against GitHub's workflow schema,
with check-jsonschema's vendored copy of it (no network), and the shape of its history jobs."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "stateful-rnn.yml"
yaml = pytest.importorskip("yaml")


def check_schema(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema",
                           "vendor.github-workflows", str(path)],
                          capture_output=True, text=True)


def test_the_workflow_is_valid():
    done = check_schema(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_an_invalid_workflow_fails_the_check(tmp_path):
    """The check can fail: the same workflow with a history job that names no runner."""
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    del workflow["jobs"]["history"]["runs-on"]
    broken = tmp_path / "stateful-rnn.yml"
    # YAML 1.1 read the key `on` as True; written back as `true` it would be another error.
    workflow["on"] = workflow.pop(True)
    broken.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    done = check_schema(broken)
    assert done.returncode == 1
    assert "$.jobs.history" in done.stdout


def test_history_runs_one_job_per_cell_then_merges_them():
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    listing, cells, report = jobs["history-cells"], jobs["history"], jobs["history-report"]
    assert "inputs.history" in listing["if"]  # on demand only: hours of runner time
    listed = next(step["run"] for step in listing["steps"] if step.get("id") == "list")
    assert "nox --list --json --tags history" in listed
    assert cells["needs"] == "history-cells"
    assert cells["strategy"]["matrix"]["cell"] == \
        "${{ fromJSON(needs.history-cells.outputs.cells) }}"
    assert cells["strategy"]["fail-fast"] is False
    upload = cells["steps"][-1]
    assert upload["with"]["path"] == "reports/history/${{ matrix.cell }}.json"
    assert set(report["needs"]) == {"history-cells", "history"}
    download = next(step for step in report["steps"]
                    if str(step.get("uses", "")).startswith("actions/download-artifact"))
    assert download["with"] == {"pattern": "history-*", "path": "reports/history",
                                "merge-multiple": True}
    assert any("python -m harness history reports/history" in step.get("run", "")
               for step in report["steps"])
    for job in (listing, cells, report):
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step.get("name")
