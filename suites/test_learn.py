"""Claim ``learn.cross-batch``: a stateful LSTM learns what spans sub-sequences; a stateless one can't.

The classic Keras example (``lstm_stateful.py``): the target is the moving average of the last
``WINDOW`` inputs, but each sample holds only ``TIMESTEPS`` of them. Only a state carried from
batch to batch can see the rest of the window.
"""

import numpy as np
import pytest

STREAMS, LENGTH, TIMESTEPS, WINDOW, EPOCHS = 8, 480, 2, 6, 8

CROSS_BATCH_REPRO = """
x, y = moving_average_task(np.random.default_rng(5))
stateful_mse = train_and_score(keras, True, x, y)
stateless_mse = train_and_score(keras, False, x, y)
floor = (WINDOW - TIMESTEPS) / WINDOW**2 / 12  # what no model explains without earlier inputs
print(f"test MSE: stateful {stateful_mse:.3g}, stateless {stateless_mse:.3g}, floor without state {floor:.3g}")
precondition(stateless_mse > 0.5 * floor, "the stateless LSTM cannot beat the floor (the task needs the state)")
expect(stateful_mse < 0.5 * floor, "the stateful LSTM learns what spans sub-sequences (MSE below half the floor)")
"""


def moving_average_task(rng):
    """Inputs (STREAMS*LENGTH/TIMESTEPS samples, in stateful layout) and moving-average targets."""
    series = rng.uniform(0, 1, (STREAMS, LENGTH + WINDOW - 1)).astype("float32")
    # averages[:, t] is the mean of the WINDOW inputs ending at series[:, t + WINDOW - 1].
    averages = np.stack([np.convolve(row, np.ones(WINDOW) / WINDOW, mode="valid") for row in series])
    inputs = series[:, WINDOW - 1 :].reshape(STREAMS, LENGTH // TIMESTEPS, TIMESTEPS, 1)
    targets = averages.astype("float32").reshape(STREAMS, LENGTH // TIMESTEPS, TIMESTEPS, 1)
    # Row i of batch j is stream i's j-th sub-sequence: the layout stateful=True assumes.
    return inputs.transpose(1, 0, 2, 3).reshape(-1, TIMESTEPS, 1), targets.transpose(1, 0, 2, 3).reshape(-1, TIMESTEPS, 1)


def train_and_score(keras, stateful, x, y):
    keras.utils.set_random_seed(11)
    inputs = keras.Input(batch_shape=(STREAMS, TIMESTEPS, 1))
    recurrent = keras.layers.LSTM(16, stateful=stateful, return_sequences=True)
    model = keras.Model(inputs, keras.layers.Dense(1)(recurrent(inputs)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    for _ in range(EPOCHS):
        model.fit(x, y, batch_size=STREAMS, epochs=1, shuffle=False, verbose=0)
        if stateful:
            recurrent.reset_states()
    # Score the last timestep of each sample, once the window is fully inside the stream.
    predictions = np.asarray(model.predict(x, batch_size=STREAMS, verbose=0))
    return float(np.mean((predictions[STREAMS:, -1] - y[STREAMS:, -1]) ** 2))


@pytest.mark.slow
@pytest.mark.claim("learn.cross-batch")
def test_cross_batch(keras, impl, check):
    """A stateful LSTM fits a moving average longer than its samples; a stateless one cannot."""
    check.reproduce(CROSS_BATCH_REPRO, extra=(
        *((name, globals()[name]) for name in ("STREAMS", "LENGTH", "TIMESTEPS", "WINDOW", "EPOCHS")),
        moving_average_task, train_and_score))
    x, y = moving_average_task(np.random.default_rng(5))
    stateful_mse = train_and_score(keras, True, x, y)
    stateless_mse = train_and_score(keras, False, x, y)
    # What no model can explain without the earlier inputs: the unseen part of the window.
    unseen_floor = (WINDOW - TIMESTEPS) / WINDOW**2 / 12
    measured = (f"MSE stateful {stateful_mse:.3g}, stateless {stateless_mse:.3g} "
                f"(what is unexplainable without state: {unseen_floor:.3g})")
    # "a stateless one cannot": beating the floor, it saw earlier inputs (the claim fails).
    check.that(stateless_mse > 0.5 * unseen_floor, measured,
               "the stateless LSTM staying above half the floor (the task needs a state)")
    check.that(stateful_mse < 0.5 * unseen_floor, measured,
               "the stateful LSTM well below that floor, the stateless one near it")
