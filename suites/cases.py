"""``check_cases``: how a test module says which cases of a check run, in one line.

    test_unroll = check_cases(paths.unroll, "carry.unroll", cell=rnn.CELLS,
                              entry_point=ENTRY_POINTS)

is the test

    @pytest.mark.claim("carry.unroll")
    @pytest.mark.parametrize("entry_point", ENTRY_POINTS)
    @pytest.mark.parametrize("cell", rnn.CELLS)
    def test_unroll(run_check, cell, entry_point):
        run_check(paths.unroll, cell=cell, entry_point=entry_point)

with each parameter named once. The axes are parametrised in the order given, so a case's id
reads ``LSTM-predict`` (``test_unroll[LSTM-predict]``). A check that needs a fixture of its own
(``documented``) or skips a case is written out as a plain test function instead.
"""

import inspect

import pytest


def check_cases(function, claim: str, marks=(), given=None, **axes):
    """A test running ``function`` (a check of ``suites/checks/``) through ``run_check`` on every
    combination of ``axes``, marked with ``claim`` and ``marks``.

    An axis is a sequence of values (``pytest.param`` for marks or ids) or a dict, whose keys are
    the ids and whose values the check receives (``reset=resets.RESETS``: ``test_fresh[LSTM-model]``
    calls the check with ``reset=resets.RESETS["model"]``). ``given``: parameters that are the
    same in every case (``given={"reset": resets.layer_reset_states}``).
    """
    fixed = dict(given or {})

    def test(run_check, **parameters):
        run_check(function, **parameters, **fixed)

    # pytest reads a test's arguments from its signature: run_check, then one per axis.
    test.__signature__ = inspect.Signature(
        [inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
         for name in ("run_check", *axes)])
    test.__doc__ = function.__doc__
    for name, values in axes.items():
        if isinstance(values, dict):
            values = [pytest.param(value, id=key) for key, value in values.items()]
        test = pytest.mark.parametrize(name, values)(test)
    for mark in (*marks, pytest.mark.claim(claim)):
        test = mark(test)
    return test
