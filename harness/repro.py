"""``python -m harness repro RESULTS``: write and run again every standalone reproduction of a
results file.

A case records what made it (``check``: its check function of suites/checks/ and the parameters
it was called with, see ``record``), so its script (suites/repro.py ``script_of_check``) can be
made again at any time: the scripts are not kept in the repository. For each case that did not
hold, the script beside the results file is used where it exists (its path is the case's
``repro``, relative to that file's folder), else it is rendered from the case's ``check`` and
written there (``<stem>-repro/``). Each script runs in a fresh process, as a maintainer would
run it; exit 1 means the finding still stands, 0 that the claim holds now.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import subprocess
import textwrap
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.markdown import cell, table
from harness.results import NON_HOLDING, ResultsError, load, write_text_atomic

OUTCOMES = {0: "no longer reproduces (exit 0)", 1: "reproduces (exit 1)"}
NO_SCRIPT = "no script"
NO_SCRIPT_WHY = ("neither its script nor the check that makes it is recorded (results made "
                 "before cases recorded their check: run the suite again)")
# The tags of a parameter the results file cannot hold as plain JSON: a function of the suite
# (a recipe), a tuple, another literal (a set, bytes), and a dict parameter whose only key is
# one of these tags (so that it cannot be taken for a tagged value).
TAGS = ("function", "tuple", "repr", "dict")


# -- what made a case: its check function and parameters, as JSON ------------------------------
def function_name(function) -> str:
    return f"{function.__module__}:{function.__qualname__}"


def function_named(name: str):
    """The function ``module:qualified.name``; ``LookupError`` where there is none."""
    module_name, _, qualified = name.partition(":")
    try:
        found = importlib.import_module(module_name)
        for part in qualified.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError, ValueError) as error:
        raise LookupError(f"no function {name!r} in this checkout ({error})") from None
    if not callable(found):
        raise LookupError(f"{name!r} is not a function")
    return found


def encode(value):
    if inspect.isfunction(value):
        return {"function": function_name(value)}
    if isinstance(value, tuple):
        return {"tuple": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return as_written(value)  # e.g. a seed -> why it diverged
        plain = {key: encode(item) for key, item in value.items()}
        return {"dict": plain} if len(plain) == 1 and next(iter(plain)) in TAGS else plain
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return as_written(value)


def as_written(value) -> dict:
    """A set, bytes, a complex number, a dict keyed by numbers: as Python writes it."""
    try:
        if ast.literal_eval(repr(value)) == value:
            return {"repr": repr(value)}
    except (ValueError, SyntaxError):
        pass
    raise TypeError(f"a parameter of type {type(value).__name__}, which a results file "
                    f"cannot hold: {value!r}")


def decode(value):
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in TAGS:
            (tag, inner), = value.items()
            if tag == "function":
                return function_named(inner)
            if tag == "tuple":
                return tuple(decode(item) for item in inner)
            if tag == "repr":
                return ast.literal_eval(inner)
            return {key: decode(item) for key, item in inner.items()}
        return {key: decode(item) for key, item in value.items()}
    return value


def record(function, parameters: dict) -> dict:
    """What a case records of its check: ``{"function": "module:name", "parameters": {...}}``,
    a parameter that is a function written ``{"function": "module:name"}``."""
    return {"function": function_name(function),
            "parameters": {name: encode(value) for name, value in parameters.items()}}


def script_name(nodeid: str) -> str:
    """The file name of a case's script in ``<stem>-repro/``: ``repro_<node id>.py``, never
    ``test_*.py``, which pytest would collect (and run) wherever the results lie."""
    return "repro_" + re.sub(r"[^A-Za-z0-9]+", "_", nodeid.removeprefix("suites/")).strip("_") + ".py"


def render(data: dict, claim_id: str, case: dict) -> str:
    """The script of ``case`` made again from its recorded ``check``, as the plugin made it."""
    from suites.repro import ScriptError, script_of_check
    made_by = case["check"]
    try:
        if not isinstance(made_by, dict) or not isinstance(made_by.get("parameters"), dict):
            raise LookupError(f"'check' is not {{\"function\", \"parameters\"}}: {made_by!r}")
        function = function_named(str(made_by.get("function")))
        parameters = {name: decode(value) for name, value in made_by["parameters"].items()}
        return script_of_check(data["implementation"].get("spec") or data["implementation"]["name"],
                               claim_id, case["nodeid"], function, parameters)
    except (LookupError, ScriptError, TypeError, ValueError, SyntaxError) as error:
        raise ResultsError(f"case {case['nodeid']!r}: cannot make its script: {error}") from None


# -- the scripts of a results file -------------------------------------------------------------
def scripts(data: dict, path: Path) -> list[tuple[str, str, Path | None]]:
    """(claim, node id, script path) of every case that did not hold, its script written from
    its ``check`` where the file is not there; the path is None where the case has neither
    (results made before cases recorded their check)."""
    found = []
    for claim in data["claims"]:
        for case in claim["cases"]:
            if case["verdict"] not in NON_HOLDING:
                continue
            script = None
            if case.get("repro"):
                script = path.parent / case["repro"]
            if case.get("check") and (script is None or not script.is_file()):
                folder = path.with_name(path.stem + "-repro")
                script = script or folder / script_name(case["nodeid"])
                if not script.resolve().is_relative_to(path.parent.resolve()):
                    raise ResultsError(f"case {case['nodeid']!r}: its script {case['repro']!r} "
                                       "is not beside the results file")
                write_text_atomic(script, render(data, claim["id"], case), durable=False)
            elif script is not None and not script.is_file():
                script = None
            found.append((claim["id"], case["nodeid"], script))
    return found


def write_command(results_path) -> str:
    """The command that writes the scripts of a results file where they are missing."""
    return f"python -m harness repro {Path(results_path).as_posix()} --write-only"


def run_one(script: Path | None, timeout: float) -> tuple[str, float, str]:
    """(outcome, seconds, last line of output) of one script in a fresh interpreter."""
    if script is None:
        return NO_SCRIPT, 0.0, NO_SCRIPT_WHY
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
        progress=print, write_only: bool = False) -> tuple[str, list[dict]]:
    """Write the scripts of the cases that did not hold (``scripts``) and, unless
    ``write_only``, run them; returns the report's text and its rows."""
    found = scripts(data, path)
    if not found:
        raise ResultsError(f"{path}: no case has a reproduction script to write or run (every "
                           "case held, or none ran)")
    if write_only:
        return written(found, path)
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


