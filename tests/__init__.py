"""Tests of the project's own code (the reference cells, the harness); a package, so that
``--impl tests.fake_impl:FAKE`` and ``tests.results_factory`` import from the project root."""
