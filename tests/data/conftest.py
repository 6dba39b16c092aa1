# The standalone repro scripts copied from real runs (findings/*-repro/test_*.py) are data, not
# tests of this project: pytest must not collect (import) them.
collect_ignore_glob = ["*-repro", "findings/*-repro"]
