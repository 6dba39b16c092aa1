"""Why a run's claims do not hold: its non-holding cases grouped by root cause.

A case that the run's baseline lists carries the team's diagnosis, the entry's reason
(``baseline_reason``, written in suites/baselines/<impl>.txt): cases are grouped by it, and a
reason that only qualifies another reason of the same run ("... unchanged (here with
unroll=True)") joins that one. A case without a reason (a run without a baseline, or a finding
the baseline does not know yet) is grouped by what its message says happened
(``markdown.headline``) with its figures masked, so that one failure seen at several sizes or
values is one cause. Each cause comes with the workaround checks that hold for its claims
(harness/workarounds.py) and, on a built-in implementation, the upstream threads that track
its findings (suites/upstream.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from textwrap import shorten

from harness import workarounds
from harness.markdown import headline, verdict_tally
from harness.results import NON_HOLDING
from suites import upstream

# A figure in a message: a count, a size, a difference, a value of an array.
FIGURE = re.compile(r"-?\b\d+(?:\.\d+)?(?:e[-+]?\d+)?\b", re.IGNORECASE)
# What may follow a reason that another reason extends: a qualifier, not another word.
QUALIFIER_START = (" (", ", ", "; ", ": ")
# A message's headline can run to hundreds of characters (a whole route of states); a cause line
# keeps its start, the case's section in the report has it all.
HEADLINE_WIDTH = 200


@dataclass
class Cause:
    """One root cause of a run: its text, whether that is the team's diagnosis, and the
    non-holding cases it explains by claim (in the run's order)."""

    text: str
    diagnosed: bool
    key: str  # what causes are told apart by: the reason, or the headline with figures masked
    cases: dict[str, list[dict]] = field(default_factory=dict)
    # The claims of ``cases`` that are not themselves workaround checks: what a workaround fixes.
    worked_around: list[str] = field(default_factory=list)
    workarounds: dict[str, list[str]] = field(default_factory=dict)  # name: claims it holds for
    threads: tuple[upstream.Thread, ...] | None = None  # None: nobody looked upstream

    @property
    def claims(self) -> list[str]:
        return list(self.cases)

    @property
    def case_count(self) -> int:
        return sum(len(cases) for cases in self.cases.values())

    @property
    def verdicts(self) -> list[str]:
        return [case["verdict"] for cases in self.cases.values() for case in cases]


def causes(results: dict) -> list[Cause]:
    """The root causes of ``results``' non-holding cases, those that explain the most claims
    (then cases) first."""
    claims = results["claims"]
    reasons = {case["baseline_reason"] for claim in claims for case in claim["cases"]
               if case["verdict"] in NON_HOLDING and case.get("baseline_reason")}
    roots = root_reasons(reasons)
    found: dict[tuple[bool, str], Cause] = {}
    for claim in claims:
        for case in claim["cases"]:
            if case["verdict"] not in NON_HOLDING:
                continue
            reason = case.get("baseline_reason")
            if reason:
                text = key = roots[reason]
            else:
                text = headline(case["message"]) or f"{case['verdict']} without a message"
                key = FIGURE.sub("#", text)
            cause = found.setdefault((bool(reason), key), Cause(text, bool(reason), key))
            cause.cases.setdefault(claim["id"], []).append(case)
    holding = workarounds.holding(claims)
    implementation = results["implementation"]["name"]
    checks = {claim["id"] for claim in claims if workarounds.worked_around(claim) is not None}
    for cause in found.values():
        cause.worked_around = [claim_id for claim_id in cause.claims if claim_id not in checks]
        for claim_id in cause.worked_around:
            for name in holding.get(claim_id, []):
                cause.workarounds.setdefault(name, []).append(claim_id)
        cause.threads = tracking_threads(cause.claims, implementation)
    return sorted(found.values(), key=lambda cause: (-len(cause.cases), -cause.case_count))


def across(runs: dict[str, dict]) -> list[tuple[Cause, list[str]]]:
    """The causes of several runs (results by name), each once with the names of the runs it
    is found in: a cause of several runs has all their cases, workarounds and threads. Those
    that explain the most claims, then are found in the most runs, first."""
    merged: dict[tuple[bool, str], tuple[Cause, list[str]]] = {}
    for name, results in runs.items():
        for cause in causes(results):
            into, where = merged.setdefault((cause.diagnosed, cause.key), (
                Cause(cause.text, cause.diagnosed, cause.key), []))
            where.append(name)
            for claim_id, cases in cause.cases.items():
                into.cases.setdefault(claim_id, []).extend(cases)
            into.worked_around += [claim_id for claim_id in cause.worked_around
                                   if claim_id not in into.worked_around]
            for workaround, claim_ids in cause.workarounds.items():
                known = into.workarounds.setdefault(workaround, [])
                known += [claim_id for claim_id in claim_ids if claim_id not in known]
            if cause.threads is not None:
                into.threads = tuple(dict.fromkeys((into.threads or ()) + cause.threads))
    return sorted(merged.values(), key=lambda item: (-len(item[0].cases), -len(item[1])))


def root_reasons(reasons: set[str]) -> dict[str, str]:
    """Each reason's root: the shortest other reason that it extends with a qualifier
    (``QUALIFIER_START``), else itself."""
    roots = {}
    for reason in reasons:
        extended = [other for other in reasons if other != reason and reason.startswith(other)
                    and reason[len(other):].startswith(QUALIFIER_START)]
        roots[reason] = min(extended, key=len, default=reason)
    return roots


def tracking_threads(claim_ids: list[str], implementation: str) -> tuple | None:
    """The upstream threads that track any of these claims' findings on ``implementation``;
    None where its findings were never looked up (not a built-in)."""
    if implementation not in upstream.IMPLEMENTATIONS:
        return None
    threads = []
    for claim_id in claim_ids:
        entry = upstream.finding(claim_id, implementation)
        threads += [thread for thread in (entry.tracking if entry else ())
                    if thread not in threads]
    return tuple(threads)


def summary(cause: Cause, baseline: bool = True) -> str:
    """One markdown line: the cause, how many claims and cases (by verdict), the claims, the
    workarounds that hold for them and the upstream threads. ``baseline``: the run had one, so
    an undiagnosed cause is news."""
    text = f"**{cause.text if cause.diagnosed else shorten(cause.text, HEADLINE_WIDTH)}**"
    if not cause.diagnosed and baseline:
        text = f"not in the baseline: {text}"
    parts = [f"{text}: {plural(len(cause.cases), 'claim')}, "
             f"{plural(cause.case_count, 'case')} ({verdict_tally(cause.verdicts)}): "
             + ", ".join(f"`{claim_id}`" for claim_id in cause.claims)]
    if cause.worked_around:  # a workaround check that fails has no workaround of its own
        parts.append("workaround: "
                     + workaround_text(cause.workarounds, len(cause.worked_around)))
    if cause.threads is not None:
        parts.append("upstream: " + threads_text(cause.threads))
    return "; ".join(parts)


def workaround_text(found: dict[str, list[str]], claim_count: int) -> str:
    if not found:
        return "none found"
    return ", ".join(f"`{name}`" + ("" if len(claims) == claim_count
                                    else f" ({len(claims)} of the {claim_count} claims)")
                     for name, claims in found.items())


def threads_text(threads) -> str:
    if not threads:
        return upstream.NOT_FOUND
    return ", ".join(f"[{thread.label}]({thread.url}) ({thread.state})" for thread in threads)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")
