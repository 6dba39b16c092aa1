"""Every recipe a migration report offers runs as written in a user's script.

The reports are those `nox -s reports` publishes, rendered from the committed results
(harness/published.py's plan). Each ```python block of a report is a recipe: the unit tests
check that it compiles and stands alone (it reads no name it does not define or import, and
imports nothing of this project); the system test puts it in a script with a tiny stateful model
in plain Keras, the way a user would (build it, feed it a few batches, apply the recipe), and runs
the script in a fresh process on a backend where the report offers it (keras-jax or keras-torch
where possible: they import fastest). What each recipe does is verified by its workaround check
in the suite; the script shows that the code the report prints is complete and runs.
"""

import builtins
import os
import re
import subprocess
import sys
import symtable
import textwrap

import pytest

from harness import migrate, published
from harness.paths import PROJECT_ROOT
from harness.results import load

# The order backends are preferred in to run a recipe several reports offer: import time.
BACKENDS = {"keras-jax": "jax", "keras-torch": "torch", "keras-tensorflow": "tensorflow"}
CODE_BLOCK = re.compile(r"```python\n(.*?)\n```", re.DOTALL)
DEFINED_FUNCTION = re.compile(r"^def (\w+)\(", re.MULTILINE)

# A user's script around a recipe: plain Keras and NumPy, a stateful LSTM of batch size 3.
MODEL = """
batch_size, timesteps, features, units = 3, 4, 2, 5
rng = np.random.default_rng(0)
batches = [rng.standard_normal((batch_size, timesteps, features)).astype("float32")
           for _ in range(3)]
targets = [rng.standard_normal((batch_size, timesteps, units)).astype("float32")
           for _ in range(3)]
model = keras.Sequential([keras.Input(batch_shape=(batch_size, timesteps, features)),
                          keras.layers.LSTM(units, stateful=True)])
layer = model.layers[-1]


def state_of(layer):
    return [keras.ops.convert_to_numpy(variable) for variable in layer.states]


for batch in batches:
    model(batch)  # a direct call carries the state on every backend
assert any(np.abs(state).sum() > 0 for state in state_of(layer)), "no state to work with"
"""

# How a user applies each recipe a report offers, by the function they call. A recipe function
# that another function of its block calls is a helper, run through that one.
USAGE = {
    "call_batch_by_batch": """
outputs = call_batch_by_batch(model, batches)
assert len(outputs) == len(batches) and tuple(outputs[0].shape) == (batch_size, units)
""",
    "zero_states": """
zero_states(layer)
assert all(np.abs(state).sum() == 0 for state in state_of(layer))
""",
    "reset_all_states": """
reset_all_states(model)
assert all(np.abs(state).sum() == 0 for state in state_of(layer))
""",
    "assign_states": """
values = [np.full((batch_size, units), 0.5, "float32") for _ in layer.states]
assign_states(layer, values)
assert all(np.allclose(state, 0.5) for state in state_of(layer))
""",
    "reset_to_initial_states": """
reset_to_initial_states(model, batch_size)
assert all(np.abs(state).sum() == 0 for state in state_of(layer))  # an LSTM starts from zeros
""",
    "sequential_with_batch_shape": """
built = sequential_with_batch_shape(keras, (batch_size, timesteps, features),
                                    [keras.layers.LSTM(units, stateful=True)])
built(batches[0])
assert any(np.abs(state).sum() > 0 for state in state_of(built.layers[-1]))
""",
    "explicit_state_models": """
_, step, train = explicit_state_models(keras, "LSTM", batch_size, timesteps, features, units,
                                       "sgd")
zeros = [np.zeros((batch_size, units), "float32") for _ in range(2)]
states, losses = train_carrying_state(step, train, batches, targets, zeros)
assert len(states) == len(batches) and all(np.isfinite(losses))
""",
    "trim_to_whole_batches": """
x, real = trim_to_whole_batches(np.concatenate(batches)[:7], batch_size)
assert (len(x), real) == (6, 6)
assert model.predict(x, batch_size=batch_size, verbose=0).shape == (6, units)
""",
    "pad_to_whole_batches": """
x, real = pad_to_whole_batches(np.concatenate(batches)[:7], batch_size)
assert (len(x), real) == (9, 7)
assert model.predict(x, batch_size=batch_size, verbose=0)[:real].shape == (7, units)
""",
    "whole_batches_dataset": """
dataset, real = whole_batches_dataset(np.concatenate(batches)[:7], batch_size)
assert real == 6 and model.predict(dataset, verbose=0).shape == (6, units)
""",
    "export_onnx_explicit_state": """
import os, tempfile
path = os.path.join(tempfile.mkdtemp(), "model.onnx")
export_onnx_explicit_state(keras, model, path)
assert os.path.getsize(path) > 0
""",
    "export_with_reset_endpoint": """
import os, tempfile
path = os.path.join(tempfile.mkdtemp(), "served")
export_with_reset_endpoint(keras, model, path)
assert os.path.isdir(path)
""",
    "separate_validation": """
x, y = np.concatenate(batches), rng.standard_normal((9, units)).astype("float32")
validation = separate_validation(keras, x[:7], y[:7], batch_size)
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, batch_size=batch_size, epochs=2, shuffle=False, callbacks=[validation],
          verbose=0)
assert len(validation.val_losses) == 2 and all(np.isfinite(validation.val_losses))
""",
}
# Functions a usage of the same block calls (the explicit-state recipe is two functions).
USED_WITH = {"train_carrying_state": "explicit_state_models"}


