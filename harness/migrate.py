"""``python -m harness migrate FROM.json TO.json``: what changes for a stateful model moved from
one implementation (or release) to another, claim by claim.

For each claim of either results file: its verdict before and after, each side's message in one
line and, for a claim whose verdict changed, the code before (the body of the case's standalone
script, see suites/repro.py; the same code runs on both sides) and what to write on the TO side:
the verified workaround, a catalogue claim of ``kind="workaround"`` with ``workaround_for`` set to
the claim, offered only where its own verdict in TO.json is ``holds``; otherwise "no verified
workaround". Unchanged claims are listed compactly at the end.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

from harness.markdown import OBSERVED, SYMBOLS, cell, headline, table, telling_case
from harness.paths import PROJECT_ROOT
from harness.repro import body as case_body
from harness.results import NON_HOLDING, ResultsError
from suites import upstream


def release(results: dict) -> str:
    """``<implementation>-<major.minor>`` of a results file: tf-keras-2.21, keras-jax-3.15."""
    implementation = results["implementation"]
    version = str(implementation.get("keras") or "unknown")
    return f"{implementation['name']}-{'.'.join(version.split('.')[:2])}"


def default_output(before: dict, after: dict) -> Path:
    return Path("reports") / f"MIGRATION-{release(before)}-to-{release(after)}.md"


def side_name(results: dict) -> str:
    implementation = results["implementation"]
    return f"{implementation['name']} {implementation.get('keras', '?')}"


def check_pair(before: tuple[Path, dict], after: tuple[Path, dict]) -> None:
    (from_path, from_data), (to_path, to_data) = before, after
    if side_name(from_data) == side_name(to_data):
        raise ResultsError(f"{from_path} and {to_path} are both {side_name(from_data)}: a "
                           "migration needs two implementations or two releases")


def is_workaround(claim: dict) -> bool:
    return claim.get("kind") == "workaround"


def workaround_for(claim_id: str) -> str | None:
    """The claim a workaround id works around, from the catalogue."""
    from suites.claims import CLAIMS
    entry = CLAIMS.get(claim_id)
    return getattr(entry, "workaround_for", None) if entry else None


def workarounds(results: dict) -> dict[str, list[dict]]:
    """Workaround claims of a results file, by the claim they work around."""
    found: dict[str, list[dict]] = {}
    for claim in results["claims"]:
        if is_workaround(claim):
            target = claim.get("workaround_for") or workaround_for(claim["id"])
            if target:
                found.setdefault(target, []).append(claim)
    return found


class Placeholder:
    """A parameter of a check's body template, shown as ``<name>``."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)


class Placeholders(dict):
    def __missing__(self, key: str) -> Placeholder:
        return Placeholder(key)


def check_code(nodeid: str) -> str | None:
    """The code of the check behind ``nodeid``: the body it declares with ``check.reproduce``
    when that is a string of the module (a template's parameters shown as ``<name>``), else the
    check function's source."""
    file, _, rest = nodeid.partition("::")
    name = rest.split("[", 1)[0].split("::")[-1]
    path = PROJECT_ROOT / file
    if not name or not path.is_file():
        return None
    try:
        source = path.read_text(encoding="utf-8")
        module = ast.parse(source)
    except (UnicodeDecodeError, SyntaxError, ValueError):  # a node id not of the suite's files
        return None
    constants: dict[str, str] = {}

    def text_of(argument) -> str | None:
        """A string literal, a module constant, a sum of those, or the template of
        ``TEMPLATE.format(...)``."""
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            return argument.value
        if isinstance(argument, ast.Name):
            return constants.get(argument.id)
        if isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Add):
            left, right = text_of(argument.left), text_of(argument.right)
            return left + right if left is not None and right is not None else None
        if (isinstance(argument, ast.Call) and isinstance(argument.func, ast.Attribute)
                and argument.func.attr == "format"):
            template = text_of(argument.func.value)
            try:
                return template.format_map(Placeholders()) if template else None
            except (ValueError, IndexError):
                return template
        return None

    for statement in module.body:
        if isinstance(statement, ast.Assign):
            value = text_of(statement.value)
            for target in statement.targets:
                if isinstance(target, ast.Name) and value is not None:
                    constants[target.id] = value

    functions = {node.name: node for node in module.body if isinstance(node, ast.FunctionDef)}
    tuples = {target.id: statement.value for statement in module.body
              if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple)
              for target in statement.targets if isinstance(target, ast.Name)}

    def helpers(call: ast.Call, text: str) -> list[str]:
        """The source of the ``extra=`` functions of the module that the body calls."""
        extra = next((k.value for k in call.keywords if k.arg == "extra"), None)
        if isinstance(extra, ast.Name):
            extra = tuples.get(extra.id)
        names = [e.id for e in getattr(extra, "elts", []) if isinstance(e, ast.Name)]
        used = [n for n in names if n in functions and re.search(rf"\b{n}\(", text)]
        # A helper may call another helper: keep those too.
        for n in list(used):
            body = ast.get_source_segment(source, functions[n]) or ""
            used += [m for m in names if m not in used and m in functions
                     and re.search(rf"\b{m}\(", body)]
        return [ast.get_source_segment(source, functions[n]) for n in names if n in used]

    node = functions.get(name)
    if node is None:
        return None
    for call in ast.walk(node):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "reproduce" and call.args):
            text = text_of(call.args[0])
            if text:
                text = textwrap.dedent(text).strip()
                return "\n\n\n".join([*helpers(call, text), text])
    return ast.get_source_segment(source, node)


