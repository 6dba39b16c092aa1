"""The workarounds as a user writes them in their own code: plain functions of ``keras`` (passed
in, so they run on Keras 2 and 3 alike), NumPy and their arguments, nothing of this suite.

Each docstring says what the recipe replaces and where it is needed; the migration reports show
these functions verbatim, and the workaround checks (suites/claims.py, ``WORKAROUNDS``) run them,
so what a report offers is what was verified. The last section adapts a recipe to the
``reset(model, layer)`` / ``reset_to(layer, values)`` form the reset checks take
(suites/checks/resets.py): each adapter's docstring is the line a user writes.
"""

import numpy as np


# -- resets: Keras 3 has no model.reset_states(); RNN over stacked cells cannot reset itself ------
def state_variables_of(layer):
    """``layer.states`` as a flat list of variables (RNN over stacked cells nests them per cell)."""
    def flatten(value):
        if value is None:
            return []
        if isinstance(value, (list, tuple)):
            return [leaf for item in value for leaf in flatten(item)]
        return [value]
    return flatten(layer.states)


def stateful_layers(layer):
    """Every stateful recurrent layer inside ``layer``: nested models and Sequential, both halves
    of Bidirectional, the layer a wrapper holds, ``RNN`` over stacked cells."""
    if hasattr(layer, "forward_layer") and hasattr(layer, "backward_layer"):
        return stateful_layers(layer.forward_layer) + stateful_layers(layer.backward_layer)
    found = []
    for inner in getattr(layer, "layers", None) or []:  # a Model or a Sequential
        found += stateful_layers(inner)
    wrapped = getattr(layer, "layer", None)  # TimeDistributed and other wrappers
    if wrapped is not None and wrapped is not layer and not found:
        found += stateful_layers(wrapped)
    if getattr(layer, "stateful", False) and hasattr(layer, "cell"):
        found.append(layer)
    return found


def zero_states(layer):
    """In place of layer.reset_states() where it raises (RNN over stacked cells, on every Keras):
    zeros assigned to every state variable of ``layer``."""
    for variable in state_variables_of(layer):
        variable.assign(np.zeros(tuple(variable.shape), dtype="float32"))


def reset_all_states(model):
    """In place of model.reset_states(), which Keras 3 removed: zeros assigned to every state of
    every stateful layer found by walking the model (nested models, both halves of Bidirectional,
    RNN over stacked cells). Needed on Keras 3 (every backend); works on Keras 2 too."""
    for layer in stateful_layers(model):
        zero_states(layer)


def assign_states(layer, values):
    """In place of layer.reset_states(states=values), which Keras 3 removed: each value assigned
    to the matching variable of layer.states. Needed on Keras 3 (every backend)."""
    variables = state_variables_of(layer)
    if len(variables) != len(values):
        raise ValueError(f"{len(variables)} state variables, {len(values)} values")
    for variable, value in zip(variables, values):
        variable.assign(np.asarray(value, dtype="float32"))


def reset_to_initial_states(model, batch_size):
    """In place of reset_states() for cells with their own get_initial_state, which a reset
    ignores (it assigns zeros; tensorflow/tensorflow#42193): the state each cell starts from,
    assigned to every stateful layer of ``model`` (a model or one layer). Needed on every Keras."""
    for layer in stateful_layers(model):
        try:  # Keras 2: get_initial_state(inputs=None, batch_size=None, dtype=None)
            initial = layer.cell.get_initial_state(inputs=None, batch_size=batch_size,
                                                   dtype="float32")
        except TypeError:  # Keras 3: get_initial_state(batch_size)
            initial = layer.cell.get_initial_state(batch_size=batch_size)
        flat = list(initial) if isinstance(initial, (list, tuple)) else [initial]
        assign_states(layer, [np.asarray(value) for value in flat])


