"""How a case's outcome becomes its verdict, and how a case that does not hold reads.

Runs where the checks run (the one process, or each pytest-xdist worker): the verdict, the
message, the case's marks and, for a non-holding case, its script travel in
``report.user_properties``, so the process that writes the results gets them with the report.

A case that does not hold shows its claim message (claim, versions, observed, expected, how to
reproduce) in place of the framework's traceback, which ``-v`` or any ``--tb`` style other than
the default shows: the traceback of a Keras error runs to hundreds of lines of autograd or XLA
internals that say nothing about the claim.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from harness import results
from harness.stash import IMPLEMENTATION, REPRO_SCRIPT, VERSIONS


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
        if (report.failed and marker is not None and marker.args
                and verdict in results.NON_HOLDING and not wants_traceback(item.config)):
            report.longrepr = claim_message(item, marker.args[0], verdict, call.excinfo)


def wants_traceback(config) -> bool:
    """``-v``, ``--tb`` other than the default, or ``--full-trace``: the framework's traceback."""
    return (config.get_verbosity() > 0 or config.option.tbstyle != "auto"
            or config.option.fulltrace)


TRACEBACK_HINT = "(the traceback: -v or --tb=long)"


def claim_message(item, claim: str, verdict: str, excinfo) -> str:
    """What a case that does not hold shows on the terminal: the check's own message where it
    wrote one (it starts with the claim), else the claim, the versions, the exception and the
    line of the suite it came through."""
    message = message_of(excinfo)
    if message.startswith(f"[{claim}]"):
        # Notes added on the way up (Hypothesis's falsifying example) are not in the message.
        notes = [textwrap.indent(note, "  ") for note in getattr(excinfo.value, "__notes__", [])]
        return "\n".join([message, *notes, f"  {TRACEBACK_HINT}"])
    lines = [f"[{claim}] on {versions_line(item.config)}",
             f"  {verdict}: " + message.replace("\n", "\n    ")]
    where = raised_at(excinfo, item.config.rootpath)
    if where:
        lines.append(f"  at: {where}")
    lines.append(f"  {TRACEBACK_HINT}")
    return "\n".join(lines)


def versions_line(config) -> str:
    name = getattr(config.stash.get(IMPLEMENTATION, None), "name", "?")
    versions = config.stash.get(VERSIONS, {})
    return (f"{name} (keras {versions.get('keras', '?')}, {versions.get('backend', '?')} "
            f"{versions.get('backend_version', '?')})")


def raised_at(excinfo, root: Path) -> str | None:
    """The statement of the deepest frame of the project (under ``root``, not an installed
    package) the exception passed through: the suite's call into the framework."""
    for entry in reversed(excinfo.traceback):
        path = Path(entry.path)
        if path.is_relative_to(root) and "site-packages" not in path.parts:
            statement = " ".join(str(entry.statement).split())  # one line, however written
            location = f"{path.relative_to(root)}:{entry.lineno + 1}"
            return f"{statement}  ({location})" if statement else location
    return None
