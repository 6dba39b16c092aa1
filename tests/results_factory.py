"""Small synthetic results files, shaped like those of harness/plugin.py, for the harness tests."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from harness.results import SCHEMA_VERSION, claim_verdict

CARRY = "suites/test_carry.py::test_index_i[LSTM]"
RESET = "suites/test_reset.py::test_model_reset_states[GRU]"
MESSAGE = (
    "[carry.index-i] on fake (keras 3.5.0, none 0.0)\n"
    "  observed: row 0 started from zeros\n"
    "  expected: the final state of row 0 of the previous batch\n"
    "  reproduce:\n"
    "    import numpy as np\n"
    "    model.predict_on_batch(x)"
)


def case(nodeid=CARRY, verdict="holds", message="", expected=False, reason=None, duration=0.5):
    outcome = {"holds": "passed", "fails": "failed", "error": "failed", "inconclusive": "failed",
               "skipped": "skipped"}
    return {"nodeid": nodeid, "outcome": outcome[verdict], "verdict": verdict, "message": message,
            "observed": None, "repro": None, "expected": expected, "baseline_reason": reason,
            "duration_s": duration}


def claim(claim_id, *cases, statement="A statement."):
    return {"id": claim_id, "statement": statement, "source": "a source", "kind": "documented",
            "verdict": claim_verdict(c["verdict"] for c in cases), "cases": list(cases)}


def block(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "values": list(values)}


def benchmark(model="lstm", recipe="cosine", mse=(0.010, 0.011, 0.012, 0.013, 0.014),
              rmse=(0.10, 0.11, 0.12, 0.13, 0.14), train=(10.0, 10.2, 10.4, 10.6, 10.8),
              reference=2.0, status="ok", error=None):
    row = {"model": model, "recipe": recipe, "seeds": [0, 1, 2, 3, 4], "status": status,
           "error": error, "reference_seconds": reference}
    for name, values in (("one_step_mse", mse), ("rollout_rmse", rmse), ("train_seconds", train)):
        if values is not None:
            row[name] = block(values)
    return row


def results(name="fake", keras="3.5.0", claims=None, benchmarks=None, complete=True):
    if claims is None:
        claims = [claim("carry.index-i", case(CARRY)), claim("reset.model", case(RESET))]
    return {
        "schema_version": SCHEMA_VERSION,
        "complete": complete,
        "running": None if complete else CARRY,
        "interrupted": None,
        "implementation": {"name": name, "spec": name, "keras": keras, "backend": "none",
                           "backend_version": "0.0"},
        "environment": {"python": "3.11.7", "platform": "Linux", "machine": "x86_64",
                        "cpu_count": 2, "numpy": "1.26.4", "project_commit": "abc1234",
                        "created": "2026-11-30T18:00:00+00:00"},
        "suite": {"duration_s": 12.5, "pytest_args": ["suites"], "baseline": None,
                  "baseline_unmatched": []},
        "claims": claims,
        "benchmarks": [benchmark()] if benchmarks is None else benchmarks,
    }


def failing(verdict="fails", nodeid=CARRY, message=MESSAGE, **overrides):
    """Results in which the carry.index-i case does not hold."""
    return results(claims=[claim("carry.index-i", case(nodeid, verdict, message)),
                           claim("reset.model", case(RESET))], **overrides)


def write(path: Path, data) -> Path:
    """``data`` as a results file at ``path`` (a str is written as it is)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def cells(markdown: str, first_cell: str) -> list[str]:
    """The stripped cells of the table row of ``markdown`` whose first cell is ``first_cell``."""
    for line in markdown.splitlines():
        if line.startswith("|"):
            row = [c.strip() for c in line.strip().strip("|").split(" | ")]
            if row[0] == first_cell:
                return row
    raise AssertionError(f"no table row starts with {first_cell!r}")
