"""``python -m harness issue RESULTS CLAIM``: a draft issue for the Keras tracker, in markdown.

Title, environment (the results file's implementation and environment blocks), the standalone
reproduction script of the claim's first non-holding case (its ``repro``, relative to the results
file; the number of other non-holding cases is mentioned), observed and expected (the case's
message) and the related upstream threads of suites/upstream.py, or "not found upstream" with
what was searched for.
"""

from __future__ import annotations

from pathlib import Path

from harness.markdown import headline
from harness.repro import body as case_body
from harness.repro import script_text
from harness.results import NON_HOLDING, ResultsError
from suites import upstream

TRACKERS = {"tf-keras": "keras-team/tf-keras"}  # every other built-in: keras-team/keras


def message_line(message: str, key: str) -> str | None:
    """The ``observed:`` or ``expected:`` line of a message written through suites/check.py."""
    for line in str(message or "").splitlines():
        if line.strip().startswith(f"{key}:"):
            return line.strip().removeprefix(f"{key}:").strip()
    return None


def find_claim(results: dict, path: Path, claim_id: str) -> dict:
    claim = next((c for c in results["claims"] if c["id"] == claim_id), None)
    if claim is None:
        raise ResultsError(f"{path}: no claim {claim_id!r} in this results file")
    implementation = results["implementation"]
    where = f"{implementation['name']} (keras {implementation.get('keras')})"
    if claim["verdict"] not in NON_HOLDING:
        raise ResultsError(f"nothing to report: {claim_id} {claim['verdict']} on {where}"
                           if claim["verdict"] != "holds"
                           else f"nothing to report: {claim_id} holds on {where}")
    return claim


def title(results: dict, claim: dict, case: dict) -> str:
    implementation = results["implementation"]
    backend = (f"{implementation.get('backend')} backend, "
               if implementation["name"] != "tf-keras" else "")
    what = headline(case.get("message")) or claim["verdict"]
    for mark in (": ", " ("):  # the details after the finding stay in the body
        cut = what.find(mark, 30)
        if cut > 0:
            what = what[:cut]
    if len(what) > 110:
        what = what[:107].rstrip() + "..."
    return f"Stateful RNN ({backend}Keras {implementation.get('keras')}): {what}"


def environment(results: dict) -> str:
    implementation = results["implementation"]
    env = results.get("environment", {})
    rows = [("Keras", implementation.get("keras")),
            ("Backend", f"{implementation.get('backend')} {implementation.get('backend_version')}"),
            ("Python", env.get("python")), ("NumPy", env.get("numpy")),
            ("Platform", env.get("platform")),
            ("Machine", f"{env.get('machine')}, {env.get('cpu_count')} CPUs"),
            ("Found", f"{env.get('created')} by the stateful-rnn-conformance suite "
                      f"(`{implementation['name']}`)")]
    return "\n".join(f"- {key}: {value}" for key, value in rows)


def render(results: dict, path: Path, claim_id: str) -> str:
    claim = find_claim(results, path, claim_id)
    failing = [case for case in claim["cases"] if case["verdict"] in NON_HOLDING]
    if not failing:  # a claim recorded without its cases (nox's record of a failed session)
        raise ResultsError(f"{path}: claim {claim_id!r} is {claim['verdict']} but has no "
                           f"non-holding case ({len(claim['cases'])} cases): nothing to draft")
    case = failing[0]
    implementation = results["implementation"]
    observed = message_line(case.get("message"), "observed") or headline(case.get("message"))
    expected = message_line(case.get("message"), "expected")
    script = script_text(case, path)
    code = case_body(case, path)
    if code:
        reproduction = ("The heart of it (the helpers it calls are defined in the standalone "
                        f"script):\n\n```python\n{code}\n```")
    else:
        reproduction = ("No reproduction was recorded for this case (run the suite with "
                        "`--results`).")
    if case.get("repro") and not script:
        reproduction += (f"\n\nThe standalone script `{case['repro']}` this case names is missing "
                         "beside the results file; run the suite again with `--results`.")
    if script:
        reproduction += (
            f"\n\n<details><summary>Standalone script <code>repro.py</code> "
            f"({len(script.splitlines())} lines): run <code>python repro.py</code>; it needs only "
            f"NumPy and Keras, prints observed and expected, and exits 1 while the problem "
            f"stands, 0 once it is fixed</summary>\n\n```python\n{script.rstrip()}\n```\n\n"
            "</details>")
    others = len(failing) - 1
    cases = (f"This is `{case['nodeid']}` ({case['verdict']}); "
             + (f"{others} other case{'s' if others != 1 else ''} of the same claim "
                f"({len(claim['cases'])} in all) do not hold either: "
                + ", ".join(f"`{c['nodeid']}`" for c in failing[1:6])
                + (f" and {others - 5} more" if others > 5 else "") + "."
                if others else f"the only one of the claim's {len(claim['cases'])} cases that "
                "does not hold."))
    entry = upstream.finding(claim_id, implementation["name"])
    if entry is None:
        related = ("Not looked up: suites/upstream.py has no entry for this finding; search "
                   "the tracker before filing.")
    else:
        related = upstream.section(claim_id, implementation["name"])
    tracker = TRACKERS.get(implementation["name"], "keras-team/keras")
    sections = [
        f"<!-- draft issue for https://github.com/{tracker}/issues, written by "
        f"`python -m harness issue {path} {claim_id}` -->",
        f"## {title(results, claim, case)}",
        f"### Environment\n\n{environment(results)}",
        f"### What is documented\n\n> {claim['statement']}\n\nSource: {claim.get('source')}",
        f"### Standalone reproduction\n\n{cases}\n\n{reproduction}",
        f"### Observed\n\n{observed}",
        f"### Expected\n\n{expected or 'the claim above to hold'}",
        f"### Related upstream threads\n\n{related}",
    ]
    return "\n\n".join(sections) + "\n"
