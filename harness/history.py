"""``history``: each claim's verdict across every release, from the history's results files.

``nox -s history`` writes one compact results file per cell (implementation × release,
harness/releases.py) to ``reports/history/<implementation>-<release>.json``; a cell that could
not be installed or run is a file too, with every claim ``error`` and the reason. This module
turns them into ``reports/HISTORY.md``: per implementation, each claim's verdict by release
range ("holds 3.0.0–3.10.0, errors 3.11.0–3.15.1"), the releases where a verdict changed with
the upstream threads of the finding (suites/upstream.py) and of the change itself
(``CHANGE_THREADS``), and one figure per implementation (claims × releases, coloured by verdict).
A release where a claim did not run (deselected, or the cell not run) is left out of its ranges
and changes: a change is between the two nearest releases that ran it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase as fnmatch
from pathlib import Path

from harness import markdown, releases, results
from suites import upstream

FOLDER = Path("reports/history")
OUTPUT = Path("reports/HISTORY.md")
FIGURES = Path("reports/figures/history")
IMPLEMENTATIONS = tuple(releases.BACKENDS)
# The verdicts' colours in the figures; white: not run.
COLOURS = {"holds": "#4caf50", "fails": "#e53935", "error": "#fb8c00", "inconclusive": "#fdd835",
           "skipped": "#bdbdbd"}
PHRASES = {"holds": "holds", "fails": "fails", "error": "errors", "inconclusive": "inconclusive",
           "skipped": "skipped"}
MESSAGE_LENGTH = 300


# (implementation pattern, claim pattern, the release the new verdict starts in): the threads
# about the change itself, found with the project's issue search and read (2026-12-07).
CHANGE_THREADS: dict[tuple[str, str, str], tuple[upstream.Thread, ...]] = {
    # `harness bisect carry.index-i --impl keras-torch --good 3.10.0 --bad 3.15.1`: holds in
    # 3.13.2, errors from 3.14.0. 3.14.0's keras/src/backend/torch/rnn.py gained lstm() and gru()
    # paths that also run on CPU; they bypass RNN.inner_loop's step(), where #20916 copies the
    # state, so training a stateful LSTM or GRU raises the in-place error again.
    # `harness bisect carry.index-i --impl keras-torch --good 3.5.0 --bad 3.10.0`: errors in
    # 3.8.0, holds from 3.9.0, the first release with #20916 (merged 2025-02).
    # On keras-torch every claim that changes in 3.9.0 and in 3.14.0 trains a stateful LSTM or
    # GRU (carry.index-i, carry.across-epochs, setup.shuffle-false: the in-place error, gone in
    # 3.9.0 and back in 3.14.0), hence "*".
    ("keras-torch", "*", "3.9.0"): (
        upstream.Thread("keras-team/keras", 20916, "Fix PyTorch stateful RNN/LSTM gradient "
                        "computation error resolves #20875", "merged", relation="the change",
                        pull=True, note="clones the state in RNN.inner_loop's step()"),
    ),
    # The batch-size refusal arrives in 3.12.0 (keras/src/layers/rnn/rnn.py, #21742) on every
    # backend. On TensorFlow its first version compares a symbolic batch size inside predict's,
    # evaluate's and fit's traced functions and raises OperatorNotAllowedInGraphError there
    # (#21942); #21945 reads the static shape instead.
    ("keras-*", "setup.equal-batches", "3.12.0"): (
        upstream.Thread("keras-team/keras", 21742, "Raise exception on batch_size mismatch for "
                        "stateful RNNs", "merged", relation="the change", pull=True,
                        note="the refusal, in RNN.call"),
    ),
    ("keras-tensorflow", "setup.equal-batches", "3.12.0"): (
        upstream.Thread("keras-team/keras", 21942, "Training stateful RNN fails due to symbolic "
                        "tensor", "closed", relation="related",
                        note="the check of #21742 raises inside tf.function on TensorFlow"),
    ),
    ("keras-tensorflow", "setup.equal-batches", "3.14.0"): (
        upstream.Thread("keras-team/keras", 21945, "Fix handling of symbolic Tensor in RNN",
                        "merged", relation="the change", pull=True,
                        note="reads the static batch size, so the traced call raises the refusal"),
    ),
    # On JAX, 3.12.0-3.13.2 could not build the model for predict, evaluate and fit on a
    # wrong-size batch ("Unable to automatically build the model"); 3.14.0 refuses it.
    ("keras-jax", "setup.equal-batches", "3.14.0"): (
        upstream.Thread("keras-team/keras", 21945, "Fix handling of symbolic Tensor in RNN",
                        "merged", relation="related", pull=True,
                        note="in the same release; its test covers TensorFlow only and does not "
                             "name the JAX build error"),
    ),
    # carry.input-pipeline's generator source on TensorFlow: from 3.6.0 to 3.7.x the generator's
    # (x,) batches no longer match the structure Keras declares to tf.data.
    ("keras-tensorflow", "carry.input-pipeline", "3.6.0"): (
        upstream.Thread("keras-team/keras", 20600, "Keras 3.7.0 breaks PyDataset with Tensorflow "
                        "on GPU", "closed", relation="related",
                        note="the same tf.data structure error, reported on 3.7.0"),
    ),
    ("keras-torch", "*", "3.14.0"): (
        upstream.Thread("keras-team/keras", 22470, "Rewrite torch LSTM to use functional API "
                        "with CPU fallback", "merged", relation="the change", pull=True,
                        note="in 3.14.0: the CPU path no longer goes through RNN.inner_loop"),
        upstream.Thread("keras-team/keras", 22115, "Implement GRU for PyTorch backend", "merged",
                        relation="the change", pull=True, note="the same for GRU"),
        upstream.Thread("keras-team/keras", 23464, "Fix Torch stateful GRU/LSTM cuDNN backward "
                        "in-place state update", "merged", relation="related", pull=True,
                        note="names the bypass; fixes the cuDNN (GPU) path only"),
    ),
}


@dataclass
class Cell:
    impl: str
    release: str
    verdicts: dict[str, str]  # claim id -> verdict, for the claims whose cases ran
    messages: dict[str, str]  # claim id -> the first non-holding case's message
    not_run: str | None = None  # why the cell has no verdicts (install, import)
    keras: str = ""
    backend: str = ""
    selection: str = ""  # the pytest arguments that chose its cases (-m, --claim)

    @property
    def order(self):
        return release_key(self.release)


@dataclass
class Change:
    claim: str
    before: str  # the last release with the old verdict
    after: str  # the first release with the new one
    old: str
    new: str
    message: str = ""  # what the new verdict's first non-holding case said


@dataclass
class Line:
    """One implementation's history: its cells in release order."""
    impl: str
    cells: list[Cell] = field(default_factory=list)

    @property
    def claims(self) -> list[str]:
        seen = dict.fromkeys(claim for cell in self.cells for claim in cell.verdicts)
        return [claim for claim in seen]

    def ranges(self, claim: str) -> list[tuple[str, str, str]]:
        """(verdict, first release, last release) for each run of equal verdicts."""
        spans: list[list[str]] = []
        for cell in self.cells:
            verdict = cell.verdicts.get(claim)
            if verdict is None:
                continue
            if spans and spans[-1][0] == verdict:
                spans[-1][2] = cell.release
            else:
                spans.append([verdict, cell.release, cell.release])
        return [tuple(span) for span in spans]

    def changes(self) -> list[Change]:
        found = []
        for claim in self.claims:
            previous = None
            for cell in self.cells:
                verdict = cell.verdicts.get(claim)
                if verdict is None:
                    continue
                if previous is not None and verdict != previous.verdicts[claim]:
                    found.append(Change(claim, previous.release, cell.release,
                                        previous.verdicts[claim], verdict,
                                        cell.messages.get(claim, "")))
                previous = cell
        return found


