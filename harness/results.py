"""The results file: its schema, atomic writing and validated loading.

One JSON object per run of the suite on one implementation::

    {
      "schema_version": 1,
      "complete": true,              # false in the plugin's ``.<name>.partial`` file beside
                                     # it, while the run goes on or after a crash
      "running": null,               # node id of the case in progress when last written
      "implementation": {"name", "spec", "keras", "backend", "backend_version"},
      "environment": {"python", "platform", "machine", "cpu_count", "numpy",
                      "project_commit", "created"},
      "suite": {"duration_s", "pytest_args", "baseline"},
      "claims": [{"id", "statement", "source", "kind", "verdict",
                  "observed": str | None,   # observed and measured claims: what was seen
                  "workaround_for": str,    # only kind "workaround": the claim worked around
                  "cases": [{"nodeid", "outcome", "verdict", "message", "observed", "repro",
                             "check",       # what made it: {"function": "module:name",
                                            # "parameters": {...}} (harness/repro.py record)
                             "expected", "baseline_reason", "duration_s"}]}],
      "benchmarks": [...]            # rows of the cosine benchmarks, see suites/test_cosine.py:
                                     # kind "benchmark" (one per model and recipe) or
                                     # kind "measurement" (a measured claim's figures)
    }

``document``, ``claim_record``, ``case_record``, ``benchmark_row`` and ``measurement_row`` build
every part of it: the plugin, nox's record of a failed session and the tests' factory write
through them. A claim's verdict is the worst of its cases' verdicts in the order ``VERDICTS``; a
claim with no case run is ``skipped``; a case whose check never reported (its process died,
the run was interrupted) is ``error``, never ``holds``. ``repro`` is the path, relative to the results file, of
the standalone script that reproduces a case that does not hold; ``check`` the check function
and parameters it was made from, so that ``python -m harness repro`` writes it again where it is
missing (the scripts are not committed) and runs them all.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from fixtures.inconclusive import Inconclusive  # noqa: F401 (what a check raises; the plugin maps it)

SCHEMA_VERSION = 1
# Worst first: a wrong value is the strongest finding, then a call that raised, then a case that
# could not observe what its claim is about. A claim holds only when every case that ran holds.
VERDICTS = ("fails", "error", "inconclusive", "holds", "skipped")
NON_HOLDING = ("fails", "error", "inconclusive")
# Claim kinds whose holding verdict is a record of what was seen (no promise to keep): reports
# show what was observed instead of a tick. "documented" and "workaround" claims hold or not.
RECORDED_KINDS = ("observed", "measured")


class ResultsError(Exception):
    """A results file that is missing, unreadable or not of this schema; message is one line."""


def document(implementation: dict, environment: dict, suite: dict, claims: list, benchmarks: list,
             complete: bool, running: str | None = None, interrupted: str | None = None) -> dict:
    """A whole results file; ``running`` is the case in progress, ``interrupted`` why the run
    stopped early."""
    return {"schema_version": SCHEMA_VERSION, "complete": complete, "running": running,
            "interrupted": interrupted, "implementation": implementation,
            "environment": environment, "suite": suite, "claims": claims,
            "benchmarks": benchmarks}


def claim_record(claim, cases: list, verdict: str | None = None) -> dict:
    """A claim of the catalogue (anything with ``id``, ``statement``, ``source``, ``kind``) with
    its cases; its verdict is the worst of theirs unless given, and its ``observed`` line what
    they observed, each once, in their order."""
    observed = "; ".join(dict.fromkeys(case["observed"] for case in cases
                                       if case.get("observed"))) or None
    record = {"id": claim.id, "statement": claim.statement, "source": claim.source,
              "kind": claim.kind}
    if getattr(claim, "workaround_for", None):  # a workaround check: the claim it works around
        record["workaround_for"] = claim.workaround_for
    return {**record,
            "verdict": verdict or claim_verdict(case["verdict"] for case in cases),
            "observed": observed, "cases": list(cases)}


def case_record(nodeid: str, verdict: str | None, message: str = "", *,
                outcome: str | None = None, observed: str | None = None,
                repro: str | None = None, check: dict | None = None, expected: bool = False,
                baseline_reason: str | None = None, duration_s: float = 0.0) -> dict:
    """One case; ``outcome`` is pytest's (passed, failed, skipped, error, xfailed, xpassed),
    by default the plain one of its verdict. The plugin starts a case with verdict None: a case
    holds only when its check said so, never by default (``unreported``)."""
    if outcome is None and verdict is not None:
        outcome = {"holds": "passed", "skipped": "skipped"}.get(verdict, "failed")
    return {"nodeid": nodeid, "outcome": outcome, "verdict": verdict, "message": message,
            "observed": observed, "repro": repro, "check": check, "expected": expected,
            "baseline_reason": baseline_reason, "duration_s": duration_s}


def benchmark_row(model: str, recipe: str, seeds: list, status: str, **figures) -> dict:
    """One benchmark: ``model`` trained by ``recipe`` over ``seeds``; one row per (model, recipe)."""
    return {"kind": "benchmark", "model": model, "recipe": recipe, "seeds": list(seeds),
            "status": status, **figures}


def measurement_row(claim: str, model: str, **figures) -> dict:
    """The figures a measured claim recorded about ``model`` (never a benchmark of its own)."""
    return {"kind": "measurement", "claim": claim, "model": model, **figures}


def row_kind(row: dict) -> str:
    """``benchmark`` or ``measurement``; files written before rows had a kind are told apart
    by their ``claim`` key."""
    return row.get("kind") or ("measurement" if "claim" in row else "benchmark")


def benchmark_rows(data: dict) -> list[dict]:
    return [row for row in data.get("benchmarks", []) if row_kind(row) == "benchmark"]


def claim_verdict(case_verdicts) -> str:
    present = set(case_verdicts)
    for verdict in VERDICTS:
        if verdict in present:
            return verdict
    return "skipped"


def write_text_atomic(path, text: str, durable: bool = True) -> None:
    """Write so that a reader sees either the old file or the whole new one, never a part.

    ``durable=False`` skips the fsync: the file still survives the writing process dying (the
    kernel has it), only not the machine losing power. The plugin's progress writes, one per
    case, take that: the fsync was most of their cost (about 7 ms each here).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); a results file is for anyone to read, as a file
        # opened for writing is (0644 under the usual umask).
        os.fchmod(descriptor, 0o666 & ~_umask())
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            if durable:
                stream.flush()
                os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask() -> int:
    umask = os.umask(0o022)  # reading the umask means setting it: put it straight back
    os.umask(umask)
    return umask


