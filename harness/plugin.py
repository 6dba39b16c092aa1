"""The pytest plugin, one module a job, as pytest's own plugins are (see ARCHITECTURE.md):

- ``harness/stash.py``: the ``config.stash`` keys (implementation, Keras namespace, baseline,
  collector) and their accessors, what the checks import;
- ``harness/selection.py``: the options, the implementation's choice and loading, ``--claim``
  and ``--article`` deselection, the baseline's expected failures;
- ``harness/verdicts.py``: a case's verdict, message and script, carried with its report, and
  what a case that does not hold shows on the terminal;
- ``harness/collector.py``: the results file, registered only where it is written (the one
  process, or the controller of a pytest-xdist run);
- ``harness/summary.py``: the header and the claims summary at the end of a run.

Loaded by the root ``conftest.py`` (or ``-p harness.plugin``). Options: ``--impl``,
``--results``, ``--baseline``, ``--article``, ``--claim``, ``--no-report``, ``--ascii``; a value
that cannot be right exits 2 with one line.
"""

from harness import quiet_start

# Before any backend is imported (the checks' conftest is loaded after this module), in this
# process and the pytest-xdist workers it starts.
quiet_start.quiet_by_default()

pytest_plugins = ["harness.selection", "harness.verdicts", "harness.collector", "harness.summary"]

# What suites/ imported from here before the split; new code imports harness.stash. (Only
# modules that are not plugins: pytest rewrites the asserts of those it loads as plugins, which
# an import here, before it, would prevent, with a warning.)
from harness.paths import PROJECT_ROOT  # noqa: E402
from harness.stash import (COLLECTOR, IMPLEMENTATION, KERAS, REPRO_SCRIPT,  # noqa: E402
                           baseline_of, implementation_of, keras_of)

__all__ = ["COLLECTOR", "IMPLEMENTATION", "KERAS", "PROJECT_ROOT", "REPRO_SCRIPT", "baseline_of",
           "implementation_of", "keras_of"]
