"""What a run selected: its pytest arguments, evaluated on the cases of the reference.

A narrowed run (``-m "not slow"``, ``--claim carry.*``, a file, ``-k``, ``--deselect``) is
compared with what it selected, not with the whole reference: a case of the reference that the
run's arguments select and that is not in the results is gone. ``-m`` is evaluated on the marks
each case records (``marks``, written by the plugin); a reference whose cases record no marks
cannot tell, and neither can a run stopped early on purpose (``-x``, ``--maxfail``) or one that
ran what a cache chose (``--lf``, ``--sw``).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path

from _pytest.mark import expression

from harness.paths import PROJECT_ROOT

# What pytest raises for an expression it cannot parse: ParseError before pytest 9.
EXPRESSION_ERRORS = (SyntaxError, getattr(expression, "ParseError", SyntaxError))
# Options that leave cases out on purpose; the two-letter ones also as -kEXPR.
SELECTING = ("-k", "-m", "--claim", "--deselect", "--ignore", "--ignore-glob", "-x",
             "--exitfirst", "--maxfail", "--lf", "--last-failed", "--sw", "--stepwise")
# Of those, the ones whose selection the results cannot replay.
UNKNOWABLE = ("-x", "--exitfirst", "--maxfail", "--lf", "--last-failed", "--sw", "--stepwise")
WITH_VALUE = ("-k", "-m", "--claim", "--deselect", "--ignore", "--ignore-glob", "--maxfail")
# Options of pytest and of the plugin whose value is a separate argument that may look like a
# path: it is not a file or node id the run was narrowed to.
OTHER_VALUES = ("--impl", "--baseline", "--results", "-p", "-n", "--numprocesses", "--dist",
                "-c", "--rootdir", "--confcutdir", "--basetemp", "-o", "-W", "--timeout",
                "--hypothesis-profile", "--hypothesis-seed", "-r", "--tb", "--durations")


@dataclass
class Selection:
    """The arguments with which a run left cases out, each as ``option value`` for the summary."""

    narrowing: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    deselected: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    unknowable: list[str] = field(default_factory=list)
    article: bool = False

    def selects(self, claim_id: str, case: dict) -> bool | None:
        """Whether the run selected this case of the reference; None: cannot tell."""
        if self.unknowable:
            return None
        nodeid = case["nodeid"]
        marks = case.get("marks")
        if self.paths and not any(under(nodeid, path) for path in self.paths):
            return False
        if any(under(nodeid, path) for path in self.deselected):
            return False
        if self.claims and not any(fnmatch.fnmatchcase(claim_id, p) for p in self.claims):
            return False
        if marks is None:
            # Without --article the plugin leaves the article's cases out; a reference that
            # records no marks cannot say which those were, nor what -m selects.
            return None if self.marks else True
        if "article" in marks and not self.article:
            return False
        if not all(matches(expression, lambda name, **_: name in marks)
                   for expression in self.marks):
            return False
        names = keyword_names(nodeid, marks)
        return all(matches(expression, lambda name, **_: any(name.lower() in known.lower()
                                                             for known in names))
                   for expression in self.keywords)


def under(nodeid: str, path: str) -> bool:
    """Whether ``nodeid`` is ``path`` (a folder, a file or a node id) or lies under it."""
    path = path.removeprefix("./").rstrip("/")
    if Path(path).is_absolute():
        path = Path(path).relative_to(PROJECT_ROOT).as_posix() if Path(path).is_relative_to(
            PROJECT_ROOT) else path
    return nodeid == path or any(nodeid.startswith(path + sep) for sep in ("/", "::", "["))


def matches(text: str, matcher) -> bool:
    try:
        return expression.Expression.compile(text).evaluate(matcher)
    except EXPRESSION_ERRORS:
        return True  # pytest refused it, so the run selected nothing by it


def keyword_names(nodeid: str, marks: list[str]) -> list[str]:
    """The names ``-k`` matches: the folders, module, test and parameter ids, and the marks."""
    names = list(marks)
    path, _, rest = nodeid.partition("::")
    names += path.split("/")
    for part in rest.split("::"):
        names.append(part)
        if "[" in part:
            names.append(part[part.index("[") + 1:].rstrip("]"))
    return names


def selection(data: dict) -> Selection:
    """The selection recorded in a results file's ``suite.pytest_args``."""
    args = [str(arg) for arg in (data.get("suite") or {}).get("pytest_args") or []]
    found = Selection(article="--article" in args)
    for index, arg in enumerate(args):
        option = next((option for option in SELECTING if arg == option
                       or arg.startswith(option + "=")
                       or (len(option) == 2 and arg.startswith(option))), None)
        if option is not None:
            value = arg[len(option):].removeprefix("=")
            if not value and option in WITH_VALUE and index + 1 < len(args):
                value = args[index + 1]
            found.narrowing.append(f"{option} {value}".strip())
            if option in UNKNOWABLE or option == "--ignore-glob":
                found.unknowable.append(option)
            elif option in ("--deselect", "--ignore"):
                found.deselected.append(value)
            elif option == "-k":
                found.keywords.append(value)
            elif option == "-m":
                found.marks.append(value)
            else:
                found.claims.append(value)
        elif not arg.startswith("-") and (not index or args[index - 1] not in
                                          WITH_VALUE + OTHER_VALUES):
            found.paths.append(arg)
            if arg.endswith(".py") or "::" in arg:
                found.narrowing.append(arg)
    return found


def narrowing(data: dict) -> list[str]:
    """The arguments with which a run left cases out on purpose: selecting options, and the
    files or node ids it was given (``suites/test_cosine.py``, ``...::test_index_i``)."""
    return selection(data).narrowing
