"""How a check states its verdict: one helper per property, the claim read from the marker.

Every check takes the ``check`` fixture and, in this order:

1. ``check.reproduce(body)``: the lines a user would type to see the behaviour, as the body of a
   standalone script (``suites/repro.py`` wraps it); the plugin writes it beside the results
   file when the case does not hold;
2. ``check.precondition(..., failing=claim)``: what another claim promises and this one needs
   to be observable at all (a reset is seen only on a state that ``predict`` stored: that is
   ``carry.index-i``). When it did not happen the case is ``inconclusive``, never ``holds``, and
   the message names that claim. This is the only way to ``inconclusive``;
3. ``check.layer_states(layer)``, ``check.same_count(...)``, ``check.close(...)``,
   ``check.that(...)``: the claim itself. A layer that keeps no state, a different number of
   arrays, a different shape or a wrong value is ``fails``.

Messages read as bug reports: the claim and versions, observed, expected, and the repro body.
The claim id is written once, in ``@pytest.mark.claim(id)``.
"""

from __future__ import annotations

import textwrap

import numpy as np

from fixtures import rnn
from harness.plugin import REPRO_SCRIPT
from harness.results import Inconclusive
from suites import repro
from suites.claims import CLAIMS

ATOL = 1e-4  # float32 kernels against a float64 reference over a few dozen steps


class Check:
    def __init__(self, node, impl, spec: str):
        marker = node.get_closest_marker("claim")
        if marker is None or not marker.args:
            raise LookupError(f"{node.nodeid}: the check has no @pytest.mark.claim(id)")
        self.claim = marker.args[0]
        self.node = node
        self.impl = impl
        self.spec = spec
        self.body = ""

    # -- what the report says -------------------------------------------------------------------
    def reproduce(self, body: str, extra=()) -> None:
        """Declare the standalone reproduction of this case (see ``suites/repro.py``);
        ``extra``: functions of the suite whose source the body uses, copied into the script."""
        self.body = textwrap.dedent(body).strip()
        self.node.stash[REPRO_SCRIPT] = repro.script(self.spec, self.claim, self.node.nodeid,
                                                     self.body, extra)

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

    # -- preconditions: another claim fails -> inconclusive ------------------------------------
    def precondition(self, condition, needed: str, observed: str = "", *, failing: str) -> None:
        """``needed`` must have happened for the claim to be observable; it is what the claim
        ``failing`` promises, so when it did not happen that claim fails on this implementation
        and this one cannot be seen: ``inconclusive``, naming it. Where ``failing`` is this very
        claim, it is a failure (a helper shared by several claims names the one it needs)."""
        __tracebackhide__ = True
        if failing not in CLAIMS:
            raise ValueError(f"precondition of {self.claim}: failing={failing!r} is not a claim")
        if condition:
            return
        if failing == self.claim:
            self.fail(f"{needed} did not happen" + (f" ({observed})" if observed else ""), needed)
        raise Inconclusive(self.report(
            f"inconclusive: {needed} did not happen" + (f" ({observed})" if observed else "")
            + f"; that is {failing}, which does not hold here",
            f"{needed} ({failing}), so that the claim can be observed"))

    # -- what the claim is about ---------------------------------------------------------------
    def layer_states(self, layer, what: str = "the layer") -> list[np.ndarray]:
        """``layer.states`` as NumPy arrays; a layer that keeps no state fails the claim, which is
        about that state."""
        __tracebackhide__ = True
        states = rnn.layer_states(self.impl, layer)
        self.that(states, f"{what} keeps no state: layer.states is {layer.states!r}",
                  "a stateful layer keeps its state in layer.states (h, and c for LSTM)")
        return states

    def same_count(self, what: str, observed: list, expected: list) -> None:
        """Both sides of a comparison have the same number of arrays, at least one."""
        __tracebackhide__ = True
        self.that(len(observed) == len(expected) and len(expected) > 0,
                  f"{what}: {len(observed)} arrays observed, {len(expected)} expected",
                  f"{what}: the same number of arrays on both sides, at least one")

    # -- the claim ---------------------------------------------------------------------------------
    def that(self, condition, observed: str, expected: str) -> None:
        __tracebackhide__ = True
        if not condition:
            raise AssertionError(self.report(observed, expected))

    def fail(self, observed: str, expected: str):
        __tracebackhide__ = True
        raise AssertionError(self.report(observed, expected))

    def close(self, what: str, observed, expected, atol: float = ATOL,
              expected_what: str = "the reference") -> float:
        """``observed`` equals ``expected`` within ``atol``; the shapes are checked first."""
        __tracebackhide__ = True
        observed, expected = np.asarray(observed), np.asarray(expected)
        self.that(observed.shape == expected.shape and observed.size > 0,
                  f"{what} has shape {observed.shape}, {expected_what} {expected.shape}",
                  f"{what}: arrays of the same, non-empty shape on both sides")
        difference = max_difference(observed, expected)
        self.that(difference <= atol,
                  f"{what} differs from {expected_what} by {difference:.3g} ({describe(observed)})",
                  f"{what} equal to {expected_what} within {atol:g} ({describe(expected)})")
        return difference

    def all_close(self, what: str, observed: list, expected: list, atol: float = ATOL,
                  expected_what: str = "the reference") -> None:
        """Lists of arrays, pairwise: same count first, then each pair."""
        __tracebackhide__ = True
        self.same_count(what, observed, expected)
        for k, (value, reference) in enumerate(zip(observed, expected)):
            self.close(f"{what}[{k}]", value, reference, atol, expected_what)


def max_difference(observed, expected) -> float:
    observed = np.asarray(observed, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    if observed.shape != expected.shape:
        return float("inf")
    return float(np.max(np.abs(observed - expected), initial=0.0))


def describe(array) -> str:
    array = np.asarray(array)
    flat = np.round(array.reshape(-1)[:4].astype("float64"), 5).tolist()
    return f"shape {array.shape}, first values {flat}"
