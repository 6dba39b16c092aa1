"""The catalogue: every claim the suite checks, one sentence each, with its source.

Tests name their claim with ``@pytest.mark.claim("id")``; the harness, the reports and the
baseline files read the ids from here. ``kind`` says what a verdict means:
``documented`` (a promise of the docs or the article), ``observed`` (no promise exists; the suite
records what happens) and ``measured`` (a figure from the benchmarks). A ``workaround`` claim is
a finding's fix, checked like a claim: its entry in ``WORKAROUNDS`` below is all there is to it.
"""

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from fixtures import rnn
from suites import recipes
from suites.checks import (carry, convlstm, distribute, dtype, export, initial_state, learn,
                           paths, reset, state, workarounds)

DOCS_RNN = "Keras RNN layer docs, argument `stateful`"
FAQ = "Keras FAQ, 'How can I use stateful RNNs?'"
ARTICLE = "Article 'Keras之stateful LSTM全面解析+实例测试'"


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    source: str
    kind: str = "documented"
    # For a workaround check (kind "workaround"): the id of the claim whose finding it works around.
    workaround_for: str | None = None


CLAIMS = {
    claim.id: claim
    for claim in [
        Claim("carry.index-i",
              "With stateful=True the final state of sample i in a batch is the initial state of "
              "sample i in the next batch, through every entry point (call, predict_on_batch, "
              "predict, evaluate, train_on_batch, fit).", DOCS_RNN),
        Claim("carry.rows-isolated",
              "State never flows from one row of a batch to another: perturbing one sample "
              "changes only its own row in later batches.", DOCS_RNN),
        Claim("carry.long-range",
              "Sample i+n*bs still depends on sample i n batches later; with a stateless layer "
              "it does not.", ARTICLE),
        Claim("carry.stacked",
              "In a stack of stateful layers each layer carries its own state from batch to "
              "batch.", ARTICLE),
        Claim("carry.across-epochs",
              "fit resets no state between epochs or between calls; only a reset does.", FAQ),
        Claim("state.is-memory",
              "The state is the layer's memory (h and c for LSTM, h for GRU and SimpleRNN), one "
              "row per sample, shape (batch, units).", ARTICLE),
        Claim("state.not-weights",
              "The state is not a weight: it is not among the trainable weights or get_weights(), "
              "and no forward pass, predict, evaluate or reset changes a weight.", ARTICLE),
        Claim("state.same-update",
              "From the zero state one training step changes the weights exactly as on the "
              "stateless twin, and with plain SGD and a mean loss it equals the mean of the "
              "per-sample updates.", ARTICLE),
        Claim("state.saved",
              "Saving and loading a model: what happens to its current state (no documented "
              "promise; recorded as observed).", "none documented", kind="observed"),
        Claim("reset.model",
              "model.reset_states() sets the state of every stateful layer to zero.", FAQ),
        Claim("reset.layer",
              "layer.reset_states() sets that layer's state to zero and leaves other layers' "
              "states alone.", FAQ),
        Claim("reset.fresh",
              "After a reset the outputs equal those of a freshly built model with the same "
              "weights.", FAQ),
        Claim("reset.with-values",
              "layer.reset_states(states=...) sets the state to the given values.",
              "RNN layer docstring, reset_states(states=None)"),
        Claim("setup.batch-size-required",
              "A stateful layer without a fixed batch size is refused with an error that says "
              "so, and every documented way of fixing the batch size works.", FAQ),
        Claim("setup.equal-batches",
              "A batch of another size (including a last partial batch) is refused with a clear "
              "error, never answered with silently wrong output.", FAQ),
        Claim("setup.shuffle-false",
              "fit(shuffle=False) feeds the batches in order; shuffle=True does not.", FAQ),
        Claim("setup.shuffle-default", "fit shuffles the samples by default.", ARTICLE),
        Claim("stateless.fresh-state",
              "A stateless layer starts every sample from the zero state: its output does not "
              "depend on earlier batches.", ARTICLE),
        Claim("stateless.order-free",
              "Stateless: permuting the samples permutes the outputs. Stateful: the order of the "
              "batches changes later outputs.", ARTICLE),
        Claim("learn.cross-batch",
              "A stateful LSTM learns a dependency that spans sub-sequences; a stateless one "
              "cannot.", "Keras example lstm_stateful.py; " + ARTICLE),
        Claim("sequence.any-order",
              "Through any sequence of user operations (calls, predict, evaluate, training, "
              "resets, set_weights, save and load) a stateful layer's state and outputs are "
              "those of the NumPy model of the layer; every operation the implementation has is "
              "drawn, whatever its baseline lists.", DOCS_RNN + "; " + FAQ),
        Claim("sequence.any-order.beyond-known",
              "Through any sequence of the user operations whose own single-operation checks "
              "hold, a stateful layer's state and outputs are those of the NumPy model of the "
              "layer; the operations the baseline lists as not holding are left out, each case "
              "names them (where the baseline lists none, it draws every operation).",
              DOCS_RNN + "; " + FAQ),
        Claim("perf.cpu-vs-gpu",
              "LSTMs may train faster on the CPU than on a GPU (ratio of training times measured "
              "in one run; skipped without a GPU).", ARTICLE, kind="measured"),
        Claim("train.instability",
              "Training is unstable: the spread of the cosine models' accuracy across seeds.",
              ARTICLE, kind="measured"),
        Claim("carry.unroll",
              "unroll=True carries the state from batch to batch exactly as unroll=False does.",
              DOCS_RNN + " and `unroll`"),
        Claim("carry.go-backwards",
              "With go_backwards=True each batch is read from its last step to its first and the "
              "state still carries on to the next batch (outputs in reading order).",
              DOCS_RNN + " and `go_backwards`"),
        Claim("reset.stacked-cells",
              "RNN([cell, cell], stateful=True) carries each cell's state from batch to batch, "
              "and its reset returns every cell's state to zero.",
              "Keras RNN layer docs (a list of cells is stacked); tensorflow/tensorflow#28614, "
              "keras-team/tf-keras#61"),
        Claim("carry.compiled-vs-eager",
              "compile(jit_compile=True), jit_compile=False and run_eagerly=True carry the same "
              "state and give the same outputs.",
              "Keras Model.compile docs; keras-team/keras#18456"),
        Claim("dropout.inference-carry",
              "With dropout and recurrent_dropout set, inference (direct call, predict_on_batch, "
              "predict) carries exactly as without dropout; a training step runs and carries a "
              "non-zero state.",
              "Keras RNN layer docs, `dropout`/`recurrent_dropout`; tensorflow/tensorflow#27829"),
        Claim("carry.steps-per-execution",
              "compile(steps_per_execution=k), k > 1, carries exactly as k = 1 through fit, "
              "evaluate and predict, a partial last execution included.",
              "Keras Model.compile docs, `steps_per_execution`"),
        Claim("bidirectional.carry",
              "Bidirectional(stateful RNN): both halves carry their state from batch to batch; "
              "the backward half reads each batch backwards and continues from where it stopped.",
              "Keras Bidirectional docs; tensorflow/tensorflow#34055"),
        Claim("bidirectional.reset",
              "Resetting a Bidirectional layer (or the model, where it has a reset) returns the "
              "states of both halves to zero.",
              "Keras Bidirectional docs; tensorflow/tensorflow#38403, keras-team/keras#4421"),
        Claim("mask.keeps-state",
              "With Masking, a masked step leaves a stateful layer's state as it was, and a row "
              "whose whole batch is masked keeps its state into the next batch (what that row "
              "outputs is recorded).",
              "Keras Masking docs and RNN docs, `mask`; keras-team/keras#1569, keras-team/keras#7227"),
        # -- more user paths: validation, input pipelines, initial state (test_inputs.py,
        #    test_initial_state.py) --
        Claim("carry.validation",
              "fit(validation_data=...) on a stateful model: whether validation runs through the "
              "same stateful layers, which state it starts from and which state the next epoch "
              "starts from (recorded as observed); a validation batch of another size than the "
              "fixed one is refused with a clear error.",
              "Keras Model.fit docs, `validation_data`; keras-team/keras#2849, "
              "keras-team/keras#9036", kind="observed"),
        Claim("carry.validation.isolated",
              "fit(validation_data=...) keeps validation apart from a stateful model's training "
              "state: validation does not start from the state training left, and neither the "
              "next epoch nor the state fit leaves is the state validation left.",
              "Keras RNN docs, 'Note on using statefulness in RNNs' (a state is reused only by "
              "the next batch's samples, one-to-one: keras/src/layers/rnn/rnn.py:95-100 at "
              "v3.15.1), and Model.fit docs, `validation_data` (evaluated at the end of each "
              "epoch, 'the model will not be trained on this data': "
              "keras/src/trainers/trainer.py:634-636): validation batches do not follow the "
              "training batches; keras-team/keras#2849"),
        Claim("carry.input-pipeline",
              "tf.data.Dataset (TensorFlow backends), keras.utils.PyDataset (Sequence on Keras 2) "
              "and a Python generator feed a stateful model its batches in order and carry the "
              "state exactly as NumPy arrays do, through fit, evaluate and predict.",
              "Keras Model.fit docs, `x` (dataset, PyDataset, generator); " + FAQ),
        Claim("initial-state.precedence",
              "An explicit initial_state given to a stateful layer: which state each call starts "
              "from (the explicit one or the stored one) and which state the layer stores "
              "afterwards (no documented promise; recorded as observed).",
              "Keras RNN layer docs, `initial_state`; tensorflow/tensorflow#32299, "
              "keras-team/keras#10965", kind="observed"),
        Claim("reset.custom-initial",
              "For a cell whose get_initial_state is not zero, the stateless layer starts from "
              "it, and the state of a freshly built layer and the state after a reset equal it.",
              "Keras RNN layer docs, custom cells' `get_initial_state`; "
              "tensorflow/tensorflow#42193"),
        # -- mixed precision and ConvLSTM (test_dtype.py, test_convlstm.py) --
        Claim("dtype.mixed-precision",
              "Under the mixed_float16 policy a stateful LSTM or GRU builds, carries its state "
              "from batch to batch (as the NumPy cells, within a float16 tolerance), returns to "
              "zero on a reset, and keeps its state dtype through the reset.",
              "Keras mixed precision guide; keras-team/keras#20605, keras-team/tf-keras#649"),
        Claim("convlstm.carry",
              "ConvLSTM1D and ConvLSTM2D with stateful=True carry their state (h and c) from "
              "batch to batch, as the NumPy ConvLSTM on the batches concatenated in time.",
              "Keras ConvLSTM1D/ConvLSTM2D docs, `stateful`; tensorflow/tensorflow#48863"),
        Claim("convlstm.reset",
              "Resetting a stateful ConvLSTM1D or ConvLSTM2D (the layer, or the model where it "
              "has a reset) returns its state to zero.",
              "Keras ConvLSTM1D/ConvLSTM2D docs, `stateful`; tensorflow/tensorflow#48863"),
        # -- where stateful models are deployed: export and distribution (test_export.py,
        # test_distribute.py) --
        Claim("export.saved-model.carry",
              "A stateful model exported as a SavedModel (Keras 3 model.export(format="
              "'tf_saved_model'), tf-keras model.export) and loaded with tf.saved_model.load "
              "carries the state from one serve call to the next, as the Keras model does.",
              "Keras Model.export docs (tf_saved_model, 'served via e.g. TensorFlow Serving'; "
              "TensorFlow, JAX and Torch backends); tensorflow/tensorflow#34644, "
              "tensorflow/serving#724"),
        Claim("export.saved-model.reset",
              "The exported SavedModel offers a way to start a stream afresh: a reset_states "
              "endpoint, or its state variables among the loaded object's variables.",
              "Keras FAQ, 'How can I use stateful RNNs?' (reset between independent "
              "sequences); keras-team/keras#6321, tensorflow/serving#724"),
        Claim("export.tflite.carry",
              "The TFLite conversion of a stateful model (resource variables enabled) carries "
              "the state across invoke calls, and reset_all_variables() starts afresh.",
              "Keras Model.export docs (format='litert'); TensorFlow Lite converter, "
              "`experimental_enable_resource_variables`; tensorflow/tensorflow#47813, "
              "tensorflow/tensorflow#26786"),
        Claim("export.onnx.carry",
              "The ONNX export of a stateful model (model.export(format='onnx'), run with "
              "onnxruntime) carries the state between runs or takes it as inputs and returns "
              "it as outputs; answering every run as from the zero state is a failure.",
              "Keras Model.export docs (format='onnx'); onnx/keras-onnx#620, onnx/onnx#3190"),
        Claim("distribute.carry",
              "Under data-parallel distribution over two devices (TensorFlow's "
              "MirroredStrategy; keras.distribution.DataParallel on JAX) a stateful model "
              "declared with its global batch size carries the state of sample i to sample i "
              "of the next batch through predict and fit.",
              "Keras distributed training guides (tf.distribute with Keras; "
              "keras.distribution API); keras-team/keras#8397"),
    ]
}


