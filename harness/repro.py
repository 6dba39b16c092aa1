"""``python -m harness repro RESULTS``: run again every standalone reproduction of a results file.

Each case that did not hold wrote a script beside the results file (its path is the case's
``repro``, relative to that file's folder). Each script runs in a fresh process, as a
maintainer would run it; exit 1 means the finding still stands, 0 that the claim holds now.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.markdown import cell, table
from harness.results import ResultsError

OUTCOMES = {0: "no longer reproduces (exit 0)", 1: "reproduces (exit 1)"}


def scripts(data: dict, path: Path) -> list[tuple[str, str, Path]]:
    """(claim, node id, script path) of every case with a reproduction."""
    found = []
    for claim in data["claims"]:
        for case in claim["cases"]:
            if case.get("repro"):
                found.append((claim["id"], case["nodeid"], path.parent / case["repro"]))
    return found


def run_one(script: Path, timeout: float) -> tuple[str, float, str]:
    """(outcome, seconds, last line of output) of one script in a fresh interpreter."""
    if not script.is_file():
        return "missing script", 0.0, str(script)
    started = time.perf_counter()
    try:
        # errors="replace": a script may print anything; its outcome is its exit code.
        completed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                                   errors="replace", timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"timed out after {timeout:g} s", time.perf_counter() - started, ""
    seconds = time.perf_counter() - started
    lines = [line for line in completed.stdout.splitlines() if line.strip()]
    outcome = OUTCOMES.get(completed.returncode, f"broken script (exit {completed.returncode})")
    last = lines[-1] if lines else (completed.stderr.strip().splitlines() or [""])[-1]
    return outcome, seconds, last


def run(data: dict, path: Path, timeout: float = 300.0, jobs: int | None = None,
        progress=print) -> tuple[str, list[dict]]:
    found = scripts(data, path)
    if not found:
        raise ResultsError(f"{path}: no case has a reproduction script (every case held, or the "
                           "run was made without --results)")
    done = []

    def one(found_case):
        claim_id, nodeid, script = found_case
        outcome, seconds, last = run_one(script, timeout)
        done.append(nodeid)
        progress(f"[{len(done)}/{len(found)}] {outcome}: {nodeid}")
        return {"claim": claim_id, "case": f"`{nodeid}`", "outcome": outcome,
                "seconds": f"{seconds:.1f}", "last line": cell(last[:160])}

    # Most of a script's time is importing the backend, so scripts run side by side.
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        rows = list(pool.map(one, found))
    reproduced = sum(row["outcome"] == OUTCOMES[1] for row in rows)
    text = (f"# Reproductions of `{path}`\n\n{reproduced} of {len(rows)} scripts reproduce their "
            "finding (exit 1); exit 0 means the claim holds here now.\n\n" + table(rows) + "\n")
    return text, rows


def script_text(case: dict, path: Path) -> str | None:
    """The standalone script of a case (its ``repro``, relative to the results file ``path``);
    None where the case has none or the file is gone."""
    if not case.get("repro"):
        return None
    script = Path(path).parent / case["repro"]
    if not script.is_file():
        return None
    try:
        return script.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ResultsError(f"{script}: not UTF-8 (byte {error.start}): not a script the "
                           "suite wrote") from None


def body(case: dict, path: Path) -> str | None:
    """The user's code a case ran: the body of its script's ``main()``, else the ``reproduce``
    block of its message (results written before the scripts had one); None where neither is."""
    script = script_text(case, path)
    if script and "\ndef main():\n" in script:
        lines = []
        for line in script.split("\ndef main():\n", 1)[1].splitlines():
            if line and not line.startswith((" ", "\t")):
                break  # the first top-level line after main(): the script's tail
            lines.append(line)
        return textwrap.dedent("\n".join(lines)).strip() or None
    lines = str(case.get("message") or "").splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip().startswith("reproduce")),
                 None)
    if start is None:
        return None
    return textwrap.dedent("\n".join(lines[start + 1:])).strip() or None
