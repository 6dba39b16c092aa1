"""The browsable site of several results files: static HTML that opens from disk, no server.

``index.html`` is the comparison matrix (claims × environments, symbols only, with filters by
implementation, family and verdict in a few lines of plain JavaScript), ``claims/<id>.html`` one
page per claim (its statement, source and kind from the catalogue; every case per environment
with its message and reproduction script; its workarounds; the upstream threads), and
``benchmarks.html`` the benchmark figures across releases (matplotlib). The reproduction scripts
that exist beside the results files are copied into ``repro/``, so the site stands alone.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import jinja2

from harness import repro
from harness.compare import column_order
from harness.markdown import LEGEND, OBSERVED, SYMBOLS, column_name, headline, spread, telling_case
from harness.metrics import ACCURACY, TIMINGS, block, by_benchmark, reference
from harness.results import NON_HOLDING, RECORDED_KINDS, VERDICTS, ResultsError
from harness.workarounds import worked_around
from suites import upstream
from suites.claims import CLAIMS, NO_WORKAROUND_CHECK

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=jinja2.select_autoescape(["html"]),
    undefined=jinja2.StrictUndefined,  # a misspelt name in a template is an error, not a blank
    trim_blocks=True, lstrip_blocks=True)
STATIC = ("site.css", "site.js")


@dataclass
class Column:
    """One results file: one implementation at one keras version."""
    name: str
    implementation: str
    version: str
    path: Path
    results: dict
    claims: dict = field(default_factory=dict)  # id -> claim record

    @property
    def slug(self) -> str:
        return slug(self.name)

    @property
    def nightly(self) -> bool:
        return ".dev" in self.version

    @property
    def short_version(self) -> str:
        """The version as a column heading shows it: a nightly's dev number in the tooltip."""
        return f"{self.version.partition('.dev')[0]} nightly" if self.nightly else self.version

    def counts(self) -> dict:
        verdicts = [claim["verdict"] for claim in self.results["claims"]]
        return {verdict: verdicts.count(verdict) for verdict in ("holds", "fails", "error")}


def slug(text: str) -> str:
    """An HTML id (and CSS selector) made of ``text``: lower-case letters, digits, dashes."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def family(claim_id: str) -> str:
    """A claim's family: the first part of its id (``carry`` of ``carry.index-i``)."""
    return claim_id.split(".")[0]


def page_name(claim_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "-", claim_id) + ".html"


TEMPLATES.filters["page"] = page_name


def columns_of(runs: list[tuple[Path, dict]]) -> list[Column]:
    """One column per results file in the comparison's order; one name twice is bad input."""
    columns: dict[str, Column] = {}
    for path, results in sorted(runs, key=lambda run: column_order(run[1])):
        name = column_name(results)
        if name in columns:
            raise ResultsError(f"{path}: {name} is already in the site, from {columns[name].path}")
        implementation = results["implementation"]
        columns[name] = Column(name, implementation["name"], str(implementation.get("keras", "?")),
                               Path(path), results,
                               {claim["id"]: claim for claim in results["claims"]})
    return list(columns.values())


def claim_ids(columns: list[Column]) -> list[str]:
    """The catalogue's order, then any claim only the results know (an older catalogue's)."""
    seen = {claim_id for column in columns for claim_id in column.claims}
    return [claim_id for claim_id in CLAIMS if claim_id in seen] + sorted(seen - set(CLAIMS))


def about(claim_id: str, columns: list[Column]) -> dict:
    """Statement, source, kind of a claim: the catalogue's, else the newest results file's."""
    known = CLAIMS.get(claim_id)
    if known is not None:
        return {"id": claim_id, "statement": known.statement, "source": known.source,
                "kind": known.kind, "workaround_for": known.workaround_for}
    record = next(column.claims[claim_id] for column in reversed(columns)
                  if claim_id in column.claims)
    return {"id": claim_id, "statement": record.get("statement", ""),
            "source": record.get("source", ""), "kind": record.get("kind", "documented"),
            "workaround_for": worked_around(record)}