def unreported(case: dict, why: str) -> dict:
    """``case`` as recorded when its check never reported (its process died, the run was
    interrupted): an ``error`` saying why, since nothing was seen to hold."""
    if case["verdict"] is not None:
        return case
    return {**case, "verdict": "error", "outcome": "error",
            "message": f"its check never reported: {why}"}


def partial_path(path) -> Path:
    """Where the plugin keeps the cases of a run that has not finished (or never will: a crash,
    an interruption) whose results go to ``path``; only a finished run replaces ``path``."""
    path = Path(path)
    return path.with_name(f".{path.name}.partial")


def is_results_file(path) -> bool:
    """Whether ``path`` holds a results file of this suite (of any schema version, complete or
    not): one the plugin may replace."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(data, dict) and "schema_version" in data and "claims" in data


def write_atomic(path, data: dict, durable: bool = True) -> None:
    write_text_atomic(path, json.dumps(data, indent=1, default=str), durable)


def load(path, known_verdicts: bool = False) -> dict:
    """A results file, checked to have every part the readers index (``problem``); raises
    ResultsError with one line naming the file and what is wrong.

    With ``known_verdicts`` a verdict outside ``VERDICTS`` is wrong too, for the readers that
    show verdicts (report, compare, ...); without, it is the caller's to judge
    (``unknown_verdicts``): the gate fails on it rather than refusing the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ResultsError(f"{path}: no such results file") from None
    except UnicodeDecodeError as error:
        raise ResultsError(
            f"{path}: not UTF-8 (byte {error.start}): corrupt results file") from None
    except OSError as error:
        raise ResultsError(f"{path}: cannot read: {error.strerror}") from None
    if not text.strip():
        raise ResultsError(f"{path}: empty results file")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ResultsError(f"{path}: not valid JSON (line {error.lineno}): corrupt results file") from None
    found = problem(data)
    if found is None and known_verdicts:
        found = next((f"{where}: unknown verdict {verdict!r} (known: {', '.join(VERDICTS)})"
                      for where, verdict in unknown_verdicts(data)), None)
    if found is not None:
        raise ResultsError(f"{path}: {found}")
    return data


