"""What the plugin keeps for the checks, under ``config.stash`` keys anyone may import.

The checks and their fixtures (``suites/``) read the implementation under test, its Keras
namespace and the baseline from here; the plugin's modules (selection, verdicts, collector,
summary) set and read them. Nothing here imports the plugin, so nothing in ``suites/`` has to.
"""

from __future__ import annotations

import pytest

# The implementation under test (harness/implementations.py) and the namespace its load()
# returned: the Keras under test, everywhere. Set in every process that runs checks.
IMPLEMENTATION = pytest.StashKey[object]()
KERAS = pytest.StashKey[object]()
# Its versions (keras, backend, backend_version), as the results file names them.
VERSIONS = pytest.StashKey[dict]()
# The baseline's entries (harness/baseline.py), in every process: the workers mark cases with
# them, the collector records which ones matched.
BASELINE = pytest.StashKey[list]()
# The results collector (harness/collector.py), only in the process that writes the results:
# the controller of a pytest-xdist run, or the one process.
COLLECTOR = pytest.StashKey[object]()
# The standalone reproduction a check declared (suites/check.py), on its item; written when its
# case does not hold.
REPRO_SCRIPT = pytest.StashKey[str]()
# The workerinput key of the file where pytest-xdist workers write the claim of each case.
CLAIMS_FILE = "stateful_rnn_claims_file"


def implementation_of(config):
    return config.stash[IMPLEMENTATION]


def keras_of(config):
    return config.stash[KERAS]


def baseline_of(config) -> list:
    """The entries of ``--baseline`` (empty without one)."""
    return config.stash.get(BASELINE, [])