def migration_reports() -> dict[str, tuple[str, str]]:
    """Each committed migration's report as rendered from the committed results now: its TO
    implementation and its text, by file name."""
    reports = {}
    for entry in published.plan():
        if entry.command[0] != "migrate":
            continue
        sides = [(path, load(PROJECT_ROOT / path)) for path in entry.command[1:3]]
        reports[entry.path.name] = (sides[1][1]["implementation"]["name"],
                                    migrate.render(*sides))
    return reports


def recipes() -> dict[str, str]:
    """Each distinct recipe block of the reports, with the backend to run it on: the fastest
    to import of those whose report offers it."""
    offered: dict[str, list[str]] = {}
    for implementation, text in migration_reports().values():
        for block in CODE_BLOCK.findall(text):
            offered.setdefault(block, []).append(implementation)
    return {block: min(implementations, key=list(BACKENDS).index)
            for block, implementations in offered.items()}


RECIPES = recipes()


def recipe_id(block: str) -> str:
    return "+".join(DEFINED_FUNCTION.findall(block))


def entry_points(block: str) -> list[str]:
    """The functions of a block that a user calls: those no other function of it calls."""
    names = DEFINED_FUNCTION.findall(block)
    return [name for name in names
            if not re.search(rf"\b{name}\(", block.replace(f"def {name}(", ""))]


def free_names(block: str) -> set[str]:
    """The global names the block reads without defining or importing them."""
    module = symtable.symtable(block, "<recipe>", "exec")
    defined = {symbol.get_name() for symbol in module.get_symbols()
               if symbol.is_assigned() or symbol.is_imported()}
    read = set()
    pending = [module]
    while pending:
        table = pending.pop()
        pending += table.get_children()
        read |= {symbol.get_name() for symbol in table.get_symbols()
                 if symbol.is_referenced() and (symbol.is_global() or table is module)}
    return read - defined - set(dir(builtins))


def test_the_published_migrations_offer_recipes():
    """The reports these tests read are there and offer code: the tests below check something."""
    assert len(migration_reports()) >= 3
    assert len(RECIPES) >= 5


@pytest.mark.parametrize("block", RECIPES, ids=map(recipe_id, RECIPES))
class TestRecipeStandsAlone:
    def test_compiles(self, block):
        compile(block, "<recipe>", "exec")

    def test_reads_only_what_it_defines(self, block):
        """No helper of the suite (``stateful_model``, ``feed``, ``check``, ``models``): every
        name the code reads is defined or imported by the code itself, or a builtin."""
        assert set() == free_names(block)

    def test_imports_nothing_of_this_project(self, block):
        imports = re.findall(r"^\s*(?:from|import) (\w+)", block, re.MULTILINE)
        assert not {"suites", "fixtures", "harness", "tests"} & set(imports)

    def test_every_entry_point_has_a_usage(self, block):
        """A recipe this test would not call: add how a user applies it to USAGE."""
        calls = [USED_WITH.get(name, name) for name in entry_points(block)]
        assert calls and set(calls) <= set(USAGE)


def user_script(block: str) -> str:
    calls = dict.fromkeys(USED_WITH.get(name, name) for name in entry_points(block))
    return "\n".join(["import keras", "import numpy as np", "", "", block, textwrap.dedent(MODEL),
                      *(textwrap.dedent(USAGE[name]) for name in calls),
                      'print("recipe ran")'])


@pytest.mark.system
@pytest.mark.parametrize("block", RECIPES, ids=map(recipe_id, RECIPES))
def test_recipe_runs_in_a_users_script(block, tmp_path):
    """The recipe, the tiny model and its usage as one script, run in a fresh process on a
    backend whose migration report offers the recipe (its workaround check holds there)."""
    script = tmp_path / "user_script.py"
    script.write_text(user_script(block), encoding="utf-8")
    environment = {**os.environ, "KERAS_BACKEND": BACKENDS[RECIPES[block]],
                   "TF_CPP_MIN_LOG_LEVEL": "2"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=environment, cwd=tmp_path, timeout=300)
    assert 0 == done.returncode, done.stderr[-3000:]
    assert "recipe ran" in done.stdout
