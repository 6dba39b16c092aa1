"""The regression gate: did anything get worse than the baseline?

The baseline directory holds, per implementation name, ``<name>.txt`` (the expected non-holding
cases, harness/baseline.py) and ``<name>.json`` (the reference: a results file of a real run,
written by ``gate --update`` or ``gate --update-reference``); the gate needs both. Against the
reference it compares the run as a whole, each case's verdict, the cases the run's selection
should have run, what observed claims saw, and the benchmarks. Each change is marked as asv
marks them, plus marks of its own:

- ``!`` newly failing: an incomplete run, one with no case or only skipped ones, an unknown
  verdict; a case that held and does not, a non-holding case without a baseline entry, a
  baselined case whose verdict is not the reference's (fails, error, inconclusive, skipped), a
  case newly skipped; a case or benchmark of the reference that the run's selection chose and
  that is gone (or of which the selection cannot tell); a benchmark made another way (recipe,
  seeds), that now raises or diverges, whose seeds diverge, or missing a figure or the
  calibration its timings need;
- ``+`` worse: an error metric beyond its tolerance seed by seed, a time beyond its tolerance
  and beyond chance (``benchmarks.significant``), a target no longer beaten;
- ``?`` an observation changed, appeared or went (worse unless ``--accept``);
- ``*`` a non-holding case with another account of what happened, a failed benchmark failing
  differently (worse under ``--strict``);
- ``x`` not comparable (what the run left out on purpose, a baseline line matching nothing);
  ``~`` a time beyond its tolerance but not beyond chance; ``-`` better, or fixed.

The modules, each one job: ``runs`` (loading), ``selection`` (what a narrowed run selected),
``cases``, ``benchmarks``, ``render`` (the summary), ``update`` (``gate --update``) and
``judge`` (the changes of a run, the marks that fail the gate). ``python -m harness gate``
exits 0 when nothing got worse (or the baseline was updated), 1 when something did, 2 on bad
input or usage, 3 when the harness itself crashed: a gate that cannot judge never passes.
"""

from harness.gate.benchmarks import significant
from harness.gate.cases import verdict_changes
from harness.gate.judge import check, worse_marks
from harness.gate.render import summary
from harness.gate.runs import Change, Run, Tolerances, load
from harness.gate.selection import narrowing, selection
from harness.gate.update import updated_entries

__all__ = ["Change", "Run", "Tolerances", "check", "load", "narrowing", "selection",
           "significant", "summary", "updated_entries", "verdict_changes", "worse_marks"]
