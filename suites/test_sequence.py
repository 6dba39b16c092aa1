"""Claims ``sequence.any-order`` and ``sequence.any-order.beyond-known``: model-based testing of
a stateful layer.

A Hypothesis state machine draws sequences of the operations users interleave (direct calls,
``predict_on_batch``, ``predict``, ``evaluate``, ``train_on_batch``, ``fit``, resets,
``set_weights``, save and load), runs each on a small stateful model and on the NumPy model of
the layer (the reference cells plus the state they carry), and after every step requires the
layer's state, and the outputs of the step, to equal the NumPy model's. A failure is shrunk to
the shortest sequence that shows it.

Every step is a few lines of code that the check executes and that also make up the standalone
reproduction script, so the script of a shrunk failure is exactly what ran.

``sequence.any-order`` draws every operation the implementation has, whatever the baseline says,
so its verdict does not depend on the expected-failures file. ``sequence.any-order.beyond-known``
looks for new bugs, not the known ones: it leaves out the operations whose single-operation
cases the baseline lists as not holding (its case says which), and is skipped where that leaves
out nothing (no baseline, or none listed), as it would repeat ``sequence.any-order``. Both leave
out operations the implementation does not have at all (``unavailable``: their own checks
report that), and say so. The default budget is small and derandomised, so that verdicts
repeat; ``--hypothesis-profile deep`` searches long. Before the search, every case walks one
fixed tour that puts each operation after a step that carried a state (a few random sequences
of five steps rarely do: a reset drawn first has nothing to undo), so that every operation is
seen acting on a non-zero state in every run.
"""

from __future__ import annotations

import inspect
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from fixtures import reference_cells, rnn
from harness import baseline as baseline_file
from harness.stash import baseline_of

LEARNING_RATE = 0.05
# The default budget: a few short sequences per case, the same ones every run.
DEFAULT = settings(max_examples=3, stateful_step_count=5, derandomize=True, deadline=None,
                   database=None, suppress_health_check=list(HealthCheck), print_blob=False)

# The check and the script both run these lines, then the steps. In the check, ``stateful_model``
# hands out the pool's model of that cell and batch size (the suite's seeds, first weights, zero
# state); in the script it is fixtures/rnn.py's, which builds one.
HEADER = """
model = stateful_model(keras, CELL, BS)
layer = rnn_layers(model)[0]
weights = [np.asarray(w, "float64") for w in layer.get_weights()]
state = [np.zeros((BS, UNITS)) for _ in range(state_size(CELL))]


def data(seed, n=1):
    return np.random.default_rng(seed).standard_normal((n * BS, TIMESTEPS, FEATURES)).astype("float32")


def check_state(after):
    states = layer_states(impl, layer)
    expect(len(states) == len(state), f"after {after}: layer.states holds {len(states)} arrays")
    for k, (value, expected) in enumerate(zip(states, state)):
        expect_close(f"state[{k}] after {after}", value, expected)
"""

# Each operation: the code of one step; {s} is a seed for its data, {n} a number of batches.
OPERATIONS = {
    "call": """
x = data({s}); out = to_numpy(model(x))
expected, state = run_sequence(CELL, weights, x, state)
expect_close("outputs of model(x)", out, expected)""",
    "predict_on_batch": """
x = data({s}); out = to_numpy(model.predict_on_batch(x))
expected, state = run_sequence(CELL, weights, x, state)
expect_close("outputs of predict_on_batch", out, expected)""",
    "predict": """
x = data({s}, {n}); out = to_numpy(model.predict(x, batch_size=BS, verbose=0))
expected, state = run_sequence(CELL, weights, as_streams(np.split(x, {n})), state)
expect_close("outputs of predict over {n} batches", as_streams(np.split(out, {n})), expected)""",
    "evaluate": """
x = data({s}, {n}); model.evaluate(x, np.zeros(x.shape[:2] + (UNITS,)), batch_size=BS, verbose=0)
_, state = run_sequence(CELL, weights, as_streams(np.split(x, {n})), state)""",
    "train_on_batch": """
model.optimizer.learning_rate = {lr}; x = data({s})
model.train_on_batch(x, np.ones(x.shape[:2] + (UNITS,), "float32"))
_, state = run_sequence(CELL, weights, x, state)  # the step's forward pass used the old weights
weights = [np.asarray(w, "float64") for w in layer.get_weights()]""",
    "fit": """
model.optimizer.learning_rate = {lr}; x = data({s}, {n})
model.fit(x, np.ones(x.shape[:2] + (UNITS,), "float32"), batch_size=BS, epochs=1, shuffle=False, verbose=0)
_, state = run_sequence(CELL, weights, as_streams(np.split(x, {n})), state)
weights = [np.asarray(w, "float64") for w in layer.get_weights()]""",
    "layer.reset_states": """
layer.reset_states(); state = [np.zeros((BS, UNITS)) for _ in state]""",
    "model.reset_states": """
model.reset_states(); state = [np.zeros((BS, UNITS)) for _ in state]""",
    "reset_states(states=...)": """
values = [np.random.default_rng({s}).uniform(-0.5, 0.5, (BS, UNITS)).astype("float32") for _ in state]
layer.reset_states(states=values if len(values) > 1 else values[0])
state = [np.asarray(v, "float64") for v in values]""",
    "set_weights": """
model.set_weights([np.random.default_rng({s}).uniform(-0.4, 0.4, np.shape(w)).astype("float32") for w in model.get_weights()])
weights = [np.asarray(w, "float64") for w in layer.get_weights()]""",
    "save and load": """
model.save(os.path.join(FOLDER, "model.keras")); model = keras.models.load_model(os.path.join(FOLDER, "model.keras"))
layer = rnn_layers(model)[0]; loaded = layer_states(impl, layer)
# What state.saved observes: the state kept, or reset to zero; either way the layer goes on from it.
if all(not np.any(value) for value in loaded):
    state = [np.zeros((BS, UNITS)) for _ in state]""",
}

