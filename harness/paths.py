"""Where the project is: what a benchmark row's ``figure`` path and the output folders are
relative to."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