# -- building and feeding ----------------------------------------------------------------------
def sequential_with_batch_shape(keras, batch_shape, layers):
    """In place of ``batch_input_shape=`` on the first layer of a Sequential model, which Keras 3
    no longer accepts: keras.Input(batch_shape=...) as the model's first entry, which fixes the
    batch size a stateful layer needs. Needed on Keras 3 (every backend); works on Keras 2."""
    return keras.Sequential([keras.Input(batch_shape=batch_shape), *layers])


def call_batch_by_batch(model, batches):
    """In place of model.predict(x, batch_size=...) for inference where predict carries no state
    (Keras 3 on JAX: only direct calls carry it): model(batch), batch after batch, in order."""
    return [model(batch) for batch in batches]


def trim_to_whole_batches(x, batch_size):
    """Where the sample count is not a multiple of a stateful model's fixed batch size (Keras 3
    answers a partial last batch instead of refusing it): the partial last batch dropped.
    Returns the data and how many samples are real (all of them)."""
    whole = len(x) - len(x) % batch_size
    return x[:whole], whole


def pad_to_whole_batches(x, batch_size):
    """As trim_to_whole_batches, but keeping every sample: zero rows appended up to a whole
    batch (their outputs are to be ignored). Returns the data and how many samples are real."""
    missing = (-len(x)) % batch_size
    return np.concatenate([x, np.zeros((missing,) + x.shape[1:], x.dtype)]), len(x)


def whole_batches_dataset(x, batch_size):
    """As trim_to_whole_batches, with tf.data: the partial last batch dropped by
    ``batch(..., drop_remainder=True)`` (TensorFlow installed). Returns the dataset and how many
    samples it holds."""
    import tensorflow as tf
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(batch_size, drop_remainder=True)
    return dataset, len(x) - len(x) % batch_size


# -- training with the state as explicit inputs and outputs --------------------------------------
def explicit_state_models(keras, cell, batch_size, timesteps, features, units, optimizer,
                          head=None):
    """In place of a stateful layer in training, where training it raises (Keras 3 on torch:
    keras-team/keras#20875) or fit carries no state (Keras 3 on JAX): the state as explicit
    inputs and outputs of a stateless layer with ``return_state=True``. ``step`` maps
    (x, *state) to the state after x, ``train`` (x, *state) to the outputs (the layer's
    sequence, through ``head(sequence)`` if given: the rest of the model); both share the layer,
    ``train`` is compiled with ``optimizer`` and the mean squared error. Returns
    (layer, step, train); the caller carries the state (train_carrying_state)."""
    inputs = keras.Input(batch_shape=(batch_size, timesteps, features))
    state_inputs = [keras.Input(batch_shape=(batch_size, units))
                    for _ in range(2 if cell == "LSTM" else 1)]
    layer = getattr(keras.layers, cell)(units, stateful=False, return_sequences=True,
                                        return_state=True)
    sequence, *final = layer(inputs, initial_state=state_inputs)
    step = keras.Model([inputs, *state_inputs], final)
    train = keras.Model([inputs, *state_inputs], sequence if head is None else head(sequence))
    train.compile(optimizer=optimizer, loss="mse")
    return layer, step, train


def train_carrying_state(step, train, batches, targets, state):
    """The training loop of explicit_state_models, one train_on_batch per batch, the state carried
    by hand: the state after each batch is computed before that batch's update (as a stateful
    layer's forward pass does), then the weights are updated from the state the batch started
    with. Returns the state after every batch and the losses."""
    states, losses = [], []
    for batch, target in zip(batches, targets):
        following = step.predict_on_batch([batch, *state])
        following = [np.asarray(s) for s in (following if isinstance(following, (list, tuple))
                                             else [following])]
        loss = train.train_on_batch([batch, *state], target)
        losses.append(float(np.asarray(loss).reshape(-1)[0]))
        states.append(following)
        state = following
    return states, losses