# The single-operation checks that cover an operation: when the baseline lists one as not
# holding, sequence.any-order.beyond-known leaves that operation out (it would only shrink to a
# known finding); sequence.any-order draws it all the same.
COVERED_BY = {
    "call": ("carry.index-i", "suites/test_carry.py::test_index_i[{cell}-bs{bs}-call]"),
    "predict_on_batch": ("carry.index-i",
                         "suites/test_carry.py::test_index_i[{cell}-bs{bs}-predict_on_batch]"),
    "predict": ("carry.index-i", "suites/test_carry.py::test_index_i[{cell}-bs{bs}-predict]"),
    "evaluate": ("carry.index-i", "suites/test_carry.py::test_index_i[{cell}-bs{bs}-evaluate]"),
    "train_on_batch": ("carry.index-i",
                       "suites/test_carry.py::test_index_i[{cell}-bs{bs}-train_on_batch]"),
    "fit": ("carry.index-i", "suites/test_carry.py::test_index_i[{cell}-bs{bs}-fit]"),
    "layer.reset_states": ("reset.layer", "suites/test_reset.py::test_layer_reset_states[{cell}]"),
    "model.reset_states": ("reset.model", "suites/test_reset.py::test_model_reset_states[{cell}]"),
    "reset_states(states=...)": ("reset.with-values",
                                 "suites/test_reset.py::test_reset_with_values[{cell}]"),
    "save and load": ("state.saved", "suites/test_state.py::test_saved[{cell}]"),
}


def tour(operations) -> list[tuple[str, dict]]:
    """Each operation right after a direct call (or the first carrying operation drawn), so that
    it acts on a carried, non-zero state; fit once with one batch and learning, once over two."""
    carrying = next((op for op in ("call", "predict_on_batch", "predict", "evaluate",
                                   "train_on_batch", "fit") if op in operations), None)
    fields = {"predict": {"n": 2}, "evaluate": {"n": 2}, "train_on_batch": {"lr": LEARNING_RATE},
              "fit": {"n": 1, "lr": LEARNING_RATE}}
    steps = []
    for seed, operation in enumerate(operations + (["fit"] if "fit" in operations else [])):
        if carrying is not None:
            steps.append((carrying, {"s": 500 + seed, **fields.get(carrying, {})}))
        own = {"n": 2, "lr": 0.0} if operation == "fit" and seed >= len(operations) \
            else fields.get(operation, {})
        steps.append((operation, {"s": seed, **own}))
    return steps


def unavailable(model, layer) -> dict[str, str]:
    """Operations this implementation does not have at all (their own checks report that)."""
    missing = {}
    if not hasattr(model, "reset_states"):
        missing["model.reset_states"] = "no Model.reset_states()"
    if "states" not in inspect.signature(layer.reset_states).parameters:
        missing["reset_states(states=...)"] = "reset_states() takes no states="
    return missing


