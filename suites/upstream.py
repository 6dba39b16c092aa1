"""Upstream threads: per finding on the latest releases, the public issues that track it.

A finding is a claim of the catalogue that does not hold on a built-in implementation. Each
entry below was looked up on 2026-12-01 with the project's issue search (GitHub issues and pull
requests of keras-team/keras, keras-team/tf-keras, tensorflow/tensorflow and others), with the
queries kept in ``searched``; only threads that were found and read are listed, with the state
they had then. A thread ``tracks`` the finding (the same behaviour reported) or is ``related``
(an earlier form of it, a fix that did not cover this case, the docs that promise it). A finding
with no tracking thread is "not found upstream": ``python -m harness issue`` drafts a report for
it, and the reports say so beside the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

CHECKED = "2026-12-01"
KERAS_3 = ("keras-tensorflow", "keras-jax", "keras-torch")
NOT_FOUND = "not found upstream"


@dataclass(frozen=True)
class Thread:
    repository: str
    number: int
    title: str
    state: str  # open, closed or merged, as of CHECKED
    relation: str = "tracks"  # or "related"
    note: str = ""
    pull: bool = False

    @property
    def url(self) -> str:
        kind = "pull" if self.pull else "issues"
        return f"https://github.com/{self.repository}/{kind}/{self.number}"

    @property
    def label(self) -> str:
        return f"{self.repository}#{self.number}"

    def markdown(self, relation: bool = True) -> str:
        """One line: link, state, title, and how it relates."""
        kind = "pull request" if self.pull else "issue"
        text = f"[{self.label}]({self.url}) ({kind}, {self.state}): {self.title}"
        if relation and self.relation != "tracks":
            text += f" ({self.relation})"
        return text + (f"; {self.note}" if self.note else "")


@dataclass(frozen=True)
class Finding:
    claim: str
    implementations: tuple[str, ...]
    threads: tuple[Thread, ...] = ()
    searched: tuple[str, ...] = ()
    note: str = ""
    checked: str = CHECKED

    @property
    def tracking(self) -> tuple[Thread, ...]:
        return tuple(thread for thread in self.threads if thread.relation == "tracks")

    @property
    def found(self) -> bool:
        return bool(self.tracking)


# -- the threads, each found with the issue search and read -------------------------------------
DOCS_OUTDATED = Thread(
    "keras-team/keras", 20327, "Outdated documentation regarding Stateful RNNs", "closed",
    note="the RNN docs still said batch_input_shape=(...) and model.reset_states() on Keras 3")
BATCH_INPUT_SHAPE = Thread(
    "keras-team/keras", 20106,
    "Unrecognized keyword arguments passed to LSTM: {'batch_input_shape'", "closed",
    note="answered: Keras 2 usage; pass Input(batch_shape=...) instead")
TF_STATEFUL_BATCH = Thread(
    "tensorflow/tensorflow", 86310, "Stateful LSTM bug with batch size", "closed",
    note="TF 2.18: batch_input_shape not recognised and model.reset_states() broken")
TF_KERAS_MODEL_RESET = Thread(
    "keras-team/tf-keras", 61,
    "Missing methods to easily access reset_state and states within keras.Model", "closed",
    relation="related", note="the walk over the layers (Bidirectional halves included) users "
    "write instead of a model-level reset")
TORCH_INPLACE = Thread(
    "keras-team/keras", 20875, "Inplace modification error during back propagation when "
    "training a stateful LSTM using PyTorch as backend", "closed",
    note="closed by the fix below, yet training a stateful layer still raises it on CPU")
TORCH_INPLACE_FIX = Thread(
    "keras-team/keras", 20916,
    "Fix PyTorch stateful RNN/LSTM gradient computation error resolves #20875", "merged",
    relation="related", pull=True, note="clones the state in RNN.inner_loop's step()")
TORCH_CUDNN = Thread(
    "keras-team/keras", 23462, "Torch backend: stateful GRU using cuDNN fails during backward "
    "due to an in-place state update", "closed", relation="related",
    note="the same error on the cuDNN path (GPU); Keras 3.15.1")
TORCH_CUDNN_FIX = Thread(
    "keras-team/keras", 23464,
    "Fix Torch stateful GRU/LSTM cuDNN backward in-place state update", "merged",
    relation="related", pull=True, note="covers the optimized GPU path only")
TF_MULTILAYER = Thread(
    "tensorflow/tensorflow", 28614,
    "Keras RNN example from docs does not support statefulness when multilayer", "closed",
    relation="related", note="TF 1.13: RNN([cell, cell], stateful=True) raised when built")
TORCH_STEPS = Thread(
    "keras-team/keras", 23234, "Support steps_per_execution > 1 in PyTorch backend", "merged",
    pull=True, note="merged in July 2026; Keras 3.15.1 on torch still refuses "
    "steps_per_execution=2")
OLD_PARTIAL_BATCH = Thread(
    "keras-team/keras", 9036, "ValueError: In a stateful network, you should only pass inputs "
    "with a number of samples...", "closed", relation="related",
    note="Keras 2.1 refused a partial batch with this error")
KERAS1_VALIDATION_SPLIT = Thread(
    "keras-team/keras", 1853, "input size must be a multiple of batch_input_shape : after "
    "validation split", "closed", relation="related",
    note="Keras 1: a validation split that left a partial batch raised an error, as documented "
    "for stateful networks")
BATCH_MISMATCH = Thread(
    "keras-team/keras", 21183,
    "stateful=True RNN silently broadcasts input when batch_size mismatch occurs", "open",
    relation="related", note="Keras 3, TF backend: a direct call with another batch size was "
    "accepted silently; the check added for it (#21742) does not stop a last partial batch of "
    "predict, evaluate or fit on 3.15.1")
BATCH_MISMATCH_FIX = Thread(
    "keras-team/keras", 21742, "Raise exception on batch_size mismatch for stateful RNNs",
    "merged", relation="related", pull=True,
    note="in Keras 3.12 and later; it checks the batch size only where it is known when the "
    "call is traced (not None), and a last partial batch still passes on 3.15.1")
TF_INITIAL_STATE = Thread(
    "tensorflow/tensorflow", 42193,
    "Keras RNNs do not respect get_initial_state if stateful=True", "closed", relation="related",
    note="TF 2.3: a stateful RNN started from zeros despite the cell's get_initial_state; a "
    "freshly built layer now starts from it, the reset still assigns zeros")
SPIKING_RESET = Thread(
    "nengo/keras-spiking", 12, "Reset layer states to get_initial_state", "merged",
    relation="related", pull=True,
    note="a downstream library overriding reset_states() because the Keras reset assigns zeros")
MIXED_PRECISION_BUILD = Thread(
    "keras-team/keras", 20605, "Mixed-precision stateful LSTM/GRU training not working",
    "closed", relation="related", note="Keras 3.7: a stateful LSTM or GRU under mixed_float16 "
    "failed to build (a float16 initial state for a float32 variable)")
TF_KERAS_MIXED_PRECISION = Thread(
    "keras-team/keras", 15140, "Mixed precision not working with stateful LSTM/GRU", "closed",
    relation="related", note="TF 2.5: the same build error; closed after a maintainer's fix")
TF_BIDIRECTIONAL_RESET = Thread(
    "tensorflow/tensorflow", 34055,
    "model.reset_states() does not work for bidirectional-RNNs in tf.keras.", "closed",
    relation="related", note="TF 2.0: the model reset left a Bidirectional layer's states")
TF_BIDIRECTIONAL_RESET_22 = Thread(
    "tensorflow/tensorflow", 38403,
    "model.reset_states() does not work for bidirectional-RNNs in tf.keras", "closed",
    relation="related", note="TF 2.2: the model reset raised AttributeError in the "
    "Bidirectional wrapper")
TF_CONVLSTM_RESET = Thread(
    "tensorflow/tensorflow", 48863, "Stateful ConvLSTM2D reset_states() throws error", "closed",
    relation="related", note="TF 2.4: ConvLSTM2D.reset_states() raised TypeError")


def related(*threads: Thread) -> tuple[Thread, ...]:
    """The same threads as ``related``: they track another part of a finding (a finding whose
    other cases nothing tracks stays "not found upstream")."""
    return tuple(replace(thread, relation="related") for thread in threads)


JAX_SEARCHES = (
    "JAX backend stateful LSTM does not keep state between batches predict fit",
    "keras 3 jax stateful RNN states not updated after predict_on_batch zeros",
    "stateful=True LSTM KERAS_BACKEND=jax state is not carried, same results as stateless",
)
JAX_NOTE = ("on keras-jax the state variables stay zero through predict_on_batch, predict, "
            "evaluate and fit: nothing carries")
RESET_SEARCHES = (
    "Keras 3 model.reset_states AttributeError Functional object has no attribute reset_states",
    "Keras 3 Sequential object has no attribute reset_states stateful LSTM",
)
TORCH_SEARCHES = (
    "torch backend stateful LSTM training one of the variables needed for gradient computation "
    "has been modified by an inplace operation",
)
EQUAL_BATCHES_SEARCHES = (
    "stateful LSTM predict last partial batch padded silently batch size not divisible",
    "stateful model predict does not raise error when number of samples not multiple of "
    "batch size keras 3",
)
EQUAL_BATCHES_NOTE = "predict, evaluate and fit accept a last partial batch silently"
RESET_THREADS = (DOCS_OUTDATED, TF_STATEFUL_BATCH, TF_KERAS_MODEL_RESET)
TORCH_THREADS = (TORCH_INPLACE, TORCH_INPLACE_FIX, TORCH_CUDNN, TORCH_CUDNN_FIX)
TORCH_NOTE = "training a stateful layer (train_on_batch, fit) raises the in-place error on CPU"
MODEL_RESET_NOTE = ("only the model-reset cases fail: Keras 3 models have no reset_states() "
                    "(see reset.model)")
VALIDATION_SEARCHES = (
    "stateful model fit validation_data last partial batch no error batch size mismatch",
    "stateful RNN batch size different from state batch size no error Keras 3 silently",
    "Raise exception on batch_size mismatch for stateful RNNs",
)
CUSTOM_INITIAL_SEARCHES = (
    "stateful RNN reset_states ignores custom get_initial_state cell, resets to zeros",
    "keras 3 reset_states stateful RNN custom cell get_initial_state zeros after reset",
    "RNN.reset_state assigns zeros_like instead of cell get_initial_state",
)
MIXED_PRECISION_SEARCHES = (
    "torch backend mixed_float16 stateful LSTM states not updated remain zero",
    "keras torch backend stateful LSTM GRU mixed precision float16 state not carried between "
    "batches",
    "Mixed-precision stateful LSTM/GRU training not working Keras 3 fix",
)
TORCH_MIXED_NOTE = ("under mixed_float16 a stateful LSTM or GRU on keras-torch stores no state: "
                    "its state stays zero through call, predict, evaluate and fit, so the reset "
                    "cannot be observed")

# Deployment (export and distribution), looked up on 2026-12-07.
DYNAMIC_EXPORT = Thread(
    "keras-team/keras", 19462, "Add support for dynamic dimensions with model export.", "merged",
    relation="related", pull=True,
    note="made the batch dimension dynamic in model.export, which a stateful layer refuses on JAX "
         "and torch")
JAX2TF_EXPORT = Thread(
    "keras-team/keras", 19048, "JAX backend - exporting to TF savedmodel via JAX2TF errors",
    "closed", relation="related")
TORCH_ONNX_BATCH = Thread(
    "keras-team/keras", 22076, "Symbolic shapes ignored when exporting to ONNX with Torch backend",
    "closed", relation="related", note="an unknown batch dimension baked in as 1")
TORCH_DYNAMIC = Thread("keras-team/keras", 22041, "Torch dynamic shapes", "merged",
                       relation="related", pull=True)
PURE_TF_STATEFUL = Thread(
    "keras-team/keras", 6321, "Stateful LSTM in pure Tensorflow after training with Keras",
    "closed", relation="related")
MULTI_GPU_STATEFUL = Thread(
    "keras-team/keras", 8397, "multi_gpu_model doesn't work with stateful models", "closed",
    relation="related")
SERVING_STATEFUL = Thread("tensorflow/serving", 724, "Add support for stateful models", "closed",
                          relation="related")
TFLITE_RESET = Thread(
    "tensorflow/tensorflow", 47813, "Tensorflow lite lstm/bilstm reset variables why needed ?",
    "closed", relation="related")
TFLITE_RESET_ANDROID = Thread(
    "tensorflow/tensorflow", 26786,
    "[tflite][java] Interpreter.reset_all_variables() is not supported on Android.", "closed",
    relation="related")
TF_DISTRIBUTE_STATEFUL = Thread(
    "tensorflow/tensorflow", 39098,
    "Feature request for supporting stateful RNN with tf.distribute.Strategy", "closed")
KERAS_ONNX_STATEFUL = Thread(
    "onnx/keras-onnx", 620, "Behaviour of stateful RNN/LSTM/GRU in onnx", "open",
    relation="related")
ONNX_STATEFUL = Thread("onnx/onnx", 3190, "Stateful recursive models in ONNX", "closed",
                       relation="related")
TF2ONNX_ASSIGN = Thread(
    "onnx/tensorflow-onnx", 1152,
    "ValueError: Input 0 of node StatefulPartitionedCall was passed float", "closed",
    relation="related", note="tf2onnx strips variable assignments; the state as extra inputs "
                             "and outputs")
EXPORT_SEARCHES = (
    "stateful LSTM export SavedModel reset states serving",
    "model.export stateful RNN batch size jax torch",
    "stateful RNN onnx export state dropped",
    "TFLite stateful LSTM reset_all_variables",
    "stateful RNN tf.distribute MirroredStrategy batch size",
)


FINDINGS = [
    Finding("export.saved-model.carry", ("keras-jax", "keras-torch"),
            (DYNAMIC_EXPORT, JAX2TF_EXPORT, TORCH_DYNAMIC), EXPORT_SEARCHES,
            note="the export traces an unknown batch dimension, which a stateful layer refuses"),
    Finding("export.saved-model.reset", ("keras-tensorflow", "tf-keras"),
            (SERVING_STATEFUL, PURE_TF_STATEFUL), EXPORT_SEARCHES),
    Finding("export.tflite.carry", ("keras-tensorflow", "tf-keras"),
            (TFLITE_RESET, TFLITE_RESET_ANDROID), EXPORT_SEARCHES),
    Finding("export.onnx.carry", ("keras-tensorflow",),
            (KERAS_ONNX_STATEFUL, ONNX_STATEFUL, TF2ONNX_ASSIGN), EXPORT_SEARCHES),
    Finding("export.onnx.carry", ("keras-jax", "keras-torch"),
            (DYNAMIC_EXPORT, TORCH_ONNX_BATCH), EXPORT_SEARCHES),
    Finding("distribute.carry", ("tf-keras",), (TF_DISTRIBUTE_STATEFUL,), EXPORT_SEARCHES),
    Finding("distribute.carry", ("keras-tensorflow",), (MULTI_GPU_STATEFUL,), EXPORT_SEARCHES,
            note="each replica receives half the global batch, which the stateful layer refuses"),
    Finding("distribute.carry", ("keras-jax",), (), JAX_SEARCHES, JAX_NOTE),
    Finding("reset.model", KERAS_3,
            RESET_THREADS, RESET_SEARCHES, note="Keras 3 models have no reset_states()"),
    Finding("reset.fresh", ("keras-tensorflow", "keras-torch"),
            (DOCS_OUTDATED, TF_STATEFUL_BATCH), RESET_SEARCHES,
            note="the model-level reset the claim uses is gone (see reset.model)"),
    Finding("reset.with-values", KERAS_3, (), (
        "Keras 3 reset_states states argument unexpected keyword argument 'states' stateful RNN",
    ), note="RNN.reset_states() takes no states on Keras 3; no Keras 3 thread found"),
    Finding("setup.batch-size-required", KERAS_3,
            (BATCH_INPUT_SHAPE, DOCS_OUTDATED, TF_STATEFUL_BATCH),
            ("Keras 3 batch_input_shape Unrecognized keyword arguments passed to LSTM stateful",)),
    Finding("setup.equal-batches", KERAS_3,
            (BATCH_MISMATCH, BATCH_MISMATCH_FIX, OLD_PARTIAL_BATCH), EQUAL_BATCHES_SEARCHES
            + VALIDATION_SEARCHES[1:], note=EQUAL_BATCHES_NOTE),
    Finding("setup.equal-batches", ("tf-keras",), (OLD_PARTIAL_BATCH,), EQUAL_BATCHES_SEARCHES,
            note=EQUAL_BATCHES_NOTE),
    Finding("reset.stacked-cells", ("keras-tensorflow", "keras-torch"), (TF_MULTILAYER,), (
        "stateful RNN stacked cells ListWrapper object has no attribute assign reset_states",
        "Keras 3 StackedRNNCells stateful=True reset_states error list of cells",
        "keras 3 torch backend stateful RNN states list object has no attribute assign",
    ), note="RNN([cell, cell], stateful=True) keeps its states in a list with no assign()"),
    Finding("reset.stacked-cells", ("keras-jax",), (TF_MULTILAYER,), JAX_SEARCHES, JAX_NOTE),
    *(Finding(claim, ("keras-jax",), (), JAX_SEARCHES, JAX_NOTE) for claim in (
        "carry.index-i", "carry.rows-isolated", "carry.long-range", "carry.stacked",
        "carry.across-epochs", "reset.fresh", "setup.shuffle-false", "learn.cross-batch",
        "carry.unroll", "carry.go-backwards", "carry.compiled-vs-eager",
        "dropout.inference-carry", "carry.steps-per-execution", "bidirectional.carry",
        "bidirectional.reset", "mask.keeps-state", "sequence.any-order")),
    *(Finding(claim, ("keras-torch",), TORCH_THREADS, TORCH_SEARCHES, TORCH_NOTE)
      for claim in ("carry.index-i", "carry.across-epochs", "carry.compiled-vs-eager",
                    "state.same-update", "setup.shuffle-false", "sequence.any-order")),
    Finding("carry.steps-per-execution", ("keras-torch",), (TORCH_STEPS,),
            ("steps_per_execution must be 1 with the PyTorch backend",)),
    # Model-reset cases only (bidirectional.reset also fails on keras-jax: a JAX finding above).
    Finding("bidirectional.reset", ("keras-tensorflow", "keras-torch"),
            RESET_THREADS + (TF_BIDIRECTIONAL_RESET, TF_BIDIRECTIONAL_RESET_22), RESET_SEARCHES
            + ("Keras 3 Bidirectional stateful reset_states model has no attribute reset_states "
               "ConvLSTM2D",), MODEL_RESET_NOTE),
    Finding("convlstm.reset", KERAS_3, RESET_THREADS + (TF_CONVLSTM_RESET,), RESET_SEARCHES
            + ("Keras 3 Bidirectional stateful reset_states model has no attribute reset_states "
               "ConvLSTM2D",), MODEL_RESET_NOTE),
    Finding("dtype.mixed-precision", ("keras-tensorflow",), RESET_THREADS, RESET_SEARCHES,
            MODEL_RESET_NOTE),
    Finding("dtype.mixed-precision", ("keras-jax",), related(*RESET_THREADS),
            JAX_SEARCHES + RESET_SEARCHES,
            JAX_NOTE + " (under mixed_float16 too); the model-reset cases fail as reset.model"),
    Finding("dtype.mixed-precision", ("keras-torch",),
            (MIXED_PRECISION_BUILD, TF_KERAS_MIXED_PRECISION), MIXED_PRECISION_SEARCHES,
            TORCH_MIXED_NOTE),
    *(Finding(claim, ("keras-torch",), (MIXED_PRECISION_BUILD,), MIXED_PRECISION_SEARCHES,
              TORCH_MIXED_NOTE)
      for claim in ("workaround.dtype.mixed-precision.walk-layers",
                    "workaround.dtype.mixed-precision.direct-calls")),
    # A reset assigns zeros, not the cell's get_initial_state (the layer cases, everywhere).
    Finding("reset.custom-initial", ("tf-keras",), (TF_INITIAL_STATE, SPIKING_RESET),
            CUSTOM_INITIAL_SEARCHES, "layer.reset_states() and model.reset_states() assign "
            "zeros, while a freshly built layer starts from get_initial_state"),
    Finding("reset.custom-initial", KERAS_3,
            (TF_INITIAL_STATE, SPIKING_RESET) + related(*RESET_THREADS),
            CUSTOM_INITIAL_SEARCHES + RESET_SEARCHES, "RNN.reset_state() assigns zeros, while "
            "a freshly built layer starts from get_initial_state; the model-reset cases fail "
            "as reset.model"),
    # A last partial validation batch accepted silently.
    Finding("carry.validation", ("keras-tensorflow",),
            (BATCH_MISMATCH, BATCH_MISMATCH_FIX, OLD_PARTIAL_BATCH), VALIDATION_SEARCHES,
            "fit(validation_data=...) accepts a last partial validation batch silently"),
    Finding("carry.validation", ("tf-keras",), (OLD_PARTIAL_BATCH, KERAS1_VALIDATION_SPLIT),
            VALIDATION_SEARCHES[:1] + (
                "tf-keras stateful LSTM validation_data not divisible by batch size no error "
                "evaluate partial batch",),
            "fit(validation_data=...) accepts a last partial validation batch silently"),
    # JAX: nothing carries, through these paths too.
    *(Finding(claim, ("keras-jax",), (), JAX_SEARCHES + extra, JAX_NOTE)
      for claim, extra in (
          ("carry.input-pipeline", ("stateful LSTM PyDataset generator fit JAX backend state "
                                    "reset every batch",)),
          ("convlstm.carry", ("Keras 3 JAX stateful ConvLSTM2D state not updated between "
                              "batches",)),
          ("workaround.setup.equal-batches.whole-batches", ()),
          ("workaround.carry.validation.separate-validation", ()))),
    # keras-torch: the in-place autograd error whenever these claims train.
    *(Finding(claim, ("keras-torch",), TORCH_THREADS, TORCH_SEARCHES, TORCH_NOTE)
      for claim in ("learn.cross-batch", "train.instability", "carry.validation",
                    "carry.input-pipeline", "workaround.carry.validation.separate-validation")),
]


# The implementations whose findings were looked up (the built-ins).
IMPLEMENTATIONS = frozenset(name for entry in FINDINGS for name in entry.implementations)


def finding(claim: str, implementation: str) -> Finding | None:
    """The entry for ``claim`` on ``implementation`` (its name), None where none was looked up."""
    return next((entry for entry in FINDINGS
                 if entry.claim == claim and implementation in entry.implementations), None)


def summary(claim: str, implementation: str) -> str:
    """One line for a table cell: the tracking threads, or "not found upstream"."""
    entry = finding(claim, implementation)
    if entry is None:
        return "not looked up"
    if not entry.found:
        return NOT_FOUND
    return ", ".join(f"[{thread.label}]({thread.url}) ({thread.state})"
                     for thread in entry.tracking)


def section(claim: str, implementation: str) -> str:
    """Markdown lines: every thread of the entry, or "not found upstream; searched for: ..."."""
    entry = finding(claim, implementation)
    if entry is None:
        return (f"Not looked up yet: suites/upstream.py has no entry for `{claim}` on "
                f"{implementation}.")
    lines = "\n".join(f"- {thread.markdown(relation=entry.found)}" for thread in entry.threads)
    if entry.found:
        return lines
    searched = "; ".join(f'"{query}"' for query in entry.searched)
    text = f"{NOT_FOUND.capitalize()} (checked {entry.checked}); searched for: {searched}."
    return text + (f"\n\nRelated, not tracking this finding:\n\n{lines}" if lines else "")
