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

import ast
import inspect
import textwrap

import numpy as np

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


def head(spec: str, claim: str, nodeid: str, origin: str) -> list[str]:
    """A script's docstring, imports, the Keras under test and ``impl``."""
    return [
        f'"""Reproduces {claim} on {spec}: {nodeid}',
        "",
        origin,
        "Run: python THIS_FILE. Exit status 1 while the claim does not hold here, 0 once it holds.",
        '"""',
        "import os",
        "import sys",
        "import traceback",
        "import types",
        "from math import inf, nan  # as a case's parameters may write them",
        "",
        "import numpy as np",
        "",
        prelude(spec),
        "",
        f"CLAIM = {claim!r}",
        "impl = types.SimpleNamespace(to_numpy=to_numpy)",
        "",
    ]


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
        *head(spec, claim, nodeid, "Written by the stateful-rnn-conformance suite."),
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


# -- scripts made from a check function's own source ------------------------------------------
# A check of the library (suites/checks/) is a plain function; its script is that function, the
# functions, classes and constants it uses (found by name, recursively: fixtures/, suites/),
# and a main() that calls it with the case's parameters. Nothing is written twice.

PROJECT_PACKAGES = ("fixtures", "suites")
# Modules a script may import itself; the Keras under test comes from the prelude instead.
FRAMEWORKS = ("keras", "tf_keras", "tensorflow", "jax", "torch", "pytest", "harness")
SEED = 20261130  # suites/conftest.py's rng
PLAIN = (bool, int, float, complex, str, bytes, type(None))


class ScriptError(Exception):
    """A check library function that cannot be copied into a script (message names it)."""


def injected_names(function) -> list[str]:
    """The parameters of ``function`` that the suite provides (keras, impl, check, models, rng)."""
    from suites.check import INJECTED
    return [name for name in inspect.signature(function).parameters if name in INJECTED]


def _argument(value) -> str:
    """A parameter as the script writes it: a recipe function by its name (its source is copied
    in), anything else as its repr."""
    return value.__name__ if inspect.isfunction(value) else repr(value)


def call_line(function, parameters: dict) -> str:
    arguments = [*injected_names(function), *(f"{k}={_argument(v)}" for k, v in parameters.items())]
    return f"{function.__name__}({', '.join(arguments)})"


def _is_project(value) -> bool:
    module = getattr(value, "__module__", None) or getattr(value, "__name__", "")
    return module.split(".")[0] in PROJECT_PACKAGES


def _plain(value) -> bool:
    if isinstance(value, PLAIN):
        return True
    if isinstance(value, (tuple, list, set, frozenset)):
        return all(_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


class _Closure:
    """What a script needs to define, in the order it must define it."""

    def __init__(self):
        self.imports: dict[str, str] = {}       # name -> import line
        self.constants: dict[str, str] = {}     # name -> assignment
        self.definitions: dict[str, object] = {}  # name -> function or class
        self.sources: dict[str, str] = {}       # name -> its source
        # name -> the names its definition line evaluates (defaults, decorators, bases): those
        # must be defined first, unlike the names its body reads when it runs.
        self.needed_first: dict[str, set] = {}
        self.aliases: dict[str, str] = {}       # alias -> defined name
        self.namespaces: dict[str, set] = {}    # project module name -> attributes used

    def add_definition(self, value, where: str) -> None:
        name = value.__name__
        known = self.definitions.get(name)
        if known is value:
            return
        if known is not None:
            raise ScriptError(f"{where}: two different definitions named {name!r} "
                              f"({known.__module__} and {value.__module__})")
        self.definitions[name] = value
        source = textwrap.dedent(inspect.getsource(value))
        self.sources[name] = source
        self.needed_first[name] = evaluated_when_defined(ast.parse(source).body[0])
        # A decorated helper (functools.wraps) keeps its own module's globals on __wrapped__.
        scope = (inspect.unwrap(value).__globals__ if inspect.isfunction(value)
                 else vars(inspect.getmodule(value)))
        self.add_names(ast.parse(source), scope, f"{value.__module__}.{name}")

    def add_names(self, tree, scope: dict, where: str) -> None:
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and inspect.ismodule(scope.get(node.value.id))
                    and _is_project(scope[node.value.id])):
                module_name = node.value.id
                self.namespaces.setdefault(module_name, set()).add(node.attr)
                self.add_value(node.attr, getattr(scope[module_name], node.attr), where)
            elif isinstance(node, ast.Name) and node.id in scope:
                value = scope[node.id]
                if inspect.ismodule(value) and _is_project(value):
                    continue  # used through its attributes, above
                self.add_value(node.id, value, where)

    def add_value(self, name: str, value, where: str) -> None:
        if inspect.ismodule(value):
            if value.__name__.split(".")[0] in FRAMEWORKS:
                raise ScriptError(f"{where} uses the module {value.__name__} as {name!r}: "
                                  "a check takes the Keras under test as its `keras` argument")
            self.imports[name] = (f"import {value.__name__}" if name == value.__name__
                                  else f"import {value.__name__} as {name}")
        elif inspect.isfunction(value) or inspect.isclass(value):
            if _is_project(value):
                self.add_definition(value, where)
                if name != value.__name__:
                    self.aliases[name] = value.__name__
            elif value.__module__.split(".")[0] in FRAMEWORKS:
                raise ScriptError(f"{where} uses {value.__module__}.{value.__name__}")
            elif value.__module__ != "builtins":
                self.imports[name] = (f"from {value.__module__} import {value.__name__}"
                                      + ("" if name == value.__name__ else f" as {name}"))
        elif _plain(value):
            line = f"{name} = {value!r}"
            if self.constants.get(name, line) != line:
                raise ScriptError(f"{where} uses {name!r}, which another module of the suite "
                                  f"defines differently ({self.constants[name]!r}): rename one")
            self.constants[name] = line
        elif isinstance(value, np.ndarray) or type(value).__module__.split(".")[0] == "numpy":
            raise ScriptError(f"{where} uses {name!r}, a NumPy value: make it a plain constant")
        elif not callable(value):
            raise ScriptError(f"{where} uses {name!r} = {type(value).__name__}, "
                              "which a script cannot copy")

    def text(self) -> str:
        aliases = [f"{alias} = {name}" for alias, name in sorted(self.aliases.items())]
        # numpy is imported by every script's header.
        imports = sorted(set(self.imports.values()) - {"import numpy as np"})
        return "\n".join([
            *imports, "",
            *sorted(self.constants.values()), "", "",
            "\n\n".join(self.ordered()), "",
            *aliases])

    def ordered(self) -> list[str]:
        """The definitions, and each ``module = types.SimpleNamespace(...)`` as soon as its
        members are defined, in the order found except where a definition line needs another."""
        available = set(self.constants) | set(self.imports)
        pending, out = list(self.sources), []

        def ready(name):
            return all(needed in available or (needed not in self.sources
                                               and needed not in self.namespaces)
                       for needed in self.needed_first[name])

        def namespaces_now_complete():
            for module, attributes in sorted(self.namespaces.items()):
                if module not in available and attributes <= available:
                    out.append(f"{module} = types.SimpleNamespace("
                               + ", ".join(f"{a}={a}" for a in sorted(attributes)) + ")")
                    available.add(module)

        namespaces_now_complete()
        while pending:
            name = next((name for name in pending if ready(name)), pending[0])
            pending.remove(name)
            out.append(self.sources[name])
            available.add(name)
            namespaces_now_complete()
        return out


