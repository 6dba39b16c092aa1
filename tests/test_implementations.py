"""Naming and loading implementations: built-in names and package.module:object."""

import pytest

from harness import implementations
from harness.implementations import ImplementationError
from tests.fake_impl import FAKE


class TestResolve:
    def test_built_in(self):
        """A built-in name gives the built-in implementation."""
        assert "keras-jax" == implementations.resolve("keras-jax").name

    def test_module_object(self):
        """package.module:object gives that object."""
        assert FAKE is implementations.resolve("tests.fake_impl:FAKE")

    def test_unknown_name(self):
        """An unknown plain name lists the choices."""
        with pytest.raises(ImplementationError, match="unknown implementation 'keras-mxnet'"):
            implementations.resolve("keras-mxnet")

    def test_missing_object(self):
        """A module without the object is named in the error."""
        with pytest.raises(ImplementationError, match="has no object 'NOPE'"):
            implementations.resolve("tests.fake_impl:NOPE")

    def test_missing_module(self):
        """A module that cannot be imported is named in the error."""
        with pytest.raises(ImplementationError, match="cannot import 'no_such_module'"):
            implementations.resolve("no_such_module:X")

    def test_incomplete_interface(self):
        """An object without the interface's members is refused, naming what is missing."""
        with pytest.raises(ImplementationError, match="missing load, versions, to_numpy"):
            implementations.resolve("tests.test_implementations:NOT_AN_IMPLEMENTATION")


class TestLoad:
    def test_loads_user_object(self):
        """load() resolves and loads a user's implementation."""
        implementation, namespace = implementations.load("tests.fake_impl:FAKE")
        assert implementation is FAKE and namespace is FAKE.load()

    def test_load_must_return_a_namespace(self):
        """A load() that returns nothing is refused: the suite tests what load() returns."""
        with pytest.raises(ImplementationError, match="not a Keras namespace"):
            implementations.load("tests.test_implementations:RETURNS_NONE")

    def test_import_error_is_not_installed(self):
        """An ImportError from load() becomes a one-line 'not installed' error."""
        with pytest.raises(ImplementationError, match="'missing' is not installed"):
            implementations.load("tests.test_implementations:MISSING")


class NotAnImplementation:
    name = "nothing"


class Missing:
    name = "missing"

    def load(self):
        raise ImportError("No module named 'keras_fork'")

    def versions(self):
        return {}

    def to_numpy(self, x):
        return x


class ReturnsNone(Missing):
    name = "returns-none"

    def load(self):
        return None


NOT_AN_IMPLEMENTATION = NotAnImplementation()
MISSING = Missing()
RETURNS_NONE = ReturnsNone()


def test_backend_version_of_a_nightly_build(monkeypatch):
    """tf-nightly installs the `tensorflow` module under its own distribution name."""
    import importlib.metadata

    def version(name):
        if name == "tf-nightly":
            return "2.23.0.dev20261026"
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", version)
    assert implementations._backend_version("tensorflow") == "2.23.0.dev20261026"
    with pytest.raises(importlib.metadata.PackageNotFoundError, match="jax"):
        implementations._backend_version("jax")
