"""The implementations under test and the interface a user's own one follows.

An implementation is any object with:

- ``name``: a short identifier (``keras-jax``); it names the baseline and the results file;
- ``load()``: import and return the Keras namespace (the module users write ``keras.`` against).
  It runs once per process, before any check; it may set environment variables first
  (``KERAS_BACKEND``) and raises ``ImportError`` when the implementation is not installed;
- ``versions()``: after ``load()``, a dict with ``keras``, ``backend`` and ``backend_version``;
- ``to_numpy(x)``: a tensor or variable of this implementation as a NumPy array.

``KerasImplementation`` below is that interface for the four built-in implementations; a fork or
a deliberately faulty implementation subclasses it and overrides ``load()``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from dataclasses import dataclass

import numpy as np

DEFAULT = "keras-tensorflow"
ENV_VAR = "STATEFUL_RNN_IMPL"

_BACKEND_DISTRIBUTIONS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


class ImplementationError(Exception):
    """An implementation that cannot be named, found or loaded; its message is one line."""


@dataclass
class KerasImplementation:
    name: str
    module: str  # "keras" or "tf_keras"
    backend: str  # "tensorflow", "jax" or "torch"

    def load(self):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter
        if self.module == "keras":
            # Keras 3 reads its backend once, at import; a different backend already imported
            # in this process would silently be used instead, so refuse that.
            os.environ["KERAS_BACKEND"] = self.backend
        keras = importlib.import_module(self.module)
        if self.module == "keras" and keras.backend.backend() != self.backend:
            raise ImplementationError(
                f"{self.name}: keras was already imported with backend "
                f"{keras.backend.backend()!r}; run it in a fresh process"
            )
        self.keras = keras
        return keras

    def versions(self) -> dict:
        return {
            "keras": self.keras.__version__,
            "backend": self.backend,
            "backend_version": importlib.metadata.version(_BACKEND_DISTRIBUTIONS[self.backend]),
        }

    def to_numpy(self, x) -> np.ndarray:
        if self.module == "keras":
            return np.asarray(self.keras.ops.convert_to_numpy(x))
        return np.asarray(x)


BUILT_IN = {
    "keras-tensorflow": KerasImplementation("keras-tensorflow", "keras", "tensorflow"),
    "keras-jax": KerasImplementation("keras-jax", "keras", "jax"),
    "keras-torch": KerasImplementation("keras-torch", "keras", "torch"),
    "tf-keras": KerasImplementation("tf-keras", "tf_keras", "tensorflow"),
}


def resolve(spec: str):
    """The implementation named by ``spec``: a built-in name or ``package.module:object``."""
    if spec in BUILT_IN:
        return BUILT_IN[spec]
    if ":" not in spec:
        raise ImplementationError(
            f"unknown implementation {spec!r}: use one of {', '.join(BUILT_IN)} "
            "or package.module:object"
        )
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImplementationError(f"cannot import {module_name!r} for {spec!r}: {error}") from None
    try:
        implementation = getattr(module, attribute)
    except AttributeError:
        raise ImplementationError(f"{module_name!r} has no object {attribute!r}") from None
    missing = [
        member
        for member in ("name", "load", "versions", "to_numpy")
        if not hasattr(implementation, member)
    ]
    if missing:
        raise ImplementationError(
            f"{spec} does not follow the implementation interface: missing {', '.join(missing)}"
        )
    return implementation


def load(spec: str):
    """Resolve and load ``spec``; returns the implementation, ready to use."""
    implementation = resolve(spec)
    try:
        implementation.load()
    except ImportError as error:
        raise ImplementationError(
            f"implementation {implementation.name!r} is not installed: {error}"
        ) from None
    return implementation