def evaluated_when_defined(node) -> set[str]:
    """The global names a ``def`` or ``class`` statement evaluates as it runs."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        parts = [*node.args.defaults, *filter(None, node.args.kw_defaults), *node.decorator_list]
    else:
        parts = [*node.bases, *(keyword.value for keyword in node.keywords), *node.decorator_list]
    return {name.id for part in parts for name in ast.walk(part) if isinstance(name, ast.Name)}


SCRIPT_CHECK = '''
class ScriptCheck(Verdicts):
    """The check's verdict helpers, printing each comparison that held."""

    def passed(self, expected):
        print(f"ok       {expected}")
'''

CHECK_TAIL = '''

if __name__ == "__main__":
    try:
        main()
    except AssertionError as failure:
        print(failure)
        print(f"REPRODUCED: {CLAIM} does not hold")
        sys.exit(1)
    except Inconclusive as unobservable:
        print(unobservable)
        print(f"NOT OBSERVABLE: {CLAIM} cannot be seen here (another claim fails first)")
        sys.exit(1)
    except Exception:
        traceback.print_exc()
        print(f"REPRODUCED: {CLAIM} does not hold (the call raised)")
        sys.exit(1)
    print(f"NOT REPRODUCED: {CLAIM} holds here")
    sys.exit(0)
'''


def script_of_check(spec: str, claim: str, nodeid: str, function, parameters: dict) -> str:
    """The standalone script of one case: ``function`` (a check of suites/checks/) called with
    ``parameters``, with everything it uses copied from the suite."""
    from fixtures.verdicts import Inconclusive, Verdicts
    closure = _Closure()
    where = f"{function.__module__}.{function.__name__}"
    for needed in (Verdicts, Inconclusive, rnn.ModelPool, function):
        closure.add_definition(needed, where)
    for name, value in parameters.items():
        if inspect.isfunction(value) and _is_project(value):
            closure.add_definition(value, where)  # a workaround's recipe
        elif not _plain(value):
            raise ScriptError(f"{nodeid}: parameter {name}={value!r} is neither a plain value "
                              "nor a function of the suite")
    # The check itself last, just before main(), where a reader looks first.
    closure.sources[function.__name__] = closure.sources.pop(function.__name__)
    wanted = injected_names(function)
    setup = [
        "check = ScriptCheck(CLAIM, impl)",
        *(["models = ModelPool(impl, keras)"] if "models" in wanted else
          # Checks that build their own models start from the suite's seeds (suites/conftest.py).
          ["keras.utils.set_random_seed(1234)", "np.random.seed(1234)"]),
        *([f"rng = np.random.default_rng({SEED})"] if "rng" in wanted else []),
        call_line(function, parameters),
    ]
    return "\n".join([
        *head(spec, claim, nodeid, "Written by the stateful-rnn-conformance suite from the "
                                   "check's own code."),
        "# -- copied from the suite: the check, its helpers, the NumPy reference cells ----------",
        closure.text(),
        SCRIPT_CHECK,
        "",
        "def main():",
        textwrap.indent("\n".join(setup), "    "),
        CHECK_TAIL,
    ])
