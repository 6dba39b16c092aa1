"""Fixtures every check uses: the implementation under test, its Keras namespace, fixed seeds."""

import inspect

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from fixtures.rnn import ModelPool
from harness.stash import implementation_of, keras_of
from suites.check import Check
from suites.checks import distribute, export


# `pytest suites/ --hypothesis-profile deep`: a long search of sequence.any-order (the default
# budget is small and derandomised, see suites/test_sequence.py). Registered here, before the
# Hypothesis plugin reads the option.
settings.register_profile("deep", max_examples=60, stateful_step_count=20, deadline=None,
                          suppress_health_check=list(HealthCheck))
# A deep search takes minutes per case (5 min for tf-keras's LSTM at batch size 1 on a busy
# 2-core machine): past the suite's per-case timeout, which would cut the search short.
DEEP_TIMEOUT_S = 3600


def pytest_collection_modifyitems(config, items):
    if config.getoption("hypothesis_profile", None) != "deep":
        return
    for item in items:
        claim = item.get_closest_marker("claim")
        if claim is not None and claim.args[0].startswith("sequence.any-order"):
            item.add_marker(pytest.mark.timeout(DEEP_TIMEOUT_S))


@pytest.fixture(scope="session")
def impl(pytestconfig):
    return implementation_of(pytestconfig)


@pytest.fixture(scope="session")
def keras(pytestconfig):
    """The namespace the implementation's ``load()`` returned: the Keras under test."""
    return keras_of(pytestconfig)


@pytest.fixture(scope="session")
def models(impl, keras):
    """Built models shared by the checks, each handed out with its first weights and zero state."""
    return ModelPool(impl, keras)


@pytest.fixture(autouse=True)
def _seeded(request, keras):
    """Every check that builds its own models starts from the same seeds, so verdicts repeat.

    Checks that take their models from the pool skip this: the pool seeds each model by its
    key, and re-seeding TensorFlow clears its kernel and function caches, which makes the next
    call of an already traced model pay again (about 0.3 s per check on tf-keras).
    """
    if "models" not in request.fixturenames and "run_check" not in request.fixturenames:
        seed(keras)


def seed(keras):
    keras.utils.set_random_seed(1234)
    np.random.seed(1234)


@pytest.fixture
def rng():
    return np.random.default_rng(20261130)


@pytest.fixture
def check(request, impl, pytestconfig):
    """The check's verdict helpers, bound to its claim marker (see suites/check.py)."""
    return Check(request.node, impl, pytestconfig.getoption("--impl"))


@pytest.fixture
def run_check(request, check, keras, impl, rng):
    """``run_check(function, **parameters)``: run a check of the library (suites/checks/) on this
    case, giving it what it names of keras, impl, check, models and rng (and ``keras_version``,
    the version the implementation reports, as one of its parameters); its reproduction script
    is made from its own source. ``models`` is looked up only when the check asks for it, so that
    checks building their own models keep the suite's seeds (``_seeded``)."""
    def run(function, **parameters):
        wanted = inspect.signature(function).parameters
        if "keras_version" in wanted and "keras_version" not in parameters:
            # A parameter, not an injection: the script carries the version it was written for.
            parameters["keras_version"] = impl.versions()["keras"]
        injected = {"keras": keras, "impl": impl, "check": check, "rng": rng}
        if "models" in wanted:
            injected["models"] = request.getfixturevalue("models")
        else:
            seed(keras)  # as _seeded does for a check that builds its own models
        return check.run(function, injected, parameters)
    return run


# -- deployment: exports and distribution (test_export.py, test_distribute.py and their
# workarounds) ----------------------------------------------------------------------------
@pytest.fixture
def documented(keras):
    """``documented(format)``: skips the case where the Keras under test does not document that
    export on its backend, or where a package the export needs is not installed."""
    def skip_unless(format):
        backend = keras.backend.backend()
        reason = export.UNDOCUMENTED.get((format, backend, export.keras_major(keras)))
        if reason:
            pytest.skip(reason)
        for package in export.PACKAGES[format].get(backend, ()):
            pytest.importorskip(package, reason=f"{package} is not installed: Keras's {format} "
                                f"export on {backend} needs it")
    return skip_unless


@pytest.fixture
def spec_and_backend(pytestconfig, keras):
    """The ``--impl`` spec the fresh process loads, and the backend that says how to give it two
    devices; skips a backend with no documented in-process data parallelism."""
    backend = keras.backend.backend()
    if backend in distribute.UNDOCUMENTED:
        pytest.skip(distribute.UNDOCUMENTED[backend])
    return {"spec": pytestconfig.getoption("--impl"), "backend": backend}