# The parts of a results file that the readers index, as (required, optional) keys with their
# types; a reader may .get() anything else.
STRING_OR_NULL = (str, type(None))
NUMBER_OR_NULL = (int, float, type(None))
PARTS = {
    "implementation": ({"name": str}, {}),
    "environment": ({}, {}),
    "suite": ({}, {"pytest_args": list}),
    "claim": ({"id": str, "statement": str, "verdict": str, "cases": list},
              {"kind": str, "source": str, "workaround_for": str, "observed": STRING_OR_NULL}),
    "case": ({"nodeid": str, "verdict": str, "message": str},
             {"observed": STRING_OR_NULL, "repro": STRING_OR_NULL, "check": (dict, type(None)),
              "duration_s": (int, float)}),
    "benchmark row": ({}, {"kind": str, "model": str, "recipe": str, "status": str,
                           "claim": str, "figure": str, "target_mse": NUMBER_OR_NULL,
                           "dropout_floor_mse": NUMBER_OR_NULL}),
}


def problem(data) -> str | None:
    """What keeps ``data`` from being a results file every reader can read, in a few words;
    None when nothing does. Verdict values are ``unknown_verdicts``'s business."""
    if not isinstance(data, dict) or "schema_version" not in data:
        return "not a results file (no schema_version)"
    if data["schema_version"] != SCHEMA_VERSION:
        return (f"schema version {data['schema_version']} is not {SCHEMA_VERSION}; "
                "re-run the suite with this version of the harness")
    for key in ("implementation", "claims"):
        if key not in data:
            return f"results file has no {key!r}"
    for key in ("implementation", "environment", "suite"):
        if key in data and (found := part_problem(data[key], key)):
            return f"{key}: {found}"
    if not all(isinstance(arg, str) for arg in data.get("suite", {}).get("pytest_args", [])):
        return "suite: 'pytest_args' is not a list of strings"
    for key, part in (("claims", "claim"), ("benchmarks", "benchmark row")):
        records = data.get(key, [])
        if not isinstance(records, list):
            return f"{key}: {json_type(records)}, not a list"
        for index, record in enumerate(records):
            if found := part_problem(record, part):
                return f"{name_of(record, part, index)}: {found}"
    for claim in data["claims"]:
        for index, case in enumerate(claim["cases"]):
            if found := part_problem(case, "case"):
                return f"claim {claim['id']!r}, {name_of(case, 'case', index)}: {found}"
    return None


def part_problem(record, part: str) -> str | None:
    required, optional = PARTS[part]
    if not isinstance(record, dict):
        return f"{json_type(record)}, not an object"
    for key in required:
        if key not in record:
            return f"no {key!r}"
    for key, kind in {**required, **optional}.items():
        if key in record and not isinstance(record[key], kind):
            expected = kind[0] if isinstance(kind, tuple) else kind
            return f"{key!r} is {json_type(record[key])}, not {JSON_NAMES[expected]}"
    return None


def name_of(record, part: str, index: int) -> str:
    """``claim 'carry.index-i'``, ``case 'suites/...::test[x]'``, else ``claim #3``."""
    key = {"claim": "id", "case": "nodeid"}.get(part)
    if key and isinstance(record, dict) and isinstance(record.get(key), str):
        return f"{part} {record[key]!r}"
    return f"{part} #{index + 1}"


JSON_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true or false",
              int: "a number", float: "a number", type(None): "null"}


def json_type(value) -> str:
    return JSON_NAMES.get(type(value), type(value).__name__)


def unknown_verdicts(data: dict) -> list[tuple[str, str]]:
    """``(claim '<id>' or case '<node id>', verdict)`` for each verdict outside ``VERDICTS``."""
    found = []
    for claim in data["claims"]:
        if claim["verdict"] not in VERDICTS:
            found.append((f"claim {claim['id']!r}", claim["verdict"]))
        found += [(f"case {case['nodeid']!r}", case["verdict"]) for case in claim["cases"]
                  if case["verdict"] not in VERDICTS]
    return found
