"""Standalone reproduction scripts: what a maintainer can run without this project.

A check declares the body of its reproduction (``check.reproduce``); ``script()`` wraps it into a
file that imports only NumPy and the implementation (for the built-ins), carries its own copy of
the NumPy reference cells and of the tiny-model helpers the checks use, computes the expected
values itself, prints observed and expected, and exits 1 while the claim does not hold
(a wrong value, a call that raised, or a precondition that did not happen) and 0 once it holds.

The body runs inside ``main()`` and may use ``keras``, ``np``, ``impl.to_numpy``, the helpers of
``fixtures/rnn.py`` (``stateful_model``, ``feed``, ``batches``, ...), the reference cells
(``run_sequence``, ``state_size``) and three verdict helpers: ``expect(condition, what)``,
``expect_close(what, observed, expected, atol=1e-4)`` and ``precondition(condition, what)``.

Built-in Keras 3 scripts read ``KERAS_BACKEND`` first, so one script runs on another backend:
``KERAS_BACKEND=tensorflow python carry.py``.
"""

from __future__ import annotations

import inspect
import textwrap

from fixtures import reference_cells, rnn
from harness.implementations import BUILT_IN
from harness.paths import PROJECT_ROOT

# The helpers of fixtures/rnn.py a script may use, copied in by their source so that the script
# does exactly what the check does.
RNN_HELPERS = (rnn.rnn_layer, rnn.stateful_model, rnn.rnn_layers, rnn.state_variables,
               rnn.layer_states, rnn.stateless_twin, rnn.batches, rnn.as_streams, rnn.as_samples,
               rnn.targets_like, rnn.feed)
RNN_CONSTANTS = ("CELLS", "UNITS", "TIMESTEPS", "FEATURES")

TAIL = '''
PROBLEMS = []


def expect(condition, what):
    print(("ok       " if condition else "WRONG    ") + what)
    if not condition:
        PROBLEMS.append(what)


def expect_close(what, observed, expected, atol=1e-4):
    observed = np.asarray(observed, dtype="float64")
    expected = np.asarray(expected, dtype="float64")
    if observed.shape != expected.shape:
        expect(False, f"{what}: shape {observed.shape}, expected {expected.shape}")
        return
    difference = float(np.max(np.abs(observed - expected), initial=0.0))
    print(f"         {what}: observed {np.round(observed.reshape(-1)[:4], 5).tolist()}, "
          f"expected {np.round(expected.reshape(-1)[:4], 5).tolist()}")
    expect(difference <= atol, f"{what}: max difference {difference:.3g} (tolerance {atol:g})")


def precondition(condition, what):
    """What must happen for the claim to be observable at all."""
    print(("ok       " if condition else "NOT MET  ") + what)
    if not condition:
        PROBLEMS.append(f"precondition not met: {what}")


if __name__ == "__main__":
    keras.utils.set_random_seed(0)
    try:
        main()
    except Exception:
        traceback.print_exc()
        print(f"REPRODUCED: {CLAIM} does not hold (the call raised)")
        sys.exit(1)
    if PROBLEMS:
        print(f"REPRODUCED: {CLAIM} does not hold ({len(PROBLEMS)} problem(s))")
        sys.exit(1)
    print(f"NOT REPRODUCED: {CLAIM} holds here")
    sys.exit(0)
'''


def prelude(spec: str) -> str:
    built_in = BUILT_IN.get(spec)
    if built_in is not None and built_in.module == "tf_keras":
        return ("import tf_keras as keras\n\n\ndef to_numpy(x):\n"
                "    return np.asarray(x)")
    if built_in is not None:
        return (f'os.environ.setdefault("KERAS_BACKEND", "{built_in.backend}")\n'
                "import keras  # noqa: E402\n\n\ndef to_numpy(x):\n"
                "    return np.asarray(keras.ops.convert_to_numpy(x))")
    # A user's implementation is loaded through the harness, from this checkout.
    return (f"sys.path.insert(0, {str(PROJECT_ROOT)!r})\n"
            "from harness.implementations import load  # noqa: E402\n\n"
            f"implementation, keras = load({spec!r})\nto_numpy = implementation.to_numpy")


def reference_source() -> str:
    source = inspect.getsource(reference_cells)
    return source[source.index("_STATE_SIZES"):]


def script(spec: str, claim: str, nodeid: str, body: str, extra=()) -> str:
    """The whole script; ``extra``: more functions or constants (name, value) whose source the
    body needs, copied in after the helpers (the cosine models, the moving-average task)."""
    helpers = "\n\n".join(
        f"{item[0]} = {item[1]!r}" if isinstance(item, tuple) else inspect.getsource(item)
        for item in (*RNN_HELPERS, *extra))
    constants = "\n".join(f"{name} = {getattr(rnn, name)!r}" for name in RNN_CONSTANTS)
    return "\n".join([
        f'"""Reproduces {claim} on {spec}: {nodeid}',
        "",
        "Written by the stateful-rnn-conformance suite. Run: python THIS_FILE",
        "Exit status 1 while the claim does not hold here, 0 once it holds.",
        '"""',
        "import os",
        "import sys",
        "import traceback",
        "import types",
        "",
        "import numpy as np",
        "",
        prelude(spec),
        "",
        f"CLAIM = {claim!r}",
        "impl = types.SimpleNamespace(to_numpy=to_numpy)",
        "",
        "# -- the NumPy reference cells (float64), copied from the suite ------------------------",
        reference_source(),
        "",
        "# -- the tiny models and the ways of feeding them, copied from the suite --------------",
        constants,
        "",
        helpers,
        "",
        "",
        "def main():",
        textwrap.indent(body, "    "),
        TAIL,
    ])
