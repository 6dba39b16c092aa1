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

from dataclasses import dataclass, field

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
    note="Keras 2.1 refused a partial batch with this error; no thread reports that it is now "
    "accepted silently")

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

FINDINGS = [
    Finding("reset.model", KERAS_3,
            (DOCS_OUTDATED, TF_STATEFUL_BATCH, TF_KERAS_MODEL_RESET), RESET_SEARCHES,
            note="Keras 3 models have no reset_states()"),
    Finding("reset.fresh", ("keras-tensorflow", "keras-torch"),
            (DOCS_OUTDATED, TF_STATEFUL_BATCH), RESET_SEARCHES,
            note="the model-level reset the claim uses is gone (see reset.model)"),
    Finding("reset.with-values", KERAS_3, (), (
        "Keras 3 reset_states states argument unexpected keyword argument 'states' stateful RNN",
    ), note="RNN.reset_states() takes no states on Keras 3; no Keras 3 thread found"),
    Finding("setup.batch-size-required", KERAS_3,
            (BATCH_INPUT_SHAPE, DOCS_OUTDATED, TF_STATEFUL_BATCH),
            ("Keras 3 batch_input_shape Unrecognized keyword arguments passed to LSTM stateful",)),
    Finding("setup.equal-batches", KERAS_3 + ("tf-keras",), (OLD_PARTIAL_BATCH,), (
        "stateful LSTM predict last partial batch padded silently batch size not divisible",
        "stateful model predict does not raise error when number of samples not multiple of "
        "batch size keras 3",
    ), note="predict, evaluate and fit accept a last partial batch silently"),
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
    *(Finding(claim, ("keras-torch",),
              (TORCH_INPLACE, TORCH_INPLACE_FIX, TORCH_CUDNN, TORCH_CUDNN_FIX), TORCH_SEARCHES,
              "training a stateful layer (train_on_batch, fit) raises the in-place error on CPU")
      for claim in ("carry.index-i", "carry.across-epochs", "carry.compiled-vs-eager",
                    "state.same-update", "setup.shuffle-false")),
    Finding("carry.steps-per-execution", ("keras-torch",), (TORCH_STEPS,),
            ("steps_per_execution must be 1 with the PyTorch backend",)),
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