def cell(claim: dict | None) -> dict:
    """A matrix cell: the verdict, its symbol, and what happened in one line (the tooltip)."""
    if claim is None:
        return {"verdict": "absent", "symbol": "–", "said": "", "title": "not in this run"}
    verdict = claim["verdict"]
    recorded = claim.get("kind", "documented") in RECORDED_KINDS and verdict == "holds"
    case = telling_case(claim)
    said = headline(case["message"]) if case else (claim.get("observed") or "")
    return {"verdict": verdict, "symbol": OBSERVED if recorded else SYMBOLS[verdict],
            "said": said, "title": f"{verdict}: {said}" if said else verdict}


def build(runs: list[tuple[Path, dict]], output: Path) -> dict:
    """Write the site of ``runs`` (``(path, results)`` pairs) into ``output``; returns what it
    wrote: ``{"claims": pages, "figures": figures, "scripts": scripts}``."""
    columns = columns_of(runs)
    output = Path(output)
    if output.is_dir() and any(output.iterdir()) and not (output / "index.html").exists():
        # Its claims/, figures/ and repro/ folders are replaced: never in a folder of the user's.
        raise FileExistsError(f"{output} is a folder with files and no site: give a new one")
    for folder in ("claims", "figures", "repro"):
        # A page of an earlier build could link a claim these results no longer have.
        shutil.rmtree(output / folder, ignore_errors=True)
        (output / folder).mkdir(parents=True)
    for name in STATIC:
        shutil.copyfile(TEMPLATE_DIR / name, output / name)
    scripts = copy_scripts(columns, output / "repro")
    ids = claim_ids(columns)
    rows = [{**about(claim_id, columns), "family": family(claim_id), "page": page_name(claim_id),
             "cells": [cell(column.claims.get(claim_id)) for column in columns]}
            for claim_id in ids]
    write(output / "index.html", "index.html", root="", columns=columns, rows=rows,
          families=list(dict.fromkeys(row["family"] for row in rows)),
          implementations=list(dict.fromkeys(column.implementation for column in columns)),
          verdicts=list(VERDICTS), legend=LEGEND)
    for row in rows:
        write(output / "claims" / row["page"], "claim.html", root="../", claim=row,
              columns=columns, environments=environments(row["id"], columns, scripts),
              workarounds=[other for other in rows if other["workaround_for"] == row["id"]],
              no_workaround_check=NO_WORKAROUND_CHECK.get(row["id"]),
              threads=threads(row["id"], columns))
    figures = benchmark_figures(columns, output / "figures")
    write(output / "benchmarks.html", "benchmarks.html", root="", figures=figures,
          tables=benchmark_tables(columns), columns=columns)
    return {"claims": len(rows), "figures": len(figures), "scripts": len(scripts)}


def write(path: Path, template: str, **values) -> None:
    path.write_text(TEMPLATES.get_template(template).render(**values), encoding="utf-8")


def copy_scripts(columns: list[Column], folder: Path) -> dict:
    """Copy each case's reproduction script that exists beside its results file to
    ``folder/<results stem>/``; returns ``{(column name, nodeid): path relative to the site}``."""
    copied = {}
    for column in columns:
        for claim in column.results["claims"]:
            for case in claim["cases"]:
                if not case.get("repro"):
                    continue
                source = column.path.parent / case["repro"]
                if not source.is_file():
                    continue  # the results name a script that was not kept: no link
                target = folder / column.path.stem / Path(case["repro"]).name
                target.parent.mkdir(exist_ok=True)
                shutil.copyfile(source, target)
                copied[column.name, case["nodeid"]] = target.relative_to(folder.parent).as_posix()
    return copied


def environments(claim_id: str, columns: list[Column], scripts: dict) -> list[dict]:
    """A claim's verdict and cases on each environment that ran it."""
    found = []
    for column in columns:
        claim = column.claims.get(claim_id)
        if claim is None:
            continue
        cases = [{"nodeid": case["nodeid"], "verdict": case["verdict"],
                  "symbol": SYMBOLS.get(case["verdict"], "?"),
                  "message": case.get("message") or "", "observed": case.get("observed") or "",
                  "expected": bool(case.get("expected")),
                  "reason": case.get("baseline_reason") or "",
                  "script": scripts.get((column.name, case["nodeid"])),
                  # The scripts are not committed: where one is missing, what writes it.
                  "write_command": repro.write_command(column.path) if case.get("repro") else ""}
                 for case in claim["cases"]]
        found.append({"column": column, "cell": cell(claim), "observed": claim.get("observed"),
                      "cases": cases,
                      "non_holding": sum(case["verdict"] in NON_HOLDING for case in cases),
                      "upstream": upstream.finding(claim_id, column.implementation)
                      if claim["verdict"] in NON_HOLDING else None})
    return found


