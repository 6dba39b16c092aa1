"""The resets a check applies, as recipes: plain functions ``reset(model, layer)`` (and, for a
reset to given values, ``reset_to(layer, values)``) that a reset check takes as a parameter.

A workaround is the same check called with its own recipe in place of these (a walk over the
model's layers where Keras 3 has no ``model.reset_states()``). A recipe's docstring is the line a
user writes: the checks' messages quote it (``reset_code``).
"""


def model_reset_states(model, layer):
    """model.reset_states()"""
    model.reset_states()


def layer_reset_states(model, layer):
    """layer.reset_states()"""
    layer.reset_states()


def layer_reset_states_to(layer, values):
    """layer.reset_states(states=values)"""
    # One state array is passed bare, as a user of a one-state cell passes it.
    layer.reset_states(states=values if len(values) > 1 else values[0])


# The recipes by the case id that names them (``test_fresh[LSTM-model]``): for test modules to
# parametrise with; a check takes the recipe itself.
RESETS = {"layer": layer_reset_states, "model": model_reset_states}


def reset_code(recipe) -> str:
    """What ``recipe`` does, as a user writes it: the first line of its docstring."""
    return recipe.__doc__.strip().splitlines()[0]
