"""The catalogue: every claim the suite checks, one sentence each, with its source.

Tests name their claim with ``@pytest.mark.claim("id")``; the harness, the reports and the
baseline files read the ids from here. ``kind`` says what a verdict means:
``documented`` (a promise of the docs or the article), ``observed`` (no promise exists; the suite
records what happens) and ``measured`` (a figure from the benchmarks).
"""

from dataclasses import dataclass

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
        # -- workarounds: kind="workaround", workaround_for=<claim> (test_workarounds.py) --
        Claim("workaround.reset.model.walk-layers",
              "In place of model.reset_states(): walking the model (nested models, both halves "
              "of Bidirectional, RNN over stacked cells) and assigning zeros to every state "
              "variable of every stateful layer zeroes every state, and the next call answers as "
              "from the zero state.",
              "keras-team/tf-keras#61 (the walk over layers and Bidirectional halves); "
              "MITDeepLearning/introtodeeplearning#174; tensorflow/tensorflow#38403",
              kind="workaround", workaround_for="reset.model"),
        Claim("workaround.reset.fresh.walk-layers",
              "After the walk-layers reset the outputs equal those of a freshly built model with "
              "the same weights.", "keras-team/tf-keras#61",
              kind="workaround", workaround_for="reset.fresh"),
        Claim("workaround.reset.with-values.assign-states",
              "In place of layer.reset_states(states=values): assigning each value to the "
              "matching variable of layer.states sets the state, and the next batch starts "
              "from it.", "keras-team/keras#8317, keras-team/keras#4379 (states set by hand)",
              kind="workaround", workaround_for="reset.with-values"),
        Claim("workaround.reset.stacked-cells.assign-zeros",
              "RNN([cell, cell], stateful=True): assigning zeros to every cell's state variables "
              "(layer.states flattened) resets it, and the next batch answers as the NumPy cells "
              "from the zero state.", "tensorflow/tensorflow#28614, keras-team/tf-keras#61",
              kind="workaround", workaround_for="reset.stacked-cells"),
        Claim("workaround.setup.batch-size-required.input-batch-shape",
              "In place of batch_input_shape=: keras.Input(batch_shape=...) as the first entry "
              "of a Sequential model builds a stateful layer with a fixed batch size that "
              "carries its state.", "keras-team/keras#20106, keras-team/keras#20327",
              kind="workaround", workaround_for="setup.batch-size-required"),
        Claim("workaround.setup.equal-batches.whole-batches",
              "Data trimmed or padded to a multiple of the batch size (or batched by tf.data "
              "with drop_remainder=True) reaches predict in whole batches only, and every real "
              "sample's outputs carry the state as the NumPy cells do.",
              "keras-team/keras#2030 (a batch size that divides the samples); "
              "tf.data.Dataset.batch docs, `drop_remainder`",
              kind="workaround", workaround_for="setup.equal-batches"),
        Claim("workaround.setup.equal-batches.whole-batches-direct-calls",
              "Data trimmed or padded to a multiple of the batch size and fed batch by batch "
              "through model(batch) (inference only): the model answers whole batches of the "
              "fixed size and every real sample's outputs carry the state as the NumPy cells do "
              "(where predict carries no state).",
              "keras-team/keras#2030; this suite's carry.index-i finding on keras-jax",
              kind="workaround", workaround_for="setup.equal-batches"),
        Claim("workaround.carry.index-i.direct-calls",
              "In place of predict: model(batch) called batch by batch carries sample i's state "
              "to sample i of the next batch, as the NumPy cells do.",
              "Keras 3 on JAX carries state only through direct calls (this suite's finding; "
              "not found upstream)",
              kind="workaround", workaround_for="carry.index-i"),
        Claim("workaround.carry.index-i.explicit-state",
              "Training with the state as explicit inputs and outputs (a stateless layer with "
              "return_state=True and initial_state inputs, the state carried by hand between "
              "train_on_batch calls): the state fed to each step is the NumPy cells' carried from "
              "zeros, each batch with the weights of its step, and every step updates the weights, "
              "from the second step on differently than the same step from the zero state (the "
              "torch training recipe, and JAX's training path).",
              "keras-team/keras#20875, keras-team/keras#20916 (torch: in-place state update "
              "breaks autograd); Keras RNN docs, `initial_state` and `return_state`",
              kind="workaround", workaround_for="carry.index-i"),
        Claim("workaround.learn.cross-batch.explicit-state",
              "Trained with the state as explicit inputs and outputs (carried by hand between "
              "train_on_batch calls, zeroed at each epoch), an LSTM learns the moving average "
              "that spans sub-sequences; without the carried state the same model cannot.",
              "Keras example lstm_stateful.py; keras-team/keras#20875 (torch)",
              kind="workaround", workaround_for="learn.cross-batch"),
        Claim("workaround.carry.validation.separate-validation",
              "In place of fit(validation_data=...): a callback that, at each epoch's end, saves "
              "every state, evaluates the validation data trimmed to whole batches from the zero "
              "state and puts the training state back: no partial batch reaches the model, each "
              "validation answers as the NumPy cells from zeros, and training carries its own "
              "state from epoch to epoch.",
              "keras-team/keras#2849 (validation disturbs a stateful model's state), "
              "keras-team/keras#9036 (partial validation batches); Keras Callback docs, "
              "`on_epoch_end`", kind="workaround", workaround_for="carry.validation"),
        Claim("workaround.reset.custom-initial.assign-initial",
              "In place of reset_states() for a cell with its own get_initial_state: assigning "
              "the cell's get_initial_state to layer.states (of the layer, or of every stateful "
              "layer found by walking the model) gives the state of a freshly built layer and "
              "of the stateless start, and the next batch starts from it.",
              "tensorflow/tensorflow#42193 (a reset ignores get_initial_state); Keras RNN docs, "
              "custom cells' `get_initial_state`",
              kind="workaround", workaround_for="reset.custom-initial"),
        # The model resets Keras 3 lacks, on Bidirectional, ConvLSTM and mixed precision: each
        # claim's own model-reset case with the walk in place of model.reset_states().
        *(Claim(f"workaround.{target}.walk-layers",
                f"In place of model.reset_states(): zeros assigned to every state of every "
                f"stateful layer found by walking the model clear {what}, as the claim's model "
                f"reset promises.",
                "the walk of workaround.reset.model.walk-layers (keras-team/tf-keras#61; "
                "tensorflow/tensorflow#38403)",
                kind="workaround", workaround_for=target)
          for target, what in {
              "bidirectional.reset": "both halves of a Bidirectional layer (all four states)",
              "convlstm.reset": "a ConvLSTM1D's h and c",
              "dtype.mixed-precision": "an LSTM's float16 state under mixed_float16, keeping its "
                                       "dtype",
          }.items()),
        # Direct calls, the path on which Keras 3 on JAX carries the state: each one is the
        # claim's own check with every batch fed by model(batch) (test_workarounds.py). The
        # claim, and what its direct calls carry:
        *(Claim(f"workaround.{target}.direct-calls",
                f"In place of predict (inference only; evaluate and fit are not covered): "
                f"model(batch) called batch by batch "
                f"carries the state {path}, as the NumPy reference does.",
                "Keras 3 on JAX carries state only through direct calls (this suite's finding; "
                "not found upstream)", kind="workaround", workaround_for=target)
          for target, path in {
              "carry.long-range": "far enough that sample i+n*bs depends on sample i n batches "
                                  "later (and not with a stateless layer)",
              "carry.stacked": "of each layer of a stack of stateful layers",
              "carry.unroll": "of an unroll=True layer",
              "carry.go-backwards": "of a go_backwards=True layer (each batch read backwards)",
              "bidirectional.carry": "of both halves of Bidirectional (the backward half read "
                                     "backwards)",
              "mask.keeps-state": "past masked steps, which leave it as it was",
              "dropout.inference-carry": "of a layer with dropout and recurrent_dropout (no unit "
                                         "dropped)",
              "convlstm.carry": "of a ConvLSTM1D (h and c)",
              "dtype.mixed-precision": "of an LSTM under the mixed_float16 policy (float16 "
                                       "tolerance)",
          }.items()),
        Claim("workaround.carry.across-epochs.explicit-state",
              "Training with the state as explicit inputs and outputs, carried by hand between "
              "train_on_batch calls and not reset between epochs: the state fed to each step of "
              "both epochs is the NumPy cells' carried from zeros over the data twice with no "
              "reset in between, each batch with the weights of its step, and every step updates "
              "the weights, from the second step on (the second epoch's first included) "
              "differently than the same step from the zero state (in place of fit on a stateful "
              "layer, which raises on torch).",
              "keras-team/keras#20875, keras-team/keras#20916 (torch: in-place state update "
              "breaks autograd); Keras RNN docs, `initial_state` and `return_state`",
              kind="workaround", workaround_for="carry.across-epochs"),
        Claim("workaround.state.same-update.explicit-state",
              "One SGD step from the zero state passed as explicit inputs (a stateless layer with "
              "initial_state inputs) updates the weights as the stateless twin and as the mean "
              "of the per-sample steps (in place of a stateful layer's step, which raises on "
              "torch).",
              "keras-team/keras#20875, keras-team/keras#20916 (torch: in-place state update "
              "breaks autograd)", kind="workaround", workaround_for="state.same-update"),
    ]
}


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