def left_out_by_baseline(entries, cell, batch_size) -> list[str]:
    return [operation for operation, (claim_id, nodeid) in COVERED_BY.items()
            if baseline_file.first_match(entries, nodeid.format(cell=cell, bs=batch_size),
                                         claim_id)]


class Failed(AssertionError):
    """A step's outputs or the state after it differ from the NumPy model's."""


def script_values(cell, batch_size) -> str:
    """What the check's namespace gives the steps besides the helpers (a folder, the case's cell
    and batch size), as the script sets it."""
    return f"import tempfile\nFOLDER = tempfile.mkdtemp()\nCELL, BS = {cell!r}, {batch_size!r}\n"


def machine_for(check, impl, keras, models, cell, batch_size, operations, folder):
    """The state machine class of one case: the pooled model, the NumPy model, the operations."""
    namespace_template = {
        "stateful_model": lambda keras, cell, batch_size: models.model(cell, batch_size),
        "keras": keras, "np": np, "os": os, "impl": impl, "to_numpy": impl.to_numpy,
        "run_sequence": reference_cells.run_sequence, "state_size": reference_cells.state_size,
        "as_streams": rnn.as_streams, "layer_states": rnn.layer_states, "rnn_layers": rnn.rnn_layers,
        "UNITS": rnn.UNITS, "TIMESTEPS": rnn.TIMESTEPS, "FEATURES": rnn.FEATURES,
        "FOLDER": folder, "CELL": cell, "BS": batch_size,
    }

    def expect(condition, what):
        if not condition:
            raise Failed(what)

    def expect_close(what, observed, expected, atol=1e-4):
        observed, expected = np.asarray(observed, "float64"), np.asarray(expected, "float64")
        if observed.shape != expected.shape:
            raise Failed(f"{what}: shape {observed.shape}, the NumPy model's {expected.shape}")
        difference = float(np.max(np.abs(observed - expected), initial=0.0))
        if difference > atol:
            raise Failed(f"{what} differs from the NumPy model by {difference:.3g}")

    class Sequence(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.ns = dict(namespace_template, expect=expect, expect_close=expect_close)
            exec(compile(HEADER, "<sequence header>", "exec"), self.ns)
            self.steps: list[str] = []

        def step(self, operation, **fields):
            code = OPERATIONS[operation].format(lr=fields.pop("lr", 0.0), **fields).strip()
            self.steps.append(f"# {operation}\n{code}\ncheck_state({operation!r})")
            try:
                exec(compile(code, f"<{operation}>", "exec"), self.ns)
                self.ns["check_state"](operation)
            except Failed as failure:
                self.fail(str(failure))
            except Exception as error:  # a step that raised: an error, with the steps to it
                self.reproduce()
                error.add_note(f"after the steps: {self.sequence()}")
                raise

        def sequence(self) -> str:
            return " → ".join(step.splitlines()[0].removeprefix("# ") for step in self.steps)

        def reproduce(self):
            """The script of the sequence that ran: what Hypothesis shrank it to, at the end."""
            check.reproduce(script_values(cell, batch_size) + HEADER
                            + "\n\n" + "\n\n".join(self.steps))

        def fail(self, what):
            self.reproduce()
            check.fail(f"after the steps {self.sequence()}: {what}",
                       "the layer's state and outputs equal the NumPy model's after every step")

        @precondition(lambda self: "call" in operations)
        @rule(s=st.integers(0, 999))
        def call(self, s):
            self.step("call", s=s)

        @precondition(lambda self: "predict_on_batch" in operations)
        @rule(s=st.integers(0, 999))
        def predict_on_batch(self, s):
            self.step("predict_on_batch", s=s)

        @precondition(lambda self: "predict" in operations)
        @rule(s=st.integers(0, 999), n=st.integers(1, 3))
        def predict(self, s, n):
            self.step("predict", s=s, n=n)

        @precondition(lambda self: "evaluate" in operations)
        @rule(s=st.integers(0, 999), n=st.integers(1, 2))
        def evaluate(self, s, n):
            self.step("evaluate", s=s, n=n)

        @precondition(lambda self: "train_on_batch" in operations)
        @rule(s=st.integers(0, 999))
        def train_on_batch(self, s):
            self.step("train_on_batch", s=s, lr=LEARNING_RATE)

        @precondition(lambda self: "fit" in operations)
        @rule(s=st.integers(0, 999), n=st.integers(1, 2))
        def fit(self, s, n):
            # With several batches the weights between them are not observable: learning rate 0.
            self.step("fit", s=s, n=n, lr=LEARNING_RATE if n == 1 else 0.0)

        @precondition(lambda self: "layer.reset_states" in operations)
        @rule()
        def reset_layer(self):
            self.step("layer.reset_states")

        @precondition(lambda self: "model.reset_states" in operations)
        @rule()
        def reset_model(self):
            self.step("model.reset_states")

        @precondition(lambda self: "reset_states(states=...)" in operations)
        @rule(s=st.integers(0, 999))
        def reset_with_values(self, s):
            self.step("reset_states(states=...)", s=s)

        @precondition(lambda self: "set_weights" in operations)
        @rule(s=st.integers(0, 999))
        def set_weights(self, s):
            self.step("set_weights", s=s)

        @precondition(lambda self: "save and load" in operations)
        @rule()
        def save_and_load(self):
            self.step("save and load")

        @invariant()
        def weights_are_the_models(self):
            # The NumPy model reads the weights only after training or set_weights; nothing
            # else may move them.
            if self.steps:
                layer = self.ns["layer"]
                for k, (value, expected) in enumerate(zip(layer.get_weights(), self.ns["weights"])):
                    if np.max(np.abs(np.asarray(value, "float64") - expected), initial=0.0) > 1e-6:
                        self.fail(f"weight {k} moved without a training step or set_weights")

    return Sequence


def drawn_and_left_out(operations, left_out: dict[str, str]) -> str:
    """The case's observation: what the machine drew, and what it left out and why."""
    text = "drew " + ", ".join(operations)
    return text + ("; left out " + ", ".join(f"{op} ({why})" for op, why in left_out.items())
                   if left_out else "")


def search(models, impl, keras, check, request, cell, batch_size, operations):
    """The fixed tour, then the Hypothesis search, over ``operations``, on the pool's model."""
    check.reproduce(script_values(cell, batch_size) + HEADER)
    profile = request.config.getoption("hypothesis_profile", None)
    chosen = settings.get_profile(profile) if profile else DEFAULT
    with tempfile.TemporaryDirectory() as folder:
        # Each example's machine takes the pool's model afresh: first weights, a zero state.
        machine = machine_for(check, impl, keras, models, cell, batch_size, operations, folder)
        walk = machine()
        for operation, fields in tour(operations):
            walk.step(operation, **fields)
            walk.weights_are_the_models()
        run_state_machine_as_test(machine, settings=chosen)


# Batch size 3 (rows that must stay apart) in the not-slow suite; the full suite adds batch size 1,
# the article's (1.9-8.5 s a case on keras-tensorflow and tf-keras).
BATCH_SIZES = pytest.mark.parametrize("batch_size", [pytest.param(1, marks=pytest.mark.slow), 3],
                                      ids=lambda bs: f"bs{bs}")
CELLS = pytest.mark.parametrize("cell", rnn.CELLS)


@pytest.mark.claim("sequence.any-order")
@BATCH_SIZES
@CELLS
def test_any_order(models, impl, keras, check, request, cell, batch_size):
    """Through any sequence of user operations the layer's state and outputs are the NumPy model's."""
    model = models.model(cell, batch_size)
    missing = unavailable(model, rnn.rnn_layers(model)[0])
    operations = [op for op in OPERATIONS if op not in missing]
    check.observe(drawn_and_left_out(operations, missing))
    search(models, impl, keras, check, request, cell, batch_size, operations)


@pytest.mark.claim("sequence.any-order.beyond-known")
@BATCH_SIZES
@CELLS
def test_any_order_beyond_known(models, impl, keras, check, request, cell, batch_size):
    """Through any sequence of the operations whose own checks hold (by the baseline), the
    layer's state and outputs are the NumPy model's."""
    model = models.model(cell, batch_size)
    missing = unavailable(model, rnn.rnn_layers(model)[0])
    entries = baseline_of(request.config)
    # With nothing known to leave out (no baseline, or one that lists no single-operation case
    # of an operation this implementation has) it draws what sequence.any-order draws: a
    # verdict of its own all the same, never a skip.
    known = [op for op in left_out_by_baseline(entries, cell, batch_size) if op not in missing]
    operations = [op for op in OPERATIONS if op not in missing and op not in known]
    left_out = missing | {op: "the baseline lists its own check" for op in known}
    check.observe(drawn_and_left_out(operations, left_out))
    # Nothing left only when the baseline lists direct calls too (every operation is known).
    check.precondition(operations, "an operation whose own check holds, to draw",
                       "the baseline lists every operation", failing="carry.index-i")
    search(models, impl, keras, check, request, cell, batch_size, operations)
