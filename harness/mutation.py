"""The suite's mutation score: the file tests/test_mutants.py writes, its loader and its section
of the report and the comparison."""

from __future__ import annotations

import json
from pathlib import Path

from harness.markdown import cell, mark, table

# What rendering a mutation score file reads from each of its mutants.
MUTANT_KEYS = ("mutant", "breaks", "bug", "killed", "cases_changed")


class MutationScoreError(Exception):
    """A mutation score file that is missing, unreadable or not as tests/test_mutants.py writes
    it; message is one line."""


def load(path) -> dict:
    """The mutation score file written by tests/test_mutants.py, checked for what is rendered."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MutationScoreError(f"{path}: no such mutation score file") from None
    except OSError as error:
        raise MutationScoreError(f"{path}: cannot read: {error.strerror}") from None
    except ValueError:  # not UTF-8 or not JSON
        raise MutationScoreError(f"{path}: not valid JSON: corrupt mutation score file") from None
    mutants = data.get("mutants") if isinstance(data, dict) else None
    if not isinstance(mutants, list) or not mutants or not all(
            isinstance(mutant, dict) and all(key in mutant for key in MUTANT_KEYS)
            and isinstance(mutant["cases_changed"], list) for mutant in mutants):
        raise MutationScoreError(f"{path}: not a mutation score file (needs mutants, each with "
                                 f"{', '.join(MUTANT_KEYS)})")
    return data


def section(score: dict | None) -> str:
    """How many of the faults planted by tests/test_mutants.py the suite killed, and each one."""
    if score is None:
        return summary(score)
    return summary(score) + "\n\n" + table(rows(score))


def summary(score: dict | None) -> str:
    """How many of the planted faults the suite killed, in one paragraph."""
    if score is None:
        return ("Not measured: no mutation score file (`tests/test_mutants.py` writes "
                "`reports/mutation-score.json`).")
    mutants = score["mutants"]
    killed = sum(bool(mutant["killed"]) for mutant in mutants)
    # Counted from the rows, so the summary always agrees with the table; rounded down, so that
    # a survivor never shows as 100 %.
    summary = (f"{killed} of {len(mutants)} planted faults killed "
               f"({100 * killed // len(mutants)} %).")
    survivors = [mutant["mutant"] for mutant in mutants if not mutant["killed"]]
    if survivors:
        summary += f" Survived: {', '.join(survivors)}; the score must be 100 %."
    if "sequence_must_catch" in score:
        summary += (f" `sequence.any-order` alone caught {score['sequence_caught']} of the "
                    f"{score['sequence_must_catch']} that break an operation it draws.")
    return summary


def rows(score: dict) -> list[dict]:
    """One row per planted fault."""
    mutants = score["mutants"]
    rows = [{
        "mutant": cell(mutant["mutant"]),
        "claim it breaks": cell(mutant["breaks"]),
        "bug": cell(mutant["bug"]),
        "killed": mark(bool(mutant["killed"])),
        "cases changed": str(len(mutant["cases_changed"])),
    } for mutant in mutants]
    if "sequence_must_catch" in score:
        # The state machine of sequence.any-order, run on its own per mutant: those whose bug
        # breaks an operation it draws must be caught by it too.
        for row, mutant in zip(rows, mutants):
            outcome = mutant.get("sequence")
            row["caught by sequence.any-order"] = "not run" if outcome is None else (
                mark(bool(outcome["caught"])) + (f" (draws {cell(outcome['drawn'])})"
                                                 if outcome["drawn"] else " (draws none of it)"))
    return rows
