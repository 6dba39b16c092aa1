"""The ``check`` a case's check function receives: the verdict helpers of fixtures/verdicts.py,
bound to the pytest case.

The claim comes from the case's ``@pytest.mark.claim(id)``; messages carry the implementation's
versions and say how to reproduce; ``observe`` records what an observed or measured claim saw.

A check is a plain function of the check library (``suites/checks/``) that a test module runs with
``run_check(function, **parameters)`` (suites/conftest.py). Its standalone reproduction script is
made from that function's own source (``suites/repro.py``), so the check is written once. The
state machine of ``suites/test_sequence.py``, whose steps are code it executes, declares the
lines that ran with ``check.reproduce(body)``.
"""

from __future__ import annotations

import textwrap

from fixtures.verdicts import ATOL, Verdicts, describe, max_difference  # noqa: F401 (re-exported)
from harness.repro import record as repro_record
from harness.stash import REPRO_SCRIPT
from suites import repro
from suites.claims import CLAIMS

# What a check function may ask for by naming it as a parameter (suites/conftest.py run_check).
INJECTED = ("keras", "impl", "check", "models", "rng")


class Check(Verdicts):
    def __init__(self, node, impl, spec: str):
        marker = node.get_closest_marker("claim")
        if marker is None or not marker.args:
            raise LookupError(f"{node.nodeid}: the check has no @pytest.mark.claim(id)")
        super().__init__(marker.args[0], impl)
        self.node = node
        self.spec = spec
        self.body = ""

    # -- what the report says -------------------------------------------------------------------
    def reproduce(self, body: str, extra=()) -> None:
        """Declare the standalone reproduction of this case (see ``suites/repro.py``);
        ``extra``: functions of the suite whose source the body uses, copied into the script."""
        self.body = textwrap.dedent(body).strip()
        self.node.stash[REPRO_SCRIPT] = repro.script(self.spec, self.claim, self.node.nodeid,
                                                     self.body, extra)

    def run(self, function, injected: dict, parameters: dict):
        """Run the check ``function`` with what it asks for of ``injected`` and ``parameters``;
        its script is made from its own source first, so that a case that raises has one."""
        self.body = repro.call_line(function, parameters)
        self.node.stash[REPRO_SCRIPT] = repro.script_of_check(
            self.spec, self.claim, self.node.nodeid, function, parameters)
        # What made the case, in its results: `harness repro` makes its script again from it.
        # A parameter no results file can hold leaves the case without it (its script is still
        # written beside the results), never turns the check into an error.
        try:
            self.node.user_properties.append(("check", repro_record(function, parameters)))
        except TypeError:
            pass
        wanted = repro.injected_names(function)
        return function(**{name: injected[name] for name in wanted}, **parameters)

    def observe(self, text: str) -> None:
        """What an observed or measured claim saw (reports show it instead of a bare verdict)."""
        self.node.user_properties.append(("observed", text))

    def report(self, observed: str, expected: str) -> str:
        versions = self.impl.versions()
        text = (f"[{self.claim}] on {self.impl.name} (keras {versions['keras']}, "
                f"{versions['backend']} {versions['backend_version']})\n"
                f"  observed: {observed}\n"
                f"  expected: {expected}")
        if self.body:
            text += ("\n  reproduce (the body of the standalone script written beside the results):\n"
                     + textwrap.indent(self.body, "    "))
        return text

    def precondition(self, condition, needed: str, observed: str = "", *, failing: str) -> None:
        __tracebackhide__ = True
        if failing not in CLAIMS:
            raise ValueError(f"precondition of {self.claim}: failing={failing!r} is not a claim")
        super().precondition(condition, needed, observed, failing=failing)
