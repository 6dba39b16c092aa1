"""Checks of ``export.*``: a stateful model exported for serving (SavedModel, TFLite, ONNX) carries
its state from one serving call to the next, and can start a stream afresh.

Each check builds its own model (an export traces and may wrap it), feeds the exported artifact
consecutive chunks the way a server does, and compares what it answered with the NumPy cells run
over the chunks concatenated in time. A chunk answered as from the zero state is a dropped state,
told apart from a wrong value in the message. The optional packages each format needs are named
in ``PACKAGES``; the formats a Keras does not document for a backend in ``UNDOCUMENTED``: the test
module turns both into ``skipped``.
"""

import os
import re
import tempfile

import numpy as np

from fixtures import reference_cells, rnn

BATCH_SIZE = 3
CHUNKS = 3

# The importable modules each documented path needs beyond the backend, by format and backend
# (Keras 3.15 keras/src/export/: onnx.py converts with tf2onnx, jax2onnx or torch.onnx; litert.py
# with TensorFlow's converter, or litert_torch on torch). The interpreters: onnxruntime, and
# TensorFlow's tf.lite.Interpreter.
PACKAGES = {
    "saved-model": {"tensorflow": ("tensorflow",), "jax": ("tensorflow",),
                    "torch": ("tensorflow",)},
    "tflite": {"tensorflow": ("tensorflow",), "torch": ("litert_torch", "tensorflow")},
    "onnx": {"tensorflow": ("tf2onnx", "onnxruntime"), "jax": ("jax2onnx", "onnxruntime"),
             "torch": ("onnx", "onnxscript", "onnxruntime")},
}
# Paths a Keras does not document: (format, backend, Keras major) -> the documented reason.
UNDOCUMENTED = {
    ("tflite", "jax", 3): "Keras 3 exports LiteRT (TFLite) only with the TensorFlow or PyTorch "
                          "backend (Model.export docs; 'LiteRT export requires TensorFlow or "
                          "PyTorch backend')",
    ("onnx", "tensorflow", 2): "tf-keras's Model.export writes only a SavedModel: ONNX export "
                               "(format='onnx') is Keras 3's",
}


def keras_major(keras) -> int:
    return int(keras.__version__.split(".")[0])


# -- the documented export paths, as a user calls them -------------------------------------------
def export_saved_model(keras, model, path):
    """``model.export`` (Keras 3: ``format="tf_saved_model"``, the default; tf-keras 2.13 and
    later: no format argument, a SavedModel with a ``serve`` endpoint)."""
    if keras_major(keras) >= 3:
        model.export(path, format="tf_saved_model", verbose=False)
    else:
        model.export(path)


def export_tflite(keras, model, path):
    """Keras 3: ``model.export(format="litert")`` (resource variables enabled by Keras); tf-keras:
    the TFLite converter from the Keras model with resource variables enabled, as TensorFlow's
    guide to TFLite resource variables says."""
    if keras_major(keras) >= 3:
        model.export(path, format="litert", verbose=False)
        return
    import tensorflow as tf
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.experimental_enable_resource_variables = True
    with open(path, "wb") as file:
        file.write(converter.convert())


def export_onnx(keras, model, path):
    """``model.export(format="onnx")``, as the Keras export docs show."""
    model.export(path, format="onnx", verbose=False)


# -- what the checks compare ---------------------------------------------------------------------
def carried_and_fresh(cell, weights, chunks):
    """The NumPy cells' outputs for each chunk: carried over the chunks concatenated in time, and
    each chunk from the zero state."""
    sequence, _ = reference_cells.run_sequence(cell, weights, rnn.as_streams(chunks))
    carried = np.split(sequence, len(chunks), axis=1)
    fresh = [reference_cells.run_sequence(cell, weights, chunk)[0] for chunk in chunks]
    return carried, fresh