# -- workarounds: a finding's fix, checked like a claim (suites/test_workarounds_<family>.py) ------
# Each entry is the one place its id is written (``workaround.<target>.<name>``, derived): the
# claim whose finding it works around, what it promises and where it comes from, the recipe a
# user writes (suites/recipes.py, shown verbatim by the reports) and the check that verifies it:
# the claim's own check called with the recipe where that check takes it as a parameter (a reset
# recipe, the ``call`` entry point), else a check of its own (suites/checks/workarounds.py).
# Its claim (kind "workaround", ``workaround_for`` the target) is added to CLAIMS below.
@dataclass(frozen=True)
class Workaround:
    target: str
    name: str
    statement: str
    source: str
    recipes: tuple[Callable, ...]  # the user's code: functions of suites/recipes.py
    check: Callable  # the check function that verifies it, run with ``parameters`` and a case's
    family: str  # the test module that runs it: suites/test_workarounds_<family>.py
    parameters: dict = field(default_factory=dict)  # what every case passes to ``check``
    cases: dict = field(default_factory=lambda: {"": {}})  # case id -> its own parameters
    slow: bool = False  # every case in the full suite only (ARCHITECTURE.md, "Two tiers")
    timeout_s: int | None = None  # a case's own pytest-timeout, where the suite's is too short

    @property
    def id(self) -> str:
        return f"workaround.{self.target}.{self.name}"

    def recipe_source(self) -> str:
        """The recipes' code as a user copies it: their source and that of every other recipe
        they call, in the order of suites/recipes.py."""
        needed, pending = {}, list(self.recipes)
        while pending:
            function = pending.pop()
            if function.__name__ not in needed:
                needed[function.__name__] = function
                called = map(function.__globals__.get, names_in(function.__code__))
                pending += [value for value in called if inspect.isfunction(value)
                            and value.__module__ == "suites.recipes"]
        return "\n\n".join(inspect.getsource(function) for function in
                            sorted(needed.values(), key=lambda f: f.__code__.co_firstlineno))

    def claim(self) -> Claim:
        return Claim(self.id, self.statement, self.source, kind="workaround",
                     workaround_for=self.target)