def verdict_text(claim: dict | None) -> str:
    if claim is None:
        return "– (not checked)"
    if claim.get("kind", "documented") != "documented" and claim["verdict"] == "holds":
        return f"{OBSERVED} {claim.get('observed') or 'recorded'}"
    return f"{SYMBOLS[claim['verdict']]} {claim['verdict']}"


def outcome(claim: dict | None) -> str:
    """The verdict as compared: an observed claim's record counts, not only its verdict."""
    if claim is None:
        return "absent"
    return f"{claim['verdict']}|{claim.get('observed') or ''}"


def cases_line(claim: dict) -> str:
    ran = [case for case in claim["cases"] if case["verdict"] != "skipped"]
    held = sum(case["verdict"] == "holds" for case in ran)
    return f"{held} of {len(ran)} cases hold" if ran else "no case ran"


def summary(claim: dict | None) -> str:
    if claim is None:
        return "not checked in this results file"
    case = telling_case(claim)
    text = verdict_text(claim) + f" ({cases_line(claim)})"
    if case is not None and case.get("message"):
        text += f": {cell(headline(case['message']))}"
    return text


def first_code(claim: dict | None, path: Path) -> tuple[str, str] | None:
    """(code, node id) of the first non-holding case with code."""
    if claim is None:
        return None
    for case in claim["cases"]:
        if case["verdict"] in NON_HOLDING:
            code = case_body(case, path)
            if code:
                return code, case["nodeid"]
    return None


def short(text: str, width: int = 60) -> str:
    text = cell(text)
    return text if len(text) <= width else text[:width - 1].rstrip() + "…"


def fenced(code: str) -> str:
    return f"```python\n{code}\n```"


def change_kind(before: dict | None, after: dict | None) -> str:
    if before is None or after is None:
        return "checked on one side only"
    if "skipped" in (before["verdict"], after["verdict"]):
        return "skipped on one side"
    was, now = before["verdict"] == "holds", after["verdict"] == "holds"
    if was and not now:
        return "stops holding"
    if now and not was:
        return "starts holding"
    if before["verdict"] != after["verdict"]:
        return "fails differently"
    return "records something else"


def workaround_block(claim_id: str, to_data: dict, to_name: str) -> str:
    offered = workarounds(to_data).get(claim_id, [])
    verified = [claim for claim in offered if claim["verdict"] == "holds"]
    if not verified:
        tried = ", ".join(f"`{claim['id']}` ({claim['verdict']})" for claim in offered)
        return (f"**On {to_name}: no verified workaround**"
                + (f" (tried here, not holding: {tried})." if tried else "."))
    parts = []
    for claim in verified:
        nodeid = next((case["nodeid"] for case in claim["cases"]
                       if case["verdict"] == "holds"), None)
        code = check_code(nodeid) if nodeid else None
        parts.append(f"**What to write on {to_name}**: `{claim['id']}`, {cell(claim['statement'])} "
                     f"(✅ holds on {to_name}: {cases_line(claim)}; checked by `{nodeid}`)"
                     + (f"\n\n{fenced(code)}" if code else ""))
    return "\n\n".join(parts)