# -- validation apart from a stateful model's training state -----------------------------------
def separate_validation(keras, x_val, y_val, batch_size):
    """In place of fit(validation_data=...), whose validation runs through the stateful layers
    from the training state and leaves its own state to the next epoch (keras-team/keras#2849),
    and answers a partial validation batch (keras-team/keras#9036): a callback that validates at
    the end of each epoch outside fit's own validation. It saves every state of every stateful
    layer, starts the validation from zeros, evaluates the validation data trimmed to whole
    batches and puts the training state back. ``val_losses`` lists the validation losses (also
    written to the epoch's logs as ``val_loss``). Needed on every Keras."""
    x_val, whole = trim_to_whole_batches(x_val, batch_size)
    y_val = y_val[:whole]

    class SeparateValidation(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.val_losses = []

        def on_epoch_end(self, epoch, logs=None):
            variables = [v for layer in stateful_layers(self.model)
                         for v in state_variables_of(layer)]
            saved = [np.array(variable, copy=True) for variable in variables]
            reset_all_states(self.model)
            loss = self.model.evaluate(x_val, y_val, batch_size=batch_size, verbose=0)
            for variable, value in zip(variables, saved):
                variable.assign(value)
            self.val_losses.append(float(np.ravel(loss)[0]))
            if logs is not None:
                logs["val_loss"] = self.val_losses[-1]

    return SeparateValidation()



# -- exports for serving (suites/checks/export.py calls them in place of the documented export)

def export_with_reset_endpoint(keras, model, path):
    """A SavedModel with a ``serve`` endpoint and a ``reset_states`` endpoint that assigns zeros to
    every state variable, which the archive tracks as the ``states`` variable collection (they
    are not among the model's variables on Keras 3)."""
    import tensorflow as tf
    states = [variable for layer in stateful_layers(model)
              for variable in state_variables_of(layer)]
    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_variable_collection("states", states)
    # The declared batch size, not an unknown one: a stateful layer accepts no other.
    archive.add_endpoint("serve", model.call,
                         input_signature=[tf.TensorSpec(model.inputs[0].shape, "float32")])

    @tf.function(input_signature=[])
    def reset_states():
        for variable in states:
            variable.assign(tf.zeros(variable.shape, variable.dtype))
        return tf.constant(True)

    archive.add_endpoint("reset_states", reset_states)
    if int(keras.__version__.split(".")[0]) >= 3:
        archive.write_out(path, verbose=False)
    else:
        archive.write_out(path)  # tf-keras's has no verbose argument


def export_onnx_explicit_state(keras, model, path):
    """A stateless twin of the model's stateful layer, with the same weights, that takes the state
    as inputs (``initial_state``) and returns the final state (``return_state=True``), exported
    to ONNX: the server feeds each call's state outputs to the next call."""
    layer = stateful_layers(model)[0]
    config = layer.get_config()
    config.update(stateful=False, return_state=True)
    batch_size, timesteps, features = model.inputs[0].shape
    inputs = keras.Input(batch_shape=(batch_size, timesteps, features))
    states = [keras.Input(batch_shape=(batch_size, layer.units))
              for _ in state_variables_of(layer)]
    twin = keras.Model([inputs, *states],
                       type(layer).from_config(config)(inputs, initial_state=states))
    twin.set_weights(model.get_weights())
    # Keras's ONNX export refuses a model never called.
    twin([np.zeros(tuple(given.shape), "float32") for given in twin.inputs])
    twin.export(path, format="onnx", verbose=False)


# -- the recipes as the reset checks take them: reset(model, layer), reset_to(layer, values) ----
def reset_all_states_of_model(model, layer):
    """reset_all_states(model)"""
    reset_all_states(model)


def zero_states_of_layer(model, layer):
    """zero_states(layer)"""
    zero_states(layer)


def assign_states_of_layer(layer, values):
    """assign_states(layer, values)"""
    assign_states(layer, values)


def reset_layer_to_initial_states(model, layer):
    """reset_to_initial_states(layer, batch_size)"""
    reset_to_initial_states(layer, state_variables_of(layer)[0].shape[0])


def reset_model_to_initial_states(model, layer):
    """reset_to_initial_states(model, batch_size)"""
    reset_to_initial_states(model, state_variables_of(layer)[0].shape[0])