def names_in(code) -> set:
    """The global names a function's code uses, those of the functions and classes it defines
    included."""
    return set(code.co_names).union(*(names_in(const) for const in code.co_consts
                                      if inspect.iscode(const)))


def over_cells(**by_case):
    """One case per cell, ``LSTM`` ..., or per cell and ``by_case`` key, ``LSTM-trim`` ...: the
    cell and that key's parameters."""
    return {f"{cell}-{key}" if by_case else cell: {"cell": cell, **by_case.get(key, {})}
            for cell in rnn.CELLS for key in (by_case or [None])}


def direct_calls(target, path, check, slow=False, **parameters):
    """The claim's own check with every batch fed by a direct call (``entry_point="call"``), on
    one cell: the path on which Keras 3 on JAX carries the state."""
    return Workaround(
        target, "direct-calls",
        f"In place of predict (inference only; evaluate and fit are not covered): model(batch) "
        f"called batch by batch carries the state {path}, as the NumPy reference does.",
        "Keras 3 on JAX carries state only through direct calls (this suite's finding; not found "
        "upstream)", (recipes.call_batch_by_batch,), check, "carry",
        {**parameters, "entry_point": "call"}, slow=slow)


def walk_layers(target, what, check, **parameters):
    """The claim's own model-reset case with reset_all_states(model) in place of
    model.reset_states() (Keras 3 has none), on one cell."""
    return Workaround(
        target, "walk-layers",
        f"In place of model.reset_states(): zeros assigned to every state of every stateful "
        f"layer found by walking the model clear {what}, as the claim's model reset promises.",
        "the walk of workaround.reset.model.walk-layers (keras-team/tf-keras#61; "
        "tensorflow/tensorflow#38403)", (recipes.reset_all_states,), check, "reset",
        {**parameters, "reset": recipes.reset_all_states_of_model})


