"""Failure messages that read as bug reports: observed, expected, and a snippet to reproduce.

A check writes its snippet as the lines a user would type; the prelude imports the
implementation under test, so the snippet runs as it is from the project root.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import numpy as np

from harness.implementations import BUILT_IN


@dataclass
class Evidence:
    impl: object
    spec: str  # what was passed to --impl

    def prelude(self) -> str:
        built_in = BUILT_IN.get(self.spec)
        if built_in is not None and built_in.module == "tf_keras":
            return "import numpy as np\nimport tf_keras as keras"
        if built_in is not None:
            return (
                f'import os; os.environ["KERAS_BACKEND"] = "{built_in.backend}"\n'
                "import numpy as np\nimport keras"
            )
        return (
            "import numpy as np\nfrom harness.implementations import load\n"
            f"keras = load({self.spec!r}).load()"
        )

    def snippet(self, code: str) -> str:
        return self.prelude() + "\n" + textwrap.dedent(code).strip()

    def report(self, claim: str, observed: str, expected: str, code: str) -> str:
        versions = self.impl.versions()
        return (
            f"[{claim}] on {self.impl.name} (keras {versions['keras']}, {versions['backend']} "
            f"{versions['backend_version']})\n"
            f"  observed: {observed}\n"
            f"  expected: {expected}\n"
            f"  reproduce:\n{textwrap.indent(self.snippet(code), '    ')}"
        )


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
