"""Check of ``learn.cross-batch``: a stateful LSTM learns what spans sub-sequences; a stateless one can't.

The classic Keras example (``lstm_stateful.py``): the target is the moving average of the last
``window`` inputs, but each sample holds only ``timesteps`` of them. Only a state carried from
batch to batch can see the rest of the window.
"""

import numpy as np

# The task's sizes: streams (the batch size), steps per stream, steps per sample, the averaging
# window, training epochs. (Not TIMESTEPS: a script also holds fixtures.rnn's.)
STREAMS, STREAM_LENGTH, SAMPLE_STEPS, WINDOW, EPOCHS = 8, 480, 2, 6, 8


def moving_average_task(rng, streams, length, timesteps, window):
    """Inputs (streams*length/timesteps samples, in stateful layout) and moving-average targets."""
    series = rng.uniform(0, 1, (streams, length + window - 1)).astype("float32")
    # averages[:, t] is the mean of the window inputs ending at series[:, t + window - 1].
    averages = np.stack([np.convolve(row, np.ones(window) / window, mode="valid") for row in series])
    inputs = series[:, window - 1 :].reshape(streams, length // timesteps, timesteps, 1)
    targets = averages.astype("float32").reshape(streams, length // timesteps, timesteps, 1)
    # Row i of batch j is stream i's j-th sub-sequence: the layout stateful=True assumes.
    return (inputs.transpose(1, 0, 2, 3).reshape(-1, timesteps, 1),
            targets.transpose(1, 0, 2, 3).reshape(-1, timesteps, 1))


def train_and_score(keras, stateful, x, y, streams, timesteps, epochs):
    """LSTM(16) -> Dense(1) trained by fit (Adam(0.01)), a stateful layer reset at each epoch's
    end; the test MSE of the last timestep of every sample after the first batch."""
    keras.utils.set_random_seed(11)
    inputs = keras.Input(batch_shape=(streams, timesteps, 1))
    recurrent = keras.layers.LSTM(16, stateful=stateful, return_sequences=True)
    model = keras.Model(inputs, keras.layers.Dense(1)(recurrent(inputs)))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    for _ in range(epochs):
        model.fit(x, y, batch_size=streams, epochs=1, shuffle=False, verbose=0)
        if stateful:
            recurrent.reset_states()
    # Score the last timestep of each sample, once the window is fully inside the stream.
    predictions = np.asarray(model.predict(x, batch_size=streams, verbose=0))
    return float(np.mean((predictions[streams:, -1] - y[streams:, -1]) ** 2))


def stateful_and_stateless(keras, x, y, streams, timesteps, epochs):
    """The claim's recipe: the test MSE of a stateful LSTM, then of the same LSTM stateless (a
    workaround passes its own recipe: the MSE with the state carried, then without it)."""
    return (train_and_score(keras, True, x, y, streams, timesteps, epochs),
            train_and_score(keras, False, x, y, streams, timesteps, epochs))


def cross_batch(keras, check, train, streams=STREAMS, length=STREAM_LENGTH,
                timesteps=SAMPLE_STEPS, window=WINDOW, epochs=EPOCHS):
    """A stateful LSTM fits a moving average longer than its samples; a stateless one cannot.

    ``train(keras, x, y, streams, timesteps, epochs)``: the test MSE with the state, then without.
    """
    x, y = moving_average_task(np.random.default_rng(5), streams, length, timesteps, window)
    stateful_mse, stateless_mse = train(keras, x, y, streams, timesteps, epochs)
    # What no model can explain without the earlier inputs: the unseen part of the window.
    unseen_floor = (window - timesteps) / window**2 / 12
    measured = (f"MSE stateful {stateful_mse:.3g}, stateless {stateless_mse:.3g} "
                f"(what is unexplainable without state: {unseen_floor:.3g})")
    # "a stateless one cannot": beating the floor, it saw earlier inputs (the claim fails).
    check.that(stateless_mse > 0.5 * unseen_floor, measured,
               "the stateless LSTM staying above half the floor (the task needs a state)")
    check.that(stateful_mse < 0.5 * unseen_floor, measured,
               "the stateful LSTM well below that floor, the stateless one near it")