def claim_section(claim_id: str, before: dict | None, after: dict | None,
                  sides: tuple[tuple[Path, dict], tuple[Path, dict]]) -> str:
    (from_path, from_data), (to_path, to_data) = sides
    from_name, to_name = side_name(from_data), side_name(to_data)
    either = after or before
    lines = [f"### `{claim_id}`: {verdict_text(before)} → {verdict_text(after)}",
             f"{cell(either['statement'])} ({cell(either.get('source', ''))})",
             f"- before, {from_name}: {summary(before)}",
             f"- after, {to_name}: {summary(after)}"]
    for name, data, claim in ((from_name, from_data, before), (to_name, to_data, after)):
        if claim is not None and claim["verdict"] in NON_HOLDING:
            implementation = data["implementation"]["name"]
            if implementation in upstream.IMPLEMENTATIONS:
                lines.append(f"- upstream, {name}: {upstream.summary(claim_id, implementation)}")
    text = "\n".join(lines[:2]) + "\n\n" + "\n".join(lines[2:])
    code = first_code(after, to_path) or first_code(before, from_path)
    if code:
        text += (f"\n\nThe code (`{code[1]}`, run the same way on each side, with the "
                 "helpers of its "
                 f"standalone script):\n\n{fenced(code[0])}")
    if after is not None and after["verdict"] in NON_HOLDING:
        text += "\n\n" + workaround_block(claim_id, to_data, to_name)
    elif after is not None and after["verdict"] == "holds" and before is not None \
            and before["verdict"] in NON_HOLDING:
        text += f"\n\n**On {to_name}** the same code holds: nothing to change."
    return text


def render(before: tuple[Path, dict], after: tuple[Path, dict]) -> str:
    check_pair(before, after)
    (from_path, from_data), (to_path, to_data) = before, after
    from_claims = {c["id"]: c for c in from_data["claims"] if not is_workaround(c)}
    to_claims = {c["id"]: c for c in to_data["claims"] if not is_workaround(c)}
    ids = list(dict.fromkeys([*from_claims, *to_claims]))
    changed = [i for i in ids if outcome(from_claims.get(i)) != outcome(to_claims.get(i))]
    unchanged = [i for i in ids if i not in changed]
    from_name, to_name = side_name(from_data), side_name(to_data)
    sections = [f"# Migrating stateful RNNs from {from_name} to {to_name}",
                f"From `{from_path}` ({describe(from_data)}) to `{to_path}` "
                f"({describe(to_data)}). Code blocks are the bodies of the suite's standalone "
                "scripts (`<results>-repro/`): the user's code, run the same way on both sides; "
                "a workaround is offered only where its own check holds on the TO side."]
    for name, data in ((from_name, from_data), (to_name, to_data)):
        if not data.get("complete", True):
            sections.append(f"> ⚠ Incomplete results for {name}: the run stopped during "
                            f"`{data.get('running')}`; claims it did not reach may be missing.")
    counts = {}
    for claim_id in changed:
        kind = change_kind(from_claims.get(claim_id), to_claims.get(claim_id))
        counts[kind] = counts.get(kind, 0) + 1
    plural = {"stops holding": "stop holding", "starts holding": "start holding",
              "fails differently": "fail differently", "records something else":
              "record something else", "skipped on one side": "skipped on one side"}
    sections.append(f"{len(ids)} claims: {len(changed)} change ("
                    + ", ".join(f"{n} {plural.get(kind, kind) if n > 1 else kind}"
                                for kind, n in counts.items())
                    + f"), {len(unchanged)} unchanged." if changed
                    else f"{len(ids)} claims, all unchanged.")
    sections.append("## What changes")
    if changed:
        sections.append(table([{
            "claim": f"`{claim_id}`",
            "change": change_kind(from_claims.get(claim_id), to_claims.get(claim_id)),
            from_name: short(verdict_text(from_claims.get(claim_id))),
            to_name: short(verdict_text(to_claims.get(claim_id))),
        } for claim_id in changed]))
        sections += [claim_section(claim_id, from_claims.get(claim_id), to_claims.get(claim_id),
                                   (before, after)) for claim_id in changed]
    else:
        sections.append("Nothing: every claim has the same verdict on both sides.")
    sections += ["## Unchanged", unchanged_list(unchanged, from_claims, to_claims)]
    return "\n\n".join(sections) + "\n"


def describe(results: dict) -> str:
    implementation = results["implementation"]
    return (f"{implementation['name']}, keras {implementation.get('keras')}, "
            f"{implementation.get('backend')} {implementation.get('backend_version')}")


def unchanged_list(ids: list[str], from_claims: dict, to_claims: dict) -> str:
    if not ids:
        return "None."
    groups: dict[str, list[str]] = {}
    for claim_id in ids:
        groups.setdefault(verdict_text(from_claims[claim_id]), []).append(f"`{claim_id}`")
    return "\n".join(f"- {label} on both: {', '.join(names)}" for label, names in groups.items())
