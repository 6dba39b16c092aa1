"""A stand-in implementation, so that the harness's own tests run without importing Keras.

    python -m pytest tests/test_gate.py tests/test_report.py --impl tests.fake_impl:FAKE
"""

import types

import numpy as np

# Enough of a namespace to pass the interface check; the harness tests never build a model.
FAKE_KERAS = types.SimpleNamespace(__version__="0.0", layers=types.SimpleNamespace())


class FakeImplementation:
    name = "fake"

    def load(self):
        return FAKE_KERAS

    def versions(self) -> dict:
        return {"keras": "0.0", "backend": "none", "backend_version": "0.0"}

    def to_numpy(self, x) -> np.ndarray:
        return np.asarray(x)


FAKE = FakeImplementation()