def threads(claim_id: str, columns: list[Column]) -> list[dict]:
    """Per implementation shown, the upstream entry for the claim (suites/upstream.py)."""
    found = []
    for implementation in dict.fromkeys(column.implementation for column in columns):
        entry = upstream.finding(claim_id, implementation)
        if entry is not None:
            found.append({"implementation": implementation, "entry": entry})
    return found


# -- benchmarks ---------------------------------------------------------------------------------
METRICS = {**{metric: f"{label} (median, min–max over seeds)"
              for metric, label in ACCURACY.items()},
           **{metric: f"{label} ÷ the run's calibration workload (median, min–max)"
              for metric, label in TIMINGS.items()}}


def figure_value(row: dict | None, metric: str) -> tuple[float, float, float] | None:
    """(median, min, max) of a row's metric, timings in units of its calibration workload."""
    found = block(row, metric)
    if found is None or row.get("status", "ok") not in ("ok", "no-skill"):
        return None
    unit = 1.0
    if metric in TIMINGS:
        unit = reference(row)
        if unit is None:
            return None
    low, high = found.get("min", found["median"]), found.get("max", found["median"])
    return found["median"] / unit, low / unit, high / unit


def benchmark_figures(columns: list[Column], folder: Path) -> list[dict]:
    """One figure per metric: a panel per (model, recipe), the releases of each implementation
    along the x axis (the comparison's order), one line per implementation."""
    # Imported here: `claims` reads this module's cells and should not wait for matplotlib.
    from matplotlib.figure import Figure

    by_column = [(column, by_benchmark(column.results)) for column in columns]
    keys = list(dict.fromkeys(key for _, rows in by_column for key in rows))
    figures = []
    for metric, label in METRICS.items():
        if not any(figure_value(rows.get(key), metric) for _, rows in by_column for key in keys):
            continue
        # Fixed margins: a constrained layout measures every label and takes seconds a figure.
        figure = Figure(figsize=(4 * len(keys), 3.6))
        figure.subplots_adjust(left=0.06, right=0.98, bottom=0.3, top=0.9, wspace=0.3)
        for index, key in enumerate(keys):
            axes = figure.add_subplot(1, len(keys), index + 1)
            for implementation in dict.fromkeys(column.implementation for column in columns):
                points = [(position, figure_value(rows.get(key), metric))
                          for position, (column, rows) in enumerate(by_column)
                          if column.implementation == implementation]
                points = [(position, value) for position, value in points if value]
                if not points:
                    continue
                axes.errorbar([position for position, _ in points],
                              [value[0] for _, value in points],
                              yerr=[[value[0] - value[1] for _, value in points],
                                    [value[2] - value[0] for _, value in points]],
                              marker="o", capsize=3, label=implementation)
            axes.set_title(" / ".join(str(part) for part in key))
            axes.set_xticks(range(len(columns)),
                            ["nightly" if column.nightly else column.version
                             for column in columns], rotation=60, fontsize=7)
            if metric in ACCURACY:
                axes.set_yscale("log")
        figure.axes[0].legend(fontsize=7)
        name = f"{metric}.png"
        figure.savefig(folder / name, dpi=90)
        figures.append({"metric": metric, "label": label, "path": f"figures/{name}"})
    return figures


def benchmark_tables(columns: list[Column]) -> list[dict]:
    """Per metric, each (model, recipe) row's figure on each environment, with its status."""
    by_column = [by_benchmark(column.results) for column in columns]
    keys = list(dict.fromkeys(key for rows in by_column for key in rows))
    tables = []
    for metric, label in METRICS.items():
        rows = []
        for key in keys:
            cells = []
            for found in by_column:
                row = found.get(key)
                status = (row or {}).get("status", "ok")
                value = figure_value(row, metric)
                text = "–" if row is None else (
                    spread({"median": value[0], "min": value[1], "max": value[2]})
                    if value else status)
                cells.append({"text": text, "status": status if row is not None else ""})
            rows.append({"key": " / ".join(str(part) for part in key), "cells": cells})
        if any(cell["text"] != "–" for row in rows for cell in row["cells"]):
            tables.append({"label": label, "rows": rows})
    return tables