def release_key(release: str):
    """Releases in order: 3.9.2 before 3.10.0; a dev version before its release."""
    numbers = [int(part) for part in re.findall(r"\d+", release.split(".dev")[0])]
    dev = release.split(".dev")[1] if ".dev" in release else None
    return (numbers, 0 if dev is not None else 1, dev or "")


def compact(data: dict) -> dict:
    """A results file small enough to keep one per cell: only the claims that ran, each case's
    message cut to its first line, no script paths, no observations of holding cases;
    verdicts unchanged."""
    claims = []
    for claim in data["claims"]:
        if not claim["cases"]:  # not selected in this run (--claim, -m): nothing to keep
            continue
        cases = [{**case, "message": first_line(case["message"]), "repro": None,
                  "observed": case["observed"] if case["verdict"] != "holds" else None}
                 for case in claim["cases"]]
        claims.append({**claim, "cases": cases})
    return {**data, "claims": claims}


def first_line(text: str) -> str:
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= MESSAGE_LENGTH else line[:MESSAGE_LENGTH - 1] + "…"


def load(folder: Path) -> list[Line]:
    """The history's results files in ``folder``, one line per implementation, in the order of
    ``IMPLEMENTATIONS``, each in release order."""
    paths = sorted(Path(folder).glob("*.json"))
    if not paths:
        raise results.ResultsError(f"{folder}: no results files (run `nox -s history` first)")
    lines: dict[str, Line] = {}
    for path in paths:
        cell = read_cell(path, results.load(path, known_verdicts=True))
        lines.setdefault(cell.impl, Line(cell.impl)).cells.append(cell)
    for line in lines.values():
        line.cells.sort(key=lambda cell: cell.order)
    known = [lines[name] for name in IMPLEMENTATIONS if name in lines]
    return known + [line for name, line in lines.items() if name not in IMPLEMENTATIONS]