EXPLICIT_STATE = (recipes.explicit_state_models, recipes.train_carrying_state)
EXPLICIT_STATE_SOURCE = ("keras-team/keras#20875, keras-team/keras#20916 (torch: in-place state "
                         "update breaks autograd)")
WHOLE_BATCHES = {"trim": {"prepare": recipes.trim_to_whole_batches},
                 "pad": {"prepare": recipes.pad_to_whole_batches}}

WORKAROUNDS = {workaround.id: workaround for workaround in [
    # Slow: building this model and its first eager call take 10-20 s on JAX (well under 3 s on
    # TensorFlow); the not-slow suite keeps the walk through workaround.reset.fresh.walk-layers.
    Workaround("reset.model", "walk-layers",
               "In place of model.reset_states(): walking the model (nested models, both halves "
               "of Bidirectional, RNN over stacked cells) and assigning zeros to every state "
               "variable of every stateful layer zeroes every state, and the next call answers "
               "as from the zero state.",
               "keras-team/tf-keras#61 (the walk over layers and Bidirectional halves); "
               "MITDeepLearning/introtodeeplearning#174; tensorflow/tensorflow#38403",
               (recipes.reset_all_states,), workarounds.nested_model_reset, "reset",
               {"reset": recipes.reset_all_states_of_model}, slow=True),
    Workaround("reset.fresh", "walk-layers",
               "After the walk-layers reset the outputs equal those of a freshly built model with "
               "the same weights.", "keras-team/tf-keras#61",
               (recipes.reset_all_states,), workarounds.fresh_by_direct_calls, "reset",
               {"reset": recipes.reset_all_states_of_model}, over_cells()),
    Workaround("reset.with-values", "assign-states",
               "In place of layer.reset_states(states=values): assigning each value to the "
               "matching variable of layer.states sets the state, and the next batch starts "
               "from it.", "keras-team/keras#8317, keras-team/keras#4379 (states set by hand)",
               (recipes.assign_states,), reset.reset_with_values, "reset",
               {"reset_to": recipes.assign_states_of_layer}, over_cells()),
    Workaround("reset.stacked-cells", "assign-zeros",
               "RNN([cell, cell], stateful=True) fed by direct calls carries each cell's state "
               "as the NumPy cells, and assigning zeros to every cell's state variables "
               "(layer.states flattened), in place of layer.reset_states(), returns every cell's "
               "state to zero.",
               "tensorflow/tensorflow#28614, keras-team/tf-keras#61",
               (recipes.zero_states,), paths.stacked_cells, "reset",
               {"entry_point": "call", "reset": recipes.zero_states_of_layer}, over_cells()),
    Workaround("setup.batch-size-required", "input-batch-shape",
               "In place of batch_input_shape=: keras.Input(batch_shape=...) as the first entry "
               "of a Sequential model builds a stateful layer with a fixed batch size that "
               "carries its state.", "keras-team/keras#20106, keras-team/keras#20327",
               (recipes.sequential_with_batch_shape,),
               workarounds.sequential_input_batch_shape,
               "setup", cases=over_cells()),
    Workaround("setup.equal-batches", "whole-batches",
               "Data trimmed or padded to a multiple of the batch size (or batched by tf.data "
               "with drop_remainder=True) reaches predict in whole batches only, and every real "
               "sample's outputs carry the state as the NumPy cells do.",
               "keras-team/keras#2030 (a batch size that divides the samples); "
               "tf.data.Dataset.batch docs, `drop_remainder`",
               (recipes.trim_to_whole_batches, recipes.pad_to_whole_batches,
                recipes.whole_batches_dataset), workarounds.whole_batches, "setup",
               cases=over_cells(**WHOLE_BATCHES,
                                drop_remainder={"prepare": recipes.whole_batches_dataset})),
    Workaround("setup.equal-batches", "whole-batches-direct-calls",
               "Data trimmed or padded to a multiple of the batch size and fed batch by batch "
               "through model(batch) (inference only): the model answers whole batches of the "
               "fixed size and every real sample's outputs carry the state as the NumPy cells "
               "do (where predict carries no state).",
               "keras-team/keras#2030; this suite's carry.index-i finding on keras-jax",
               (recipes.trim_to_whole_batches, recipes.pad_to_whole_batches,
                recipes.call_batch_by_batch), workarounds.whole_batches_direct_calls, "setup",
               cases=over_cells(**WHOLE_BATCHES)),
    Workaround("carry.index-i", "direct-calls",
               "In place of predict: model(batch) called batch by batch carries sample i's state "
               "to sample i of the next batch, as the NumPy cells do.",
               "Keras 3 on JAX carries state only through direct calls (this suite's finding; "
               "not found upstream)",
               (recipes.call_batch_by_batch,), carry.index_i, "carry",
               {"batch_size": 3, "entry_point": "call"}, over_cells()),
    # Slow: each case builds, compiles and traces the train and predict functions of two new
    # models (2-20 s on tf-keras and JAX); the not-slow suite keeps direct-calls.
    Workaround("carry.index-i", "explicit-state",
               "Training with the state as explicit inputs and outputs (a stateless layer with "
               "return_state=True and initial_state inputs, the state carried by hand between "
               "train_on_batch calls): the state fed to each step is the NumPy cells' carried "
               "from zeros, each batch with the weights of its step, and every step updates the "
               "weights, from the second step on differently than the same step from the zero "
               "state (the torch training recipe, and JAX's training path).",
               EXPLICIT_STATE_SOURCE + "; Keras RNN docs, `initial_state` and `return_state`",
               EXPLICIT_STATE, workarounds.explicit_state_training, "training",
               cases=over_cells(), slow=True),
    # 480 eager training steps: 30-180 s on keras-torch, more under load.
    Workaround("learn.cross-batch", "explicit-state",
               "Trained with the state as explicit inputs and outputs (carried by hand between "
               "train_on_batch calls, zeroed at each epoch), an LSTM learns the moving average "
               "that spans sub-sequences; without the carried state the same model cannot.",
               "Keras example lstm_stateful.py; keras-team/keras#20875 (torch)",
               EXPLICIT_STATE, learn.cross_batch, "training",
               # The task of learn.cross-batch (the same window and sub-sequence length) with
               # more streams and a shorter series: the same number of samples in a quarter of
               # the training steps, since the recipe's eager steps cost 50-150 ms each on torch.
               {"train": workarounds.train_explicit_state, "streams": 32, "length": 120,
                "timesteps": 2, "window": 6, "epochs": 8}, slow=True, timeout_s=1200),
    # Slow: fit traces a train and a test function per model (3-10 s a case on tf-keras), as
    # carry.validation's own checks.
    Workaround("carry.validation", "separate-validation",
               "In place of fit(validation_data=...): a callback that, at each epoch's end, saves "
               "every state, evaluates the validation data trimmed to whole batches from the "
               "zero state and puts the training state back: no partial batch reaches the model, "
               "each validation answers as the NumPy cells from zeros, and training carries its "
               "own state from epoch to epoch.",
               "keras-team/keras#2849 (validation disturbs a stateful model's state), "
               "keras-team/keras#9036 (partial validation batches); Keras Callback docs, "
               "`on_epoch_end`",
               (recipes.separate_validation,), workarounds.separate_validation_training, "carry",
               cases=over_cells(), slow=True),
    Workaround("reset.custom-initial", "assign-initial",
               "In place of reset_states() for a cell with its own get_initial_state: assigning "
               "the cell's get_initial_state to layer.states (of the layer, or of every stateful "
               "layer found by walking the model) gives the state of a freshly built layer and "
               "of the stateless start, and the next batch starts from it.",
               "tensorflow/tensorflow#42193 (a reset ignores get_initial_state); Keras RNN docs, "
               "custom cells' `get_initial_state`",
               (recipes.reset_to_initial_states,), initial_state.reset_custom_initial, "reset",
               cases=over_cells(layer={"reset": recipes.reset_layer_to_initial_states},
                                model={"reset": recipes.reset_model_to_initial_states})),
    # The model resets Keras 3 lacks, on Bidirectional, ConvLSTM and mixed precision.
    walk_layers("bidirectional.reset", "both halves of a Bidirectional layer (all four states)",
                paths.bidirectional_reset, cell="LSTM"),
    walk_layers("convlstm.reset", "a ConvLSTM1D's h and c", convlstm.convlstm_reset,
                name="ConvLSTM1D"),
    walk_layers("dtype.mixed-precision", "an LSTM's float16 state under mixed_float16, keeping "
                "its dtype", dtype.mixed_precision_reset, cell="LSTM"),
    # Direct calls on the paths where Keras 3 on JAX carries through nothing else. Slow: the
    # cases that take 3-6 s each on JAX (a ConvLSTM, a stateful and a stateless model fed four
    # batches, dropout's eager calls); the not-slow suite keeps the other six (1.5-2.5 s).
    direct_calls("carry.long-range", "far enough that sample i+n*bs depends on sample i n "
                 "batches later (and not with a stateless layer)", carry.long_range, slow=True,
                 cell="LSTM", n=3),
    direct_calls("carry.stacked", "of each layer of a stack of stateful layers", carry.stacked,
                 cell="LSTM"),
    direct_calls("carry.unroll", "of an unroll=True layer", paths.unroll, cell="LSTM"),
    direct_calls("carry.go-backwards", "of a go_backwards=True layer (each batch read "
                 "backwards)", paths.go_backwards, cell="LSTM"),
    direct_calls("bidirectional.carry", "of both halves of Bidirectional (the backward half "
                 "read backwards)", paths.bidirectional_carry, cell="LSTM"),
    direct_calls("mask.keeps-state", "past masked steps, which leave it as it was",
                 paths.mask_keeps_state, cell="LSTM"),
    direct_calls("dropout.inference-carry", "of a layer with dropout and recurrent_dropout (no "
                 "unit dropped)", paths.dropout_inference_carry, slow=True, cell="LSTM"),
    direct_calls("convlstm.carry", "of a ConvLSTM1D (h and c)", convlstm.convlstm_carry,
                 slow=True, name="ConvLSTM1D"),
    direct_calls("dtype.mixed-precision", "of an LSTM under the mixed_float16 policy (float16 "
                 "tolerance)", dtype.mixed_precision_carry, cell="LSTM"),
    # Slow: traces the train and step functions of two new models per cell (2-20 s on tf-keras
    # and JAX), as workaround.carry.index-i.explicit-state.
    Workaround("carry.across-epochs", "explicit-state",
               "Training with the state as explicit inputs and outputs, carried by hand between "
               "train_on_batch calls and not reset between epochs: the state fed to each step of "
               "both epochs is the NumPy cells' carried from zeros over the data twice with no "
               "reset in between, each batch with the weights of its step, and every step "
               "updates the weights, from the second step on (the second epoch's first "
               "included) differently than the same step from the zero state (in place of fit on "
               "a stateful layer, which raises on torch).",
               EXPLICIT_STATE_SOURCE + "; Keras RNN docs, `initial_state` and `return_state`",
               EXPLICIT_STATE, workarounds.across_epochs_explicit_state,
               "training", cases=over_cells(), slow=True),
    Workaround("state.same-update", "explicit-state",
               "One SGD step from the zero state passed as explicit inputs (a stateless layer "
               "with initial_state inputs) updates the weights as the stateless twin and as the "
               "mean of the per-sample steps (in place of a stateful layer's step, which raises "
               "on torch).", EXPLICIT_STATE_SOURCE,
               EXPLICIT_STATE, state.same_update, "training",
               {"step": workarounds.explicit_state_sgd_step}, over_cells(), slow=True),
    Workaround("export.saved-model.reset", "endpoint",
               "An ExportArchive with a serve endpoint at the declared batch size, the state "
               "variables tracked as a variable collection, and a reset_states endpoint that "
               "assigns them zeros: the loaded SavedModel carries the state between serve calls "
               "and, after reset_states(), answers the next chunk as from the zero state.",
               "Keras ExportArchive docs (add_endpoint, add_variable_collection); "
               "tensorflow/serving#724", (recipes.export_with_reset_endpoint,),
               export.saved_model_reset, "export",
               {"export": recipes.export_with_reset_endpoint}, over_cells()),
    Workaround("export.onnx.carry", "explicit-state",
               "A stateless twin of the stateful layer (same weights) taking the state as inputs "
               "and returning it (initial_state, return_state=True), exported with "
               "format='onnx': onnxruntime fed each run's state outputs answers every chunk as "
               "the NumPy cells carried over the chunks.",
               "onnx/onnx#3190, onnx/keras-onnx#620; Keras RNN docs, `initial_state` and "
               "`return_state`", (recipes.export_onnx_explicit_state,), export.onnx_carry,
               "export", {"export": recipes.export_onnx_explicit_state}, over_cells()),
    Workaround("distribute.carry", "per-replica-batch",
               "Under MirroredStrategy over two devices, the model declared with the batch size "
               "each replica sees and fed the global batch carries sample i's state to sample i "
               "of the next batch through predict and fit.",
               "keras-team/keras#8397; TF distributed training guide (global batch split across "
               "replicas)", (), distribute.carry, "distribute", {"per_replica_batch": True},
               {f"{cell}-{entry_point}": {"cell": cell, "entry_point": entry_point}
                for cell in rnn.CELLS for entry_point in ("predict", "fit")}, slow=True),
]}