def streamed(check, cell, weights, chunks, outputs, served_by):
    """``outputs`` (one per chunk, as the artifact answered) carry the state as the NumPy cells do,
    and later chunks are not answered as from the zero state."""
    carried, fresh = carried_and_fresh(cell, weights, chunks)
    check.same_count(f"outputs of {served_by}, one per chunk", outputs, carried)
    check.close(f"output of {served_by} for chunk 1 (from the zero state)", outputs[0],
                carried[0], expected_what="the NumPy reference from zeros")
    for k in range(1, len(chunks)):
        from_zero = np.max(np.abs(np.asarray(outputs[k]) - fresh[k]), initial=0.0)
        dropped = from_zero <= 1e-4 < np.max(np.abs(np.asarray(outputs[k]) - carried[k]))
        check.that(not dropped,
                   f"{served_by} answered chunk {k + 1} as from the zero state (within "
                   f"{from_zero:.2g}): the state of the earlier chunks was dropped",
                   f"chunk {k + 1} starts from the state chunk {k} left")
        check.close(f"output of {served_by} for chunk {k + 1}", outputs[k], carried[k],
                    expected_what="the NumPy reference carried over the chunks")


def reason_of(error) -> str:
    """An exception in one line: Keras's call errors put a generic line first, the reason in bold
    (terminal escapes) and the arguments after it."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(error)).split("Arguments received")[0]
    reason = " ".join(line.strip() for line in text.splitlines()
                      if line.strip() and not line.startswith("Exception encountered"))
    return f"{type(error).__name__}: {reason}"[:500]


def built(keras, check, cell):
    """A stateful model of ``cell`` at ``BATCH_SIZE`` and its layer, which must keep a state."""
    model = rnn.stateful_model(keras, cell, BATCH_SIZE)
    layer = rnn.rnn_layers(model)[0]
    check.layer_states(layer)
    # A user exports a model that has run (Keras 3's ONNX export refuses one never called), and
    # the stream starts from zeros: assigned, as reset_states() is under test elsewhere.
    model(np.zeros((BATCH_SIZE, rnn.TIMESTEPS, rnn.FEATURES), "float32"))
    for variable in rnn.state_variables(layer):
        variable.assign(np.zeros(variable.shape, "float32"))
    return model, layer


# -- the checks ----------------------------------------------------------------------------------
def saved_model_carry(keras, check, rng, cell):
    """A SavedModel loaded with tf.saved_model.load carries the state from one ``serve`` call to
    the next, as the NumPy cells do."""
    import tensorflow as tf
    model, layer = built(keras, check, cell)
    chunks = rnn.batches(rng, BATCH_SIZE, CHUNKS)
    with tempfile.TemporaryDirectory() as folder:
        export_saved_model(keras, model, os.path.join(folder, "exported"))
        loaded = tf.saved_model.load(os.path.join(folder, "exported"))
        outputs = [np.asarray(loaded.serve(chunk)) for chunk in chunks]
    streamed(check, cell, layer.get_weights(), chunks, outputs, "the loaded SavedModel's serve")


def saved_model_reset(keras, check, rng, cell, export=export_saved_model):
    """The loaded SavedModel offers a reset (a ``reset_states`` endpoint, or its state variables
    among ``variables``), after which the next chunk is answered as from the zero state."""
    import tensorflow as tf
    model, layer = built(keras, check, cell)
    weights = layer.get_weights()
    chunks = rnn.batches(rng, BATCH_SIZE, CHUNKS)
    carried, fresh = carried_and_fresh(cell, weights, chunks)
    _, carried_state = reference_cells.run_sequence(cell, weights, rnn.as_streams(chunks[:2]))
    with tempfile.TemporaryDirectory() as folder:
        try:
            export(keras, model, os.path.join(folder, "exported"))
        except Exception as error:
            if export is not export_saved_model:
                raise  # a workaround's own export failing is that workaround's failure
            # The documented export failing leaves no artifact to reset: the carry claim's.
            check.precondition(False, "the model exported as a SavedModel", reason_of(error),
                               failing="export.saved-model.carry")
        loaded = tf.saved_model.load(os.path.join(folder, "exported"))
        outputs = [np.asarray(loaded.serve(chunk)) for chunk in chunks[:2]]
        check.precondition(
            np.max(np.abs(outputs[1] - carried[1]), initial=0.0) <= 1e-4,
            "the second serve call carrying the state of the first, as the NumPy cells",
            f"it differs from them by {np.max(np.abs(outputs[1] - carried[1])):.3g}",
            failing="export.saved-model.carry")
        if hasattr(loaded, "reset_states"):
            loaded.reset_states()
            how = "its reset_states endpoint"
        else:
            # Reachable state variables: those holding the state the serve calls carried.
            holding = [variable for variable in loaded.variables
                       if any(tuple(variable.shape) == state.shape
                              and np.allclose(np.asarray(variable), state, atol=1e-4)
                              for state in carried_state)]
            check.that(len(holding) == len(carried_state),
                       f"the loaded SavedModel has no reset_states endpoint, and "
                       f"{len(holding)} of its variables "
                       f"({', '.join(v.name for v in loaded.variables)}) hold the "
                       f"{len(carried_state)} state arrays its serve calls carried: nothing "
                       "can start a stream afresh",
                       "a reset endpoint, or the state variables among the loaded variables")
            for variable in holding:
                variable.assign(tf.zeros_like(variable))
            how = "zeros assigned to its state variables"
        after_reset = np.asarray(loaded.serve(chunks[2]))
    check.close(f"output of the loaded SavedModel's serve after {how}", after_reset, fresh[2],
                expected_what="the NumPy reference from zeros")


def tflite_carry(keras, check, rng, cell):
    """The TFLite model carries the state across ``invoke`` calls, and ``reset_all_variables()``
    starts afresh."""
    import tensorflow as tf
    model, layer = built(keras, check, cell)
    weights = layer.get_weights()
    chunks = rnn.batches(rng, BATCH_SIZE, CHUNKS)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.tflite")
        export_tflite(keras, model, path)
        interpreter = tf.lite.Interpreter(model_path=path)
    (given,), (answer,) = interpreter.get_input_details(), interpreter.get_output_details()
    # Keras 3 exports the batch dimension as unknown (-1): the server sets it.
    interpreter.resize_tensor_input(given["index"], chunks[0].shape)
    interpreter.allocate_tensors()

    def invoke(chunk):
        interpreter.set_tensor(given["index"], chunk)
        interpreter.invoke()
        return np.array(interpreter.get_tensor(answer["index"]), copy=True)

    outputs = [invoke(chunk) for chunk in chunks]
    streamed(check, cell, weights, chunks, outputs, "the TFLite interpreter's invoke")
    interpreter.reset_all_variables()
    after_reset = invoke(chunks[1])
    _, fresh = carried_and_fresh(cell, weights, chunks)
    # Told apart in the message: a reset that left the state as it was continues the stream.
    continued, _ = reference_cells.run_sequence(cell, weights, rnn.as_streams([*chunks, chunks[1]]))
    check.that(np.max(np.abs(after_reset - continued[:, -rnn.TIMESTEPS:])) > 1e-4,
               "after reset_all_variables() invoke continued the stream: the state was not reset",
               "reset_all_variables() returns the state to zeros")
    check.close("output of invoke after reset_all_variables()", after_reset, fresh[1],
                expected_what="the NumPy reference from zeros")


def onnx_carry(keras, check, rng, cell, export=export_onnx):
    """The ONNX model run with onnxruntime carries the state, or takes it as inputs and returns it
    as outputs (inputs after the first fed with the outputs after the first, zeros at the start)."""
    import onnxruntime
    model, layer = built(keras, check, cell)
    chunks = rnn.batches(rng, BATCH_SIZE, CHUNKS)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.onnx")
        export(keras, model, path)
        session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    data, *state_inputs = session.get_inputs()
    states = [np.zeros([d if isinstance(d, int) else BATCH_SIZE for d in given.shape], "float32")
              for given in state_inputs]
    outputs = []
    for chunk in chunks:
        answer, *states = session.run(
            None, {data.name: chunk, **{given.name: state
                                        for given, state in zip(state_inputs, states)}})
        check.that(len(states) == len(state_inputs),
                   f"the ONNX model takes {len(state_inputs)} state inputs and returns "
                   f"{len(states)} state outputs",
                   "as many state outputs as state inputs")
        outputs.append(answer)
    served_by = ("onnxruntime" + (f" (the state fed back through {len(state_inputs)} inputs)"
                                  if state_inputs else ""))
    streamed(check, cell, layer.get_weights(), chunks, outputs, served_by)