def read_cell(path: Path, data: dict) -> Cell:
    """A cell from its results file; its release is the file name's, as the noxfile names it
    (``keras-torch-3.11.0.json``), which a failed install's file also has."""
    implementation = data["implementation"]
    impl = implementation["name"]
    if not path.stem.startswith(f"{impl}-"):
        raise results.ResultsError(f"{path}: not named <implementation>-<release>.json "
                                   f"(its implementation is {impl})")
    release = path.stem[len(impl) + 1:]
    not_run = None
    if "not run" in str(implementation.get("keras", "")):
        not_run = first_line(data.get("interrupted") or "not run")
    verdicts, messages = {}, {}
    if not_run is None:
        for claim in data["claims"]:
            if claim["cases"] and claim["verdict"] != "skipped":
                verdicts[claim["id"]] = claim["verdict"]
                message = next((case["message"] for case in claim["cases"]
                                if case["verdict"] != "holds" and case["message"]), "")
                messages[claim["id"]] = first_line(message)
    if not verdicts and not_run is None:  # a run that stopped before any of its cases
        not_run = first_line(data.get("interrupted") or "no case ran")
    return Cell(impl, release, verdicts, messages, not_run, str(implementation.get("keras", "")),
                f"{implementation.get('backend', '')} {implementation.get('backend_version', '')}",
                selection(data["suite"].get("pytest_args") or []))


SELECTING = ("-m", "-k", "--claim")


def selection(pytest_args: list[str]) -> str:
    """The arguments that chose the cases: those the noxfile passes after ``--no-report``."""
    given = pytest_args[pytest_args.index("--no-report") + 1:] \
        if "--no-report" in pytest_args else pytest_args
    # Only what selects (-m, -k, --claim and their values), not how it ran (-n 2, -p, -q).
    chosen = [argument for option, argument in zip(["", *given], given)
              if argument in SELECTING or option in SELECTING]
    return " ".join(f"'{argument}'" if " " in argument or "*" in argument else argument
                    for argument in chosen)


def threads(impl: str, change: Change) -> list[str]:
    """Markdown links: the threads of this change, then those that track the finding."""
    threads = [thread for (name, pattern, release), found in CHANGE_THREADS.items()
               if release == change.after and fnmatch(impl, name)
               and fnmatch(change.claim, pattern)
               for thread in found]
    entry = upstream.finding(change.claim, impl)
    urls = {thread.url for thread in threads}
    threads += [thread for thread in (entry.tracking if entry else ()) if thread.url not in urls]
    return [thread.markdown() for thread in threads]


def spans_text(spans) -> str:
    return ", ".join(f"{markdown.SYMBOLS[verdict]} {PHRASES[verdict]} "
                     + (first if first == last else f"{first}–{last}")
                     for verdict, first, last in spans)


