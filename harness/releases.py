"""Every release the history covers, and what each is installed with.

A cell of the history is one release of one built-in implementation: every Keras 3 release
from 3.0.0 on TensorFlow, JAX and PyTorch, and every tf-keras release from 2.15 (as PyPI lists
them on 2026-12-07, yanked ones left out: tf-keras 2.20.0). ``nox -s history`` runs the suite
on each (noxfile.py) and ``python -m harness bisect`` installs the ones it tries.

Each Keras minor line gets the backend and the NumPy of its day: the newest backend release
published before the line's x.y.0 (PyPI upload dates), and NumPy below the first minor published
after it, so that a verdict that changes between two releases changed with Keras, not with a
backend or a NumPy years newer than it. Every release of a minor line keeps the line's pins,
so a change between two patch releases comes from Keras alone. The exceptions:

- Keras 3.0 to 3.4 run on TensorFlow 2.16, not on 2.15 (their day's): tensorflow 2.15 requires
  ``keras<2.16``, and 2.16 is the first TensorFlow that installs beside Keras 3.
- torch is 2.13.0 everywhere: the only CPU build on the project machines (an unpinned torch
  downloads a CUDA build of gigabytes). On keras-torch only Keras changes.
- tf-keras follows TensorFlow's version numbers: each release runs on the TensorFlow of its
  minor.
- The rows of the version matrix (noxfile.py: 3.5, 3.10, 3.15) keep their backends, so the
  history and the published runs agree where they meet.

This module needs only the standard library: the noxfile imports it in nox's own environment.
"""

from __future__ import annotations

import re

KERAS_3 = (
    "3.0.0", "3.0.1", "3.0.2", "3.0.3", "3.0.4", "3.0.5", "3.1.0", "3.1.1", "3.2.0", "3.2.1",
    "3.3.0", "3.3.1", "3.3.2", "3.3.3", "3.4.0", "3.4.1", "3.5.0", "3.6.0", "3.7.0", "3.8.0",
    "3.9.0", "3.9.1", "3.9.2", "3.10.0", "3.11.0", "3.11.1", "3.11.2", "3.11.3", "3.12.0",
    "3.12.1", "3.12.2", "3.12.3", "3.12.4", "3.13.0", "3.13.1", "3.13.2", "3.14.0", "3.14.1",
    "3.15.0", "3.15.1",
)
TF_KERAS = ("2.15.0", "2.15.1", "2.16.0", "2.17.0", "2.18.0", "2.19.0", "2.20.1", "2.21.0")

# Per Keras minor line, the date of its x.y.0 (PyPI), then its TensorFlow, its JAX and the
# NumPy below the first minor published after that date (None: no cap).
KERAS_LINES = {
    "3.0": ("2023-11-28", "2.16", "0.4.20", "2"),
    "3.1": ("2024-03-18", "2.16", "0.4.25", "2"),
    "3.2": ("2024-04-08", "2.16", "0.4.26", "2"),
    "3.3": ("2024-04-22", "2.16", "0.4.26", "2"),
    "3.4": ("2024-06-25", "2.16", "0.4.30", "2.1"),
    "3.5": ("2024-08-12", "2.17", "0.4.31", "2.1"),
    "3.6": ("2024-10-03", "2.17", "0.4.33", "2.2"),
    "3.7": ("2024-11-26", "2.18", "0.4.35", "2.2"),
    "3.8": ("2025-01-07", "2.18", "0.4.38", "2.3"),
    "3.9": ("2025-03-04", "2.18", "0.5.1", "2.3"),
    "3.10": ("2025-05-19", "2.19", "0.6.*", "2.3"),
    "3.11": ("2025-07-30", "2.19", "0.7.0", "2.4"),
    "3.12": ("2025-10-27", "2.20", "0.8.0", "2.4"),
    "3.13": ("2025-12-17", "2.20", "0.8.1", "2.4"),
    "3.14": ("2026-04-03", "2.21", "0.9.2", "2.5"),
    "3.15": ("2026-06-24", "2.21", "0.10.*", None),
}

BACKENDS = {"keras-tensorflow": "tensorflow", "keras-jax": "jax", "keras-torch": "torch",
            "tf-keras": "tensorflow"}


class UnknownRelease(ValueError):
    """A release this module has no pins for; message is one line."""


def releases(impl: str) -> tuple[str, ...]:
    """The releases of ``impl`` the history covers, oldest first."""
    if impl not in BACKENDS:
        raise UnknownRelease(f"{impl!r} is not a built-in implementation "
                             f"({', '.join(BACKENDS)})")
    return TF_KERAS if impl == "tf-keras" else KERAS_3


def minor(version: str) -> str:
    match = re.match(r"(\d+)\.(\d+)", version)
    if not match:
        raise UnknownRelease(f"{version!r} is not a release number (3.11.0, 2.17.0)")
    return f"{match[1]}.{match[2]}"


def requirements(impl: str, version: str) -> tuple[str, ...]:
    """What installs ``version`` of ``impl`` with the backend of its day (torch, 2.13.0,
    is installed apart: see noxfile.py)."""
    releases(impl)  # refuses an implementation that is not a built-in
    backend = BACKENDS[impl]
    line = minor(version)
    if impl == "tf-keras":
        if nightly(version):
            return (f"tf-keras-nightly=={version}", "tf-nightly")
        return (f"tf-keras=={version}", f"tensorflow=={line}.*")
    newest = list(KERAS_LINES)[-1]
    if line not in KERAS_LINES and not (nightly(version) and newer(line, newest)):
        raise UnknownRelease(f"keras {version}: no pins for the {line} line (known: "
                             f"{', '.join(KERAS_LINES)}); give them in harness/releases.py")
    # A nightly of the next line runs on the newest line's backend, as the nightly sessions do.
    _, tensorflow, jax, numpy_below = KERAS_LINES.get(line, KERAS_LINES[newest])
    pins = [f"keras-nightly=={version}" if nightly(version) else f"keras=={version}"]
    if backend == "tensorflow":
        # tensorflow requires keras, which would shadow keras-nightly: a nightly takes tf-nightly.
        pins.append("tf-nightly" if nightly(version) else f"tensorflow=={tensorflow}.*")
    elif backend == "jax":
        pins.append(f"jax[cpu]=={jax}")
    if numpy_below:
        pins.append(f"numpy<{numpy_below}")
    return tuple(pins)


def nightly(version: str) -> bool:
    return ".dev" in version


def newer(line: str, than: str) -> bool:
    return tuple(map(int, line.split("."))) > tuple(map(int, than.split(".")))


def changelog(impl: str, version: str) -> str:
    """The release notes of ``version`` on GitHub (a nightly's page on PyPI: it has none)."""
    if nightly(version):
        package = "tf-keras-nightly" if impl == "tf-keras" else "keras-nightly"
        return f"https://pypi.org/project/{package}/{version}/"
    repository = "keras-team/tf-keras" if impl == "tf-keras" else "keras-team/keras"
    return f"https://github.com/{repository}/releases/tag/v{version}"
