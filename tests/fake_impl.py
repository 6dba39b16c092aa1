"""A stand-in implementation, so that the harness's own tests run without importing Keras.

    python -m pytest tests/test_gate.py tests/test_report.py --impl tests.fake_impl:FAKE
"""

import numpy as np


class FakeImplementation:
    name = "fake"

    def load(self):
        return None

    def versions(self) -> dict:
        return {"keras": "0.0", "backend": "none", "backend_version": "0.0"}

    def to_numpy(self, x) -> np.ndarray:
        return np.asarray(x)


FAKE = FakeImplementation()
