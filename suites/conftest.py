"""Fixtures every check uses: the implementation under test, its Keras namespace, fixed seeds."""

import numpy as np
import pytest

from fixtures.rnn import ModelPool
from harness.plugin import implementation_of
from suites.evidence import Evidence


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return implementation_of(pytestconfig)


@pytest.fixture(scope="session")
def keras(impl):
    return impl.keras


@pytest.fixture(scope="session")
def models(impl):
    """Built models shared by the checks, each handed out with its first weights and zero state."""
    return ModelPool(impl)


@pytest.fixture(autouse=True)
def _seeded(request, keras):
    """Every check that builds its own models starts from the same seeds, so verdicts repeat.

    Checks that take their models from the pool skip this: the pool seeds each model by its
    key, and re-seeding TensorFlow clears its kernel and function caches, which makes the next
    call of an already traced model pay again (about 0.3 s per check on tf-keras).
    """
    if "models" not in request.fixturenames:
        keras.utils.set_random_seed(1234)
        np.random.seed(1234)


@pytest.fixture
def rng():
    return np.random.default_rng(20261130)


@pytest.fixture(scope="session")
def evidence(impl, pytestconfig):
    return Evidence(impl, pytestconfig.getoption("--impl"))
