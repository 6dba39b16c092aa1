"""The implementations under test and the interface a user's own one follows.

An implementation is any object with (``INTERFACE``; ``resolve()`` checks it):

- ``name``: a short identifier (``keras-jax``); it names the baseline and the results file;
- ``load()``: import and return the Keras namespace (the module users write ``keras.`` against).
  It runs once per process, before any check; it may set environment variables first
  (``KERAS_BACKEND``) and raises ``ImportError`` when the implementation is not installed.
  The namespace it returns is the one under test everywhere: the checks, the shared models, the
  benchmarks. A fork, a wrapper or a planted bug returns its own namespace here;
- ``versions()``: after ``load()``, a dict with ``keras``, ``backend`` and ``backend_version``;
- ``to_numpy(x)``: a tensor or variable of this implementation as a NumPy array.

``KerasImplementation`` below is that interface for the four built-in implementations; a fork or
a deliberately faulty implementation may subclass it and override ``load()``, or be any object
with those four members.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import os
from dataclasses import dataclass

import numpy as np

DEFAULT = "keras-tensorflow"
ENV_VAR = "STATEFUL_RNN_IMPL"

INTERFACE = ("name", "load", "versions", "to_numpy")
# The distributions that install each backend, the release first (tf-nightly installs the
# `tensorflow` module under another name).
_BACKEND_DISTRIBUTIONS = {"tensorflow": ("tensorflow", "tf-nightly", "tensorflow-cpu"),
                          "jax": ("jax",), "torch": ("torch",)}


def _backend_version(backend: str) -> str:
    names = _BACKEND_DISTRIBUTIONS[backend]
    for name in names:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    raise importlib.metadata.PackageNotFoundError(" or ".join(names))


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
        return self._versions(self.keras.__version__)

    def _versions(self, keras_version: str) -> dict:
        return {"keras": keras_version, "backend": self.backend,
                "backend_version": _backend_version(self.backend)}

    def installed_versions(self) -> dict | None:
        """``versions()`` read from the installed distributions, importing nothing.

        The pytest-xdist controller runs no check; it needs the versions only for the header and
        the results, and importing Keras there (6.5 s with TensorFlow here) would delay every
        parallel run before its workers start. None where the metadata does not name exactly one
        distribution of the module (an editable fork, two Keras installed): load() then decides.
        """
        distributions = importlib.metadata.packages_distributions().get(self.module, [])
        if len(set(distributions)) != 1:
            return None
        try:
            return self._versions(importlib.metadata.version(distributions[0]))
        except importlib.metadata.PackageNotFoundError:
            return None

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
    if not module_name or not attribute:
        raise ImplementationError(f"{spec!r}: name the object as package.module:object")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ImplementationError(f"cannot import {module_name!r} for {spec!r}: {error}") from None
    try:
        implementation = getattr(module, attribute)
    except AttributeError:
        raise ImplementationError(f"{module_name!r} has no object {attribute!r}") from None
    check_interface(implementation, spec)
    return implementation


def check_interface(implementation, spec: str) -> None:
    """Raise ``ImplementationError`` unless ``implementation`` has every member of ``INTERFACE``."""
    missing = [member for member in INTERFACE if not hasattr(implementation, member)]
    if missing:
        raise ImplementationError(
            f"{spec} does not follow the implementation interface: missing {', '.join(missing)}"
        )
    not_callable = [member for member in INTERFACE[1:] if not callable(getattr(implementation, member))]
    if not_callable:
        raise ImplementationError(f"{spec}: {', '.join(not_callable)} must be callable")
    if not isinstance(implementation.name, str) or not implementation.name:
        raise ImplementationError(f"{spec}: name must be a non-empty string")


def versions_without_loading(implementation) -> dict | None:
    """The versions a built-in implementation would report, from the installed metadata; None
    where the metadata does not say, or for a user's own implementation, whose ``versions()``
    may read anything: those are loaded. One that is not installed is refused here, as
    ``load()`` would refuse it.
    """
    if not isinstance(implementation, KerasImplementation):
        return None
    for module in (implementation.module, implementation.backend):
        if importlib.util.find_spec(module) is None:
            raise ImplementationError(
                f"implementation {implementation.name!r} is not installed: no module named {module!r}"
            )
    return implementation.installed_versions()


def _jax_compilation_cache(folder: str) -> dict[str, str]:
    return {"JAX_COMPILATION_CACHE_DIR": folder,
            "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
            "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0"}


# The environment (by backend, set before load()) that makes one run share its compiled programs.
# On JAX every check compiles its own model's functions, and most of those programs are the same
# few (the same cell, shapes and entry point). JAX's persistent compilation cache, pointed at a
# folder of this run only (shared by its xdist workers), compiles each once: the not-slow suite
# (304 cases then) took 131 s with -n 2 here without it, 86 s with it, with the same verdicts. Timed training turns it off (``fixtures.backends.uncached_compilation``).
COMPILATION_CACHES = {"jax": _jax_compilation_cache}


def load(spec: str):
    """Resolve and load ``spec``; returns ``(implementation, keras namespace)``, ready to use."""
    implementation = resolve(spec)
    try:
        namespace = implementation.load()
    except ImplementationError:
        raise
    except ImportError as error:
        raise ImplementationError(
            f"implementation {implementation.name!r} is not installed: {error}"
        ) from None
    except Exception as error:  # the user's own load(): say what it raised, in one line
        raise ImplementationError(f"{spec}: load() raised {_one_line(error)}") from None
    if namespace is None or not hasattr(namespace, "layers"):
        raise ImplementationError(
            f"{spec}: load() returned {type(namespace).__name__}, not a Keras namespace "
            "(it must return the module users write keras. against)"
        )
    return implementation, namespace


VERSION_KEYS = ("keras", "backend", "backend_version")


def versions(implementation, spec: str) -> dict:
    """``implementation.versions()`` after ``load()``, checked: a dict of the three versions."""
    try:
        found = implementation.versions()
    except Exception as error:
        raise ImplementationError(f"{spec}: versions() raised {_one_line(error)}") from None
    if not isinstance(found, dict) or any(key not in found for key in VERSION_KEYS):
        raise ImplementationError(
            f"{spec}: versions() returned {_one_line(found)}, not a dict with "
            f"{', '.join(VERSION_KEYS)}"
        )
    return found


def _one_line(value, limit: int = 200) -> str:
    text = f"{type(value).__name__}: {value}" if isinstance(value, BaseException) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " [...]"