def render(lines: list[Line], output: Path, figures: dict[str, Path]) -> str:
    """HISTORY.md: per implementation, the cells, the changes, and each claim's ranges."""
    cells = [cell for line in lines for cell in line.cells]
    out = [
        "# The claims across releases",
        "",
        f"{len(cells)} cells (implementation × release), each its own environment with the "
        "backend and NumPy of its release's day (`harness/releases.py` says which and why), "
        "run by `nox -s history` into `reports/history/`; this page by `python -m harness "
        "history`. A change is between the two nearest releases that ran the claim; `python -m "
        "harness bisect CLAIM --impl IMPL --good A --bad B` finds it among releases not run "
        "here.",
        "",
        markdown.LEGEND,
        "",
    ]
    by_name = {line.impl: line for line in lines}
    for impl in IMPLEMENTATIONS:
        if impl not in by_name:
            out += [f"## {impl}", "", f"No cell yet ({len(releases.releases(impl))} releases, "
                    f"{releases.releases(impl)[0]} to {releases.releases(impl)[-1]}).", ""]
    for line in lines:
        run = [cell for cell in line.cells if cell.not_run is None]
        out += [f"## {line.impl}", ""]
        known = releases.releases(line.impl) if line.impl in releases.BACKENDS else ()
        out.append(f"{len(line.cells)} cells" + (f" of {len(known)} releases" if known else "")
                   + f"; {len(run)} ran" + (f", {run[0].release} to {run[-1].release}"
                                            if run else "") + ".")
        selections = sorted({cell.selection for cell in run})
        if selections:
            out.append("Cases chosen by: " + "; ".join(f"`{text}`" if text else "the whole suite"
                                                      for text in selections) + ".")
        missing = set(known) - {cell.release for cell in line.cells}
        if missing:
            out.append(f"Not in the history yet: {', '.join(sorted(missing, key=release_key))}.")
        out.append("")
        for cell in line.cells:
            if cell.not_run is not None:
                out.append(f"- {cell.release} not run: {markdown.cell(cell.not_run)}")
        if line.impl in figures:
            out += ["", f"![{line.impl}: claims × releases]"
                    f"({relative(figures[line.impl], output.parent)})", ""]
        changes = line.changes()
        out += [f"### Changes ({len(changes)})", ""]
        if not changes:
            out.append("No claim changed verdict between the releases that ran it.")
        for change in changes:
            text = (f"- `{change.claim}`: {PHRASES[change.old]} in {change.before}, "
                    f"{markdown.SYMBOLS[change.new]} {PHRASES[change.new]} from "
                    f"[{change.after}]({changelog(line.impl, change.after)})")
            if change.message:
                text += f": {markdown.cell(change.message)}"
            out.append(text)
            out += [f"  - {link}" for link in threads(line.impl, change)]
        out += ["", "### Every claim", "", "| claim | verdicts by release |", "|---|---|"]
        out += [f"| `{claim}` | {spans_text(line.ranges(claim))} |" for claim in line.claims]
        out.append("")
    return "\n".join(out)


def changelog(impl: str, release: str) -> str:
    try:
        return releases.changelog(impl, release)
    except releases.UnknownRelease:
        return ""


def relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def colours(line: Line) -> list[list[str]]:
    """The figure's squares: a row per claim, a column per release; white where not run."""
    return [[COLOURS.get(cell.verdicts.get(claim), "#ffffff") for cell in line.cells]
            for claim in line.claims]


def figure(line: Line, path: Path) -> None:
    """Claims (rows) × releases (columns), each square coloured by its verdict."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgb
    from matplotlib.patches import Patch

    claims = line.claims
    grid = [[to_rgb(colour) for colour in row] for row in colours(line)]
    width = max(6.0, 1.5 + 0.28 * len(line.cells))
    height = max(3.0, 1.5 + 0.2 * len(claims))
    fig, axes = plt.subplots(figsize=(width, height))
    axes.imshow(grid, aspect="auto", interpolation="nearest")
    # White lines between the squares.
    axes.set_xticks([index - 0.5 for index in range(len(line.cells) + 1)], minor=True)
    axes.set_yticks([index - 0.5 for index in range(len(claims) + 1)], minor=True)
    axes.grid(which="minor", color="white", linewidth=1)
    axes.tick_params(which="minor", length=0)
    axes.set_xticks(range(len(line.cells)))
    axes.set_xticklabels([cell.release + (" (not run)" if cell.not_run else "")
                          for cell in line.cells], rotation=90, fontsize=7)
    axes.set_yticks(range(len(claims)))
    axes.set_yticklabels(claims, fontsize=7)
    axes.set_title(f"{line.impl}: each claim's verdict by release")
    axes.legend(handles=[Patch(color=colour, label=verdict) for verdict, colour in COLOURS.items()]
                + [Patch(facecolor="white", edgecolor="black", label="not run")],
                loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def build(folder: Path, output: Path, figures_folder: Path) -> list[Path]:
    """HISTORY.md and one figure per implementation; returns the paths written."""
    lines = load(folder)
    figures = {line.impl: figures_folder / f"{line.impl}.png" for line in lines if line.claims}
    for line in lines:
        if line.impl in figures:
            figure(line, figures[line.impl])
    results.write_text_atomic(output, render(lines, output, figures))
    return [output, *figures.values()]