CLAIMS.update((workaround.id, workaround.claim()) for workaround in WORKAROUNDS.values())


def workaround_params(family: str) -> list:
    """The cases of the workarounds run by suites/test_workarounds_<family>.py, as pytest
    parameters ``(workaround, parameters)``, each marked with its claim (and ``slow``, its
    timeout) and named ``<target>.<name>[-<case>]``."""
    import pytest  # only the test modules ask; the harness reads the catalogue without it
    return [
        pytest.param(workaround, {**workaround.parameters, **parameters},
                     id=workaround.id.removeprefix("workaround.") + (f"-{case}" if case else ""),
                     marks=[pytest.mark.claim(workaround.id),
                            *([pytest.mark.slow] if workaround.slow else []),
                            *([pytest.mark.timeout(workaround.timeout_s)]
                              if workaround.timeout_s else [])])
        for workaround in WORKAROUNDS.values() if workaround.family == family
        for case, parameters in workaround.cases.items()]



# Findings with no workaround check: what was tried, shown by the reports' Workarounds section
# beside "none found" (where the claim does not hold on the implementation of the report).
NO_WORKAROUND_CHECK = {
    "carry.rows-isolated":
        "inconclusive, not failing: where predict carries no state (Keras 3 on JAX) no row can "
        "reach another through it; on the direct-call path that carries, "
        "workaround.carry.index-i.direct-calls checks every row against the NumPy cells",
    "setup.shuffle-false":
        "the order fit trains in cannot be seen where fit carries no state (JAX) or raises "
        "(torch); no fit option helps there. The explicit-state recipe "
        "(workaround.carry.index-i.explicit-state) trains in the order of the user's own loop",
    "carry.compiled-vs-eager":
        "on JAX no compile mode makes fit, evaluate or predict carry; direct calls do "
        "(workaround.carry.index-i.direct-calls). On torch training raises in every mode; the "
        "explicit-state recipe under each mode is not tried yet",
    "carry.steps-per-execution":
        "an option of fit, evaluate and predict, which carry no state on JAX and raise in "
        "training on torch; the workarounds replace them (direct calls, the explicit-state "
        "recipe), which have no steps_per_execution",
    "carry.input-pipeline":
        "feeding a pipeline's batches to model(batch) one by one is the direct-calls "
        "workaround (workaround.carry.index-i.direct-calls); no check feeds a tf.data, "
        "PyDataset or generator that way yet",
    "train.instability":
        "on torch the stateful models' training raises; the cosine benchmark trained with the "
        "explicit-state recipe is not tried yet (minutes per model)",
}
