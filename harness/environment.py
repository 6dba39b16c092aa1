"""The one description of the machine and software a run was made on: the results file's
``environment`` block, a benchmark row's, and nox's record of a session that could not run.

Only the standard library at import: nox runs it in its own interpreter, where the project's
dependencies may be missing.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess

from harness.paths import PROJECT_ROOT

_FOUND: dict = {}


def environment(**known) -> dict:
    """This process's Python, platform, machine, CPUs, numpy, the project's commit and when it
    was first asked (one time per process, so every block of a run names the same); ``known``
    replaces what the caller knows better (nox: the Python of the session it could not run)."""
    if not _FOUND:
        _FOUND.update(
            python=platform.python_version(), platform=platform.platform(),
            machine=platform.machine(), cpu_count=os.cpu_count(), numpy=_version("numpy"),
            project_commit=project_commit(),
            created=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        )
    return {**_FOUND, **known}


def project_commit() -> str | None:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
            text=True, timeout=10,
        ).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None
