"""Fixtures every check uses: the implementation under test, its Keras namespace, fixed seeds."""

import numpy as np
import pytest

from harness.plugin import implementation_of
from suites.evidence import Evidence


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return implementation_of(pytestconfig)


@pytest.fixture(scope="session")
def keras(impl):
    return impl.keras


@pytest.fixture(autouse=True)
def _seeded(keras):
    """Every check starts from the same seeds, so verdicts repeat run after run."""
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)


@pytest.fixture
def rng():
    return np.random.default_rng(20261130)


@pytest.fixture(scope="session")
def evidence(impl, pytestconfig):
    return Evidence(impl, pytestconfig.getoption("--impl"))
