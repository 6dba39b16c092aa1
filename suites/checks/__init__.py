"""The check library: one plain function per check, one module per claim family.

A check takes what it needs by name (``keras``, ``impl``, ``check``, ``models``, ``rng``) and the
case's parameters, and states its verdict through ``check`` (fixtures/verdicts.py). Test modules
(``suites/test_<family>.py``) parametrise it and run it with ``run_check``; its reproduction script
is its own source and the helpers it uses (suites/repro.py), so helpers are imported by name or
through a project module (``rnn.feed``), and constants are plain values.
"""