def written(found: list, path: Path) -> tuple[str, list[dict]]:
    """The report of ``--write-only``: where each case's script is, or that it has none."""
    rows = [{"claim": claim_id, "case": f"`{nodeid}`",
             "script": f"`{script.relative_to(path.parent).as_posix()}`" if script else NO_SCRIPT}
            for claim_id, nodeid, script in found]
    missing = sum(script is None for *_, script in found)
    text = (f"# Reproduction scripts of `{path}`\n\n{len(found) - missing} of {len(found)} cases "
            f"that did not hold have their script beside the results file."
            + (f" {missing} have none: {NO_SCRIPT_WHY}." if missing else "")
            + "\n\n" + table(rows) + "\n")
    return text, rows


def script_text(case: dict, path: Path) -> str | None:
    """The standalone script of a case (its ``repro``, relative to the results file ``path``),
    made again from its recorded ``check`` where the file is not there; None where it has
    neither."""
    script = Path(path).parent / case["repro"] if case.get("repro") else None
    if (script is None or not script.is_file()) and case.get("check"):
        data = load(path)
        claim_id = next(claim["id"] for claim in data["claims"]
                        if any(other["nodeid"] == case["nodeid"] for other in claim["cases"]))
        return render(data, claim_id, case)
    if script is None or not script.is_file():
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
